"""BVH export of joint-position motion (Tasks §5): positions -> IK rotations -> a Biovision file.

`save_bvh` turns a canonical (T, 22, 3) motion (metres, Y up, facing +Z) into a BVH file that
Blender's BVH importer (File > Import > Motion Capture) reads as it is: Y up, one ROOT with
``Xposition Yposition Zposition`` followed by three rotation channels, three rotation channels on
every other joint, an ``End Site`` under each leaf, ``Frames:`` and ``Frame Time:``. The rotation
channel order is the ``order`` argument (default ``ZXY``: local rotation Rz @ Rx @ Ry, see
`coamd.skeleton.rotations`). Angles are in degrees and continuous over time (no ±180° jumps).

Skeleton written for SMPL-22 (HumanML3D joint order, SMPL joint names), parent in brackets::

    Pelvis -> L_Hip -> L_Knee -> L_Ankle -> L_Foot (End Site: toes)
           -> R_Hip -> R_Knee -> R_Ankle -> R_Foot (End Site: toes)
           -> Spine1 -> Spine2 -> Spine3 -> Neck -> Head (End Site: top of head)
                                        -> L_Collar -> L_Shoulder -> L_Elbow -> L_Wrist (End Site: hand)
                                        -> R_Collar -> R_Shoulder -> R_Elbow -> R_Wrist (End Site: hand)

Rest pose: a T-pose, Y up, facing +Z, the character's left at +X, in the units asked for: legs
straight down, feet pointing forward (+Z), spine, neck and head straight up, arms horizontal
along ±X (palms down). The pelvis and chest keep the motion's own layout (hips slightly below
and behind the pelvis, collars up and out from spine3), measured from the clip. Bone lengths
are the clip's own (median over frames), so re-importing reproduces the input positions.
The ROOT offset is zero and the root position channels hold the absolute pelvis position.

Retargeting: the SMPL names and T-pose match what Blender retarget add-ons expect (Rokoko
Studio Live's retargeting, Auto-Rig Pro's Remap, or Blender's own BVH importer + a copy-rotation
rig); set the add-on's source rest pose to "T-pose". Units: metres by default; ``units="cm"``
for tools that assume centimetres (Maya, MotionBuilder, Unreal).

`read_back` is a minimal reader used to check the round trip (positions back from any BVH).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..errors import CoamdError, MotionFormatError
from ..skeleton import SMPL22, Skeleton, validate_motion
from ..skeleton.rotations import matrix_to_euler
from .bvh import bvh_to_rig, parse_bvh
from .ik import solve_ik

UNITS: dict[str, float] = {"m": 1.0, "cm": 100.0}

_X, _NX, _Y, _NY, _Z = (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, 1.0)
# T-pose bone directions (by child joint, SMPL-22 order): HumanML3D's rest directions with the
# arms raised to horizontal and the head upright. Rows of branching joints' children (hips,
# spine1, neck, collars) only seed the fit; their offsets are measured from the motion.
_T_POSES: dict[str, tuple[tuple[float, float, float], ...]] = {
    SMPL22.name: (
        (0.0, 0.0, 0.0), _X, _NX, _Y, _NY, _NY, _Y, _NY, _NY, _Y, _Z, _Z, _Y, _X, _NX, _Y, _X, _NX, _X, _NX,
        _X, _NX,
    ),
}

# an End Site sticks out of a leaf joint by this fraction of the leaf's own bone
_END_SITE_FRACTION = 0.5


def bvh_joint_names(skeleton: Skeleton = SMPL22) -> list[str]:
    """Joint names written to the BVH: SMPL style ('pelvis' -> 'Pelvis', 'L_hip' -> 'L_Hip')."""
    return ["_".join(part[:1].upper() + part[1:] for part in name.split("_")) for name in skeleton.joint_names]


def t_pose_directions(skeleton: Skeleton = SMPL22) -> np.ndarray:
    """(J, 3) rest bone directions of the exported rest pose (the skeleton's own if no T-pose is known)."""
    return np.asarray(_T_POSES.get(skeleton.name, skeleton.rest_directions), dtype=np.float64)


def save_bvh(
    path: str | os.PathLike,
    joints: np.ndarray,
    fps: float = 20.0,
    *,
    order: str = "ZXY",
    units: str = "m",
    skeleton: Skeleton = SMPL22,
) -> Path:
    """Write ``joints`` (T, J, 3) in metres, Y up, as a BVH file (atomically); returns the path.

    Args:
        fps: frame rate of ``joints``; the file's Frame Time is 1 / fps.
        order: rotation channel order, a permutation of 'XYZ' (e.g. 'ZXY', 'ZYX', 'XYZ').
        units: 'm' or 'cm' for offsets and root positions in the file.
    """
    text = bvh_text(joints, fps, order=order, units=units, skeleton=skeleton)
    path = Path(path)
    with atomic_open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    return path


def bvh_text(
    joints: np.ndarray,
    fps: float = 20.0,
    *,
    order: str = "ZXY",
    units: str = "m",
    skeleton: Skeleton = SMPL22,
) -> str:
    """The BVH file contents for ``joints`` (T, J, 3); see `save_bvh`."""
    order = _check_order(order)
    if units not in UNITS:
        raise CoamdError(f"units: expected one of {sorted(UNITS)}, got {units!r}")
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        raise CoamdError(f"fps: expected a positive number, got {fps!r}") from None
    if not (math.isfinite(fps) and fps > 0):
        raise CoamdError(f"fps: expected a positive number, got {fps!r}")
    try:
        x = validate_motion(joints, skeleton, "joints").astype(np.float64)  # (T, J, 3)
    except ValueError as e:
        raise MotionFormatError(str(e)) from None
    scale = UNITS[units]
    ik = solve_ik(x, skeleton, rest_directions=t_pose_directions(skeleton))
    angles = euler_channels(ik.local_rotations, order)  # (T, J, 3) degrees
    names = bvh_joint_names(skeleton)
    kids = [skeleton.children(j) for j in range(skeleton.num_joints)]
    axes = " ".join(f"{a}rotation" for a in order)

    lines = ["HIERARCHY"]
    file_order: list[int] = []

    def emit(j: int, depth: int) -> None:
        pad = "\t" * depth
        file_order.append(j)
        root = skeleton.parents[j] < 0
        lines.append(f"{pad}{'ROOT' if root else 'JOINT'} {names[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}\tOFFSET {_fmt_vec(ik.offsets[j] * scale)}")
        lines.append(f"{pad}\tCHANNELS 6 Xposition Yposition Zposition {axes}" if root
                     else f"{pad}\tCHANNELS 3 {axes}")
        for c in kids[j]:
            emit(c, depth + 1)
        if not kids[j]:
            lines.append(f"{pad}\tEnd Site")
            lines.append(f"{pad}\t{{")
            lines.append(f"{pad}\t\tOFFSET {_fmt_vec(ik.offsets[j] * _END_SITE_FRACTION * scale)}")
            lines.append(f"{pad}\t}}")
        lines.append(f"{pad}}}")

    emit(skeleton.root, 0)
    T = x.shape[0]
    lines += ["MOTION", f"Frames: {T}", f"Frame Time: {1.0 / fps:.8f}"]
    motion = np.concatenate([ik.root_positions * scale, angles[:, file_order].reshape(T, -1)], axis=1)  # (T, C)
    lines += [" ".join(f"{v:.6f}" for v in row) for row in np.round(motion, 6) + 0.0]
    return "\n".join(lines) + "\n"


def euler_channels(local_rotations: np.ndarray, order: str = "ZXY") -> np.ndarray:
    """Continuous Euler angles in degrees (T, J, 3) for rotations (T, J, 3, 3) in channel ``order``.

    Every rotation has two Euler triples (a, b, c) and (a + 180, 180 - b, c + 180), each up to
    multiples of 360. Frame by frame the triple nearest the previous frame's is kept, so angle
    curves never jump by ±360 or flip branch when a joint or the whole body turns around.
    Near gimbal lock of the order (middle angle ±90°) the outer two angles still change fast,
    as with any Euler order: pick one whose middle axis the motion rarely turns 90° about
    (for ZXY that is a 90° pitch, e.g. the root of a body lying face down).
    """
    order = _check_order(order)
    e = matrix_to_euler(local_rotations, order)  # (T, J, 3) radians, middle angle in [-pi/2, pi/2]
    alt = np.stack([e[..., 0] + np.pi, np.pi - e[..., 1], e[..., 2] + np.pi], axis=-1)
    out = np.empty_like(e)
    out[0] = e[0]  # the principal branch (|middle angle| <= 90 degrees) to start
    for t in range(1, e.shape[0]):
        prev = out[t - 1]
        a, b = _nearest(e[t], prev), _nearest(alt[t], prev)
        pick = np.abs(a - prev).sum(-1) <= np.abs(b - prev).sum(-1)  # (J,)
        out[t] = np.where(pick[:, None], a, b)
    return np.rad2deg(out)


def _nearest(angles: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``angles`` shifted by multiples of 2 pi to lie nearest ``ref`` (same shape)."""
    return angles + 2.0 * np.pi * np.round((ref - angles) / (2.0 * np.pi))


# ---------------------------------------------------------------------------------- reading back
@dataclass
class BvhClip:
    """A parsed BVH file: joint names, parents and positions (T, J, 3) in the file's units."""

    names: list[str]
    parents: list[int]
    offsets: np.ndarray  # (J, 3)
    channels: list[list[str]]
    positions: np.ndarray  # (T, J, 3)
    frame_time: float

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time


def read_back(path: str | os.PathLike) -> BvhClip:
    """Parse a BVH file (with the importer's parser) and run its forward kinematics, in file units.

    End sites appear as joints named ``<parent>/end``; position channels replace the OFFSET.
    """
    bvh = parse_bvh(path)
    rig = bvh_to_rig(bvh)
    return BvhClip(names=list(bvh.names), parents=list(bvh.parents), offsets=np.asarray(bvh.offsets),
                   channels=[list(c) for c in bvh.channels], positions=rig.positions(),
                   frame_time=bvh.frame_time)


def round_trip_error(path: str | os.PathLike, joints: np.ndarray, units: str = "m",
                     skeleton: Skeleton = SMPL22) -> float:
    """Mean per-joint position error (metres) between ``joints`` (T, J, 3) and the file re-read."""
    clip = read_back(path)
    index = {n: k for k, n in enumerate(clip.names)}
    try:
        cols = [index[n] for n in bvh_joint_names(skeleton)]
    except KeyError as e:
        raise MotionFormatError(f"{path}: BVH has no joint {e.args[0]!r}") from None
    back = clip.positions[:, cols] / UNITS[units]  # (T, J, 3)
    if back.shape != np.shape(joints):
        raise MotionFormatError(f"{path}: re-read {back.shape[0]} frames, expected {np.shape(joints)[0]}")
    return float(np.linalg.norm(back - np.asarray(joints, dtype=np.float64), axis=-1).mean())


# ---------------------------------------------------------------------------------- helpers
def _check_order(order: str) -> str:
    up = str(order).upper()
    if sorted(up) != ["X", "Y", "Z"]:
        raise CoamdError(f"order: expected a permutation of XYZ such as ZXY or ZYX, got {order!r}")
    return up


def _fmt_vec(v: np.ndarray) -> str:
    return " ".join(f"{c:.6f}" for c in np.round(np.asarray(v, dtype=np.float64), 6) + 0.0)
