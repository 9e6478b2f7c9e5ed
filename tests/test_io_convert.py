"""`coamd convert`: files and folders in, canonical .npy out, per-file errors, nothing half-written."""

import numpy as np
import pytest

from coamd.cli import main
from coamd.io import load_motion
from fixtures_io import AMC, ASF, rest_frames, write_bvh


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_convert_one_file_to_a_named_npy(tmp_path, capsys):
    src = write_bvh(tmp_path / "walk.bvh", rest_frames(31))
    assert main(["convert", str(src), "-o", str(tmp_path / "out" / "walk.npy")]) == 0
    x = np.load(tmp_path / "out" / "walk.npy")
    assert x.shape == (21, 22, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x, load_motion(src).joints)
    out = capsys.readouterr().out
    assert "1 of 1 file(s)" in out and "21 frames" in out
    # a re-run finds the identical output there and skips it
    assert main(["convert", str(src), "-o", str(tmp_path / "out" / "walk.npy")]) == 0
    assert "1 already there and identical" in capsys.readouterr().out
    # other content there -> refused without --overwrite, replaced with it
    np.save(tmp_path / "out" / "walk.npy", x[:5])
    assert main(["convert", str(src), "-o", str(tmp_path / "out" / "walk.npy")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["convert", str(src), "-o", str(tmp_path / "out" / "walk.npy"), "--overwrite"]) == 0


def test_convert_folder_recurses_keeps_layout_and_reports_bad_files(tmp_path, capsys):
    data = tmp_path / "mocap"
    (data / "a").mkdir(parents=True)
    (data / "b").mkdir()
    write_bvh(data / "a" / "one.bvh", rest_frames(10))
    write_bvh(data / "b" / "one.bvh", rest_frames(12))  # same name in another folder: no clash
    (data / "b" / "t.asf").write_text(ASF)
    (data / "b" / "t_01.amc").write_text(AMC)  # tiny skeleton: not a human rig -> a mapping error
    np.save(data / "b" / "bad.npy", np.zeros((5, 21, 3)))
    (data / "notes.txt").write_text("ignored")
    out = tmp_path / "converted"
    rc = main(["convert", str(data), "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 1
    assert _tree(out) == ["a", "a/one.npy", "b", "b/one.npy"]  # nothing for the bad files, no temp files
    assert "2 of 4 file(s)" in captured.out
    err = captured.err.splitlines()
    k = next(i for i, line in enumerate(err) if line.startswith("coamd convert: 2 file(s) failed ("))  # after the bar
    assert "Error" in err[k]                                            # counted by kind of problem
    assert len(err) == k + 3
    assert any("bad.npy" in line and "(T, 22, 3)" in line for line in err[k + 1:])
    assert any("t_01.amc" in line and "L_hip" in line for line in err[k + 1:])
    assert np.load(out / "b" / "one.npy").shape == (8, 22, 3)


def test_convert_name_clashes_batches_and_input_protection(tmp_path, capsys):
    write_bvh(tmp_path / "clip.bvh", rest_frames(4))
    np.save(tmp_path / "clip.npy", load_motion(tmp_path / "clip.bvh").joints)
    np.savez(tmp_path / "samples.npz", motion=np.repeat(np.load(tmp_path / "clip.npy")[None], 2, 0))
    out = tmp_path / "out"
    assert main(["convert", str(tmp_path / "clip.bvh"), str(tmp_path / "clip.npy"), str(tmp_path / "samples.npz"),
                 "-o", str(out)]) == 0
    assert _tree(out) == ["clip_bvh.npy", "clip_npy.npy", "samples_000.npy", "samples_001.npy"]
    np.testing.assert_allclose(np.load(out / "clip_npy.npy"), np.load(out / "clip_bvh.npy"), atol=1e-6)
    # the same relative name under two input folders: the later one is numbered
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        write_bvh(tmp_path / d / "same.bvh", rest_frames(4))
    assert main(["convert", str(tmp_path / "x"), str(tmp_path / "y"), "-o", str(tmp_path / "both")]) == 0
    assert _tree(tmp_path / "both") == ["same.npy", "same_2.npy"]
    # writing over an input is refused and the input is untouched
    before = (tmp_path / "clip.npy").read_bytes()
    assert main(["convert", str(tmp_path / "clip.npy"), "-o", str(tmp_path / "clip.npy"), "--overwrite"]) == 2
    assert "input" in capsys.readouterr().err
    assert (tmp_path / "clip.npy").read_bytes() == before


@pytest.mark.parametrize("args, needle", [
    (["{tmp}/missing.bvh"], "no such file"),
    (["{tmp}/empty_dir"], "no motion files"),
    (["{tmp}/h.bvh", "--mapping", "{tmp}/nope.yaml"], "mapping file not found"),
    (["{tmp}/h.bvh", "--mapping", "{tmp}/bad.yaml"], "pinky"),
])
def test_convert_usage_errors_are_one_line(tmp_path, capsys, args, needle):
    (tmp_path / "empty_dir").mkdir()
    write_bvh(tmp_path / "h.bvh", rest_frames(3))
    (tmp_path / "bad.yaml").write_text("pinky: LeftHand\n")
    argv = ["convert"] + [a.format(tmp=tmp_path) for a in args] + ["-o", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("coamd convert: error:") and needle in err and "\n" not in err
    assert not (tmp_path / "o").exists()
