"""Training-time motion augmentation towards real captured clips (issue 11, docs/domain_gap.md).

Pure numpy functions on canonical SMPL-22 motion (T, 22, 3), metres, Y up, 20 fps. Each random
function takes a ``np.random.Generator`` and draws its parameters once per clip, so whatever it
changes stays consistent over time (a rig, a body, a playback speed), except the sensor noise.

The ranges come from the measurements in docs/domain_gap.md: real rigs mapped to SMPL-22 by joint
name put hips, shoulders, spine, neck and pelvis elsewhere than the corpus skeleton (HDM05 hips
~4 cm wider, shoulders ~7 cm higher relative to the neck; Bandai-Namco shoulders half as wide and the
pelvis joint at hip height), real clips are cut tight (no idle lead-in/out) and are shorter,
and their joints are noisier (2.5-4x the corpus jerk).

- `replace_joints`: rig-mapping offsets: hip and shoulder widths, shoulder height, pelvis height,
  spine joints re-placed along the pelvis→neck chain, head/neck placement.
- `scale_bones`: bone lengths scaled along their directions from the root outward (skeleton stays
  connected; symmetric by default, one factor per limb group and a global one).
- `lean_trunk`: the upper body bent forward about spine1 (posture; bone lengths kept).
- `time_warp`: speed change and a smooth monotone warp, resampled by linear interpolation.
- `mirror_motion` / `mirror_caption_text`: left/right mirror of the motion and its text.
- `random_crop`, `pad_idle`: sub-windows and held (slightly drifting) still frames at the ends.
- `rotate_yaw_random`: a small rotation about the vertical axis through the first-frame pelvis.
- `sensor_noise`: white jitter plus slow per-joint drift.
- `MotionAugment`: all of the above with probabilities, as one callable used by ``coamd train mar``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..skeleton import SMPL22, mirror
from ..skeleton.rotations import yaw_matrix

# SMPL-22 joint indices used here
PELVIS, LHIP, RHIP, SPINE1, SPINE2, SPINE3, NECK, HEAD = 0, 1, 2, 3, 6, 9, 12, 15
LCOLLAR, RCOLLAR, LSHOULDER, RSHOULDER = 13, 14, 16, 17
PARENTS = SMPL22.parents

# limb groups of bone-length scaling: joint -> group (the bone that ends at the joint)
BONE_GROUPS: dict[str, tuple[int, ...]] = {
    "legs": (4, 5, 7, 8, 10, 11),         # thighs, shins, feet
    "arms": (18, 19, 20, 21),             # upper arms, forearms
    "spine": (3, 6, 9, 12, 15),           # spine chain, neck, head
    "girdles": (1, 2, 13, 14, 16, 17),    # pelvis->hips, spine3->collars, collars->shoulders
}


def _as_motion(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1:] != (SMPL22.num_joints, 3):
        raise ValueError(f"expected motion of shape (T, {SMPL22.num_joints}, 3), got {tuple(x.shape)}")
    return x


def _refloor(x: np.ndarray) -> np.ndarray:
    """Floor back at y = 0 (the lowest joint over the clip), as the canonical convention has it."""
    x[..., 1] -= x[..., 1].min()
    return x


# ---------------------------------------------------------------------------- joint placement
def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-8)


def _along_chain(points: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Points at arc-length ``fractions`` (T, K) of a per-frame polyline (T, P, 3) -> (T, K, 3)."""
    T = len(points)
    seg = np.linalg.norm(np.diff(points, axis=1), axis=-1)                    # (T, P-1)
    cum = np.concatenate([np.zeros((T, 1)), np.cumsum(seg, axis=1)], axis=1)  # (T, P)
    target = fractions * np.maximum(cum[:, -1:], 1e-8)                        # (T, K)
    rows = np.arange(T)
    out = np.empty((T, fractions.shape[1], 3))
    for k in range(fractions.shape[1]):
        i = np.clip((cum[:, 1:-1] <= target[:, k:k + 1]).sum(axis=1), 0, points.shape[1] - 2)  # segment index
        t0, t1 = cum[rows, i], cum[rows, i + 1]
        w = ((target[:, k] - t0) / np.maximum(t1 - t0, 1e-8))[:, None]
        out[:, k] = points[rows, i] * (1 - w) + points[rows, i + 1] * w
    return out


