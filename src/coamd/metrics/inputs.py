"""Input handling shared by every metric: tensors or arrays in, validated float64 numpy out.

Metrics are pure functions (style.md §4 rule 7). They accept ``torch.Tensor`` (any device,
with or without grad) or anything ``numpy.asarray`` understands, compute in float64 numpy on
the CPU, and return python floats or numpy arrays. torch is never imported here; a tensor is
recognised by its ``detach`` method so that importing ``coamd.metrics`` stays cheap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coamd.errors import CoamdError


class MetricInputError(CoamdError, ValueError):
    """An argument to a metric has the wrong shape, size or values (the message names it)."""


def as_array(x: Any, name: str, ndim: int | tuple[int, ...] | None = None, dtype: Any = np.float64) -> np.ndarray:
    """Convert a tensor/array-like to numpy ``dtype`` and check its rank; errors name ``name``."""
    if hasattr(x, "detach"):  # torch.Tensor: leave the graph and the device behind
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise MetricInputError(f"{name}: cannot be read as a {np.dtype(dtype).name} array ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise MetricInputError(f"{name}: expected a {want} array, got shape {tuple(arr.shape)}")
    return arr


def as_finite(x: Any, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """`as_array` plus a check that no value is NaN or infinite."""
    arr = as_array(x, name, ndim)
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise MetricInputError(f"{name}: {bad} value(s) are NaN or infinite")
    return arr


def paired(a: Any, b: Any, name_a: str, name_b: str) -> tuple[np.ndarray, np.ndarray]:
    """Two (N, D) embedding matrices whose row i is a matched pair."""
    x = as_finite(a, name_a, 2)
    y = as_finite(b, name_b, 2)
    if x.shape != y.shape:
        raise MetricInputError(f"{name_a} and {name_b}: shapes {tuple(x.shape)} and {tuple(y.shape)} differ")
    if x.shape[0] == 0:
        raise MetricInputError(f"{name_a}: no rows")
    return x, y


def motion_batch(
    joints: Any, name: str, lengths: Any = None
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Bring (T, J, 3) or (B, T, J, 3) joints to (B, T, J, 3) with a (B, T) valid-frame mask.

    ``lengths`` (B,) gives the number of real frames per padded motion (None: all frames).
    Returns (joints, mask, batched) where ``batched`` says whether the input had a batch axis.
    """
    x = as_finite(joints, name, (3, 4))
    if x.shape[-1] != 3:
        raise MetricInputError(f"{name}: last axis must hold (x, y, z), got shape {tuple(x.shape)}")
    batched = x.ndim == 4
    if not batched:
        x = x[None]  # (1, T, J, 3)
    B, T = x.shape[:2]
    if lengths is None:
        lens = np.full(B, T, dtype=np.int64)
    else:
        lens = as_array(lengths, "lengths", (0, 1), dtype=np.float64).reshape(-1)
        if lens.shape[0] != B:
            raise MetricInputError(f"lengths: {lens.shape[0]} value(s) for {B} motion(s) in {name}")
        if (lens != np.round(lens)).any() or (lens < 1).any() or (lens > T).any():
            raise MetricInputError(f"lengths: values must be whole numbers in [1, {T}], got {lens.tolist()}")
        lens = lens.astype(np.int64)
    mask = np.arange(T)[None, :] < lens[:, None]  # (B, T)
    return x, mask, batched
