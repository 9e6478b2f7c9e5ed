"""NTU RGB+D folders: name parsing, xsub/xview/xset splits, empty/listed-missing files, prepare."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coamd.cli import main
from coamd.data import NTU60_CLASSES, NTU120_CLASSES, load_ntu
from coamd.data.ntu import parse_name, scan_ntu, split_parts
from coamd.skeleton import NTU25


def kinect_pose(rng: np.random.Generator, T: int) -> np.ndarray:
    """(T, 25, 3) Kinect camera-space joints: a person 3 m in front of the sensor, swaying a little."""
    offsets = NTU25.rest_offsets(np.full(25, 0.18))
    pose = np.zeros((25, 3))
    for j in NTU25.topological_order:
        p = NTU25.parents[j]
        pose[j] = pose[p] + offsets[j] if p >= 0 else (0.0, 0.0, 0.0)
    pose[:, 2] *= -1.0  # facing the sensor: the body's forward is the camera's -Z
    pose += (0.1, -0.1, 3.0)
    sway = 0.05 * np.sin(np.arange(T) / 5.0)[:, None, None] * np.array([1.0, 0.0, 0.0])
    return pose[None] + sway + 0.005 * rng.standard_normal((T, 25, 3))


def skeleton_text(frames: list[list[np.ndarray]]) -> str:
    """The documented .skeleton text: frame count; per frame the body count; per body 10 header
    values, the joint count 25 and 25 lines of 12 values (x y z depthX depthY colorX colorY
    orientationW orientationX orientationY orientationZ trackingState)."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for b, joints in enumerate(bodies):
            lines.append(f"7207470477{b} 0 1 1 1 1 0 0.01 -0.02 2")
            lines.append("25")
            for x, y, z in joints:
                lines.append(f"{x:.6f} {y:.6f} {z:.6f} 250.1 200.2 960.5 540.3 0.9 0.1 0.2 0.3 2")
    return "\n".join(lines) + "\n"


def write_ntu(root: Path, rng: np.random.Generator) -> Path:
    """Good, empty, body-less, truncated and badly named files, one NTU-120-only sample."""
    root.mkdir(parents=True)

    def good(name: str, T: int = 45, people: int = 1) -> None:
        tracks = [kinect_pose(rng, T) + (0.8 * k, 0, 0) for k in range(people)]
        (root / f"{name}.skeleton").write_text(skeleton_text([[tr[t] for tr in tracks] for t in range(T)]))

    good("S001C001P001R001A001")  # xsub train (P1), xview test (C1)
    good("S001C002P003R002A050", people=2)  # xsub test (P3), xview train (C2), two people
    good("S018C003P045R001A061")  # NTU-120 only: xsub-120 train (P45), xset train (setup 18)
    good("S001C002P005R001A006")  # named in the missing list
    (root / "S001C003P002R001A003.skeleton").write_text("0\n")  # no frames
    (root / "S002C001P004R001A004.skeleton").write_text("3\n0\n0\n0\n")  # no body in any frame
    lines = skeleton_text([[kinect_pose(rng, 1)[0]] for _ in range(10)]).splitlines()
    (root / "S001C001P001R001A005.skeleton").write_text("\n".join(lines[:140]) + "\n")  # ends in frame 6
    (root / "notes.skeleton").write_text("1\n")
    (root.parent / "missing.txt").write_text("# official list\nS001C002P005R001A006\n")
    return root


@pytest.fixture
def ntu(tmp_path: Path, rng: np.random.Generator) -> Path:
    return write_ntu(tmp_path / "nturgbd", rng)


def test_class_lists():
    assert len(NTU60_CLASSES) == 60 and len(NTU120_CLASSES) == 120
    assert NTU60_CLASSES[0] == "drink water" and NTU60_CLASSES[59] == "walking apart from each other"
    assert NTU120_CLASSES[60] == "put on headphone" and NTU120_CLASSES[-1].startswith("finger-guessing game")
    assert len(set(NTU120_CLASSES)) == 120


