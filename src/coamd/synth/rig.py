"""Pose channels -> SMPL-22 local joint rotations (the procedural corpus' rig; Foundation issue §5).

An action describes a segment with a `Pose`: per-frame *channels* (pelvis position and
orientation, trunk/neck bends, and for every limb an angle pose, a world target solved with
two-bone IK, or world bone directions, blended by per-frame weights). `pose_to_local` turns the
channels into local rotations for `coamd.skeleton.forward_kinematics`, so every bone keeps its
exact length. Conventions (the person faces +Z, left is +X, Y up):

* pelvis orientation R = Ry(yaw) Rx(pitch) Rz(roll); pitch > 0 tips the body forward.
* trunk/neck channels (flex, side, twist): + bends forward, leans to the left, turns to the left.
* limb angles (left convention, the right side is mirrored): elevation e (0 hanging down,
  pi/2 horizontal, pi straight up), plane az (0 forward, pi/2 out to the side, < 0 across the
  body), bend (elbow/knee flexion) and roll (> 0 turns the forearm/shank plane inward).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .body import Body, Style
from .curves import smooth

LEFT, RIGHT = 0, 1
MIRROR = np.array([-1.0, 1.0, 1.0])


def _axis(a, i: int, j: int, sign: float) -> np.ndarray:
    """Rotation about one principal axis; (i, j) are the rotated plane's indices."""
    a = np.asarray(a, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    k = 3 - i - j
    m[..., k, k] = 1.0
    m[..., i, i] = c
    m[..., j, j] = c
    m[..., i, j] = -sign * s
    m[..., j, i] = sign * s
    return m


def rx(a) -> np.ndarray:
    return _axis(a, 1, 2, 1.0)


def ry(a) -> np.ndarray:
    return _axis(a, 0, 2, -1.0)


def rz(a) -> np.ndarray:
    return _axis(a, 0, 1, 1.0)


def ryxz(y, x, z) -> np.ndarray:
    """Ry(y) @ Rx(x) @ Rz(z) in closed form: (...) angles -> (..., 3, 3)."""
    ca, sa, cb, sb, cc, sc = np.cos(y), np.sin(y), np.cos(x), np.sin(x), np.cos(z), np.sin(z)
    m = np.empty(np.shape(ca) + (3, 3))
    m[..., 0, 0] = ca * cc + sa * sb * sc
    m[..., 0, 1] = -ca * sc + sa * sb * cc
    m[..., 0, 2] = sa * cb
    m[..., 1, 0] = cb * sc
    m[..., 1, 1] = cb * cc
    m[..., 1, 2] = -sb
    m[..., 2, 0] = -sa * cc + ca * sb * sc
    m[..., 2, 1] = sa * sc + ca * sb * cc
    m[..., 2, 2] = ca * cb
    return m


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product over the last axis (cheaper than np.cross for small batches)."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    out[..., 1] = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    out[..., 2] = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return out


def mv(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched matrix @ vector: (..., 3, 3), (..., 3) -> (..., 3)."""
    return np.einsum("...ij,...j->...i", m, v)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.sqrt(np.sum(v * v, axis=-1, keepdims=True)), 1e-9)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1, keepdims=True)


@dataclass
class Pose:
    """Channels of one segment (T frames, segment frame: starts near the origin facing +Z)."""

    root: np.ndarray  # (T, 3) pelvis position
    yaw: np.ndarray  # (T,) pelvis orientation angles (radians)
    pitch: np.ndarray
    roll: np.ndarray
    spine: np.ndarray  # (T, 3) flex, side, twist, spread over spine1/2/3
    neck: np.ndarray  # (T, 3) flex, side, twist
    collar: np.ndarray  # (T, 2, 2) elevation, protraction per side
    arm: np.ndarray  # (T, 2, 4) e, az, elbow, roll
    leg: np.ndarray  # (T, 2, 4) e, az, knee, ankle pitch (angle mode, pelvis frame)
    ball: np.ndarray  # (T, 2, 3) world ball-of-foot targets (IK mode)
    foot_yaw: np.ndarray  # (T, 2) world foot yaw
    foot_pitch: np.ndarray  # (T, 2) heel raise (+) / toes raise (-)
    leg_ik: np.ndarray  # (T, 2) weight of the IK mode (1 = feet on their targets)
    arm_ik: np.ndarray  # (T, 2) weight of the wrist-target mode
    arm_target: np.ndarray | None = None  # (T, 2, 3) world wrist targets
    arm_pole: np.ndarray | None = None  # (T, 2, 3) world elbow pole directions
    knee_pole: np.ndarray | None = None  # (T, 2, 3) world knee pole directions
    leg_dirs: np.ndarray | None = None  # (T, 2, 2, 3) world thigh/shank directions
    leg_dir_w: np.ndarray | None = None  # (T, 2) weight of leg_dirs
    arm_dirs: np.ndarray | None = None  # (T, 2, 2, 3) world upper-arm/forearm directions
    arm_dir_w: np.ndarray | None = None  # (T, 2)
    info: dict = field(default_factory=dict)

    @property
    def T(self) -> int:
        return int(self.root.shape[0])


def stand_height(body: Body, knee: float) -> float:
    """Pelvis height standing on flat feet with both knees flexed by ``knee`` radians."""
    l1, l2 = body.thigh, body.shank
    leg = np.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * np.cos(knee))
    return float(-body.offsets[1, 1] + leg + body.ankle_height)


def stand_feet(body: Body, style: Style, x: float = 0.0, z: float = 0.0, heading: float = 0.0,
               width: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ball positions (2, 3) and foot yaws (2,) of a person standing at (x, z) facing ``heading``."""
    w = body.hip_width * (style.stance if width is None else width)
    ch, sh = math.cos(heading), math.sin(heading)
    balls = np.zeros((2, 3))
    yaws = np.zeros(2)
    for s, side in ((LEFT, 1.0), (RIGHT, -1.0)):
        yaw = heading + side * style.toe_out
        fx, fz = body.foot[0] * side, body.foot[2]
        cy, sy = math.cos(yaw), math.sin(yaw)
        bx = side * w * ch + cy * fx + sy * fz  # Ry(heading) (side w, 0, 0) + Ry(yaw) foot
        bz = -side * w * sh - sy * fx + cy * fz
        balls[s] = (x + bx, 0.0, z + bz)
        yaws[s] = yaw
    return balls, yaws


def neutral(body: Body, style: Style, T: int) -> Pose:
    """A person standing still at the origin facing +Z, in the clip's resting style."""
    balls, yaws = stand_feet(body, style)
    arm = np.array([style.arm_out, np.pi / 2, style.elbow, 0.3])  # hang slightly out to the side
    return Pose(
        root=np.tile([0.0, stand_height(body, style.knee), 0.0], (T, 1)),
        yaw=np.zeros(T), pitch=np.zeros(T), roll=np.zeros(T),
        spine=np.tile([style.posture, 0.0, 0.0], (T, 1)),
        neck=np.tile([-style.posture * 0.5, 0.0, 0.0], (T, 1)),
        collar=np.zeros((T, 2, 2)),
        arm=np.tile(arm, (T, 2, 1)),
        leg=np.tile([0.0, 0.0, style.knee, 0.0], (T, 2, 1)),
        ball=np.tile(balls, (T, 1, 1)),
        foot_yaw=np.tile(yaws, (T, 1)),
        foot_pitch=np.zeros((T, 2)),
        leg_ik=np.ones((T, 2)),
        arm_ik=np.zeros((T, 2)),
    )


def limb_dirs(e: np.ndarray, az: np.ndarray, bend: np.ndarray, roll: np.ndarray, sign: float):
    """Left-convention bone directions from limb angles -> upper (..., 3), lower, bend-plane hint.

    ``sign`` +1 bends towards the elevation direction (elbow), -1 away from it (knee).
    """
    se, ce, sa, ca = np.sin(e), np.cos(e), np.sin(az), np.cos(az)
    u = np.stack([se * sa, -ce, se * ca], axis=-1)
    w0 = np.stack([ce * sa, se, ce * ca], axis=-1)  # d u / d e: unit and orthogonal to u
    # twist the bend plane by the plane angle too, so roll 0 always bends in the sagittal sense
    # (a hanging or sideways arm bends its forearm forward, a hanging leg its shank backward)
    twist = roll + az
    perp = np.cos(twist)[..., None] * w0 + np.sin(twist)[..., None] * cross(u, w0)
    v = np.cos(bend)[..., None] * u + sign * np.sin(bend)[..., None] * perp
    return u, v, sign * perp


def sagittal(forward: np.ndarray, side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(elevation, plane) of a limb swung ``forward`` (sagittal angle) and lifted ``side`` outwards."""
    forward, side = np.asarray(forward, dtype=np.float64), np.asarray(side, dtype=np.float64)
    ux, uy, uz = np.sin(side), -np.cos(side) * np.cos(forward), np.cos(side) * np.sin(forward)
    return np.arccos(np.clip(-uy, -1.0, 1.0)), np.arctan2(ux, uz)


def two_bone(root: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray):
    """Two-bone IK: upper/lower unit directions (..., 3) reaching ``target`` with the joint on ``pole``."""
    d = target - root
    dist = np.sqrt(np.sum(d * d, axis=-1, keepdims=True))
    dhat = d / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(l1 - l2) + 1e-3, (l1 + l2) * 0.9999)
    cos_a = np.clip((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1.0, 1.0)
    p = pole - _dot(pole, dhat) * dhat
    p = _unit(p + 1e-6 * np.array([0.0, 0.0, 1.0]))
    u = cos_a * dhat + np.sqrt(1 - cos_a * cos_a) * p
    v = _unit(dist * dhat - l1 * u)
    return u, v


def aim(u: np.ndarray, v: np.ndarray, hint: np.ndarray, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Global rotation of the upper bone (..., 3, 3) and the hinge angle (...) of the lower bone.

    The upper bone's rest direction is -Y and its hinge axis X; the lower bone bends towards +Z
    (sign +1, elbow) or -Z (sign -1, knee). ``hint`` fixes the twist when the limb is straight.
    """
    u = _unit(u)
    y = -u
    z0 = v - _dot(v, u) * u
    h = hint - _dot(hint, u) * u
    z = _unit(sign * z0 + 0.05 * _unit(h))
    x = _unit(cross(y, z))
    z = cross(x, y)
    g = np.stack([x, y, z], axis=-1)  # columns
    theta = np.arctan2(sign * np.sum(v * z, axis=-1), np.sum(v * u, axis=-1))
    return g, theta


def _trunk(a: np.ndarray, frac: float) -> np.ndarray:
    """Local rotation for (flex, side, twist) scaled by ``frac``: (T, 3) -> (T, 3, 3)."""
    return ryxz(a[:, 2] * frac, a[:, 0] * frac, -a[:, 1] * frac)


def _blend_dirs(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted (w (...), u (..., 3), v (..., 3)) direction pairs -> normalised blend."""
    u = sum(w[..., None] * a for w, a, _ in parts)
    v = sum(w[..., None] * b for w, _, b in parts)
    return _unit(u), _unit(v)


def pose_to_local(body: Body, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Channels -> (root positions (T, 3), local rotations (T, 22, 3, 3))."""
    T = pose.T
    off = body.offsets
    loc = np.broadcast_to(np.eye(3), (T, 22, 3, 3)).copy()
    g0 = ryxz(pose.yaw, pose.pitch, pose.roll)  # (T, 3, 3)
    loc[:, 0] = g0
    # trunk
    for j, frac in ((3, 0.3), (6, 0.35), (9, 0.35)):
        loc[:, j] = _trunk(pose.spine, frac)
    g9 = g0 @ loc[:, 3] @ loc[:, 6] @ loc[:, 9]
    p9 = pose.root + mv(g0, off[3]) + mv(g0 @ loc[:, 3], off[6]) + mv(g0 @ loc[:, 3] @ loc[:, 6], off[9])
    loc[:, 12] = _trunk(pose.neck, 1.0)
    # arms, both sides at once: (T, 2, ...) with the right side mirrored
    side_m = np.array([[1.0, 1.0, 1.0], MIRROR])  # (2, 3)
    lc = rz(pose.collar[..., 0]) @ ry(-pose.collar[..., 1])  # (T, 2, 3, 3)
    lc[:, RIGHT] = MIRROR[:, None] * lc[:, RIGHT] * MIRROR[None, :]
    loc[:, 13:15] = lc
    g9s = g9[:, None]
    gc = g9s @ lc
    a = pose.arm
    u, v, hint = limb_dirs(a[..., 0], a[..., 1], a[..., 2], a[..., 3], 1.0)
    u, v, hint = mv(g9s, u * side_m), mv(g9s, v * side_m), mv(g9s, hint * side_m)
    w_ik = pose.arm_ik
    w_dir = pose.arm_dir_w if pose.arm_dir_w is not None else np.zeros((T, 2))
    parts = [(np.clip(1.0 - w_ik - w_dir, 0.0, 1.0), u, v)]
    if w_ik.any():
        shoulder = p9[:, None] + mv(g9s, off[13:15]) + mv(gc, off[16:18])
        if pose.arm_pole is not None:
            pole = pose.arm_pole
        else:
            pole = mv(g9s, np.array([[0.5, -0.45, -0.75], [-0.5, -0.45, -0.75]]))
        ui, vi = two_bone(shoulder, pose.arm_target, body.upper_arm, body.forearm, pole)
        parts.append((w_ik, ui, vi))
        hint = np.where(w_ik[..., None] > 0.5, vi - _dot(vi, ui) * ui, hint)
    if w_dir.any():
        parts.append((w_dir, pose.arm_dirs[:, :, 0], pose.arm_dirs[:, :, 1]))
    u, v = _blend_dirs(parts)
    g_upper, theta = aim(u, v, hint, 1.0)
    loc[:, 16:18] = np.swapaxes(gc, -1, -2) @ g_upper
    loc[:, 18:20] = rx(-theta)
    # legs, both sides at once
    g0s = g0[:, None]
    lg = pose.leg
    u, v, hint = limb_dirs(lg[..., 0], lg[..., 1], lg[..., 2], np.zeros((T, 2)), -1.0)
    u, v, hint = mv(g0s, u * side_m), mv(g0s, v * side_m), mv(g0s, hint * side_m)
    w_ik = pose.leg_ik
    w_dir = pose.leg_dir_w if pose.leg_dir_w is not None else np.zeros((T, 2))
    parts = [(np.clip(1.0 - w_ik - w_dir, 0.0, 1.0), u, v)]
    g_foot_ik = ryxz(pose.foot_yaw, pose.foot_pitch, np.zeros((T, 2)))  # (T, 2, 3, 3)
    if w_ik.any():
        hip = pose.root[:, None] + mv(g0s, off[1:3])
        ankle = pose.ball - mv(g_foot_ik, off[10:12])
        if pose.knee_pole is not None:
            pole = pose.knee_pole
        else:
            foot_fwd = np.stack([np.sin(pose.foot_yaw), np.zeros((T, 2)), np.cos(pose.foot_yaw)], -1)
            pole = g0s[..., 2] + foot_fwd
        ui, vi = two_bone(hip, ankle, body.thigh, body.shank, pole)
        parts.append((w_ik, ui, vi))
        hint = np.where(w_ik[..., None] > 0.5, _dot(vi, ui) * ui - vi, hint)
    if w_dir.any():
        parts.append((w_dir, pose.leg_dirs[:, :, 0], pose.leg_dirs[:, :, 1]))
    u, v = _blend_dirs(parts)
    g_thigh, theta = aim(u, v, hint, -1.0)
    loc[:, 1:3] = np.swapaxes(g0s, -1, -2) @ g_thigh
    knee = rx(theta)
    loc[:, 4:6] = knee
    g_shank = g_thigh @ knee
    g_foot = g_shank @ rx(lg[..., 3])
    if w_ik.any():
        g_foot = _nlerp_rot(g_foot, g_foot_ik, w_ik)
    loc[:, 7:9] = np.swapaxes(g_shank, -1, -2) @ g_foot
    return pose.root.copy(), loc


def clamp_reach(body: Body, pose: Pose, margin: float = 0.99) -> None:
    """Lower the pelvis where a grounded IK foot target is out of the leg's reach (in place)."""
    g0 = ryxz(pose.yaw, pose.pitch, pose.roll)
    L = (body.thigh + body.shank) * margin
    drop = np.zeros(pose.T)
    for s, hj in ((LEFT, 1), (RIGHT, 2)):
        grounded = (pose.leg_ik[:, s] > 0.5) & (pose.ball[:, s, 1] < 0.03)
        if not grounded.any():
            continue
        hip = pose.root + np.einsum("tij,j->ti", g0, body.offsets[hj])
        g_foot = ryxz(pose.foot_yaw[:, s], pose.foot_pitch[:, s], 0.0 * pose.foot_pitch[:, s])
        foot = body.offsets[10 if s == LEFT else 11]
        ankle = pose.ball[:, s] - np.einsum("tij,j->ti", g_foot, foot)
        dh2 = (hip[:, 0] - ankle[:, 0]) ** 2 + (hip[:, 2] - ankle[:, 2]) ** 2
        top = ankle[:, 1] + np.sqrt(np.maximum(L * L - dh2, 0.0))
        drop = np.maximum(drop, np.where(grounded, hip[:, 1] - top, 0.0))
    drop = np.maximum(drop, 0.0)
    if not drop.any():
        return
    k = 3
    pad = np.pad(drop, k, mode="edge")
    dil = np.max(np.stack([pad[i:i + len(drop)] for i in range(2 * k + 1)]), axis=0)
    pad = np.pad(dil, k, mode="edge")
    w = smooth(np.linspace(0, 1, k + 2)[1:-1])
    kern = np.concatenate([w, [1.0], w[::-1]])
    kern /= kern.sum()
    pose.root[:, 1] -= np.convolve(pad, kern, mode="valid")


def _nlerp_rot(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Blend of two rotation fields (..., 3, 3) with weight w (...) on ``b``, re-orthonormalised."""
    m = (1.0 - w)[..., None, None] * a + w[..., None, None] * b
    x = _unit(m[..., :, 0])
    y = m[..., :, 1] - _dot(m[..., :, 1], x) * x
    y = _unit(y)
    return np.stack([x, y, cross(x, y)], axis=-1)
