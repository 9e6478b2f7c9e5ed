"""Linear-path (rectified) flow matching, the SiT transport CoAMD uses (paper-brief §3.5).

x_t = t·x1 + (1 − t)·x0 with x0 ~ N(0, I) (noise) and x1 the data; the regression target is the
constant velocity u = x1 − x0; t ~ U[0, 1]; the loss is a plain MSE, no weighting.
Pure functions; this module imports nothing from coamd.
"""

from __future__ import annotations

import torch
from torch import Tensor


def sample_time(n: int, device: torch.device | str, dtype: torch.dtype = torch.float32,
                generator: torch.Generator | None = None) -> Tensor:
    """t ~ U[0, 1], shape (n,)."""
    return torch.rand(n, device=device, dtype=dtype, generator=generator)


def interpolate(x0: Tensor, x1: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
    """Point on the straight path and its velocity: (x_t, u = x1 − x0).

    x0, x1: (N, ...); t: (N,), broadcast over the trailing dimensions.
    """
    tb = t.reshape(t.shape[0], *([1] * (x1.dim() - 1)))  # (N, 1, ...)
    return tb * x1 + (1.0 - tb) * x0, x1 - x0


def exact_point_velocity(x1: Tensor):
    """Velocity field that carries every x to the point mass ``x1`` by t = 1: (x1 − x)/(1 − t).

    A reference field for sampler tests: integrating it from any x at t=0 ends exactly at x1.
    """

    def v(x: Tensor, t: Tensor) -> Tensor:
        return (x1 - x) / (1.0 - t)

    return v


def flow_matching_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean over feature dims of the squared error, then over samples (upstream SiT loss)."""
    return (pred - target).pow(2).flatten(1).mean(dim=1).mean()
