"""Importers on files written by the tests: BVH FK by hand, units, Z-up, resampling, ASF/AMC, NTU, arrays."""

import time
from pathlib import Path

import numpy as np
import pytest

from coamd.io import load_motion, load_motions
from coamd.io.asf_amc import amc_fps, read_asf_amc
from coamd.io.ntu import ntu_to_smpl
from coamd.skeleton import NTU25, SMPL22, forward_kinematics
from fixtures_io import AMC, ASF, END_SITES, HUMAN, column_index, rest_frames, write_bvh, write_ntu

J = SMPL22.index


def _posed_frames() -> np.ndarray:
    """Frame 0: left arm down (XYZ joint) with a bent forearm (ZXY joint), right arm X90/Z90 (XYZ);
    frame 1: the whole body turned by root Yrotation 90 and moved to (10, 95, -20)."""
    cols = column_index()
    f = rest_frames(2)
    f[0, cols[("LeftArm", "Zrotation")]] = -90
    f[0, cols[("LeftForeArm", "Zrotation")]] = 90
    f[0, cols[("LeftForeArm", "Xrotation")]] = 90
    f[0, cols[("RightArm", "Xrotation")]] = 90
    f[0, cols[("RightArm", "Zrotation")]] = 90
    f[1, cols[("Hips", "Yrotation")]] = 90
    f[1, cols[("Hips", "Xposition")]] = 10
    f[1, cols[("Hips", "Zposition")]] = -20
    return f


def test_bvh_forward_kinematics_matches_hand_computed_positions(tmp_path):
    path = write_bvh(tmp_path / "posed.bvh", _posed_frames(), frame_time=0.05)
    m = load_motion(path, canonical=False)
    assert m.meta["units"] == "cm" and m.meta["units_detected"] and m.meta["up_axis"] == "Y"
    assert m.meta["mapping"]["L_shoulder"] == "LeftArm" and m.meta["mapping"]["L_collar"] == "LeftShoulder"
    x = m.joints * 100.0  # back to centimetres
    # Frame 0. LeftArm (channels X Y Z) with Z=-90: R = Rz(-90) sends the forearm offset (26,0,0) to (0,-26,0).
    np.testing.assert_allclose(x[0, J("L_shoulder")], [15, 145, 0], atol=1e-3)
    np.testing.assert_allclose(x[0, J("L_elbow")], [15, 119, 0], atol=1e-3)
    # LeftForeArm (channels Z X Y) with Z=90, X=90: Rz(90) Rx(90) (25,0,0) = (0,25,0); Rz(-90) of that = (25,0,0).
    # (Reading the channels as X then Z would put the wrist at (15,119,25).)
    np.testing.assert_allclose(x[0, J("L_wrist")], [40, 119, 0], atol=1e-3)
    # RightArm (channels X Y Z) X=90, Z=90: Rx(90) Rz(90) (-26,0,0) = Rx(90) (0,-26,0) = (0,0,-26).
    np.testing.assert_allclose(x[0, J("R_elbow")], [-15, 145, -26], atol=1e-3)
    np.testing.assert_allclose(x[0, J("R_wrist")], [-15, 145, -51], atol=1e-3)
    # Frame 1: root at (10,95,-20) turned by Ry(90): (x, y, z) -> (z, y, -x).
    np.testing.assert_allclose(x[1, J("pelvis")], [10, 95, -20], atol=1e-3)
    np.testing.assert_allclose(x[1, J("L_hip")], [10, 90, -29], atol=1e-3)
    np.testing.assert_allclose(x[1, J("L_foot")], [23, 0, -29], atol=1e-3)  # toe base (9,-95,13) from the hips
    np.testing.assert_allclose(x[1, J("head")], [10, 159, -20], atol=1e-3)


def test_bvh_units_and_z_up_rigs_are_detected(tmp_path):
    frames = rest_frames(3)
    frames[:, column_index()[("LeftLeg", "Xrotation")]] = [0, 30, 60]
    ref = load_motion(write_bvh(tmp_path / "cm.bvh", frames))
    for unit, per_cm in (("inch", 1 / 2.54), ("m", 0.01), ("mm", 10.0)):
        scaled = [(n, p, tuple(v * per_cm for v in o), r) for n, p, o, r in HUMAN]
        f = frames.copy()
        f[:, :3] *= per_cm
        ends = {k: tuple(v * per_cm for v in e) for k, e in END_SITES.items()}
        m = load_motion(write_bvh(tmp_path / f"{unit}.bvh", f, skeleton=scaled, end_sites=ends))
        assert m.meta["units"] == unit
        np.testing.assert_allclose(m.joints, ref.joints, atol=1e-4)
    # The same person in a Z-up world: (x, y, z) -> (x, -z, y) for every offset and the root path.
    zup = [(n, p, (o[0], -o[2], o[1]), r) for n, p, o, r in HUMAN]
    f = frames.copy()
    f[:, [1, 2]] = np.stack([-frames[:, 2], frames[:, 1]], -1)
    m = load_motion(write_bvh(tmp_path / "zup.bvh", f, skeleton=zup))
    assert m.meta["up_axis"] == "Z"
    np.testing.assert_allclose(m.joints, ref.joints, atol=1e-4)
    # An explicit unit wins over detection.
    assert load_motion(tmp_path / "cm.bvh", units="m", canonical=False).joints[0, J("pelvis"), 1] == pytest.approx(95)


