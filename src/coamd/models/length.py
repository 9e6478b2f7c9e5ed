"""Length estimator: text sentence embedding -> categorical over motion length in AE tokens.

Upstream CoAMD evaluates with ground-truth lengths and has no estimator (paper-brief §5.2); for
free-form prompts we predict the length like MARDM/MoMask do: an MLP classifier over 1..49 tokens
(4..196 frames at 4 frames per token), trained with cross-entropy on (caption, motion) pairs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import CoamdError
from .config import LengthConfig
from .layers import check_lengths


class LengthEstimator(nn.Module):
    """Class i of ``logits`` means a length of i + 1 tokens."""

    def __init__(self, text_dim: int, cfg: LengthConfig) -> None:
        super().__init__()
        self.text_dim, self.max_tokens = text_dim, cfg.max_tokens
        h = cfg.hidden
        self.net = nn.Sequential(
            nn.Linear(text_dim, h), nn.LayerNorm(h), nn.GELU(), nn.Dropout(cfg.dropout),
            nn.Linear(h, h), nn.LayerNorm(h), nn.GELU(), nn.Dropout(cfg.dropout),
            nn.Linear(h, cfg.max_tokens),
        )

    def forward(self, text_emb: Tensor) -> Tensor:
        """(B, D_text) -> logits (B, max_tokens)."""
        if text_emb.dim() != 2 or text_emb.shape[1] != self.text_dim:
            raise CoamdError(f"text embedding: expected shape (B, {self.text_dim}), got {tuple(text_emb.shape)}")
        return self.net(text_emb.to(self.net[0].weight.dtype))

    def loss(self, text_emb: Tensor, token_lengths: Tensor) -> tuple[Tensor, dict[str, float]]:
        """Cross-entropy against the true lengths (B,) in tokens (1..max_tokens)."""
        target = check_lengths(token_lengths.to(text_emb.device), self.max_tokens, "token lengths") - 1
        logits = self(text_emb)
        loss = F.cross_entropy(logits, target)
        acc = (logits.argmax(dim=1) == target).float().mean()
        return loss, {"loss": loss.item(), "acc": acc.item()}

    @torch.no_grad()
    def argmax(self, text_emb: Tensor) -> Tensor:
        """Most likely length in tokens, (B,) int64."""
        return self(text_emb).argmax(dim=1) + 1

    @torch.no_grad()
    def sample(self, text_emb: Tensor, generator: torch.Generator | None = None, temperature: float = 1.0,
               min_tokens: int = 1) -> Tensor:
        """Draw a length in tokens, (B,) int64, from softmax(logits / temperature) over [min_tokens, max]."""
        if temperature <= 0:
            raise CoamdError(f"temperature: must be > 0, got {temperature}")
        if not 1 <= min_tokens <= self.max_tokens:
            raise CoamdError(f"min_tokens: must lie in [1, {self.max_tokens}], got {min_tokens}")
        logits = self(text_emb) / temperature
        logits[:, : min_tokens - 1] = float("-inf")
        probs = logits.softmax(dim=1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1) + 1