def test_split_protocols():
    info = parse_name("S018C001P045R002A061")
    assert info == {"setup": 18, "camera": 1, "subject": 45, "replication": 2, "action": 61}
    assert split_parts(info, 120) == {"xsub": "train", "xset": "train"}
    assert split_parts(parse_name("S017C001P045R002A001"), 60) == {"xsub": "test", "xview": "test"}
    assert split_parts(parse_name("S017C003P038R002A001"), 60) == {"xsub": "train", "xview": "train"}
    assert split_parts(parse_name("S031C002P038R001A100"), 120) == {"xsub": "train", "xset": "test"}
    assert split_parts(parse_name("S032C002P106R001A100"), 120) == {"xsub": "test", "xset": "train"}
    assert parse_name("S1C1P1R1A1") is None


def test_scan_counts_names_and_missing_list(ntu: Path):
    records, report = scan_ntu(ntu, 60, {"S001C002P005R001A006"})
    assert sorted(r.clip_id for r in records) == ["S001C001P001R001A001", "S001C001P001R001A005",
                                                 "S001C002P003R002A050", "S001C003P002R001A003",
                                                 "S002C001P004R001A004"]
    assert report.counts() == {"bad name": 1, "listed missing": 1}
    records120, _ = scan_ntu(ntu, 120)
    assert len(records120) == 7  # + the A061 sample and the unlisted A006 one


def test_load_ntu60_skips_and_counts_bad_files(ntu: Path, tmp_path: Path):
    clips = load_ntu(ntu, 60, cache=tmp_path / "cache", missing_list=tmp_path / "missing.txt")
    assert clips.ids == ["S001C001P001R001A001", "S001C002P003R002A050"]
    assert clips.labels.tolist() == [0, 49] and clips.label_names[49] == "punching/slapping other person"
    assert clips.report.counts() == {"bad name": 1, "empty skeleton": 2, "listed missing": 1, "truncated": 1}
    assert clips.split("xsub", "train").tolist() == [0] and clips.split("xview", "train").tolist() == [1]
    for i in range(len(clips)):
        x = clips.motion(i)
        assert x.shape == (30, 22, 3)  # 45 frames at 30 fps -> 30 at 20 fps
        assert abs(float(x[..., 1].min())) < 1e-5 and 0.3 < float(x[0, :, 1].max()) < 2.5
    again = load_ntu(ntu, 60, cache=tmp_path / "cache", missing_list=tmp_path / "missing.txt")
    assert again.store.joints.__class__ is np.memmap and again.report.counts() == clips.report.counts()


def test_prepare_ntu120_and_exit_codes(ntu: Path, tmp_path: Path, capsys):
    before = sorted(p.name for p in ntu.iterdir())
    assert main(["data", "prepare", "ntu120", "--root", str(ntu), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "4 clips" in out and "split xsub" in out and "split xset" in out and "empty skeleton: 2" in out
    assert sorted(p.name for p in ntu.iterdir()) == before  # nothing written inside the source
    assert (tmp_path / "nturgbd.coamd_cache" / "Mean.npy").is_file()
    bad = tmp_path / "only_bad"
    bad.mkdir()
    (bad / "S001C001P001R001A001.skeleton").write_text("0\n")
    assert main(["data", "prepare", "ntu60", "--root", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "no usable ntu60 clips" in err and "empty skeleton 1" in err
    assert main(["data", "prepare", "ntu60", "--root", str(ntu), "--missing-list", str(tmp_path / "none.txt")]) == 2
    assert "--missing-list" in capsys.readouterr().err


def test_read_only_source_parent_is_never_written(tmp_path: Path, rng: np.random.Generator, capsys):
    share = tmp_path / "share"
    root = write_ntu(share / "nturgbd", rng)
    share.chmod(0o555)  # a read-only data share (refused even when running as root)
    try:
        with pytest.warns(UserWarning, match="not writable"):
            clips = load_ntu(root, 60)  # cache="auto" would go beside the root: converted in memory instead
        assert len(clips) == 3 and clips.store.joints.__class__ is np.ndarray
        assert main(["data", "prepare", "ntu60", "--root", str(root)]) == 2
        assert "read-only" in capsys.readouterr().err
        assert sorted(p.name for p in share.iterdir()) == ["missing.txt", "nturgbd"]
    finally:
        share.chmod(0o755)
