"""The procedural corpus' body and rig: proportions, limb conventions, IK and exact bone lengths."""

import numpy as np
import pytest

from coamd.skeleton import SMPL22, forward_kinematics
from coamd.synth.body import HEIGHT_RANGE, REFERENCE_LENGTHS, Style, make_body, sample_body
from coamd.synth.rig import limb_dirs, neutral, pose_to_local, sagittal, two_bone


def _fk(body, pose):
    root, loc = pose_to_local(body, pose)
    return forward_kinematics(SMPL22, loc, body.offsets, root)[0]


def test_reference_lengths_match_the_humanml3d_sample(realdata):
    x = np.load(realdata / "humanml3d_sample" / "new_joints" / "012314.npy").astype(np.float64)
    measured = SMPL22.bone_lengths(x).mean(0)
    for (_, child), length in zip(SMPL22.bones(), measured):
        key = SMPL22.joint_names[child].removeprefix("L_").removeprefix("R_")
        # left and right were averaged; the sample's own left/right differ by up to ~7 mm
        assert abs(REFERENCE_LENGTHS[key] - length) < 0.008, key


def test_sampled_bodies_have_adult_heights_and_stand_as_tall_as_stated():
    rng = np.random.default_rng(0)
    heights = []
    for _ in range(200):
        b = sample_body(rng)
        heights.append(b.height)
    assert HEIGHT_RANGE[0] <= min(heights) and max(heights) <= HEIGHT_RANGE[1]
    assert np.std(heights) > 0.05  # a real spread of subjects
    b = make_body(1.80)
    pos = _fk(b, neutral(b, Style(knee=0.0, posture=0.0), 2))
    head_top = pos[0, 15, 1] + 0.115 * np.linalg.norm(b.offsets[15]) / REFERENCE_LENGTHS["head"]
    assert head_top == pytest.approx(1.80, abs=0.03)
    assert pos[0, [10, 11], 1] == pytest.approx(0.0, abs=5e-4)  # balls of the feet on the floor


def test_limb_angle_conventions():
    z = np.zeros(())
    u, v, _ = limb_dirs(np.array(np.pi / 2), z, np.array(np.pi / 2), z, 1.0)  # arm forward, elbow 90
    assert u == pytest.approx([0, 0, 1], abs=1e-9) and v == pytest.approx([0, 1, 0], abs=1e-9)
    u, v, _ = limb_dirs(np.array(np.pi / 2), np.array(np.pi / 2), np.array(np.pi / 2), np.array(-np.pi / 2), 1.0)
    assert u == pytest.approx([1, 0, 0], abs=1e-9) and v == pytest.approx([0, 1, 0], abs=1e-9)  # wave pose
    u, v, _ = limb_dirs(z, z, np.array(np.pi / 2), z, -1.0)  # knee bends the shank backwards
    assert v == pytest.approx([0, 0, -1], abs=1e-9)
    e, az = sagittal(np.array(0.3), np.array(0.0))  # swung forward: elevation 0.3 in the forward plane
    assert (e, az) == pytest.approx((0.3, 0.0))


def test_two_bone_ik_reaches_reachable_targets_with_the_joint_towards_the_pole():
    rng = np.random.default_rng(1)
    root = rng.normal(size=(50, 3))
    target = root + rng.normal(size=(50, 3)) * 0.25
    pole = np.tile([0.0, 0.0, 1.0], (50, 1))
    u, v = two_bone(root, target, 0.3, 0.28, pole)
    reach = np.linalg.norm(target - root, axis=-1)
    ok = (reach < 0.57) & (reach > 0.03)
    end = root + 0.3 * u + 0.28 * v
    assert np.abs(end - target)[ok].max() < 1e-6
    mid = root + 0.3 * u
    d = (target - root) / reach[:, None]
    off_line = (mid - root) - np.sum((mid - root) * d, axis=1, keepdims=True) * d
    pole_perp = pole - np.sum(pole * d, axis=1, keepdims=True) * d
    assert np.all(np.sum(off_line * pole_perp, axis=1)[ok] > 0)  # the elbow/knee points at the pole


def test_feet_follow_their_targets_and_bones_keep_their_length():
    b = make_body(1.7)
    pose = neutral(b, Style(), 30)
    pose.root[:, 1] -= np.linspace(0.0, 0.3, 30)  # squat down with planted feet
    pose.root[:, 2] -= np.linspace(0.0, 0.1, 30)
    pos = _fk(b, pose)
    assert np.abs(pos[:, [10, 11]] - pose.ball).max() < 1e-4
    lengths = SMPL22.bone_lengths(pos)
    assert lengths.std(0).max() < 1e-9
