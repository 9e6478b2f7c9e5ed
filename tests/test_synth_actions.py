"""Procedural actions move the way their parameters (and so their captions) say, with human physics."""

import numpy as np
import pytest

from coamd.errors import CoamdError
from coamd.skeleton import SMPL22, facing_angles
from coamd.synth import ACTIONS, LABELS, MAX_FRAMES, MIN_FRAMES, synthesize_clip
from coamd.synth.labels import ALL_LABELS
from coamd.synth.phrases import PHRASES

L_WRIST, R_WRIST, L_SHOULDER, R_SHOULDER, L_BALL, R_BALL = 20, 21, 16, 17, 10, 11


def clip(spec, seed=0):
    return synthesize_clip(np.random.default_rng(seed), spec)


def segments(mask: np.ndarray) -> int:
    """Number of runs of True."""
    m = np.concatenate([[False], mask.astype(bool)])
    return int(np.sum(m[1:] & ~m[:-1]))


def heading_change(j: np.ndarray) -> float:
    """Unwrapped change of the facing direction over the clip, degrees (+ = turned left)."""
    a = np.unwrap(facing_angles(j))
    return float(np.degrees(a[-1] - a[0]))


def foot_skate(j: np.ndarray, height: float = 0.05) -> np.ndarray:
    """Horizontal speed (m/s) of the lower ball-of-foot in frames where it is below ``height``."""
    feet = j[:, [L_BALL, R_BALL]].astype(np.float64)
    v = np.linalg.norm(np.diff(feet[:, :, [0, 2]], axis=0), axis=-1) * 20.0
    y = 0.5 * (feet[1:, :, 1] + feet[:-1, :, 1])
    lower = np.argmin(y, axis=1)
    idx = np.arange(len(y))
    return v[idx, lower][y[idx, lower] < height]


def test_registry_is_complete():
    assert len(ACTIONS) >= 30
    for name, a in ACTIONS.items():
        assert name in PHRASES, name
        for seed in range(4):
            params = a.sample(np.random.default_rng(seed), 8.0, {})
            assert set(a.labels(params)) <= set(LABELS if a.vocabulary == "core" else ALL_LABELS), name
    with pytest.raises(ValueError, match="not one of"):
        ACTIONS["wave"].sample(np.random.default_rng(0), 8.0, {"hand": "middle"})
    with pytest.raises(ValueError, match="unknown parameter"):
        ACTIONS["wave"].sample(np.random.default_rng(0), 8.0, {"colour": "red"})
    with pytest.raises(CoamdError, match="'wave'.*hand='middle'"):
        synthesize_clip(np.random.default_rng(0), [("wave", {"hand": "middle"})])
    with pytest.raises(CoamdError, match="unknown action 'moonwalk'"):
        synthesize_clip(np.random.default_rng(0), ["moonwalk"])
    with pytest.raises(CoamdError, match="posture"):
        synthesize_clip(np.random.default_rng(0), ["stand_up"])


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_action_is_physically_valid(name):
    start = ACTIONS[name].start
    spec = [name] if start == "stand" else [{"sit": "sit_down", "lie": "lie_down"}[start], name]
    for seed in range(2):
        c = clip(spec, seed)
        j = c.joints
        assert j.dtype == np.float32 and j.shape[1:] == (22, 3)
        assert MIN_FRAMES <= len(j) <= MAX_FRAMES
        assert SMPL22.bone_lengths(j).std(axis=0).max() < 1e-4  # rigid bones
        assert j[..., 1].min() >= -0.01  # nothing under the floor
        assert j[0, 0, [0, 2]] == pytest.approx([0.0, 0.0], abs=1e-5)  # canonical start
        assert abs(np.degrees(facing_angles(j[:1])[0])) < 1.0
        speed = np.linalg.norm(np.diff(j, axis=0), axis=-1) * 20.0
        # fastest human limbs: sprinting feet ~14 m/s, martial-arts kicks up to ~17 m/s
        assert speed.max() < 17.0, f"{name}: a joint moves at {speed.max():.1f} m/s"
        assert len(c.captions) == 3 and len(set(c.captions)) == 3


def test_random_clips_chain_one_to_three_actions():
    rng = np.random.default_rng(5)
    counts, names = set(), set()
    for _ in range(60):
        c = synthesize_clip(rng)
        counts.add(len(c.actions))
        names.update(a.name for a in c.actions)
        for a, b in zip(c.actions, c.actions[1:]):
            assert ACTIONS[a.name].end == ACTIONS[b.name].start
            assert a.start < b.start < a.end <= b.end  # consecutive, overlapping by the blend
    assert counts == {1, 2, 3}
    assert len(names) > 25


