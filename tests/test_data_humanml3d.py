"""HumanML3D/KIT-ML layout: index samples, sub-clips, length rules, labels, units, Mean/Std."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coamd.data import MotionTextIndex, Normalizer, compute_stats, get_spec
from coamd.data.humanml3d import list_splits, parse_caption_line, read_label_map
from coamd.errors import CoamdError
from coamd.skeleton import KIT21, SMPL22, Skeleton

LABELS = ["walk", "jump", "throw", "turn", "wave"]


def make_motion(T: int, rng: np.random.Generator, skeleton: Skeleton = SMPL22, scale: float = 1.0) -> np.ndarray:
    """A plausible (T, J, 3) motion: the rest pose (pelvis at 0.9 m) walking forward with some jitter."""
    offsets = skeleton.rest_offsets(np.full(skeleton.num_joints, 0.2))  # (J, 3)
    pose = np.zeros((skeleton.num_joints, 3))
    for j in skeleton.topological_order:
        p = skeleton.parents[j]
        pose[j] = pose[p] + offsets[j] if p >= 0 else (0.0, 0.9, 0.0)
    t = np.arange(T)[:, None, None] / 20.0
    walk = np.concatenate([0 * t, 0.02 * np.sin(6 * t), 1.2 * t], axis=-1)  # (T, 1, 3)
    x = pose[None] + walk + 0.01 * rng.standard_normal((T, skeleton.num_joints, 3))
    return (x * scale).astype(np.float32)


def write_hml(root: Path, rng: np.random.Generator) -> Path:
    """A small HumanML3D-layout folder with good clips, sub-clip spans, labels and bad files.

    train: 000001 (120 f), M000001 (120 f), 000002 (60 f, spans), 000003 (30 f: too short),
           000004 (NaN), 000005 (21 joints: wrong shape), 000007 (no caption), 000008 (250 f: too long)
    val:   000001        test: 000002, 000006 (no motion file)
    """
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    lengths = {"000001": 120, "M000001": 120, "000002": 60, "000003": 30, "000007": 80, "000008": 250}
    for name, T in lengths.items():
        np.save(root / "new_joints" / f"{name}.npy", make_motion(T, rng))
    bad = make_motion(50, rng)
    bad[7, 3, 1] = np.nan
    np.save(root / "new_joints" / "000004.npy", bad)
    np.save(root / "new_joints" / "000005.npy", make_motion(50, rng, KIT21))
    texts = {
        "000001": ["a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0",
                   "someone strolls ahead#someone/PRON stroll/VERB ahead/ADV#0.0#0.0"],
        "M000001": ["a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0"],
        "000002": ["a man walks then jumps#a/DET man/NOUN walk/VERB then/ADV jump/VERB#0.0#0.0",
                   "a man jumps#a/DET man/NOUN jump/VERB#0.5#2.5",
                   "the man hops up#the/DET man/NOUN hop/VERB up/ADP#0.5#2.5",
                   "a man waves#a/DET man/NOUN wave/VERB#0.0#1.0"],
        "000003": ["short#short/ADJ#0.0#0.0"],
        "000004": ["nan clip#nan/NOUN clip/NOUN#nan#nan"],
        "000005": ["kit clip#kit/NOUN#0.0#0.0"],
        "000008": ["a long walk#a/DET long/ADJ walk/NOUN#0.0#0.0"],
    }
    for name, lines in texts.items():
        (root / "texts" / f"{name}.txt").write_text("\n".join(lines) + "\n")
    (root / "train.txt").write_text("000001\nM000001\n000002\n000003\n000004\n000005\n000007\n000008\n")
    (root / "val.txt").write_text("000001\n")
    (root / "test.txt").write_text("000002\n000006\n")
    (root / "label_map.txt").write_text("\n".join(LABELS) + "\n")
    ann = {
        "000001": {"annotations": [{"label": [0]}, {"label": [0, 3]}], "labels": [0, 3]},
        "M000001": {"annotations": [{"label": [0]}], "labels": [0]},
        "000002": {"annotations": [{"label": [0, 1]}, {"label": [1]}, {"label": [1]}, {"label": [4]}],
                   "labels": [0, 1, 4]},
    }
    (root / "annotations_actions_400.json").write_text(json.dumps(ann))
    return root


@pytest.fixture
def hml(tmp_path: Path, rng: np.random.Generator) -> Path:
    return write_hml(tmp_path / "HumanML3D", rng)


def test_caption_line_parsing():
    assert parse_caption_line("a man jumps#a/DET man/NOUN jump/VERB#0.5#2.5\n") == (
        "a man jumps", ("a/DET", "man/NOUN", "jump/VERB"), 0.5, 2.5)
    assert parse_caption_line("no tokens at all") == ("no tokens at all", (), 0.0, 0.0)
    assert parse_caption_line("x#x/X#nan#nan")[2:] == (0.0, 0.0)
    assert parse_caption_line("   \n") is None


def test_splits_and_label_map(hml: Path):
    assert list_splits(hml) == ["train", "val", "test"]  # label_map.txt is not a split
    assert read_label_map(hml) == LABELS
    (hml / "label_map.txt").write_text("".join(f"{i} {n}\n" for i, n in enumerate(LABELS)))
    assert read_label_map(hml) == LABELS


def test_index_samples_subclips_and_lengths(hml: Path):
    index = MotionTextIndex(hml, "train", cache=None)
    names = [s.name for s in index.samples]
    # whole clips in the 40..199 range, plus the merged 0.5-2.5 s span of 000002 (frames 10..50)
    assert names == ["000001", "M000001", "000002", "000002@10-50"]
    sub = index[index.index_of("000002@10-50")]
    assert [c.text for c in sub.captions] == ["a man jumps", "the man hops up"]
    assert sub.length == 40 and sub.labels == (1,)
    full = np.load(hml / "new_joints" / "000002.npy")
    np.testing.assert_array_equal(index.motion(index.index_of("000002@10-50")), full[10:50])
    # the 1 s span (20 frames) and the 30/250-frame motions fail the 40 <= T < 200 rule
    counts = index.report.counts()
    assert counts["too short"] == 2 and counts["too long"] == 1
    assert counts["wrong shape"] == 1 and counts["missing caption"] == 1 and counts["non-finite values"] == 1
    assert "000003" in index.motion_ids and "000005" not in index.motion_ids
    whole = index[index.index_of("000001")]
    assert whole.labels == (0, 3) and [c.labels for c in whole.captions] == [(0,), (0, 3)]
    assert whole.captions[0].tokens == ("a/DET", "person/NOUN", "walk/VERB", "forward/ADV")


def test_index_without_length_filter_keeps_everything_readable(hml: Path):
    index = MotionTextIndex(hml, "train", cache=None, filter_lengths=False)
    names = {s.name for s in index.samples}
    assert {"000003", "000008", "000002@0-20"} <= names
    assert "000004" not in names and "000004" not in index.motion_ids  # NaN frames: reported, left out
    assert index.report.items["non-finite values"][0][0] == "new_joints/000004.npy"


def test_missing_motion_and_bad_split(hml: Path):
    test = MotionTextIndex(hml, "test", cache=None)
    assert test.report.counts() == {"missing motion": 1, "too short": 1}  # + the 20-frame span
    assert [s.name for s in test.samples] == ["000002", "000002@10-50"]
    with pytest.raises(CoamdError, match="no such split"):
        MotionTextIndex(hml, "holdout", cache=None)
    with pytest.raises(CoamdError, match="new_joints"):
        MotionTextIndex(hml / "texts", "train", cache=None)


def test_kit_millimetres_become_metres(tmp_path: Path, rng: np.random.Generator):
    root = tmp_path / "KIT-ML"
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    clip = make_motion(30, rng, KIT21, scale=1000.0)  # official KIT new_joints are millimetres
    np.save(root / "new_joints" / "00001.npy", clip)
    (root / "texts" / "00001.txt").write_text("a person walks#a/DET person/NOUN walk/VERB#0.0#0.0\n")
    (root / "train.txt").write_text("00001\n")
    index = MotionTextIndex(root, "train", dataset="kitml", cache=None)
    spec = get_spec("kitml")
    assert spec.num_joints == 21 and spec.feature_dim == 63 and spec.fps == 12.5
    assert [s.name for s in index.samples] == ["00001"]  # 30 frames passes KIT's 24-frame minimum
    np.testing.assert_allclose(index.motion(0), clip / 1000.0, rtol=1e-6)
    assert 0.5 < index.motion(0)[0, :, 1].max() < 2.5  # a person-sized body in metres


def test_normalizer_round_trip_numpy_and_torch(rng: np.random.Generator):
    import torch

    motions = [make_motion(T, rng) for T in (40, 75, 13)]
    norm = compute_stats(motions)
    frames = np.concatenate(motions).reshape(-1, 66).astype(np.float64)
    np.testing.assert_allclose(norm.mean, frames.mean(0), atol=1e-5)
    np.testing.assert_allclose(norm.std, np.maximum(frames.std(0), 0.01), rtol=1e-4)
    x = motions[1]
    y = norm.normalize(x)
    assert y.shape == x.shape
    np.testing.assert_allclose(norm.denormalize(y), x, atol=1e-5)
    flat = norm.normalize(torch.from_numpy(x.reshape(75, 66)))
    assert flat.dtype == torch.float32
    np.testing.assert_allclose(flat.numpy(), y.reshape(75, 66), atol=1e-5)
    np.testing.assert_allclose(norm.denormalize(flat).numpy().reshape(75, 22, 3), x, atol=1e-5)


def test_std_floor_keeps_constant_coordinates_finite(tmp_path: Path):
    x = np.zeros((50, 22, 3), dtype=np.float32)
    x[:, :, 1] = np.linspace(0, 1, 50)[:, None]
    norm = compute_stats([x])
    assert norm.std.min() == pytest.approx(0.01)
    assert np.abs(norm.normalize(x + 1e-6)).max() < 2.0  # no explosion on a constant coordinate
    norm.save(tmp_path)
    again = Normalizer.load(tmp_path)
    np.testing.assert_array_equal(again.mean, norm.mean)
    with pytest.raises(CoamdError, match="Mean.npy"):
        Normalizer.load(tmp_path / "nowhere")
