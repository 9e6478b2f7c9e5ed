"""Clips of 1-3 actions: sequencing, blended transitions, contact clean-up, captions (issue §5).

`synthesize_clip` draws a body and a style, chains actions whose postures match (a clip starts
standing; "sit down" must be followed by "stand up" or end the clip), builds each action's pose
segment, and joins them: the next segment starts where the previous one is (root position and
heading carried over) and joint rotations are slerped over a 0.3-0.5 s overlap. Forward
kinematics then gives joint positions with exactly constant bone lengths; planted feet are
locked (the root absorbs any residual slide), frames that would dip below the floor are lifted,
and the result is put in the canonical frame (`coamd.skeleton.canonicalize`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np

from ..skeleton import SMPL22, canonicalize, forward_kinematics
from ..skeleton.rotations import matrix_to_quat, quat_to_matrix
from .body import STYLE_OPTIONS, Body, make_body, sample_body, sample_style
from .captions import Caption, make_captions
from .library import ACTIONS, VOCABULARIES, SpecError, check_vocabulary
from .rig import pose_to_local, ry

MIN_FRAMES, MAX_FRAMES = 40, 196
FPS = 20.0
N_ACTIONS_P = (0.4, 0.4, 0.2)  # probabilities of 1, 2, 3 actions in a random clip


@dataclass
class ActionInstance:
    """One action of a clip: its parameters and the frames [start, end) it occupies."""

    name: str
    params: dict
    start: int = 0
    end: int = 0
    facts: dict = field(default_factory=dict)  # measured after building (e.g. steps taken)

    @property
    def labels(self) -> tuple[str, ...]:
        return ACTIONS[self.name].labels(self.params)


@dataclass
class ClipSpec:
    """What to synthesise: actions as names or (name, params) pairs (missing params are drawn)."""

    actions: list = field(default_factory=list)
    height: float | None = None


@dataclass
class Clip:
    joints: np.ndarray  # (T, 22, 3) float32, canonical
    captions: list[str]
    labels: list[str]  # sorted union over the actions
    actions: list[ActionInstance]
    caption_info: list[Caption] = field(default_factory=list)
    height: float = 0.0

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])


def _normalise_spec(spec) -> ClipSpec | None:
    if spec is None or isinstance(spec, ClipSpec):
        return spec
    if isinstance(spec, (list, tuple)):
        return ClipSpec(actions=list(spec))
    if isinstance(spec, str):
        return ClipSpec(actions=[spec])
    raise SpecError(f"spec must be a ClipSpec, a list of actions or an action name, got {type(spec).__name__}")


def _plan(rng: np.random.Generator, vocabulary: str = "core") -> list[str]:
    """Random action names with consistent postures, from the actions of ``vocabulary``."""
    n = int(rng.choice(3, p=N_ACTIONS_P)) + 1
    names: list[str] = []
    state = "stand"
    allowed = VOCABULARIES[vocabulary]
    for i in range(n):
        cands = [a for a in ACTIONS.values() if a.start == state and (not names or a.name != names[-1])
                 and a.vocabulary in allowed]
        w = np.array([a.weight for a in cands])
        a = cands[int(rng.choice(len(cands), p=w / w.sum()))]
        names.append(a.name)
        state = a.end
    return names


def _squat_variant(rng: np.random.Generator) -> dict:
    out = {}
    if rng.random() < 0.5:
        out["depth"] = "deep"
    if rng.random() < 0.5:
        out["count"] = 1
    return out


# Action variants of ``styles="varied"`` (issue 11, docs/domain_gap.md section 10): parameter values the
# default corpus never draws, fixed with these odds before the action's own sampler runs. Captured squats
# are often one deep repetition (HDM05: the pelvis drops ~0.6 of its standing height, corpus squats ~0.46);
# people raise a hand with the elbow bent, the hand above the head (Bandai-Namco), not only a straight arm.
VARIANTS: dict[str, Callable[[np.random.Generator], dict]] = {
    "squat": _squat_variant,
    "raise_arms": lambda rng: {"plane": "hand"} if rng.random() < 0.5 else {},
}


def synthesize_clip(rng: np.random.Generator, spec: ClipSpec | list | str | None = None,
                    body: Body | None = None, vocabulary: str = "core", styles: str = "core") -> Clip:
    """One clip of 40-196 frames (canonical SMPL-22, 20 fps) with 3 captions and its labels.

    ``spec`` fixes the actions (and any of their parameters); None draws everything from ``rng``,
    the actions from ``vocabulary`` ("core": the default corpus; "extended": core plus the actions
    of the "extended" vocabulary). A spec may name any registered action. ``styles`` "broad" draws
    bodies and habits from the wider ranges of `coamd.synth.body` (smaller people, stooped or crouched
    postures, slower and faster tempi); "mixed" draws core or broad for the clip with equal probability;
    "varied" is broad plus the action variants of `VARIANTS` (half the squats a single deep one, half the
    one- and two-arm raises a bent-elbow hand raise).
    """
    check_vocabulary(vocabulary)
    if styles not in STYLE_OPTIONS:
        raise SpecError(f"styles {styles!r} is not one of {list(STYLE_OPTIONS)}")
    if styles == "mixed":
        styles = "broad" if rng.random() < 0.5 else "core"
    variants = styles == "varied"
    if variants:
        styles = "broad"
    spec = _normalise_spec(spec)
    if body is None:
        body = make_body(spec.height) if spec is not None and spec.height else sample_body(rng, styles)
    style = sample_style(rng, styles)
    requested = None
    if spec is not None:
        requested = [(a, {}) if isinstance(a, str) else (a.name, dict(a.params)) if isinstance(a, ActionInstance)
                     else (a[0], dict(a[1])) for a in spec.actions]
        for name, _ in requested:
            if name not in ACTIONS:
                raise SpecError(f"spec: unknown action {name!r} (known: {', '.join(sorted(ACTIONS))})")
        _check_postures([n for n, _ in requested])
    for attempt in range(6):
        names = [n for n, _ in requested] if requested else _plan(rng, vocabulary)
        fixed = [p for _, p in requested] if requested else [{} for _ in names]
        if variants:  # drawn only for "varied", so every other corpus keeps its random stream
            fixed = [{**VARIANTS[n](rng), **fx} if n in VARIANTS else fx for n, fx in zip(names, fixed)]
        budget = MAX_FRAMES / FPS * (0.9 if attempt == 0 else 0.6 / attempt)
        instances, poses = [], []
        for name, fx in zip(names, fixed):
            share = budget / len(names)
            try:
                params = ACTIONS[name].sample(rng, share, fx)
            except SpecError as e:
                raise SpecError(f"spec: action {name!r}: {e}") from None
            pose = ACTIONS[name].build(body, style, params, rng)
            instances.append(ActionInstance(name, params, facts=dict(pose.info.get("facts", {}))))
            poses.append(pose)
        blends = [int(rng.integers(6, 11)) for _ in poses[1:]]
        total = sum(p.T for p in poses) - sum(blends)
        if total <= MAX_FRAMES:
            break
        if requested is None and len(names) > 1:
            continue  # replan a shorter clip
    if total < MIN_FRAMES:  # too short: the person stands on for a moment (not captioned)
        fill = (MIN_FRAMES - total + 12) / FPS
        if ACTIONS[instances[-1].name].end == "stand":
            poses.append(ACTIONS["stand"].build(body, style, {"duration": fill}, rng))
        else:  # hold the final seated / lying pose
            poses.append(_hold(poses[-1], int(np.ceil(fill * FPS))))
        blends.append(8)
    joints, contact, spans = _assemble(body, poses, blends)
    for inst, (a, b) in zip(instances, spans):
        inst.start, inst.end = a, min(b, MAX_FRAMES)
    joints, contact = joints[:MAX_FRAMES], contact[:MAX_FRAMES]
    joints = _finish(joints, contact)
    captions = make_captions(rng, instances)
    labels = sorted({lab for inst in instances for lab in inst.labels})
    return Clip(joints=joints, captions=[c.text for c in captions], labels=labels, actions=instances,
                caption_info=captions, height=body.height)


def _check_postures(names: list[str]) -> None:
    state = "stand"
    for n in names:
        a = ACTIONS[n]
        if a.start != state:
            raise SpecError(f"spec: action {n!r} starts from {a.start!r} but the person is in {state!r} posture")
        state = a.end


def slerp(q0: np.ndarray, q1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation of unit quaternions (..., 4) with weights w broadcastable to (..., 1)."""
    d = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(d < 0, -q1, q1)
    d = np.abs(d)
    ang = np.arccos(np.clip(d, -1.0, 1.0))
    s = np.sin(ang)
    small = s < 1e-6
    a = np.where(small, 1.0 - w, np.sin((1.0 - w) * ang) / np.where(small, 1.0, s))
    b = np.where(small, w, np.sin(w * ang) / np.where(small, 1.0, s))
    q = a * q0 + b * q1
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def _contact_of(pose) -> np.ndarray:
    """Intended planted feet (T, 2): IK feet whose ball target is on the floor and still."""
    c = pose.info.get("contact")
    if c is not None:
        return np.asarray(c, dtype=bool)
    grounded = (pose.leg_ik > 0.99) & (pose.ball[:, :, 1] < 1e-3)
    still = np.zeros_like(grounded)
    v = np.linalg.norm(np.diff(pose.ball, axis=0), axis=-1) * FPS
    still[1:] = v < 0.05
    still[0] = still[1] if len(still) > 1 else True
    return grounded & still


