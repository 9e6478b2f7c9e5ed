"""R-precision with exactly tied distances (issue 16, item 4).

A deterministic baseline (the nearest-neighbour row) answers two captions of one pool with the same
training motion: two motion embeddings in the pool are then identical, and the caption's own motion
ties with the other one. The official evaluation ranks with ``np.argsort`` (the earlier motion of the
pool first); coamd used to average the tied places, which counts both captions of such a pair as
top-1 hits (the issue's tie test: top-1 0.039 with argsort vs 0.080 averaged).
"""

import numpy as np
import pytest

from coamd.errors import CoamdError
from coamd.metrics import r_precision


def official_r_precision(text: np.ndarray, motion: np.ndarray, top_k: int = 3, pool: int = 32) -> np.ndarray:
    """A small reference of the official protocol (Guo et al.'s ``calculate_R_precision`` as CoAMD's
    evaluation uses it, paper-brief §6.2): per pool of 32, the text x motion Euclidean distance matrix,
    ``argsort`` of each row, a hit at k when the text's own motion is among the first k. ``kind="stable"``
    pins the order of exact ties to the pool order (numpy's default sort leaves it to the implementation)."""
    hits = np.zeros(top_k)
    groups = len(text) // pool
    for g in range(groups):
        t, m = text[g * pool:(g + 1) * pool], motion[g * pool:(g + 1) * pool]
        d1 = (t ** 2).sum(1)[:, None]
        d2 = (m ** 2).sum(1)[None, :]
        dist = np.sqrt(np.maximum(d1 + d2 - 2 * t @ m.T, 0))
        order = np.argsort(dist, axis=1, kind="stable")
        correct = order == np.arange(pool)[:, None]
        hits += np.array([correct[:, :k + 1].any(1).sum() for k in range(top_k)])
    return hits / (groups * pool)


def test_duplicate_motions_of_a_deterministic_baseline():
    """Pairs of captions answered with one shared motion: averaging counts both as top-1 hits."""
    rng = np.random.default_rng(0)
    text = rng.normal(size=(64, 8)) * 10
    text[1::2] = text[0::2] + 0.01 * rng.normal(size=(32, 8))         # two similar captions per pair
    motion = np.repeat(text[0::2], 2, axis=0)                          # the same motion for both
    np.testing.assert_allclose(r_precision(text, motion, ties="index"), [0.5, 1.0, 1.0])
    np.testing.assert_allclose(r_precision(text, motion, ties="average"), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(r_precision(text, motion), official_r_precision(text, motion))   # the default


def test_all_motions_identical():
    text = np.random.default_rng(1).normal(size=(4, 3))
    motion = np.zeros((4, 3))
    np.testing.assert_allclose(r_precision(text, motion, top_k=3, pool=4, ties="index"), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(r_precision(text, motion, top_k=3, pool=4, ties="average"), [0.0, 1.0, 1.0])


def test_index_rule_matches_the_argsort_reference_with_many_ties():
    rng = np.random.default_rng(2)
    protos = rng.normal(size=(6, 16))
    text = rng.normal(size=(32 * 20, 16))
    motion = protos[rng.integers(0, 6, size=len(text))]                # exact duplicates everywhere
    motion[::3] = text[::3] + 0.1 * rng.normal(size=motion[::3].shape)
    ours, ref = r_precision(text, motion, ties="index"), official_r_precision(text, motion)
    np.testing.assert_allclose(ours, ref)
    assert not np.allclose(ours, r_precision(text, motion, ties="average"))   # the rules do differ here


def test_without_ties_the_rules_agree():
    rng = np.random.default_rng(3)
    text, motion = rng.normal(size=(96, 8)), rng.normal(size=(96, 8))
    np.testing.assert_allclose(r_precision(text, motion, ties="index"), r_precision(text, motion, ties="average"))
    np.testing.assert_allclose(r_precision(text, motion), official_r_precision(text, motion))


def test_unknown_rule_is_an_error():
    with pytest.raises(CoamdError, match="ties"):
        r_precision(np.zeros((32, 2)), np.zeros((32, 2)), ties="min")
