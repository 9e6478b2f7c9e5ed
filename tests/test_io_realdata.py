"""Real captured motion (../shared/realdata) loads into plausible canonical SMPL-22 motion.

The default run loads one clip per Bandai-Namco content and per HDM05 class (about 40 files,
a few seconds); the full sweep over all ~670 clips is marked slow (about 20 s on 2 cores).
"""

import csv
import time

import numpy as np
import pytest

from coamd.io import load_motion
from coamd.skeleton import SMPL22, facing_angles

J = SMPL22.index
FEET = [J("L_ankle"), J("L_foot"), J("R_ankle"), J("R_foot")]
# Classes in which the person stands (or walks) most of the time, used for the pelvis-height check.
STANDING_HDM05 = {"rotateArmsBothBackward1Reps", "throwBasketball", "jogLeftCircle4StepsRstart", "kickLFront1Reps",
                  "sneak2StepsLStart"}
NOT_STANDING_BANDAI = {"run", "dash"}  # crouched running styles (chimpira, tired) dip below 0.8 m


def _clips(root, sample: bool) -> list[tuple[str, str, str]]:
    """(dataset folder, file, content/class label) from both manifests; one per label when sampling."""
    out, seen = [], set()
    for ds, key in (("bandai_namco", "content"), ("hdm05", "label")):
        manifest = root / ds / "manifest.csv"
        if not manifest.is_file():
            pytest.skip(f"{manifest} not found")
        for row in csv.DictReader(manifest.open()):
            if sample and (ds, row[key]) in seen:
                continue
            seen.add((ds, row[key]))
            out.append((ds, row["file"], row[key]))
    return out


def _standing_pelvis(x: np.ndarray) -> float:
    """Median pelvis height over the frames with a foot on the ground (an ankle below 15 cm)."""
    down = (x[:, J("L_ankle"), 1] < 0.15) | (x[:, J("R_ankle"), 1] < 0.15)
    return float(np.median(x[down, J("pelvis"), 1]))


def _check_clip(path, ds: str, label: str) -> None:
    m = load_motion(path)
    x = m.joints
    assert x.dtype == np.float32 and x.shape[1:] == (22, 3) and m.fps == 20.0
    assert m.meta["units"] == ("cm" if ds == "bandai_namco" else "inch") and m.meta["up_axis"] == "Y"
    bones = SMPL22.bone_lengths(x)  # (T, 21)
    assert bones.std(axis=0).max() < 1e-3, f"{path}: bone lengths vary"
    assert x[..., 1].min() == pytest.approx(0.0, abs=1e-6)
    if label != "lieDownFloor":  # lying down, the back or a hand is lowest
        lowest_foot = x[:, FEET, 1].min(axis=1)  # (T,)
        assert lowest_foot.min() < 0.02, f"{path}: the feet never reach the floor"
        assert np.percentile(lowest_foot, 10) < 0.03, f"{path}: the feet float above the floor"
    if (ds == "bandai_namco" and label not in NOT_STANDING_BANDAI) or label in STANDING_HDM05:
        assert 0.8 <= _standing_pelvis(x) <= 1.1, f"{path}: standing pelvis at {_standing_pelvis(x):.3f} m"
    if label == "walk":
        d = x[-1, J("pelvis")] - x[0, J("pelvis")]
        assert d[2] > 1.0 and abs(d[0]) < 0.5 * d[2], f"{path}: walk displacement {d}"
        # the first frame's hip/shoulder line sets the heading; styles with a twisted gait sway ~20 deg
        assert abs(np.degrees(np.median(facing_angles(x)))) < 25


def test_representative_real_clips_load_plausibly(realdata):
    start = time.perf_counter()
    clips = _clips(realdata, sample=True)
    for ds, name, label in clips:
        _check_clip(realdata / ds / name, ds, label)
    assert len(clips) >= 35
    assert time.perf_counter() - start < 60


@pytest.mark.slow
def test_every_real_clip_loads_plausibly(realdata):
    for ds, name, label in _clips(realdata, sample=False):
        _check_clip(realdata / ds / name, ds, label)


def test_humanml3d_sample_passes_through_unchanged(realdata):
    path = realdata / "humanml3d_sample" / "new_joints" / "012314.npy"
    m = load_motion(path)
    np.testing.assert_allclose(m.joints, np.load(path), atol=1e-3)
    assert m.meta["format"] == "npy" and m.meta["source_frames"] == m.num_frames


def test_bandai_walk_faces_and_moves_along_plus_z(realdata):
    m = load_motion(realdata / "bandai_namco" / "dataset-1" / "data" / "dataset-1_walk_normal_001.bvh")
    x = m.joints
    heading = np.degrees(facing_angles(x))  # (T,) 0 = facing +Z
    assert abs(heading[0]) < 1e-3 and np.abs(heading).max() < 15
    path = x[:, J("pelvis")]
    assert path[-1, 2] > 5.0 and abs(path[-1, 0]) < 1.0  # about 8 m straight ahead in 6.5 s
    assert np.all(np.diff(path[:, 2]) > -0.01)  # never steps backwards
    # the person's left side is +X: left joints sit at larger X than right ones in the first frame
    assert x[0, J("L_hip"), 0] > x[0, J("R_hip"), 0] and x[0, J("L_shoulder"), 0] > x[0, J("R_shoulder"), 0]
    assert m.meta["mapping"]["L_shoulder"] == "UpperArm_L" and m.meta["mapping"]["L_foot"] == "Toes_L"


def test_hdm05_left_kick_lifts_the_left_foot_forward(realdata):
    rows = [r for r in csv.DictReader((realdata / "hdm05" / "manifest.csv").open()) if r["label"] == "kickLFront1Reps"]
    for row in rows[:3]:
        x = load_motion(realdata / "hdm05" / row["file"]).joints
        left, right = x[:, J("L_ankle")], x[:, J("R_ankle")]
        assert left[:, 1].max() > 0.5 and right[:, 1].max() < 0.3
        top = int(np.argmax(left[:, 1]))
        assert left[top, 2] - x[top, J("pelvis"), 2] > 0.3  # the kick goes forward (+Z)