def _hold(pose, T: int):
    """A still segment of ``T`` frames in the last frame's pose of ``pose``."""
    arrays = {f.name: np.repeat(getattr(pose, f.name)[-1:], T, axis=0) for f in fields(pose)
              if isinstance(getattr(pose, f.name), np.ndarray)}
    return replace(pose, info={}, **arrays)


def _assemble(body: Body, poses, blends):
    """Join segments (heading/position carried over, rotations slerped) and run FK."""
    roots, locs, heads, contacts = [], [], [], []
    spans: list[tuple[int, int]] = []
    for k, pose in enumerate(poses):
        root, loc = pose_to_local(body, pose)
        heading = pose.yaw.copy()
        contact = _contact_of(pose)
        if k == 0:
            roots, locs, heads, contacts = root, loc, heading, contact
            spans.append((0, pose.T))
            continue
        B = min(blends[k - 1], pose.T // 2, roots.shape[0] // 2)
        s = roots.shape[0] - B
        H = heads[s] - heading[0]
        R = ry(np.asarray(H))
        root = root @ R.T
        root[:, [0, 2]] += roots[s, [0, 2]] - root[0, [0, 2]]
        loc[:, 0] = R @ loc[:, 0]
        heading = heading + H
        w = ((np.arange(B) + 1.0) / (B + 1.0))
        w = w * w * (3 - 2 * w)
        qa = matrix_to_quat(locs[s:])
        qb = matrix_to_quat(loc[:B])
        blended = quat_to_matrix(slerp(qa, qb, w[:, None, None]))
        locs[s:] = blended
        roots[s:] = roots[s:] * (1 - w[:, None]) + root[:B] * w[:, None]
        heads[s:] = heads[s:] * (1 - w) + heading[:B] * w
        contacts[s:] = contacts[s:] & contact[:B]
        roots = np.concatenate([roots, root[B:]])
        locs = np.concatenate([locs, loc[B:]])
        heads = np.concatenate([heads, heading[B:]])
        contacts = np.concatenate([contacts, contact[B:]])
        spans.append((s, roots.shape[0]))
    joints, _ = forward_kinematics(SMPL22, locs, body.offsets, roots)
    return joints, contacts, spans


def _finish(joints: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """Lock planted feet, keep every joint above the floor, canonicalise -> float32 (T, 22, 3)."""
    x = joints.copy()
    balls = x[:, [10, 11]][:, :, [0, 2]]  # (T, 2, 2)
    d = np.diff(balls, axis=0)  # (T-1, 2, 2)
    both = contact[1:] & contact[:-1]
    speed = np.linalg.norm(d, axis=-1)
    pick = np.where(both[:, 0] & both[:, 1], np.argmin(speed, axis=1), np.where(both[:, 0], 0, 1))
    anchor = both.any(axis=1)
    corr = np.where(anchor[:, None], -d[np.arange(len(d)), pick], 0.0)
    shift = np.concatenate([np.zeros((1, 2)), np.cumsum(corr, axis=0)])
    x[:, :, 0] += shift[:, None, 0]
    x[:, :, 2] += shift[:, None, 1]
    low = x[:, :, 1].min(axis=1)
    x[:, :, 1] += np.maximum(0.0, -low)[:, None]
    return canonicalize(x, SMPL22)
