"""Rotation conversions in NumPy: Euler (any axis order), matrices, quaternions, axis-angle.

Conventions: matrices act on column vectors (v' = R v); quaternions are (w, x, y, z). A BVH
channel order such as "ZXY" means the local rotation is R = Rz(a) @ Rx(b) @ Ry(c), i.e. intrinsic
rotations applied in the order the channels are listed (the BVH/Blender convention).
"""

from __future__ import annotations

import numpy as np


def axis_angle_to_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues. axis (..., 3) (normalised here), angle (...) radians -> (..., 3, 3)."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-12)
    angle = np.asarray(angle, dtype=np.float64)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    c, s = np.cos(angle), np.sin(angle)
    C = 1.0 - c
    m = np.stack(
        [
            c + x * x * C, x * y * C - z * s, x * z * C + y * s,
            y * x * C + z * s, c + y * y * C, y * z * C - x * s,
            z * x * C - y * s, z * y * C + x * s, c + z * z * C,
        ],
        axis=-1,
    )
    return m.reshape(*m.shape[:-1], 3, 3)


def axis_rotation(axis: str, angle: np.ndarray) -> np.ndarray:
    """Rotation about one principal axis ('X', 'Y' or 'Z'); angle (...) radians -> (..., 3, 3)."""
    angle = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(angle), np.zeros_like(angle)
    if axis == "X":
        rows = [o, z, z, z, c, -s, z, s, c]
    elif axis == "Y":
        rows = [c, z, s, z, o, z, -s, z, c]
    elif axis == "Z":
        rows = [c, -s, z, s, c, z, z, z, o]
    else:
        raise ValueError(f"unknown rotation axis {axis!r}")
    return np.stack(rows, axis=-1).reshape(*angle.shape, 3, 3)


def euler_to_matrix(angles: np.ndarray, order: str, degrees: bool = False) -> np.ndarray:
    """angles (..., 3) listed in ``order`` (e.g. 'ZXY') -> R = R_order[0] @ R_order[1] @ R_order[2]."""
    angles = np.asarray(angles, dtype=np.float64)
    if degrees:
        angles = np.deg2rad(angles)
    order = order.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise ValueError(f"Euler order must be a permutation of XYZ, got {order!r}")
    m = axis_rotation(order[0], angles[..., 0])
    for k in (1, 2):
        m = m @ axis_rotation(order[k], angles[..., k])
    return m


def matrix_to_euler(m: np.ndarray, order: str, degrees: bool = False) -> np.ndarray:
    """Inverse of ``euler_to_matrix`` for intrinsic Tait-Bryan orders -> (..., 3)."""
    m = np.asarray(m, dtype=np.float64)
    order = order.upper()
    i, j, k = ("XYZ".index(a) for a in order)
    # sign of the permutation: +1 for cyclic orders (XYZ, YZX, ZXY), -1 otherwise
    sign = 1.0 if (j - i) % 3 == 1 else -1.0
    # R = Ri(a) Rj(b) Rk(c): R[i, k] = sign * sin(b)
    sb = np.clip(sign * m[..., i, k], -1.0, 1.0)
    b = np.arcsin(sb)
    cb = np.cos(b)
    regular = np.abs(cb) > 1e-6
    a = np.where(regular, np.arctan2(-sign * m[..., j, k], m[..., k, k]), np.arctan2(sign * m[..., k, j], m[..., j, j]))
    c = np.where(regular, np.arctan2(-sign * m[..., i, j], m[..., i, i]), 0.0)
    out = np.stack([a, b, c], axis=-1)
    return np.rad2deg(out) if degrees else out


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """q (..., 4) as (w, x, y, z), normalised here -> (..., 3, 3)."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    m = np.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
        ],
        axis=-1,
    )
    return m.reshape(*m.shape[:-1], 3, 3)


def matrix_to_quat(m: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 4) unit quaternions with w >= 0 (Shepperd's method, branch-free)."""
    m = np.asarray(m, dtype=np.float64)
    t = np.stack(
        [
            1 + m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2],
            1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2],
            1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2],
            1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2],
        ],
        axis=-1,
    )
    best = np.argmax(t, axis=-1)
    cand = np.stack(
        [
            np.stack([t[..., 0], m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1),
            np.stack([m[..., 2, 1] - m[..., 1, 2], t[..., 1], m[..., 1, 0] + m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0]], -1),
            np.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] + m[..., 0, 1], t[..., 2], m[..., 2, 1] + m[..., 1, 2]], -1),
            np.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0], m[..., 2, 1] + m[..., 1, 2], t[..., 3]], -1),
        ],
        axis=-2,
    )  # (..., 4 candidates, 4)
    q = np.take_along_axis(cand, best[..., None, None].repeat(4, -1), axis=-2)[..., 0, :]
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return q * np.where(q[..., :1] < 0, -1.0, 1.0)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction a (..., 3) onto direction b (..., 3) -> (..., 3, 3)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)
    # anti-parallel: rotate by pi about any axis orthogonal to a
    helper = np.where(np.abs(a[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    ortho = np.cross(a, helper)
    axis = np.where((s < 1e-8)[..., None], ortho, axis)
    return axis_angle_to_matrix(axis, np.arctan2(s, c))


def yaw_matrix(angle: np.ndarray) -> np.ndarray:
    """Rotation about +Y (the up axis) by ``angle`` radians -> (..., 3, 3)."""
    return axis_rotation("Y", angle)
