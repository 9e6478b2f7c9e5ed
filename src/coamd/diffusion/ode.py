"""ODE samplers for flow matching (paper-brief §3.5): Euler, Heun, midpoint and adaptive Dormand-Prince.

Every sampler is a pure function over a velocity callable ``v(x, t) -> dx/dt`` where ``x`` is a
tensor of any shape and ``t`` a 0-d tensor of ``x``'s dtype on ``x``'s device. Each returns the
state at ``t1`` and the number of velocity evaluations (NFE), which the speed benchmark reports.

CoAMD integrates from t=0 (Gaussian noise) to t=1 (data). Upstream samples with torchdiffeq's
``dopri5`` at atol 1e-6 / rtol 1e-3; :func:`dopri5` calls the same solver (torchdiffeq is a
declared dependency), so its step-size control matches upstream. One adaptive step size is shared
by the whole batch: torchdiffeq measures the error as an RMS over every element of ``x``. The
fixed-step :func:`euler`, :func:`heun` and :func:`midpoint` are the fast modes (§10: ~32-50 steps).

``distilled`` (:data:`DISTILLED`) is not an ODE method: it names a few-step student flow head
(``coamd train distill``) sampled with Euler; :data:`SAMPLERS` lists every sampler name a caller may pick.
The names live in the torch-free :mod:`.names`; a new solver is its function and dispatch here and its
name in ``names.METHODS``.

This module imports nothing from coamd.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .names import METHODS

Velocity = Callable[[Tensor, Tensor], Tensor]  # (x, t) -> dx/dt, same shape as x


def _grid(x0: Tensor, steps: int, t0: float, t1: float) -> Tensor:
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    return torch.linspace(t0, t1, steps + 1, dtype=x0.dtype, device=x0.device)  # (steps + 1,)


def euler(v: Velocity, x0: Tensor, steps: int, t0: float = 0.0, t1: float = 1.0) -> tuple[Tensor, int]:
    """Explicit Euler with ``steps`` uniform steps from ``t0`` to ``t1``; NFE = ``steps``.

    For a point-mass target the exact flow-matching velocity is ``(x1 - x) / (1 - t)``; Euler
    lands on ``x1`` exactly at the last step whatever the step count (the field is linear in x
    along straight paths), which the tests use as an exactness check.
    """
    grid = _grid(x0, steps, t0, t1)
    x = x0
    for k in range(steps):
        t, dt = grid[k], grid[k + 1] - grid[k]
        x = x + dt * v(x, t)
    return x, steps


def heun(v: Velocity, x0: Tensor, steps: int, t0: float = 0.0, t1: float = 1.0) -> tuple[Tensor, int]:
    """Heun's method (explicit trapezoid, 2nd order) with ``steps`` uniform steps; NFE = 2·steps."""
    grid = _grid(x0, steps, t0, t1)
    x = x0
    for k in range(steps):
        t, t_next = grid[k], grid[k + 1]
        dt = t_next - t
        d0 = v(x, t)
        x_pred = x + dt * d0                 # Euler predictor
        d1 = v(x_pred, t_next)
        x = x + 0.5 * dt * (d0 + d1)         # trapezoid corrector
    return x, 2 * steps


def midpoint(v: Velocity, x0: Tensor, steps: int, t0: float = 0.0, t1: float = 1.0) -> tuple[Tensor, int]:
    """Explicit midpoint rule (2nd order) with ``steps`` uniform steps; NFE = 2·steps."""
    grid = _grid(x0, steps, t0, t1)
    x = x0
    for k in range(steps):
        t, dt = grid[k], grid[k + 1] - grid[k]
        x_half = x + 0.5 * dt * v(x, t)              # half an Euler step
        x = x + dt * v(x_half, t + 0.5 * dt)         # full step with the midpoint's slope
    return x, 2 * steps


def dopri5(v: Velocity, x0: Tensor, atol: float = 1e-6, rtol: float = 1e-3, t0: float = 0.0,
           t1: float = 1.0) -> tuple[Tensor, int]:
    """Adaptive Dormand-Prince RK5(4) (torchdiffeq ``dopri5``) from ``t0`` to ``t1``.

    Returns the state at ``t1`` and the NFE actually spent, including rejected steps and the
    initial step-size probe.
    """
    from torchdiffeq import odeint

    nfe = 0

    def func(t: Tensor, x: Tensor) -> Tensor:
        nonlocal nfe
        nfe += 1
        return v(x, t.to(dtype=x.dtype))

    times = torch.tensor([t0, t1], dtype=x0.dtype, device=x0.device)
    out = odeint(func, x0, times, rtol=rtol, atol=atol, method="dopri5")  # (2, *x0.shape)
    return out[-1], nfe


def integrate(v: Velocity, x0: Tensor, method: str = "dopri5", steps: int = 32, atol: float = 1e-6,
              rtol: float = 1e-3, t0: float = 0.0, t1: float = 1.0) -> tuple[Tensor, int]:
    """Dispatch by name: ``steps`` is used by the fixed-step methods, ``atol``/``rtol`` by dopri5."""
    if method == "euler":
        return euler(v, x0, steps, t0, t1)
    if method == "heun":
        return heun(v, x0, steps, t0, t1)
    if method == "midpoint":
        return midpoint(v, x0, steps, t0, t1)
    if method == "dopri5":
        return dopri5(v, x0, atol=atol, rtol=rtol, t0=t0, t1=t1)
    raise ValueError(f"unknown ODE method {method!r}; choose one of {list(METHODS)}")
