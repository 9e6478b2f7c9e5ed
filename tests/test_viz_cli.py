"""`coamd render`: inputs, samples.npz, titles, and one-line errors that leave no output behind."""

import re

import numpy as np
import pytest

from coamd.cli import main
from coamd.viz import read_html_motions
from test_viz import _gif_frames, walk


@pytest.fixture
def walk_npy(tmp_path):
    path = tmp_path / "stroll.npy"
    np.save(path, walk(8))
    return path


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_render_npy_to_gif(tmp_path, walk_npy, capsys):
    out = tmp_path / "out" / "stroll.gif"
    assert main(["render", str(walk_npy), "-o", str(out), "--size", "64", "48"]) == 0
    frames = _gif_frames(out)
    assert len(frames) == 8 and frames[0].shape == (48, 64, 3)
    assert str(out) in capsys.readouterr().out


def test_titles_default_to_file_stem_and_can_be_given(tmp_path, walk_npy):
    out = tmp_path / "v.html"
    assert main(["render", str(walk_npy), str(walk_npy), "-o", str(out)]) == 0
    assert read_html_motions(out)[1] == ["stroll", "stroll"]
    assert main(["render", str(walk_npy), str(walk_npy), "-o", str(out), "--titles", "ref", "gen"]) == 0
    assert read_html_motions(out)[1] == ["ref", "gen"]


def test_samples_npz_renders_chosen_entries_trimmed_to_length(tmp_path):
    motions = np.zeros((3, 10, 22, 3), np.float32)
    for i in range(3):
        motions[i] = walk(10, speed=0.5 * i)
    path = tmp_path / "samples.npz"
    np.savez(path, motions=motions, lengths=np.array([10, 4, 7]), texts=np.array(["a walk", "b", "c run"]))
    out = tmp_path / "s.html"
    assert main(["render", str(path), "--index", "2", "1", "-o", str(out)]) == 0
    got, titles = read_html_motions(out)
    assert titles == ["c run", "b"] and [m.shape[0] for m in got] == [7, 4]
    np.testing.assert_allclose(got[0], motions[2, :7], atol=6e-4)

    gif = tmp_path / "s.gif"
    assert main(["render", str(path), "-o", str(gif), "--size", "48", "48"]) == 0
    frames = _gif_frames(gif)
    assert len(frames) == 10 and frames[0].shape == (48, 144, 3)


@pytest.mark.parametrize("case, pattern", [
    ("missing", "missing.npy: no such file"),
    ("bad_shape", r"expected shape \(T, 22, 3\)"),
    ("not_npy", r"bad\.npy: "),
    ("titles", "2 titles for 1 motions"),
    ("format", "unknown format '.avi'"),
    ("size", "--size"),
    ("index", "out of range"),
    ("npz", r"s\.npz: "),
])
def test_errors_are_one_line_exit_nonzero_and_write_nothing(tmp_path, walk_npy, capsys, case, pattern):
    out = tmp_path / "out.gif"
    bad = tmp_path / "bad.npy"
    args = [str(walk_npy), "-o", str(out)]
    if case == "missing":
        args[0] = str(tmp_path / "missing.npy")
    elif case == "bad_shape":
        np.save(bad, np.zeros((10, 5), np.float32))
        args[0] = str(bad)
    elif case == "not_npy":
        bad.write_bytes(b"definitely not numpy")
        args[0] = str(bad)
    elif case == "titles":
        args += ["--titles", "one", "two"]
    elif case == "format":
        out = tmp_path / "out.avi"
        args[2] = str(out)
    elif case == "size":
        args += ["--size", "0", "64"]
    elif case in ("index", "npz"):
        npz = tmp_path / "s.npz"
        if case == "index":
            np.savez(npz, motions=walk(5)[None], lengths=np.array([5]), texts=np.array(["x"]))
            args += ["--index", "3"]
        else:
            np.savez(npz, something_else=np.zeros(3))
        args[0] = str(npz)
    before = set(tmp_path.iterdir())
    assert main(["render", *args]) == 2
    line = _error_line(capsys)
    assert line.startswith("coamd render: error:") and re.search(pattern, line), line
    assert set(tmp_path.iterdir()) == before  # nothing written, no temp files left


@pytest.mark.realdata
def test_render_real_bvh_and_amc(tmp_path, realdata):
    walk_bvh = realdata / "bandai_namco" / "dataset-1" / "data" / "dataset-1_walk_normal_001.bvh"
    kick_amc = min((realdata / "hdm05" / "train" / "6").glob("*.amc"))
    page = tmp_path / "real.html"
    assert main(["render", str(walk_bvh), str(kick_amc), "-o", str(page)]) == 0
    motions, titles = read_html_motions(page)
    assert titles == [walk_bvh.stem, kick_amc.stem]
    assert motions[0].shape[0] > 100 and np.ptp(motions[0][:, 0, 2]) > 2.0  # 6.5 s walking forward
    gif = tmp_path / "kick.gif"
    assert main(["render", str(kick_amc), "-o", str(gif), "--size", "64", "64", "--trail"]) == 0
    assert len(_gif_frames(gif)) == motions[1].shape[0]


def test_contacts_are_marked_under_planted_feet(tmp_path):
    from imageio.v3 import imread

    from coamd.synth import synthesize_clip

    stand = tmp_path / "stand.npy"
    np.save(stand, synthesize_clip(np.random.default_rng(0), ["stand"]).joints[:10])
    plain, marked = tmp_path / "plain.png", tmp_path / "marked.png"
    assert main(["render", str(stand), "-o", str(plain)]) == 0
    assert main(["render", str(stand), "-o", str(marked), "--contacts"]) == 0
    amber = np.array([0xF2, 0xA9, 0x00])

    def amber_pixels(path):
        img = imread(path)[..., :3].astype(int)
        return int((np.abs(img - amber).sum(-1) < 90).sum())

    assert amber_pixels(plain) == 0 and amber_pixels(marked) > 20      # the standing feet are marked
