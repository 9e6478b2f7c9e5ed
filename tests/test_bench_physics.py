"""Physics columns of the benchmark (issue 10): ``plausibility``'s contact sliding and bone-length
variation, the real captured reference row (from tiny BVH files written here), and the
generated ÷ real ratios."""

from pathlib import Path

import numpy as np
import pytest

from coamd.bench.protocols import PHYSICS, physics_values, plausibility
from coamd.bench.realref import (
    REAL_ROW,
    bootstrap_row,
    load_real_sets,
    physics_vs_real,
    ratio_text,
    real_reference,
    real_row_label,
)
from coamd.io.load import load_motion
from coamd.metrics import bone_length_variation, foot_contact_sliding, jitter
from coamd.skeleton import SMPL22
from fixtures_io import column_index, rest_frames, write_bvh

FEET = (7, 10, 8, 11)


def standing_pose() -> np.ndarray:
    """(22, 3) SMPL-22 rest pose (metres) with the lowest joint on the floor."""
    dirs = np.asarray(SMPL22.rest_directions, np.float64)
    pose = np.zeros((22, 3))
    for j in SMPL22.topological_order:
        p = SMPL22.parents[j]
        if p >= 0:
            pose[j] = pose[p] + 0.2 * dirs[j]
    pose[:, 1] -= pose[:, 1].min()
    return pose


def sliding(T: int, speed: float) -> np.ndarray:
    """The standing pose translated along +X at ``speed`` m/s (20 fps): rigid, constant velocity."""
    t = np.arange(T)[:, None, None] / 20.0
    return (standing_pose()[None] + t * np.array([speed, 0.0, 0.0])).astype(np.float32)


def test_plausibility_has_contact_sliding_and_bone_variation_with_closed_form_values():
    x = sliding(30, 1.5)
    low = standing_pose()[list(FEET), 1] < 0.05
    assert low.any()                                              # some foot joints touch the floor
    out = plausibility([x], SMPL22, 20.0)
    assert set(out) == set(PHYSICS) == {"foot_skating", "contact_sliding", "floor_penetration", "jitter",
                                        "bone_variation"}
    assert out["contact_sliding"] == pytest.approx(1.5, abs=1e-4)   # every contacting foot joint moves at 1.5 m/s
    assert out["foot_skating"] == pytest.approx(1.0)               # > 0.5 m/s in every contact step
    assert out["bone_variation"] == pytest.approx(0.0, abs=1e-3)   # rigid: mm
    assert out["jitter"] == pytest.approx(0.0, abs=1e-2)           # constant velocity
    assert out["floor_penetration"] == pytest.approx(0.0)
    # a bone that stretches: variation in mm, the mean over motions of different lengths (padding ignored)
    y = sliding(40, 0.0)
    wave = 0.01 * np.sin(np.arange(40) / 3.0)                      # the last bone's length: 0.2 m + wave
    y[:, 21] += (wave[:, None] * np.asarray(SMPL22.rest_directions[21])).astype(np.float32)
    both = physics_values([x, y], SMPL22, 20.0)
    bones = SMPL22.num_joints - 1
    assert both["bone_variation"][1] == pytest.approx(1000 * np.std(wave) / bones, rel=1e-3)   # mm, mean over bones
    assert both["bone_variation"][1] == pytest.approx(bone_length_variation(y, SMPL22.parents), rel=1e-6)
    assert both["contact_sliding"][1] == pytest.approx(foot_contact_sliding(y), abs=1e-9) == 0.0
    assert plausibility([x, y], SMPL22, 20.0)["bone_variation"] == pytest.approx(np.mean(both["bone_variation"]))


def write_real_fixture(folder: Path, speeds=(3.0, 1.5)) -> Path:
    """``folder/bandai_namco`` with one tiny BVH (Mixamo-named human, 30 fps) per root speed (cm/frame)."""
    bandai = folder / "bandai_namco" / "dataset-1"
    bandai.mkdir(parents=True)
    cols = column_index()
    for k, v in enumerate(speeds):
        frames = rest_frames(60)
        frames[:, cols[("Hips", "Zposition")]] += np.arange(60) * v
        write_bvh(bandai / f"dataset-1_walk_normal_{k + 1:03d}.bvh", frames)
    return folder


