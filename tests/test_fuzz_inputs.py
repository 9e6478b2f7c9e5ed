"""Hostile inputs, deterministically: every verb x every class of bad file, and absurd arguments.

For each case: a non-zero exit, exactly one stderr line that names the file or the argument, no
traceback, no output (or a complete one), never a NaN written; batch conversion goes past bad
files and ends with a summary. The counts are printed (``-s``) for docs/reliability.md.
"""

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from coamd.cli import main
from fixtures_io import AMC, ASF, rest_frames, write_bvh

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


@pytest.fixture(scope="module")
def ckpt(tiny_bundle):
    return tiny_bundle


def _good_motion(T=40):
    x = np.zeros((T, 22, 3), np.float32)
    x[..., 1] = np.linspace(0.0, 1.7, 22)[None]
    x[..., 0] = np.linspace(-0.2, 0.2, 22)[None]
    x[..., 2] += 0.5 * np.arange(T)[:, None] / 20.0
    return x


def bad_files(folder: Path) -> dict[str, Path]:
    """One file per class of damage; the name says which."""
    folder.mkdir(parents=True, exist_ok=True)
    f: dict[str, Path] = {}

    def npy(name, array):
        f[name] = folder / f"{name}.npy"
        np.save(f[name], array)

    npy("overflow_f64", np.full((20, 22, 3), 1e300))                   # finite as float64, inf as float32
    npy("huge_1e30", np.full((20, 22, 3), 1e30, np.float32))
    nan = _good_motion()
    nan[5, 3, 1] = np.nan
    npy("nan", nan)
    npy("wrong_shape", np.zeros((20, 21, 3), np.float32))
    npy("one_frame", _good_motion(1))
    npy("strings", np.array(["a", "b"]))
    f["empty"] = folder / "empty.npy"
    f["empty"].write_bytes(b"")
    good = folder / "good.npy"
    np.save(good, _good_motion())
    f["truncated_npy"] = folder / "truncated_npy.npy"
    f["truncated_npy"].write_bytes(good.read_bytes()[:100])
    np.savez(folder / "npz_fps.npz", motions=_good_motion()[None], fps=np.array(1e-300))
    f["npz_fps"] = folder / "npz_fps.npz"
    np.savez(folder / "npz_lengths.npz", motions=_good_motion()[None], lengths=np.array([-5]))
    f["npz_lengths"] = folder / "npz_lengths.npz"

    ok_bvh = folder / "ok_template.bvh"
    write_bvh(ok_bvh, rest_frames(12))
    text = ok_bvh.read_text()
    ok_bvh.unlink()

    def bvh(name, content):
        f[name] = folder / f"{name}.bvh"
        f[name].write_text(content)

    bvh("bvh_truncated", text[: len(text) // 2])
    bvh("bvh_frames_absurd", re.sub(r"Frames:\s*\d+", "Frames: 1000000000000", text))
    bvh("bvh_frame_time_1e9", re.sub(r"Frame Time:.*", "Frame Time: 1e9", text))
    bvh("bvh_frame_time_1e-9", re.sub(r"Frame Time:.*", "Frame Time: 1e-9", text))
    bvh("bvh_frame_time_0", re.sub(r"Frame Time:.*", "Frame Time: 0", text))
    head, motion = text.split("MOTION", 1)
    lines = motion.strip().splitlines()
    lines[3] = " ".join(["1e308"] * len(lines[3].split()))
    bvh("bvh_channel_1e308", head + "MOTION\n" + "\n".join(lines) + "\n")
    bvh("bvh_no_motion", head)
    bvh("bvh_garbage", "HIERARCHY\nROOT {{{ ]]]\n")
    f["bvh_binary"] = folder / "bvh_binary.bvh"
    f["bvh_binary"].write_bytes(bytes(range(256)) * 8)

    (folder / "tiny.asf").write_text(ASF)
    f["amc_truncated"] = folder / "tiny_01.amc"
    f["amc_truncated"].write_text(AMC[: len(AMC) * 2 // 3])
    f["amc_no_asf"] = folder / "lonely.amc"
    f["amc_no_asf"].write_text(":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 0 0 0 0 0\n")
    f["skeleton_empty"] = folder / "S001C001P001R001A001.skeleton"
    f["skeleton_empty"].write_text("")
    f["skeleton_truncated"] = folder / "S001C001P001R001A002.skeleton"
    f["skeleton_truncated"].write_text("10\n1\n72057594037931101 0 1 1 1 1 0 0.02 0.1 2\n25\n0.1 0.2\n")
    f["missing"] = folder / "missing.npy"
    f["folder_as_file"] = folder / "a_folder.npy"
    f["folder_as_file"].mkdir()
    f["unknown_ext"] = folder / "motion.txt"
    f["unknown_ext"].write_text("1 2 3\n")
    if hasattr(os, "mkfifo"):
        f["fifo"] = folder / "pipe.bvh"
        os.mkfifo(f["fifo"])
    f["symlink_loop"] = folder / "loop.npy"
    os.symlink(f["symlink_loop"].name, f["symlink_loop"])
    f["dev_zero"] = Path("/dev/zero")
    return f


def _run(capsys, argv: list[str]) -> tuple[int, list[str]]:
    rc = main(argv)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip() and not _is_progress(ln)]
    return rc, err


def _is_progress(line: str) -> bool:
    return bool(re.search(r"\d+/\d+ \[", line)) or line.lstrip().startswith(("convert:", "generate:", "edit"))


def _assert_one_line(rc: int, err: list[str], verb: str, needle: str) -> None:
    assert rc != 0, (verb, needle, err)
    assert len(err) == 1, (verb, needle, err)
    assert "Traceback" not in err[0] and err[0].startswith(f"coamd {verb}: error:"), err
    assert needle in err[0], (needle, err[0])


def _no_nan_written(out: Path) -> None:
    for p in ([out] if out.is_file() else out.rglob("*") if out.exists() else []):
        if p.suffix == ".npy":
            assert np.isfinite(np.load(p)).all(), p


VERBS = {
    "convert": lambda src, out, ckpt: ["convert", str(src), "-o", str(out / "out.npy")],
    "export": lambda src, out, ckpt: ["export", str(src), "-o", str(out / "out.bvh")],
    "render": lambda src, out, ckpt: ["render", str(src), "-o", str(out / "out.gif"), "--size", "32", "32"],
    "recognize": lambda src, out, ckpt: ["recognize", str(src), "--checkpoint", ckpt],
    "edit": lambda src, out, ckpt: ["edit", str(src), "--text", "a person jumps", "--task", "inpaint",
                                    "--checkpoint", ckpt, "-o", str(out / "edited"), "--format", "npy"],
}
STATS = {"inputs": 0, "errors": 0, "tracebacks": 0}


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_bad_file_is_one_line_and_writes_nothing(verb, ckpt, tmp_path, capsys):
    files = bad_files(tmp_path / "in")
    for name, src in files.items():
        out = tmp_path / "out" / name
        out.mkdir(parents=True)
        rc, err = _run(capsys, VERBS[verb](src, out, ckpt))
        STATS["inputs"] += 1
        STATS["errors"] += rc != 0
        STATS["tracebacks"] += any("Traceback" in ln for ln in err)
        needle = str(src) if name != "folder_as_file" else src.name
        _assert_one_line(rc, err, verb, needle)
        assert not any(out.iterdir()), (verb, name, list(out.iterdir()))      # nothing, not even a temp file
    print(f"\n{verb}: {len(files)} bad inputs, all refused in one line")


ABSURD = [
    (["generate", "walk", "--seed", str(2**70)], "--seed"),
    (["generate", "walk", "--num-samples", "100000000"], "--num-samples"),
    (["generate", "walk", "--decode-steps", "0"], "--decode-steps"),
    (["generate", "walk", "--cfg-scale", "nan"], "--cfg-scale"),
    (["generate", "walk", "--ode-steps", "-3"], "--ode-steps"),
    (["generate", "walk", "--length", "1e9"], "--length"),
    (["generate", "walk", "--length", "nan"], "--length"),
    (["generate", "walk", "--device", "cuda:7"], "--device"),
    (["generate", "walk", "--device", "tpu"], "--device"),
    (["generate", "", "--length", "2"], "text"),
    (["export", "{good}", "--fps", "1e7"], "--fps"),
    (["render", "{good}", "--fps", "1e-300"], "--fps"),
    (["render", "{good}", "--size", "0", "10"], "--size"),
    (["convert", "{good}", "--source-fps", "nan"], "--source-fps"),
    (["convert", "{good}", "--source-fps", "inf"], "--source-fps"),
    (["recognize", "{good}", "--top-k", "-1"], "--top-k"),
    (["retrieve", "walk", "--top-k", "99999999999"], "--top-k"),
    (["data", "synth", "--clips", "-5"], "--clips"),
    (["eval", "generation", "--repeats", "0"], "--repeats"),
]


@pytest.mark.parametrize("argv, needle", ABSURD, ids=[" ".join(a[:3]) for a, _ in ABSURD])
def test_absurd_arguments_are_one_line_before_any_work(argv, needle, ckpt, tmp_path, capsys):
    good = tmp_path / "good.npy"
    np.save(good, _good_motion())
    argv = [a.replace("{good}", str(good)) for a in argv]
    out = tmp_path / "out"
    if argv[0] in ("generate", "edit", "convert", "export", "render", "data"):
        argv += ["-o" if argv[0] != "data" else "--out", str(out / ("x.bvh" if argv[0] == "export" else
                                                                  "x.gif" if argv[0] == "render" else
                                                                  "x.npy" if argv[0] == "convert" else "x"))]
    if argv[0] in ("generate", "recognize", "retrieve"):
        argv += ["--checkpoint", ckpt]
    rc, err = _run(capsys, argv)
    verb = argv[0]
    _assert_one_line(rc, err, verb, needle)
    assert not out.exists() or not any(out.rglob("*"))


def test_batch_conversion_goes_past_every_bad_file_with_a_summary(tmp_path, capsys):
    files = bad_files(tmp_path / "in")
    for i in range(3):
        np.save(tmp_path / "in" / f"fine_{i}.npy", _good_motion())
    out = tmp_path / "converted"
    rc = main(["convert", str(tmp_path / "in"), "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 1 and "Traceback" not in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["fine_0.npy", "fine_1.npy", "fine_2.npy", "good.npy"]
    _no_nan_written(out)
    summary = next(ln for ln in captured.err.splitlines() if "file(s) failed (" in ln)
    n_failed = int(summary.split("coamd convert: ")[1].split(" file(s)")[0])
    listed = [ln for ln in captured.err.splitlines() if ln.startswith("  ")]
    assert n_failed == len(listed) >= 15                                    # every bad regular file is named
    for line in listed:
        assert str(tmp_path / "in") in line
    # a re-run skips what is already there, identical, and fails the same files again
    rc = main(["convert", str(tmp_path / "in"), "-o", str(out)])
    again = capsys.readouterr()
    assert rc == 1 and "4 already there and identical" in again.out
    assert len(files) > n_failed                                            # the FIFO, loop, /dev/zero: not in a folder scan


def test_print_figures():
    """Prints what the module tried (run with -s); docs/reliability.md quotes it."""
    print(f"\nfuzz: {STATS['inputs']} bad-file runs, {STATS['errors']} refused, {STATS['tracebacks']} tracebacks; "
          f"{len(ABSURD)} absurd-argument runs")
    assert STATS["tracebacks"] == 0
    assert sys.version_info >= (3, 10)


def test_prepare_reports_damaged_dataset_files_and_caches_the_rest(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    assert main(["data", "synth", "--out", str(corpus), "--clips", "24", "--workers", "1"]) == 0
    ids = (corpus / "train.txt").read_text().split()[:4]
    joints = corpus / "new_joints"
    (joints / f"{ids[0]}.npy").write_bytes(b"")                                    # empty
    np.save(joints / f"{ids[1]}.npy", np.full((30, 22, 3), 1e300))                 # overflows float32
    head = (joints / f"{ids[2]}.npy").read_bytes()[:90]
    (joints / f"{ids[2]}.npy").write_bytes(head)                                    # truncated header
    (joints / f"{ids[3]}.npy").unlink()
    os.symlink(f"{ids[3]}.npy", joints / f"{ids[3]}.npy")                         # symlink loop
    capsys.readouterr()
    assert main(["data", "prepare", "synth", "--root", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "problems (4):" in out and "non-finite values: 1" in out and "unreadable: 3" in out
    for i in ids:
        assert f"new_joints/{i}.npy" in out
    cache = tmp_path / "corpus.coamd_cache"
    for name in ("Mean.npy", "Std.npy"):
        assert np.isfinite(np.load(cache / name)).all()
