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
def atomic_path(path: str | os.PathLike, suffix: str | None = None, durable: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``path``.

    ``suffix`` defaults to the target's suffix so writers that look at the extension (imageio,
    numpy) behave as they would for the target. ``durable`` fsyncs the file before the rename and
    the folder after it, so the new content survives a crash of the machine, not only of the process.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp.", suffix=path.suffix if suffix is None else suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp_path
        if durable:
            _fsync(tmp_path)
        os.replace(tmp_path, path)
        if durable:
            _fsync(path.parent)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", durable: bool = False, **kwargs: Any) -> Iterator[IO]:
    """``open`` for writing, atomically (text or binary by ``mode``); ``durable`` as in `atomic_path`."""
    if not any(c in mode for c in "wx"):
        raise ValueError("atomic_open is for writing")
    with atomic_path(path, durable=durable) as tmp, open(tmp, mode, **kwargs) as f:
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
    with folder_lock(path):
        _remove_stale(path.parent, f".{path.name}.*.tmp", dirs=True)
        stale_old = path.with_name(f".{path.name}.old")
        if stale_old.is_dir():
            shutil.rmtree(stale_old, ignore_errors=True)
        with _build_dir(path, overwrite) as tmp:
            yield tmp


@contextlib.contextmanager
def _build_dir(path: Path, overwrite: bool) -> Iterator[Path]:
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


# ------------------------------------------------------------------------------------ locks
_HELD: dict[Path, list] = {}  # lock file -> [fd, depth]: re-entrant within one process


class FolderBusyError(FileExistsError):
    """Another live process holds the folder's lock (the message names it)."""


def lock_file(path: str | os.PathLike) -> Path:
    """Where the lock of ``path`` lives: a hidden file beside it (``.NAME.lock``)."""
    path = Path(path).absolute()
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def folder_lock(path: str | os.PathLike, what: str = "folder") -> Iterator[None]:
    """Hold an exclusive lock (``fcntl.flock`` on `lock_file`) on a run/output folder for the block.

    A second process gets a one-line `FolderBusyError` naming the holder (pid, host, since when).
    The kernel drops the lock of a process that dies, so a lock file left by a killed run is
    simply taken over (with a note on stderr). Re-entrant within one process.
    """
    import fcntl
    import socket
    import sys
    import time

    lock = lock_file(path)
    if lock in _HELD:
        _HELD[lock][1] += 1
        try:
            yield
        finally:
            _HELD[lock][1] -= 1
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise FolderBusyError(f"{Path(path)}: {what} is in use by {holder}; wait for it to finish or "
                                  f"choose another folder") from None
        previous = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if previous:
            print(f"note: {Path(path)}: taking over the lock left by {previous}, which is no longer running",
                  file=sys.stderr)
        stamp = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp.encode(), 0)
        _HELD[lock] = [fd, 1]
        try:
            yield
        finally:
            del _HELD[lock]
            os.ftruncate(fd, 0)  # a clean release leaves an empty (or no) lock file
            try:
                lock.unlink()
            except OSError:
                pass
    finally:
        os.close(fd)


def _remove_stale(folder: Path, pattern: str, dirs: bool = False) -> None:
    """Delete leftovers of our own interrupted writers (hidden temp names matching ``pattern``)."""
    for p in folder.glob(pattern):
        try:
            if dirs and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif not dirs and p.is_file():
                p.unlink()
        except OSError:
            pass


def remove_stale_temp_files(folder: str | os.PathLike) -> None:
    """Delete ``.NAME.tmp.*`` files that `atomic_path` left in ``folder`` when its writer was killed.

    Call only while holding the folder's lock (no live writer of ours is using them)."""
    _remove_stale(Path(folder), ".*.tmp.*")
