"""Retrieval (R@k, MedR, both protocols, duplicate captions) and top-k accuracy on known rankings."""

import time

import numpy as np
import pytest
import torch

from coamd.errors import CoamdError
from coamd.metrics import (
    median_rank,
    ranks_from_scores,
    retrieval_metrics,
    retrieval_ranks,
    retrieval_recall,
    same_caption_mask,
    similar_text_mask,
    topk_accuracy,
)


def _sim_with_known_ranks(ranks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A square similarity matrix where query i's own item (the diagonal) has 0-based rank ranks[i]."""
    n = len(ranks)
    sim = np.empty((n, n))
    for i, r in enumerate(ranks):
        others = [j for j in range(n) if j != i]
        order = rng.permutation(others)
        scores = np.linspace(1.0, 0.0, n)  # distinct, descending
        placed = list(order[:r]) + [i] + list(order[r:])
        sim[i, placed] = scores
    return sim


def test_recall_and_median_rank_on_planted_ranks(rng):
    ranks = np.array([0, 0, 1, 2, 4, 9, 0, 3, 7, 5, 0, 1])
    sim = _sim_with_known_ranks(ranks, rng)
    np.testing.assert_array_equal(retrieval_ranks(sim), ranks)
    rec = retrieval_recall(sim, ks=(1, 2, 3, 5, 10))
    for k in (1, 2, 3, 5, 10):
        assert rec[f"R@{k}"] == pytest.approx((ranks < k).mean())
    assert median_rank(sim) == pytest.approx(np.median(ranks) + 1)


def test_identity_permutation_gives_perfect_retrieval(rng):
    perm = rng.permutation(50)
    sim = np.eye(50)[perm]  # query i's best item is perm[i]
    assert retrieval_recall(sim, ks=(1,), target=perm)["R@1"] == 1.0
    assert median_rank(sim, target=perm) == 1.0
    # against the diagonal instead, only the fixed points of the permutation are hits
    assert retrieval_recall(sim, ks=(1,))["R@1"] == pytest.approx(np.mean(perm == np.arange(50)))


def test_ties_are_averaged_like_tmr():
    scores = np.array([[0.5, 0.5, 0.5, 0.1]])  # ground truth ties with two others
    gt = np.array([0.5])
    assert ranks_from_scores(scores, gt, "average")[0] == 1.0
    assert ranks_from_scores(scores, gt, "optimistic")[0] == 0.0
    assert ranks_from_scores(scores, gt, "pessimistic")[0] == 2.0
    with pytest.raises(CoamdError, match="ties"):
        ranks_from_scores(scores, gt, "random")


def test_duplicate_captions_count_as_correct():
    # text 0 and 1 are the same caption; text 0's best motion is motion 1
    sim = np.array([[0.8, 0.9, 0.1], [0.2, 0.7, 0.3], [0.1, 0.0, 0.6]])
    assert retrieval_recall(sim, ks=(1,))["R@1"] == pytest.approx(2 / 3)
    same = same_caption_mask(["A person walks.", "a person  walks", "someone jumps"])
    assert same[0, 1] and not same[0, 2]
    assert retrieval_recall(sim, ks=(1,), correct=same)["R@1"] == 1.0


def test_similar_text_mask_uses_tmr_threshold():
    emb = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]])  # cos(0, 1) ~= 0.99 > 2*0.95-1 = 0.9
    mask = similar_text_mask(emb, threshold=0.95)
    assert mask[0, 1] and mask[1, 0] and not mask[0, 2] and mask.diagonal().all()


def test_retrieval_scales_to_100k_queries_without_python_loops(rng):
    sim = rng.normal(size=(100_000, 100)).astype(np.float32)
    target = rng.integers(0, 100, 100_000)
    start = time.perf_counter()
    rec = retrieval_recall(sim, ks=(1, 10), target=target)
    assert time.perf_counter() - start < 5.0
    assert rec["R@1"] == pytest.approx(0.01, abs=0.002)  # chance
    assert rec["R@10"] == pytest.approx(0.10, abs=0.006)


def test_retrieval_metrics_full_protocol_both_directions():
    t = torch.randn(200, 16, generator=torch.Generator().manual_seed(0))
    out = retrieval_metrics(t, t, protocol="full")
    assert out["t2m/R@1"] == 1.0 and out["m2t/R@1"] == 1.0 and out["t2m/MedR"] == 1.0
    assert out["num_queries"] == 200
    # one-hot texts; the last 10 motions are cyclically shifted, so each of those 10 pairs scores
    # cosine 0, below one item at 1 and tied with 98 zeros: averaged 0-based rank 1 + 98/2 = 50
    n = 100
    texts = np.eye(n)
    shift = np.r_[np.arange(90), np.roll(np.arange(90, n), 1)]
    out = retrieval_metrics(texts, np.eye(n)[shift], protocol="full", ks=(1, 10, 50, 51))
    for d in ("t2m", "m2t"):
        assert out[f"{d}/R@1"] == out[f"{d}/R@10"] == out[f"{d}/R@50"] == pytest.approx(0.9)
        assert out[f"{d}/R@51"] == 1.0
        assert out[f"{d}/MedR"] == 1.0