@dataclass
class PlacementRanges:
    """Uniform ranges of the rig-mapping offsets (measured spreads, docs/domain_gap.md)."""

    hip_width: tuple[float, float] = (0.85, 1.5)        # hip joints' distance, x the corpus one
    shoulder_width: tuple[float, float] = (0.45, 1.2)   # shoulder joints' distance, x
    shoulder_raise: tuple[float, float] = (0.0, 0.09)   # m towards the neck along the torso axis
    pelvis_to_hips: tuple[float, float] = (-0.3, 0.8)   # pelvis joint moved this share of the way to the hip midpoint
    spine1: tuple[float, float] = (0.18, 0.42)          # cumulative arc-length share along pelvis->neck
    spine2: tuple[float, float] = (0.45, 0.62)
    spine3: tuple[float, float] = (0.56, 0.88)
    head: tuple[float, float] = (0.8, 1.2)              # neck->head distance, x


def replace_joints(x: np.ndarray, rng: np.random.Generator, ranges: PlacementRanges | None = None,
                   strength: float = 1.0) -> np.ndarray:
    """Re-place hips, shoulders, collars, pelvis, spine and head as another rig's name mapping would.

    One draw per clip, applied in every frame relative to the body (so it moves with the body).
    ``strength`` in [0, 1] shrinks every range towards "no change". Limbs below the moved joints
    stay where they are (as on a real rig: the same physical elbow, another "shoulder").
    """
    x = _as_motion(x).astype(np.float64)
    r = ranges or PlacementRanges()

    def draw(lo_hi: tuple[float, float], neutral: float) -> float:
        lo, hi = lo_hi
        return neutral + strength * (float(rng.uniform(lo, hi)) - neutral)

    out = x.copy()
    # hips: distance scaled about their midpoint
    mid = (x[:, LHIP] + x[:, RHIP]) / 2
    s = draw(r.hip_width, 1.0)
    out[:, LHIP] = mid + s * (x[:, LHIP] - mid)
    out[:, RHIP] = mid + s * (x[:, RHIP] - mid)
    # pelvis towards (or away from) the hip midpoint
    a = draw(r.pelvis_to_hips, 0.0)
    out[:, PELVIS] = x[:, PELVIS] + a * (mid - x[:, PELVIS])
    # spine joints re-placed along the pelvis -> spine1 -> spine2 -> spine3 -> neck polyline
    chain = x[:, [PELVIS, SPINE1, SPINE2, SPINE3, NECK]]
    seg = np.linalg.norm(np.diff(chain, axis=1), axis=-1)                     # (T, 4)
    base = np.cumsum(seg, axis=1)[:, :3] / np.maximum(seg.sum(axis=1, keepdims=True), 1e-8)  # (T, 3) shares
    mean = base.mean(axis=0)
    want = np.array([draw(r.spine1, mean[0]), draw(r.spine2, mean[1]), draw(r.spine3, mean[2])])
    for k in (1, 2):                                                           # keep the joints in order
        want[k] = max(want[k], want[k - 1] + 0.02)
    frac = np.clip(base + (want - mean), 0.02, 0.98)
    out[:, [SPINE1, SPINE2, SPINE3]] = _along_chain(chain, frac)
    # shoulders and collars: width about their midpoint, raised along the torso axis
    up = _unit(x[:, NECK] - x[:, PELVIS])
    sw, raise_m = draw(r.shoulder_width, 1.0), draw(r.shoulder_raise, 0.0)
    for left, right, k in ((LSHOULDER, RSHOULDER, 1.0), (LCOLLAR, RCOLLAR, 0.5)):
        m = (x[:, left] + x[:, right]) / 2
        scale = 1.0 + k * (sw - 1.0)
        out[:, left] = m + scale * (x[:, left] - m) + k * raise_m * up
        out[:, right] = m + scale * (x[:, right] - m) + k * raise_m * up
    # head: distance from the neck
    h = draw(r.head, 1.0)
    out[:, HEAD] = x[:, NECK] + h * (x[:, HEAD] - x[:, NECK])
    return _refloor(out).astype(np.float32)


