"""``coamd export``: files and samples.npz -> BVH, the printed round trip, and one-line errors."""

import numpy as np
import pytest

from coamd.cli import main
from test_export_bvh import fk_with_pypi_bvh, in_smpl_order, mpjpe, walk  # tests/ is on sys.path (rootdir)


def test_one_motion_to_one_file(tmp_path, capsys):
    x = walk(T=50).astype(np.float32)
    np.save(tmp_path / "walk.npy", x)
    out = tmp_path / "walk.bvh"
    assert main(["export", str(tmp_path / "walk.npy"), "-o", str(out), "--order", "zyx"]) == 0
    printed = capsys.readouterr().out
    assert "walk.bvh: 50 frames at 20 fps, ZYX m; round-trip MPJPE" in printed
    assert float(printed.split("MPJPE")[1].split()[0]) < 1.0  # mm
    names, pos, _ = fk_with_pypi_bvh(out)
    assert "CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation" in out.read_text()
    assert mpjpe(in_smpl_order(names, pos), x) < 0.01


def test_samples_npz_to_a_folder_in_centimetres_at_30_fps(tmp_path, capsys):
    motions = np.zeros((3, 40, 22, 3), np.float32)
    for i, yaw in enumerate((0.0, np.pi, 2.0)):
        motions[i] = walk(T=40, yaw_start=yaw)
    np.savez(tmp_path / "samples.npz", motions=motions, lengths=np.array([40, 21, 30]),
             texts=np.array(["a person walks", "walks away", "a walk, \"quoted\""]))
    out = tmp_path / "bvh"
    assert main(["export", str(tmp_path / "samples.npz"), "-o", str(out), "--units", "cm", "--fps", "30"]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["index.csv", "samples_000.bvh", "samples_001.bvh", "samples_002.bvh"]
    text = (out / "samples_001.bvh").read_text()
    assert "Frames: 31\nFrame Time: 0.03333333\n" in text  # 20 frames at 20 fps = 1 s -> 31 at 30 fps
    names, pos, _ = fk_with_pypi_bvh(out / "samples_002.bvh")
    assert pos.shape == (44, 22, 3)
    start = in_smpl_order(names, pos)[0] / 100.0  # cm -> m; frame 0 is not resampled
    assert mpjpe(start, motions[2, 0]) < 0.01
    index = (out / "index.csv").read_text().splitlines()
    assert index[0].startswith("file,source,frames,fps,roundtrip_mpjpe_mm,text")
    assert '"a walk, ""quoted"""' in index[3]
    assert capsys.readouterr().out.count("round-trip MPJPE") == 3


@pytest.mark.parametrize("problem,message", [
    ("missing", "file not found"),
    ("shape", "expected shape (T, 22, 3)"),
    ("nan", "NaN"),
    ("garbage", "bad.npy"),
])
def test_bad_inputs_give_one_line_errors_and_no_output(tmp_path, capsys, problem, message):
    good = tmp_path / "good.npy"
    np.save(good, walk(T=10).astype(np.float32))
    bad = tmp_path / "bad.npy"
    if problem == "shape":
        np.save(bad, np.zeros((10, 21, 3), np.float32))
    elif problem == "nan":
        x = walk(T=10)
        x[4, 7] = np.nan
        np.save(bad, x)
    elif problem == "garbage":
        bad.write_bytes(b"\x93NUMPY not really")
    out = tmp_path / "out"
    rc = main(["export", str(good), str(bad), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("coamd export: error:") and message in err and "bad.npy" in err
    assert "\n" not in err
    assert not out.exists()  # inputs are checked before anything is written


def test_option_errors(tmp_path, capsys):
    np.save(tmp_path / "a.npy", walk(T=5).astype(np.float32))
    np.save(tmp_path / "b.npy", walk(T=5).astype(np.float32))
    assert main(["export", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "-o", str(tmp_path / "x.bvh")]) == 2
    assert "give a folder" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "a.npy"), "-o", str(tmp_path / "x.bvh"), "--order", "XXY"]) == 2
    assert "--order" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "a.npy"), "-o", str(tmp_path / "x.bvh"), "--fps", "0"]) == 2
    assert "--fps" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy", "b.npy"]
