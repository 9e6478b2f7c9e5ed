"""Upper-body actions performed standing: wave, clap, raise arms, arm circles, punch, throw, reach
up, stretch and bow (Foundation issue §5). Feet stay planted; hands are driven by limb angles
or by wrist targets solved with two-bone IK (claps, punches).
"""

from __future__ import annotations

import numpy as np

from .body import Body, Style
from .curves import FPS, keys, ramp, times, window
from .feet import Step, foot_tracks
from .library import SIDES, Params, register
from .rig import LEFT, RIGHT, Pose, neutral, sagittal, stand_feet


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _sides(which: str) -> list[int]:
    return {"left": [LEFT], "right": [RIGHT], "both": [LEFT, RIGHT]}[which]


def _shoulder(body, pose, s: int) -> np.ndarray:
    """Approximate world shoulder position (T, 3) of an upright torso."""
    o = body.offsets
    x = o[13, 0] + o[16, 0]
    sh = pose.root.copy()
    sh[:, 0] += x if s == LEFT else -x
    sh[:, 1] += body.shoulder_height
    return sh


# ------------------------------------------------------------------ wave
def _s_wave(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("hand", ("right", "left", "both"), p=[0.45, 0.35, 0.2])
    P.choice("high", (False, True), p=[0.65, 0.35])
    P.integer("count", 2, 6)
    return P.done()


def _b_wave(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    freq = _u(rng, 1.6, 2.6) * style.tempo
    up = _u(rng, 0.35, 0.55)
    dur = p["count"] / freq
    t1, t2 = 0.2 + up, 0.2 + up + dur
    T = int(np.ceil((t2 + up + 0.4) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    a = window(t, t1, t2, up)
    osc = np.sin(2 * np.pi * freq * (t - t1)) * ramp(t, t1 - 0.1, t1 + 0.1)
    for s in _sides(p["hand"]):
        if p["high"]:
            e0, az0, el, roll = _u(rng, 2.5, 2.8), _u(rng, 1.2, 1.5), 0.25, 0.0
            pose.arm[:, s, 0] = style.arm_out + (e0 - style.arm_out) * a
            pose.arm[:, s, 1] = np.pi / 2 + (az0 - np.pi / 2) * a + 0.35 * osc * a
        else:
            e0, az0, el, roll = _u(rng, 1.2, 1.6), _u(rng, 1.0, 1.4), _u(rng, 1.4, 1.9), -np.pi / 2
            pose.arm[:, s, 0] = style.arm_out + (e0 - style.arm_out) * a
            pose.arm[:, s, 1] = np.pi / 2 + (az0 - np.pi / 2) * a
            pose.arm[:, s, 3] = 0.3 + (roll - 0.3) * a + 0.45 * osc * a
        pose.arm[:, s, 2] = style.elbow + (el - style.elbow) * a
        pose.collar[:, s, 0] = 0.15 * a
    if p["hand"] != "both":
        sgn = 1.0 if p["hand"] == "left" else -1.0
        pose.spine[:, 1] -= 0.05 * sgn * a
        pose.neck[:, 2] += 0.15 * sgn * a
    return pose


# ------------------------------------------------------------------ clap
def _s_clap(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.integer("count", 2, 6)
    P.choice("overhead", (False, True), p=[0.75, 0.25])
    return P.done()


def _b_clap(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    per = _u(rng, 0.35, 0.55) / style.tempo
    up = _u(rng, 0.35, 0.5)
    t1 = 0.2 + up
    t2 = t1 + p["count"] * per
    T = int(np.ceil((t2 + up + 0.3) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    w = window(t, t1, t2 - 0.05, up)
    ph = np.clip((t - t1) / per, 0.0, p["count"])
    gap = 0.5 + 0.5 * np.cos(2 * np.pi * ph)  # 0 at each clap (ph = 0.5, 1.5, ...)
    target = np.zeros((T, 2, 3))
    pole = np.zeros((T, 2, 3))
    for s in (LEFT, RIGHT):
        sgn = 1.0 if s == LEFT else -1.0
        sh = _shoulder(body, pose, s)
        if p["overhead"]:
            target[:, s, 0] = sgn * (0.04 + 0.14 * gap)
            target[:, s, 1] = sh[:, 1] + 0.42
            target[:, s, 2] = 0.12
            pole[:, s] = [sgn, 0.2, -0.2]
        else:
            target[:, s, 0] = sgn * (0.04 + 0.2 * gap)
            target[:, s, 1] = sh[:, 1] - 0.25
            target[:, s, 2] = 0.33
            pole[:, s] = [sgn * 0.8, -0.6, -0.3]
    pose.arm_target, pose.arm_pole = target, pole
    pose.arm_ik = np.repeat(w[:, None], 2, axis=1)
    return pose


# ------------------------------------------------------------------ raise arms
def _s_raise(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("which", ("both", "left", "right"), p=[0.5, 0.25, 0.25])
    P.choice("plane", ("forward", "side", "up", "hand"), p=[0.35, 0.3, 0.35, 0.0])  # "hand": styles="varied" only
    return P.done()


def _b_raise(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    up = _u(rng, 0.6, 1.0) / style.tempo
    hold = _u(rng, 0.4, 1.5)
    t1 = 0.2 + up
    t2 = t1 + hold
    T = int(np.ceil((t2 + up + 0.4) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    a = window(t, t1, t2, up)
    if p["plane"] == "hand":   # the hand raised above the head with the elbow bent (asking, hailing)
        e0, az0, bend = _u(rng, 2.6, 2.95), _u(rng, 0.5, 1.2), _u(rng, 0.8, 1.5)
        for s in _sides(p["which"]):
            pose.arm[:, s, 0] = style.arm_out + (e0 - style.arm_out) * a
            pose.arm[:, s, 1] = np.pi / 2 + (az0 - np.pi / 2) * a
            pose.arm[:, s, 2] = style.elbow + (bend - style.elbow) * a
            pose.arm[:, s, 3] = 0.3 * (1 - a)
            pose.collar[:, s, 0] = 0.15 * a
        return pose
    e0, az0 = {"forward": (np.pi / 2, 0.1), "side": (np.pi / 2, np.pi / 2), "up": (_u(rng, 2.8, 3.05), 1.2)}[p["plane"]]
    for s in _sides(p["which"]):
        if p["plane"] == "forward":
            e, az = sagittal(e0 * a, style.arm_out * (1 - a) + 0.1 * a)
            pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        else:
            pose.arm[:, s, 0] = style.arm_out + (e0 - style.arm_out) * a
            pose.arm[:, s, 1] = np.pi / 2 + (az0 - np.pi / 2) * a
        pose.arm[:, s, 2] = style.elbow + (0.08 - style.elbow) * a
        pose.arm[:, s, 3] = 0.3 * (1 - a)
        pose.collar[:, s, 0] = 0.2 * a * (e0 > 2.0)
    return pose


# ------------------------------------------------------------------ arm circles
def _s_circles(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("direction", ("forward", "backward"))
    P.choice("size", ("small", "big"), p=[0.5, 0.5])
    P.integer("count", 3, 8)
    return P.done()


def _b_circles(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    big = p["size"] == "big"
    freq = (_u(rng, 0.7, 1.1) if big else _u(rng, 1.3, 2.0)) * style.tempo
    up = 0.5
    t1 = 0.2 + up
    t2 = t1 + p["count"] / freq
    T = int(np.ceil((t2 + up + 0.3) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    a = window(t, t1, t2, up)
    sgn = 1.0 if p["direction"] == "forward" else -1.0
    w = 2 * np.pi * freq * np.clip(t - t1, 0.0, t2 - t1)
    for s in (LEFT, RIGHT):
        if big:
            e, az = sagittal(-sgn * w - (1 - a) * 0.0, style.arm_out + 0.25 * a)
            pose.arm[:, s, 0] = style.arm_out + (e - style.arm_out) * a
            pose.arm[:, s, 1] = np.pi / 2 + (az - np.pi / 2) * a
        else:
            r = 0.3
            pose.arm[:, s, 0] = style.arm_out + (np.pi / 2 - style.arm_out) * a + r * a * np.sin(w)
            pose.arm[:, s, 1] = np.pi / 2 + sgn * r * a * (np.cos(w) - 1.0)
        pose.arm[:, s, 2] = style.elbow + (0.08 - style.elbow) * a
    return pose


# ------------------------------------------------------------------ punch
def _s_punch(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("hand", ("right", "left", "alternate"), p=[0.35, 0.3, 0.35])
    P.integer("count", 1 if P.out["hand"] != "alternate" else 2, 6)
    return P.done()


def _guard(pose, style, a, lean: float = 0.1) -> None:
    for s in (LEFT, RIGHT):
        e, az = sagittal(0.75 * a, style.arm_out * (1 - a) + 0.3 * a)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + (2.1 - style.elbow) * a
        pose.arm[:, s, 3] = 0.3 + 0.3 * a
    pose.spine[:, 0] += lean * a
    pose.root[:, 1] -= 0.04 * a


def _b_punch(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    gap = _u(rng, 0.4, 0.7) / style.tempo
    up = 0.45
    t1 = 0.2 + up
    n = p["count"]
    t2 = t1 + n * gap
    T = int(np.ceil((t2 + up + 0.3) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    a = window(t, t1 - 0.1, t2, up)
    _guard(pose, style, a)
    target = np.zeros((T, 2, 3))
    w_ik = np.zeros((T, 2))
    first = RIGHT if p["hand"] != "left" else LEFT
    if p["hand"] == "alternate" and rng.random() < 0.4:
        first = LEFT
    for i in range(n):
        s = first if p["hand"] != "alternate" else (first if i % 2 == 0 else 1 - first)
        sgn = 1.0 if s == LEFT else -1.0
        tp = t1 + i * gap
        hit = window(t, tp + 0.13, tp + 0.17, 0.13, 0.22)
        w_ik[:, s] = np.maximum(w_ik[:, s], hit)
        pose.spine[:, 2] -= 0.35 * sgn * hit
        pose.pitch += 0.04 * hit
    for s in (LEFT, RIGHT):
        sh = _shoulder(body, pose, s)
        target[:, s] = sh + [(0.06 if s == RIGHT else -0.06), -0.04, 0.95 * body.arm]
    pose.arm_target, pose.arm_ik = target, w_ik
    pose.arm_pole = np.tile(np.array([[0.6, -0.8, 0.0], [-0.6, -0.8, 0.0]]), (T, 1, 1))
    return pose


# ------------------------------------------------------------------ throw
def _s_throw(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("hand", SIDES, p=[0.3, 0.7])
    return P.done()


def _b_throw(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    h = LEFT if p["hand"] == "left" else RIGHT
    o = 1 - h
    sgn = 1.0 if h == LEFT else -1.0
    wind = _u(rng, 0.4, 0.65) / style.tempo
    t0, t1 = 0.25, 0.25 + wind
    t2 = t1 + _u(rng, 0.15, 0.22)
    t3 = t2 + 0.35
    t4 = t3 + _u(rng, 0.5, 0.8)
    T = int(np.ceil((t4 + 0.5) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    tk = [0.0, t0, t1, t2, t3, t4]
    e = keys(tk, [style.arm_out, style.arm_out, 2.2, 1.7, 0.9, style.arm_out], t)
    az = keys(tk, [np.pi / 2, np.pi / 2, 2.0, 0.3, -0.5, np.pi / 2], t)
    el = keys(tk, [style.elbow, style.elbow, 1.7, 0.5, 0.3, style.elbow], t)
    roll = keys(tk, [0.3, 0.3, -1.3, -0.3, 0.3, 0.3], t)
    pose.arm[:, h, 0], pose.arm[:, h, 1], pose.arm[:, h, 2], pose.arm[:, h, 3] = e, az, el, roll
    fo = keys(tk, [0.0, 0.0, 1.3, 0.6, -0.3, 0.0], t)
    eo, azo = sagittal(fo, style.arm_out + 0.2 * np.abs(fo))
    pose.arm[:, o, 0], pose.arm[:, o, 1] = eo, azo
    pose.spine[:, 2] += sgn * keys(tk, [0.0, 0.0, 0.55, -0.2, -0.45, 0.0], t)
    pose.spine[:, 0] += keys(tk, [0.0, 0.0, -0.15, 0.25, 0.35, 0.0], t)
    pose.yaw += sgn * keys(tk, [0.0, 0.0, 0.25, -0.05, -0.15, 0.0], t)
    stride = _u(rng, 0.3, 0.5)
    balls, yaws = stand_feet(body, style)
    fb, fy = stand_feet(body, style, 0.0, stride)
    steps = [[Step(0.0, np.inf, balls[f], float(yaws[f]), 0.0)] for f in (LEFT, RIGHT)]
    steps[o][0].t_off = t1 - 0.2
    steps[o].append(Step(t1 + 0.05, t4 - 0.35, fb[o], float(fy[o]), 0.0))
    steps[o].append(Step(t4, np.inf, balls[o], float(yaws[o]), 0.0))
    ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=0.07)
    fpitch[:, h] += 0.5 * window(t, t2, t3, 0.15, 0.4)
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    pose.root[:, 2] += keys(tk, [0.0, 0.0, -0.03, 0.45 * stride, 0.5 * stride, 0.0], t)
    pose.root[:, 1] -= keys(tk, [0.0, 0.0, 0.03, 0.06, 0.05, 0.0], t)
    pose.info["contact"] = contact
    return pose


# ------------------------------------------------------------------ reach up / stretch / bow
def _s_reach(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("hand", ("right", "left", "both"), p=[0.35, 0.3, 0.35])
    return P.done()


def _b_reach(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    up = _u(rng, 0.6, 0.9) / style.tempo
    hold = _u(rng, 0.5, 1.2)
    t1, t2 = 0.2 + up, 0.2 + up + hold
    T = int(np.ceil((t2 + up + 0.4) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    a = window(t, t1, t2, up)
    for s in _sides(p["hand"]):
        pose.arm[:, s, 0] = style.arm_out + (_u(rng, 2.95, 3.1) - style.arm_out) * a
        pose.arm[:, s, 1] = np.pi / 2 - 0.4 * a
        pose.arm[:, s, 2] = style.elbow * (1 - a) + 0.05 * a
        pose.collar[:, s, 0] = 0.3 * a
    toes = rng.random() < 0.6
    pose.foot_pitch[:] = (0.45 * a if toes else 0.0 * a)[:, None]
    pose.root[:, 1] += (0.055 * body.height / 1.75 if toes else 0.0) * a
    pose.neck[:, 0] -= 0.45 * a
    pose.spine[:, 0] -= 0.08 * a
    if p["hand"] != "both":
        pose.spine[:, 1] += (-0.12 if p["hand"] == "left" else 0.12) * a
    return pose


def _s_stretch(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("kind", ("overhead", "side"), p=[0.5, 0.5])
    return P.done()


def _b_stretch(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    up = _u(rng, 0.6, 0.9)
    side = p["kind"] == "side"
    hold = _u(rng, 2.2, 3.2) if side else _u(rng, 0.8, 1.6)
    t1, t2 = 0.2 + up, 0.2 + up + hold
    T = int(np.ceil((t2 + up + 0.4) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    a = window(t, t1, t2, up)
    for s in (LEFT, RIGHT):
        pose.arm[:, s, 0] = style.arm_out + (3.0 - style.arm_out) * a
        pose.arm[:, s, 1] = np.pi / 2 + (0.35 - np.pi / 2) * a
        pose.arm[:, s, 2] = style.elbow * (1 - a) + 0.2 * a
        pose.collar[:, s, 0] = 0.25 * a
    if side:
        first = 1.0 if rng.random() < 0.5 else -1.0
        lean = first * np.sin(2 * np.pi * np.clip(t - t1, 0, hold) / hold) * window(t, t1, t2, 0.3)
        pose.spine[:, 1] += 0.45 * lean
        pose.root[:, 0] -= 0.04 * lean
    else:
        pose.spine[:, 0] -= 0.15 * a
        pose.neck[:, 0] -= 0.3 * a
    return pose


def _s_bow(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("depth", ("slight", "deep"), p=[0.5, 0.5])
    return P.done()


def _b_bow(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    down = _u(rng, 0.6, 1.0) / style.tempo
    hold = _u(rng, 0.4, 1.0)
    t1, t2 = 0.2 + down, 0.2 + down + hold
    T = int(np.ceil((t2 + down + 0.4) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    a = window(t, t1, t2, down)
    depth = _u(rng, 0.9, 1.2) if p["depth"] == "deep" else _u(rng, 0.35, 0.5)
    pose.pitch = 0.45 * depth * a
    pose.spine[:, 0] += 0.55 * depth * a
    pose.neck[:, 0] += 0.2 * a
    pose.root[:, 2] -= 0.1 * depth * a
    hands_front = rng.random() < 0.4
    for s in (LEFT, RIGHT):
        if hands_front:
            pose.arm[:, s, 1] = np.pi / 2 * (1 - a) - 0.3 * a
            pose.arm[:, s, 0] = style.arm_out + 0.25 * a
            pose.arm[:, s, 2] = style.elbow + 0.6 * a
            pose.arm[:, s, 3] = 0.3 + 0.6 * a
        else:
            pose.arm[:, s, 0] = style.arm_out * (1 - a) + 0.02
    return pose


register("wave", _s_wave, _b_wave, ("wave",), weight=2.0, group="arms")
register("clap", _s_clap, _b_clap, ("clap",), weight=1.2, group="arms")
register("raise_arms", _s_raise, _b_raise, lambda p: ("arms raise",) if p["which"] == "both" else ("arm raise",),
         weight=1.5, group="arms")
register("arm_circles", _s_circles, _b_circles, ("arm circles",), weight=0.9, group="arms")
register("punch", _s_punch, _b_punch, ("punch",), weight=1.3, group="arms")
register("throw", _s_throw, _b_throw, ("throw",), weight=1.2, group="arms")
register("reach_up", _s_reach, _b_reach, ("reach",), weight=1.0, group="arms")
register("stretch", _s_stretch, _b_stretch, lambda p: ("side stretch",) if p["kind"] == "side" else ("stretch",),
         weight=0.9, group="arms")
register("bow", _s_bow, _b_bow, ("bow",), weight=0.9, group="arms")