def test_bvh_position_channels_on_joints_replace_their_offsets(tmp_path):
    channels = {name: ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"]
                for name, *_ in HUMAN}
    cols = column_index(channels=channels)
    frames = np.zeros((2, len(cols)))
    for name, _, offset, _ in HUMAN:
        for k, axis in enumerate("XYZ"):
            frames[:, cols[(name, f"{axis}position")]] = offset[k]
    frames[:, cols[("LeftForeArm", "Xposition")]] = 30.0  # upper arm stretched from 26 to 30 cm
    m = load_motion(write_bvh(tmp_path / "six.bvh", frames, channels=channels))
    upper = np.linalg.norm(m.joints[:, J("L_elbow")] - m.joints[:, J("L_shoulder")], axis=-1)
    np.testing.assert_allclose(upper, 0.30, atol=1e-5)


def test_resampling_slerps_rotations_so_bones_keep_their_length(tmp_path):
    cols = column_index()
    frames = rest_frames(31)  # one second at 30 fps
    frames[:, cols[("LeftArm", "Zrotation")]] = np.linspace(0, -90, 31)  # arm swings down, 3 deg per frame
    m = load_motion(write_bvh(tmp_path / "swing.bvh", frames, frame_time=1 / 30), canonical=False)
    assert m.num_frames == 21 and m.meta["source_frames"] == 31 and m.meta["source_fps"] == 30
    arm = m.joints[:, J("L_elbow")] - m.joints[:, J("L_shoulder")]  # (21, 3)
    np.testing.assert_allclose(np.linalg.norm(arm, axis=-1), 0.26, atol=1e-6)
    # output frame 1 is t = 0.05 s = source frame 1.5: the angle halfway between -3 and -6 degrees
    angle = np.degrees(np.arctan2(arm[:, 1], arm[:, 0]))
    np.testing.assert_allclose(angle, -np.arange(21) * 4.5, atol=1e-4)


def test_loading_a_few_hundred_bvh_frames_is_fast(tmp_path):
    cols = column_index()
    frames = rest_frames(400)
    frames[:, cols[("LeftLeg", "Xrotation")]] = 40 * np.sin(np.linspace(0, 12, 400))
    path = write_bvh(tmp_path / "long.bvh", frames)
    start = time.perf_counter()
    m = load_motion(path)
    assert time.perf_counter() - start < 1.0
    assert m.num_frames == 267  # 399 / 30 s at 20 fps, plus the first frame


def test_asf_amc_forward_kinematics_uses_the_bone_axis_frame(tmp_path):
    (tmp_path / "t.asf").write_text(ASF)
    (tmp_path / "t_01.amc").write_text(AMC)
    rig = read_asf_amc(tmp_path / "t_01.amc")  # finds t.asf beside it
    pos = dict(zip(rig.names, np.moveaxis(rig.positions(), 1, 0)))
    # Frame 0. Bone a: C = Rz(90), so rx = 90 is a turn about C x = +Y: (2,0,0) -> (0,0,-2). Bone b then
    # adds Ry(90) Rz(90) (0,1,0) = (0,0,1). Raw units are divided by ':units length 0.5' (x2).
    np.testing.assert_allclose(pos["root"][0], [2, 4, 6], atol=1e-9)
    np.testing.assert_allclose(pos["b"][0], [2, 4, 2], atol=1e-9)
    np.testing.assert_allclose(pos["b/end"][0], [2, 4, 4], atol=1e-9)
    # Frame 1: root RX 90 turns a's (2,0,0) not at all and b's (0,1,0) to (0,0,1).
    np.testing.assert_allclose(pos["b"][1], [6, 4, 6], atol=1e-9)
    np.testing.assert_allclose(pos["b/end"][1], [6, 4, 8], atol=1e-9)
    assert rig.fps == 120.0


