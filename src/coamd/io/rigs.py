"""Map a BVH/ASF rig's joints onto SMPL-22 by name, or by a user mapping file (paper-brief §2.1).

Which rig joint is which SMPL joint (names are read by `rig_names.split_name`):
- ``L_shoulder`` is the upper-arm (humerus) pivot (``LeftArm``, ``UpperArm_L``, ``lhumerus``);
  the clavicle joint (``LeftShoulder``, ``Shoulder_L``) is the collar.
- ``L_foot`` is the toe base (``LeftToeBase``, ``Toes_L``, ``ltoes``); ``LeftFoot`` is the ankle.
- ASF bones are joints at their *start* (see `asf_amc`): ``lfemur`` = hip, ``lradius`` = elbow.
- ``spine3`` is where the arms branch off the spine (the common ancestor of the neck and the
  shoulders: Mixamo ``Spine2``, Bandai ``Chest``, CMU ``thorax``); ``spine1``/``spine2`` are the
  rig joints between it and the pelvis, whatever their names.

SMPL joints a rig lacks are interpolated as fixed blends of rig joints, placed on one rig bone
wherever possible so that their bone lengths stay constant: spine joints at 0.22 / 0.49 / 0.57
of the pelvis->neck path (HumanML3D ``new_joints`` averages) between their nearest mapped
neighbours; a collar halfway along the bone that carries the shoulder (the clavicle); a toe
base from the ankle's end site, else ahead of the ankle once the motion is upright
(`fill_missing_feet`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import RigMappingError
from ..skeleton import SMPL22, facing_directions
from .rig_names import match_by_name

SPINE_FRACTIONS = {"spine1": 0.22, "spine2": 0.49, "spine3": 0.57}  # along pelvis -> neck
INTERPOLATED_OK = ("spine1", "spine2", "spine3", "L_collar", "R_collar", "L_foot", "R_foot")


@dataclass
class RigMapping:
    """Each SMPL-22 joint as a rig joint index, or a blend [(rig index, weight), ...]; joints in
    neither (a toe base with nothing to go on) are placed later by `fill_missing_feet`."""

    joints: dict[str, int | None]
    names: list[str]
    blends: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        """{smpl joint: rig joint name, or 'interpolated (a, b)'} for ``meta``."""
        out = {}
        for k, v in self.joints.items():
            if v is not None:
                out[k] = self.names[v]
            elif k in self.blends:
                out[k] = "interpolated (" + ", ".join(self.names[j] for j, _ in self.blends[k]) + ")"
            else:
                out[k] = "estimated"
        return out


def load_mapping_file(path: str | Path) -> dict[str, str | None]:
    """Read a YAML/JSON ``{smpl_joint: rig_joint}`` file; keys must be SMPL-22 joint names."""
    path = Path(path)
    if not path.is_file():
        raise RigMappingError(f"{path}: mapping file not found")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as e:  # noqa: BLE001 - any parse failure is the user's file
        raise RigMappingError(f"{path}: cannot parse the mapping file ({type(e).__name__}: {e})") from None
    return check_mapping(data, str(path))


def check_mapping(data: object, where: str) -> dict[str, str | None]:
    """Validate a mapping's keys against SMPL-22 (case-insensitive) and normalise their spelling.

    A ``null`` value asks for the joint to be interpolated (allowed for spine, collars, feet).
    Joints the mapping leaves out are matched by name as usual, except that naming any spine
    joint turns off the automatic spine: the unnamed spine joints are then interpolated.
    """
    if not isinstance(data, dict):
        raise RigMappingError(f"{where}: expected a mapping {{smpl_joint: rig_joint}}, got {type(data).__name__}")
    lookup = {n.lower(): n for n in SMPL22.joint_names}
    out: dict[str, str | None] = {}
    for key, value in data.items():
        smpl = lookup.get(str(key).lower())
        if smpl is None:
            raise RigMappingError(f"{where}: {key!r} is not an SMPL-22 joint (known: {', '.join(SMPL22.joint_names)})")
        if value is None and smpl not in INTERPOLATED_OK:
            raise RigMappingError(f"{where}: {smpl} cannot be interpolated; name its rig joint")
        out[smpl] = None if value is None else str(value)
    return out


def build_mapping(
    names: list[str],
    parents: list[int],
    is_end: list[bool],
    first_frame: np.ndarray,
    explicit: dict[str, str | None] | None = None,
    where: str = "rig",
) -> RigMapping:
    """Decide which rig joint (or blend of rig joints) is each SMPL-22 joint.

    first_frame: (J, 3) rig joint positions of one frame, used to read the tree's geometry
    (drop joints that coincide with another, e.g. an ASF ``lclavicle`` pivot on the neck).
    """
    explicit = dict(explicit or {})
    chosen = _explicit_joints(names, is_end, explicit, where)
    chosen.update(match_by_name(names, is_end, chosen))
    scale = float(np.ptp(first_frame, axis=0).max()) or 1.0
    tol = 1e-3 * scale
    geo = _Tree(parents, first_frame, tol)

    for side in ("L", "R"):  # a collar that sits on another joint is not a real clavicle pivot
        collar = f"{side}_collar"
        if collar not in explicit and chosen.get(collar) is not None and geo.coincides(chosen[collar]):
            chosen[collar] = None
    missing = [s for s in SMPL22.joint_names if chosen.get(s) is None and s not in INTERPOLATED_OK]
    if missing:
        raise RigMappingError(
            f"{where}: cannot map the rig onto SMPL-22: no joint found for {', '.join(missing)} "
            f"(rig joints: {_short_list(names, is_end)}); pass a mapping file {{smpl_joint: rig_joint}} "
            f"with mapping= / --mapping")
    if not any(k in explicit for k in SPINE_FRACTIONS):
        chosen.update(_spine_joints(geo, chosen))
    for smpl in SMPL22.joint_names:
        chosen.setdefault(smpl, None)
    blends = _spine_blends(geo, chosen)
    for side in ("L", "R"):
        if chosen[f"{side}_collar"] is None:
            shoulder = chosen[f"{side}_shoulder"]
            carrier = geo.bone_start(shoulder)
            blends[f"{side}_collar"] = [(carrier, 0.5), (shoulder, 0.5)]
        foot, ankle = f"{side}_foot", chosen[f"{side}_ankle"]
        if foot not in explicit and chosen[foot] is None:
            ends = [j for j, p in enumerate(parents) if p == ankle and is_end[j]]
            if ends and np.linalg.norm(first_frame[ends[0]] - first_frame[ankle]) > tol:
                chosen[foot] = ends[0]
    return RigMapping({s: chosen[s] for s in SMPL22.joint_names}, list(names), blends)


def _explicit_joints(names: list[str], is_end: list[bool], explicit: dict[str, str | None],
                     where: str) -> dict[str, int | None]:
    index_of = {n: i for i, n in enumerate(names)}
    by_lower: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        by_lower.setdefault(n.lower(), []).append(i)
    out: dict[str, int | None] = {}
    for smpl, rig_name in explicit.items():
        if rig_name is None:
            out[smpl] = None
            continue
        j = index_of.get(rig_name)
        if j is None and len(by_lower.get(rig_name.lower(), [])) == 1:
            j = by_lower[rig_name.lower()][0]
        if j is None:
            raise RigMappingError(f"{where}: the mapping names rig joint {rig_name!r} for {smpl}, but the rig has "
                                  f"no such joint (rig joints: {_short_list(names, is_end)})")
        out[smpl] = j
    return out


class _Tree:
    """Rig tree geometry on one frame: ancestors, coincident joints, distances."""

    def __init__(self, parents: list[int], frame: np.ndarray, tol: float):
        self.parents, self.frame, self.tol = parents, frame, tol

    def ancestors(self, j: int) -> list[int]:
        out = []
        while self.parents[j] >= 0:
            j = self.parents[j]
            out.append(j)
        return out

    def same_place(self, a: int, b: int) -> bool:
        return bool(np.linalg.norm(self.frame[a] - self.frame[b]) < self.tol)

    def coincides(self, j: int) -> bool:
        """True when another joint (not below j) sits where j does."""
        return any(k != j and j not in self.ancestors(k) and self.same_place(j, k) for k in range(len(self.parents)))

    def bone_start(self, j: int) -> int:
        """The nearest ancestor of j not sitting on j: the other end of the bone that carries j."""
        for a in self.ancestors(j):
            if not self.same_place(a, j):
                return a
        return j

    def fraction(self, j: int, start: int, end: int) -> float:
        axis = self.frame[end] - self.frame[start]
        return float(np.dot(self.frame[j] - self.frame[start], axis) / max(np.dot(axis, axis), 1e-12))


def _spine_joints(geo: _Tree, chosen: dict[str, int | None]) -> dict[str, int]:
    """spine3 = the branch point of the arms on the pelvis->neck path; spine1/2 below it."""
    pelvis, neck = chosen["pelvis"], chosen["neck"]
    up_neck = geo.ancestors(neck)
    if pelvis not in up_neck:
        return {}  # the neck does not hang below the pelvis joint: interpolate the whole spine
    path = up_neck[: up_neck.index(pelvis)][::-1]  # pelvis (excluded) ... neck's parent
    path = [j for j in path if not geo.same_place(j, pelvis) and not geo.same_place(j, neck)]
    if not path:
        return {}
    out: dict[str, int] = {}
    arm = [chosen["L_shoulder"]] + geo.ancestors(chosen["L_shoulder"])
    branch = [k for k, a in enumerate(arm) if a in path]
    if branch:
        spine3 = arm[branch[0]]
        # ASF-style rigs start the clavicle at the *end* of the branching bone, where the next
        # spine joint also sits (CMU lclavicle on lowerneck): that joint is the branch point.
        arm_root = arm[branch[0] - 1] if branch[0] > 0 else None
        nxt = path.index(spine3) + 1
        if arm_root is not None and nxt < len(path) and geo.same_place(arm_root, path[nxt]):
            spine3 = path[nxt]
        out["spine3"] = spine3
        below = path[: path.index(spine3)]
    else:  # arms hang off the neck or elsewhere: pick spine3 by height along the path
        below = path
        k = min(range(len(path)), key=lambda i: abs(geo.fraction(path[i], pelvis, neck) - SPINE_FRACTIONS["spine3"]))
        out["spine3"] = path[k]
        below = path[:k]
    if below:
        out["spine1"] = below[0]
    if len(below) > 1:
        target = SPINE_FRACTIONS["spine2"] / SPINE_FRACTIONS["spine3"]
        out["spine2"] = min(below[1:], key=lambda j: abs(geo.fraction(j, pelvis, out["spine3"]) - target))
    return out


def _spine_blends(geo: _Tree, chosen: dict[str, int | None]) -> dict[str, list[tuple[int, float]]]:
    """Each unmapped spine joint between its nearest mapped neighbours along pelvis -> neck."""
    anchors = [(0.0, chosen["pelvis"])] + [(f, chosen[s]) for s, f in SPINE_FRACTIONS.items()
                                           if chosen[s] is not None] + [(1.0, chosen["neck"])]
    blends = {}
    for s, f in SPINE_FRACTIONS.items():
        if chosen[s] is None:
            lo = max((a for a in anchors if a[0] < f), key=lambda a: a[0])
            hi = min((a for a in anchors if a[0] > f), key=lambda a: a[0])
            w = (f - lo[0]) / (hi[0] - lo[0])
            blends[s] = [(lo[1], 1.0 - w), (hi[1], w)]
    return blends


def apply_mapping(rig_positions: np.ndarray, mapping: RigMapping) -> np.ndarray:
    """(T, J_rig, 3) -> (T, 22, 3); toe bases with nothing to go on are left NaN."""
    T = rig_positions.shape[0]
    out = np.full((T, SMPL22.num_joints, 3), np.nan)
    for k, name in enumerate(SMPL22.joint_names):
        j = mapping.joints[name]
        if j is not None:
            out[:, k] = rig_positions[:, j]
        elif name in mapping.blends:
            out[:, k] = sum(w * rig_positions[:, src] for src, w in mapping.blends[name])
    return out


def fill_missing_feet(joints: np.ndarray) -> np.ndarray:
    """Place NaN toe bases ahead of the ankles on an upright (Y-up) motion (T, 22, 3), in place.

    The toe base sits 0.30 shin lengths forward (body facing from hips and shoulders) and 0.14
    shin lengths below the ankle: the average HumanML3D foot.
    """
    idx = SMPL22.index
    forward = None
    for side in ("L", "R"):
        foot = idx(f"{side}_foot")
        if not np.isnan(joints[:, foot]).any():
            continue
        if forward is None:
            forward = facing_directions(joints)  # (T, 3)
        ankle, knee = joints[:, idx(f"{side}_ankle")], joints[:, idx(f"{side}_knee")]
        shin = np.median(np.linalg.norm(knee - ankle, axis=-1))
        joints[:, foot] = ankle + 0.30 * shin * forward - np.array([0.0, 0.14 * shin, 0.0])
    return joints


def _short_list(names: list[str], is_end: list[bool], limit: int = 12) -> str:
    real = [n for n, e in zip(names, is_end) if not e]
    more = f", ... {len(real) - limit} more" if len(real) > limit else ""
    return ", ".join(real[:limit]) + more
