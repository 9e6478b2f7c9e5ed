"""Rig joint names -> (side, body part), and the part aliases that identify SMPL-22 joints.

Matching is case- and prefix-insensitive: ``mixamorig:LeftUpLeg``, ``Bip01 L Thigh``,
``UpperLeg_L`` and ``lfemur`` all read as a side plus a body part. Used by `rigs.build_mapping`
(paper-brief §2.1: every motion ends as SMPL-22 joints).
"""

from __future__ import annotations

import re

# Centre joints: part aliases in order of preference.
CENTRE_ALIASES = {
    "pelvis": ("hips", "pelvis", "hip", "root"),
    "neck": ("neck", "upperneck", "neck1", "lowerneck"),
    "head": ("head",),
}
# Sided joints (matched with the side removed); processed in this order so that an alias used by
# an earlier joint (SMPL's own "L_Collar"/"L_Shoulder", "L_Ankle"/"L_Foot") is not reused.
SIDED_ALIASES = {
    "hip": ("upleg", "upperleg", "thigh", "femur", "hip"),
    "knee": ("knee", "lowerleg", "shin", "calf", "tibia", "lowleg", "leg"),
    "ankle": ("ankle", "foot"),
    "foot": ("toebase", "toe", "toes", "ball", "foot"),
    "collar": ("collar", "clavicle", "shoulder"),
    "shoulder": ("upperarm", "arm", "humerus", "uparm", "shoulder"),
    "elbow": ("elbow", "forearm", "lowerarm", "radius", "lowarm"),
    "wrist": ("wrist", "hand"),
}
_EXTRA_PARTS = {"hipjoint", "fingers", "thumb", "handthumb", "toesend", "fingerbase"}
_PARTS = {a for aliases in SIDED_ALIASES.values() for a in aliases} | _EXTRA_PARTS
_NOISE_TOKENS = {"mixamorig", "bip01", "bip001", "def", "jnt", "joint", "bone", "j", "b", "sk", "mch"}


def split_name(name: str) -> tuple[str | None, str]:
    """(side 'L'/'R'/None, body part) of a rig joint name, e.g. 'mixamorig:LeftUpLeg' -> ('L', 'upleg')."""
    base = re.split(r"[:|]", name)[-1]
    tokens = [t for t in re.split(r"[_\-.\s]+", base) if t]
    lowered = [t.lower() for t in tokens]
    kept = [(t, lo) for t, lo in zip(tokens, lowered) if lo not in _NOISE_TOKENS and not re.fullmatch(r"mixamorig\d*", lo)]
    for i, (_, lo) in enumerate(kept):
        if lo in ("l", "left", "r", "right") and len(kept) > 1:
            side = "L" if lo.startswith("l") else "R"
            return side, "".join(x for k, (_, x) in enumerate(kept) if k != i)
    original = "".join(t for t, _ in kept)
    part = original.lower()
    for word, side in (("left", "L"), ("right", "R")):
        if part.startswith(word) and len(part) > len(word):
            return side, part[len(word):]
        if part.endswith(word) and len(part) > len(word):
            return side, part[: -len(word)]
    if re.match(r"^[LR][A-Z]", original):
        return original[0], part[1:]
    if re.search(r"[a-z][LR]$", original):
        return original[-1], part[:-1]
    if len(part) > 1 and part[0] in "lr" and part[1:] in _PARTS:
        return part[0].upper(), part[1:]
    return None, part


def match_by_name(names: list[str], is_end: list[bool], taken: dict[str, int | None]) -> dict[str, int | None]:
    """SMPL-22 joint -> rig joint index (or None) by name, for the joints not already in ``taken``.

    A rig joint is used at most once; aliases are tried in order of preference.
    """
    split = [(None, "") if end else split_name(n) for n, end in zip(names, is_end)]
    used = {j for j in taken.values() if j is not None}
    out: dict[str, int | None] = {}

    def find(side: str | None, aliases: tuple[str, ...]) -> int | None:
        for alias in aliases:
            for j, (s, part) in enumerate(split):
                if j not in used and s == side and part == alias:
                    used.add(j)
                    return j
        return None

    for smpl, aliases in CENTRE_ALIASES.items():
        if smpl not in taken:
            out[smpl] = find(None, aliases)
    for part, aliases in SIDED_ALIASES.items():
        for side in ("L", "R"):
            if f"{side}_{part}" not in taken:
                out[f"{side}_{part}"] = find(side, aliases)
    return out


_STYLES = (  # (label, joint names that must all be present)
    ("mixamo", ("mixamorig:Hips",)),
    ("bandai-namco", ("UpperLeg_L", "Toes_L", "UpperArm_L")),
    ("acclaim (CMU/HDM05)", ("lfemur", "ltibia", "lhumerus")),
    ("cmu-bvh", ("LHipJoint", "LeftUpLeg", "LeftToeBase")),
    ("lafan", ("LeftUpLeg", "LeftToe", "Spine2")),
    ("mixamo-like", ("LeftUpLeg", "LeftToeBase", "LeftForeArm")),
    ("smpl", ("L_Hip", "L_Collar", "L_Shoulder")),
)


def guess_rig_style(names: list[str]) -> str:
    """A readable label for ``meta['rig']``: a known rig family, else 'custom'."""
    have = set(names) | {n.split(":")[-1] for n in names}
    for label, needed in _STYLES:
        if all(n in have for n in needed):
            return label
    if any(n.lower().startswith("mixamorig") for n in names):
        return "mixamo"
    return "custom"
