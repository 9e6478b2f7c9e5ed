"""MPJPE / PA-MPJPE and physical plausibility (foot skating, floor penetration, jitter) on known motions."""

import numpy as np
import pytest
import torch

from coamd.errors import CoamdError
from coamd.metrics import floor_penetration, foot_skating_ratio, jitter, mpjpe, pa_mpjpe
from coamd.skeleton import SMPL22
from coamd.skeleton.rotations import axis_angle_to_matrix

FEET = (7, 10, 8, 11)


def _motion(rng, frames=40):
    return rng.normal(size=(frames, 22, 3)) * 0.3 + np.array([0.0, 1.0, 0.0])  # (T, J, 3) metres


# ------------------------------------------------------------------ MPJPE


def test_mpjpe_of_a_known_offset_is_the_offset_in_mm(rng):
    gt = _motion(rng)
    assert mpjpe(gt + np.array([0.03, 0.0, 0.04]), gt) == pytest.approx(50.0)
    assert mpjpe(gt, gt) == 0.0


def test_root_aligned_mpjpe_ignores_translation(rng):
    gt = _motion(rng)
    drift = np.cumsum(rng.normal(size=(40, 1, 3)), axis=0)  # a different translation every frame
    assert mpjpe(gt + drift, gt) > 100.0
    assert mpjpe(gt + drift, gt, root_align=True) == pytest.approx(0.0, abs=1e-9)


def test_pa_mpjpe_of_a_rotated_scaled_copy_is_zero(rng):
    gt = _motion(rng)
    rot = axis_angle_to_matrix(np.array([0.3, -1.1, 0.7]), np.array(2.1))
    pred = 1.7 * gt @ rot.T + np.array([2.0, -1.0, 0.5])
    assert mpjpe(pred, gt) > 500.0
    assert pa_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-6)
    # a reflection is not a rotation: it must not be aligned away
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    assert pa_mpjpe(mirrored, gt) > 10.0


def test_mpjpe_batches_respect_lengths(rng):
    gt = np.stack([_motion(rng), _motion(rng)])  # (B, T, J, 3)
    pred = gt + np.array([0.01, 0.0, 0.0])
    pred[0, 30:] += 5.0  # garbage in the padding of motion 0
    assert mpjpe(torch.tensor(pred), torch.tensor(gt), lengths=[30, 40]) == pytest.approx(10.0)
    assert pa_mpjpe(pred, gt, lengths=np.array([30, 40])) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(CoamdError, match="lengths"):
        mpjpe(pred, gt, lengths=[0, 40])
    with pytest.raises(CoamdError, match="differ"):
        mpjpe(pred[:, :20], gt)


# ------------------------------------------------------------------ foot skating


def _standing(frames=60):
    """A still figure with its feet on the floor (toes at y = 0, ankles at 4 cm)."""
    x = np.zeros((frames, 22, 3))
    x[..., 1] = 1.0
    x[:, [7, 8], 1] = 0.04
    x[:, [10, 11], 1] = 0.0
    x[:, [10, 11], 2] = 0.1
    return x


def test_planted_feet_do_not_skate_and_sliding_feet_do():
    still = _standing()
    assert foot_skating_ratio(still) == 0.0
    walk_in_place = still.copy()
    walk_in_place[:, [0, 3, 6, 9], 2] += np.linspace(0, 1, 60)[:, None]  # the body moves, the feet stay
    assert foot_skating_ratio(walk_in_place) == 0.0
    sliding = still + np.array([0.0, 0.0, 1.0]) * (np.arange(60) / 20.0)[:, None, None]  # 1 m/s, feet on floor
    assert foot_skating_ratio(sliding) == 1.0
    slow = still + np.array([0.0, 0.0, 0.2]) * (np.arange(60) / 20.0)[:, None, None]  # 0.2 m/s: below threshold
    assert foot_skating_ratio(slow) == 0.0
    # vertical motion of a lifted foot is not skating: the foot is not in contact
    lifted = sliding.copy()
    lifted[..., 1] += 0.5
    assert foot_skating_ratio(lifted) == 0.0


def test_skating_ratio_counts_contact_frames_only():
    x = _standing(41)  # 40 frame steps
    x[..., 2] += (np.maximum(np.arange(41) - 20, 0) / 20.0)[:, None]  # 1 m/s during steps 20..39
    x[:10, :, 1] += 0.3  # the whole body is in the air for the first 10 frames
    # contact steps: 10..39 = 30 (step 9->10 starts in the air); skating steps: 20..39 = 20
    assert foot_skating_ratio(x) == pytest.approx(20 / 30)
    assert foot_skating_ratio(x, per="all") == pytest.approx(20 / 40)  # GMD's normalisation


def test_skating_smoothing_window_ignores_a_single_slip():
    x = _standing(41)
    x[21:, [10, 11], 2] += 0.04  # the toes jump 4 cm in one step (0.8 m/s), then stay planted
    assert foot_skating_ratio(x) == pytest.approx(1 / 40)
    # GMD's setting also asks the 5-step average speed (0.16 m/s here) to exceed 0.5 m/s
    assert foot_skating_ratio(x, foot_idx=(10, 11), per="all", window=5) == 0.0


