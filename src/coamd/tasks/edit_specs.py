"""What to keep in an edit: temporal task masks (paper-brief §3.8), ``--keep`` time ranges and body-part joint sets.

Temporal tasks are defined in latent tokens exactly as upstream: with l tokens, q = l // 4 and
h = l // 2, *inpaint* regenerates [q, l − q), *outpaint* regenerates [0, q) ∪ [l − q, l), *prefix*
keeps the first half and regenerates [h, l), *suffix* keeps the last half and regenerates [0, h).
``--keep 0:2.5,7:9`` keeps those seconds; a token is kept only when all its frames are kept.

Body parts (SMPL-22 names; groups resolve by joint name): ``upper`` (spine, neck, head, collars
and arms), ``lower`` (pelvis and legs), ``left_arm``/``right_arm`` (collar to wrist),
``left_leg``/``right_leg`` (hip to foot), ``head`` (neck and head), ``spine``; or any
comma-separated joint names of the skeleton.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import CoamdError
from ..skeleton import Skeleton

TASKS = ("inpaint", "outpaint", "prefix", "suffix")

JOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "upper": ("spine1", "spine2", "spine3", "neck", "head", "L_collar", "R_collar", "L_shoulder", "R_shoulder",
              "L_elbow", "R_elbow", "L_wrist", "R_wrist"),
    "lower": ("pelvis", "L_hip", "R_hip", "L_knee", "R_knee", "L_ankle", "R_ankle", "L_foot", "R_foot"),
    "left_arm": ("L_collar", "L_shoulder", "L_elbow", "L_wrist"),
    "right_arm": ("R_collar", "R_shoulder", "R_elbow", "R_wrist"),
    "left_leg": ("L_hip", "L_knee", "L_ankle", "L_foot"),
    "right_leg": ("R_hip", "R_knee", "R_ankle", "R_foot"),
    "head": ("neck", "head"),
    "spine": ("spine1", "spine2", "spine3"),
}


def task_edit_mask(task: str, tokens: int) -> np.ndarray:
    """(tokens,) bool, True = regenerate, for one of the four temporal tasks (§3.8)."""
    if task not in TASKS:
        raise CoamdError(f"--task: {task!r} is not one of {', '.join(TASKS)}")
    l, q, h = tokens, tokens // 4, tokens // 2
    mask = np.zeros(l, bool)
    if task == "inpaint":
        mask[q: l - q] = True
    elif task == "outpaint":
        mask[:q] = True
        mask[l - q:] = True
    elif task == "prefix":
        mask[h:] = True
    else:
        mask[:h] = True
    return mask


def parse_keep(spec: str, duration: float) -> list[tuple[float, float]]:
    """``"0:2.5,7:9"`` -> [(0, 2.5), (7, 9)] seconds; an open end (``"7:"``) runs to ``duration``."""
    ranges = []
    text = str(spec).strip()
    if not text:
        raise CoamdError("--keep: empty; give time ranges in seconds such as 0:2.5,7:9")
    for part in text.split(","):
        a, sep, b = part.strip().partition(":")
        try:
            if not sep:
                raise ValueError
            start = float(a) if a.strip() else 0.0
            end = float(b) if b.strip() else duration
        except ValueError:
            raise CoamdError(f"--keep: {part.strip()!r} is not a START:END range in seconds (e.g. 0:2.5)") from None
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
            raise CoamdError(f"--keep: {part.strip()!r} must have 0 <= START < END")
        if start >= duration:
            raise CoamdError(f"--keep: {part.strip()!r} starts after the motion ends ({duration:.2f} s)")
        ranges.append((start, min(end, duration)))
    return ranges


def kept_frames(ranges: list[tuple[float, float]], frames: int, fps: float) -> np.ndarray:
    """(frames,) bool: True where a frame's time t = i / fps lies in a kept [start, end) range."""
    t = np.arange(frames) / fps
    keep = np.zeros(frames, bool)
    for start, end in ranges:
        keep |= (t >= start - 1e-9) & (t < end - 1e-9)
    return keep


def frames_to_edit_mask(keep: np.ndarray, unit: int) -> np.ndarray:
    """Token edit mask (ceil(T / unit),): a token is regenerated unless all of its frames are kept."""
    T = keep.shape[0]
    padded = np.concatenate([keep, np.repeat(keep[-1:], (-T) % unit)]) if T % unit else keep
    return ~padded.reshape(-1, unit).all(axis=1)


def edit_mask_to_frames(mask: np.ndarray, unit: int, frames: int) -> np.ndarray:
    """Frames (frames,) bool that belong to kept tokens (the inverse view of a token edit mask)."""
    return np.repeat(~mask, unit)[:frames]


def parse_joints(spec: str, skeleton: Skeleton) -> list[int]:
    """Joint indices of ``"upper"``, ``"left_arm,head"``, ``"L_wrist,R_wrist"``... (case-insensitive)."""
    names = {n.lower(): i for i, n in enumerate(skeleton.joint_names)}
    picked: list[int] = []
    parts = [p.strip() for p in str(spec).split(",") if p.strip()]
    if not parts:
        raise CoamdError("--joints: empty; name a body part (e.g. upper) or joints (e.g. L_wrist,R_wrist)")
    for p in parts:
        key = p.lower()
        if key in JOINT_GROUPS:
            group = JOINT_GROUPS[key]
            missing = [n for n in group if n.lower() not in names]
            if missing:
                raise CoamdError(f"--joints: body part {p!r} is defined for SMPL-22; skeleton {skeleton.name} "
                                 f"has no joint {missing[0]!r}")
            picked.extend(names[n.lower()] for n in group)
        elif key in names:
            picked.append(names[key])
        else:
            raise CoamdError(f"--joints: unknown joint or body part {p!r}; body parts: {', '.join(JOINT_GROUPS)}; "
                             f"joints: {', '.join(skeleton.joint_names)}")
    return check_joint_indices(picked, skeleton)


def check_joint_indices(joints, skeleton: Skeleton) -> list[int]:
    """Sorted unique joint indices, each in range, not all of them (something must be regenerated)."""
    out = sorted({int(j) for j in joints})
    bad = [j for j in out if not 0 <= j < skeleton.num_joints]
    if bad:
        raise CoamdError(f"--joints: joint index {bad[0]} is outside 0..{skeleton.num_joints - 1}")
    if len(out) == skeleton.num_joints:
        raise CoamdError("--joints: keeps every joint, so nothing would be regenerated")
    return out
