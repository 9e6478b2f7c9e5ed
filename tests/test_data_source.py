"""--data resolution and labelled-set loading through one registry (coamd.data.source)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coamd.data import DataNotFoundError, MotionTextIndex, get_spec, load_labelled, resolve_data
from coamd.data.source import DETECT_PATTERNS, LABELLED_LOADERS
from coamd.errors import CoamdError
from test_data_humanml3d import write_hml


def test_every_labelled_dataset_has_a_loader_and_a_detect_pattern():
    from coamd.data import DATASETS

    labelled = {n for n, s in DATASETS.items() if s.layout != "humanml3d"}
    assert {s.layout for n, s in DATASETS.items() if n in labelled} == set(LABELLED_LOADERS)
    assert {get_spec(kind).layout for _, kind in DETECT_PATTERNS} == set(LABELLED_LOADERS)


def test_resolve_and_subset(tmp_path: Path):
    root = write_hml(tmp_path / "HumanML3D", np.random.default_rng(0))
    source = resolve_data(str(root))
    assert source.name == "humanml3d" and source.text_motion
    index = MotionTextIndex(root, "train", cache=None)
    keep = set(index.motion_ids[:1])
    view = index.subset(keep, "part")
    assert view.split == "part" and view.motion_ids == index.motion_ids[:1]
    assert {s.motion_id for s in view.samples} == keep and len(view) <= len(index)
    assert index.split == "train" and len(index.motion_ids) > 1          # the original is untouched
    with pytest.raises(DataNotFoundError, match="not a dataset folder"):
        resolve_data(str(tmp_path))


def test_load_labelled_refuses_text_motion_sets_and_foreign_options(tmp_path: Path):
    with pytest.raises(CoamdError, match="not a labelled recognition set"):
        load_labelled("humanml3d", tmp_path)
    with pytest.raises(CoamdError, match="--missing-list applies to NTU only"):
        load_labelled("hdm05", tmp_path, missing_list=tmp_path / "m.txt")
