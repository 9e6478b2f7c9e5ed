"""BVH export (IK on SMPL-22): round trips, an independent parser, flips, hinges, format."""

import numpy as np
import pytest
from bvh import Bvh
from scipy.spatial.transform import Rotation

from coamd.errors import CoamdError, MotionFormatError
from coamd.io.bvh_write import (
    bvh_joint_names,
    bvh_text,
    euler_channels,
    read_back,
    round_trip_error,
    save_bvh,
    t_pose_directions,
)
from coamd.io.ik import solve_ik
from coamd.skeleton import SMPL22, forward_kinematics, rotate_yaw
from coamd.skeleton.rotations import axis_angle_to_matrix, axis_rotation, yaw_matrix

HUMANML3D_CLIP = "humanml3d_sample/new_joints/012314.npy"
# plausible adult bone lengths (m), indexed by child joint
LENGTHS = np.array([0.0, 0.10, 0.11, 0.13, 0.39, 0.39, 0.14, 0.43, 0.43, 0.06, 0.14, 0.15, 0.22, 0.14, 0.14,
                    0.10, 0.13, 0.12, 0.26, 0.26, 0.27, 0.27])


def random_smooth_motion(rng: np.random.Generator, T: int = 120) -> np.ndarray:
    """FK of smooth random local rotations (sums of sinusoids) on SMPL-22, constant bone lengths."""
    t = np.arange(T)[:, None, None] / 20.0
    J = SMPL22.num_joints
    freq, phase, amp = rng.uniform(0.2, 1.0, (J, 3)), rng.uniform(0, 6, (J, 3)), rng.uniform(0.1, 0.7, (J, 3))
    aa = amp * np.sin(2 * np.pi * freq * t + phase)  # (T, J, 3) axis-angle
    local = axis_angle_to_matrix(aa, np.linalg.norm(aa, axis=-1))
    offsets = SMPL22.rest_offsets(rng.uniform(0.05, 0.45, J))
    root = np.stack([np.sin(t[:, 0, 0]), 0.9 + 0.05 * np.cos(t[:, 0, 0]), 0.5 * t[:, 0, 0]], -1)
    return forward_kinematics(SMPL22, local, offsets, root)[0]


def walk(T: int = 160, yaw_start: float = 0.0, yaw_turn: float = 0.0) -> np.ndarray:
    """A walking cycle built by FK with hinge knees and elbows, heading yaw_start + a turn.

    The heading also sways by ±6 degrees each step, so a walk towards -Z crosses ±180 often.
    """
    t = np.arange(T) / 20.0
    ph = 2 * np.pi * t
    rot = np.broadcast_to(np.eye(3), (T, SMPL22.num_joints, 3, 3)).copy()
    idx = SMPL22.index
    yaw = yaw_start + yaw_turn * t / t[-1] + 0.1 * np.sin(ph)
    rot[:, 0] = axis_rotation("Y", yaw) @ axis_rotation("X", 0.05 * np.sin(2 * ph))
    for side, s in (("L", 1.0), ("R", -1.0)):
        p = ph if s > 0 else ph + np.pi
        rot[:, idx(f"{side}_hip")] = axis_rotation("X", -0.45 * np.sin(p)) @ axis_rotation("Z", s * 0.05)
        rot[:, idx(f"{side}_knee")] = axis_rotation("X", 0.5 + 0.5 * np.sin(p + 1.0))
        rot[:, idx(f"{side}_ankle")] = axis_rotation("X", -0.2 * np.sin(p))
        rot[:, idx(f"{side}_shoulder")] = axis_rotation("Z", -s * 1.3) @ axis_rotation("Y", 0.3 * np.sin(p))
        rot[:, idx(f"{side}_elbow")] = axis_rotation("Y", -s * (0.4 + 0.3 * np.sin(p + 2)))
    rot[:, idx("spine1")] = axis_rotation("Y", 0.1 * np.sin(ph))
    rot[:, idx("neck")] = axis_rotation("X", 0.1 * np.sin(ph))
    off = t_pose_directions() * LENGTHS[:, None]
    off[[1, 2, 3, 12, 13, 14]] = [(0.07, -0.08, -0.02), (-0.07, -0.08, -0.02), (0, 0.11, -0.02), (0, 0.2, 0.02),
                                  (0.05, 0.11, 0.0), (-0.05, 0.11, 0.0)]
    heading = np.stack([np.sin(yaw), 0 * t, np.cos(yaw)], -1)
    root = np.cumsum(heading * 1.2 / 20.0, axis=0) + np.array([0.0, 0.92, 0.0])
    return forward_kinematics(SMPL22, rot, off, root)[0]