def test_walking_feet_do_not_skate():
    # lower ball-of-foot below 5 cm: mean horizontal speed < 0.5 cm/s, 95th percentile < 2 cm/s
    # (measured: ~0; stance feet are planted exactly; all clip types together average ~3 cm/s)
    speeds = np.concatenate([foot_skate(clip([("walk", {"speed": s})], seed).joints)
                             for seed, s in enumerate(["slow", "normal", "fast"] * 3)])
    assert speeds.mean() < 0.005
    assert np.percentile(speeds, 95) < 0.02


@pytest.mark.parametrize("spec, axis, sign", [
    (("walk", {}), 2, 1), (("walk_backward", {}), 2, -1), (("walk_sideways", {"side": "left"}), 0, 1),
    (("walk_sideways", {"side": "right"}), 0, -1), (("run", {}), 2, 1), (("jump", {"kind": "forward"}), 2, 1),
    (("jump", {"kind": "backward"}), 2, -1), (("cartwheel", {"side": "right"}), 0, -1),
])
def test_travel_goes_the_stated_way(spec, axis, sign):
    j = clip([spec], 3).joints
    d = j[-1, 0] - j[0, 0]
    assert sign * d[axis] > 0.25
    assert abs(d[2 - axis]) < 0.5 * abs(d[axis])


@pytest.mark.parametrize("spec, degrees", [
    (("turn", {"side": "left", "angle": 90}), 90), (("turn", {"side": "right", "angle": 180}), -180),
    (("spin", {"side": "left", "turns": 1}), 360), (("spin", {"side": "right", "turns": 2}), -720),
    (("walk_circle", {"side": "right", "amount": "full"}), -360), (("walk_turn", {"side": "left", "angle": 90}), 90),
])
def test_turns_match_their_direction_and_angle(spec, degrees):
    assert heading_change(clip([spec], 2).joints) == pytest.approx(degrees, abs=25)


@pytest.mark.parametrize("hand", ["left", "right", "both"])
def test_waves_move_the_stated_hand(hand):
    j = clip([("wave", {"hand": hand})], 1).joints
    up_l = (j[:, L_WRIST, 1] - j[:, L_SHOULDER, 1]).max()
    up_r = (j[:, R_WRIST, 1] - j[:, R_SHOULDER, 1]).max()
    assert (up_l > 0.05) == (hand in ("left", "both"))
    assert (up_r > 0.05) == (hand in ("right", "both"))


@pytest.mark.parametrize("count", [1, 3])
def test_jump_count(count):
    j = clip([("jump", {"kind": "up", "count": count})], 4).joints
    airborne = j[:, [L_BALL, R_BALL], 1].min(axis=1) > 0.03
    assert segments(airborne) == count


def test_counts_of_squats_claps_and_punches():
    j = clip([("squat", {"count": 3})], 0).joints
    assert segments(j[:, 0, 1] < j[0, 0, 1] - 0.15) == 3
    j = clip([("clap", {"count": 4})], 0).joints
    assert segments(np.linalg.norm(j[:, L_WRIST] - j[:, R_WRIST], axis=-1) < 0.12) == 4
    c = clip([("punch", {"hand": "left", "count": 2})], 0)
    j = c.joints
    reach = 0.8 * np.linalg.norm(j[0, 18] - j[0, 16]) + 0.8 * np.linalg.norm(j[0, 20] - j[0, 18])
    assert segments(j[:, L_WRIST, 2] - j[:, L_SHOULDER, 2] > reach) == 2
    assert not (j[:, R_WRIST, 2] - j[:, R_SHOULDER, 2] > reach).any()


@pytest.mark.parametrize("leg", ["left", "right"])
def test_kicks_use_the_stated_leg(leg):
    j = clip([("kick", {"leg": leg, "kind": "front", "count": 1})], 0).joints
    kicking, support = (L_BALL, R_BALL) if leg == "left" else (R_BALL, L_BALL)
    assert j[:, kicking, 1].max() > 0.4
    assert j[:, support, 1].max() < 0.05


def test_postures_sit_and_lie():
    j = clip(["sit_down"], 0).joints
    assert j[-1, 0, 1] < 0.7 * j[0, 0, 1]  # pelvis at chair height
    assert j[-1, [L_BALL, R_BALL], 1].max() < 0.01  # feet still on the floor
    j = clip(["lie_down"], 0).joints
    assert j[-1, 15, 1] < 0.3  # head on the floor
    j = clip(["lie_down", "get_up"], 0).joints
    assert j[-1, 15, 1] > 1.3  # back on their feet
