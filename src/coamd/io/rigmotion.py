"""A rotation-driven motion on an arbitrary rig (what BVH and ASF/AMC files hold), before mapping.

Importers of rotation formats (paper-brief §2.1: every motion ends as SMPL-22 joint positions at
20 fps) parse into `RigMotion`: a joint tree with rest offsets, per-frame local rotations and
per-frame root positions. Resampling happens on the *rotations* (quaternion slerp) and the
translations (linear) before forward kinematics, so bone lengths stay exact; interpolating the
joint positions instead would shorten bones mid-swing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import forward_kinematics, topological_order
from ..skeleton.rotations import matrix_to_quat, quat_to_matrix


@dataclass
class RigMotion:
    """Joint tree plus motion, in the file's own length unit and axes.

    names: one per joint (end sites are named ``<parent>/end``); parents: parent index, -1 for
    the root; is_end: True for end sites (never matched by name to SMPL joints).
    offsets: (J, 3) rest offset of each joint from its parent, in the parent's frame.
    translations: (T, J, 3) or None, per-frame offsets overriding ``offsets`` (BVH position
    channels on non-root joints).
    local_rotations: (T, J, 3, 3); root_positions: (T, 3); fps: frame rate of these frames.
    """

    names: list[str]
    parents: list[int]
    is_end: list[bool]
    offsets: np.ndarray
    local_rotations: np.ndarray
    root_positions: np.ndarray
    fps: float
    translations: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return int(self.local_rotations.shape[0])

    def positions(self) -> np.ndarray:
        """Forward kinematics: (T, J, 3) joint positions in file units."""
        offsets = self.offsets if self.translations is None else self.translations
        pos, _ = forward_kinematics(
            None, self.local_rotations, offsets, self.root_positions,  # type: ignore[arg-type]
            parents=tuple(self.parents), order=topological_order(self.parents),
        )
        return pos

    def resampled(self, fps_out: float) -> RigMotion:
        """The same motion at ``fps_out``: slerp on rotations, linear on translations.

        The time grid matches `coamd.skeleton.resample`: the first frame is kept, the duration
        is kept, and the output has floor(duration * fps_out) + 1 frames.
        """
        if abs(self.fps - fps_out) < 1e-9 or self.num_frames < 2:
            return self
        lo, hi, w = _time_grid(self.num_frames, self.fps, fps_out)
        quats = matrix_to_quat(self.local_rotations)  # (T, J, 4)
        rot = quat_to_matrix(slerp(quats[lo], quats[hi], w[:, None]))  # (T', J, 3, 3)
        root = _lerp(self.root_positions, lo, hi, w)  # (T', 3)
        trans = None if self.translations is None else _lerp(self.translations, lo, hi, w)
        return RigMotion(self.names, self.parents, self.is_end, self.offsets, rot, root, fps_out, trans)


def _time_grid(num_frames: int, fps_in: float, fps_out: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source frame pairs and weights for each output frame: (T',), (T',), (T',)."""
    duration = (num_frames - 1) / fps_in
    n_out = int(np.floor(duration * fps_out + 1e-6)) + 1
    t = np.arange(n_out) / fps_out * fps_in  # output times in source-frame units
    lo = np.clip(np.floor(t + 1e-9).astype(int), 0, num_frames - 1)
    hi = np.clip(lo + 1, 0, num_frames - 1)
    w = np.clip(t - lo, 0.0, 1.0)
    return lo, hi, w


def _lerp(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, w: np.ndarray) -> np.ndarray:
    w = w.reshape(-1, *([1] * (x.ndim - 1)))
    return x[lo] * (1.0 - w) + x[hi] * w


def slerp(q0: np.ndarray, q1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation of unit quaternions (..., 4) with weights broadcasting to (...)."""
    q0 = np.asarray(q0, dtype=np.float64)
    q1 = np.asarray(q1, dtype=np.float64)
    dot = np.sum(q0 * q1, axis=-1)
    q1 = np.where((dot < 0)[..., None], -q1, q1)  # take the short way round
    dot = np.clip(np.abs(dot), -1.0, 1.0)
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), dot.shape)
    theta = np.arccos(dot)
    sin_t = np.sin(theta)
    near = sin_t < 1e-6  # nearly equal rotations: linear blend is exact to first order
    safe = np.where(near, 1.0, sin_t)
    a = np.where(near, 1.0 - w, np.sin((1.0 - w) * theta) / safe)
    b = np.where(near, w, np.sin(w * theta) / safe)
    q = a[..., None] * q0 + b[..., None] * q1
    return q / np.linalg.norm(q, axis=-1, keepdims=True)
