"""Joint placement of a rig mapped to SMPL-22 by name, measured and made canonical (docs/domain_gap.md §10).

A real rig mapped to SMPL-22 by joint name puts the hips, pelvis, spine, shoulders, collars and head
somewhere else than the procedural corpus skeleton does (docs/domain_gap.md §2: Bandai-Namco's
"shoulders" half as far apart, its pelvis joint at hip height; HDM05's hips 4-5 cm wider, its
spine3 high up). `canonical_placement` re-places exactly those joints where the corpus rig has
them, relative to the clip's own size (its leg length) and posture, in every frame. The limbs below
stay where they are (the same physical elbow, the corpus's "shoulder"), as in the training-time
`coamd.data.augment.replace_joints`, whose inverse this is for a measured rig.

The reference proportions are those of the corpus reference subject (`coamd.synth.body`), measured
on its rest pose; `measure_placement` reports the same quantities for any clip.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..skeleton import SMPL22
from .augment import (
    HEAD,
    LCOLLAR,
    LHIP,
    LSHOULDER,
    NECK,
    PELVIS,
    RCOLLAR,
    RHIP,
    RSHOULDER,
    SPINE1,
    SPINE2,
    SPINE3,
    _along_chain,
    _as_motion,
    _refloor,
    _unit,
)

LKNEE, RKNEE, LANKLE, RANKLE = 4, 5, 7, 8
KEYS = ("hip_width", "pelvis_height", "spine1", "spine2", "spine3", "shoulder_width", "neck_above_shoulders",
        "head")


def _leg_length(x: np.ndarray) -> float:
    """Median over frames of thigh + shin, both sides averaged: the clip's size, not moved by re-placement."""
    legs = [np.linalg.norm(x[:, k] - x[:, h], axis=-1) + np.linalg.norm(x[:, a] - x[:, k], axis=-1)
            for h, k, a in ((LHIP, LKNEE, LANKLE), (RHIP, RKNEE, RANKLE))]
    return float(np.median((legs[0] + legs[1]) / 2))


def measure_placement(x: np.ndarray) -> dict[str, float]:
    """Per-clip medians of the placement quantities; lengths in units of the leg length (thigh + shin).

    ``hip_width``: hip joints' distance; ``pelvis_height``: pelvis above the hip midpoint along the
    trunk axis (hip midpoint -> neck); ``spine1..3``: cumulative arc-length shares of the
    pelvis -> spine1 -> spine2 -> spine3 -> neck chain; ``shoulder_width``: shoulder joints' distance;
    ``neck_above_shoulders``: neck above the shoulder midpoint along the trunk axis; ``head``: neck -> head.
    """
    x = _as_motion(x).astype(np.float64)
    L = max(_leg_length(x), 1e-6)
    mid = (x[:, LHIP] + x[:, RHIP]) / 2
    up = _unit(x[:, NECK] - mid)
    chain = x[:, [PELVIS, SPINE1, SPINE2, SPINE3, NECK]]
    seg = np.linalg.norm(np.diff(chain, axis=1), axis=-1)
    shares = np.cumsum(seg, axis=1)[:, :3] / np.maximum(seg.sum(axis=1, keepdims=True), 1e-8)
    smid = (x[:, LSHOULDER] + x[:, RSHOULDER]) / 2
    med = lambda v: float(np.median(v))
    return {
        "hip_width": med(np.linalg.norm(x[:, LHIP] - x[:, RHIP], axis=-1)) / L,
        "pelvis_height": med(np.einsum("ti,ti->t", x[:, PELVIS] - mid, up)) / L,
        "spine1": med(shares[:, 0]), "spine2": med(shares[:, 1]), "spine3": med(shares[:, 2]),
        "shoulder_width": med(np.linalg.norm(x[:, LSHOULDER] - x[:, RSHOULDER], axis=-1)) / L,
        "neck_above_shoulders": med(np.einsum("ti,ti->t", x[:, NECK] - smid, up)) / L,
        "head": med(np.linalg.norm(x[:, HEAD] - x[:, NECK], axis=-1)) / L,
    }


@lru_cache(maxsize=1)
def reference_placement() -> dict[str, float]:
    """`measure_placement` of the corpus reference subject standing in its rest pose."""
    from ..skeleton import forward_kinematics
    from ..synth.body import REFERENCE_LENGTHS, rest_offsets

    rot = np.broadcast_to(np.eye(3), (1, SMPL22.num_joints, 3, 3))
    pos, _ = forward_kinematics(SMPL22, rot, rest_offsets(REFERENCE_LENGTHS), np.zeros((1, 3)))
    return measure_placement(np.asarray(pos, np.float64))


def canonical_placement(x: np.ndarray, reference: dict[str, float] | None = None) -> np.ndarray:
    """The clip with hips, pelvis, spine, shoulders, collars and head re-placed at ``reference``
    (default: the corpus rig, `reference_placement`), (T, 22, 3) float32, floor at y = 0.

    Per clip: widths and the head distance scale about their midpoints / the neck by one factor each;
    the pelvis sits at the reference height above the hip midpoint on the trunk axis in every frame;
    the spine joints go to the reference shares along the (new) pelvis -> neck chain; the shoulders
    (and half as much the collars) move along the trunk axis to the reference height below the neck.
    Every other joint keeps its position. A clip already placed like the reference comes back
    unchanged (to rounding).
    """
    x = _as_motion(x).astype(np.float64)
    ref = reference or reference_placement()
    have = measure_placement(x)
    L = max(_leg_length(x), 1e-6)
    out = x.copy()
    mid = (x[:, LHIP] + x[:, RHIP]) / 2
    up = _unit(x[:, NECK] - mid)
    s = ref["hip_width"] / max(have["hip_width"], 1e-6)
    out[:, LHIP] = mid + s * (x[:, LHIP] - mid)
    out[:, RHIP] = mid + s * (x[:, RHIP] - mid)
    # the pelvis: off-axis offset kept, height on the trunk axis set
    along = np.einsum("ti,ti->t", x[:, PELVIS] - mid, up)[:, None]
    out[:, PELVIS] = x[:, PELVIS] + (ref["pelvis_height"] * L - along) * up
    chain = np.concatenate([out[:, [PELVIS]], x[:, [SPINE1, SPINE2, SPINE3, NECK]]], axis=1)
    frac = np.broadcast_to(np.array([ref["spine1"], ref["spine2"], ref["spine3"]]), (len(x), 3))
    out[:, [SPINE1, SPINE2, SPINE3]] = _along_chain(chain, np.clip(frac, 0.02, 0.98))
    sw = ref["shoulder_width"] / max(have["shoulder_width"], 1e-6)
    lift = (have["neck_above_shoulders"] - ref["neck_above_shoulders"]) * L * up      # (T, 3)
    for left, right, k in ((LSHOULDER, RSHOULDER, 1.0), (LCOLLAR, RCOLLAR, 0.5)):
        m = (x[:, left] + x[:, right]) / 2
        scale = 1.0 + k * (sw - 1.0)
        out[:, left] = m + scale * (x[:, left] - m) + k * lift
        out[:, right] = m + scale * (x[:, right] - m) + k * lift
    h = ref["head"] / max(have["head"], 1e-6)
    out[:, HEAD] = x[:, NECK] + h * (x[:, HEAD] - x[:, NECK])
    return _refloor(out).astype(np.float32)
