"""``--data`` resolution and the labelled-set loaders: the behaviour half of the dataset registry.

``--data`` is a folder or a dataset name. A name (``synth``, ``humanml3d``, ``hdm05``, ...) means
the folder ``$COAMD_DATA/<name>`` (default ``~/.cache/coamd/data/<name>``). A folder's kind is
read from its contents (`detect_kind`): ``new_joints/`` = HumanML3D layout (21-joint files =
KIT-ML), ``*.amc`` = HDM05, ``*.bvh`` = Bandai-Namco, ``*.skeleton`` = NTU RGB+D; ``kind:PATH``
names it explicitly (e.g. ``ntu120:/data/nturgbd``).

Labelled recognition sets load through `load_labelled` (spec layout -> loader, `LABELLED_LOADERS`);
`coamd data prepare`, ``coamd train mar --data`` and the bench all call it. The facts about each
dataset (joints, fps, splits, class count) live in `coamd.data.registry`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CoamdError
from .labelled import LabelledClips
from .registry import DATASETS, DatasetSpec, get_spec

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


# labelled layouts: the file pattern that identifies a folder, and the dataset name it means
DETECT_PATTERNS = (("*.skeleton", "ntu60"), ("*.amc", "hdm05"), ("*.bvh", "bandai"))


def _missing(folder: Path, given: str) -> DataNotFoundError:
    return DataNotFoundError(
        f"--data {given}: folder {folder} not found; make a corpus with 'coamd data synth --out {folder}' "
        "or pass --data DIR (a HumanML3D-layout or labelled dataset folder)")


def detect_kind(folder: Path) -> str:
    """Dataset name of a folder from its contents."""
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
    for pattern, kind in DETECT_PATTERNS:
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
        return DataSource(get_spec(detect_kind(path)), path)
    if data in DATASETS:
        folder = data_root() / data
        if not folder.is_dir():
            raise _missing(folder, data)
        return DataSource(get_spec(data if data != "synth" else detect_kind(folder)), folder)
    if os.sep in data or data.startswith("."):
        raise _missing(path, data)
    raise DataNotFoundError(f"--data {data}: neither a folder nor a dataset name (known: {', '.join(DATASETS)})")


def _ntu(spec: DatasetSpec, root: Path, **kw: Any) -> LabelledClips:
    from .ntu import load_ntu

    return load_ntu(root, spec.num_classes, **kw)


def _bandai(spec: DatasetSpec, root: Path, missing_list=None, **kw: Any) -> LabelledClips:
    from .realsets import load_bandai

    _no_missing_list(spec, missing_list)
    return load_bandai(root, **kw)


def _hdm05(spec: DatasetSpec, root: Path, missing_list=None, **kw: Any) -> LabelledClips:
    from .realsets import load_hdm05

    _no_missing_list(spec, missing_list)
    return load_hdm05(root, **kw)


def _no_missing_list(spec: DatasetSpec, missing_list) -> None:
    if missing_list is not None:
        raise CoamdError(f"--missing-list applies to NTU only, not {spec.name}")


# spec.layout -> loader(spec, root, cache=, workers=, rebuild=, missing_list=) -> LabelledClips
LABELLED_LOADERS: dict[str, Callable[..., LabelledClips]] = {"ntu": _ntu, "bandai": _bandai, "hdm05": _hdm05}


def load_labelled(source: DataSource | DatasetSpec | str, root: str | os.PathLike | None = None, *,
                  cache: str | os.PathLike | None = "auto", workers: int = 1, rebuild: bool = False,
                  missing_list: str | os.PathLike | None = None) -> LabelledClips:
    """A labelled recognition set as canonical SMPL-22 clips (a `DataSource`, or a spec/name plus ``root``)."""
    if isinstance(source, DataSource):
        spec, root = source.spec, source.root
    else:
        spec = source if isinstance(source, DatasetSpec) else get_spec(source)
    if root is None:
        raise CoamdError(f"{spec.name}: no folder given")
    loader = LABELLED_LOADERS.get(spec.layout)
    if loader is None:
        known = ", ".join(n for n, s in DATASETS.items() if s.layout in LABELLED_LOADERS)
        raise CoamdError(f"--data {root}: {spec.name} is not a labelled recognition set ({known})")
    kw: dict[str, Any] = {"cache": cache, "workers": workers, "rebuild": rebuild}
    if missing_list is not None:
        kw["missing_list"] = missing_list
    return loader(spec, Path(root).expanduser(), **kw)


__all__ = ["DATA_ENV", "DETECT_PATTERNS", "LABELLED_LOADERS", "DataNotFoundError", "DataSource", "data_root",
           "detect_kind", "load_labelled", "resolve_data"]