def fk_with_pypi_bvh(path) -> tuple[list[str], np.ndarray, float]:
    """Joint positions (T, J, 3) from the PyPI ``bvh`` parser and scipy rotations (no coamd code)."""
    with open(path) as f:
        mocap = Bvh(f.read())
    names = mocap.get_joints_names()
    world_r, world_p = {}, {}
    out = np.zeros((mocap.nframes, len(names), 3))
    for k, name in enumerate(names):
        rot_channels = [c for c in mocap.joint_channels(name) if c.endswith("rotation")]
        angles = np.array(mocap.frames_joint_channels(name, rot_channels))
        # uppercase = intrinsic: "ZXY" is Rz @ Rx @ Ry, the BVH meaning of the channel order
        r = Rotation.from_euler("".join(c[0] for c in rot_channels), angles, degrees=True).as_matrix()
        parent = mocap.joint_parent(name)
        if parent is None:
            world_p[name] = np.array(mocap.frames_joint_channels(name, ["Xposition", "Yposition", "Zposition"]))
            world_r[name] = r
        else:
            world_p[name] = world_p[parent.name] + world_r[parent.name] @ np.array(mocap.joint_offset(name))
            world_r[name] = world_r[parent.name] @ r
        out[:, k] = world_p[name]
    return names, out, mocap.frame_time


def in_smpl_order(names: list[str], positions: np.ndarray) -> np.ndarray:
    return positions[:, [names.index(n) for n in bvh_joint_names()]]


def mpjpe(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b, axis=-1).mean())


def max_channel_step(joints: np.ndarray, order: str = "ZXY") -> np.ndarray:
    """Largest frame-to-frame change (degrees) of any Euler channel, per joint (J,)."""
    ik = solve_ik(joints, rest_directions=t_pose_directions())
    return np.abs(np.diff(euler_channels(ik.local_rotations, order), axis=0)).max(axis=(0, 2))


# ---------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("order", ["ZXY", "ZYX", "XYZ"])
def test_random_fk_motion_round_trips_through_an_independent_parser(tmp_path, rng, order):
    x = random_smooth_motion(rng)
    path = save_bvh(tmp_path / "m.bvh", x, order=order)
    names, pos, frame_time = fk_with_pypi_bvh(path)
    assert sorted(names) == sorted(bvh_joint_names())
    assert frame_time == pytest.approx(0.05)
    assert mpjpe(in_smpl_order(names, pos), x) < 1e-4  # IK is exact up to the file's 6 decimals
    assert round_trip_error(path, x) < 1e-4


@pytest.mark.realdata
def test_humanml3d_clip_round_trips_within_a_centimetre(tmp_path, realdata):
    path = realdata / HUMANML3D_CLIP
    if not path.exists():
        pytest.skip(f"{path} not present")
    x = np.load(path)
    out = save_bvh(tmp_path / "clip.bvh", x)
    names, pos, _ = fk_with_pypi_bvh(out)
    assert pos.shape == x.shape
    assert mpjpe(in_smpl_order(names, pos), x) < 0.01


def test_varying_bone_lengths_cost_only_the_length_variation(tmp_path, rng):
    x = walk(T=60)
    stretch = 1.0 + 0.02 * np.sin(np.arange(60) / 5.0)[:, None, None]  # +-2% body size over time
    pelvis = x[:, :1]
    y = pelvis + (x - pelvis) * stretch
    err = round_trip_error(save_bvh(tmp_path / "s.bvh", y), y)
    assert 1e-4 < err < 0.01


# ---------------------------------------------------------------------------------- flips
@pytest.mark.parametrize("yaw_start,yaw_turn", [(np.pi, 0.0), (0.0, 2 * np.pi), (np.pi * 0.999, -2 * np.pi)])
def test_no_flips_facing_backwards_or_turning_round(tmp_path, yaw_start, yaw_turn):
    x = walk(yaw_start=yaw_start, yaw_turn=yaw_turn)
    steps = max_channel_step(x)
    limbs = [SMPL22.index(n) for n in ("pelvis", "L_hip", "R_hip", "L_knee", "R_knee", "L_shoulder",
                                       "R_shoulder", "L_elbow", "R_elbow")]
    assert steps[limbs].max() < 12.0, steps  # the motion itself moves at most ~9 degrees a frame
    assert round_trip_error(save_bvh(tmp_path / "w.bvh", x), x) < 1e-4
    ik = solve_ik(x, rest_directions=t_pose_directions())
    yaw_channel = euler_channels(ik.local_rotations)[:, 0, 2]  # root Yrotation (ZXY: last)
    assert yaw_channel[-1] - yaw_channel[0] == pytest.approx(np.degrees(yaw_turn), abs=5.0)


@pytest.mark.realdata
def test_turning_a_real_clip_changes_only_the_root_channels(realdata):
    path = realdata / HUMANML3D_CLIP
    if not path.exists():
        pytest.skip(f"{path} not present")
    x = np.load(path).astype(np.float64)
    yaw = np.linspace(0.0, 2 * np.pi, len(x))  # a full turn, through facing -Z
    turned = np.einsum("tij,tkj->tki", yaw_matrix(yaw), x)
    a = euler_channels(solve_ik(x, rest_directions=t_pose_directions()).local_rotations)
    b = euler_channels(solve_ik(turned, rest_directions=t_pose_directions()).local_rotations)
    np.testing.assert_allclose(b[:, 1:], a[:, 1:], atol=1e-6)
    backwards = euler_channels(solve_ik(rotate_yaw(x, np.pi), rest_directions=t_pose_directions()).local_rotations)
    np.testing.assert_allclose(backwards[:, 1:], a[:, 1:], atol=1e-6)
    assert np.abs(np.diff(b[:, 0], axis=0)).max() < 45.0  # the root never flips


