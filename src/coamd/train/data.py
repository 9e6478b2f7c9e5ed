"""Finding the training data and its normalisation for ``coamd train`` (paper-brief §2, §4).

``--data`` is a folder or a dataset name. A name (``synth``, ``humanml3d``, ``hdm05``, ...) means
the folder ``$COAMD_DATA/<name>`` (default ``~/.cache/coamd/data/<name>``). A folder's kind is
read from its contents: ``new_joints/`` = HumanML3D layout (21-joint files = KIT-ML), ``*.amc``
= HDM05, ``*.bvh`` = Bandai-Namco, ``*.skeleton`` = NTU RGB+D; ``kind:PATH`` names it explicitly
(e.g. ``ntu120:/data/nturgbd``).

Mean/Std: the checkpoint a run builds on (the AE for the generator, the MAR being fine-tuned)
wins, so every network shares one normalised space; else the dataset's prepared statistics; else
they are computed over the training split.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DATASETS, DatasetSpec, MotionTextIndex, Normalizer, compute_stats, default_cache_dir, get_spec
from ..errors import CoamdError

DATA_ENV = "COAMD_DATA"


class DataNotFoundError(CoamdError):
    """The training data folder does not exist or is not a dataset."""


def data_root() -> Path:
    """Where dataset names resolve: ``$COAMD_DATA`` or ``~/.cache/coamd/data``."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "coamd" / "data"


@dataclass(frozen=True)
class DataSource:
    spec: DatasetSpec
    root: Path

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def text_motion(self) -> bool:
        """True for HumanML3D-layout folders (captions, splits); False for labelled clip sets."""
        return self.spec.layout == "humanml3d"


def _missing(folder: Path, given: str) -> DataNotFoundError:
    return DataNotFoundError(
        f"--data {given}: folder {folder} not found; make a corpus with 'coamd data synth --out {folder}' "
        "or pass --data DIR (a HumanML3D-layout or labelled dataset folder)")


def _detect(folder: Path) -> str:
    """Dataset kind of a folder from its contents."""
    joints = folder / "new_joints"
    if joints.is_dir():
        # the first readable file tells KIT (21 joints) from SMPL-22; damaged files are the loaders' to report
        for first in sorted(joints.glob("*.npy"))[:50]:
            try:
                shape = np.load(first, mmap_mode="r").shape
            except Exception:  # noqa: BLE001, S112 - truncated header, empty file, mmap length errors, ...
                continue
            if len(shape) == 3 and shape[1] == 21:
                return "kitml"
            break
        return "synth" if (folder / "SYNTH.md").exists() or (folder / "synth.json").exists() else "humanml3d"
    for pattern, kind in (("*.skeleton", "ntu60"), ("*.amc", "hdm05"), ("*.bvh", "bandai")):
        if next(folder.rglob(pattern), None) is not None:
            return kind
    raise DataNotFoundError(f"--data {folder}: not a dataset folder (no new_joints/, .amc, .bvh or .skeleton "
                            "files); see 'coamd data prepare --help'")


def resolve_data(data: str) -> DataSource:
    """``--data`` value -> dataset spec and folder (see the module docstring)."""
    kind, sep, rest = data.partition(":")
    if sep and kind in DATASETS and rest:
        folder = Path(rest).expanduser()
        if not folder.is_dir():
            raise _missing(folder, data)
        return DataSource(get_spec(kind), folder)
    path = Path(data).expanduser()
    if path.is_dir():
        return DataSource(get_spec(_detect(path)), path)
    if data in DATASETS:
        folder = data_root() / data
        if not folder.is_dir():
            raise _missing(folder, data)
        return DataSource(get_spec(data if data != "synth" else _detect(folder)), folder)
    if os.sep in data or data.startswith("."):
        raise _missing(path, data)
    raise DataNotFoundError(f"--data {data}: neither a folder nor a dataset name (known: {', '.join(DATASETS)})")


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


def subset_index(index: MotionTextIndex, motion_ids: set[str], split: str) -> MotionTextIndex:
    """A view of ``index`` restricted to ``motion_ids`` (their samples and sub-clips), named ``split``."""
    view = copy.copy(index)
    view.split = split
    view.motion_ids = [m for m in index.motion_ids if m in motion_ids]
    view.samples = [s for s in index.samples if s.motion_id in motion_ids]
    view._lengths = {m: n for m, n in index._lengths.items() if m in motion_ids}
    view._by_name = {s.name: i for i, s in enumerate(view.samples)}
    return view


def split_off_val(index: MotionTextIndex, fraction: float, seed: int) -> tuple[MotionTextIndex, MotionTextIndex]:
    """(train, val) views of a split without a val file: whole motions held out, so no sub-clip leaks."""
    ids = index.motion_ids
    tr, va = holdout(len(ids), fraction, seed)
    return (subset_index(index, {ids[i] for i in tr}, index.split),
            subset_index(index, {ids[i] for i in va}, f"{index.split}-heldout"))


def holdout(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic (train, val) index split of ``range(n)`` for datasets without a val split."""
    order = np.random.default_rng((seed, 991)).permutation(n)
    k = max(1, round(n * fraction)) if n > 1 else 0
    return np.sort(order[k:]), np.sort(order[:k])
