"""Persistent cache of sentence embeddings keyed by (backend, model id, text).

Training conditions on the same captions every epoch (paper-brief §4), so each caption is encoded
once per machine and read back afterwards. One SQLite file per encoder lives under
``$COAMD_CACHE/text`` (default ``~/.cache/coamd/text``). SQLite commits are atomic: an
interrupted write leaves the previous contents intact, and several processes (e.g. DDP ranks)
may read and write the same file.
"""

from __future__ import annotations

import os
import re
import sqlite3
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from .base import TextEncoder, check_texts

CACHE_ENV = "COAMD_CACHE"
_CHUNK = 500  # texts per SQL statement (SQLite's bound-variable limit is far above this)


def cache_root() -> Path:
    """coamd's cache folder: ``$COAMD_CACHE`` or ``~/.cache/coamd``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "coamd"


def _file_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_") + ".sqlite"


class EmbeddingCache:
    """Text -> float32 vector store for one encoder (``key`` = ``encoder.cache_key``)."""

    def __init__(self, key: str, dim: int, folder: str | Path | None = None) -> None:
        self.key = key
        self.dim = int(dim)
        self.path = Path(folder) if folder is not None else cache_root() / "text"
        self.path = self.path / _file_name(key)
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=120)
            with self._conn:
                self._conn.execute("CREATE TABLE IF NOT EXISTS emb (text TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        except (OSError, sqlite3.Error) as e:
            warnings.warn(f"{self.path}: text-embedding cache unavailable ({e}); encoding without a cache",
                          stacklevel=2)
            self._conn = None

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    def __len__(self) -> int:
        if self._conn is None:
            return 0
        return int(self._conn.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def get(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors (N, dim) float32, found (N,) bool); rows not found are zero."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        found = np.zeros(len(texts), bool)
        if self._conn is None or not texts:
            return out, found
        where: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            where.setdefault(t, []).append(i)
        uniq = list(where)
        for s in range(0, len(uniq), _CHUNK):
            part = uniq[s:s + _CHUNK]
            rows = self._conn.execute(
                f"SELECT text, vec FROM emb WHERE text IN ({','.join('?' * len(part))})", part).fetchall()
            for text, blob in rows:
                vec = np.frombuffer(blob, np.float32)
                if vec.shape[0] != self.dim:   # stale entry of another width: treat as missing
                    continue
                out[where[text]] = vec
                found[where[text]] = True
        return out, found

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (N, dim) for ``texts`` (one atomic transaction)."""
        if self._conn is None or len(texts) == 0:
            return
        vectors = np.ascontiguousarray(vectors, np.float32)
        rows = [(t, vectors[i].tobytes()) for i, t in enumerate(texts)]
        try:
            with self._conn:
                self._conn.executemany("INSERT OR REPLACE INTO emb (text, vec) VALUES (?, ?)", rows)
        except sqlite3.Error as e:
            warnings.warn(f"{self.path}: could not write to the text-embedding cache ({e})", stacklevel=2)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __del__(self) -> None:
        self.close()


def encode_cached(encoder: TextEncoder, texts: Sequence[str], cache: EmbeddingCache | bool | None = True,
                  batch_size: int = 256, progress: bool = False, desc: str = "encoding texts") -> Tensor:
    """``encoder.encode_sentences(texts)`` that only encodes texts missing from the cache.

    ``cache``: an ``EmbeddingCache``, True for the encoder's default cache, or False/None for none.
    Returns (N, dim) on the encoder's device and dtype; duplicates are encoded once.
    """
    texts = check_texts(texts)
    if cache is True:
        cache = EmbeddingCache(encoder.cache_key, encoder.dim)
    store = cache if isinstance(cache, EmbeddingCache) else None
    uniq = list(dict.fromkeys(texts))
    if store is not None:
        vecs, found = store.get(uniq)
    else:
        vecs, found = np.zeros((len(uniq), encoder.dim), np.float32), np.zeros(len(uniq), bool)
    todo = [i for i in range(len(uniq)) if not found[i]]
    bar = tqdm(total=len(todo), desc=desc, unit="text", disable=not progress or not todo, leave=False)
    for s in range(0, len(todo), batch_size):
        idx = todo[s:s + batch_size]
        part = [uniq[i] for i in idx]
        emb = encoder.encode_sentences(part, batch_size=batch_size).float().cpu().numpy()  # (b, D)
        vecs[idx] = emb
        if store is not None:
            store.put(part, emb)
        bar.update(len(idx))
    bar.close()
    row = {t: i for i, t in enumerate(uniq)}
    out = torch.from_numpy(vecs[[row[t] for t in texts]])               # (N, D)
    return out.to(device=encoder.device, dtype=encoder.dtype)