# ---------------------------------------------------------------------------- body proportions
def bone_scales(rng: np.random.Generator, global_range: tuple[float, float] = (0.88, 1.12),
                group_range: tuple[float, float] = (0.9, 1.1), per_bone: float = 0.0) -> np.ndarray:
    """Per-joint factors (J,) for `scale_bones`: global x limb group (x optional per-bone jitter),
    the same on both sides (mirror-symmetric)."""
    J = SMPL22.num_joints
    scale = np.full(J, float(rng.uniform(*global_range)))
    for joints in BONE_GROUPS.values():
        scale[list(joints)] *= float(rng.uniform(*group_range))
    if per_bone > 0:
        jitter = np.exp(rng.normal(0.0, per_bone, J))
        jitter = np.sqrt(jitter * jitter[list(SMPL22.mirror_map)])           # symmetric
        scale *= jitter
    scale[SMPL22.root] = 1.0
    return scale


def scale_bones(x: np.ndarray, scales: np.ndarray | float) -> np.ndarray:
    """Scale each bone (parent -> joint) by ``scales[joint]`` along its direction, root outward.

    The root keeps its trajectory; every child is re-attached to its (moved) parent, so the
    skeleton stays connected and each bone's direction is unchanged. The floor is reset to y = 0.
    """
    x = _as_motion(x).astype(np.float64)
    s = np.broadcast_to(np.asarray(scales, dtype=np.float64), (SMPL22.num_joints,))
    out = np.empty_like(x)
    out[:, SMPL22.root] = x[:, SMPL22.root]
    for j, p in enumerate(PARENTS):                                            # parents come first
        if p >= 0:
            out[:, j] = out[:, p] + s[j] * (x[:, j] - x[:, p])
    return _refloor(out).astype(np.float32)


# ---------------------------------------------------------------------------- posture
def _subtree(joint: int) -> list[int]:
    """``joint`` and every joint below it in the kinematic tree."""
    out = [joint]
    for j, p in enumerate(PARENTS):                                            # parents come first
        if p in out:
            out.append(j)
    return out


UPPER_BODY = tuple(_subtree(SPINE2))                                          # spine2 and all above it


def lean_trunk(x: np.ndarray, angle: float) -> np.ndarray:
    """Bend the upper body forward by ``angle`` radians (backward if negative): the joints from spine2
    up (spine, neck, head, arms) turn rigidly about spine1 around the body's left-right axis (hip to
    hip, horizontal, per frame). Bone lengths are kept; pelvis and legs do not move. Real subjects
    stand and move with far more trunk lean than the corpus (docs/domain_gap.md section 2: HDM05
    median 14 deg, corpus 4 deg), and a stooped gesture is not a bow."""
    x = _as_motion(x).astype(np.float64)
    lateral = x[:, LHIP] - x[:, RHIP]
    lateral[:, 1] = 0.0
    k = lateral / np.maximum(np.linalg.norm(lateral, axis=-1, keepdims=True), 1e-9)   # (T, 3), Y-free
    pivot = x[:, SPINE1:SPINE1 + 1]
    v = x[:, list(UPPER_BODY)] - pivot
    c, s = np.cos(angle), np.sin(angle)
    kk = k[:, None, :]
    # Rodrigues about +lateral (left): +angle turns up towards the facing direction
    rot = v * c + np.cross(kk, v) * s + kk * np.sum(kk * v, axis=-1, keepdims=True) * (1.0 - c)
    out = x.copy()
    out[:, list(UPPER_BODY)] = pivot + rot
    return _refloor(out).astype(np.float32)


