"""3-stream convolutional autoencoder (paper-brief §3.1).

Joint, bone and motion streams of the normalised joints are each projected by a Conv1d(F→W, k3)
and averaged (early fusion), then two stride-2 down blocks with dilated pre-activation residual
convolutions compress 4 frames into one continuous latent token (not VQ, not VAE). The decoder is
the T2M-GPT/MARDM decoder (nearest ×2 upsampling) and outputs joints only; bones and velocities
are recomputed from the decoded joints for the loss.

Optional geometric terms in metres (``GeometricLoss``, off by default) fine-tune the decoder towards
motion an animator can use: constant bone lengths, feet that stay planted while the ground truth's
do, and ground-truth accelerations (no added jitter); ``self_supervised`` applies the terms that need
no ground truth to decodes of generated latents.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        self._encoder_frozen = False

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

    def freeze_encoder(self) -> None:
        """Fix the encoder (its latents stay those a generator was trained on): no gradients, eval mode."""
        for p in self.encoder.parameters():
            p.requires_grad_(False)
        self.encoder.eval()
        self._encoder_frozen = True

    def train(self, mode: bool = True) -> MotionAutoencoder:
        super().train(mode)
        if self._encoder_frozen:
            self.encoder.eval()
        return self

    def loss(self, x: Tensor, lengths: Tensor | None = None, *, geometry: GeometricLoss | None = None,
             latent_noise: float = 0.0, generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, float]]:
        """SmoothL1 on joints + bones + velocity (frames >= 1), equal weights, padding masked.

        ``lengths`` (B,) are valid frame counts (None: every frame is valid). ``geometry`` adds its
        weighted terms in metres; ``latent_noise`` > 0 decodes ``z + s * N(0, 1)`` with s ~ U(0, latent_noise)
        per clip (a decoder robust to a generator's off-manifold latents; the target stays the clean motion).
        """
        self._check(x)
        B, T, _ = x.shape
        if latent_noise > 0:
            z = self.encode(x)
            noise = torch.randn(z.shape, generator=generator, device=z.device, dtype=z.dtype)
            scale = latent_noise * torch.rand(B, 1, 1, generator=generator, device=z.device, dtype=z.dtype)
            rec = self.decode(z + scale * noise)                           # (B, T, F)
        else:
            rec = self.forward(x)                                          # (B, T, F)
        valid = (torch.ones(B, T, dtype=torch.bool, device=x.device) if lengths is None
                 else lengths_to_mask(lengths.to(x.device), T))            # (B, T)
        vel_valid = valid[:, 1:] & valid[:, :-1]                           # (B, T-1)
        l_joint = _masked_smooth_l1(rec, x, valid)
        l_bone = _masked_smooth_l1(self.streams.bones(rec), self.streams.bones(x), valid)
        l_vel = _masked_smooth_l1(rec[:, 1:] - rec[:, :-1], x[:, 1:] - x[:, :-1], vel_valid)
        total = l_joint + l_bone + l_vel
        logs = {"loss": total.item(), "joint": l_joint.item(), "bone": l_bone.item(), "velocity": l_vel.item()}
        if geometry is not None and geometry.active:
            g_total, g_logs = geometry(geometry.to_metres(rec), geometry.to_metres(x), valid)
            total = total + g_total
            logs.update(g_logs)
            logs["loss"] = total.item()
        return total, logs


def _masked_smooth_l1(pred: Tensor, target: Tensor, valid: Tensor) -> Tensor:
    """Mean SmoothL1 over the valid frames (B, T) and every feature."""
    err = F.smooth_l1_loss(pred, target, reduction="none").mean(dim=-1)   # (B, T)
    w = valid.to(err.dtype)
    return (err * w).sum() / w.sum().clamp(min=1.0)


# ---------------------------------------------------------------------------------- geometric terms
def _norm(v: Tensor, eps: float = 1e-8) -> Tensor:
    """|v| over the last axis with a finite gradient at 0."""
    return torch.sqrt((v * v).sum(-1) + eps)


def _masked_mean(v: Tensor, w: Tensor) -> Tensor:
    w = w.to(v.dtype).expand_as(v)
    return (v * w).sum() / w.sum().clamp(min=1.0)


def bone_lengths(joints: Tensor, child: Tensor, parent: Tensor) -> Tensor:
    """(B, T, J, 3) metres -> (B, T, K) bone lengths."""
    return _norm(joints[..., child, :] - joints[..., parent, :])


def bone_length_loss(pred: Tensor, valid: Tensor, child: Tensor, parent: Tensor, target: Tensor | None = None) -> Tensor:
    """Mean |L - mean_t L| of each clip's bone lengths over its valid frames (m), plus mean |L - L_gt|
    per frame when ``target`` is given. 0 for a rigid skeleton (equal to the target's)."""
    L = bone_lengths(pred, child, parent)                              # (B, T, K)
    w = valid[..., None].to(L.dtype)                                   # (B, T, 1)
    mean = (L * w).sum(1, keepdim=True) / w.sum(1, keepdim=True).clamp(min=1.0)
    loss = _masked_mean((L - mean).abs(), w)
    if target is not None:
        loss = loss + _masked_mean((L - bone_lengths(target, child, parent)).abs(), w)
    return loss


def contact_velocity_loss(pred: Tensor, valid: Tensor, feet: list[int], up: int, target: Tensor | None = None,
                          height: float = 0.05, speed: float = float("inf")) -> Tensor:
    """Foot sliding (m per frame) while a foot is in floor contact.

    With ``target``: contact is the target's foot below ``height`` at frames t and t+1, and the
    predicted ground-plane foot velocity must match the target's there (0 for a planted foot, as
    MDM's foot-contact loss). Without: contact is the prediction's own (detached) foot below
    ``height`` and slower than ``speed`` m/frame, and its ground-plane velocity is pushed to 0.
    """
    plane = [a for a in range(3) if a != up]
    src = (target if target is not None else pred.detach())[:, :, feet]          # (B, T, F, 3)
    low = src[..., up] < height
    both = valid[:, 1:] & valid[:, :-1]                                          # (B, T-1)
    contact = low[:, 1:] & low[:, :-1] & both[..., None]                         # (B, T-1, F)
    v = (pred[:, 1:, feet] - pred[:, :-1, feet])[..., plane]                     # (B, T-1, F, 2)
    if target is not None:
        v = v - (src[:, 1:] - src[:, :-1])[..., plane]
    elif speed != float("inf"):
        contact = contact & (_norm(v.detach()) < speed)
    return _masked_mean(_norm(v), contact)


def accel_loss(pred: Tensor, valid: Tensor, target: Tensor | None = None, order: int = 2) -> Tensor:
    """Mean |Δ^order pred - Δ^order target| (m per frame^order) over joints and valid windows;
    without a target the magnitude |Δ^order pred| itself (a smoothness penalty)."""
    d = torch.diff(pred, n=order, dim=1)                                         # (B, T-o, J, 3)
    if target is not None:
        d = d - torch.diff(target, n=order, dim=1)
    w = valid[:, order:].clone()
    for k in range(order):
        w &= valid[:, k: valid.shape[1] - order + k]
    return _masked_mean(_norm(d).mean(-1), w)


@dataclass
class GeometricWeights:
    """Weights of the metre-space terms (all 0: the original AE loss). Terms are in metres (per frame
    for velocities/accelerations), so weights are large: e.g. bone 10, contact 10, accel 20."""

    bone: float = 0.0
    contact: float = 0.0
    accel: float = 0.0
    jerk: float = 0.0          # self-supervised only: |Δ³ pred|


class GeometricLoss(nn.Module):
    """Weighted geometric terms of decoded motion against ground truth (``forward``) or without it
    (``self_supervised``); both take joints in metres (B, T, J, 3) and a (B, T) validity mask."""

    def __init__(self, skeleton: Skeleton, mean: Tensor, std: Tensor, weights: GeometricWeights,
                 up_axis: int = 1) -> None:
        super().__init__()
        pairs = [(j, p) for j, p in enumerate(skeleton.parents) if p >= 0]
        self.register_buffer("child", torch.tensor([c for c, _ in pairs]), persistent=False)
        self.register_buffer("parent", torch.tensor([p for _, p in pairs]), persistent=False)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten(), persistent=False)
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten(), persistent=False)
        self.feet = list(skeleton.foot_joints)
        self.up = up_axis
        self.w = weights

    @property
    def active(self) -> bool:
        return any(v > 0 for v in (self.w.bone, self.w.contact, self.w.accel))

    def to_metres(self, x: Tensor) -> Tensor:
        """(B, T, 3J) normalised -> (B, T, J, 3) metres."""
        return (x * self.std + self.mean).unflatten(-1, (-1, 3))

    def forward(self, pred: Tensor, target: Tensor, valid: Tensor) -> tuple[Tensor, dict[str, float]]:
        total, logs = pred.new_zeros(()), {}
        if self.w.bone > 0:
            t = bone_length_loss(pred, valid, self.child, self.parent, target)
            total, logs["geo_bone"] = total + self.w.bone * t, t.item()
        if self.w.contact > 0 and self.feet:
            t = contact_velocity_loss(pred, valid, self.feet, self.up, target)
            total, logs["geo_contact"] = total + self.w.contact * t, t.item()
        if self.w.accel > 0:
            t = accel_loss(pred, valid, target)
            total, logs["geo_accel"] = total + self.w.accel * t, t.item()
        return total, logs

    def self_supervised(self, pred: Tensor, valid: Tensor, speed: float = 0.1) -> tuple[Tensor, dict[str, float]]:
        """Terms without ground truth: bone constancy, planted low slow feet (< ``speed`` m/frame), jerk."""
        total, logs = pred.new_zeros(()), {}
        if self.w.bone > 0:
            t = bone_length_loss(pred, valid, self.child, self.parent)
            total, logs["gen_bone"] = total + self.w.bone * t, t.item()
        if self.w.contact > 0 and self.feet:
            t = contact_velocity_loss(pred, valid, self.feet, self.up, speed=speed)
            total, logs["gen_contact"] = total + self.w.contact * t, t.item()
        if self.w.jerk > 0:
            t = accel_loss(pred, valid, order=3)
            total, logs["gen_jerk"] = total + self.w.jerk * t, t.item()
        return total, logs