def test_euler_channels_are_continuous_over_several_turns():
    angles = np.linspace(0.0, 4 * np.pi, 200)  # two full turns about Y
    rot = axis_rotation("Y", angles)[:, None] @ axis_rotation("X", np.full(200, 0.3))[:, None]
    for order in ("ZXY", "YXZ", "XZY", "YZX"):  # Y not in the middle: no gimbal lock on the way
        e = euler_channels(rot, order)
        assert np.abs(np.diff(e, axis=0)).max() < 5.0, order
    assert euler_channels(rot, "ZXY")[-1, 0, 2] == pytest.approx(720.0, abs=1e-6)


# ---------------------------------------------------------------------------------- rotations users see
def test_knees_and_elbows_rotate_as_hinges():
    x = walk()
    e = euler_channels(solve_ik(x, rest_directions=t_pose_directions()).local_rotations, "ZXY")  # (T, J, 3)
    knee, elbow = e[:, SMPL22.index("L_knee")], e[:, SMPL22.index("R_elbow")]
    assert np.ptp(knee[:, 1]) > 40 and np.abs(knee[:, [0, 2]]).max() < 1.0  # flexion about X only
    assert np.ptp(elbow[:, 2]) > 25 and np.abs(elbow[:, [0, 1]]).max() < 1.0  # about the T-pose's Y only


def test_rest_pose_is_a_t_pose_with_the_clips_bone_lengths(tmp_path):
    x = walk(T=40)
    clip = read_back(save_bvh(tmp_path / "t.bvh", x, units="cm"))
    off = dict(zip(clip.names, clip.offsets))
    assert off["L_Elbow"][0] > 0 and off["R_Elbow"][0] < 0 and abs(off["L_Elbow"][1]) < 1e-6  # arms along X
    assert off["L_Knee"][1] < 0 and off["Head"][1] > 0 and off["L_Foot"][2] > 0
    assert np.linalg.norm(off["L_Knee"]) == pytest.approx(100 * LENGTHS[SMPL22.index("L_knee")], abs=1e-3)
    assert np.allclose(off["Pelvis"], 0.0)


# ---------------------------------------------------------------------------------- format
@pytest.mark.parametrize("order", ["ZXY", "ZYX"])
def test_header_follows_blender_conventions(order):
    text = bvh_text(walk(T=10), fps=30.0, order=order, units="cm")
    lines = [ln.strip() for ln in text.splitlines()]
    rot = " ".join(f"{a}rotation" for a in order)
    assert lines[:4] == ["HIERARCHY", "ROOT Pelvis", "{", "OFFSET 0.000000 0.000000 0.000000"]
    assert lines[4] == f"CHANNELS 6 Xposition Yposition Zposition {rot}"
    assert lines.count(f"CHANNELS 3 {rot}") == 21
    assert lines.count("End Site") == 5
    motion = lines.index("MOTION")
    assert lines[motion + 1:motion + 3] == ["Frames: 10", "Frame Time: 0.03333333"]
    assert all(len(row.split()) == 6 + 21 * 3 for row in lines[motion + 3:])
    assert text.endswith("\n")


def test_units_scale_lengths_not_angles(rng):
    x = random_smooth_motion(rng, T=5)
    m = bvh_text(x, units="m").split("MOTION")[1].splitlines()[3:]
    cm = bvh_text(x, units="cm").split("MOTION")[1].splitlines()[3:]
    a = np.array([r.split() for r in m], float)
    b = np.array([r.split() for r in cm], float)
    np.testing.assert_allclose(b[:, :3], 100 * a[:, :3], atol=1e-4)
    np.testing.assert_allclose(b[:, 3:], a[:, 3:], atol=1e-6)


def test_bad_input_raises_one_line_errors_and_writes_nothing(tmp_path):
    x = walk(T=5)
    bad = x.copy()
    bad[2, 3, 1] = np.nan
    with pytest.raises(MotionFormatError, match="NaN"):
        save_bvh(tmp_path / "nan.bvh", bad)
    with pytest.raises(MotionFormatError, match=r"\(T, 22, 3\)"):
        save_bvh(tmp_path / "shape.bvh", x[:, :21])
    with pytest.raises(CoamdError, match="order"):
        save_bvh(tmp_path / "order.bvh", x, order="ZZY")
    with pytest.raises(CoamdError, match="units"):
        save_bvh(tmp_path / "units.bvh", x, units="ft")
    assert list(tmp_path.iterdir()) == []
