"""Footstep schedules -> foot trajectories with planted stance feet (Foundation issue §5).

A foot's motion is a list of `Step` contacts. During a contact the ball of the foot does not
move (the heel may rise towards toe-off, pivoting about the ball), so stance feet never skate;
between two contacts the foot swings along a minimum-jerk path with a lift arc. Actions then
solve the legs with IK onto these targets (`rig.pose_to_local`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body import Body, Style
from .curves import merge_intervals, minjerk, smooth, wrap
from .rig import LEFT, MIRROR, ry, stand_feet

_PITCH_S = (0.0, 0.3, 0.8, 1.0)  # swing phase keys of the foot pitch: toe-off, mid-swing, pre-strike, strike


@dataclass
class Step:
    """One ground contact of one foot: the ball rests at ``ball`` facing ``yaw`` from t_on to t_off."""

    t_on: float
    t_off: float  # np.inf: the foot stays down to the end
    ball: np.ndarray  # (3,) with y = 0
    yaw: float
    heel: float = 0.35  # heel rise (radians) reached at toe-off


def foot_tracks(steps: list[list[Step]], t: np.ndarray, clearance: float = 0.1, toe_up: float = 0.2,
                tuck: float = 0.0, heel_frac: float = 0.35):
    """Ball targets (T, 2, 3), yaws (T, 2), pitches (T, 2) and contact flags (T, 2) of both feet.

    ``clearance``: swing height of the ball for a long step (shorter steps lift less);
    ``tuck`` in [0, 1] lifts the foot early and brings it forward late (running);
    ``toe_up``: toes raised just before heel strike.
    """
    T = len(t)
    ball = np.zeros((T, 2, 3))
    yaw = np.zeros((T, 2))
    pitch = np.zeros((T, 2))
    contact = np.zeros((T, 2), dtype=bool)
    for f, seq in enumerate(steps):
        seq = sorted(seq, key=lambda s: s.t_on)
        for i, st in enumerate(seq):
            t0 = -np.inf if i == 0 else st.t_on
            m = (t >= t0) & (t <= st.t_off)
            ball[m, f] = st.ball
            yaw[m, f] = st.yaw
            contact[m, f] = True
            if np.isfinite(st.t_off) and st.heel > 0:
                r = float(np.clip(heel_frac * (st.t_off - st.t_on), 0.06, 0.2))
                pitch[m, f] = st.heel * smooth((t[m] - (st.t_off - r)) / r)
            if i + 1 == len(seq):
                continue
            nx = seq[i + 1]
            m = (t > st.t_off) & (t < nx.t_on)
            if not m.any():
                continue
            s = (t[m] - st.t_off) / max(nx.t_on - st.t_off, 1e-6)
            d = nx.ball - st.ball
            dist = float(np.hypot(d[0], d[2]))
            lift = clearance * (0.35 + 0.65 * min(1.0, dist / 0.35))
            # the foot rises before it travels and arrives above its landing spot before it descends
            prog = smooth(np.clip((s - 0.04) / 0.86, 0.0, 1.0) ** (1.0 + 0.3 * tuck))
            ball[m, f] = st.ball + prog[:, None] * d
            ball[m, f, 1] = lift * np.sin(np.pi * s ** (1.0 / (1.0 + tuck)))
            yaw[m, f] = st.yaw + wrap(np.asarray(nx.yaw - st.yaw)) * minjerk(s)
            pitch[m, f] = np.interp(s, _PITCH_S, [st.heel, 0.3 * st.heel, -toe_up, 0.0])
    return ball, yaw, pitch, contact


def support_intervals(steps: list[list[Step]], t_end: float) -> list[tuple[float, float]]:
    """Union of the contact intervals of both feet, clipped to [0, t_end]."""
    iv = []
    for seq in steps:
        for i, st in enumerate(sorted(seq, key=lambda s: s.t_on)):
            a = 0.0 if i == 0 else st.t_on
            iv.append((max(a, 0.0), min(st.t_off, t_end)))
    return merge_intervals(iv)


def beside(body: Body, style: Style, stay: Step, foot: int, t_on: float, heel: float = 0.3) -> Step:
    """A final contact for the other foot, standing beside ``stay`` (the planted ``foot``)."""
    side = 1.0 if foot == LEFT else -1.0
    heading = stay.yaw - side * style.toe_out
    ankle = stay.ball - ry(np.asarray(stay.yaw)) @ (body.foot * (1.0 if foot == LEFT else MIRROR))
    centre = ankle - ry(np.asarray(heading)) @ np.array([side * body.hip_width * style.stance, 0.0, 0.0])
    balls, yaws = stand_feet(body, style, centre[0], centre[2], heading)
    return Step(t_on, np.inf, balls[1 - foot], float(yaws[1 - foot]), heel)
