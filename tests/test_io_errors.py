"""Bad motion files give one-line CoamdErrors that name the file and the problem."""

import numpy as np
import pytest

from coamd.errors import CoamdError, MotionFormatError
from coamd.io import load_motion
from fixtures_io import AMC, ASF, rest_frames, write_bvh, write_ntu


def _error(path, **kwargs) -> str:
    with pytest.raises(CoamdError) as e:
        load_motion(path, **kwargs)
    msg = str(e.value)
    assert "\n" not in msg, msg
    assert str(path) in msg, msg
    return msg.replace(str(path), "<file>")  # what is left describes the problem (tmp folder names don't count)


def test_bad_arrays(tmp_path):
    np.save(tmp_path / "shape.npy", np.zeros((10, 21, 3)))
    assert "(T, 22, 3)" in _error(tmp_path / "shape.npy")
    x = np.ones((10, 22, 3))
    x[4, 3, 1] = np.nan
    np.save(tmp_path / "nan.npy", x)
    assert "NaN" in _error(tmp_path / "nan.npy")
    np.save(tmp_path / "empty.npy", np.zeros((0, 22, 3)))
    assert "no frames" in _error(tmp_path / "empty.npy")
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    assert "dtype" in _error(tmp_path / "text.npy")
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    _error(tmp_path / "broken.npy")
    np.savez(tmp_path / "kit.npz", motion=np.zeros((1, 10, 63)), skeleton=np.array("kit21"))
    assert "kit21" in _error(tmp_path / "kit.npz")


def test_missing_and_unsupported_files(tmp_path):
    assert "not found" in _error(tmp_path / "nope.bvh")
    (tmp_path / "folder.bvh").mkdir()
    assert "folder" in _error(tmp_path / "folder.bvh")
    (tmp_path / "clip.fbx").write_text("x")
    assert "supported" in _error(tmp_path / "clip.fbx")
    (tmp_path / "s.asf").write_text(ASF)
    assert ".amc" in _error(tmp_path / "s.asf")
    with pytest.raises(CoamdError, match="unknown length unit"):
        load_motion(write_bvh(tmp_path / "h.bvh", rest_frames(2)), units="furlong")


def test_truncated_and_corrupt_bvh(tmp_path):
    text = write_bvh(tmp_path / "ok.bvh", rest_frames(5)).read_text()
    (tmp_path / "cut_frames.bvh").write_text(text[: text.rindex("\n", 0, len(text) - 40)])
    assert "truncated" in _error(tmp_path / "cut_frames.bvh")
    (tmp_path / "cut_header.bvh").write_text(text[: text.index("LeftArm")])
    assert "truncated" in _error(tmp_path / "cut_header.bvh")
    lines = text.splitlines()
    lines[-2] = lines[-2].rsplit(" ", 3)[0]  # one frame line loses three values
    (tmp_path / "short_line.bvh").write_text("\n".join(lines))
    assert "frame 4" in _error(tmp_path / "short_line.bvh")
    (tmp_path / "zero.bvh").write_text(text.replace("Frames: 5", "Frames: 0"))
    assert "no frames" in _error(tmp_path / "zero.bvh")
    (tmp_path / "nan.bvh").write_text(text.replace(lines[-1], " ".join(["nan"] * len(lines[-1].split()))))
    assert "NaN" in _error(tmp_path / "nan.bvh")
    (tmp_path / "not.bvh").write_text("hello\n")
    assert "HIERARCHY" in _error(tmp_path / "not.bvh")
    (tmp_path / "empty.bvh").write_text("")
    _error(tmp_path / "empty.bvh")


def test_truncated_amc_and_missing_asf(tmp_path):
    (tmp_path / "t.asf").write_text(ASF)
    (tmp_path / "t_01.amc").write_text(AMC.rsplit("\n", 3)[0] + "\n")  # last frame loses bone b
    msg = _error(tmp_path / "t_01.amc")
    assert "truncated" in msg and "frame 2" in msg
    (tmp_path / "t_02.amc").write_text(":FULLY-SPECIFIED\n:DEGREES\n")
    assert "no frames" in _error(tmp_path / "t_02.amc")
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "x_01.amc").write_text(AMC)
    assert "--asf" in _error(lone / "x_01.amc")
    (tmp_path / "cut.asf").write_text(ASF[: ASF.index("name b")])
    with pytest.raises(MotionFormatError, match="truncated"):
        load_motion(tmp_path / "t_01.amc", asf=tmp_path / "cut.asf")


def test_truncated_and_empty_ntu(tmp_path):
    joints = np.zeros((25, 3)) + np.arange(25)[:, None] * 0.05
    path = write_ntu(tmp_path / "ok.skeleton", [{"1": joints}] * 4)
    text = path.read_text()
    (tmp_path / "cut.skeleton").write_text(text[: len(text) // 2])
    assert "truncated" in _error(tmp_path / "cut.skeleton")
    write_ntu(tmp_path / "nobody.skeleton", [{}, {}, {}])
    assert "no body" in _error(tmp_path / "nobody.skeleton")
    (tmp_path / "zero.skeleton").write_text("0\n")
    assert "no frames" in _error(tmp_path / "zero.skeleton")
    (tmp_path / "words.skeleton").write_text("three\n")
    _error(tmp_path / "words.skeleton")


def test_bvh_unknown_channel_is_named(tmp_path):
    text = write_bvh(tmp_path / "ok.bvh", rest_frames(2)).read_text()
    (tmp_path / "chan.bvh").write_text(text.replace("Yrotation", "Wrotation", 1))
    assert "Wrotation" in _error(tmp_path / "chan.bvh")
