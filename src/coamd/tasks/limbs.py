"""Two-bone limb IK on joint positions: legs (hip-knee-ankle + foot) and arms (shoulder-elbow-wrist).

Used by the cleanup stage (:mod:`.cleanup`) to put the feet where the network put them on a
constant-length skeleton, and to hold planted feet (:mod:`.contacts`). Limbs are found from the
skeleton: legs from ``foot_joints`` (ankle, toe per side), arms from the wrists (joints named
``*_wrist``), so SMPL-22 and KIT-21 both work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import Skeleton
from ..skeleton.rotations import rotation_between


@dataclass(frozen=True)
class Limb:
    """root -> mid -> end, plus the end's descendants (a foot) aimed at ``tip`` (-1: none)."""

    root: int
    mid: int
    end: int
    tip: int
    below: tuple[int, ...]  # the end joint's descendants (tip included)
    bend: float = 1.0       # the mid joint points forward (+1: knees) or backward (-1: elbows)


def _limb(skeleton: Skeleton, end: int, tip: int, bend: float) -> Limb:
    mid = skeleton.parents[end]
    root = skeleton.parents[mid] if mid >= 0 else -1
    if mid < 0 or root < 0:
        raise ValueError(f"skeleton {skeleton.name!r}: joint {end} has no two bones above it")
    below, stack = [], list(skeleton.children(end))
    while stack:
        j = stack.pop()
        below.append(j)
        stack.extend(skeleton.children(j))
    if tip >= 0 and tip not in below:
        raise ValueError(f"skeleton {skeleton.name!r}: joint {tip} is not below joint {end}")
    return Limb(root, mid, end, tip, tuple(sorted(below)), bend)


def legs(skeleton: Skeleton) -> list[Limb]:
    """Left then right leg from ``skeleton.foot_joints`` = (left ankle, left toe, right ankle, right toe)."""
    fj = skeleton.foot_joints
    if len(fj) != 4:
        raise ValueError(f"skeleton {skeleton.name!r} names no foot joints; contacts need (ankle, toe) per side")
    return [_limb(skeleton, fj[0], fj[1], 1.0), _limb(skeleton, fj[2], fj[3], 1.0)]


def arms(skeleton: Skeleton) -> list[Limb]:
    """The arms ending in a joint named ``*_wrist`` (left first); none if the skeleton has no wrists."""
    ends = [j for side in ("L_", "R_") for j, n in enumerate(skeleton.joint_names) if n == f"{side}wrist"]
    return [_limb(skeleton, j, -1, -1.0) for j in ends]


