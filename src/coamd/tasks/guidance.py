"""Steering the generator at every decoding step (paper-brief §3.7, §9.2-§9.3) through ``on_step`` hooks.

MAR GRADIENT GUIDANCE (§3.7). After step k filled the tokens M_k, the current latents z (B, L, C),
padding zeroed, are decoded by the AE to the full sequence X (B, 4L, F) and encoded by MAR into
(f, f_J, f_B, f_M); with e the tower-B embedding of the caption, the reward is a weighted sum of
cosines, R_b = Σ w_i·cos(f_i, e). Its gradient g = ∂R/∂z is L2-normalised per sample over all L×C
entries and the new tokens move: z ← z + λ·ĝ ⊙ M_k.

Reward weights (``REWARDS``, the sampling option ``guidance_reward``):
* ``"all"``: upstream's 0.7·cos(f, e) + 0.1·cos(f_J, e) + 0.1·cos(f_B, e) + 0.1·cos(f_M, e).
* ``"fused"``: cos(f, e) only. MAR's description loss aligns only the fused embedding f with tower
  B (upstream's released loss and ours, :mod:`coamd.train.task_mar`); the per-stream embeddings
  f_J, f_B, f_M were never trained against text, so "all" spends 0.3 of the reward on cosines
  without a meaning. ``DEFAULT_REWARD`` was chosen by the λ sweep in docs/results.md ("MAR guidance
  reward weighting").

Fixes and choices, relative to upstream:
* MAR sees every decoded frame: its frame lengths are 4 × the token lengths (§9.2; upstream passed
  the token counts, masking 3/4 of the motion).
* The step is λ itself, continuous in λ, and λ = 0 returns the hook-free (unguided) result exactly
  (upstream stepped 0.5 + λ when λ > 0 and 0 at λ = 0, §9.3). Upstream's step 0.5 + λ_up is our
  λ = 0.5 + λ_up, so upstream's λ_up ∈ {0.5, 1, 2} sweep is λ ∈ {1, 1.5, 2.5} here.

DECODED-SPACE CONSTRAINTS (body-part editing, trajectory control). One token covers every joint,
so a constraint on some joints (or the pelvis path) is a loss in decoded space:
L = Σ w·(X_metres − target)² / Σ w, minimised over the editable latents by a few Adam steps
through AE.decode at every decoding step, and by a longer refinement after the last one
(:func:`refine`). The learning rate is relative to the latents' RMS, so it does not depend on the
AE's latent scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import CoamdError
from .bundle import Bundle
from .codec import ae_to_mar, decode_metres

# weights of cos(·, e) for (fused f, joint f_J, bone f_B, motion f_M)
REWARDS: dict[str, tuple[float, float, float, float]] = {"fused": (1.0, 0.0, 0.0, 0.0), "all": (0.7, 0.1, 0.1, 0.1)}
DEFAULT_REWARD = "fused"

StepHook = Callable[[Tensor, Tensor, int], Tensor]


def _valid(token_lengths: Tensor, L: int) -> Tensor:
    return torch.arange(L, device=token_lengths.device)[None] < token_lengths[:, None]      # (B, L)


# ---------------------------------------------------------------------------------- MAR reward
@torch.no_grad()
def text_targets(bundle: Bundle, texts: list[str]) -> Tensor:
    """Tower-B embeddings e (B, E) of the captions."""
    tokens, mask = bundle.tokens(texts)
    return bundle.mar.encode_text(tokens, mask)


def reward_weights(name: str) -> tuple[float, float, float, float]:
    """The (f, f_J, f_B, f_M) weights of a ``REWARDS`` name; an unknown name is a one-line error."""
    if name not in REWARDS:
        raise CoamdError(f"--guidance-reward: {name!r} is not one of {', '.join(REWARDS)}")
    return REWARDS[name]


def reward(bundle: Bundle, latents: Tensor, token_lengths: Tensor, e: Tensor,
           weights: str = DEFAULT_REWARD) -> Tensor:
    """R (B,) of latents (B, L, C): weighted cosines of MAR's embeddings to e (differentiable)."""
    w = reward_weights(weights)
    valid = _valid(token_lengths, latents.shape[1])
    z = latents * valid[..., None].to(latents.dtype)                                    # padding zeroed
    x = ae_to_mar(bundle, bundle.ae.decode(z))                                          # (B, 4L, F)
    frames = token_lengths * bundle.unit_length                                         # §9.2 fix
    embs = bundle.mar.encode(x, frames)
    return sum(wi * F.cosine_similarity(f, e, dim=-1) for wi, f in zip(w, embs) if wi)


