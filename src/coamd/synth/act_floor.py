"""Actions that lower the body: squat, lunge, sit down / stand up, kneel, lie down / get up, pick
up from the floor and crawl on hands and knees (Foundation issue §5); put something down on the floor
(the "extended" vocabulary, issue 11).

Feet stay planted through IK while the pelvis is keyframed; postures that end an action
("sit", "lie") are computed from the body alone so the next action starts from the same pose.
Getting up from a chair or from the floor is the time-reversed way down, with its own timing.
"""

from __future__ import annotations

import numpy as np

from .body import Body, Style
from .curves import FPS, keys, minjerk, ramp, times, window
from .feet import Step, foot_tracks
from .library import Params, register
from .rig import LEFT, RIGHT, Pose, clamp_reach, neutral, ry, sagittal, stand_feet, stand_height


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _knee_pole_out(pose: Pose, out: float = 0.35) -> None:
    """Knees track forward and slightly outward (squats, sitting)."""
    T = pose.T
    pole = np.zeros((T, 2, 3))
    pole[:, LEFT] = [out, 0.0, 1.0]
    pole[:, RIGHT] = [-out, 0.0, 1.0]
    pose.knee_pole = pole


# ------------------------------------------------------------------ squat
def _s_squat(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.integer("count", 1, max(1, min(5, int((budget - 0.8) / 1.8))))
    P.choice("depth", ("half", "full", "deep"), p=[0.4, 0.6, 0.0])  # "deep": styles="varied" only
    return P.done()


def _b_squat(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    per = _u(rng, 1.4, 2.2) / style.tempo
    n = p["count"]
    drop = {"half": 0.28, "full": 0.45, "deep": 0.57}[p["depth"]] * body.height / 1.75
    lean = 0.55 if p["depth"] == "deep" else 0.45
    tk, y, z, pitch, arm = [0.0, 0.3], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    tt = 0.3
    arms_up = rng.random() < 0.6
    for _ in range(n):
        tk += [tt + 0.5 * per, tt + 0.5 * per + 0.15, tt + per]
        y += [-drop, -drop, 0.0]
        z += [-0.12, -0.12, 0.0]
        pitch += [lean, lean, 0.0]
        arm += [1.0, 1.0, 0.0]
        tt += per + 0.1
        tk.append(tt)
        y.append(0.0), z.append(0.0), pitch.append(0.0), arm.append(0.0)
    T = int(np.ceil((tt + 0.3) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    pose.root[:, 1] += keys(tk, y, t)
    pose.root[:, 2] += keys(tk, z, t)
    pc = keys(tk, pitch, t)
    pose.pitch = pc
    pose.spine[:, 0] += 0.25 * pc
    pose.neck[:, 0] -= 0.8 * pc
    a = keys(tk, arm, t)
    for s in (LEFT, RIGHT):
        if arms_up:
            e, az = sagittal(1.45 * a, style.arm_out * (1 - a) + 0.1)
            pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
            pose.arm[:, s, 2] = style.elbow * (1 - a) + 0.15 * a
        else:
            pose.arm[:, s, 0] = style.arm_out + 0.5 * a
            pose.arm[:, s, 2] = style.elbow + 0.6 * a
    _knee_pole_out(pose)
    clamp_reach(body, pose)
    return pose


# ------------------------------------------------------------------ lunge
def _s_lunge(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("leg", ("left", "right", "alternate"), p=[0.35, 0.35, 0.3])
    P.integer("count", 1 if P.out["leg"] != "alternate" else 2,
              max(1 if P.out["leg"] != "alternate" else 2, min(4, int((budget - 0.6) / 2.2))))
    return P.done()


def _b_lunge(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    per = _u(rng, 1.8, 2.4) / style.tempo
    step = _u(rng, 0.55, 0.8) * body.height / 1.75
    drop = _u(rng, 0.3, 0.4) * body.height / 1.75
    n = p["count"]
    legs = [(LEFT if p["leg"] == "left" else RIGHT)] * n if p["leg"] != "alternate" else \
        [LEFT if i % 2 == 0 else RIGHT for i in range(n)]
    if p["leg"] == "alternate" and rng.random() < 0.5:
        legs = [1 - f for f in legs]
    balls, yaws = stand_feet(body, style)
    steps: list[list[Step]] = [[Step(0.0, np.inf, balls[f], float(yaws[f]), 0.0)] for f in (LEFT, RIGHT)]
    tk, y, z, pitch = [0.0, 0.3], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    heel = []
    tt = 0.3
    for f in legs:
        st = steps[f][-1]
        st.t_off = tt
        fb, fy = stand_feet(body, style, 0.0, step)
        t_land = tt + 0.28 * per
        t_back = tt + 0.7 * per
        steps[f].append(Step(t_land, t_back, fb[f], float(fy[f]), 0.0))
        steps[f].append(Step(tt + per - 0.05, np.inf, balls[f], float(yaws[f]), 0.0))
        tk += [t_land, tt + 0.45 * per, tt + 0.55 * per, t_back, tt + per]
        y += [-0.05, -drop, -drop, -0.05, 0.0]
        z += [0.3 * step, 0.45 * step, 0.45 * step, 0.3 * step, 0.0]
        pitch += [0.05, 0.08, 0.08, 0.05, 0.0]
        heel.append((1 - f, t_land, t_back))
        tt += per + 0.15
        tk.append(tt)
        y.append(0.0), z.append(0.0), pitch.append(0.0)
    T = int(np.ceil((tt + 0.3) * FPS))
    t = times(T)
    ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=0.06, toe_up=0.15)
    for f, a, b in heel:
        fpitch[:, f] += 0.9 * window(t, a + 0.05, b - 0.05, 0.2)
    pose = neutral(body, style, T)
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    pose.root[:, 1] += keys(tk, y, t)
    pose.root[:, 2] += keys(tk, z, t)
    pose.pitch = keys(tk, pitch, t)
    pose.info["contact"] = contact
    clamp_reach(body, pose)
    return pose


# ------------------------------------------------------------------ sit down / stand up
def _seat(body) -> tuple[float, float]:
    """Pelvis height and depth (behind the feet) when sitting on a chair."""
    return 0.3 * body.height, -0.92 * body.thigh


def _sit_down_pose(body, style, rng, dur: float) -> Pose:
    T = int(np.ceil((dur + 0.5) * FPS))
    t = times(T)
    h0 = stand_height(body, style.knee)
    ys, zs = _seat(body)
    tk = [0.0, 0.2, 0.2 + 0.45 * dur, 0.2 + 0.85 * dur, 0.2 + dur]
    pose = neutral(body, style, T)
    pose.root[:, 1] = keys(tk, [h0, h0, h0 - 0.18, ys + 0.01, ys], t)
    pose.root[:, 2] = keys(tk, [0.0, 0.0, 0.35 * zs, 0.95 * zs, zs], t)
    pc = keys(tk, [0.0, 0.0, 0.45, 0.25, -0.05], t)
    pose.pitch = pc
    pose.spine[:, 0] += 0.3 * pc
    pose.neck[:, 0] -= 0.5 * pc
    a = ramp(t, tk[1], tk[-1])
    for s in (LEFT, RIGHT):
        pose.arm[:, s, 0] = style.arm_out + 0.45 * a
        pose.arm[:, s, 1] = np.pi / 2 * (1 - a) + 0.15 * a
        pose.arm[:, s, 2] = style.elbow + 0.7 * a
    _knee_pole_out(pose, 0.2)
    return pose


def _reverse(pose: Pose) -> Pose:
    """The same motion played backwards (getting up = the way down in reverse)."""
    for name in ("root", "yaw", "pitch", "roll", "spine", "neck", "collar", "arm", "leg", "ball", "foot_yaw",
                 "foot_pitch", "leg_ik", "arm_ik", "arm_target", "arm_pole", "knee_pole", "leg_dirs", "leg_dir_w",
                 "arm_dirs", "arm_dir_w"):
        val = getattr(pose, name)
        if val is not None:
            setattr(pose, name, val[::-1].copy())
    if "contact" in pose.info:
        pose.info["contact"] = pose.info["contact"][::-1].copy()
    return pose


def _s_sit(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    return P.done()


def _b_sit_down(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    return _sit_down_pose(body, style, rng, _u(rng, 1.4, 2.2) / style.tempo)


def _b_stand_up(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    return _reverse(_sit_down_pose(body, style, rng, _u(rng, 1.2, 1.9) / style.tempo))


# ------------------------------------------------------------------ kneel
def _s_kneel(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("knee", ("left", "right", "both"), p=[0.35, 0.35, 0.3])
    return P.done()


def _kneel_ankle(body, knee: np.ndarray) -> tuple[np.ndarray, float]:
    """Ball position and foot pitch of a shin lying on the floor behind ``knee`` (toes tucked)."""
    pitch = 1.3
    ankle = knee + body.shank * np.array([0.0, np.sin(0.12), -np.cos(0.12)])
    foot = ry(np.asarray(0.0)) @ body.foot
    c, s = np.cos(pitch), np.sin(pitch)
    rot = np.array([foot[0], c * foot[1] - s * foot[2], s * foot[1] + c * foot[2]])
    ball = ankle + rot
    ball[1] = 0.0
    return ball, pitch


def _b_kneel(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    hold = _u(rng, 0.6, 1.5)
    down = _u(rng, 0.9, 1.3) / style.tempo
    kr = 0.07  # knee joint height above the floor when kneeling
    hip_drop = -body.offsets[1, 1]
    balls, yaws = stand_feet(body, style)
    t_dn = 0.3 + down
    t_up = t_dn + hold
    t_end = t_up + down + 0.2
    T = int(np.ceil((t_end + 0.3) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    h0 = stand_height(body, style.knee)
    w = body.hip_width * style.stance
    steps: list[list[Step]] = [[Step(0.0, np.inf, balls[f], float(yaws[f]), 0.0)] for f in (LEFT, RIGHT)]
    if p["knee"] == "both":
        zk = body.shank * 0.98
        y_low = kr + body.thigh + hip_drop
        tk = [0.0, 0.3, 0.3 + 0.5 * down, t_dn, t_up, t_up + 0.5 * down, t_end]
        pose.root[:, 1] = keys(tk, [h0, h0, h0 - 0.3, y_low, y_low, h0 - 0.3, h0], t)
        pose.root[:, 2] = keys(tk, [0.0, 0.0, 0.15, zk, zk, 0.15, 0.0], t)
        pose.pitch = keys(tk, [0.0, 0.0, 0.35, 0.05, 0.05, 0.35, 0.0], t)
        ball, fyaw, fpitch, contact = foot_tracks(steps, t)
        fpitch += 1.3 * keys(tk, [0, 0, 0.5, 1, 1, 0.5, 0], t)[:, None]
    else:
        f = LEFT if p["knee"] == "left" else RIGHT
        back = body.shank * 0.95
        zp = -0.55 * body.thigh
        knee = np.array([(1 if f == LEFT else -1) * w, kr, zp])
        kb, kp = _kneel_ankle(body, knee)
        steps[f][0].t_off = 0.35
        steps[f].append(Step(0.35 + 0.35 * down, 0.35 + 0.35 * down + 0.01, kb, float(yaws[f]), 0.0))
        steps[f][-1].t_off = t_up + 0.6 * down
        steps[f].append(Step(t_end - 0.1, np.inf, balls[f], float(yaws[f]), 0.0))
        y_low = kr + body.thigh + hip_drop
        tk = [0.0, 0.3, 0.3 + 0.45 * down, t_dn, t_up, t_up + 0.55 * down, t_end]
        pose.root[:, 1] = keys(tk, [h0, h0, h0 - 0.12, y_low, y_low, h0 - 0.12, h0], t)
        pose.root[:, 2] = keys(tk, [0.0, 0.0, 0.5 * zp, zp, zp, 0.5 * zp, 0.0], t)
        pose.pitch = keys(tk, [0.0, 0.0, 0.15, 0.05, 0.05, 0.15, 0.0], t)
        ball, fyaw, fpitch, contact = foot_tracks(steps, t, clearance=0.05, toe_up=0.0)
        fpitch[:, f] += kp * window(t, 0.35 + 0.45 * down, t_up + 0.4 * down, 0.25)
        del back
    pose.ball, pose.foot_yaw, pose.foot_pitch = ball, fyaw, fpitch
    pose.spine[:, 0] += 0.5 * pose.pitch
    pose.info["contact"] = contact
    return pose


# ------------------------------------------------------------------ lie down / get up
def _lie_down_pose(body, style, dur: float) -> Pose:
    T = int(np.ceil((dur + 0.4) * FPS))
    t = times(T)
    h0 = stand_height(body, style.knee)
    d = dur
    tk = [0.0, 0.2, 0.2 + 0.3 * d, 0.2 + 0.55 * d, 0.2 + 0.8 * d, 0.2 + d]
    pose = neutral(body, style, T)
    y_sit = 0.12 * body.height / 1.75
    pose.root[:, 1] = keys(tk, [h0, h0, 0.5 * h0, y_sit + 0.02, y_sit, 0.1 * body.height / 1.75], t)
    pose.root[:, 2] = keys(tk, [0.0, 0.0, -0.1, -0.45, -0.5, -0.5], t)
    pose.pitch = keys(tk, [0.0, 0.0, 0.45, 0.1, -0.6, -1.5], t)
    pose.spine[:, 0] += keys(tk, [0.0, 0.0, 0.3, 0.35, 0.2, 0.0], t)
    pose.neck[:, 0] += keys(tk, [0.0, 0.0, 0.0, 0.1, 0.4, 0.0], t)
    ik = keys(tk, [1.0, 1.0, 1.0, 0.3, 0.0, 0.0], t, spline=False)
    pose.leg_ik[:] = ik[:, None]
    thigh = keys(tk, [0.0, 0.0, 1.9, 2.0, 1.2, 0.05], t)
    knee = keys(tk, [0.1, 0.1, 2.2, 0.8, 0.4, 0.05], t)
    for s in (LEFT, RIGHT):
        pose.leg[:, s, 0] = thigh
        pose.leg[:, s, 1] = 0.05
        pose.leg[:, s, 2] = knee
        pose.leg[:, s, 3] = keys(tk, [0.0, 0.0, 0.0, 0.4, 0.6, 0.7], t)
        fwd = keys(tk, [0.0, 0.0, 0.9, -0.5, -0.6, 0.0], t)
        e, az = sagittal(fwd, style.arm_out + keys(tk, [0.0, 0.0, 0.1, 0.2, 0.2, 0.1], t))
        pose.arm[:, s, 0], pose.arm[:, s, 1] = e, az
    pose.ball[:, :, 2] += keys(tk, [0.0, 0.0, 0.0, 0.0, 0.3, 0.3], t)[:, None]
    clamp_reach(body, pose)
    return pose


def _b_lie_down(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    return _lie_down_pose(body, style, _u(rng, 2.4, 3.4) / style.tempo)


def _b_get_up(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    return _reverse(_lie_down_pose(body, style, _u(rng, 2.2, 3.2) / style.tempo))


# ------------------------------------------------------------------ pick up
def _s_pick(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.choice("hand", ("right", "left", "both"), p=[0.45, 0.3, 0.25])
    return P.done()


def _b_pick_up(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    return _hand_to_floor(body, style, p, rng, put=False)


def _b_put_down(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    return _hand_to_floor(body, style, p, rng, put=True)


def _hand_to_floor(body: Body, style: Style, p: dict, rng: np.random.Generator, put: bool) -> Pose:
    """Bend (stoop or squat) until the hand(s) reach the floor. Picking up, the hand comes up held
    in front (carrying); putting down, it is carried in front on the way down and hangs free after."""
    down = _u(rng, 0.9, 1.4) / style.tempo
    hold = _u(rng, 0.2, 0.5)
    squat = rng.random() < 0.5  # squat down (knees) or stoop (hips)
    t1 = 0.3 + down
    t2 = t1 + hold
    t3 = t2 + down * 0.9
    T = int(np.ceil((t3 + 0.5) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    tk = [0.0, 0.3, t1, t2, t3]
    drop = (0.42 if squat else 0.18) * body.height / 1.75
    pose.root[:, 1] += keys(tk, [0, 0, -drop, -drop, 0], t)
    pose.root[:, 2] += keys(tk, [0, 0, -0.1 if squat else -0.15, -0.1 if squat else -0.15, 0], t)
    pc = keys(tk, [0, 0, 0.7 if squat else 1.05, 0.7 if squat else 1.05, 0], t)
    pose.pitch = pc
    pose.spine[:, 0] += 0.45 * pc
    pose.neck[:, 0] -= 0.3 * pc
    hands = {"left": [LEFT], "right": [RIGHT], "both": [LEFT, RIGHT]}[p["hand"]]
    zt = _u(rng, 0.25, 0.4)
    target = np.zeros((T, 2, 3))
    w_ik = np.zeros((T, 2))
    reach = window(t, t1 - 0.1, t2, 0.5 * down, 0.5 * down)
    if put:  # carried from the start until the reach takes over
        held, free = ramp(t, 0.0, 0.3), 1 - ramp(t, t1 - 0.35, t1)
    else:  # held from the grasp until shortly after standing up
        held, free = ramp(t, t2, t3), 1 - ramp(t, t3, t3 + 0.4)
    for s in hands:
        x = (1 if s == LEFT else -1) * (0.12 if p["hand"] == "both" else 0.2)
        target[:, s] = [x, 0.06, zt]
        w_ik[:, s] = reach
        pose.arm[:, s, 0] = style.arm_out + 0.5 * held * free
        pose.arm[:, s, 1] = np.pi / 2 - 1.2 * held * free
        pose.arm[:, s, 2] = style.elbow + 1.0 * held * free
    pose.arm_target, pose.arm_ik = target, w_ik
    _knee_pole_out(pose, 0.3)
    clamp_reach(body, pose)
    return pose


# ------------------------------------------------------------------ crawl
def _s_crawl(rng: np.random.Generator, budget: float, fixed: dict) -> dict:
    P = Params(rng, fixed)
    P.integer("cycles", 1, max(1, min(4, int((budget - 3.5) / 1.2))))
    return P.done()


def _all_fours_pitch(body, hip_y: float, shoulder_y: float) -> float:
    """Pelvis pitch that puts the shoulders at ``shoulder_y`` when the hips are at ``hip_y``."""
    o = body.offsets
    s = o[3] + o[6] + o[9] + o[13] + o[16]  # pelvis -> left shoulder in the rest pose
    a, b = s[1] - o[1, 1], s[2] - o[1, 2]
    r, delta = np.hypot(a, b), np.arctan2(b, a)
    return float(np.arccos(np.clip((shoulder_y - hip_y) / r, -1.0, 1.0)) - delta)


def _b_crawl(body: Body, style: Style, p: dict, rng: np.random.Generator) -> Pose:
    per = _u(rng, 0.9, 1.3)
    stride = _u(rng, 0.18, 0.28)
    v = stride / (0.6 * per)
    down = _u(rng, 1.1, 1.5)
    t_c0 = 0.3 + down  # crawling starts
    t_c1 = t_c0 + p["cycles"] * per
    t_end = t_c1 + down + 0.3
    T = int(np.ceil((t_end + 0.2) * FPS))
    t = times(T)
    pose = neutral(body, style, T)
    h0 = stand_height(body, style.knee)
    kr = 0.07
    all4 = window(t, t_c0 - 0.25, t_c1 + 0.25, 0.7 * down)
    crawl = window(t, t_c0, t_c1, 0.3)
    zc = np.concatenate([[0.0], np.cumsum(v * crawl[:-1]) / FPS])
    hip_y_all4 = kr + body.thigh
    pitch = _all_fours_pitch(body, hip_y_all4, body.arm * 0.97 + 0.03)
    pose.pitch = pitch * all4
    off_hip = body.offsets[1]
    root_all4 = hip_y_all4 - (np.cos(pitch) * off_hip[1] - np.sin(pitch) * off_hip[2])
    pose.root[:, 1] = h0 + (root_all4 - h0) * all4 - 0.25 * window(t, 0.3 + 0.5 * down, t_end - 0.5 * down - 0.3,
                                                                    0.3) * (1 - all4) * 4 * all4
    # knees come down ahead of the planted feet so that the shins end up over the feet's spots
    hip_back = np.sin(pitch) * off_hip[1] + np.cos(pitch) * off_hip[2]
    pose.root[:, 2] = (body.shank * np.cos(0.24) - hip_back) * all4 + zc
    pose.foot_pitch[:] = 1.3 * all4[:, None]
    pose.neck[:, 0] -= 0.9 * all4
    pose.spine[:, 0] -= style.posture * all4
    ph = (t - t_c0) / per
    fwd = np.array([0.0, 0.0, 1.0])
    up = np.array([0.0, 1.0, 0.0])
    leg_dirs = np.zeros((T, 2, 2, 3))
    arm_dirs = np.zeros((T, 2, 2, 3))
    for s, (off_leg, off_arm) in ((LEFT, (0.0, 0.5)), (RIGHT, (0.5, 0.0))):
        for limb, off, L, dirs in (("leg", off_leg, body.thigh, leg_dirs), ("arm", off_arm, body.arm, arm_dirs)):
            phi = np.mod(ph + off, 1.0)
            st = phi < 0.6
            sw = (phi - 0.6) / 0.4
            horiz = np.where(st, (0.5 - phi / 0.6) * stride, (-0.5 + minjerk(sw)) * stride) * crawl
            lift = np.where(st, 0.0, 0.05 * np.sin(np.pi * np.clip(sw, 0, 1))) * crawl
            sin = np.clip(horiz / L, -0.9, 0.9)
            u = sin[:, None] * fwd - np.sqrt(1 - sin * sin)[:, None] * up + (lift / L)[:, None] * up
            if limb == "leg":
                dirs[:, s, 0] = u
                dirs[:, s, 1] = -fwd + 0.25 * up  # shins lifted: the toes clear the floor
            else:
                dirs[:, s, 0] = u
                dirs[:, s, 1] = u
    pose.leg_dirs, pose.arm_dirs = leg_dirs, arm_dirs
    pose.leg_dir_w = np.repeat(all4[:, None], 2, axis=1)
    pose.leg_ik = 1.0 - pose.leg_dir_w
    pose.arm_dir_w = np.repeat(all4[:, None], 2, axis=1)
    pose.leg[:, :, 3] = 1.1 * all4[:, None]
    pose.ball[:, :, 2] += zc[-1] * ramp(t, t_c1 - 0.2, t_c1 + 0.2)[:, None]
    pose.info["contact"] = np.repeat((all4 < 1e-3)[:, None], 2, axis=1)
    pose.info["facts"] = {"distance": float(zc[-1])}
    return pose


register("squat", _s_squat, _b_squat, ("squat",), weight=1.2, group="floor")
register("lunge", _s_lunge, _b_lunge, ("lunge",), weight=0.8, group="floor")
register("sit_down", _s_sit, _b_sit_down, ("sit",), end="sit", weight=1.0, group="floor")
register("stand_up", _s_sit, _b_stand_up, ("stand up",), start="sit", weight=1.0, group="floor")
register("kneel", _s_kneel, _b_kneel, ("kneel",), weight=0.8, group="floor")
register("lie_down", _s_sit, _b_lie_down, ("lie down",), end="lie", weight=0.6, group="floor")
register("get_up", _s_sit, _b_get_up, ("get up",), start="lie", weight=1.0, group="floor")
register("pick_up", _s_pick, _b_pick_up, ("pick up",), weight=1.2, group="floor")
register("crawl", _s_crawl, _b_crawl, ("crawl",), weight=0.6, group="floor")
register("put_down", _s_pick, _b_put_down, ("put down",), weight=1.2, group="floor", vocabulary="extended")
