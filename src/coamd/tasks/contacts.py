"""Foot contacts: detection with hysteresis, and planted feet locked by analytic two-bone leg IK.

Part of the cleanup stage (:mod:`.cleanup`). Motion is canonical: (T, J, 3) metres, Y up, floor
at y = 0. A *leg* is hip -> knee -> ankle plus the ankle's subtree (the foot), found from the
skeleton's ``foot_joints`` (ankle, toe per side), so it works for SMPL-22 and KIT-21 alike.

* Detection (:func:`detect_contacts`): per leg, the toe joint's height and its ground-plane
  speed (a 3-frame mean). A contact starts when the toe is below ``height_on`` and slower than
  ``speed_on``; it lasts while the toe stays below ``height_off`` and slower than ``speed_off``
  (hysteresis: no flicker at the thresholds). Contacts shorter than ``min_frames`` are dropped.
  "Slow" is relative as well as absolute: network output lets a planted foot glide with the body
  (a generated run slides its stance foot at metres per second, a generated walk may never lift
  its toes above the floor band), so a frame also counts as slow when the foot moves at under
  ``ratio_on`` of its peak speed within ``window`` seconds around it: the stance is the slow part
  of each step, whatever the absolute speeds. A contact also ends once the toe has glided
  ``max_glide`` from where it started (and, with ``min_gap``, the foot then stays free for that
  many frames: forcing a shuffle into steps cost FID on the corpus val split, so it is off by
  default).
* Locking (:func:`lock_feet`): during a contact the ankle and the toe are held at their median
  positions over the contact, eased in and out over ``blend`` frames (raised cosine), and never
  below the floor. The hip stays where it is; the knee is solved analytically in the plane of
  the current hip-knee-ankle triangle (the knee keeps pointing where it pointed), with the reach
  softly limited below full extension, so there is no hyper-extension and no knee pop; the foot
  turns rigidly about the ankle to aim the toe at its target. Bone lengths are untouched.
  Between two contacts the foot follows an arch (raised, never lowered: at most
  ``swing_clearance``, a tenth of the step length, about what the corpus' walks show): a generated
  shuffle that never lifts its feet, once its stances are held, would otherwise drag the swinging
  foot along the floor. Higher arches cut contact sliding further but cost FID on the corpus val
  split (8 cm / a quarter of the step: FID 2.3 -> 2.8).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..skeleton import Skeleton
from ..skeleton.canonical import facing_directions
from .limbs import legs, running_max, solve_limb


@dataclass(frozen=True)
class ContactSettings:
    """Thresholds for contact detection (metres, m/s, frames at the motion's fps)."""

    height_on: float = 0.05     # toe joint height (m) to start a contact ...
    height_off: float = 0.08    # ... and to keep it
    speed_on: float = 1.0       # ground speed (m/s) always slow enough to start a contact ...
    speed_off: float = 1.5      # ... and to keep it
    ratio_on: float = 0.3       # or slower than this share of the step's peak speed (window) ...
    ratio_off: float = 0.45     # ... and to keep it
    window: float = 0.5         # seconds around a frame in which the peak speed is taken
    max_glide: float = 0.2      # a contact ends when the toe has moved this far (m) from where it began
    min_frames: int = 3
    min_gap: int = 0            # frames a foot stays free after a contact that ended by gliding too far
    blend: int = 3
    swing_clearance: float = 0.06  # highest arch (m) a swinging foot is raised to between two contacts
    swing_per_metre: float = 0.1   # arch height per metre of step length
    step_seconds: float = 0.6      # a gap between two contacts up to this long is one step


def _ground_speed(p: np.ndarray, fps: float) -> np.ndarray:
    """(T, 3) -> (T,) ground-plane speed (m/s), central differences, then a 3-frame mean."""
    if len(p) < 2:
        return np.zeros(len(p))
    v = np.gradient(p[:, [0, 2]], axis=0) * fps
    s = np.linalg.norm(v, axis=-1)
    if len(s) >= 3:
        s = np.convolve(np.pad(s, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    return s


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    d = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def detect_contacts(joints: np.ndarray, skeleton: Skeleton, fps: float = 20.0,
                    settings: ContactSettings | None = None) -> np.ndarray:
    """(T, 2) bool: whether the left / right foot is planted on the floor (y = 0) at each frame."""
    s = settings or ContactSettings()
    x = np.asarray(joints, dtype=np.float64)
    T = x.shape[0]
    out = np.zeros((T, 2), bool)
    half = max(1, round(s.window * fps / 2))
    for k, leg in enumerate(legs(skeleton)):
        p = x[:, leg.tip]
        h = p[:, 1]
        v = _ground_speed(p, fps)
        peak = running_max(v, 2 * half + 1)  # the step's swing speed around t
        enter = np.maximum(s.speed_on, s.ratio_on * peak)
        stay = np.maximum(s.speed_off, s.ratio_off * peak)
        on, anchor, rest = False, None, 0
        for t in range(T):
            if on:
                on = h[t] < s.height_off and v[t] < stay[t]
                if on and np.linalg.norm(p[t, [0, 2]] - anchor) >= s.max_glide:
                    on, rest = False, s.min_gap  # a glide this long is steps: make the foot take one
            elif rest > 0:
                rest -= 1
            elif h[t] < s.height_on and v[t] < enter[t]:
                on, anchor = True, p[t, [0, 2]]
            out[t, k] = on
        for a, b in _runs(out[:, k]):
            if b - a < s.min_frames:
                out[a:b, k] = False
    return out


def _lock_targets(p: np.ndarray, contact: np.ndarray, blend: int, step_frames: int = 0) -> np.ndarray:
    """Per-frame target of one joint (T, 3): held at its median during each contact.

    The correction (held - free position) is carried across each gap between two contacts by a
    raised-cosine interpolation from the correction at the end of one contact to that at the start
    of the next, so the foot makes up the distance a sliding stance lost over the whole swing
    instead of snapping; before the first and after the last contact it fades out over ``blend``
    frames. A gap of at most ``step_frames`` frames is a step: there the foot's ground-plane path
    is replaced by a smoothstep from one hold to the next (slow at lift-off and landing, fastest
    in mid-swing, when the arch of :func:`_swing_lift` has it off the floor).
    """
    T = len(p)
    runs = _runs(contact)
    off = np.zeros((T, 3))
    if not runs:
        return p.copy()
    for a, b in runs:
        off[a:b] = np.median(p[a:b], axis=0) - p[a:b]
    for (_, b0), (a1, _) in itertools.pairwise(runs):
        n = a1 - b0 + 1
        r = (0.5 - 0.5 * np.cos(np.pi * np.arange(1, n) / n))[:, None]  # raised cosine 0 -> 1
        off[b0:a1] = (1 - r) * off[b0 - 1] + r * off[a1]
        if n - 1 <= step_frames:  # a step: the foot goes from hold to hold, slow at lift-off and landing
            start, end = p[b0 - 1, [0, 2]] + off[b0 - 1, [0, 2]], p[a1, [0, 2]] + off[a1, [0, 2]]
            ss = np.arange(1, n) / n
            ss = (ss * ss * (3 - 2 * ss))[:, None]
            off[b0:a1, [0, 2]] = start + ss * (end - start) - p[b0:a1, [0, 2]]
    a, b = runs[0][0], runs[-1][1]
    for d in range(1, blend + 1):
        r = 0.5 + 0.5 * np.cos(np.pi * d / (blend + 1))
        if a - d >= 0:
            off[a - d] = r * off[a]
        if b - 1 + d < T:
            off[b - 1 + d] = r * off[b - 1]
    return p + off


def _swing_lift(target: np.ndarray, contact: np.ndarray, clearance: float, per_metre: float) -> np.ndarray:
    """Raise (never lower) a foot joint's target between two contacts: a half-sine arch whose
    height is ``per_metre`` times the distance between the two holds, at most ``clearance`` (m),
    above the higher of the two held heights. A step's foot leaves the floor."""
    out = target.copy()
    runs = _runs(contact)
    for (_, b0), (a1, _) in itertools.pairwise(runs):
        n = a1 - b0 + 1
        if n < 3:
            continue
        start, end = target[b0 - 1], target[a1]
        rise = min(clearance, per_metre * float(np.linalg.norm((end - start)[[0, 2]])))
        arch = max(start[1], end[1]) + rise * np.sin(np.pi * np.arange(1, n) / n)
        out[b0:a1, 1] = np.maximum(out[b0:a1, 1], arch)
    return out


def lock_feet(joints: np.ndarray, contacts: np.ndarray, skeleton: Skeleton,
              settings: ContactSettings | None = None, floor: bool = True, fps: float = 20.0) -> np.ndarray:
    """Hold each planted foot still (module docstring); ``floor`` also keeps ankles and toes at y >= 0."""
    s = settings or ContactSettings()
    x = np.array(joints, dtype=np.float64, copy=True)
    forward = facing_directions(x, skeleton)
    for k, leg in enumerate(legs(skeleton)):
        step = round(s.step_seconds * fps)
        ankle_t = _lock_targets(x[:, leg.end], contacts[:, k], s.blend, step)
        toe_t = _lock_targets(x[:, leg.tip], contacts[:, k], s.blend, step)
        if s.swing_clearance > 0:
            ankle_t = _swing_lift(ankle_t, contacts[:, k], s.swing_clearance, s.swing_per_metre)
            toe_t = _swing_lift(toe_t, contacts[:, k], s.swing_clearance, s.swing_per_metre)
        if floor:
            ankle_t[:, 1] = np.maximum(ankle_t[:, 1], 0.0)
            toe_t[:, 1] = np.maximum(toe_t[:, 1], 0.0)
        moved = (np.abs(ankle_t - x[:, leg.end]).max(-1) > 1e-7) | (np.abs(toe_t - x[:, leg.tip]).max(-1) > 1e-7)
        solve_limb(x, leg, ankle_t, toe_t, forward, moved)
    return x
