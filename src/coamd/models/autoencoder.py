"""3-stream convolutional autoencoder (paper-brief §3.1).

Joint, bone and motion streams of the normalised joints are each projected by a Conv1d(F→W, k3)
and averaged (early fusion), then two stride-2 down blocks with dilated pre-activation residual
convolutions compress 4 frames into one continuous latent token (not VQ, not VAE). The decoder is
the T2M-GPT/MARDM decoder (nearest ×2 upsampling) and outputs joints only; bones and velocities
are recomputed from the decoded joints for the loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import CoamdError
from ..skeleton import Skeleton
from .config import AEConfig
from .layers import Streams, lengths_to_mask


class ResConv1DBlock(nn.Module):
    """Pre-activation residual block: ReLU → Conv(k3, dilation d) → ReLU → Conv(k1) → Dropout → +x."""

    def __init__(self, width: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(width, width, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:  # (B, W, T)
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        return x + self.drop(h)


class Resnet1D(nn.Sequential):
    """``depth`` residual blocks with dilations growth^(depth-1), ..., growth, 1 (9, 3, 1)."""

    def __init__(self, width: int, depth: int, growth: int, dropout: float) -> None:
        super().__init__(*[ResConv1DBlock(width, growth ** d, dropout) for d in reversed(range(depth))])


class Encoder(nn.Module):
    def __init__(self, in_dim: int, cfg: AEConfig) -> None:
        super().__init__()
        w = cfg.width
        self.proj_joint = nn.Conv1d(in_dim, w, 3, padding=1)
        self.proj_bone = nn.Conv1d(in_dim, w, 3, padding=1)
        self.proj_motion = nn.Conv1d(in_dim, w, 3, padding=1)
        self.down = nn.Sequential(*[
            nn.Sequential(nn.Conv1d(w, w, 4, stride=2, padding=1),
                          Resnet1D(w, cfg.depth, cfg.dilation_growth, cfg.dropout))
            for _ in range(cfg.down_t)
        ])
        self.out = nn.Conv1d(w, cfg.latent_dim, 3, padding=1)

    def forward(self, joints: Tensor, bones: Tensor, motion: Tensor) -> Tensor:  # each (B, F, T)
        h = (self.proj_joint(joints) + self.proj_bone(bones) + self.proj_motion(motion)) / 3.0  # (B, W, T)
        return self.out(self.down(F.relu(h)))                                                  # (B, C, T/4)


class Decoder(nn.Module):
    def __init__(self, out_dim: int, cfg: AEConfig) -> None:
        super().__init__()
        w = cfg.width
        self.inp = nn.Conv1d(cfg.latent_dim, w, 3, padding=1)
        self.up = nn.Sequential(*[
            nn.Sequential(Resnet1D(w, cfg.depth, cfg.dilation_growth, cfg.dropout),
                          nn.Upsample(scale_factor=2, mode="nearest"),
                          nn.Conv1d(w, w, 3, padding=1))
            for _ in range(cfg.down_t)
        ])
        self.post = nn.Conv1d(w, w, 3, padding=1)
        self.out = nn.Conv1d(w, out_dim, 3, padding=1)

    def forward(self, z: Tensor) -> Tensor:  # (B, C, N)
        h = self.up(F.relu(self.inp(z)))
        return self.out(F.relu(self.post(h)))   # (B, F, 4N)


class MotionAutoencoder(nn.Module):
    """``encode(x (B,T,F)) -> (B,T/4,C)``; ``decode(z (B,N,C)) -> (B,4N,F)``; ``loss(x, lengths)``.

    x is z-normalised joint positions flattened per frame (F = 3·joints); T a multiple of 4.
    """

    def __init__(self, skeleton: Skeleton, cfg: AEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.feature_dim = 3 * skeleton.num_joints
        self.unit = 2 ** cfg.down_t
        self.latent_dim = cfg.latent_dim
        self.streams = Streams(skeleton)
        self.encoder = Encoder(self.feature_dim, cfg)
        self.decoder = Decoder(self.feature_dim, cfg)

    def _check(self, x: Tensor, what: str = "motion") -> None:
        if x.dim() != 3 or x.shape[-1] != self.feature_dim:
            raise CoamdError(f"{what}: expected shape (B, T, {self.feature_dim}), got {tuple(x.shape)}")
        if x.shape[1] == 0 or x.shape[1] % self.unit:
            raise CoamdError(f"{what}: T={x.shape[1]} frames must be a positive multiple of {self.unit}")

    def encode(self, x: Tensor) -> Tensor:
        self._check(x)
        j, b, m = self.streams(x)                                          # 3 x (B, T, F)
        z = self.encoder(j.transpose(1, 2), b.transpose(1, 2), m.transpose(1, 2))  # (B, C, T/4)
        return z.transpose(1, 2)                                           # (B, N, C)

    def decode(self, z: Tensor) -> Tensor:
        if z.dim() != 3 or z.shape[-1] != self.latent_dim:
            raise CoamdError(f"latents: expected shape (B, N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.decoder(z.transpose(1, 2)).transpose(1, 2)            # (B, 4N, F)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, dict[str, float]]:
        """SmoothL1 on joints + bones + velocity (frames >= 1), equal weights, padding masked.

        ``lengths`` (B,) are valid frame counts (None: every frame is valid).
        """
        self._check(x)
        B, T, _ = x.shape
        rec = self.forward(x)                                              # (B, T, F)
        valid = (torch.ones(B, T, dtype=torch.bool, device=x.device) if lengths is None
                 else lengths_to_mask(lengths.to(x.device), T))            # (B, T)
        vel_valid = valid[:, 1:] & valid[:, :-1]                           # (B, T-1)
        l_joint = _masked_smooth_l1(rec, x, valid)
        l_bone = _masked_smooth_l1(self.streams.bones(rec), self.streams.bones(x), valid)
        l_vel = _masked_smooth_l1(rec[:, 1:] - rec[:, :-1], x[:, 1:] - x[:, :-1], vel_valid)
        total = l_joint + l_bone + l_vel
        logs = {"loss": total.item(), "joint": l_joint.item(), "bone": l_bone.item(), "velocity": l_vel.item()}
        return total, logs


def _masked_smooth_l1(pred: Tensor, target: Tensor, valid: Tensor) -> Tensor:
    """Mean SmoothL1 over the valid frames (B, T) and every feature."""
    err = F.smooth_l1_loss(pred, target, reduction="none").mean(dim=-1)   # (B, T)
    w = valid.to(err.dtype)
    return (err * w).sum() / w.sum().clamp(min=1.0)
