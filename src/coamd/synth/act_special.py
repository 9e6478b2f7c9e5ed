"""Kicks, spin kick, cartwheel, backflip, forward roll, dance patterns and standing still
(Foundation issue §5).

Acrobatics rotate the whole body through the pelvis orientation channels (roll for the
cartwheel, pitch for the flip and the roll) while the limbs hold a tuck or a straddle in angle
mode; the feet leave and rejoin IK at take-off and landing. Per-frame re-flooring in
`compose` keeps hands and back on (not under) the floor.
"""

from __future__ import annotations

import numpy as np

from .body import Body, Style
from .curves import FPS, G, hermite, keys, ramp, times, window
from .feet import Step, foot_tracks
from .library import SIDES, Params, register
from .rig import LEFT, RIGHT, Pose, neutral, sagittal, stand_feet, stand_height


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _leg_free(pose, s: int, w: np.ndarray) -> None:
    """Hand leg ``s`` over to angle mode with weight ``w`` (T,)."""
    pose.leg_ik[:, s] = np.minimum(pose.leg_ik[:, s], 1.0 - w)


# ------------------------------------------------------------------ kicks
def _s_kick(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("leg", SIDES, p=[0.4, 0.6])
    P.choice("kind", ("front", "side"), p=[0.6, 0.4])
    P.integer("count", 1, 3)
    return P.done()


def _b_kick(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    f = LEFT if p["leg"] == "left" else RIGHT
    sup = 1 - f
    sgn_sup = 1.0 if sup == LEFT else -1.0
    n, side = p["count"], p["kind"] == "side"
    shift = 0.45
    tk, thigh, knee, ankle = [0.0, 0.2, shift], [0.0, 0.0, 0.0], [style.knee] * 3, [0.0] * 3
    tt = shift
    for i in range(n):
        ch, ex, rt = tt + 0.22, tt + 0.36, tt + 0.55
        tk += [ch, ex, rt]
        thigh += [1.25 if not side else 1.2, 1.5 if not side else 1.45, 1.2]
        knee += [1.9, 0.08, 1.8]
        ankle += [-0.4, -0.6, -0.3]
        tt = rt
    tk += [tt + 0.3, tt + 0.6, tt + 0.9]
    thigh += [0.3, 0.0, 0.0]
    knee += [0.6, style.knee, style.knee]
    ankle += [0.0, 0.0, 0.0]
    T = int(np.ceil((tk[-1] + 0.2) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    free = window(t, shift + 0.05, tk[-2] - 0.05, 0.15, 0.2)
    _leg_free(pose, f, free)
    pose.leg[:, f, 0] = keys(tk, thigh, t)
    pose.leg[:, f, 1] = np.pi / 2 if side else 0.12
    pose.leg[:, f, 2] = keys(tk, knee, t)
    pose.leg[:, f, 3] = keys(tk, ankle, t)
    over = window(t, shift, tk[-2], 0.35, 0.3)
    pose.root[:, 0] += sgn_sup * body.hip_width * style.stance * 0.8 * over
    pose.pitch -= (0.05 if side else 0.18) * over
    if side:
        pose.roll += -sgn_sup * 0.35 * over
        pose.spine[:, 1] += sgn_sup * 0.35 * over
        pose.yaw += sgn_sup * 0.5 * over
        pose.foot_yaw[:, sup] += sgn_sup * 0.5 * over
    for s in (LEFT, RIGHT):
        e, az = sagittal(0.7 * over, style.arm_out * (1 - over) + 0.35 * over)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + 1.6 * over
    contact = np.ones((T, 2), dtype=bool)
    contact[:, f] = free < 1e-3
    pose.info["contact"] = contact
    return pose


def _s_spin_kick(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("leg", SIDES, p=[0.4, 0.6])
    return P.done()


def _b_spin_kick(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    f = LEFT if p["leg"] == "left" else RIGHT
    sup = 1 - f
    turn = 2 * np.pi * (1.0 if f == RIGHT else -1.0)  # spin towards the support side
    dur = _u(rng, 1.0, 1.3)
    t0, t1 = 0.45, 0.45 + dur
    T = int(np.ceil((t1 + 0.9) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    spin = ramp(t, t0, t1)
    yaw = turn * spin
    pose.yaw = yaw
    balls, yaws = stand_feet(body, style)
    pose.foot_yaw[:, sup] = yaws[sup] + yaw
    # pivot on the support ball: the pelvis circles it
    sgn_sup = 1.0 if sup == LEFT else -1.0
    over = window(t, t0, t1, 0.3, 0.35)
    anchor = balls[sup] * [1, 0, 1]
    rel = np.array([-sgn_sup * body.hip_width * style.stance * 0.1, 0.0, -0.1])
    rx = np.cos(yaw) * rel[0] + np.sin(yaw) * rel[2]
    rz = -np.sin(yaw) * rel[0] + np.cos(yaw) * rel[2]
    pose.root[:, 0] = (1 - over) * pose.root[:, 0] + over * (anchor[0] + rx)
    pose.root[:, 2] = (1 - over) * pose.root[:, 2] + over * (anchor[2] + rz)
    pose.root[:, 1] -= 0.05 * over
    free = window(t, t0 + 0.15, t1 - 0.1, 0.25, 0.3)
    _leg_free(pose, f, free)
    kick = window(t, t0 + 0.55 * dur, t0 + 0.72 * dur, 0.15, 0.18)
    pose.leg[:, f, 0] = 0.5 * free + 0.9 * kick
    pose.leg[:, f, 1] = 0.8
    pose.leg[:, f, 2] = style.knee + 1.4 * free - 1.3 * kick
    pose.roll += -0.3 * kick * (1.0 if f == LEFT else -1.0)
    # the free foot lands beside the support foot, both facing the new heading (2 pi later: the same)
    pose.foot_yaw[:, f] = yaws[f] + yaw
    for s in (LEFT, RIGHT):
        e, az = sagittal(0.6 * over, style.arm_out + 0.5 * over)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + 1.3 * over
    contact = np.zeros((T, 2), dtype=bool)
    contact[:, f] = (free < 1e-3) & (over < 1e-3)
    pose.info["contact"] = contact
    return pose


# ------------------------------------------------------------------ cartwheel
def _s_cartwheel(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("side", SIDES)
    return P.done()


def _b_cartwheel(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    sgn = 1.0 if p["side"] == "left" else -1.0
    dur = _u(rng, 1.1, 1.5)
    dist = _u(rng, 1.5, 2.0) * body.height / 1.75
    t0 = 0.5
    t1 = t0 + dur
    T = int(np.ceil((t1 + 0.9) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    h0 = stand_height(body, style.knee)
    wheel = window(t, t0, t1, 0.25, 0.3)
    pose.roll = -sgn * 2 * np.pi * keys([t0 - 0.2, t0, t1, t1 + 0.2], [0.0, 0.03, 0.97, 1.0], t)
    pose.root[:, 0] = sgn * dist * keys([t0 - 0.2, t0, t1, t1 + 0.2], [0.0, 0.03, 0.97, 1.0], t)
    # designed too low on purpose: compose's per-frame re-flooring then rests the star on its
    # lowest hand or foot, so the body wheels over its limbs
    pose.root[:, 1] = h0 + (0.25 - h0) * wheel
    for sd in (LEFT, RIGHT):
        pose.arm[:, sd, 0] = style.arm_out + (2.9 - style.arm_out) * wheel
        pose.arm[:, sd, 1] = np.pi / 2 - 0.15 * wheel
        pose.arm[:, sd, 2] = style.elbow * (1 - wheel) + 0.05 * wheel
        pose.leg[:, sd, 0] = 0.55 * wheel
        pose.leg[:, sd, 1] = np.pi / 2
        pose.leg[:, sd, 2] = style.knee * (1 - wheel)
    _leg_free(pose, LEFT, window(t, t0 + 0.05, t1 - 0.05, 0.15))
    _leg_free(pose, RIGHT, window(t, t0 + 0.05, t1 - 0.05, 0.15))
    balls, _ = stand_feet(body, style, sgn * dist, 0.0)
    moved = ramp(t, t0 + 0.2, t1 - 0.2)
    pose.ball = pose.ball + moved[:, None, None] * (balls - pose.ball[0])[None]
    pose.neck[:, 0] -= 0.3 * wheel
    contact = np.repeat((wheel < 1e-3)[:, None], 2, axis=1)
    pose.info["contact"] = contact
    return pose


# ------------------------------------------------------------------ backflip
def _s_backflip(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    return Params(rng, fixed).done()


def _b_backflip(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    h0 = stand_height(body, style.knee)
    tf = _u(rng, 0.8, 0.92)
    cb, to = 0.65, 0.85
    ld = to + tf
    ab, st = ld + 0.2, ld + 0.65
    drift = -_u(rng, 0.2, 0.45)
    y_to, y_ld = h0 + 0.05, h0 - 0.02
    v0 = (y_ld - y_to) / tf + 0.5 * G * tf
    T = int(np.ceil((st + 0.4) * FPS))
    t = times(T)
    tk = [0.0, 0.3, cb, to, ld, ab, st]
    y = hermite(tk, [h0, h0, h0 - 0.25, y_to, y_ld, h0 - 0.22, h0], [0, 0, 0, v0, v0 - G * tf, 0, 0], t)
    fl = (t > to) & (t < ld)
    y[fl] = y_to + v0 * (t[fl] - to) - 0.5 * G * (t[fl] - to) ** 2
    pose = neutral(body, style, T)
    pose.root[:, 1] = y
    pose.root[:, 2] = drift * ramp(t, to, ld)
    rot = keys([to - 0.1, to + 0.1, ld - 0.1, ld + 0.1], [0.0, 0.12, 0.88, 1.0], t)
    pose.pitch = -2 * np.pi * rot + keys(tk, [0, 0, 0.4, 0.0, 0.0, 0.35, 0.0], t)
    tuck = window(t, to + 0.25, ld - 0.25, 0.25, 0.25)
    air = window(t, to + 0.08, ld - 0.08, 0.15)
    for s in (LEFT, RIGHT):
        arm_keys = [0.0, 0.3, cb - 0.1, to + 0.12, ld, ab, st]
        fwd = keys(arm_keys, [0.0, 0.0, -0.7, 2.6, 0.8, 0.5, 0.0], t) * (1 - tuck) + 1.0 * tuck
        e, az = sagittal(fwd, style.arm_out + 0.1)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + 1.2 * tuck
        pose.leg[:, s, 0] = 2.1 * tuck
        pose.leg[:, s, 2] = style.knee + 2.1 * tuck
    _leg_free(pose, LEFT, air)
    _leg_free(pose, RIGHT, air)
    balls, yaws = stand_feet(body, style)
    steps = [[Step(0.0, to, balls[f], float(yaws[f]), 0.8),
              Step(ld, np.inf, balls[f] + [0.0, 0.0, drift], float(yaws[f]), 0.0)] for f in (LEFT, RIGHT)]
    ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=0.5)
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    pose.neck[:, 0] -= 0.4 * air
    pose.info["contact"] = contact
    return pose


# ------------------------------------------------------------------ forward roll
def _s_roll(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    return Params(rng, fixed).done()


def _b_roll(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    h0 = stand_height(body, style.knee)
    k = body.height / 1.75
    down = _u(rng, 0.6, 0.9)
    rolld = _u(rng, 0.8, 1.1)
    t0 = 0.2 + down
    t1 = t0 + rolld
    t2 = t1 + _u(rng, 0.7, 1.0)
    T = int(np.ceil((t2 + 0.3) * FPS))
    t = times(T)
    dist = _u(rng, 0.9, 1.3) * k
    tk = [0.0, 0.2, t0, t0 + 0.35 * rolld, t0 + 0.7 * rolld, t1, t2]
    pose = neutral(body, style, T)
    pose.pitch = keys(tk, [0.0, 0.0, 0.8, np.pi, 1.6 * np.pi, 2 * np.pi + 0.5, 2 * np.pi], t)
    pose.root[:, 1] = keys(tk, [h0, h0, 0.42 * k, 0.3 * k, 0.28 * k, 0.45 * k, h0], t)
    pose.root[:, 2] = keys(tk, [0.0, 0.0, 0.1, 0.45 * dist, 0.8 * dist, dist - 0.05, dist], t)
    tuck = window(t, t0 - 0.1, t1, 0.4, 0.5)
    roll = window(t, t0 + 0.05, t1 - 0.1, 0.15)
    for s in (LEFT, RIGHT):
        e, az = sagittal(1.3 * tuck, style.arm_out * (1 - tuck) + 0.2 * tuck)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + 0.8 * tuck
        pose.leg[:, s, 0] = 2.2 * tuck
        pose.leg[:, s, 2] = style.knee + 2.3 * tuck
        pose.leg[:, s, 3] = 0.4 * tuck
    _leg_free(pose, LEFT, roll)
    _leg_free(pose, RIGHT, roll)
    pose.spine[:, 0] += 0.5 * tuck
    pose.neck[:, 0] += 0.6 * roll
    balls, _ = stand_feet(body, style, 0.0, dist)
    moved = ramp(t, t0 + 0.2, t1 - 0.2)
    pose.ball = pose.ball + moved[:, None, None] * (balls - pose.ball[0])[None]
    pose.info["contact"] = np.repeat((roll < 1e-3)[:, None], 2, axis=1) & (np.abs(moved - 0.5) > 0.49)[:, None]
    return pose


# ------------------------------------------------------------------ dance
def _s_dance(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("style", ("step_touch", "twist", "sway", "bounce"))
    P.uniform("duration", 2.5, max(2.6, min(7.0, budget - 0.6)))
    return P.done()


def _b_dance(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    beat = _u(rng, 0.45, 0.65) / style.tempo  # seconds per beat
    dur = p["duration"]
    t0, t1 = 0.3, 0.3 + dur
    T = int(np.ceil((t1 + 0.6) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    on = window(t, t0, t1, 0.35)
    ph = 2 * np.pi * (t - t0) / beat
    st = p["style"]
    if st == "step_touch":
        d = _u(rng, 0.25, 0.4)
        balls, yaws = stand_feet(body, style)
        steps = [[Step(0.0, np.inf, balls[f], float(yaws[f]), 0.0)] for f in (LEFT, RIGHT)]
        n = max(2, int(dur / beat) // 2 * 2)
        centre = 0.0
        for i in range(n):
            lead = RIGHT if i % 2 == 0 else LEFT
            step_to = -d if lead == RIGHT else 0.0
            ta = t0 + i * beat
            for f, delay in ((lead, 0.0), (1 - lead, 0.5 * beat)):
                b, y = stand_feet(body, style, step_to, 0.0)
                steps[f][-1].t_off = ta + delay
                steps[f].append(Step(ta + delay + 0.3 * beat, np.inf, b[f], float(y[f]), 0.2))
            centre = step_to
        ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=0.08)
        pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
        pose.root[:, 0] = 0.5 * (ball[:, LEFT, 0] + ball[:, RIGHT, 0]) - 0.5 * (balls[0, 0] + balls[1, 0])
        pose.root[:, 1] -= 0.05 * on * (0.5 + 0.5 * np.cos(2 * ph))
        swing = np.sin(ph / 2 * 1.0)
        for s in (LEFT, RIGHT):
            e, az = sagittal(0.5 * on + 0.3 * swing * on, style.arm_out + 0.4 * on)
            pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
            pose.arm[:, s, 2] = style.elbow + 1.0 * on
        pose.spine[:, 1] += 0.12 * swing * on
        pose.info["contact"] = contact
        del centre
    elif st == "twist":
        tw = 0.45 * np.sin(ph) * on
        pose.yaw = tw
        pose.spine[:, 2] -= 1.5 * tw
        pose.neck[:, 2] += 0.5 * tw
        pose.foot_yaw = pose.foot_yaw + 0.9 * tw[:, None]
        pose.root[:, 1] -= (0.1 + 0.03 * np.cos(2 * ph)) * on
        for s in (LEFT, RIGHT):
            e, az = sagittal(0.6 * on, style.arm_out + 0.5 * on)
            pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
            pose.arm[:, s, 2] = style.elbow + 1.1 * on
    elif st == "sway":
        sw = np.sin(ph / 2) * on
        pose.root[:, 0] += 0.06 * sw
        pose.spine[:, 1] -= 0.15 * sw
        for s in (LEFT, RIGHT):
            pose.arm[:, s, 0] = style.arm_out + (2.6 - style.arm_out) * on
            pose.arm[:, s, 1] = np.pi / 2 - 0.5 * on + 0.35 * sw
            pose.arm[:, s, 2] = style.elbow + 0.3 * on
    else:  # bounce with arm pumps
        pose.root[:, 1] -= (0.04 + 0.04 * (0.5 - 0.5 * np.cos(ph))) * on
        pump = 0.5 - 0.5 * np.cos(ph)
        for s in (LEFT, RIGHT):
            alt = np.where(np.sin(ph / 2) > 0, 1.0, 0.4) if s == LEFT else np.where(np.sin(ph / 2) > 0, 0.4, 1.0)
            e, az = sagittal((0.6 + 1.6 * pump * alt) * on, style.arm_out + 0.3 * on)
            pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
            pose.arm[:, s, 2] = style.elbow + 1.2 * on * (1 - pump)
        pose.neck[:, 0] += 0.12 * np.sin(ph) * on
    return pose


# ------------------------------------------------------------------ stand still
def _s_stand(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.uniform("duration", 1.5, max(1.6, min(4.0, budget - 0.3)))
    return P.done()


def _b_stand(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    T = int(np.ceil(p["duration"] * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    f = _u(rng, 0.2, 0.4)
    ph = rng.uniform(0, 2 * np.pi, size=3)
    pose.root[:, 0] += 0.012 * np.sin(2 * np.pi * f * t + ph[0])
    pose.spine[:, 0] += 0.015 * np.sin(2 * np.pi * 0.25 * t + ph[1])
    look = _u(rng, -0.5, 0.5)
    pose.neck[:, 2] += look * window(t, 0.3 * p["duration"], 0.6 * p["duration"], 0.4)
    return pose


# ------------------------------------------------------------------ elbow to knee ("extended" vocabulary)
ARM_FWD, ARM_SIDE, ARM_BEND, ARM_ROLL = 0.4, 1.2, 2.7, 1.2
TOUCH_FWD, TOUCH_SIDE, TRUNK_FLEX, TRUNK_TWIST = 1.3, 0.4, 1.0, 1.2
def _s_elbow_knee(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("first", SIDES)  # the elbow of the first touch
    P.integer("count", 2, max(2, min(8, int((budget - 0.8) / 1.0))))
    return P.done()


def _b_elbow_knee(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    """Standing cross crunches: hands at the head, elbows out; each repetition lifts one knee and
    twists and bends the trunk so that the opposite elbow comes down to it; sides alternate."""
    n = p["count"]
    d = _u(rng, 0.8, 1.15) / style.tempo
    shift = 0.45
    T = int(np.ceil((shift + n * d + 0.7) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    elbow0 = LEFT if p["first"] == "left" else RIGHT
    lift = {LEFT: np.zeros(T), RIGHT: np.zeros(T)}
    free = {LEFT: np.zeros(T), RIGHT: np.zeros(T)}
    twist, bend, side = np.zeros(T), np.zeros(T), np.zeros(T)
    touch = {LEFT: np.zeros(T), RIGHT: np.zeros(T)}  # the elbow that comes down to the knee
    depth = _u(rng, 0.8, 1.1)
    for i in range(n):
        e = elbow0 if i % 2 == 0 else 1 - elbow0
        k = 1 - e  # the knee of the other side comes up
        t0 = shift + i * d
        b = window(t, t0 + 0.3 * d, t0 + 0.55 * d, 0.3 * d, 0.4 * d)
        lift[k] = np.maximum(lift[k], b)
        touch[e] = np.maximum(touch[e], b)
        free[k] = np.maximum(free[k], window(t, t0 + 0.1 * d, t0 + 0.9 * d, 0.1 * d, 0.1 * d))
        sgn = 1.0 if e == RIGHT else -1.0  # trunk turns towards the lifted knee
        twist += sgn * b
        bend += b
        side += (1.0 if k == LEFT else -1.0) * b
    hands = window(t, 0.1, t[-1] - 0.1, 0.35, 0.35)
    for s in (LEFT, RIGHT):
        _leg_free(pose, s, free[s])
        pose.leg[:, s, 0] = 1.6 * depth * lift[s]
        pose.leg[:, s, 1] = 0.0
        pose.leg[:, s, 2] = style.knee + (1.9 - style.knee) * lift[s]
        pose.leg[:, s, 3] = -0.3 * lift[s]
        fwd = ARM_FWD + (TOUCH_FWD - ARM_FWD) * touch[s]
        out = ARM_SIDE + (TOUCH_SIDE - ARM_SIDE) * touch[s]
        e, az = sagittal(fwd * hands, style.arm_out * (1 - hands) + out * hands)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + (ARM_BEND - style.elbow) * hands
        pose.arm[:, s, 3] = 0.3 + (ARM_ROLL - 0.3) * hands
    stand = lift[RIGHT] - lift[LEFT]  # + while the right knee is up
    pose.root[:, 0] += -stand * body.hip_width * style.stance * 0.6  # over the standing foot
    pose.roll += 0.08 * stand
    pose.spine[:, 0] += TRUNK_FLEX * depth * bend
    pose.spine[:, 2] += TRUNK_TWIST * twist
    pose.spine[:, 1] += 0.15 * side
    pose.neck[:, 0] -= 0.25 * bend
    pose.pitch += 0.12 * bend
    contact = np.ones((T, 2), dtype=bool)
    for s in (LEFT, RIGHT):
        contact[:, s] = free[s] < 1e-3
    pose.info["contact"] = contact
    return pose


register("kick", _s_kick, _b_kick, lambda p: ("side kick",) if p["kind"] == "side" else ("kick",), weight=1.5,
         group="special")
register("spin_kick", _s_spin_kick, _b_spin_kick, ("spin", "kick"), weight=0.5, group="special")
register("cartwheel", _s_cartwheel, _b_cartwheel, ("cartwheel",), weight=0.6, group="special")
register("backflip", _s_backflip, _b_backflip, ("backflip",), weight=0.5, group="special")
register("roll", _s_roll, _b_roll, ("roll",), weight=0.5, group="special")
register("dance", _s_dance, _b_dance, ("dance",), weight=1.2, group="special")
register("stand", _s_stand, _b_stand, ("stand",), weight=0.6, group="idle")
register("elbow_to_knee", _s_elbow_knee, _b_elbow_knee, ("elbow to knee",), weight=1.0, group="special",
         vocabulary="extended")
