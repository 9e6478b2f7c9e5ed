"""Training data splits and normalisation for ``coamd train`` (paper-brief §2, §4).

``--data`` resolution lives in `coamd.data.source` (`resolve_data`, `DataSource`).

Mean/Std: the checkpoint a run builds on (the AE for the generator, the MAR being fine-tuned)
wins, so every network shares one normalised space; else the dataset's prepared statistics; else
they are computed over the training split.
"""

from __future__ import annotations

import numpy as np

from ..data import MotionTextIndex, Normalizer, compute_stats, default_cache_dir
from ..data.source import DataNotFoundError, DataSource


def normalizer_for(source: DataSource, train_motions) -> Normalizer:
    """The dataset's prepared Mean/Std when present, else computed over ``train_motions``."""
    cache = default_cache_dir(source.root)
    if (cache / "Mean.npy").is_file() and (cache / "Std.npy").is_file():
        norm = Normalizer.load(cache)
        if norm.feature_dim == source.spec.feature_dim:
            return norm
    return compute_stats(train_motions)


def normalizer_from_extra(extra: dict) -> Normalizer | None:
    """The Mean/Std a checkpoint was trained with (``extra['mean']``/``extra['std']``), if any."""
    if "mean" in extra and "std" in extra:
        return Normalizer(np.asarray(extra["mean"]), np.asarray(extra["std"]))
    return None


def open_split(source: DataSource, split: str, required: bool = True) -> MotionTextIndex | None:
    """The ``split`` of a HumanML3D-layout folder (None when absent and not ``required``)."""
    if not (source.root / f"{split}.txt").is_file():
        if required:
            raise DataNotFoundError(f"{source.root}: no {split}.txt split file")
        return None
    return MotionTextIndex(source.root, split, dataset=source.name)


def split_off_val(index: MotionTextIndex, fraction: float, seed: int) -> tuple[MotionTextIndex, MotionTextIndex]:
    """(train, val) views of a split without a val file: whole motions held out, so no sub-clip leaks."""
    ids = index.motion_ids
    tr, va = holdout(len(ids), fraction, seed)
    return (index.subset({ids[i] for i in tr}), index.subset({ids[i] for i in va}, f"{index.split}-heldout"))


def holdout(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic (train, val) index split of ``range(n)`` for datasets without a val split."""
    order = np.random.default_rng((seed, 991)).permutation(n)
    k = max(1, round(n * fraction)) if n > 1 else 0
    return np.sort(order[k:]), np.sort(order[:k])
