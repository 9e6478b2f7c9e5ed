"""From a rig's motion (file units, file axes, file fps) to canonical SMPL-22 (paper-brief §2.1).

Steps: resample rotations to the target rate (slerp, exact bone lengths) -> forward kinematics
-> map rig joints onto SMPL-22 (`rigs`) -> length unit to metres (given, or detected from the
body's size) -> make Y the up axis (Z-up and other rigs detected from the body) -> place toe
bases a rig lacks -> `canonicalize` (floor, origin, facing +Z).
"""

from __future__ import annotations

import numpy as np

from ..errors import CoamdError, MotionFormatError
from ..skeleton import SMPL22, canonicalize, validate_motion
from ..skeleton.rotations import rotation_between
from .rigmotion import RigMotion
from .rigs import apply_mapping, build_mapping, fill_missing_feet

UNITS: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254}
UNIT_ALIASES = {"meter": "m", "meters": "m", "metre": "m", "metres": "m", "centimeters": "cm", "millimeters": "mm",
                "in": "inch", "inches": "inch"}

# Path length ankle -> knee -> hip -> pelvis -> spine -> neck -> head on HumanML3D new_joints
# (the sample clip gives 1.58 m); used to tell centimetres from inches from metres.
TYPICAL_BODY_PATH_M = 1.58
_BODY_PATH = ("L_ankle", "L_knee", "L_hip", "pelvis", "spine1", "spine2", "spine3", "neck", "head")


def unit_scale(units: str, where: str = "units") -> tuple[str, float]:
    """('cm', 0.01) for 'cm'; unknown names raise CoamdError listing the accepted ones."""
    key = UNIT_ALIASES.get(units.lower(), units.lower())
    if key not in UNITS:
        raise CoamdError(f"{where}: unknown length unit {units!r} (use one of {', '.join(UNITS)})")
    return key, UNITS[key]


def body_path_length(joints: np.ndarray) -> float:
    """Median over frames of the ankle-to-head path length of (T, 22, 3) SMPL joints."""
    idx = [SMPL22.index(n) for n in _BODY_PATH]
    seg = np.linalg.norm(np.diff(joints[:, idx], axis=1), axis=-1).sum(axis=1)  # (T,)
    return float(np.median(seg))


def detect_units(joints: np.ndarray, prefer: str | None = None) -> str:
    """The unit that makes the body's size closest to a human's (m, cm, mm or inch).

    ``prefer`` (e.g. 'inch' for Acclaim files) wins whenever it gives a plausible adult or
    child (0.8-2.6 m ankle-to-head path).
    """
    size = body_path_length(joints)
    if not np.isfinite(size) or size <= 0:
        raise MotionFormatError("cannot measure the skeleton's size (zero-length bones)")
    if prefer is not None and 0.8 <= size * UNITS[prefer] <= 2.6:
        return prefer
    return min(UNITS, key=lambda u: abs(np.log(size * UNITS[u] / TYPICAL_BODY_PATH_M)))


def up_axis(joints: np.ndarray) -> np.ndarray:
    """The signed world axis (3,) that is "up" for this body: (T, 22, 3) -> (3,).

    Standing is the default: +Y stays up whenever the feet-to-head direction is within 45° of
    +Y in at least 20% of the frames (a clip that ends lying down keeps its axes). Otherwise
    the signed axis the body is aligned with in most frames wins, if it does so in at least
    half of them (a Z-up rig); failing both, +Y.
    """
    idx = SMPL22.index
    feet = 0.5 * (joints[:, idx("L_ankle")] + joints[:, idx("R_ankle")])
    v = 0.5 * (joints[:, idx("neck")] + joints[:, idx("head")]) - feet  # (T, 3)
    v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    cos45 = np.cos(np.pi / 4)
    axes = np.concatenate([np.eye(3), -np.eye(3)])  # (6, 3): +X +Y +Z -X -Y -Z
    share = ((v @ axes.T) > cos45).mean(axis=0)  # (6,) fraction of frames aligned with each axis
    if share[1] >= 0.2:
        return axes[1]
    best = int(np.argmax(share))
    return axes[best] if share[best] >= 0.5 else axes[1]


def make_y_up(joints: np.ndarray) -> tuple[np.ndarray, str]:
    """Rotate (T, J, 3) so the detected up axis becomes +Y; returns (joints, 'Y'/'Z'/'-Z'/...)."""
    axis = up_axis(joints)
    label = ("-" if axis.sum() < 0 else "") + "XYZ"[int(np.argmax(np.abs(axis)))]
    if label == "Y":
        return joints, label
    R = rotation_between(axis, np.array([0.0, 1.0, 0.0]))  # proper rotation: handedness kept
    return joints @ R.T, label


def rig_to_smpl(
    rig: RigMotion,
    *,
    where: str,
    mapping: dict[str, str | None] | None = None,
    units: str | None = None,
    default_units: str | None = None,
    detect_up: bool = True,
    fps: float = 20.0,
    canonical: bool = True,
) -> tuple[np.ndarray, dict]:
    """RigMotion -> ((T, 22, 3) float32 metres Y-up at ``fps``, meta about the conversion).

    Args:
        units: the file's length unit (overrides detection); default_units: the format's usual
            unit, used unless the body's size makes it implausible.
        detect_up: look for a Z-up (or other) rig; False trusts the file to be Y-up.
    """
    source_frames, source_fps = rig.num_frames, rig.fps
    rig = rig.resampled(fps)
    positions = rig.positions()  # (T, J_rig, 3) file units
    if not np.isfinite(positions).all():
        raise MotionFormatError(f"{where}: the motion contains NaN or infinite values")
    rig_map = build_mapping(rig.names, rig.parents, rig.is_end, positions[0], mapping, where)
    joints = apply_mapping(positions, rig_map)  # (T, 22, 3), toe bases may be NaN
    if units is None:
        try:
            unit = detect_units(joints, prefer=default_units)
        except MotionFormatError as e:
            raise MotionFormatError(f"{where}: {e}") from None
        detected = True
    else:
        unit, _ = unit_scale(units)
        detected = False
    joints = joints * UNITS[unit]
    joints, up = make_y_up(joints) if detect_up else (joints, "Y")
    joints = fill_missing_feet(joints)
    try:
        joints = validate_motion(joints, SMPL22, where)
    except ValueError as e:
        raise MotionFormatError(str(e)) from None
    if canonical:
        joints = canonicalize(joints, SMPL22)
    meta = {
        "units": unit, "units_detected": detected, "up_axis": up, "source_fps": source_fps,
        "source_frames": source_frames, "mapping": rig_map.describe(),
    }
    return joints, meta
