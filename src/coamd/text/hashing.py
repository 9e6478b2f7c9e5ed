"""A hashed bag-of-words text encoder, for fast unit tests only (no model weights, no loading time).

NOT for real use: it knows nothing about meaning beyond shared words ("walk" and "walking" are
unrelated to it). Each lower-cased word maps to a fixed pseudo-random unit-variance vector
derived from a BLAKE2b hash of the word, so results are identical on every machine and run.
Sentence embedding = L2-normalised sum of the word vectors; token embeddings = the word vectors.
It stands in for the CLIP/MiniLM text towers of paper-brief §3.2-§3.3 in tests.
"""

from __future__ import annotations

import functools
import hashlib
import re

import numpy as np
import torch
from torch import Tensor

from .base import TextEncoder, TextEncoderError

_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (letters, digits, apostrophes)."""
    return _WORD.findall(text.lower())


@functools.lru_cache(maxsize=65536)
def _word_vector(word: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)  # (D,)


class HashEncoder(TextEncoder):
    """Deterministic hashed bag-of-words embeddings (test backend; see the module docstring)."""

    name = "hash"

    def __init__(self, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                 max_tokens: int = 32, dim: int = 64) -> None:
        super().__init__(device, dtype, max_tokens)
        if dim < 1:
            raise TextEncoderError(f"dim: expected a positive width for the hash encoder, got {dim}")
        self.dim = self.token_dim = int(dim)
        self.model_id = f"bow-blake2b-{dim}"

    def _word_matrix(self, text: str) -> np.ndarray:
        ws = words(text)[: self.max_tokens] or ["<empty>"]
        return np.stack([_word_vector(w, self.dim) for w in ws])  # (L, D)

    def _sentences(self, texts: list[str]) -> Tensor:
        sums = np.stack([self._word_matrix(t).sum(0) for t in texts])  # (B, D)
        return torch.from_numpy(sums).to(self.device)

    def _tokens(self, texts: list[str]) -> tuple[Tensor, Tensor]:
        mats = [self._word_matrix(t) for t in texts]
        length = max(len(m) for m in mats)
        emb = np.zeros((len(texts), length, self.dim), np.float32)     # (B, L, D)
        mask = np.zeros((len(texts), length), bool)                    # (B, L)
        for i, m in enumerate(mats):
            emb[i, : len(m)] = m
            mask[i, : len(m)] = True
        return torch.from_numpy(emb).to(self.device), torch.from_numpy(mask).to(self.device)