def test_skating_batch_with_padding_and_other_up_axis():
    planted, sliding = _standing(), _standing() + np.array([0, 0, 1.0]) * (np.arange(60) / 20.0)[:, None, None]
    planted[40:] += 3.0  # padding garbage
    batch = np.stack([planted, sliding])
    out = foot_skating_ratio(batch, lengths=[40, 60])
    np.testing.assert_allclose(out, [0.0, 1.0])
    z_up = sliding[..., [0, 2, 1]]  # Y-up -> Z-up
    assert foot_skating_ratio(z_up, up_axis=2, foot_idx=FEET) == 1.0
    with pytest.raises(CoamdError, match="foot_idx"):
        foot_skating_ratio(planted, foot_idx=(30,))


# ------------------------------------------------------------------ floor penetration and jitter


def test_floor_penetration():
    x = _standing(20)
    assert floor_penetration(x) == 0.0
    sunk = x - np.array([0.0, 0.03, 0.0])  # lowest joint 3 cm below the floor in every frame
    assert floor_penetration(sunk) == pytest.approx(0.03)
    half = x.copy()
    half[10:, :, 1] -= 0.1  # half the frames 10 cm under
    assert floor_penetration(half) == pytest.approx(0.05)
    assert floor_penetration(x, floor_height=0.02) == pytest.approx(0.02)


def test_jitter_of_constant_velocity_is_zero_and_of_a_cubic_is_its_jerk(rng):
    t = np.arange(50) / 20.0
    base = rng.normal(size=(22, 3))
    linear = base + np.array([1.0, 0.5, -2.0]) * t[:, None, None]
    assert jitter(linear) == pytest.approx(0.0, abs=1e-6)
    parabola = base + np.array([0.0, -4.9, 0.0]) * t[:, None, None] ** 2  # a free fall: zero jerk
    assert jitter(parabola) == pytest.approx(0.0, abs=1e-6)
    a = np.array([0.3, 0.0, 0.4])  # x(t) = a t^3 -> jerk 6a, |6a| = 3
    cubic = base + a * t[:, None, None] ** 3
    assert jitter(cubic, fps=20.0) == pytest.approx(3.0, rel=1e-6)
    with pytest.raises(CoamdError, match="4 frames"):
        jitter(cubic[:3])


def test_real_capture_is_plausible_and_noise_is_caught(realdata, rng):
    joints = np.load(realdata / "humanml3d_sample" / "new_joints" / "012314.npy")  # (T, 22, 3)
    assert joints.shape[1] == SMPL22.num_joints
    assert floor_penetration(joints) == 0.0  # HumanML3D puts the floor at the lowest joint
    clean_jitter, clean_skate = jitter(joints), foot_skating_ratio(joints)
    noisy = joints + rng.normal(scale=0.01, size=joints.shape)  # 1 cm tracking noise
    assert jitter(noisy) > 3 * clean_jitter
    assert foot_skating_ratio(noisy) > clean_skate
    assert clean_skate < 0.3


def test_foot_contact_sliding_closed_form():
    from coamd.metrics import foot_contact_sliding

    T = 21
    x = np.zeros((T, 22, 3))
    x[..., 1] = 1.0  # everything in the air ...
    x[:, 10, 1] = 0.01  # ... but the left foot, which glides along +X at 0.8 m/s
    x[:, 10, 0] = np.arange(T) * 0.8 / 20
    assert foot_contact_sliding(x, fps=20.0, foot_idx=(10,)) == pytest.approx(0.8)
    x[:, 11, 1] = 0.0  # a second, planted foot halves the mean
    assert foot_contact_sliding(x, fps=20.0, foot_idx=(10, 11)) == pytest.approx(0.4)
    x[:, 11, 1] = 0.3  # lifted: not in contact, not counted
    assert foot_contact_sliding(x, fps=20.0, foot_idx=(10, 11)) == pytest.approx(0.8)
    x[:, 10, 1] = 0.3  # nothing touches the floor
    assert foot_contact_sliding(x, fps=20.0, foot_idx=(10, 11)) == 0.0
    # padded batch: the padding after the real frames never counts
    pad = np.zeros((2, 30, 22, 3))
    pad[0, :T] = x
    pad[0, :T, 10, 1] = 0.0
    pad[1, :, :, 1] = 1.0
    out = foot_contact_sliding(pad, foot_idx=(10,), lengths=[T, 30])
    assert out.shape == (2,) and out[0] == pytest.approx(0.8) and out[1] == 0.0


def test_bone_length_variation_closed_form():
    from coamd.metrics import MetricInputError, bone_length_variation

    rng = np.random.default_rng(0)
    pose = rng.normal(size=(22, 3))
    rigid = np.stack([pose @ _rot_y(a).T + [a, 0, 0] for a in np.linspace(0, 3, 40)])  # moves and turns
    assert bone_length_variation(rigid, SMPL22.parents) == pytest.approx(0.0, abs=1e-9)
    # a 2-joint skeleton whose one bone alternates between L - d and L + d (d = 2 cm): 20 mm
    d = 0.02 * np.where(np.arange(40) % 2, 1.0, -1.0)
    two = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])[None].repeat(40, 0)
    two[:, 1, 1] += d
    assert bone_length_variation(two, [-1, 0]) == pytest.approx(20.0)
    assert bone_length_variation(two[None].repeat(2, 0), [-1, 0], lengths=[40, 1]).tolist() == pytest.approx([20.0, 0.0])
    with pytest.raises(MetricInputError, match="parents"):
        bone_length_variation(two, [-1, 0, 1])


def _rot_y(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