def running_max(x: np.ndarray, size: int) -> np.ndarray:
    """Max over a centred window of ``size`` frames (odd), edges repeated: scipy's maximum_filter1d
    with mode="nearest", in numpy so that cleanup does not import scipy.ndimage on the CLI's path."""
    half = size // 2
    padded = np.pad(np.asarray(x, dtype=np.float64), half, mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1).max(-1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _perp(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The part of ``v`` (n, 3) perpendicular to the unit vectors ``u`` (n, 3)."""
    return v - np.sum(v * u, axis=-1, keepdims=True) * u


def solve_limb(x: np.ndarray, limb: Limb, end_target: np.ndarray, tip_target: np.ndarray | None,
               forward: np.ndarray, frames: np.ndarray, max_reach: float = 0.995) -> None:
    """Move mid, end and the joints below it in ``frames`` so the end reaches ``end_target`` (in place).

    Two-bone IK: the limb's root is fixed; the reach |end - root| is softly limited to
    ``max_reach`` of the limb's length (no hyper-extension, no pop at full reach); the mid joint
    (knee, elbow) stays in the plane of the current triangle, nudged towards its anatomical side of
    ``forward`` (T, 3) so a straight limb has a stable plane, and eased over time; what hangs below the end turns rigidly about it to aim ``tip`` at ``tip_target``
    (or just moves with the end). Bone lengths are unchanged.
    """
    if not frames.any():
        return
    R, M, E = x[frames, limb.root], x[frames, limb.mid], x[frames, limb.end]
    l1 = np.linalg.norm(M - R, axis=-1)
    l2 = np.linalg.norm(E - M, axis=-1)
    v = end_target[frames] - R
    d = np.linalg.norm(v, axis=-1)
    u = _unit(v)
    full = (l1 + l2) * max_reach
    start = 0.97 * full  # beyond this, approach full reach asymptotically
    soft = start + (full - start) * (1.0 - np.exp(-(d - start) / np.maximum(full - start, 1e-9)))
    d = np.where(d > start, soft, d)
    d = np.maximum(d, np.abs(l1 - l2) + 1e-4)
    # the bend direction: where the mid joint points now, plus a little of the anatomical default
    # (knees forward, elbows back), so a nearly straight limb does not flip its bend frame to frame;
    # then eased over 5 frames
    ref = limb.bend * forward[frames]
    pole = _perp(M - R, u) + 0.25 * l1[:, None] * _unit(_perp(ref, u))
    if len(pole) >= 5:
        pole = np.stack([np.convolve(np.pad(pole[:, i], 2, mode="edge"), np.array([1, 2, 3, 2, 1]) / 9.0,
                                     mode="valid") for i in range(3)], axis=1)
    pole = _unit(_perp(pole, u))
    a = (l1**2 - l2**2 + d**2) / (2 * d)
    h = np.sqrt(np.maximum(l1**2 - a**2, 0.0))
    new_m = R + a[:, None] * u + h[:, None] * pole
    new_e = R + d[:, None] * u
    if limb.below:
        if limb.tip >= 0 and tip_target is not None:
            # aim so the tip sits at its target's *height* exactly (a toe on the floor stays on it),
            # pointing the target's way on the ground plane
            l3 = np.linalg.norm(x[frames, limb.tip] - E, axis=-1)
            want = tip_target[frames] - new_e
            dy = np.clip(want[:, 1], -l3, l3)
            flat = want * np.array([1.0, 0.0, 1.0])
            flat = _unit(flat) * np.sqrt(np.maximum(l3**2 - dy**2, 0.0))[:, None]
            goal = flat + dy[:, None] * np.array([0.0, 1.0, 0.0])
            rot = rotation_between(x[frames, limb.tip] - E, goal)  # (n, 3, 3)
        else:
            rot = np.broadcast_to(np.eye(3), (len(E), 3, 3))
        for j in limb.below:
            x[frames, j] = new_e + np.einsum("tij,tj->ti", rot, x[frames, j] - E)
    x[frames, limb.mid] = new_m
    x[frames, limb.end] = new_e


def lower_to_reach(x: np.ndarray, targets: np.ndarray, limbs: list[Limb], comfort: float = 0.97) -> np.ndarray:
    """Copy of ``x`` lowered per frame just enough that every limb reaches its end target within
    ``comfort`` of full extension. The drop is smoothed over time (a running max, then a raised-
    cosine average over 7 frames), so the body sinks into a stride instead of jumping."""
    out = np.array(x, dtype=np.float64, copy=True)
    drop = np.zeros(len(out))
    for limb in limbs:
        R = out[:, limb.root]
        full = comfort * (np.linalg.norm(out[:, limb.mid] - R, axis=-1) + np.linalg.norm(out[:, limb.end] - out[:, limb.mid], axis=-1))
        v = targets[:, limb.end] - R  # lowering the root by s makes v_y larger by s
        horiz = np.linalg.norm(v[:, [0, 2]], axis=-1)
        need = np.where(horiz < full, -v[:, 1] - np.sqrt(np.maximum(full**2 - horiz**2, 0.0)), 0.0)
        drop = np.maximum(drop, np.where(horiz < full, need, 0.0))
    if not drop.any():
        return out
    drop = running_max(drop, 5)
    kernel = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(1, 8) / 8)
    drop = np.convolve(np.pad(drop, 3, mode="edge"), kernel / kernel.sum(), mode="valid")
    out[..., 1] -= drop[:, None]
    return out


def reach(x: np.ndarray, targets: np.ndarray, skeleton: Skeleton, forward: np.ndarray,
          hands: bool = False) -> np.ndarray:
    """Copy of ``x`` whose feet (and toes; with ``hands`` also the wrists) reach their positions in
    ``targets`` (T, J, 3); the body is lowered where the legs are too short (:func:`lower_to_reach`).

    Hands are off by default: an arm has no contact to keep, and solving elbows from wrist targets
    doubles the elbows' jerk (a nearly straight arm's bend is ill-conditioned), while the bone
    directions the refit keeps already place the hands within a few centimetres.
    """
    leg_limbs = legs(skeleton) if len(skeleton.foot_joints) == 4 else []
    out = lower_to_reach(x, targets, leg_limbs)
    every = np.ones(len(out), bool)
    limbs = leg_limbs + (arms(skeleton) if hands else [])
    for limb in limbs:
        solve_limb(out, limb, targets[:, limb.end], targets[:, limb.tip] if limb.tip >= 0 else None,
                   forward, every)
    return out
