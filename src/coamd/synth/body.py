"""Per-subject body proportions for the procedural corpus (Foundation issue §5; paper-brief §2.1).

The reference bone lengths were measured once on HumanML3D ``new_joints/012314.npy`` (an AMASS
subject; left/right averaged; bone-length std over its 170 frames < 1e-6 m, so they are the rig's
true lengths). Only the derived numbers are stored here, not the file. Bone *directions* of the
rest pose are our own design: a neutral standing pose with the arms hanging down and the legs
straight, matching the SMPL-22 rest convention of `coamd.skeleton.trees.SMPL22` (all local
rotations identity = this pose), but with realistic hip, collar, neck and foot offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import CoamdError
from ..skeleton import SMPL22

# Bone lengths (metres) of the reference subject, indexed by child joint name (left = right).
REFERENCE_LENGTHS: dict[str, float] = {
    "hip": 0.1065, "spine1": 0.1316, "spine2": 0.1432, "spine3": 0.0574, "neck": 0.2194,
    "head": 0.1030, "collar": 0.1405, "shoulder": 0.1273, "elbow": 0.2600, "wrist": 0.2680,
    "knee": 0.3919, "ankle": 0.4290, "foot": 0.1464,
}

# Unit rest directions (parent -> child) for the LEFT side / centre; the right side mirrors X.
_REST_DIRS: dict[str, tuple[float, float, float]] = {
    "hip": (0.60, -0.79, -0.10), "spine1": (0.0, 0.97, -0.24), "spine2": (0.0, 0.995, 0.10),
    "spine3": (0.0, 0.99, 0.12), "neck": (0.0, 0.985, -0.17), "head": (0.0, 0.86, 0.51),
    "collar": (0.55, 0.83, -0.08), "shoulder": (0.96, -0.24, -0.10), "elbow": (0.0, -1.0, 0.0),
    "wrist": (0.0, -1.0, 0.0), "knee": (0.0, -1.0, 0.0), "ankle": (0.0, -1.0, 0.0),
    "foot": (0.12, -0.40, 0.91),
}

# SMPL-22 joint -> (bone key, side): side +1 left, -1 right, 0 centre.
_BONE_OF: tuple[tuple[str, int], ...] = (
    ("", 0), ("hip", 1), ("hip", -1), ("spine1", 0), ("knee", 1), ("knee", -1), ("spine2", 0),
    ("ankle", 1), ("ankle", -1), ("spine3", 0), ("foot", 1), ("foot", -1), ("neck", 0),
    ("collar", 1), ("collar", -1), ("head", 0), ("shoulder", 1), ("shoulder", -1), ("elbow", 1),
    ("elbow", -1), ("wrist", 1), ("wrist", -1),
)

HEAD_TOP = 0.115  # head joint (skull centre) to the top of the head, reference subject
HEIGHT_RANGE = (1.50, 1.95)

# Proportion groups varied per subject (relative std); the overall scale then fixes the height.
_GROUPS: dict[str, tuple[tuple[str, ...], float]] = {
    "legs": (("knee", "ankle"), 0.03),
    "arms": (("elbow", "wrist"), 0.035),
    "torso": (("spine1", "spine2", "spine3", "neck"), 0.03),
    "shoulders": (("collar", "shoulder"), 0.05),
    "hips": (("hip",), 0.06),
    "feet": (("foot",), 0.04),
}


def rest_offsets(lengths: dict[str, float]) -> np.ndarray:
    """(22, 3) rest offsets of every joint from its parent for the given bone lengths."""
    out = np.zeros((SMPL22.num_joints, 3))
    for j, (bone, side) in enumerate(_BONE_OF):
        if not bone:
            continue
        d = np.asarray(_REST_DIRS[bone], dtype=np.float64)
        d = d / np.linalg.norm(d)
        if side < 0:
            d = d * np.array([-1.0, 1.0, 1.0])
        out[j] = d * lengths[bone]
    return out


@dataclass(frozen=True)
class Body:
    """One subject: rest offsets (22, 3) in metres and the derived sizes actions need."""

    offsets: np.ndarray  # (22, 3)
    height: float  # floor to the top of the head when standing straight

    @property
    def thigh(self) -> float:
        return float(np.linalg.norm(self.offsets[4]))

    @property
    def shank(self) -> float:
        return float(np.linalg.norm(self.offsets[7]))

    @property
    def upper_arm(self) -> float:
        return float(np.linalg.norm(self.offsets[18]))

    @property
    def forearm(self) -> float:
        return float(np.linalg.norm(self.offsets[20]))

    @property
    def foot(self) -> np.ndarray:
        """(3,) LEFT ankle -> ball offset in the ankle frame (the foot is flat when unrotated)."""
        return self.offsets[10].copy()

    @property
    def ankle_height(self) -> float:
        """Ankle height above the floor with a flat foot whose ball touches the floor."""
        return float(-self.offsets[10, 1])

    @property
    def hip_width(self) -> float:
        """Half the distance between the hip joints."""
        return float(self.offsets[1, 0])

    @property
    def standing_pelvis(self) -> float:
        """Pelvis height with straight legs and flat feet."""
        return float(-self.offsets[1, 1] + self.thigh + self.shank + self.ankle_height)

    @property
    def shoulder_height(self) -> float:
        """Shoulder joint height above the pelvis in the rest pose."""
        o = self.offsets
        return float(o[3, 1] + o[6, 1] + o[9, 1] + o[13, 1] + o[16, 1])

    @property
    def arm(self) -> float:
        return self.upper_arm + self.forearm


def body_height(offsets: np.ndarray) -> float:
    """Standing height (floor to head top) of a rest pose with flat feet."""
    o = offsets
    pelvis = -o[1, 1] - o[4, 1] - o[7, 1] - o[10, 1]
    head = pelvis + o[3, 1] + o[6, 1] + o[9, 1] + o[12, 1] + o[15, 1]
    scale = float(np.linalg.norm(o[15])) / REFERENCE_LENGTHS["head"]
    return float(head + HEAD_TOP * scale)


REFERENCE_HEIGHT = body_height(rest_offsets(REFERENCE_LENGTHS))


def make_body(height: float, proportions: dict[str, float] | None = None) -> Body:
    """A body of the given standing height; ``proportions`` scales groups (legs, arms, ...)."""
    if not HEIGHT_RANGE[0] - 0.2 <= height <= HEIGHT_RANGE[1] + 0.2:
        raise CoamdError(f"height {height:.2f} m is outside the supported range {HEIGHT_RANGE[0]}-{HEIGHT_RANGE[1]} m")
    lengths = dict(REFERENCE_LENGTHS)
    for group, factor in (proportions or {}).items():
        for bone in _GROUPS[group][0]:
            lengths[bone] *= factor
    offsets = rest_offsets(lengths)
    offsets *= height / body_height(offsets)
    return Body(offsets=offsets, height=float(height))


def sample_body(rng: np.random.Generator, styles: str = "core") -> Body:
    """A random adult: height ~ N(1.72, 0.10) truncated to 1.50-1.95 m, varied proportions. With
    ``styles="broad"``, smaller people too (N(1.62, 0.15) truncated to 1.30-1.95 m; Bandai-Namco's actor
    measures 1.30 m, docs/domain_gap.md) and proportions varying 1.5x as much."""
    if styles == "broad":
        height = float(np.clip(rng.normal(1.62, 0.15), HEIGHT_RANGE[0] - 0.2, HEIGHT_RANGE[1]))
        spread = 1.5
    else:
        height = float(np.clip(rng.normal(1.72, 0.10), *HEIGHT_RANGE))
        spread = 1.0
    props = {g: float(np.clip(1.0 + rng.normal(0.0, sd * spread), 1 - 2.5 * sd * spread, 1 + 2.5 * sd * spread))
             for g, (_, sd) in _GROUPS.items()}
    return make_body(height, props)


@dataclass(frozen=True)
class Style:
    """Per-clip habits shared by every action of a clip, so transitions between actions match."""

    stance: float = 1.0  # feet half-distance as a fraction of the hip half-width
    arm_out: float = 0.12  # arm abduction when hanging (radians)
    elbow: float = 0.22  # resting elbow flexion (radians)
    posture: float = 0.03  # resting trunk flexion (radians, + forward)
    knee: float = 0.06  # resting knee flexion (radians)
    toe_out: float = 0.10  # foot yaw away from the midline (radians)
    tempo: float = 1.0  # multiplies the speed of every action (0.85-1.15)


# per-clip habits: "core" (the default corpus) and "broad" (issue 11: the posture, knee bend, arm carriage
# and tempo of real subjects vary far more: stooped elderly, bouncy children, wide or narrow stances)
STYLE_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "core": {"stance": (0.8, 1.25), "arm_out": (0.06, 0.2), "elbow": (0.1, 0.35), "posture": (-0.02, 0.08),
             "knee": (0.02, 0.1), "toe_out": (0.0, 0.2), "tempo": (0.88, 1.12)},
    "broad": {"stance": (0.6, 1.45), "arm_out": (0.02, 0.3), "elbow": (0.1, 0.8), "posture": (-0.05, 0.45),
              "knee": (0.02, 0.35), "toe_out": (-0.05, 0.35), "tempo": (0.7, 1.3)},
}


# corpus style options: a range set, "mixed" (each clip draws core or broad with equal probability) or
# "varied" (broad bodies and habits, plus the action variants of `coamd.synth.compose.VARIANTS`)
STYLE_OPTIONS: tuple[str, ...] = ("core", "broad", "mixed", "varied")


def sample_style(rng: np.random.Generator, styles: str = "core") -> Style:
    """One clip's habits, each uniform in its `STYLE_RANGES[styles]` range."""
    r = STYLE_RANGES[styles]
    return Style(**{k: float(rng.uniform(*r[k])) for k in ("stance", "arm_out", "elbow", "posture", "knee",
                                                           "toe_out", "tempo")})
