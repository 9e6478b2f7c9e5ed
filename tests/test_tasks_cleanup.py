"""The cleanup stage: constant bones, planted feet, floor, smoothness, and what edits keep.

Clean procedural clips (planted feet, exact bones) are damaged the way network output is damaged
(bones that stretch, joints that jitter, feet that glide), and the cleanup must undo it without
losing what the motion does.
"""

import numpy as np
import pytest

from coamd.metrics import bone_length_variation, floor_penetration, foot_contact_sliding, jitter, mpjpe
from coamd.skeleton import KIT21, SMPL22
from coamd.synth import synthesize_clip
from coamd.tasks.cleanup import CleanupSettings, cleanup_motion, fit_motion, symmetric_bone_lengths
from coamd.tasks.contacts import detect_contacts

L_TOE, R_TOE = 10, 11
LEFT_LEG = [1, 4, 7, 10]


def clip(action, seed=0):
    return synthesize_clip(np.random.default_rng(seed), [action]).joints.astype(np.float64)


def damage(x, seed=0, stretch=0.04, noise=0.006):
    """Network-like damage: every bone's length wobbles by ~``stretch`` (relative), every joint jitters."""
    g = np.random.default_rng(seed)
    out = x.copy()
    T = len(x)
    for j in SMPL22.topological_order[1:]:
        p = SMPL22.parents[j]
        scale = 1 + stretch * np.sin(np.linspace(0, g.uniform(6, 20), T) + g.uniform(0, 6))
        out[:, j] = out[:, p] + (x[:, j] - x[:, p]) * scale[:, None]
    return out + g.normal(0, noise, out.shape)


def bones(x):
    return bone_length_variation(x, SMPL22.parents)


def test_damaged_walk_gets_constant_bones_back_and_stays_the_same_walk():
    walk = clip("walk")
    bad = damage(walk)
    assert bones(bad) > 5.0 and jitter(bad) > 3 * jitter(walk)
    out = cleanup_motion(bad)
    assert out.shape == walk.shape and out.dtype == np.float32
    assert bones(out) < 0.1                                           # mm
    assert jitter(out) < 1.5 * jitter(walk)
    assert mpjpe(out, walk) < 30.0                                    # mm: the same walk, within 3 cm per joint
    assert floor_penetration(out) < 0.005                             # under 5 mm (the feet: none)
    assert out[:, [7, 8, 10, 11], 1].min() > -1e-6
    assert foot_contact_sliding(out) <= foot_contact_sliding(walk) + 0.05
    # one length per bone, the same on the left and on the right
    L = symmetric_bone_lengths(out)
    mirror = SMPL22.mirror_map
    assert np.allclose(L, L[list(mirror)], atol=1e-6)


def test_contacts_planted_lifted_and_skimming_feet():
    stand = clip("stand")
    c = detect_contacts(stand, SMPL22)
    assert c.shape == (len(stand), 2) and c.mean() > 0.9              # both feet planted
    lifted = stand.copy()
    lifted[:, LEFT_LEG[1:], 1] += 0.3                                 # left knee, ankle and toe 30 cm up
    c = detect_contacts(lifted, SMPL22)
    assert not c[:, 0].any() and c[:, 1].mean() > 0.9
    # the left toe skims the floor at 6 m/s for two frames, once: a swing, not a stance
    skim = lifted.copy()
    skim[20:22, LEFT_LEG[3], 1] = 0.01
    skim[20:22, LEFT_LEG[3], 2] += np.array([0.0, 0.3])
    assert not detect_contacts(skim, SMPL22)[:, 0].any()


def test_a_gliding_stance_is_held_still():
    stand = clip("stand")
    T = len(stand)
    glide = stand.copy()
    glide[:, :, 2] += 0.6 * np.arange(T)[:, None] / 20.0              # the whole body glides at 0.6 m/s
    glide[:, :, 1] -= 0.005
    assert foot_contact_sliding(glide) == pytest.approx(0.6, rel=0.05)
    res = fit_motion(glide)
    assert res.contacts.mean() > 0.5
    x = res.joints
    for k, toe in enumerate((L_TOE, R_TOE)):                          # held: still while in contact
        held = res.contacts[1:, k] & res.contacts[:-1, k]
        speed = np.linalg.norm(np.diff(x[:, toe, [0, 2]], axis=0), axis=-1) * 20.0
        assert held.any() and speed[held].max() < 0.02
    assert foot_contact_sliding(x) < 0.6                               # the steps between holds are swings
    assert bones(x) < 0.1


def test_a_jump_keeps_its_peak_and_a_kick_its_height():
    for action, joints in (("jump", [0]), ("kick", [7, 8, 10, 11])):
        x = clip(action, seed=3)
        out = cleanup_motion(damage(x, seed=1))
        peak, got = x[:, joints, 1].max(), out[:, joints, 1].max()
        assert abs(got - peak) < 0.05, (action, peak, got)           # within 5 cm of the real peak


def test_kept_frames_and_joints_are_exactly_the_source():
    walk = clip("walk")
    bad = damage(walk, seed=2)
    keep = np.zeros(walk.shape[:2], bool)
    keep[:15] = keep[-10:] = True
    out = cleanup_motion(bad, keep=keep, source=walk)
    assert np.array_equal(out[:15], walk[:15].astype(np.float32))
    assert np.array_equal(out[-10:], walk[-10:].astype(np.float32))
    assert bones(out) < 1.0                                           # the source's own lengths throughout
    legs = np.zeros(walk.shape[:2], bool)
    legs[:, [0, 1, 2, 4, 5, 7, 8, 10, 11]] = True
    out = cleanup_motion(bad, keep=legs, source=walk)
    np.testing.assert_allclose(out[:, legs[0]], walk[:, legs[0]], atol=1e-6)
    with pytest.raises(ValueError, match="go together"):
        cleanup_motion(bad, keep=keep)


def test_switches_short_motions_and_other_skeletons():
    walk = damage(clip("walk"))
    raw = cleanup_motion(walk, settings=CleanupSettings(smooth=False, bones=False, reach=False, floor=False,
                                                        feet=False))
    np.testing.assert_allclose(raw, walk, atol=1e-6)                  # every step off: the input back
    for T in (1, 2, 5):                                               # too short to smooth: still fitted
        out = cleanup_motion(walk[:T])
        assert out.shape == (T, 22, 3) and np.isfinite(out).all()
    kit = np.random.default_rng(0).normal(0, 0.01, (40, 21, 3)) + _rest(KIT21)
    out = cleanup_motion(kit, fps=12.5, skeleton=KIT21)
    assert out.shape == kit.shape and bone_length_variation(out, KIT21.parents) < 0.1
    with pytest.raises(ValueError, match="expected joints"):
        cleanup_motion(np.zeros((10, 21, 3)))


def _rest(skeleton, length=0.2):
    offsets = skeleton.rest_offsets(np.full(skeleton.num_joints, length))
    x = np.zeros((skeleton.num_joints, 3))
    for j in skeleton.topological_order[1:]:
        x[j] = x[skeleton.parents[j]] + offsets[j]
    x[:, 1] -= x[:, 1].min()
    return x
