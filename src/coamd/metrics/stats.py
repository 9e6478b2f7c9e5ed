"""Confidence intervals over repeated evaluations (paper-brief §6.2: 20 repeats, mean ± 1.96·σ/√n).

As in Guo et al.'s and CoAMD's evaluation code, σ is the *population* standard deviation of
the per-repeat values (``np.std``, ddof=0), so the half-width is slightly narrower than a
sample-std (ddof=1) interval would be; docs/metrics.md states this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .inputs import MetricInputError, as_array

Z_95 = 1.96


def mean_ci(values: Any) -> tuple[float | np.ndarray, float | np.ndarray]:
    """(mean, half-width of the 95% interval) of per-repeat values along axis 0.

    Scalar repeats give python floats; repeats of arrays (e.g. R-precision top-1..3) give
    numpy arrays. Half-width = 1.96 · std(ddof=0) / √n; it is 0 for a single repeat.
    """
    v = as_array(values, "values")
    if v.ndim == 0 or v.shape[0] == 0:
        raise MetricInputError(f"values: expected a non-empty sequence of repeats, got shape {tuple(v.shape)}")
    n = v.shape[0]
    mean = v.mean(axis=0)
    half = Z_95 * v.std(axis=0) / np.sqrt(n)
    if mean.ndim == 0:
        return float(mean), float(half)
    return mean, half


def aggregate_repeats(repeats: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Turn per-repeat metric dicts into {metric: {"mean", "ci95", "n"}}.

    Every repeat must report the same metrics. Scalar metrics give floats; array-valued ones
    (such as R-precision top-1..3) give lists of floats, so the result can be written as JSON.
    """
    if not repeats:
        raise MetricInputError("repeats: no per-repeat results to aggregate")
    keys = list(repeats[0])
    for i, rep in enumerate(repeats):
        if set(rep) != set(keys):
            missing = sorted(set(keys) - set(rep))
            extra = sorted(set(rep) - set(keys))
            raise MetricInputError(f"repeats[{i}]: metrics differ from repeat 0 (missing {missing}, extra {extra})")
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        try:
            values = np.stack([np.asarray(rep[key], dtype=np.float64) for rep in repeats])  # (n, ...)
        except (TypeError, ValueError) as exc:
            raise MetricInputError(f"repeats: metric {key!r} is not numeric with one shape across repeats ({exc})") \
                from None
        mean, half = mean_ci(values)
        if isinstance(mean, np.ndarray):
            mean, half = mean.tolist(), half.tolist()
        out[key] = {"mean": mean, "ci95": half, "n": len(repeats)}
    return out