def test_amc_frame_rate_comes_from_hdm05_names_not_cmu_trial_numbers():
    assert amc_fps(Path("HDM_bd_kickLFront1Reps_001_120.amc")) == 120
    assert amc_fps(Path("HDM_bd_kickLFront1Reps_001_60.amc")) == 60
    assert amc_fps(Path("86_12.amc")) == 120  # CMU subject 86, trial 12
    assert amc_fps(Path("07_30.amc")) == 120


def _ntu_body(offset: np.ndarray, T: int, swing: float, walk: float) -> np.ndarray:
    """A Kinect-layout person at ``offset`` (camera coordinates), walking along x, swinging the left hand."""
    lengths = np.full(NTU25.num_joints, 0.25)
    rest = NTU25.rest_offsets(lengths)
    rot = np.broadcast_to(np.eye(3), (T, NTU25.num_joints, 3, 3))
    root = offset + np.stack([walk * np.arange(T), np.zeros(T), np.zeros(T)], -1)
    pos, _ = forward_kinematics(NTU25, rot, rest, root)
    pos[:, 7, 1] += swing * np.sin(np.arange(T) / 3.0)  # HandLeft
    return pos


def test_ntu_skeleton_picks_the_moving_body_and_resamples_to_20_fps(tmp_path):
    T = 31
    still = _ntu_body(np.array([1.0, 0.0, 3.5]), T, swing=0.0, walk=0.0)
    mover = _ntu_body(np.array([-0.5, 0.1, 3.0]), T, swing=0.2, walk=0.02)
    frames = [{"72057594037931101": still[t], "72057594037931102": mover[t]} for t in range(T)]
    path = write_ntu(tmp_path / "S001C001P001R001A050.skeleton", frames)
    m = load_motion(path, canonical=False)
    assert m.meta["body"] == "72057594037931102" and m.meta["num_bodies"] == 2
    assert m.num_frames == 21 and m.meta["source_fps"] == 30
    expected = ntu_to_smpl(mover)  # (31, 22, 3)
    np.testing.assert_allclose(m.joints[0], expected[0], atol=1e-5)
    np.testing.assert_allclose(m.joints[1], 0.5 * (expected[1] + expected[2]), atol=1e-5)  # t = 1.5 source frames
    np.testing.assert_allclose(m.joints[20], expected[30], atol=1e-5)
    canon = load_motion(path)
    assert canon.joints[..., 1].min() == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(canon.joints[0, J("pelvis"), [0, 2]], 0.0, atol=1e-6)


def test_ntu_frames_where_the_body_is_lost_are_interpolated(tmp_path):
    T = 16
    mover = _ntu_body(np.array([0.0, 0.0, 3.0]), T, swing=0.0, walk=0.03)
    frames = [{"7": mover[t]} for t in range(T)]
    frames[5] = {}  # not tracked at all
    frames[6] = {"7": np.zeros((25, 3))}  # tracked as all zeros
    frames[0] = {}  # before the body appears: cut
    m = load_motion(write_ntu(tmp_path / "gap.skeleton", frames), canonical=False, fps=30.0)
    assert m.num_frames == T - 1 and m.meta["source_frames"] == T - 1
    np.testing.assert_allclose(m.joints, ntu_to_smpl(mover[1:]), atol=1e-5)  # walking is linear: exact


def test_arrays_npy_npz_and_sample_batches(tmp_path, rng):
    x = rng.normal(size=(30, 22, 3)).astype(np.float32)
    x[..., 1] += 1.0
    np.save(tmp_path / "a.npy", x.reshape(30, 66))
    m = load_motion(tmp_path / "a.npy", canonical=False)
    np.testing.assert_array_equal(m.joints, x)
    assert m.meta["format"] == "npy" and m.meta["units"] == "m"
    assert load_motion(tmp_path / "a.npy", units="cm", canonical=False).joints == pytest.approx(x / 100, abs=1e-6)
    slow = load_motion(tmp_path / "a.npy", source_fps=40.0, canonical=False)
    assert slow.num_frames == 15
    batch = rng.normal(size=(3, 40, 66)).astype(np.float32)
    np.savez(tmp_path / "samples.npz", motion=batch, length=np.array([40, 12, 25]), text=np.array(["a", "b", "c"]))
    ms = load_motions(tmp_path / "samples.npz", canonical=False)
    assert [m.num_frames for m in ms] == [40, 12, 25] and [m.meta["text"] for m in ms] == ["a", "b", "c"]
    np.testing.assert_array_equal(ms[1].joints, batch[1, :12].reshape(12, 22, 3))
    first = load_motion(tmp_path / "samples.npz", canonical=False)
    np.testing.assert_array_equal(first.joints, ms[0].joints)
    np.savez(tmp_path / "j.npz", joints=x)
    np.testing.assert_array_equal(load_motion(tmp_path / "j.npz", canonical=False).joints, x)
