"""Locomotion actions: walks (forward, backward, sideways, circle, turning), jog, run, sprint,
turning and spinning on the spot, marching and stumbling (Foundation issue §5).

All are `gait.gait` with parameter presets; speeds and cadences follow typical adult values
(walking 0.7-1.9 m/s at 1.5-2.3 steps/s, running 2.8-4.6 m/s at 2.7-3 steps/s, sprinting up to
~7 m/s).
"""

from __future__ import annotations

import numpy as np

from .body import Body, Style
from .curves import times, window
from .gait import GaitParams, gait
from .library import SIDES, SPEEDS, Params, register
from .rig import LEFT, RIGHT, Pose


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _first(rng: np.random.Generator) -> int:
    return LEFT if rng.random() < 0.5 else RIGHT


def _walk_gp(speed: str, style, rng, duration: float) -> GaitParams:
    v = {"slow": _u(rng, 0.65, 0.9), "normal": _u(rng, 1.1, 1.4), "fast": _u(rng, 1.6, 1.95)}[speed] * style.tempo
    return GaitParams(
        speed=v, cadence=1.0 + 0.68 * v + _u(rng, -0.06, 0.06), duty=0.68 - 0.04 * v, duration=duration,
        clearance=_u(rng, 0.05, 0.08), heel=0.25 + 0.1 * v, knee=_u(rng, 0.08, 0.16), bob=0.008 + 0.007 * v,
        sway=_u(rng, 0.015, 0.03), pelvis_yaw=0.04 + 0.03 * v, lean=0.01 + 0.025 * v,
        arm_swing=_u(rng, 0.15, 0.3) * (0.6 + 0.4 * v), elbow=_u(rng, 0.2, 0.45), first=_first(rng),
        width=_u(rng, 0.75, 1.0), accel=_u(rng, 0.5, 0.8),
    )


def _duration(P: Params, budget: float, lo: float, hi: float, reserve: float = 1.2) -> float:
    return P.uniform("duration", lo, max(lo + 0.05, min(hi, budget - reserve)))