def test_real_reference_row_matches_the_metrics_on_the_converted_clips(tmp_path):
    root = write_real_fixture(tmp_path / "realdata")
    sets, missing = load_real_sets(root, tmp_path / "cache")
    assert list(sets) == ["bandai"] and len(sets["bandai"]) == 2
    assert len(missing) == 1 and "hdm05" in missing[0]                     # the absent set says why
    assert (tmp_path / "cache" / "bandai").is_dir()                       # converted clips are cached
    clips = [load_motion(p).joints for p in sorted(root.rglob("*.bvh"))]  # canonical 20 fps SMPL-22, metres
    for a, b in zip(sets["bandai"], clips):
        np.testing.assert_allclose(a, b, atol=1e-6)
    rows = real_reference(sets, SMPL22, 20.0, seed=0, samples=200)
    assert list(rows) == [REAL_ROW, "bandai"]
    real = rows[REAL_ROW]
    slide = [foot_contact_sliding(m) for m in clips]
    assert slide == pytest.approx([0.9, 0.45], abs=1e-4)                  # 3 and 1.5 cm per 30-fps frame
    assert real["contact_sliding"]["mean"] == pytest.approx(np.mean(slide))
    assert real["jitter"]["mean"] == pytest.approx(np.mean([jitter(m) for m in clips]))
    assert real["bone_variation"]["mean"] == pytest.approx(0.0, abs=1e-3)
    assert real["contact_sliding"]["ci95_low"] <= real["contact_sliding"]["mean"] <= real["contact_sliding"]["ci95_high"]
    assert real["clips"]["mean"] == 2 and real["contact_sliding"]["n"] == 2
    assert real_row_label(rows) == "Real captured (Bandai-Namco, 2 clips)"
    assert load_real_sets(tmp_path / "nothing", None) == ({}, [f"{tmp_path / 'nothing' / 'bandai_namco'}: not found",
                                                               f"{tmp_path / 'nothing' / 'hdm05'}: not found"])


def test_bootstrap_interval_and_the_ratios():
    row = bootstrap_row({"a": np.array([1.0, 2.0, 3.0, 4.0]), "b": np.zeros(4)}, samples=500)
    assert row["a"]["mean"] == 2.5 and 1.0 <= row["a"]["ci95_low"] < 2.5 < row["a"]["ci95_high"] <= 4.0
    assert row["a"]["ci95"] == pytest.approx((row["a"]["ci95_high"] - row["a"]["ci95_low"]) / 2)
    assert row["b"]["ci95"] == 0.0

    def stat(v):
        return {"mean": v, "ci95": 0.0, "n": 3}

    real = {"contact_sliding": stat(0.2), "jitter": stat(80.0), "bone_variation": stat(0.0),
            "floor_penetration": stat(0.0), "foot_skating": stat(0.1)}
    gen = {"contact_sliding": stat(1.18), "jitter": stat(184.0), "bone_variation": stat(26.4),
           "floor_penetration": stat(0.003), "foot_skating": stat(0.47), "fid": stat(1.0)}
    ratios = physics_vs_real({"generator": gen}, real)["generator"]
    assert ratios["contact_sliding"]["ratio"] == pytest.approx(5.9)
    assert ratio_text(ratios["contact_sliding"]) == "5.90× real" and ratio_text(ratios["jitter"]) == "2.30× real"
    assert ratios["bone_variation"]["ratio"] is None                      # real is 0: absolute values
    assert ratio_text(ratios["bone_variation"]) == "26.40 mm vs 0.000 mm"
    assert ratio_text(ratios["floor_penetration"]) == "3.000 mm vs 0.000 mm"   # shown in mm
    assert "fid" not in ratios
