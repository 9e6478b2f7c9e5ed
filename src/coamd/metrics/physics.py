"""Physical plausibility of joint motion: foot skating and contact sliding, floor penetration,
jitter, bone-length variation.

CoAMD reports none of these (paper-brief §6); they answer the field's most common quality
complaint, foot sliding and jitter (anchors.md §4 item 15). Foot skating follows the GMD
definition (Karunratanakul et al., ICCV 2023: a foot in contact, i.e. below 5 cm, that moves
more than 2.5 cm per 20-fps frame) but by default divides by contact frames instead of all
frames, so a motion whose planted feet slide throughout scores 1; ``per="all", window=5`` on
feet (10, 11) reproduces GMD's own number. Details and units: docs/metrics.md.

Inputs are (T, J, 3) or padded (B, T, J, 3) joint positions in metres (``lengths`` gives each
motion's real frame count); a single motion gives a python float, a batch a (B,) array.
Skeleton facts are arguments with SMPL-22 defaults (Y up, 20 fps, ankles 7/8 and feet 10/11).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter1d

from .inputs import MetricInputError, motion_batch

SMPL22_FOOT_JOINTS = (7, 10, 8, 11)  # L_ankle, L_foot, R_ankle, R_foot


def _axes(up_axis: int) -> list[int]:
    if up_axis not in (0, 1, 2):
        raise MetricInputError(f"up_axis: expected 0, 1 or 2, got {up_axis}")
    return [a for a in range(3) if a != up_axis]


def _result(values: np.ndarray, batched: bool) -> float | np.ndarray:
    return values if batched else float(values[0])


def foot_skating_ratio(
    joints: Any,
    fps: float = 20.0,
    foot_idx: tuple[int, ...] = SMPL22_FOOT_JOINTS,
    height_thresh: float = 0.05,
    vel_thresh: float = 0.5,
    up_axis: int = 1,
    lengths: Any = None,
    per: str = "contact",
    window: int = 1,
) -> float | np.ndarray:
    """Fraction of foot-contact frames in which a contacting foot joint slides.

    For each frame step t -> t+1 and foot joint f: contact when f is below ``height_thresh`` (m)
    at both t and t+1; sliding when, in contact, its ground-plane speed exceeds ``vel_thresh``
    (m/s; 0.5 m/s = 2.5 cm per frame at 20 fps). A step counts as contact if any foot joint is in
    contact and as skating if any contacting joint slides. ``per="contact"`` divides skating steps
    by contact steps (0.0 when the feet never touch); ``per="all"`` by all steps (GMD's ratio).
    """
    x, mask, batched = motion_batch(joints, "joints", lengths)
    plane = _axes(up_axis)
    if fps <= 0:
        raise MetricInputError(f"fps: expected a positive frame rate, got {fps}")
    if per not in ("contact", "all"):
        raise MetricInputError(f"per: expected 'contact' or 'all', got {per!r}")
    idx = list(foot_idx)
    if not idx or any(not -x.shape[2] <= j < x.shape[2] for j in idx):
        raise MetricInputError(f"foot_idx: {tuple(foot_idx)} are not joint indices (J = {x.shape[2]})")
    if window < 1:
        raise MetricInputError(f"window: expected a positive number of frames, got {window}")
    if x.shape[1] < 2:
        raise MetricInputError(f"joints: foot skating needs at least 2 frames, got {x.shape[1]}")
    feet = x[:, :, idx]  # (B, T, F, 3)
    low = feet[..., up_axis] < height_thresh  # (B, T, F)
    contact = low[:, :-1] & low[:, 1:]  # (B, T-1, F)
    speed = np.linalg.norm(np.diff(feet[..., plane], axis=1), axis=-1) * fps  # (B, T-1, F)
    step_valid = mask[:, 1:]  # step t -> t+1 is real when frame t+1 is
    sliding = contact & (speed > vel_thresh)
    if window > 1:
        speed = np.where(step_valid[..., None], speed, 0.0)  # padding contributes zero speed
        mean_speed = uniform_filter1d(speed, size=window, axis=1, mode="constant", cval=0.0)
        sliding &= mean_speed > vel_thresh
    contact_steps = (contact.any(-1) & step_valid).sum(-1)  # (B,)
    skating_steps = (sliding.any(-1) & step_valid).sum(-1)
    denom = contact_steps if per == "contact" else step_valid.sum(-1)
    ratio = np.where(denom > 0, skating_steps / np.maximum(denom, 1), 0.0)
    return _result(ratio, batched)


def floor_penetration(
    joints: Any, up_axis: int = 1, floor_height: float = 0.0, lengths: Any = None
) -> float | np.ndarray:
    """Mean depth (m) of the lowest joint below the floor, over frames (0 for frames above it)."""
    x, mask, batched = motion_batch(joints, "joints", lengths)
    _axes(up_axis)
    depth = np.maximum(floor_height - x[..., up_axis].min(-1), 0.0)  # (B, T)
    return _result((depth * mask).sum(-1) / mask.sum(-1), batched)


def jitter(joints: Any, fps: float = 20.0, lengths: Any = None) -> float | np.ndarray:
    """Mean jerk magnitude (m/s^3): third finite difference of positions times fps^3, averaged
    over joints and frames. Constant-velocity or constant-acceleration motion scores 0."""
    x, mask, batched = motion_batch(joints, "joints", lengths)
    if fps <= 0:
        raise MetricInputError(f"fps: expected a positive frame rate, got {fps}")
    shortest = int(mask.sum(-1).min())
    if shortest < 4:
        raise MetricInputError(f"joints: jitter needs at least 4 frames per motion, got {shortest}")
    jerk = np.linalg.norm(np.diff(x, n=3, axis=1), axis=-1) * fps**3  # (B, T-3, J)
    valid = mask[:, 3:]  # a jerk sample needs frames t..t+3, all real when t+3 is
    per_frame = jerk.mean(-1)  # (B, T-3)
    return _result((per_frame * valid).sum(-1) / valid.sum(-1), batched)


def foot_contact_sliding(
    joints: Any,
    fps: float = 20.0,
    foot_idx: tuple[int, ...] = SMPL22_FOOT_JOINTS,
    height_thresh: float = 0.05,
    up_axis: int = 1,
    lengths: Any = None,
) -> float | np.ndarray:
    """Mean ground-plane speed (m/s) of foot joints while they are in contact with the floor.

    A foot joint is in contact over the step t -> t+1 when it is below ``height_thresh`` (m) at
    both frames; its speed over that step is |Δ ground-plane position|·fps. The result averages
    the speeds of all (step, foot joint) pairs in contact (0.0 when no foot ever touches). A
    planted foot scores 0; a foot that glides along the floor at v m/s scores v.
    """
    x, mask, batched = motion_batch(joints, "joints", lengths)
    plane = _axes(up_axis)
    if fps <= 0:
        raise MetricInputError(f"fps: expected a positive frame rate, got {fps}")
    idx = list(foot_idx)
    if not idx or any(not -x.shape[2] <= j < x.shape[2] for j in idx):
        raise MetricInputError(f"foot_idx: {tuple(foot_idx)} are not joint indices (J = {x.shape[2]})")
    if x.shape[1] < 2:
        raise MetricInputError(f"joints: foot contact sliding needs at least 2 frames, got {x.shape[1]}")
    feet = x[:, :, idx]  # (B, T, F, 3)
    low = feet[..., up_axis] < height_thresh  # (B, T, F)
    contact = low[:, :-1] & low[:, 1:] & mask[:, 1:, None]  # (B, T-1, F)
    speed = np.linalg.norm(np.diff(feet[..., plane], axis=1), axis=-1) * fps  # (B, T-1, F)
    n = contact.sum((1, 2))
    total = (speed * contact).sum((1, 2))
    return _result(np.where(n > 0, total / np.maximum(n, 1), 0.0), batched)


def bone_length_variation(joints: Any, parents: Any, lengths: Any = None) -> float | np.ndarray:
    """Mean over bones of the per-bone standard deviation of bone length over time, in millimetres.

    ``parents`` gives each joint's parent index (-1 for the root); every (parent, joint) pair is
    one bone. A rigid skeleton scores 0 whatever it does; a bone whose length alternates between
    L - d and L + d scores d (in mm when joints are in metres).
    """
    x, mask, batched = motion_batch(joints, "joints", lengths)
    par = np.asarray(parents, dtype=np.int64).reshape(-1)
    if par.shape[0] != x.shape[2]:
        raise MetricInputError(f"parents: {par.shape[0]} entries for {x.shape[2]} joints")
    if np.any(par >= x.shape[2]) or np.any(par < -1):
        raise MetricInputError(f"parents: entries must be joint indices or -1, got {par.tolist()}")
    child = np.flatnonzero(par >= 0)
    if child.size == 0:
        raise MetricInputError("parents: the skeleton has no bones")
    length = np.linalg.norm(x[:, :, child] - x[:, :, par[child]], axis=-1)  # (B, T, K)
    w = mask[..., None].astype(np.float64)  # (B, T, 1)
    n = w.sum(1)  # (B, 1)
    mean = (length * w).sum(1) / n
    var = (((length - mean[:, None]) ** 2) * w).sum(1) / n  # (B, K)
    return _result(np.sqrt(var).mean(-1) * 1000.0, batched)
