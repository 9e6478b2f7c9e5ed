"""Evaluator (b): the contrastive "MotionCLIP" model whose cosine is the CLIP-score (paper-brief §6.1b).

Motion tower: Linear(F -> d) per frame, a learned query token prepended, sinusoidal positions,
N pre-norm transformer layers with the padding masked, LayerNorm, Linear on the query output.
Text tower: frozen token embeddings of a ``coamd.text`` encoder, Linear -> d, a learned query
token, sinusoidal positions, N pre-norm layers, LayerNorm, Linear on the query output.
Loss: symmetric cross-entropy over the in-batch cosine logits scaled by a learnable temperature
(CLIP, Radford et al. 2021); pairs with identical captions are not used as each other's negatives.

It deliberately differs from MAR (paper-brief §3.2): one joint stream instead of three, pre-norm
instead of post-norm layers, query-token pooling on the text side, a learned temperature instead
of fixed τ, no label tower and no latent loss; it is trained with its own seed.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import CoamdError
from ..models.layers import sinusoid_table
from .config import ClipEvalConfig

MAX_LOGIT_SCALE = math.log(100.0)


def _encoder(cfg: ClipEvalConfig, layers: int) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.heads, cfg.ff_dim, cfg.dropout, activation="gelu",
                                       batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class QueryTower(nn.Module):
    """(B, L, in_dim) + valid mask (B, L) -> (B, E) read from a prepended learned query token."""

    def __init__(self, in_dim: int, cfg: ClipEvalConfig, layers: int) -> None:
        super().__init__()
        self.inp = nn.Linear(in_dim, cfg.d_model)
        self.query = nn.Parameter(torch.randn(1, 1, cfg.d_model) * 0.02)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = _encoder(cfg, layers)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.embed_dim)

    def forward(self, x: Tensor, valid: Tensor) -> Tensor:
        h = self.inp(x)                                                             # (B, L, D)
        h = torch.cat([self.query.expand(h.shape[0], 1, -1), h], dim=1)            # (B, 1+L, D)
        h = h + sinusoid_table(h.shape[1], h.shape[2], device=h.device).to(h.dtype)
        pad = torch.cat([torch.zeros_like(valid[:, :1]), ~valid], dim=1)           # query never masked
        h = self.encoder(self.drop(h), src_key_padding_mask=pad)
        return self.out(self.norm(h[:, 0]))                                         # (B, E)


class MotionClipEvaluator(nn.Module):
    """Motion and caption towers trained with a CLIP loss; embeddings are compared by cosine."""

    def __init__(self, feature_dim: int, token_dim: int, cfg: ClipEvalConfig) -> None:
        super().__init__()
        self.cfg, self.feature_dim, self.token_dim = cfg, feature_dim, token_dim
        self.motion = QueryTower(feature_dim, cfg, cfg.layers)
        self.text = QueryTower(token_dim, cfg, cfg.text_layers)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / cfg.init_temperature)))

    def encode_motion(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Normalised motion (B, T, F) + frame lengths (B,) -> (B, E) (not normalised)."""
        if x.dim() != 3 or x.shape[-1] != self.feature_dim:
            raise CoamdError(f"motion: expected shape (B, T, {self.feature_dim}), got {tuple(x.shape)}")
        lengths = lengths.to(x.device).long()
        if lengths.numel() and (int(lengths.min()) < 1 or int(lengths.max()) > x.shape[1]):
            raise CoamdError(f"lengths: must lie in [1, {x.shape[1]}], got {int(lengths.min())}..{int(lengths.max())}")
        valid = torch.arange(x.shape[1], device=x.device)[None] < lengths[:, None]  # (B, T)
        return self.motion(x, valid)

    def encode_text(self, tokens: Tensor, mask: Tensor) -> Tensor:
        """Frozen token embeddings (B, L, D_tok) + bool mask (B, L) -> (B, E) (not normalised)."""
        if tokens.dim() != 3 or tokens.shape[-1] != self.token_dim or mask.shape != tokens.shape[:2]:
            raise CoamdError(f"text tokens: expected (B, L, {self.token_dim}) with a (B, L) mask, got "
                             f"{tuple(tokens.shape)} and {tuple(mask.shape)}")
        return self.text(tokens, mask.bool())

    def loss(self, batch: dict, generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, float]]:
        """CLIP loss on one batch (keys: motion, length, text_tokens, text_mask, caption)."""
        m = F.normalize(self.encode_motion(batch["motion"], batch["length"]), dim=-1)          # (B, E)
        t = F.normalize(self.encode_text(batch["text_tokens"], batch["text_mask"]), dim=-1)    # (B, E)
        scale = self.logit_scale.clamp(max=MAX_LOGIT_SCALE).exp()
        logits = scale * t @ m.T                                                                # (B, B)
        captions = batch["caption"]
        same = torch.tensor([[a == b for b in captions] for a in captions], device=logits.device)
        same.fill_diagonal_(False)                                                              # false negatives
        logits = logits.masked_fill(same, float("-inf"))
        target = torch.arange(len(captions), device=logits.device)
        loss = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
        acc = (logits.argmax(dim=1) == target).float().mean()
        return loss, {"clip_loss": float(loss.detach()), "clip_top1": float(acc),
                      "clip_scale": float(scale.detach()), "clip_cos": float((t * m).sum(-1).mean().detach())}