def guidance_hook(bundle: Bundle, texts: list[str], token_lengths: Tensor, scale: float,
                  weights: str = DEFAULT_REWARD) -> StepHook | None:
    """The MAR-guidance ``on_step`` hook with step λ = ``scale`` and reward ``weights`` (a ``REWARDS``
    name); None when λ = 0 (unguided)."""
    reward_weights(weights)
    if scale == 0:
        return None
    e = text_targets(bundle, texts)
    lengths = token_lengths.to(bundle.device)

    def hook(latents: Tensor, new: Tensor, step: int) -> Tensor:
        with torch.enable_grad():
            z = latents.detach().float().requires_grad_(True)
            (g,) = torch.autograd.grad(reward(bundle, z, lengths, e, weights).sum(), z)          # (B, L, C)
        norm = g.flatten(1).norm(dim=1)[:, None, None] + 1e-8
        return latents + (scale * g / norm * new[..., None].to(g.dtype)).to(latents.dtype)

    return hook


# ---------------------------------------------------------------------------------- constraints
@dataclass
class Constraint:
    """Targets in metres on decoded frames: ``target`` (B, T, J, 3) where ``weight`` (B, T, J, 3) > 0.

    T may be shorter than the decoded sequence (later frames are free).
    """

    target: Tensor
    weight: Tensor

    def loss(self, metres: Tensor) -> Tensor:
        """Weighted mean squared error (m²) of decoded joints (B, T', J, 3), T' >= T."""
        T = self.target.shape[1]
        d = (metres[:, :T] - self.target) ** 2 * self.weight
        return d.sum() / self.weight.sum().clamp_min(1e-8)

    def error(self, metres: Tensor) -> Tensor:
        """Mean Euclidean error (B,) in metres over the constrained joints/frames."""
        T = self.target.shape[1]
        w = self.weight.amax(dim=-1)                                                   # (B, T, J)
        dist = ((metres[:, :T] - self.target) ** 2 * self.weight).sum(-1).sqrt()       # (B, T, J)
        return (dist * w).sum((1, 2)) / w.sum((1, 2)).clamp_min(1e-8)


def _optimise(bundle: Bundle, latents: Tensor, editable: Tensor, constraint: Constraint, iters: int,
              lr: float, decay: bool) -> Tensor:
    """``iters`` Adam steps on the editable tokens (B, L) of ``latents`` (B, L, C) towards the constraint."""
    if iters <= 0 or not bool(editable.any()):
        return latents
    m = editable[..., None].to(latents.dtype)
    rms = (latents.detach() ** 2 * m).sum().div(m.sum() * latents.shape[-1]).sqrt().clamp_min(1e-3)
    with torch.enable_grad():
        z = latents.detach().float().clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=float(lr * rms))
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iters) if decay else None
        for _ in range(iters):
            opt.zero_grad(set_to_none=True)
            constraint.loss(decode_metres(bundle, z)).backward()
            z.grad.mul_(m)
            opt.step()
            if sched is not None:
                sched.step()
    return torch.where(editable[..., None], z.detach().to(latents.dtype), latents)


def constraint_hook(bundle: Bundle, constraint: Constraint, editable: Tensor, iters: int = 8,
                    lr: float = 0.05) -> StepHook:
    """Pull the decoded sequence towards ``constraint`` after every decoding step (all editable tokens)."""
    def hook(latents: Tensor, new: Tensor, step: int) -> Tensor:
        return _optimise(bundle, latents, editable.to(latents.device), constraint, iters, lr, decay=False)

    return hook


def refine(bundle: Bundle, latents: Tensor, editable: Tensor, constraint: Constraint, iters: int = 80,
           lr: float = 0.05) -> Tensor:
    """The final refinement after decoding: more Adam steps with a cosine-decaying learning rate."""
    return _optimise(bundle, latents, editable.to(latents.device), constraint, iters, lr, decay=True)


def chain(*hooks: StepHook | None) -> StepHook | None:
    """One hook running the given ones in order (None entries skipped); None if there are none."""
    live = [h for h in hooks if h is not None]
    if not live:
        return None
    if len(live) == 1:
        return live[0]

    def hook(latents: Tensor, new: Tensor, step: int) -> Tensor:
        for h in live:
            latents = h(latents, new, step)
        return latents

    return hook
