"""torch Datasets for the trainers: crop rules, windows, MAR labels, collate, reproducibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from coamd.data import (
    ActionTextDataset,
    MotionTextIndex,
    MotionWindows,
    TextMotionDataset,
    collate_motion,
    compute_stats,
    crop_length,
)
from test_data_humanml3d import LABELS, make_motion, write_hml


@pytest.fixture
def index(tmp_path: Path, rng: np.random.Generator) -> MotionTextIndex:
    return MotionTextIndex(write_hml(tmp_path / "HumanML3D", rng), "train", cache=None)


@pytest.fixture
def norm(index: MotionTextIndex):
    return compute_stats(index.full_motion(i) for i in ("000001", "M000001", "000002"))


def test_crop_length_rules():
    rng = np.random.default_rng(0)
    draws = [crop_length(199, 4, 196, rng) for _ in range(3000)]
    assert set(draws) == {196, 192}  # multiple of 4, at most 196; "double" removes one more unit
    assert np.mean(np.array(draws) == 192) == pytest.approx(1 / 3, abs=0.03)
    assert crop_length(250, 4, 196, None) == 196
    assert crop_length(43, 4, 196, None) == 40


def test_text_motion_items_follow_the_crop_rules(index: MotionTextIndex, norm):
    data = TextMotionDataset(index, norm, seed=3)
    assert len(data) == len(index)
    k = index.index_of("000001")
    lengths = set()
    for epoch in range(12):
        data.set_epoch(epoch)
        item = data[k]
        m = item["length"]
        lengths.add(m)
        assert item["motion"].shape == (196, 66) and m % 4 == 0
        assert torch.all(item["motion"][m:] == 0)  # zero padding after the crop
        window = norm.denormalize(item["motion"][:m].numpy()).reshape(m, 22, 3)
        full = index.full_motion("000001")
        starts = [s for s in range(len(full) - m + 1) if np.allclose(full[s:s + m], window, atol=1e-4)]
        assert starts, "the item is not a window of its source motion"
        assert item["caption"] in {c.text for c in index[k].captions}
        assert item["tokens"][:2] in (["a/DET", "person/NOUN"], ["someone/PRON", "stroll/VERB"])
    assert lengths <= {120, 116} and len(lengths) == 2


def test_items_are_reproducible_per_seed_and_epoch(index: MotionTextIndex, norm):
    a, b = TextMotionDataset(index, norm, seed=1), TextMotionDataset(index, norm, seed=1)
    for i in range(len(a)):
        torch.testing.assert_close(a[i]["motion"], b[i]["motion"])
    results = set()
    for epoch in range(30):
        a.set_epoch(epoch)
        item = a[0]
        results.add((item["length"], round(float(item["motion"][0, 0]), 5)))
    assert len(results) > 1  # epochs draw new crops


def test_action_text_items_carry_labels_and_multi_hot(index: MotionTextIndex, norm):
    data = ActionTextDataset(index, norm, seed=0)
    assert data.num_labels == len(LABELS)
    assert [index[k].name for k, _ in data.items] == ["000001", "M000001", "000002", "000002@10-50"]
    seen = set()
    for epoch in range(10):
        data.set_epoch(epoch)
        item = data[2]  # 000002: labels {0, 1, 4}; whole-clip caption line 0 has labels [0, 1]
        assert item["label"] in (0, 1) and item["label_text"] == LABELS[item["label"]]
        assert item["multi_hot"].tolist() == [1, 1, 0, 0, 1]
        seen.add(item["label"])
    assert seen == {0, 1}
    sub = data[3]
    assert sub["label"] == 1 and sub["multi_hot"].tolist() == [0, 1, 0, 0, 0] and sub["length"] == 40


def test_motion_windows_cover_every_window(index: MotionTextIndex, norm):
    windows = MotionWindows(index, norm, window=64, stride=1)
    # T >= 64: 000001 (120), M000001 (120), 000007 (80), 000008 (250); the NaN clip is left out
    assert len(windows) == (120 - 63) * 2 + (80 - 63) + (250 - 63)
    k, start = windows.locate(57)
    assert (windows._keys[k], start) == ("M000001", 0)
    item = windows[57 + 5]["motion"]
    expect = norm.normalize(index.full_motion("M000001")[5:69].reshape(64, 66))
    np.testing.assert_allclose(item.numpy(), expect, atol=1e-6)
    strided = MotionWindows(index, norm, window=64, stride=8)
    assert len(strided) == 8 * 2 + 3 + 24
    last = strided[len(strided) - 1]["motion"]
    np.testing.assert_allclose(last.numpy(), norm.normalize(index.full_motion("000008")[184:248].reshape(64, 66)),
                               atol=1e-6)
    with pytest.raises(IndexError):
        strided[len(strided)]


def test_windows_over_plain_arrays(rng: np.random.Generator, norm):
    arrays = [make_motion(T, rng) for T in (10, 64, 70)]
    windows = MotionWindows(arrays, norm, window=64, stride=2)
    assert len(windows) == 1 + 4 and windows.num_motions == 2


def test_collate_pads_to_a_multiple_of_four(index: MotionTextIndex, norm):
    data = TextMotionDataset(index, norm, seed=0, pad_to=0)  # no per-item padding
    batch = collate_motion([data[0], data[3]])
    lengths = batch["length"]
    assert batch["motion"].shape == (2, int(lengths.max()), 66) and lengths.dtype == torch.long
    assert batch["motion"].shape[1] % 4 == 0
    assert torch.all(batch["motion"][1, lengths[1]:] == 0)
    assert isinstance(batch["caption"], list) and isinstance(batch["tokens"][0], list)
    odd = collate_motion([{"motion": torch.ones(5, 3), "length": 5}, {"motion": torch.ones(2, 3), "length": 2}])
    assert odd["motion"].shape == (2, 8, 3) and odd["motion"][1, 2:].abs().sum() == 0


def test_dataloader_with_workers_is_worker_count_independent(index: MotionTextIndex, norm):
    data = TextMotionDataset(index, norm, seed=5)
    one = list(torch.utils.data.DataLoader(data, batch_size=2, collate_fn=collate_motion, num_workers=0))
    two = list(torch.utils.data.DataLoader(data, batch_size=2, collate_fn=collate_motion, num_workers=2))
    for a, b in zip(one, two):
        torch.testing.assert_close(a["motion"], b["motion"])
        assert a["caption"] == b["caption"]
