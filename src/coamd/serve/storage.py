"""The results folder: one sub-folder per result, named by a server-made id, written atomically, size/age capped.

Ids are 32 random hex digits (``uuid4``); file names inside a result are made by the server. A
lookup accepts only names of that shape and only files that exist directly in the result's folder,
so no request can name a path (``..``, ``/``, a symlink target) outside it. A result folder is built
under a temporary name and renamed into place (``coamd.atomic.atomic_dir``): a failed or killed job
leaves nothing half-written. ``prune`` deletes results past the age limit, then the oldest until the
folder is under its size cap.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from ..atomic import atomic_dir
from ..errors import CoamdError

ID_RE = re.compile(r"^[0-9a-f]{32}$")
FILE_RE = re.compile(r"^[a-z0-9_]{1,64}\.(npy|npz|bvh|gif|mp4|html|json)$")
MARKER = ".coamd-serve"
MEDIA_TYPES = {"npy": "application/octet-stream", "npz": "application/zip", "bvh": "text/plain; charset=utf-8",
               "gif": "image/gif", "mp4": "video/mp4", "html": "text/html; charset=utf-8",
               "json": "application/json"}


def is_id(text: str) -> bool:
    return bool(ID_RE.match(text or ""))


class ResultStore:
    """Results under ``root`` (default: a fresh temporary folder, removed by :meth:`close`)."""

    def __init__(self, root: str | Path | None = None) -> None:
        if root is None:
            self.root, self.owned = Path(tempfile.mkdtemp(prefix="coamd-serve-")), True
        else:
            self.root, self.owned = Path(root), False
            if self.root.exists() and not self.root.is_dir():
                raise CoamdError(f"--results {self.root}: exists and is not a folder")
            self.root.mkdir(parents=True, exist_ok=True)
            if any(self.root.iterdir()) and not (self.root / MARKER).is_file():
                raise CoamdError(f"--results {self.root}: folder is not empty and was not made by coamd serve; "
                                 f"give an empty or new folder")
            for p in self.root.iterdir():        # results of an earlier run: the job table that knew them is gone
                if p.name != MARKER:
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        (self.root / MARKER).write_text("results folder of coamd serve; its contents are deleted at start-up\n")
        self.uploads = self.root / ".uploads"
        self.uploads.mkdir(exist_ok=True)

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def folder(self, rid: str) -> Path:
        if not is_id(rid):
            raise ValueError(f"not a result id: {rid!r}")
        return self.root / rid

    @contextlib.contextmanager
    def build(self, rid: str) -> Iterator[Path]:
        """A temporary folder to write result ``rid`` into; renamed into place when the block succeeds."""
        with atomic_dir(self.folder(rid)) as tmp:
            yield tmp

    def files(self, rid: str) -> list[str]:
        try:
            return sorted(p.name for p in self.folder(rid).iterdir() if p.is_file() and FILE_RE.match(p.name))
        except OSError:                     # not there (any more): the cap may delete it at any moment
            return []

    def file(self, rid: str, name: str) -> Path | None:
        """The file ``name`` of result ``rid``, or None when either is not a valid, existing name."""
        if not is_id(rid) or not FILE_RE.match(name or ""):
            return None
        path = self.root / rid / name
        if path.is_symlink() or not path.is_file():
            return None
        return path

    def size(self, rid: str | None = None) -> int:
        base = self.root if rid is None else self.folder(rid)
        return sum(p.stat().st_size for p in base.rglob("*") if p.is_file() and not p.is_symlink())

    def remove(self, rid: str) -> None:
        shutil.rmtree(self.folder(rid), ignore_errors=True)

    def prune(self, finished: list[tuple[float, str]], now: float, max_age_s: float, max_bytes: int) -> list[str]:
        """Delete finished results ``[(finished_time, id)]`` past the age limit, then the oldest while the
        folder is over ``max_bytes``; returns the ids deleted."""
        gone = []
        sizes = {rid: self.size(rid) for _, rid in finished if self.folder(rid).is_dir()}
        total = self.size()
        for t, rid in sorted(finished):
            if now - t > max_age_s or total > max_bytes:
                total -= sizes.get(rid, 0)
                self.remove(rid)
                gone.append(rid)
        return gone

    def close(self) -> None:
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)
