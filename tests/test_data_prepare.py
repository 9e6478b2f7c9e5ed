"""``coamd data prepare`` on HumanML3D-layout folders: cache, stats, report, exit codes, read-only source."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from coamd.cli import main
from coamd.data import MotionTextIndex, Normalizer, load_normalizer
from coamd.data.store import ClipStore
from test_data_humanml3d import make_motion, write_hml


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root with its size and mtime: the source must come out untouched."""
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def hml(tmp_path: Path, rng: np.random.Generator) -> Path:
    return write_hml(tmp_path / "HumanML3D", rng)


def test_prepare_writes_cache_beside_the_source(hml: Path, capsys):
    before = snapshot(hml)
    assert main(["data", "prepare", "humanml3d", "--root", str(hml)]) == 0
    out = capsys.readouterr().out
    assert snapshot(hml) == before  # nothing written inside (or changed in) the source folder
    cache = hml.parent / "HumanML3D.coamd_cache"
    assert sorted(p.name for p in cache.iterdir()) == ["Mean.npy", "Std.npy", "cache.json", "motions.npy",
                                                     "motions.npz"]
    store = ClipStore.load(cache, "motions")
    # every readable motion of any split; the NaN and 21-joint files are left out
    assert sorted(store.ids) == ["000001", "000002", "000003", "000007", "000008", "M000001"]
    norm = Normalizer.load(cache)
    train = [np.load(hml / "new_joints" / f"{i}.npy") for i in ("000001", "M000001", "000002", "000003",
                                                                 "000007", "000008")]
    frames = np.concatenate(train).reshape(-1, 66)
    assert norm.mean.shape == (66,)
    np.testing.assert_allclose(norm.mean, frames.mean(0), atol=1e-5)
    np.testing.assert_allclose(norm.std, np.maximum(frames.std(0), 0.01), rtol=1e-4)
    # the summary names each problem category with its count
    for line in ("missing motion: 1", "non-finite values: 1", "wrong shape: 1", "missing caption: 1",
                 "too short: 2", "too long: 1"):
        assert line in out, line
    assert "train" in out and "4 text samples" in out and "label map: 5 labels" in out


def test_index_reads_the_prepared_cache(hml: Path):
    assert main(["data", "prepare", "humanml3d", "--root", str(hml)]) == 0
    cached = MotionTextIndex(hml, "train")
    folder = MotionTextIndex(hml, "train", cache=None)
    assert cached._cached and not folder._cached
    assert [s.name for s in cached.samples] == [s.name for s in folder.samples]
    for i in range(len(cached)):
        np.testing.assert_array_equal(cached.motion(i), folder.motion(i))
    # spawned DataLoader workers receive the memory map's file name, not a copy of the corpus
    clone = pickle.loads(pickle.dumps(cached.store))
    assert len(pickle.dumps(cached.store)) < cached.store.joints.nbytes / 4
    np.testing.assert_array_equal(clone.get("000002"), cached.full_motion("000002"))
    # a changed source invalidates the cache: the index falls back to reading the folder
    np.save(hml / "new_joints" / "000001.npy", make_motion(100, np.random.default_rng(1)))
    stale = MotionTextIndex(hml, "train")
    assert not stale._cached and stale.length_of("000001") == 100


def test_normalizer_from_cache_or_train_split(hml: Path):
    computed = load_normalizer(hml, cache=None)
    assert main(["data", "prepare", "humanml3d", "--root", str(hml)]) == 0
    cached = load_normalizer(hml)
    np.testing.assert_allclose(cached.mean, computed.mean, atol=1e-6)
    np.testing.assert_allclose(cached.std, computed.std, rtol=1e-5)


def test_prepare_with_out_and_workers(hml: Path, tmp_path: Path):
    out = tmp_path / "elsewhere" / "cache"
    assert main(["data", "prepare", "synth", "--root", str(hml), "--out", str(out), "--workers", "2"]) == 0
    assert (out / "Mean.npy").is_file() and not (hml.parent / "HumanML3D.coamd_cache").exists()
    assert main(["data", "prepare", "synth", "--root", str(hml), "--out", str(out)]) == 0  # re-run replaces it


def test_prepare_errors_are_one_line_and_exit_2(hml: Path, tmp_path: Path, capsys):
    cases = [
        (["humanml3d", "--root", str(tmp_path / "nope")], "no such folder"),
        (["humanml3d", "--root", str(hml / "texts")], "no new_joints"),
        (["humanml3d", "--root", str(hml), "--out", str(hml / "cache")], "inside the source"),
        (["humanml3d", "--root", str(hml), "--out", str(tmp_path)], "contains the source"),
        (["humanml3d", "--root", str(hml), "--workers", "0"], "--workers"),
    ]
    for args, message in cases:
        assert main(["data", "prepare", *args]) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith("coamd data: error:") and message in err and "\n" not in err
    assert not (hml / "cache").exists()


def test_prepare_refuses_to_overwrite_a_foreign_folder(hml: Path, tmp_path: Path, capsys):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert main(["data", "prepare", "humanml3d", "--root", str(hml), "--out", str(other)]) == 2
    assert "not a coamd cache" in capsys.readouterr().err
    assert (other / "keep.txt").read_text() == "mine"


def test_nothing_usable_is_an_error(tmp_path: Path, capsys):
    root = tmp_path / "broken"
    (root / "new_joints").mkdir(parents=True)
    np.save(root / "new_joints" / "a.npy", np.zeros((10, 5)))
    (root / "new_joints" / "b.npy").write_bytes(b"not numpy")
    (root / "train.txt").write_text("a\nb\nc\n")
    assert main(["data", "prepare", "humanml3d", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "no usable motions" in err and "wrong shape 1" in err and "unreadable 1" in err
    assert "missing motion 1" in err
    assert not (tmp_path / "broken.coamd_cache").exists()  # no half-written cache left behind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".broken")]
    assert sorted(os.listdir(root)) == ["new_joints", "train.txt"]
