"""adaLN-Zero transformer block of the CoAMD generator (paper-brief §3.3; DiT-style).

SiLU → Linear(D → 6D) on the per-sample condition gives shift/scale/gate for the attention and
MLP branches; LayerNorms have no affine (eps 1e-6); attention is key-padding-masked
``F.scaled_dot_product_attention`` with separate q/k/v projections, attention and residual
dropout; the MLP is Linear → tanh-GELU → Linear. The modulation layer is zero-initialised, so each
block starts as the identity.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def modulate(x: Tensor, shift: Tensor, scale: Tensor) -> Tensor:
    return x * (1 + scale) + shift


class AdaLNBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_dim: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.resid_drop = nn.Dropout(dropout)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(approximate="tanh"), nn.Linear(mlp_dim, dim))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))

    def zero_init(self) -> None:
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def attention(self, x: Tensor, attend: Tensor) -> Tensor:
        B, L, D = x.shape
        q, k, v = (lin(x).view(B, L, self.heads, D // self.heads).transpose(1, 2)
                   for lin in (self.q, self.k, self.v))                         # (B, h, L, d)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attend,
                                             dropout_p=self.dropout if self.training else 0.0)
        return self.resid_drop(self.proj(out.transpose(1, 2).reshape(B, L, D)))  # (B, L, D)

    def forward(self, x: Tensor, c: Tensor, attend: Tensor) -> Tensor:
        """x (B, L, D) tokens, c (B, D) condition, attend (B, 1, 1, L) bool: True on valid keys."""
        sa, ca, ga, sm, cm, gm = self.ada(c)[:, None].chunk(6, dim=-1)          # each (B, 1, D)
        x = x + ga * self.attention(modulate(self.norm1(x), sa, ca), attend)
        return x + gm * self.mlp(modulate(self.norm2(x), sm, cm))
