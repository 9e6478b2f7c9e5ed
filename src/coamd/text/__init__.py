"""Frozen text encoders and embedding caches (paper-brief §3.2-§3.3: the CLIP text towers).

Backends (``TEXT_ENCODERS``): ``minilm`` (default, all-MiniLM-L6-v2, 384-d, bundled offline),
``clip`` (local CLIP weights via ``COAMD_CLIP_PATH``), ``hash`` (hashed bag of words: tests only).
Every backend implements ``TextEncoder.encode_sentences(texts) -> (B, D)`` (L2-normalised) and
``encode_tokens(texts) -> ((B, L, D), mask (B, L))``. ``encode_cached`` and ``EmbeddingTable``
avoid re-encoding the same captions.
"""

from __future__ import annotations

import functools

import torch

from .base import TextEncoder, TextEncoderError, check_texts
from .cache import CACHE_ENV, EmbeddingCache, cache_root, encode_cached
from .clip import CLIP_ENV, CLIPEncoder
from .hashing import HashEncoder
from .minilm import MiniLMEncoder
from .table import EmbeddingTable

TEXT_ENCODERS: dict[str, type[TextEncoder]] = {
    "minilm": MiniLMEncoder,
    "clip": CLIPEncoder,
    "hash": HashEncoder,
}
DEFAULT_TEXT_ENCODER = "minilm"


def build_text_encoder(name: str = DEFAULT_TEXT_ENCODER, device: str | torch.device = "cpu",
                       dtype: torch.dtype = torch.float32, **options) -> TextEncoder:
    """A new frozen encoder of backend ``name`` (options: ``max_tokens``, ``path``, ``dim``...)."""
    if name not in TEXT_ENCODERS:
        raise TextEncoderError(f"text encoder {name!r} is unknown; choose one of {sorted(TEXT_ENCODERS)}")
    try:
        return TEXT_ENCODERS[name](device=device, dtype=dtype, **options)
    except TypeError as e:
        raise TextEncoderError(f"text encoder {name!r}: bad option ({e})") from None


@functools.lru_cache(maxsize=8)
def _shared(name: str, device: str, dtype: torch.dtype, options: tuple) -> TextEncoder:
    return build_text_encoder(name, device, dtype, **dict(options))


def load_text_encoder(name: str = DEFAULT_TEXT_ENCODER, device: str | torch.device = "cpu",
                      dtype: torch.dtype = torch.float32, **options) -> TextEncoder:
    """Like ``build_text_encoder`` but shared per process (loading MiniLM takes seconds)."""
    return _shared(name, str(torch.device(device)), dtype, tuple(sorted(options.items())))


__all__ = [
    "CACHE_ENV",
    "CLIP_ENV",
    "DEFAULT_TEXT_ENCODER",
    "TEXT_ENCODERS",
    "CLIPEncoder",
    "EmbeddingCache",
    "EmbeddingTable",
    "HashEncoder",
    "MiniLMEncoder",
    "TextEncoder",
    "TextEncoderError",
    "build_text_encoder",
    "cache_root",
    "check_texts",
    "encode_cached",
    "load_text_encoder",
]
