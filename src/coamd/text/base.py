"""The frozen text-encoder interface every model conditions on (paper-brief §3.2-§3.3).

CoAMD conditions its generator on a CLIP sentence embedding and feeds CLIP token embeddings to
MAR's description tower. coamd makes the text backbone swappable: every backend implements
:class:`TextEncoder`, which is always frozen (eval mode, no gradients) and returns float tensors
on the device and dtype it was built with.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import torch
from torch import Tensor

from ..errors import CoamdError


class TextEncoderError(CoamdError):
    """A text encoder that cannot be built or loaded (missing weights, bad path, bad option)."""


def check_texts(texts: Sequence[str], what: str = "texts") -> list[str]:
    """Return ``texts`` as a list of str, or raise a one-line error naming the bad item."""
    if isinstance(texts, str):
        raise TextEncoderError(f"{what}: expected a list of strings, got a single string {texts[:40]!r}")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TextEncoderError(f"{what}[{i}]: expected a string, got {type(t).__name__}")
    return out


class TextEncoder(abc.ABC):
    """A frozen sentence/token text encoder.

    Attributes:
        name: backend name in ``TEXT_ENCODERS`` (``minilm``, ``clip``, ``hash``).
        model_id: identifies the weights (used in embedding-cache keys).
        dim: width of sentence embeddings; ``token_dim`` is the width of token embeddings.
        device, dtype: where and in which float type results are returned.
    """

    name: str = ""
    model_id: str = ""
    dim: int = 0
    token_dim: int = 0

    def __init__(self, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                 max_tokens: int = 77) -> None:
        if not dtype.is_floating_point:
            raise TextEncoderError(f"dtype: expected a floating-point torch dtype, got {dtype}")
        if max_tokens < 2:
            raise TextEncoderError(f"max_tokens: expected at least 2, got {max_tokens}")
        self.device = torch.device(device)
        self.dtype = dtype
        self.max_tokens = int(max_tokens)

    @property
    def cache_key(self) -> str:
        """``backend/model_id``: names the persistent embedding cache of this encoder."""
        return f"{self.name}/{self.model_id}"

    @abc.abstractmethod
    def _sentences(self, texts: list[str]) -> Tensor:
        """One batch of sentence embeddings, (B, dim), any float dtype, on ``self.device``."""

    @abc.abstractmethod
    def _tokens(self, texts: list[str]) -> tuple[Tensor, Tensor]:
        """One batch of token embeddings (B, L, token_dim) and a bool validity mask (B, L)."""

    @torch.no_grad()
    def encode_sentences(self, texts: Sequence[str], batch_size: int = 256) -> Tensor:
        """L2-normalised sentence embeddings: list of B strings -> (B, dim)."""
        texts = check_texts(texts)
        if not texts:
            return torch.zeros(0, self.dim, device=self.device, dtype=self.dtype)
        chunks = [self._sentences(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
        out = torch.cat(chunks).float()                               # (B, D)
        out = torch.nn.functional.normalize(out, dim=-1)
        return out.to(self.dtype)

    @torch.no_grad()
    def encode_tokens(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        """Per-token embeddings ((B, L, token_dim), mask (B, L) bool; True = a real token).

        L is the longest tokenised text of the batch, capped at ``max_tokens``; every row has at
        least one valid token.
        """
        texts = check_texts(texts)
        if not texts:
            return (torch.zeros(0, 1, self.token_dim, device=self.device, dtype=self.dtype),
                    torch.zeros(0, 1, dtype=torch.bool, device=self.device))
        emb, mask = self._tokens(texts)
        return emb.to(self.dtype), mask.bool()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_id={self.model_id!r}, dim={self.dim}, device={self.device})"