def test_retrieval_batch32_is_chance_for_random_embeddings(rng):
    n = 32 * 300 + 7  # the 7 leftover pairs are dropped
    out = retrieval_metrics(rng.normal(size=(n, 32)), rng.normal(size=(n, 32)), protocol="batch32", ks=(1, 3))
    assert out["num_batches"] == 300 and out["num_queries"] == 9600
    assert out["t2m/R@1"] == pytest.approx(1 / 32, abs=0.01)
    assert out["m2t/R@3"] == pytest.approx(3 / 32, abs=0.015)
    assert out["t2m/MedR"] == pytest.approx(16.5, abs=0.6)  # uniform over 1..32


def test_batch32_is_much_easier_than_the_full_gallery(rng):
    n = 2048
    t = rng.normal(size=(n, 32))
    m = t + 2.0 * rng.normal(size=(n, 32))  # noisy matches
    full = retrieval_metrics(t, m, protocol="full")
    small = retrieval_metrics(t, m, protocol="batch32", rng=np.random.default_rng(1))
    assert small["t2m/R@1"] > full["t2m/R@1"] + 0.2
    assert small["t2m/MedR"] < full["t2m/MedR"]
    # the default split is reproducible
    assert retrieval_metrics(t, m) == retrieval_metrics(t, m)


def test_batch32_same_text_mask_is_applied_inside_batches(rng):
    n = 64
    t = rng.normal(size=(n, 8))
    t[1::2] = t[0::2]  # captions come in identical pairs
    m = rng.normal(size=(n, 8))
    m[0::2] = t[0::2]  # only the even motions match their (shared) text
    same = same_caption_mask([f"caption {i // 2}" for i in range(n)])
    # one batch holding everything: every text's correct set contains its exact motion
    out = retrieval_metrics(t, m, protocol="batch32", batch_size=n, same_text=same, ks=(1,))
    assert out["t2m/R@1"] == 1.0
    plain = retrieval_metrics(t, m, protocol="batch32", batch_size=n, ks=(1,))
    assert plain["t2m/R@1"] < 0.6


def test_retrieval_input_errors():
    with pytest.raises(CoamdError, match="square"):
        retrieval_recall(np.zeros((3, 4)))
    with pytest.raises(CoamdError, match="protocol"):
        retrieval_metrics(np.eye(4), np.eye(4), protocol="batch16")
    with pytest.raises(CoamdError, match="at least batch_size=32"):
        retrieval_metrics(np.eye(4), np.eye(4))
    with pytest.raises(CoamdError, match="shapes"):
        retrieval_metrics(np.eye(4), np.eye(5))


# ------------------------------------------------------------------ recognition


def test_topk_accuracy_single_label():
    logits = np.array([
        [5.0, 1.0, 0.0, 0.0, 0.0, 0.0],   # true 0: rank 0
        [0.0, 1.0, 5.0, 4.0, 3.0, 2.0],   # true 1: rank 4 (top-5 hit only)
        [0.0, 1.0, 5.0, 4.0, 3.0, 2.0],   # true 0: rank 5 (miss)
        [1.0, 9.0, 0.0, 0.0, 0.0, 0.0],   # true 1: rank 0
    ])
    acc = topk_accuracy(logits, np.array([0, 1, 0, 1]), ks=(1, 5))
    assert acc == {"top1": 0.5, "top5": 0.75}
    assert topk_accuracy(torch.tensor(logits), torch.tensor([0, 1, 0, 1]), ks=(1,))["top1"] == 0.5


def test_topk_accuracy_multi_label_is_any_label_hit():
    logits = np.array([[0.1, 0.9, 0.3, 0.2], [0.9, 0.1, 0.3, 0.2]])
    labels = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=bool)  # row 0: best class is a label
    acc = topk_accuracy(logits, labels, ks=(1, 2))
    assert acc == {"top1": 0.5, "top2": 1.0}  # row 1's label 2 is second
    with pytest.raises(CoamdError, match="no label"):
        topk_accuracy(logits, np.zeros((2, 4)))
    with pytest.raises(CoamdError, match="targets"):
        topk_accuracy(logits, np.array([0, 7]))


def test_topk_hits_are_the_per_sample_accuracy_and_give_recognition_intervals():
    from coamd.bench.recognition import _accuracy_row
    from coamd.metrics import topk_accuracy, topk_hits

    g = np.random.default_rng(0)
    logits, targets = g.normal(size=(200, 11)), g.integers(0, 11, 200)
    hits = topk_hits(logits, targets, ks=(1, 5))
    acc = topk_accuracy(logits, targets, ks=(1, 5))
    assert hits["top1"].shape == (200,) and hits["top1"].dtype == bool
    assert acc == {k: float(v.mean()) for k, v in hits.items()}
    row = _accuracy_row(logits, targets, clips=200, labels=11)
    assert row["top1"]["n"] == 200 and 0 < row["top1"]["ci95"] < 0.1             # a bootstrap interval over clips
    assert row["top1"]["mean"] == acc["top1"] and row["clips"]["mean"] == 200
