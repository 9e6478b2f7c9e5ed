"""Time curves for the procedural corpus: easing, keyframes, ramps, ballistic flight (issue §5).

All functions are vectorised over frames; times are seconds.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

G = 9.81  # m/s^2
FPS = 20.0


def times(T: int, fps: float = FPS) -> np.ndarray:
    return np.arange(T, dtype=np.float64) / fps


def smooth(x: np.ndarray) -> np.ndarray:
    """Smoothstep on [0, 1] (clipped): zero slope at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def minjerk(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile on [0, 1] (clipped): zero velocity and acceleration at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10.0 - 15.0 * x + 6.0 * x * x)


def ramp(t: np.ndarray, t0: float, t1: float, f=smooth) -> np.ndarray:
    """0 before t0, 1 after t1, eased in between."""
    if t1 <= t0:
        return (t >= t0).astype(np.float64)
    return f((t - t0) / (t1 - t0))


def window(t: np.ndarray, t0: float, t1: float, rise: float, fall: float | None = None) -> np.ndarray:
    """1 on [t0, t1], eased up over ``rise`` before t0 and down over ``fall`` after t1."""
    fall = rise if fall is None else fall
    return ramp(t, t0 - rise, t0) * (1.0 - ramp(t, t1, t1 + fall))


def keys(t_keys, values, t: np.ndarray, spline: bool = True) -> np.ndarray:
    """Interpolate keyframes ``values`` (K, ...) at times ``t_keys`` (K,) -> (T, ...).

    ``spline``: Catmull-Rom (C1, passes through the keys with non-zero velocity at inner keys)
    with zero velocity at the first and last key; otherwise ease in/out between every pair.
    Values before the first key / after the last are held.
    """
    tk = np.asarray(t_keys, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    K = len(tk)
    if K == 1:
        return np.broadcast_to(v[0], (len(t),) + v.shape[1:]).copy()
    k = np.clip(np.searchsorted(tk, t, side="right") - 1, 0, K - 2)
    h = tk[k + 1] - tk[k]
    s = np.clip((t - tk[k]) / np.maximum(h, 1e-9), 0.0, 1.0)
    extra = (1,) * (v.ndim - 1)
    s = s.reshape(-1, *extra)
    if not spline:
        return v[k] + (v[k + 1] - v[k]) * smooth(s)
    m = np.zeros_like(v)  # tangents per second
    if K > 2:
        m[1:-1] = (v[2:] - v[:-2]) / (tk[2:] - tk[:-2]).reshape(-1, *extra)
    hh = h.reshape(-1, *extra)
    s2, s3 = s * s, s * s * s
    return ((2 * s3 - 3 * s2 + 1) * v[k] + (s3 - 2 * s2 + s) * hh * m[k]
            + (-2 * s3 + 3 * s2) * v[k + 1] + (s3 - s2) * hh * m[k + 1])


def flight_bounce(t: np.ndarray, support: list[tuple[float, float]], t_end: float) -> np.ndarray:
    """Vertical pelvis offset (T,) implied by ground contact intervals (seconds, sorted, merged).

    Gaps between support intervals are ballistic flights (a parabola of apex g*tf^2/8); each
    support phase between flights dips by the depth that makes the vertical velocity continuous
    (g * tf * ts / (2 pi)). Support at the very start/end (no adjacent flight) does not move.
    """
    y = np.zeros_like(t)
    if len(support) < 2:
        return y
    flights = [(a[1], b[0]) for a, b in pairwise(support) if b[0] > a[1] + 1e-6]
    for f0, f1 in flights:
        m = (t > f0) & (t < f1)
        y[m] = 0.5 * G * (t[m] - f0) * (f1 - t[m])
    for i, (s0, s1) in enumerate(support):
        before = support[i - 1][1] if i > 0 else None
        after = support[i + 1][0] if i + 1 < len(support) else None
        tf = [s0 - before] if before is not None and s0 > before + 1e-6 else []
        tf += [after - s1] if after is not None and after > s1 + 1e-6 else []
        if not tf or i == 0 or i == len(support) - 1:
            continue
        ts = s1 - s0
        depth = G * float(np.mean(tf)) * ts / (2 * np.pi)
        m = (t >= s0) & (t <= s1)
        y[m] -= depth * np.sin(np.pi * (t[m] - s0) / max(ts, 1e-6))
    return y


def merge_intervals(iv: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of intervals, sorted."""
    out: list[list[float]] = []
    for a, b in sorted(iv):
        if out and a <= out[-1][1] + 1e-9:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def wrap(a: np.ndarray) -> np.ndarray:
    """Angle wrapped to (-pi, pi]."""
    return np.arctan2(np.sin(a), np.cos(a))


def hermite(t_keys, values, slopes, t: np.ndarray) -> np.ndarray:
    """Cubic Hermite through keys with given slopes (per second); held outside the key range."""
    tk = np.asarray(t_keys, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    m = np.asarray(slopes, dtype=np.float64)
    k = np.clip(np.searchsorted(tk, t, side="right") - 1, 0, len(tk) - 2)
    h = tk[k + 1] - tk[k]
    s = np.clip((t - tk[k]) / np.maximum(h, 1e-9), 0.0, 1.0)
    s2, s3 = s * s, s * s * s
    out = ((2 * s3 - 3 * s2 + 1) * v[k] + (s3 - 2 * s2 + s) * h * m[k]
           + (-2 * s3 + 3 * s2) * v[k + 1] + (s3 - s2) * h * m[k + 1])
    out = np.where(t < tk[0], v[0], out)
    return np.where(t > tk[-1], v[-1], out)
