"""Shared pieces: the joint/bone/motion streams (paper-brief §3.1-§3.2) and sinusoidal embeddings.

The bone stream is NTU-style "centred": the kinematic tree is re-rooted at a centre joint (SMPL-22:
spine3), every joint's bone is its position minus its parent's in the re-rooted tree, and the
centre's bone is zero. For SMPL-22 this reproduces upstream's ``t2m_BONES`` list exactly.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn

from ..errors import CoamdError
from ..skeleton import Skeleton


def centre_joint(skeleton: Skeleton) -> int:
    """The chest joint where the arms branch off: the non-root joint with the most children.

    SMPL-22 -> 9 (spine3), KIT-21 -> 3 (BLN), NTU-25 -> 20 (SpineShoulder). Ties go to the lowest
    index.
    """
    counts = [(len(skeleton.children(j)), -j) for j in range(skeleton.num_joints) if j != skeleton.root]
    best = max(counts)
    return -best[1]


def bone_pairs(skeleton: Skeleton, centre: int | None = None) -> list[tuple[int, int]]:
    """(child, parent) per joint, in joint order, for the tree re-rooted at ``centre``.

    The centre is its own parent (its bone is zero). Default centre: :func:`centre_joint`.
    """
    c = centre_joint(skeleton) if centre is None else int(centre)
    if not 0 <= c < skeleton.num_joints:
        raise CoamdError(f"centre joint {c} is outside skeleton {skeleton.name!r} ({skeleton.num_joints} joints)")
    parent = list(skeleton.parents)
    # reverse the parent links along the path centre -> root
    path = [c]
    while parent[path[-1]] >= 0:
        path.append(parent[path[-1]])
    for child, up in itertools.pairwise(path):
        parent[up] = child
    parent[c] = c
    return [(j, parent[j]) for j in range(skeleton.num_joints)]


class Streams(nn.Module):
    """Joint, bone and motion streams of normalised joint sequences (all in normalised units).

    bone[j] = x[j] - x[parent(j)] on the centred tree; motion_t = x_t - x_{t-1}, motion_0 = 0.
    """

    def __init__(self, skeleton: Skeleton) -> None:
        super().__init__()
        pairs = bone_pairs(skeleton)
        self.num_joints = skeleton.num_joints
        self.register_buffer("child", torch.tensor([c for c, _ in pairs]), persistent=False)
        self.register_buffer("parent", torch.tensor([p for _, p in pairs]), persistent=False)

    def bones(self, x: Tensor) -> Tensor:
        j = x.unflatten(-1, (self.num_joints, 3))                          # (B, T, J, 3)
        return (j[..., self.child, :] - j[..., self.parent, :]).flatten(-2)  # (B, T, 3J)

    @staticmethod
    def motion(x: Tensor) -> Tensor:
        return torch.cat([torch.zeros_like(x[:, :1]), x[:, 1:] - x[:, :-1]], dim=1)  # (B, T, F)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return x, self.bones(x), self.motion(x)


def sinusoid_table(length: int, dim: int, device: torch.device | str | None = None) -> Tensor:
    """(length, dim) sin/cos positional table (Vaswani et al.), sin on even and cos on odd dims."""
    pos = torch.arange(length, dtype=torch.float32, device=device)[:, None]                       # (L, 1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return table


class PositionalEncoding(nn.Module):
    """Adds a fixed sinusoidal table to (B, L, D) inputs, then dropout."""

    def __init__(self, dim: int, max_len: int, dropout: float) -> None:
        super().__init__()
        self.max_len = max_len
        self.register_buffer("table", sinusoid_table(max_len, dim), persistent=False)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[1] > self.max_len:
            raise CoamdError(f"sequence of length {x.shape[1]} exceeds the model's maximum {self.max_len}")
        return self.drop(x + self.table[: x.shape[1]].to(x.dtype))


def timestep_embedding(t: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """(N,) scalar times -> (N, dim) [cos | sin] frequency features (DiT/MAR convention)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]                    # (N, half)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedder(nn.Module):
    """Sinusoidal features of a scalar time -> MLP(freq_dim -> width -> width) with SiLU.

    ``scale`` multiplies t first. The flow head passes ``HeadConfig.time_scale``: 1 feeds the raw
    flow-matching time t ∈ [0, 1] as the official SiT head does; 1000 spreads it over the frequency
    bands the way DDPM step indices do (the bundled cpu-small head). MAR's per-stream embedder (unused
    upstream and here) keeps the default.
    """

    def __init__(self, width: int, freq_dim: int = 256, scale: float = 1000.0) -> None:
        super().__init__()
        self.freq_dim, self.scale = freq_dim, scale
        self.mlp = nn.Sequential(nn.Linear(freq_dim, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, t: Tensor) -> Tensor:
        emb = timestep_embedding(t * self.scale, self.freq_dim)   # (N, freq_dim)
        return self.mlp(emb.to(self.mlp[0].weight.dtype))           # (N, width)


def lengths_to_mask(lengths: Tensor, max_len: int) -> Tensor:
    """(B,) lengths -> (B, max_len) bool, True on valid positions."""
    return torch.arange(max_len, device=lengths.device)[None] < lengths[:, None]


def check_lengths(lengths: Tensor, max_len: int, what: str) -> Tensor:
    """Validate integer lengths in [1, max_len]; returns them as int64 on their device."""
    if lengths.dim() != 1:
        raise CoamdError(f"{what}: expected a 1-D tensor of lengths, got shape {tuple(lengths.shape)}")
    if lengths.numel() and (int(lengths.min()) < 1 or int(lengths.max()) > max_len):
        raise CoamdError(f"{what}: lengths must lie in [1, {max_len}], got min {int(lengths.min())} "
                         f"max {int(lengths.max())}")
    return lengths.long()
