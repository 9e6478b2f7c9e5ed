"""Pre-encoded text embeddings of a whole dataset (paper-brief §4: frozen text towers).

``EmbeddingTable.build`` encodes every distinct caption (and label name) once, batched with a
progress bar and through the persistent cache, so a training step only gathers rows. Token
embeddings (MAR's description tower input) are kept too when they fit in ``max_token_bytes``
(stored as float16); otherwise they are computed per batch, without gradients, on the fly.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from tqdm.auto import tqdm

from .base import TextEncoder, TextEncoderError, check_texts
from .cache import EmbeddingCache, encode_cached


class EmbeddingTable:
    """Distinct texts -> sentence rows (N, D), optionally token rows (N, L, Dt) + mask (N, L)."""

    def __init__(self, encoder: TextEncoder, texts: list[str], sentences: Tensor,
                 tokens: Tensor | None = None, token_mask: Tensor | None = None) -> None:
        if sentences.shape[0] != len(texts):
            raise TextEncoderError(f"EmbeddingTable: {len(texts)} texts but {sentences.shape[0]} embeddings")
        self.encoder = encoder
        self.texts = texts
        self.row = {t: i for i, t in enumerate(texts)}
        self.sentence_rows = sentences                                # (N, D)
        self.token_rows = tokens                                      # (N, L, Dt) float16 or None
        self.token_mask = token_mask                                  # (N, L) bool or None

    @property
    def dim(self) -> int:
        return int(self.sentence_rows.shape[1])

    def __len__(self) -> int:
        return len(self.texts)

    def __contains__(self, text: str) -> bool:
        return text in self.row

    @classmethod
    def build(cls, encoder: TextEncoder, texts: Sequence[str], cache: EmbeddingCache | bool | None = True,
              tokens: bool = False, max_token_bytes: int = 1 << 30, batch_size: int = 256,
              progress: bool = True, desc: str = "text embeddings") -> EmbeddingTable:
        """Encode the distinct ``texts`` once (sentences through the cache; tokens if they fit)."""
        uniq = list(dict.fromkeys(check_texts(texts)))
        sent = encode_cached(encoder, uniq, cache=cache, batch_size=batch_size, progress=progress,
                             desc=desc).float().cpu()                 # (N, D)
        tok = mask = None
        need = len(uniq) * encoder.max_tokens * encoder.token_dim * 2
        if tokens and uniq and need <= max_token_bytes:
            tok, mask = cls._encode_all_tokens(encoder, uniq, batch_size, progress, desc)
        return cls(encoder, uniq, sent, tok, mask)

    @staticmethod
    def _encode_all_tokens(encoder: TextEncoder, texts: list[str], batch_size: int, progress: bool,
                           desc: str) -> tuple[Tensor, Tensor]:
        parts = []
        for s in tqdm(range(0, len(texts), batch_size), desc=f"{desc} (tokens)", unit="batch",
                      disable=not progress, leave=False):
            emb, m = encoder.encode_tokens(texts[s:s + batch_size])
            parts.append((emb.half().cpu(), m.cpu()))
        length = max(e.shape[1] for e, _ in parts)
        tok = torch.zeros(len(texts), length, encoder.token_dim, dtype=torch.float16)  # (N, L, Dt)
        mask = torch.zeros(len(texts), length, dtype=torch.bool)                     # (N, L)
        s = 0
        for emb, m in parts:
            tok[s:s + emb.shape[0], : emb.shape[1]] = emb
            mask[s:s + emb.shape[0], : emb.shape[1]] = m
            s += emb.shape[0]
        return tok, mask

    def sentences(self, texts: Sequence[str]) -> Tensor:
        """(B, D) on the encoder's device/dtype; texts not in the table are encoded on the fly."""
        texts = check_texts(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self.row]
        extra = {}
        if missing:
            enc = self.encoder.encode_sentences(missing).float().cpu()
            extra = {t: enc[i] for i, t in enumerate(missing)}
        rows = [self.sentence_rows[self.row[t]] if t in self.row else extra[t] for t in texts]
        out = torch.stack(rows) if rows else self.sentence_rows[:0]
        return out.to(device=self.encoder.device, dtype=self.encoder.dtype)

    def tokens(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        """((B, L, Dt), mask (B, L)): from the table when pre-encoded, else by the encoder."""
        texts = check_texts(texts)
        if self.token_rows is None or any(t not in self.row for t in texts):
            return self.encoder.encode_tokens(texts)
        idx = torch.tensor([self.row[t] for t in texts], dtype=torch.long)
        mask = self.token_mask[idx]                                    # (B, Lmax)
        length = max(int(mask.sum(1).max()), 1)
        emb = self.token_rows[idx, :length]                            # (B, L, Dt)
        dev, dt = self.encoder.device, self.encoder.dtype
        return emb.to(device=dev, dtype=dt), mask[:, :length].to(dev)
