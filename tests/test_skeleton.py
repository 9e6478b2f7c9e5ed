import numpy as np
import pytest

from coamd.skeleton import (
    KIT21,
    NTU25,
    SKELETONS,
    SMPL22,
    canonicalize,
    facing_angles,
    forward_kinematics,
    mirror,
    resample,
    rotate_yaw,
    validate_motion,
)
from coamd.skeleton.rotations import euler_to_matrix, matrix_to_euler, matrix_to_quat, quat_to_matrix


@pytest.mark.parametrize("sk", list(SKELETONS.values()), ids=lambda s: s.name)
def test_mirror_map_is_an_involution_that_pairs_left_with_right(sk):
    m = sk.mirror_map
    assert all(m[m[j]] == j for j in range(sk.num_joints))
    for j, k in enumerate(m):
        if sk.side_of(j) == "left":
            assert sk.side_of(k) == "right"


def test_smpl22_matches_humanml3d_order():
    assert SMPL22.num_joints == 22 and KIT21.num_joints == 21 and NTU25.num_joints == 25
    assert SMPL22.joint_names[15] == "head" and SMPL22.parents[21] == 19
    assert SMPL22.fps == 20


@pytest.mark.parametrize("order", ["XYZ", "ZXY", "ZYX", "YXZ", "XZY", "YZX"])
def test_euler_round_trip(order, rng):
    a = rng.uniform(-1.3, 1.3, (50, 3))
    m = euler_to_matrix(a, order)
    np.testing.assert_allclose(matrix_to_euler(m, order), a, atol=1e-9)
    np.testing.assert_allclose(quat_to_matrix(matrix_to_quat(m)), m, atol=1e-9)


def _walk_fk(T=40):
    """A T-pose skeleton translating along +Z with constant bone lengths."""
    offsets = SMPL22.rest_offsets(np.full(22, 0.2))
    rot = np.broadcast_to(np.eye(3), (T, 22, 3, 3)).copy()
    root = np.stack([np.zeros(T), np.full(T, 1.0), np.linspace(0, 2, T)], -1)
    pos, _ = forward_kinematics(SMPL22, rot, offsets, root)
    return pos


def test_fk_keeps_bone_lengths():
    pos = _walk_fk()
    lengths = SMPL22.bone_lengths(pos)
    np.testing.assert_allclose(lengths, 0.2, atol=1e-12)


def test_canonicalize_puts_motion_on_floor_at_origin_facing_z(rng):
    pos = _walk_fk()
    moved = rotate_yaw(pos, 2.0) + np.array([3.0, 0.5, -1.0])
    c = canonicalize(moved)
    assert abs(c[..., 1].min()) < 1e-6
    np.testing.assert_allclose(c[0, 0, [0, 2]], 0, atol=1e-6)
    assert abs(facing_angles(c[:1])[0]) < 1e-5
    assert c[-1, 0, 2] > 1.9  # walks along +Z again
    assert c[0, SMPL22.index("L_hip"), 0] > 0  # left side at +X
    np.testing.assert_allclose(canonicalize(c), c, atol=1e-5)


def test_mirror_twice_is_identity_and_swaps_sides():
    pos = _walk_fk()
    m = mirror(pos)
    np.testing.assert_allclose(mirror(m), pos)
    np.testing.assert_allclose(m[:, SMPL22.index("R_hip"), 0], -pos[:, SMPL22.index("L_hip"), 0])


def test_resample_keeps_duration():
    pos = _walk_fk(31)  # 1.5 s at 20 fps
    up = resample(pos, 20, 30)
    assert up.shape[0] == 46
    np.testing.assert_allclose(up[-1], pos[-1], atol=1e-6)
    np.testing.assert_allclose(resample(up, 30, 20), pos, atol=1e-6)


def test_validate_motion_rejects_bad_input():
    with pytest.raises(ValueError, match="expected shape"):
        validate_motion(np.zeros((10, 21, 3)))
    bad = np.zeros((10, 66))
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match="1 frame"):
        validate_motion(bad)
    assert validate_motion(np.zeros((5, 66))).shape == (5, 22, 3)


def test_humanml3d_sample_is_canonical(realdata):
    x = np.load(realdata / "humanml3d_sample" / "new_joints" / "012314.npy")
    assert np.abs(canonicalize(x) - x).max() < 1e-3
