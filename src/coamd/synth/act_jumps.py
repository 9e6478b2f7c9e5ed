"""Jumping actions: jumps (in place, forward, backward), jumps and hops on one leg, skipping and
jumping jacks (Foundation issue §5).

Flights are ballistic: the pelvis follows a parabola between take-off and landing whose vertical
speeds match the crouch before and the absorption after (cubic Hermite keys with the take-off
and landing slopes), and the feet are planted on the floor whenever they are in contact.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from .body import Body, Style
from .curves import FPS, G, flight_bounce, hermite, keys, ramp, times, window
from .feet import Step, beside, foot_tracks, support_intervals
from .library import SIDES, Params, register
from .rig import LEFT, RIGHT, Pose, clamp_reach, neutral, sagittal, stand_feet, stand_height


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def jumps(body, style, rng, n: int, dist: float, tf: float, depth: float, leg: int | None = None,
          arm_lift: float = 2.0):
    """``n`` consecutive jumps travelling ``dist`` metres each (forward +); ``leg`` = one-legged."""
    h0 = stand_height(body, style.knee)
    t_keys, y, vy, z, vz, arm, pitch = [0.0], [h0], [0.0], [0.0], [0.0], [0.0], [0.0]
    lead = 0.5 if leg is not None else 0.25
    c0 = lead
    t_keys += [c0]
    y += [h0]
    vy += [0.0]
    z += [0.0]
    vz += [0.0]
    arm += [0.0]
    pitch += [0.0]
    contacts = []  # (t_on, t_off, z position)
    zc, t_on = 0.0, 0.0
    ext = 0.05
    for i in range(n):
        cb = t_keys[-1] + (0.42 if i == 0 else 0.16)
        to = cb + 0.2
        ld = to + tf
        y_to, y_ld = h0 + ext, h0 + ext * 0.5
        v0 = (y_ld - y_to) / tf + 0.5 * G * tf
        zt, zl = zc + 0.12 * np.sign(dist), zc + dist - 0.1 * np.sign(dist)
        vzf = (zl - zt) / tf
        sgn = np.sign(dist) if dist else 0.0
        t_keys += [cb, to, ld]
        y += [h0 - depth, y_to, y_ld]
        vy += [0.0, v0, v0 - G * tf]
        z += [zc - 0.05 * sgn, zt, zl]
        vz += [0.0, vzf, vzf]
        arm += [-0.6, arm_lift, 0.9 * arm_lift]
        pitch += [0.35 + 0.1 * abs(sgn), 0.0, 0.25]
        contacts.append((t_on, to, zc))
        zc += dist
        t_on = ld
    ab = t_keys[-1] + 0.18
    st = ab + 0.45
    t_keys += [ab, st, st + 0.35]
    y += [h0 - 0.7 * depth, h0, h0]
    vy += [0.0, 0.0, 0.0]
    z += [zc - 0.04 * np.sign(dist), zc, zc]
    vz += [0.0, 0.0, 0.0]
    arm += [0.4, 0.0, 0.0]
    pitch += [0.3, 0.0, 0.0]
    contacts.append((t_on, np.inf, zc))
    T = int(np.ceil((st + 0.35 + (0.5 if leg is not None else 0.0)) * FPS))
    t = times(T)
    yy = hermite(t_keys, y, vy, t)
    zz = hermite(t_keys, z, vz, t)
    for (_, to, _), (ld, _, _) in pairwise(contacts):  # exact ballistic flights
        m = (t > to) & (t < ld)
        k = t_keys.index(to)
        yy[m] = y[k] + vy[k] * (t[m] - to) - 0.5 * G * (t[m] - to) ** 2
        zz[m] = z[k] + vz[k] * (t[m] - to)
    pose = neutral(body, style, T)
    x_shift = 0.0
    if leg is not None:
        side = 1.0 if leg == LEFT else -1.0
        x_shift = side * body.hip_width * style.stance * 0.9
    lift = window(t, 0.45, t_keys[-2] + 0.05, 0.3, 0.35) if leg is not None else np.zeros(T)
    shift = window(t, 0.3, t_keys[-2] + 0.2, 0.3, 0.35) if leg is not None else np.zeros(T)
    pose.root[:, 0] = x_shift * shift
    pose.root[:, 1] = yy
    pose.root[:, 2] = zz
    apex = 0.125 * G * tf * tf
    steps: list[list[Step]] = [[], []]
    for f in (LEFT, RIGHT):
        if leg is not None and f != leg:
            balls, yaws = stand_feet(body, style)
            steps[f] = [Step(0.0, np.inf, balls[f], float(yaws[f]), 0.0)]
            continue
        for t_a, t_b, zpos in contacts:
            balls, yaws = stand_feet(body, style, 0.0, zpos)
            steps[f].append(Step(t_a, t_b, balls[f], float(yaws[f]), 0.7))
    ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=apex + 0.12, toe_up=0.0)
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    pitch_c = keys(t_keys, pitch, t)
    pose.pitch = 0.6 * pitch_c
    pose.spine[:, 0] += 0.5 * pitch_c
    pose.neck[:, 0] -= 0.6 * pitch_c
    a = keys(t_keys, arm, t)
    if leg is not None:
        a = 0.35 * a
        other = 1 - leg
        pose.leg_ik[:, other] = 1.0 - lift
        pose.leg[:, other] = np.array([0.35, 0.0, 1.4, 0.3])
        contact[:, other] &= lift < 1e-3
    for s in (LEFT, RIGHT):
        e, az = sagittal(a, style.arm_out + 0.15 * np.clip(a, 0, None) + (0.5 * lift if leg is not None else 0.0))
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
    pose.info["contact"] = contact
    clamp_reach(body, pose)
    return pose


# ------------------------------------------------------------------ jump
def _s_jump(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    kind = P.choice("kind", ("up", "forward", "backward"), p=[0.45, 0.4, 0.15])
    hi = 4 if kind == "up" else 3
    P.integer("count", 1, max(1, min(hi, int((budget - 1.5) / 0.8))))
    return P.done()


def _b_jump(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    k = p["kind"]
    dist = {"up": 0.0, "forward": _u(rng, 0.5, 1.1), "backward": -_u(rng, 0.3, 0.5)}[k]
    tf = _u(rng, 0.35, 0.55) if k != "backward" else _u(rng, 0.3, 0.4)
    return jumps(body, style, rng, p["count"], dist, tf, _u(rng, 0.15, 0.28), arm_lift=_u(rng, 1.2, 2.6))


def _s_one_leg(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("leg", SIDES)
    P.integer("count", 1, max(1, min(3, int((budget - 2.0) / 0.6))))
    return P.done()


def _b_one_leg(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    leg = LEFT if p["leg"] == "left" else RIGHT
    return jumps(body, style, rng, p["count"], 0.0, _u(rng, 0.25, 0.35), _u(rng, 0.08, 0.14), leg=leg)


def _s_hop(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("leg", SIDES)
    P.choice("forward", (True, False), p=[0.6, 0.4])
    P.integer("count", 2, max(2, min(6, int((budget - 2.0) / 0.45))))
    return P.done()


def _b_hop(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    leg = LEFT if p["leg"] == "left" else RIGHT
    dist = _u(rng, 0.2, 0.45) if p["forward"] else 0.0
    return jumps(body, style, rng, p["count"], dist, _u(rng, 0.2, 0.28), _u(rng, 0.06, 0.1), leg=leg)


# ------------------------------------------------------------------ skip
def _s_skip(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.integer("cycles", 2, max(2, min(5, int((budget - 1.5) / 1.0))))
    return P.done()


def _b_skip(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    period = _u(rng, 0.85, 1.05)
    v = _u(rng, 1.2, 1.8)
    t0 = 0.35
    first = LEFT if rng.random() < 0.5 else RIGHT
    sched: list[list[tuple[float, float]]] = [[], []]
    tt = t0
    for c in range(p["cycles"] * 2):  # one half-cycle per side: step-hop
        f = first if c % 2 == 0 else 1 - first
        sched[f].append((tt, tt + 0.17 * period))
        sched[f].append((tt + 0.29 * period, tt + 0.42 * period))
        tt += 0.5 * period
    t_end = tt + 0.6
    T = int(np.ceil((t_end + 0.3) * FPS))
    t = times(T)
    env = ramp(t, 0.0, t0 + 0.3) * (1.0 - ramp(t, tt - 0.55, tt - 0.05))
    zpath = np.concatenate([[0.0], np.cumsum(v * env[:-1]) / FPS])
    steps: list[list[Step]] = [[], []]
    last_on = {}
    for f in (LEFT, RIGHT):
        balls, yaws = stand_feet(body, style)
        first_off = sched[f][0][0] + (0.0 if f == first else -0.25 * period)
        steps[f].append(Step(0.0, first_off if f != first else sched[f][0][1], balls[f], float(yaws[f]), 0.5))
        for (a, b) in (sched[f][1:] if f == first else sched[f]):
            zm = float(np.interp(0.5 * (a + b), t, zpath))
            bl, yw = stand_feet(body, style, 0.0, zm, width=0.7)
            steps[f].append(Step(a, b, bl[f], float(yw[f]), 0.5))
        last_on[f] = steps[f][-1].t_on
    # the foot that landed last stays; the other closes beside it
    stay = LEFT if last_on[LEFT] > last_on[RIGHT] else RIGHT
    steps[stay][-1].t_off = np.inf
    close = 1 - stay
    t_close = max(steps[stay][-1].t_on + 0.15, steps[close][-1].t_off + 0.3)
    steps[close].append(beside(body, style, steps[stay][-1], stay, t_close, 0.4))
    ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=0.3, toe_up=0.1, tuck=0.2)
    h0 = stand_height(body, style.knee)
    pose = neutral(body, style, T)
    pose.root[:, 2] = zpath
    fly = flight_bounce(t, support_intervals(steps, t[-1]), t[-1])
    pose.root[:, 1] = stand_height(body, 0.2) + (h0 - stand_height(body, 0.2)) * (1 - env) + fly
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    phase = 2 * np.pi * (t - t0) / period
    sgn = 1.0 if first == LEFT else -1.0
    pose.pitch += 0.08 * env
    for s, k in ((LEFT, 1.0), (RIGHT, -1.0)):
        fwd = env * (0.3 + 0.9 * k * sgn * np.sin(phase + np.pi / 2))
        e, az = sagittal(fwd, style.arm_out + 0.1 * env)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + 0.9 * env
    pose.spine[:, 2] = 0.15 * env * np.sin(phase) * sgn
    pose.info["contact"] = contact
    clamp_reach(body, pose)
    return pose


# ------------------------------------------------------------------ jumping jacks
def _s_jacks(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.integer("count", 2, max(2, min(8, int((budget - 1.0) / 1.0))))
    return P.done()


def _b_jacks(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    ts, tf = _u(rng, 0.22, 0.32), _u(rng, 0.18, 0.24)
    wide = _u(rng, 3.5, 5.0)
    t0 = 0.4
    sched = [(0.0, t0, style.stance)]
    tt = t0
    for i in range(p["count"]):
        tt += tf
        sched.append((tt, tt + ts, wide))
        tt += ts + tf
        last = i == p["count"] - 1
        sched.append((tt, np.inf if last else tt + ts, style.stance))
        tt += ts
    T = int(np.ceil((tt + 0.5) * FPS))
    t = times(T)
    steps: list[list[Step]] = [[], []]
    for a, b, w in sched:
        balls, yaws = stand_feet(body, style, width=w)
        for f in (LEFT, RIGHT):
            steps[f].append(Step(a, b, balls[f], float(yaws[f]), 0.5))
    ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=0.08 + G * tf * tf / 8, toe_up=0.0)
    pose = neutral(body, style, T)
    sep = np.abs(ball[:, LEFT, 0] - ball[:, RIGHT, 0])
    sep_wide = abs(np.subtract(*stand_feet(body, style, width=wide)[0][:, 0]))
    spread = np.clip((sep - sep[0]) / (sep_wide - sep[0]), 0.0, 1.0)
    fly = flight_bounce(t, support_intervals(steps, t[-1]), t[-1])
    pose.root[:, 1] = stand_height(body, 0.15) + fly
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    k = np.exp(-0.5 * (np.arange(-6, 7) / 2.5) ** 2)
    spread = np.convolve(np.pad(spread, 6, mode="edge"), k / k.sum(), mode="valid")  # arms lead and lag the feet
    for s in (LEFT, RIGHT):
        pose.arm[:, s, 0] = style.arm_out + (2.85 - style.arm_out) * spread
        pose.arm[:, s, 1] = np.pi / 2 - 0.15 * spread
        pose.arm[:, s, 2] = style.elbow * (1 - spread) + 0.25 * spread
        pose.arm[:, s, 3] = 0.3 - 1.8 * spread
    pose.info["contact"] = contact
    clamp_reach(body, pose)
    return pose


register("jump", _s_jump, _b_jump, ("jump",), weight=2.0, group="jump")
register("jump_one_leg", _s_one_leg, _b_one_leg, ("jump on one leg",), weight=0.6, group="jump")
register("hop", _s_hop, _b_hop, ("hop",), weight=0.8, group="jump")
register("skip", _s_skip, _b_skip, ("skip",), weight=0.7, group="jump")
register("jumping_jacks", _s_jacks, _b_jacks, ("jumping jacks",), weight=1.0, group="jump")
