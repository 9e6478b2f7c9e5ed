"""Atomic writes: write to a temporary file beside the target, then rename over it.

A crash or Ctrl-C never leaves a half-written output behind, and a reader never sees one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``path``.

    ``suffix`` defaults to the target's suffix so writers that look at the extension (imageio,
    numpy) behave as they would for the target.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp.", suffix=path.suffix if suffix is None else suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """``open`` for writing, atomically (text or binary by ``mode``)."""
    if not any(c in mode for c in "wx"):
        raise ValueError("atomic_open is for writing")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as f:
        yield f


def check_finite(path: str | os.PathLike, name: str, array: Any) -> None:
    """Refuse to write a floating-point array holding NaN or infinity (the message names the file)."""
    import numpy as np

    a = np.asarray(array)
    if a.dtype.kind in "fc" and a.size and not np.isfinite(a).all():
        from .errors import CoamdError

        bad = int((~np.isfinite(a)).sum())
        raise CoamdError(f"{path}: refusing to write {name} with {bad} NaN/infinite value(s) "
                         f"(the input overflowed or is damaged); nothing was written")


def save_npy(path: str | os.PathLike, array: Any) -> None:
    """``np.save`` atomically (the exact file name is kept: no extra '.npy' is appended); NaN/inf is refused."""
    import numpy as np

    check_finite(path, "an array", array)
    with atomic_open(path, "wb") as f:
        np.save(f, array)


def save_npz(path: str | os.PathLike, **arrays: Any) -> None:
    """``np.savez`` atomically; a floating-point array with NaN/inf is refused."""
    import numpy as np

    for name, a in arrays.items():
        check_finite(path, repr(name), a)
    with atomic_open(path, "wb") as f:
        np.savez(f, **arrays)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Build a folder under a temporary name beside ``path``; rename it into place on success.

    With ``overwrite`` an existing folder at ``path`` is replaced only after the new one is
    complete; otherwise an existing non-empty folder is an error.
    """
    path = Path(path)
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(f"{path}: folder exists and is not empty (pass --overwrite to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
