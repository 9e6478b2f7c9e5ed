"""`coamd data synth`: HumanML3D layout, determinism, splits, mirroring, CLI errors and speed."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from coamd.cli import main
from coamd.skeleton import SMPL22, mirror
from coamd.synth import LABELS, generate_clips, synthesize_clip, write_corpus
from coamd.synth.corpus import action_pairs, clip_rng, heldout_pair

N = 80


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    write_corpus(out, generate_clips(N, seed=1, workers=1), seed=1)
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _ids(root: Path, split: str) -> list[str]:
    return (root / f"{split}.txt").read_text().split()


def test_layout_is_humanml3d(corpus):
    ids = _ids(corpus, "all")
    assert len(ids) == N and ids == sorted(ids) and ids[0] == "000000"
    ann = json.loads((corpus / "annotations_actions_400.json").read_text())
    assert sorted(ann) == ids
    assert (corpus / "label_map.txt").read_text().splitlines() == list(LABELS)
    for i in ids[:20]:
        x = np.load(corpus / "new_joints" / f"{i}.npy")
        assert x.dtype == np.float32 and x.ndim == 3 and x.shape[1:] == (22, 3) and 40 <= len(x) <= 196
        lines = (corpus / "texts" / f"{i}.txt").read_text().splitlines()
        assert len(lines) == 3 == len(ann[i]["annotations"])
        for line, a in zip(lines, ann[i]["annotations"]):
            caption, tokens, start, end = line.split("#")
            assert caption and tokens and (start, end) == ("0.0", "0.0")
            assert all("/" in t for t in tokens.split())
        assert ann[i]["duration"] == pytest.approx(len(x) / 20.0)
        assert ann[i]["labels"] == sorted({k for a in ann[i]["annotations"] for k in a["label"]})
    stats = json.loads((corpus / "corpus.json").read_text())
    assert stats["clips"] == N and stats["seed"] == 1 and stats["version"]
    assert sum(stats["clips_per_action"].values()) >= N
    assert (corpus / "SYNTH.md").is_file()


def test_splits_are_disjoint_and_the_compositional_split_is_unseen_in_training(corpus):
    train, val, test, comp = (set(_ids(corpus, s)) for s in ("train", "val", "test", "test_compositional"))
    assert not (train & val) and not (train & test) and not (val & test)
    assert train | val | test == set(_ids(corpus, "all"))
    assert comp <= test and comp and len(train) > 0.6 * N
    ann = json.loads((corpus / "annotations_actions_400.json").read_text())
    pairs = {i: action_pairs(a["name"] for a in ann[i]["synth"]["actions"]) for i in ann}
    train_pairs = set().union(*(pairs[i] for i in train | val))
    for i in comp:
        held = {p for p in pairs[i] if heldout_pair(*p)}
        assert held and not (held & train_pairs)
    assert not any(heldout_pair(*p) for p in train_pairs)


def test_same_seed_gives_byte_identical_files_whatever_the_workers(corpus, tmp_path):
    other = tmp_path / "again"
    write_corpus(other, generate_clips(N, seed=1, workers=2), seed=1)
    assert _files(other) == _files(corpus)
    different = synthesize_clip(clip_rng(2, 0)).joints
    assert not np.array_equal(different, np.load(corpus / "new_joints" / "000000.npy"))


def test_the_humanml3d_adapter_reads_the_corpus_unchanged(corpus):
    from coamd.data.humanml3d import MotionTextIndex

    index = MotionTextIndex(corpus, "train", dataset="synth", cache=None)
    assert len(index.motion_ids) == len(_ids(corpus, "train"))
    assert index.label_names == list(LABELS) and index.has_labels
    sample = index.samples[0]
    assert len(sample.captions) == 3 and sample.labels


def test_mirrored_copies(tmp_path):
    out = tmp_path / "m"
    stats = write_corpus(out, generate_clips(6, seed=4), seed=4, mirrored=True)
    assert stats["files"] == 12
    for i in ("000000", "000003"):
        a = np.load(out / "new_joints" / f"{i}.npy")
        b = np.load(out / "new_joints" / f"M{i}.npy")
        assert np.allclose(b, mirror(a, SMPL22))
        ta, tb = ((out / "texts" / f"{x}.txt").read_text() for x in (i, f"M{i}"))
        assert ta.count("left") == tb.count("right") and ta.count("right") == tb.count("left")
    for split in ("train", "val", "test"):
        ids = set(_ids(out, split))
        assert {f"M{i}" for i in ids if not i.startswith("M")} <= ids


def test_cli_writes_and_refuses_to_clobber(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["data", "synth", "--out", str(out), "--clips", "12", "--workers", "1", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "clips per action" in printed and "12 clips" in printed
    assert main(["data", "synth", "--out", str(out), "--clips", "12"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert main(["data", "synth", "--out", str(tmp_path / "d"), "--clips", "0"]) == 2
    assert "--clips" in capsys.readouterr().err
    assert main(["data", "synth", "--out", str(out), "--clips", "5", "--overwrite", "--quiet"]) == 0
    assert len(_ids(out, "all")) == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_synthesis_is_fast_enough():
    # >= 200 clips/s on 2 cores needs <= 10 ms of CPU per clip; allow for a loaded test machine
    n = 150
    t0 = time.process_time()
    for i in range(n):
        synthesize_clip(clip_rng(9, i))
    per_clip = (time.process_time() - t0) / n
    assert per_clip < 0.010, f"{per_clip * 1e3:.1f} ms of CPU per clip"


@pytest.mark.slow
def test_full_default_corpus_under_a_minute(tmp_path):
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "coamd", "data", "synth", "--out", str(tmp_path / "full"), "--quiet"],
                       capture_output=True, text=True, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    elapsed = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr
    assert len(_ids(tmp_path / "full", "all")) == 5000
    assert elapsed < 60.0, f"{elapsed:.0f} s"
