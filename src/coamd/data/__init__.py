"""Dataset adapters (paper-brief §2): HumanML3D/KIT-ML text-motion indexes, recognition sets
(NTU RGB+D 60/120, Bandai-Namco, HDM05), Mean/Std normalisation, caches and torch Datasets.

The torch ``Dataset`` classes are imported on first use, so ``import coamd.data`` stays light.
"""

from __future__ import annotations

from typing import Any

from .humanml3d import Caption, MotionSample, MotionTextIndex, load_normalizer
from .labelled import LabelledClips
from .normalize import STD_FLOOR, Normalizer, compute_stats
from .ntu import NTU60_CLASSES, NTU120_CLASSES, load_ntu
from .prepare import prepare
from .realsets import load_bandai, load_hdm05
from .registry import DATASETS, DatasetSpec, default_cache_dir, get_spec
from .source import DataNotFoundError, DataSource, load_labelled, resolve_data
from .store import BadFiles, ClipStore

_TORCH = ("MotionWindows", "TextMotionDataset", "ActionTextDataset", "LabelledClipDataset", "collate_motion",
          "crop_length")

__all__ = [
    "DATASETS", "NTU60_CLASSES", "NTU120_CLASSES", "STD_FLOOR", "ActionTextDataset", "BadFiles", "Caption",
    "ClipStore", "DataNotFoundError", "DataSource", "DatasetSpec", "LabelledClipDataset", "LabelledClips", "MotionSample", "MotionTextIndex",
    "MotionWindows", "Normalizer", "TextMotionDataset", "collate_motion", "compute_stats", "crop_length",
    "default_cache_dir", "get_spec", "load_bandai", "load_hdm05", "load_labelled", "load_normalizer", "load_ntu", "prepare",
    "resolve_data",
]


def __getattr__(name: str) -> Any:
    if name in _TORCH:
        from . import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
