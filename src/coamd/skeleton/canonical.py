"""The canonical motion convention (HumanML3D ``new_joints``) and operations on joint arrays.

Canonical motion: float32 (T, J, 3), metres, 20 fps, Y up, floor at y = 0, first-frame pelvis XZ
at the origin, first frame facing +Z with the person's left side at +X. The procedure mirrors
HumanML3D's ``process_file``: floor = lowest joint over the clip, root XZ to the origin, then a
yaw so that the first frame's forward direction (up x (right - left), from hips and shoulders)
points along +Z.
"""

from __future__ import annotations

import numpy as np

from .rotations import yaw_matrix
from .spec import Skeleton
from .trees import SMPL22

CANONICAL_FPS = 20.0


def facing_directions(joints: np.ndarray, skeleton: Skeleton = SMPL22) -> np.ndarray:
    """Unit forward direction on the ground plane for each frame: (T, J, 3) -> (T, 3)."""
    r_hip, l_hip, r_sh, l_sh = skeleton.face_joints
    across = (joints[..., r_hip, :] - joints[..., l_hip, :]) + (joints[..., r_sh, :] - joints[..., l_sh, :])
    forward = np.cross(np.array([0.0, 1.0, 0.0]), across)
    forward[..., 1] = 0.0
    norm = np.linalg.norm(forward, axis=-1, keepdims=True)
    return forward / np.maximum(norm, 1e-8)


def facing_angles(joints: np.ndarray, skeleton: Skeleton = SMPL22) -> np.ndarray:
    """Heading angle (radians) per frame, 0 when facing +Z, positive towards +X: (T,)."""
    f = facing_directions(joints, skeleton)
    return np.arctan2(f[..., 0], f[..., 2])


def root_trajectory(joints: np.ndarray, skeleton: Skeleton = SMPL22) -> np.ndarray:
    """Ground-plane (X, Z) path of the root joint: (T, J, 3) -> (T, 2)."""
    return joints[:, skeleton.root][:, [0, 2]].copy()


def rotate_yaw(joints: np.ndarray, angle: float) -> np.ndarray:
    """Rotate every position about the vertical axis through the origin."""
    R = yaw_matrix(np.asarray(angle))
    return joints @ R.T


def canonicalize(
    joints: np.ndarray,
    skeleton: Skeleton = SMPL22,
    floor: bool = True,
    origin: bool = True,
    facing: bool = True,
) -> np.ndarray:
    """Put a (T, J, 3) Y-up motion in the canonical frame (float32 copy; the input is untouched)."""
    x = np.array(joints, dtype=np.float64, copy=True)
    if x.ndim != 3 or x.shape[-1] != 3 or x.shape[1] != skeleton.num_joints:
        raise ValueError(f"expected motion of shape (T, {skeleton.num_joints}, 3), got {tuple(x.shape)}")
    if floor:
        x[..., 1] -= x[..., 1].min()
    if origin:
        root0 = x[0, skeleton.root].copy()
        x[..., 0] -= root0[0]
        x[..., 2] -= root0[2]
    if facing:
        heading = facing_angles(x[:1], skeleton)[0]
        x = rotate_yaw(x, -heading)
    return x.astype(np.float32)


def mirror(joints: np.ndarray, skeleton: Skeleton = SMPL22) -> np.ndarray:
    """Left/right mirror image: negate X and swap left and right joints."""
    out = np.array(joints, copy=True)[..., list(skeleton.mirror_map), :]
    out[..., 0] *= -1.0
    return out


def resample(joints: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Linear-interpolation resampling along time; keeps the first frame and the duration."""
    T = joints.shape[0]
    if fps_in <= 0 or fps_out <= 0:
        raise ValueError(f"fps must be positive, got {fps_in} -> {fps_out}")
    if T == 0 or abs(fps_in - fps_out) < 1e-9:
        return np.array(joints, copy=True)
    duration = (T - 1) / fps_in
    n_out = int(np.floor(duration * fps_out + 1e-6)) + 1
    t_out = np.arange(n_out) / fps_out * fps_in  # positions in input-frame units
    lo = np.clip(np.floor(t_out).astype(int), 0, T - 1)
    hi = np.clip(lo + 1, 0, T - 1)
    w = (t_out - lo).reshape(-1, *([1] * (joints.ndim - 1)))
    out = joints[lo] * (1.0 - w) + joints[hi] * w
    return out.astype(joints.dtype, copy=False)


MAX_ABS_COORDINATE = 1e5  # no human motion spans 100 km in metres (or 100 m in millimetres)


def validate_motion(joints: np.ndarray, skeleton: Skeleton = SMPL22, what: str = "motion",
                    max_abs: float = MAX_ABS_COORDINATE) -> np.ndarray:
    """Accept (T, J, 3) or (T, J*3); return (T, J, 3) float32 or raise ValueError naming the problem.

    Finiteness is checked *after* the cast to float32 (a float64 of 1e300 is finite, its float32
    is not), and so is a plausible magnitude (``max_abs``): coordinates of 1e30 would turn into
    NaN in the first normalisation or rotation."""
    x = np.asarray(joints)
    J = skeleton.num_joints
    if x.ndim == 2 and x.shape[1] == 3 * J:
        x = x.reshape(x.shape[0], J, 3)
    if x.ndim != 3 or x.shape[1:] != (J, 3):
        raise ValueError(f"{what}: expected shape (T, {J}, 3) or (T, {3 * J}), got {tuple(x.shape)}")
    if x.shape[0] < 1:
        raise ValueError(f"{what}: has no frames")
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{what}: expected numbers, got dtype {x.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        x32 = x.astype(np.float32)
    if not np.isfinite(x32).all():
        bad = int((~np.isfinite(x32)).any(axis=(1, 2)).sum())
        raise ValueError(f"{what}: {bad} frame(s) contain NaN or infinite values (or values too large for float32)")
    big = float(np.abs(x32).max())
    if big > max_abs:
        raise ValueError(f"{what}: coordinates up to {big:.3g} are not plausible body positions "
                         f"(limit {max_abs:g}); check the units")
    return x32
