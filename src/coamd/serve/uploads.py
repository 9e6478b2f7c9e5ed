"""Uploaded motion files: extension and size checks, a server-made name, parsed by ``coamd.io.load_motion``.

A file is written under the results folder's ``.uploads/`` with a random name (the client's file name
is only shown, never used as a path), read, and deleted again before the request returns; what a
job needs is the parsed array. Parse errors come back as 422 with ``load_motion``'s one-line message,
the server path replaced by the client's file name.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np

from ..errors import CoamdError
from .errors import ApiError
from .limits import UPLOAD_EXTENSIONS

CHUNK = 1 << 20


def display_name(filename: str | None) -> str:
    """The client's file name, reduced to a harmless label (no folders, printable, 80 characters)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = re.sub(r"[^\w.\- ]", "_", base).strip() or "upload"
    return base[:80]


def save_upload(upload, folder: Path, limit: int, field: str) -> tuple[Path, str]:
    """Stream ``upload`` (a Starlette UploadFile) to a fresh file in ``folder``; returns (path, display name)."""
    name = display_name(upload.filename)
    ext = Path(name).suffix.lower()
    if ext not in UPLOAD_EXTENSIONS:
        raise ApiError(415, f"{field} {name!r}: file type {ext or '(none)'!r} is not accepted; "
                            f"upload one of {', '.join(UPLOAD_EXTENSIONS)}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{ext}"
    size = 0
    try:
        with open(path, "xb") as f:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"{field} {name!r}: larger than the {limit / 2**20:g} MB upload limit")
                f.write(chunk)
        if size == 0:
            raise ApiError(422, f"{field} {name!r}: the file is empty")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, name


def _scrub(error: Exception, path: Path) -> str:
    """The library's message without the server-side path of the upload."""
    return str(error).replace(f" {path}", "").replace(str(path), "").lstrip(": ")


def read_motion(upload, folder: Path, limit: int, field: str) -> tuple[np.ndarray, str]:
    """An uploaded motion as canonical joints (T, 22, 3) float32 and its display name; the file is removed."""
    from ..io import load_motion

    path, name = save_upload(upload, folder, limit, field)
    try:
        return load_motion(path).joints, name
    except CoamdError as e:
        raise ApiError(422, f"{field} {name!r}: {_scrub(e, path)}") from None
    except (ValueError, OSError, EOFError, MemoryError) as e:   # a parser corner the library did not phrase
        raise ApiError(422, f"{field} {name!r}: cannot read it ({type(e).__name__}: {e})") from None
    finally:
        path.unlink(missing_ok=True)


def read_trajectory(upload, folder: Path, limit: int) -> np.ndarray:
    """An uploaded ``.npy`` pelvis path (T, 2) or (T, 3) metres, checked by the editor's own reader."""
    from ..tasks.edit import load_trajectory

    name = display_name(upload.filename)
    if Path(name).suffix.lower() != ".npy":
        raise ApiError(415, f"trajectory {name!r}: upload a .npy array (T, 2) or (T, 3) in metres")
    path, name = save_upload(upload, folder, limit, "trajectory")
    try:
        return load_trajectory(path)
    except CoamdError as e:
        raise ApiError(422, f"trajectory {name!r}: {_scrub(e, path).split(': ', 1)[-1]}") from None
    finally:
        path.unlink(missing_ok=True)