# ------------------------------------------------------------------ walk forward
def _s_walk(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("speed", SPEEDS, p=[0.3, 0.45, 0.25])
    _duration(P, budget, 1.6, 4.5)
    return P.done()


def _b_walk(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    pose = gait(body, style, _walk_gp(p["speed"], style, rng, p["duration"]))
    pose.info["facts"] = {"steps": pose.info["steps"]}
    return pose


# ------------------------------------------------------------------ walk backward / sideways
def _s_walk_backward(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("speed", SPEEDS[:2], p=[0.5, 0.5])
    _duration(P, budget, 1.5, 4.5)
    return P.done()


def _b_walk_backward(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    v = (_u(rng, 0.35, 0.55) if p["speed"] == "slow" else _u(rng, 0.6, 0.85)) * style.tempo
    gp = GaitParams(speed=v, direction=np.pi, cadence=1.25 + 0.8 * v, duty=0.66, duration=p["duration"],
                    clearance=_u(rng, 0.04, 0.07), heel=0.1, toe_up=-0.15, knee=_u(rng, 0.1, 0.2), bob=0.008,
                    pelvis_yaw=0.04, lean=-0.03, arm_swing=_u(rng, 0.05, 0.15), first=_first(rng),
                    width=_u(rng, 0.8, 1.0))
    return gait(body, style, gp)


def _sided(key: str, lo: float, hi: float):
    """A sampler of a side (``key``: "left"/"right") and a stepping duration in [lo, hi] seconds."""
    def sample(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
        P = Params(rng, fixed)
        P.choice(key, SIDES)
        _duration(P, budget, lo, hi)
        return P.done()
    return sample


_s_walk_sideways = _sided("side", 1.5, 4.0)


def _b_walk_sideways(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    sgn = 1.0 if p["side"] == "left" else -1.0
    v = _u(rng, 0.3, 0.6) * style.tempo
    gp = GaitParams(speed=v, direction=sgn * np.pi / 2, cadence=_u(rng, 1.4, 1.9), duty=0.66,
                    duration=p["duration"], clearance=_u(rng, 0.04, 0.07), heel=0.15, toe_up=0.05,
                    knee=_u(rng, 0.1, 0.2), bob=0.006, sway=0.0, pelvis_yaw=0.0, lean=0.0, arm_swing=0.03,
                    arm_out=_u(rng, 0.0, 0.15), first=LEFT if sgn > 0 else RIGHT, width=_u(rng, 0.9, 1.1))
    return gait(body, style, gp)


# ------------------------------------------------------------------ circles and turns while walking
def _s_walk_circle(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("side", SIDES)
    amount = P.choice("amount", ("full", "half"), p=[0.6, 0.4])
    if budget < 6.5 and "amount" not in fixed:
        amount = P.set("amount", "half")
    P.uniform("radius", 0.8, 1.5 if amount == "full" else 2.0)
    return P.done()


def _b_walk_circle(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    gp = _walk_gp("slow" if p["radius"] < 1.0 else "normal", style, rng, 1.0)
    gp.speed = min(gp.speed, 1.15)
    turn = (2 * np.pi if p["amount"] == "full" else np.pi) * (1.0 if p["side"] == "left" else -1.0)
    gp.turn = turn
    gp.accel = 0.5
    gp.duration = abs(turn) * p["radius"] / gp.speed + gp.accel
    return gait(body, style, gp)


def _s_walk_turn(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("side", SIDES)
    P.choice("angle", (90, 180), p=[0.7, 0.3])
    P.choice("speed", SPEEDS[:2], p=[0.3, 0.7])
    _duration(P, budget, 3.0, 6.0)
    return P.done()


def _b_walk_turn(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    gp = _walk_gp(p["speed"], style, rng, p["duration"])
    gp.turn = np.deg2rad(p["angle"]) * (1.0 if p["side"] == "left" else -1.0)
    mid = _u(rng, 0.4, 0.6)
    half = (0.12 if p["angle"] == 90 else 0.2)
    gp.turn_window = (mid - half, mid + half)
    return gait(body, style, gp)


# ------------------------------------------------------------------ jog / run / sprint
def _s_jog(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    ip = P.choice("in_place", (False, True), p=[0.75, 0.25])
    P.choice("speed", SPEEDS[:2], p=[0.35, 0.65])
    _duration(P, budget, 1.8, 4.0 if ip else 3.0)
    return P.done()


def _b_jog(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    v = 0.0 if p["in_place"] else (_u(rng, 1.5, 1.9) if p["speed"] == "slow" else _u(rng, 2.0, 2.6)) * style.tempo
    gp = GaitParams(speed=v, cadence=_u(rng, 2.45, 2.8), duty=_u(rng, 0.4, 0.46), duration=p["duration"],
                    clearance=_u(rng, 0.12, 0.18), tuck=0.5, heel=0.5, knee=_u(rng, 0.2, 0.3), bob=0.0, sway=0.01,
                    pelvis_yaw=0.06, lean=0.05 if v > 0 else 0.02, arm_swing=_u(rng, 0.3, 0.5),
                    arm_out=0.08, elbow=_u(rng, 1.2, 1.55), elbow_swing=0.1, width=0.7, accel=0.6,
                    first=_first(rng), lead=0.1)
    return gait(body, style, gp)


def _s_run(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("speed", ("normal", "fast"), p=[0.6, 0.4])
    _duration(P, budget, 1.4, 3.0)
    return P.done()


def _b_run(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    v = (_u(rng, 2.8, 3.7) if p["speed"] == "normal" else _u(rng, 3.8, 4.6)) * style.tempo
    gp = GaitParams(speed=v, cadence=_u(rng, 2.7, 3.0), duty=_u(rng, 0.34, 0.38), duration=p["duration"],
                    clearance=_u(rng, 0.2, 0.28), tuck=0.9, heel=0.6, knee=_u(rng, 0.28, 0.36), bob=0.0,
                    sway=0.01, pelvis_yaw=0.08, lean=_u(rng, 0.1, 0.16), arm_swing=_u(rng, 0.55, 0.75),
                    arm_out=0.1, elbow=_u(rng, 1.35, 1.6), elbow_swing=0.15, width=0.55, accel=_u(rng, 0.7, 1.0),
                    first=_first(rng), lead=0.1)
    return gait(body, style, gp)


def _s_sprint(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    _duration(P, budget, 1.8, 2.8)
    return P.done()


def _b_sprint(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    v = _u(rng, 5.0, 6.8) * style.tempo
    gp = GaitParams(speed=v, cadence=_u(rng, 3.3, 3.8), duty=_u(rng, 0.27, 0.31), duration=p["duration"],
                    clearance=_u(rng, 0.3, 0.38), tuck=1.0, heel=0.8, knee=_u(rng, 0.34, 0.42), bob=0.0,
                    sway=0.005, pelvis_yaw=0.1, lean=_u(rng, 0.2, 0.28), arm_swing=_u(rng, 0.85, 1.0),
                    arm_out=0.08, elbow=_u(rng, 1.3, 1.5), elbow_swing=0.2, width=0.5, accel=_u(rng, 1.0, 1.3),
                    first=_first(rng), lead=0.1)
    return gait(body, style, gp)


# ------------------------------------------------------------------ turning on the spot
def _s_turn(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("side", SIDES)
    P.choice("angle", (90, 180), p=[0.45, 0.55])
    return P.done()


def _b_turn(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    ang = np.deg2rad(p["angle"]) * (1.0 if p["side"] == "left" else -1.0)
    omega = _u(rng, 1.6, 2.6)
    gp = GaitParams(speed=0.0, turn=ang, duration=abs(ang) / omega + 0.3, cadence=_u(rng, 1.7, 2.1), duty=0.64,
                    clearance=0.045, heel=0.2, knee=0.12, bob=0.005, sway=0.01, pelvis_yaw=0.0, lean=0.0,
                    arm_swing=0.05, first=LEFT if ang > 0 else RIGHT, width=0.95, lead=0.1)
    return gait(body, style, gp)


def _s_spin(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("side", SIDES)
    P.choice("turns", (1, 2), p=[0.75, 0.25])
    return P.done()


def _b_spin(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    ang = 2 * np.pi * p["turns"] * (1.0 if p["side"] == "left" else -1.0)
    omega = _u(rng, 4.5, 6.5)
    gp = GaitParams(speed=0.0, turn=ang, duration=abs(ang) / omega + 0.2, cadence=_u(rng, 3.2, 3.8), duty=0.6,
                    clearance=0.05, heel=0.3, knee=0.18, bob=0.0, sway=0.0, pelvis_yaw=0.0, lean=0.0,
                    arm_swing=0.0, arm_out=_u(rng, 0.2, 0.6), elbow=_u(rng, 0.5, 1.3), width=0.6,
                    first=LEFT if ang > 0 else RIGHT, lead=0.05, accel=0.2)
    return gait(body, style, gp)


# ------------------------------------------------------------------ marching and stumbling
def _s_march(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("in_place", (True, False), p=[0.5, 0.5])
    _duration(P, budget, 2.0, 5.0)
    return P.done()


def _b_march(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    gp = GaitParams(speed=0.0 if p["in_place"] else _u(rng, 0.55, 0.8), cadence=_u(rng, 1.6, 2.0), duty=0.55,
                    duration=p["duration"], clearance=_u(rng, 0.28, 0.38), heel=0.3, toe_up=-0.3,
                    knee=0.08, bob=0.01, sway=0.02, pelvis_yaw=0.03, lean=-0.02, arm_swing=_u(rng, 0.55, 0.8),
                    elbow=_u(rng, 0.2, 1.5), elbow_swing=0.1, width=0.9, first=_first(rng))
    return gait(body, style, gp)


def _s_stumble(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    _duration(P, budget, 2.6, 5.0)
    return P.done()


def _b_stumble(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    gp = _walk_gp("normal", style, rng, p["duration"])
    t_s = _u(rng, 0.9, max(1.0, p["duration"] - 1.4))
    gp.cadence_mul = lambda t: 1.0 + 0.7 * window(t, t_s, t_s + 0.6, 0.15, 0.4)
    pose = gait(body, style, gp)
    t = times(pose.T)
    jolt = window(t, t_s + 0.05, t_s + 0.35, 0.12, 0.6)
    pose.pitch = pose.pitch + 0.3 * jolt
    pose.spine[:, 0] += 0.25 * jolt
    pose.neck[:, 0] -= 0.2 * jolt
    for s in (LEFT, RIGHT):
        pose.arm[:, s, 0] += 1.0 * jolt * _u(rng, 0.7, 1.2)
        pose.arm[:, s, 2] += 0.5 * jolt
    pose.root[:, 1] -= 0.05 * jolt
    return pose


# ------------------------------------------------------------------ sneaking ("extended" vocabulary)
_s_sneak = _sided("first", 1.2, 4.0)  # the foot that steps first


def _b_sneak(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    """Slow, crouched, careful steps: bent knees, high lifted feet set down toes first, trunk bent
    forward, arms bent in front and nearly still."""
    gp = GaitParams(speed=_u(rng, 0.3, 0.6) * style.tempo, cadence=_u(rng, 0.9, 1.4), duty=0.7,
                    duration=p["duration"], clearance=_u(rng, 0.1, 0.18), heel=0.05, toe_up=-0.15,
                    knee=_u(rng, 0.8, 1.2), bob=0.008, sway=0.015, pelvis_yaw=0.04, lean=0.0,
                    arm_swing=_u(rng, 0.02, 0.1), arm_out=0.15, elbow=_u(rng, 0.9, 1.6), elbow_swing=0.05,
                    width=_u(rng, 0.9, 1.2), first=LEFT if p["first"] == "left" else RIGHT)
    pose = gait(body, style, gp)
    t = times(pose.T)
    crouch = window(t, 0.0, t[-1], 0.4, 0.4)
    lean = _u(rng, 0.2, 0.45)
    pose.pitch = pose.pitch + 0.5 * lean * crouch
    pose.spine[:, 0] += 0.5 * lean * crouch
    pose.neck[:, 0] -= 0.6 * lean * crouch
    for s in (LEFT, RIGHT):
        pose.arm[:, s, 0] += 0.35 * crouch
    pose.info["facts"] = {"steps": pose.info["steps"]}
    return pose


register("walk", _s_walk, _b_walk, ("walk",), weight=2.6, group="locomotion")
register("walk_backward", _s_walk_backward, _b_walk_backward, ("backwards walk",), weight=1.2, group="locomotion")
register("walk_sideways", _s_walk_sideways, _b_walk_sideways, ("sideways walk",), weight=1.0, group="locomotion")
register("walk_circle", _s_walk_circle, _b_walk_circle, ("circle walk",), weight=1.0, group="locomotion")
register("walk_turn", _s_walk_turn, _b_walk_turn, ("walk", "turn"), weight=1.2, group="locomotion")
register("jog", _s_jog, _b_jog, lambda p: ("jog in place",) if p["in_place"] else ("jog",), weight=1.2,
         group="locomotion")
register("run", _s_run, _b_run, ("run",), weight=1.2, group="locomotion")
register("sprint", _s_sprint, _b_sprint, ("sprint",), weight=0.5, group="locomotion")
register("turn", _s_turn, _b_turn, ("turn",), weight=1.2, group="locomotion")
register("spin", _s_spin, _b_spin, ("spin",), weight=0.8, group="locomotion")
register("march", _s_march, _b_march, ("march",), weight=0.7, group="locomotion")
register("stumble", _s_stumble, _b_stumble, ("stumble",), weight=0.7, group="locomotion")
register("sneak", _s_sneak, _b_sneak, ("sneak",), weight=1.0, group="locomotion", vocabulary="extended")