# ---------------------------------------------------------------------------- time
def resample_at(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Linear interpolation of (T, ...) at fractional frame ``positions`` (N,)."""
    T = len(x)
    pos = np.clip(np.asarray(positions, dtype=np.float64), 0, T - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, T - 1)
    w = (pos - lo).reshape(-1, *([1] * (x.ndim - 1)))
    return (x[lo] * (1 - w) + x[hi] * w).astype(x.dtype, copy=False)


def time_warp(x: np.ndarray, rng: np.random.Generator, speed: tuple[float, float] = (0.8, 1.25),
              wobble: float = 0.15, max_frames: int | None = None) -> np.ndarray:
    """Play the clip at a random mean speed with a smooth monotone warp (local speed x (1 ± wobble)).

    The output has round(T / speed) frames (at most ``max_frames``), first and last frame kept.
    """
    x = _as_motion(x)
    T = len(x)
    if T < 2:
        return x.copy()
    v = float(np.exp(rng.uniform(np.log(speed[0]), np.log(speed[1]))))
    n = max(2, round((T - 1) / v) + 1)
    if max_frames is not None:
        n = min(n, max_frames)
    # local rate: 1 + wobble * a sum of two random low-frequency sines, kept positive
    t = np.linspace(0.0, 1.0, n)
    rate = np.ones(n)
    for _ in range(2):
        rate += wobble / 2 * np.sin(2 * np.pi * (rng.uniform(0.3, 1.5) * t + rng.uniform()))
    rate = np.maximum(rate, 0.2)
    cum = np.concatenate([[0.0], np.cumsum((rate[1:] + rate[:-1]) / 2)])
    positions = cum / cum[-1] * (T - 1)
    return resample_at(x, positions)


# ---------------------------------------------------------------------------- mirror
def mirror_caption_text(text: str) -> str:
    """Swap left/right (and clockwise/counterclockwise) words, keeping case: the text of a mirrored clip."""
    from ..synth.corpus import mirror_text

    return mirror_text(text)


def mirror_motion(x: np.ndarray) -> np.ndarray:
    """Left/right mirror image (negate X, swap left/right joints)."""
    return mirror(_as_motion(x), SMPL22).astype(np.float32)


def mirror_label(label: str, label_names: list[str] | tuple[str, ...] | None = None) -> str:
    """The label of a mirrored clip: the side-swapped name (must exist in ``label_names`` when given,
    else the label is returned unchanged, e.g. side-free labels such as "kick")."""
    swapped = mirror_caption_text(label)
    if label_names is not None and swapped not in label_names:
        return label
    return swapped


# ---------------------------------------------------------------------------- crops, idle, yaw, noise
def random_crop(x: np.ndarray, rng: np.random.Generator, min_share: float = 0.5, min_frames: int = 20) -> np.ndarray:
    """A random window of at least ``min_share`` of the clip (and ``min_frames`` frames)."""
    x = _as_motion(x)
    T = len(x)
    lo = min(T, max(min_frames, int(np.ceil(min_share * T))))
    n = int(rng.integers(lo, T + 1))
    start = int(rng.integers(0, T - n + 1))
    return x[start:start + n].copy()


def pad_idle(x: np.ndarray, rng: np.random.Generator, max_start: int = 10, max_end: int = 10,
             drift: float = 0.003) -> np.ndarray:
    """Hold the first/last pose for up to ``max_start``/``max_end`` frames (with a little sway, m)."""
    x = _as_motion(x)
    a, b = int(rng.integers(0, max_start + 1)), int(rng.integers(0, max_end + 1))
    parts = []
    if a:
        sway = np.cumsum(rng.normal(0, drift / np.sqrt(a), (a, 1, 3)), axis=0)[::-1]
        parts.append(x[:1] + sway)
    parts.append(x)
    if b:
        sway = np.cumsum(rng.normal(0, drift / np.sqrt(b), (b, 1, 3)), axis=0)
        parts.append(x[-1:] + sway)
    return np.concatenate(parts).astype(np.float32)


def rotate_yaw_random(x: np.ndarray, rng: np.random.Generator, max_deg: float = 20.0) -> np.ndarray:
    """Rotate about the vertical axis through the first-frame pelvis by U(-max, max) degrees."""
    x = _as_motion(x).astype(np.float64)
    angle = np.radians(rng.uniform(-max_deg, max_deg))
    c = x[0, SMPL22.root] * np.array([1.0, 0.0, 1.0])
    return ((x - c) @ yaw_matrix(np.asarray(angle)).T + c).astype(np.float32)


def sensor_noise(x: np.ndarray, rng: np.random.Generator, jitter: float = 0.0015, drift: float = 0.01,
                 drift_frames: int = 10) -> np.ndarray:
    """Add white jitter (std U(0, jitter) m) and slow per-joint drift (std U(0, drift) m,
    smoothed over ~``drift_frames`` frames), as marker/IMU capture and retargeting leave."""
    x = _as_motion(x).astype(np.float64)
    T, J, _ = x.shape
    out = x + rng.normal(0.0, rng.uniform(0, jitter), x.shape)
    if drift > 0 and T > 1:
        k = max(1, drift_frames)
        raw = rng.normal(0.0, 1.0, (T + 2 * k, J, 3))
        kernel = np.hanning(2 * k + 1)
        kernel /= np.sqrt((kernel ** 2).sum())                                  # unit std after smoothing
        smooth = np.apply_along_axis(lambda s: np.convolve(s, kernel, mode="same"), 0, raw)[k:k + T]
        out += smooth * rng.uniform(0, drift)
    return out.astype(np.float32)


# ---------------------------------------------------------------------------- all together
@dataclass
class MotionAugment:
    """Probabilities/strengths of each augmentation; ``__call__`` applies them to one clip.

    Order: placement → bone scaling → trunk lean → time warp → crop → idle padding → yaw → noise →
    mirror. (A lean probability of 0 draws nothing, so recipes without it augment as before.)
    Returns the motion (at most ``max_frames`` frames) and whether it was mirrored (the caller
    mirrors the caption/label then).
    """

    placement: float = 0.0      # probability of rig-mapping offsets
    bones: float = 0.0          # probability of bone-length scaling
    warp: float = 0.0           # probability of a time warp
    crop: float = 0.0           # probability of a random crop (min share below)
    crop_min_share: float = 0.5
    idle: float = 0.0           # probability of idle padding
    yaw: float = 0.0            # probability of a random yaw (±yaw_deg)
    yaw_deg: float = 20.0
    noise: float = 0.0          # probability of sensor noise
    mirror: float = 0.0         # probability of mirroring
    max_frames: int = 196
    scale_min: float = 0.88     # range of the global body-size factor of bone scaling
    scale_max: float = 1.12
    lean: float = 0.0           # probability of a forward trunk lean U(0, lean_max) radians
    lean_max: float = 0.45

    @classmethod
    def from_string(cls, spec: str) -> MotionAugment:
        """``"placement=0.8,bones=0.5,mirror=0.5"`` (or ``"all=P"``) -> MotionAugment."""
        known = {f.name for f in fields(cls)}
        kw: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, _, value = part.partition("=")
            key = key.strip()
            if key == "all":
                for name in ("placement", "bones", "warp", "crop", "idle", "yaw", "noise", "mirror", "lean"):
                    kw[name] = float(value)
            elif key in known:
                kw[key] = int(value) if key == "max_frames" else float(value)
            else:
                raise ValueError(f"augment: unknown key {key!r}; choose from {sorted(known | {'all'})}")
        return cls(**kw)

    @property
    def active(self) -> bool:
        return any(getattr(self, n) > 0 for n in ("placement", "bones", "warp", "crop", "idle", "yaw", "noise",
                                                      "mirror", "lean"))

    def __call__(self, x: np.ndarray, rng: np.random.Generator, allow_short_crop: bool = True
                 ) -> tuple[np.ndarray, bool]:
        x = _as_motion(x)
        if rng.random() < self.placement:
            x = replace_joints(x, rng)
        if rng.random() < self.bones:
            x = scale_bones(x, bone_scales(rng, (self.scale_min, self.scale_max)))
        if self.lean > 0 and rng.random() < self.lean:
            x = lean_trunk(x, float(rng.uniform(0.0, self.lean_max)))
        if rng.random() < self.warp:
            x = time_warp(x, rng, max_frames=None)
        if rng.random() < self.crop:
            x = random_crop(x, rng, self.crop_min_share if allow_short_crop else max(self.crop_min_share, 0.8))
        if rng.random() < self.idle:
            x = pad_idle(x, rng)
        if len(x) > self.max_frames:                                           # keep a random window
            start = int(rng.integers(0, len(x) - self.max_frames + 1))
            x = x[start:start + self.max_frames]
        if rng.random() < self.yaw:
            x = rotate_yaw_random(x, rng, self.yaw_deg)
        if rng.random() < self.noise:
            x = sensor_noise(x, rng)
        mirrored = bool(rng.random() < self.mirror)
        if mirrored:
            x = mirror_motion(x)
        return np.asarray(x, dtype=np.float32), mirrored


__all__ = ["BONE_GROUPS", "MotionAugment", "PlacementRanges", "bone_scales", "lean_trunk", "mirror_caption_text", "mirror_label",
           "mirror_motion", "pad_idle", "random_crop", "replace_joints", "resample_at", "rotate_yaw_random",
           "scale_bones", "sensor_noise", "time_warp"]
