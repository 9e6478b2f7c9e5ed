"""scripts/merge_corpora.py: the core corpus and an extended one as one training folder (issue 11)."""

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from coamd.data import MotionTextIndex
from coamd.synth import generate_clips, write_corpus
from coamd.synth.labels import ALL_LABELS, LABELS

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "merge_corpora.py"


def _merge():
    spec = importlib.util.spec_from_file_location("merge_corpora", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(root)).encode() + f.read_bytes())
    return h.hexdigest()


def test_merge_keeps_label_indices_prefixes_ids_and_leaves_the_sources_alone(tmp_path):
    core, ext = tmp_path / "core", tmp_path / "ext"
    write_corpus(core, generate_clips(24, seed=1), seed=1)
    write_corpus(ext, generate_clips(24, seed=2, vocabulary="extended"), seed=2, vocabulary="extended")
    before = _digest(core), _digest(ext)
    out = tmp_path / "union"
    assert _merge()([str(out), str(core), str(ext), "--prefixes", "c,x"]) == 0
    assert (_digest(core), _digest(ext)) == before
    assert (out / "label_map.txt").read_text().splitlines() == list(ALL_LABELS)
    for split in ("train", "val", "test"):
        merged = (out / f"{split}.txt").read_text().split()
        parts = [f"c{i}" for i in (core / f"{split}.txt").read_text().split()]
        parts += [f"x{i}" for i in (ext / f"{split}.txt").read_text().split()]
        assert merged == parts
    ann = json.loads((out / "annotations_actions_400.json").read_text())
    src = json.loads((core / "annotations_actions_400.json").read_text())
    some = next(iter(src))
    assert ann[f"c{some}"]["labels"] == src[some]["labels"]      # indices kept: the 44 come first in both maps
    index = MotionTextIndex(out, "train", dataset="synth")
    assert index.label_names == list(ALL_LABELS) and len(index) == len((out / "train.txt").read_text().split())
    assert index.motion(0).shape[1:] == (22, 3)


def test_merge_refuses_label_maps_that_disagree(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_corpus(a, generate_clips(6, seed=1), seed=1)
    write_corpus(b, generate_clips(6, seed=2), seed=2)
    (b / "label_map.txt").write_text("".join(f"{n}\n" for n in reversed(LABELS)))
    with pytest.raises(SystemExit, match="not a prefix"):
        _merge()([str(tmp_path / "out"), str(a), str(b)])
    assert not (tmp_path / "out").exists()
