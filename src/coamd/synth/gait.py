"""Phase-driven locomotion (walk, jog, run, sprint, sidestep, turn on the spot; issue §5).

A reference path (speed along a travel direction relative to the facing, plus a heading
profile) is integrated over time. Each foot cycles through stance and swing by a shared phase
(cadence, duty factor); every stance plants the foot under its hip at the reference position
of mid-stance, so the root is carried by the feet and stance feet never slide. The walk starts
and ends standing: the first step follows a short weight shift and a closing step brings the
trailing foot beside the leading one. Pelvis bob, sway and rotation, trunk counter-rotation and
arm swing follow the phase; running adds ballistic flight between contacts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .body import Body, Style
from .curves import FPS, flight_bounce, ramp, times, window
from .feet import Step, beside, foot_tracks, support_intervals
from .rig import LEFT, RIGHT, Pose, clamp_reach, neutral, ry, sagittal, stand_feet, stand_height


@dataclass
class GaitParams:
    """Locomotion parameters; angles in radians, distances in metres, times in seconds."""

    speed: float = 1.3  # along `direction`
    direction: float = 0.0  # travel direction relative to the facing: 0 forward, pi back, +pi/2 left
    cadence: float = 1.9  # steps per second
    duty: float = 0.62  # stance fraction of a foot's cycle (< 0.5 has flight phases)
    duration: float = 3.0  # seconds of stepping before the closing step
    turn: float = 0.0  # heading change (+ left) spread over `turn_window` (fractions of duration)
    turn_window: tuple[float, float] = (0.0, 1.0)
    width: float = 0.9  # step half-width over hip half-width
    clearance: float = 0.07
    heel: float = 0.35
    tuck: float = 0.0
    toe_up: float = 0.2
    knee: float = 0.12  # mean stance knee flexion: sets the pelvis height
    bob: float = 0.015
    sway: float = 0.02
    pelvis_yaw: float = 0.08
    lean: float = 0.03  # extra forward trunk lean at full speed
    arm_swing: float = 0.3
    arm_out: float = 0.0  # extra arm abduction while moving
    elbow: float = 0.35
    elbow_swing: float = 0.15
    accel: float = 0.6  # seconds to reach full speed and to stop
    first: int = RIGHT  # foot that lifts first
    lead: float = 0.15  # weight shift before the first lift-off
    cadence_mul: object = None  # optional callable t -> multiplier (stumbles)
    info: dict = field(default_factory=dict)


def _events(phi: np.ndarray, t: np.ndarray, level: float) -> float:
    return float(np.interp(level, phi, t))


def plan_steps(body: Body, style: Style, gp: GaitParams, t: np.ndarray, P: np.ndarray, h: np.ndarray,
               phase: np.ndarray) -> tuple[list[list[Step]], float]:
    """Contacts of both feet from the phase; returns the steps and the time of the last touchdown."""
    t_stop = gp.duration
    d = gp.duty
    offs = {gp.first: 0.0, 1 - gp.first: -0.5}
    start_balls, start_yaws = stand_feet(body, style, P[0, 0], P[0, 2], h[0])

    def place(foot: int, tm: float, width: float | None = None) -> tuple[np.ndarray, float]:
        x, z, hd = np.interp(tm, t, P[:, 0]), np.interp(tm, t, P[:, 2]), np.interp(tm, t, h)
        b, y = stand_feet(body, style, x, z, hd, width=gp.width if width is None else width)
        return b[foot], float(y[foot])

    steps: list[list[Step]] = [[], []]
    last_td = {LEFT: 0.0, RIGHT: 0.0}
    for f in (LEFT, RIGHT):
        phi = phase + offs[f]
        n_lo = math.floor(phi[0] - d) + 1  # first lift-off level strictly after phi(0): n + d
        lo = _events(phi, t, n_lo + d)
        steps[f].append(Step(0.0, lo if lo <= t_stop else np.inf, start_balls[f], float(start_yaws[f]), gp.heel))
        n = n_lo + 1
        while np.isfinite(steps[f][-1].t_off):
            td = _events(phi, t, n)
            lo = _events(phi, t, n + d)
            if td >= t[-1]:
                break
            ball, yaw = place(f, 0.5 * (td + lo))
            steps[f].append(Step(td, lo if lo <= t_stop else np.inf, ball, yaw, gp.heel))
            last_td[f] = td
            n += 1
    # closing step: the trailing foot lands beside the leading foot and both stay down
    lead_foot = LEFT if last_td[LEFT] >= last_td[RIGHT] else RIGHT
    trail = 1 - lead_foot
    lead_step = steps[lead_foot][-1]
    lead_step.t_off = np.inf
    tr = steps[trail]
    if np.isfinite(tr[-1].t_off) or len(tr) == 1 or tr[-1].t_on < lead_step.t_on:
        lift = tr[-1].t_off if np.isfinite(tr[-1].t_off) else max(lead_step.t_on + 0.1, t_stop)
        tr[-1].t_off = lift
        swing = max((1.0 - d) / (gp.cadence / 2.0) * 0.8, 0.3)
        td = lift + swing
        tr.append(beside(body, style, lead_step, lead_foot, td, gp.heel))
        last = td
    else:
        tr[-1].t_off = np.inf
        last = max(lead_step.t_on, tr[-1].t_on)
    return steps, last


def gait(body: Body, style: Style, gp: GaitParams) -> Pose:
    """A standing-start, standing-stop locomotion segment."""
    f = gp.cadence / 2.0  # cycles per second
    T_h = math.ceil((gp.duration + 2.5 / f + 1.0) * FPS)
    t = times(T_h)
    accel = min(gp.accel, 0.45 * gp.duration)
    env = ramp(t, 0.0, accel) * (1.0 - ramp(t, gp.duration - accel, gp.duration))
    # heading: yaw rate proportional to the speed envelope inside the turn window -> constant curvature
    w0, w1 = gp.turn_window
    rate = window(t, w0 * gp.duration, w1 * gp.duration, 0.25 * gp.duration * (w1 - w0) + 1e-3)
    rate = rate * (np.maximum(env, 0.05) if gp.speed > 0 else 1.0)
    h = gp.turn * np.cumsum(rate) / max(rate.sum(), 1e-9)
    h = np.concatenate([[0.0], h[:-1]])
    speed = gp.speed * env
    ang = h + gp.direction
    vel = np.stack([np.sin(ang), np.zeros(T_h), np.cos(ang)], -1) * speed[:, None]
    P = np.concatenate([np.zeros((1, 3)), np.cumsum(vel[:-1], axis=0) / FPS])
    fr = f * (gp.cadence_mul(t) if gp.cadence_mul is not None else np.ones(T_h))
    phase = gp.duty - f * gp.lead + np.concatenate([[0.0], np.cumsum(fr[:-1]) / FPS])
    steps, t_last = plan_steps(body, style, gp, t, P, h, phase)
    T = min(T_h, math.ceil((t_last + 0.35) * FPS) + 1)
    t, P, h, phase, speed = t[:T], P[:T], h[:T], phase[:T], speed[:T]
    ball, fyaw, fpitch, contact = foot_tracks(steps, t, gp.clearance, gp.toe_up, gp.tuck)
    # pull the reference path onto the centre of the final stance
    fin = np.array([s[-1].ball for s in steps]) - np.stack([ry(np.asarray(s[-1].yaw)) @ (body.foot * m)
                                                            for s, m in zip(steps, (1.0, np.array([-1.0, 1, 1])))])
    centre = fin.mean(0)
    t_lo = min(s[-1].t_on for s in steps)
    P = P + (centre - P[-1]) * np.array([1.0, 0.0, 1.0]) * ramp(t, min(t_lo, gp.duration) - 0.3, t_last)[:, None]
    first_lo = min(s[0].t_off for s in steps)
    act = window(t, first_lo, t_last - 0.1, 0.35)
    pose = neutral(body, style, T)
    phi_l = phase + (0.0 if gp.first == LEFT else -0.5)
    cyc = 2 * np.pi * (phi_l - gp.duty / 2)  # 0 at left mid-stance
    side = ry(h) @ np.array([1.0, 0.0, 0.0])
    knee = style.knee + (gp.knee - style.knee) * act
    y = np.array([stand_height(body, k) for k in (style.knee, gp.knee)])
    base = y[0] + (y[1] - y[0]) * act
    bob = gp.bob * act * np.cos(2 * cyc)
    fly = flight_bounce(t, support_intervals(steps, t[-1]), t[-1])
    pose.root = P + side * (gp.sway * act * np.cos(cyc))[:, None]
    pose.root[:, 1] = base + bob + fly
    osc = -gp.pelvis_yaw * act * np.cos(2 * np.pi * phi_l)
    rel_speed = speed / max(gp.speed, 1e-6) if gp.speed > 0 else act
    pose.yaw = h + osc
    pose.pitch = gp.lean * 0.4 * rel_speed
    pose.spine[:, 0] += gp.lean * 0.6 * rel_speed
    pose.spine[:, 2] = -1.4 * osc
    pose.neck[:, 0] -= 0.7 * gp.lean * rel_speed
    pose.neck[:, 2] = 0.4 * osc
    swing = gp.arm_swing * act * np.cos(2 * np.pi * phi_l)
    for s, sgn in ((LEFT, -1.0), (RIGHT, 1.0)):
        fwd = sgn * swing
        e, az = sagittal(fwd, style.arm_out + gp.arm_out * act)
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
        pose.arm[:, s, 2] = style.elbow + (gp.elbow - style.elbow) * act + gp.elbow_swing * np.maximum(fwd, 0.0)
    pose.leg[:, :, 2] = knee[:, None]
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    pose.info.update(steps=sum(len(s) - 1 for s in steps), contact=contact, t_last=t_last)
    clamp_reach(body, pose)
    return pose
