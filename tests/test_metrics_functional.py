"""Closed-form checks of the embedding metrics: FID, R-precision, MM-Dist, Diversity, MM, CLIP-score."""

import numpy as np
import pytest
import torch

from coamd.errors import CoamdError
from coamd.metrics import (
    clip_score,
    diversity,
    fid,
    fid_from_stats,
    gaussian_stats,
    matching_distance,
    multimodality,
    r_precision,
    similarity_matrix,
)

# ------------------------------------------------------------------ FID


def test_fid_of_a_set_with_itself_is_zero(rng):
    x = rng.normal(size=(400, 12))
    assert abs(fid(x, x)) < 1e-8


def test_fid_of_shifted_gaussians_is_the_squared_shift(rng):
    cov = np.cov(rng.normal(size=(200, 6)), rowvar=False)
    m = np.array([1.0, -2.0, 0.5, 0.0, 3.0, 1.5])
    assert fid_from_stats(np.zeros(6), cov, m, cov) == pytest.approx(m @ m, rel=1e-9)
    # from samples: a translated copy has the same covariance, so FID = |m|^2 exactly
    x = rng.normal(size=(300, 6))
    assert fid(x, x + m) == pytest.approx(m @ m, rel=1e-6)


def test_fid_of_isotropic_gaussians_matches_the_trace_term():
    d, a, b = 8, 0.5, 2.0
    # Tr(a²I + b²I - 2 ab I) = d (a - b)²
    assert fid_from_stats(np.zeros(d), a**2 * np.eye(d), np.zeros(d), b**2 * np.eye(d)) == pytest.approx(d * (a - b) ** 2)
    # diagonal covariances: sum_i (sqrt(s1_i) - sqrt(s2_i))²
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    want = ((np.sqrt(s1) - np.sqrt(s2)) ** 2).sum()
    assert fid_from_stats(np.zeros(3), np.diag(s1), np.zeros(3), np.diag(s2)) == pytest.approx(want)


def test_fid_from_samples_approaches_the_population_value(rng):
    x = rng.normal(size=(20000, 4)) * 1.0
    y = rng.normal(size=(20000, 4)) * 2.0 + 1.0
    assert fid(x, y) == pytest.approx(4 * 1.0 + 4 * (2.0 - 1.0) ** 2, abs=0.15)


def test_fid_survives_singular_covariances(rng):
    # fewer samples than dimensions: both covariances are rank-deficient
    x = rng.normal(size=(10, 64))
    value = fid(x, x + 1.0)
    assert np.isfinite(value) and value == pytest.approx(64.0, rel=1e-3)


def test_fid_accepts_torch_and_rejects_bad_shapes():
    x = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    assert isinstance(fid(x, x), float)
    with pytest.raises(CoamdError, match="widths differ"):
        fid(np.zeros((5, 3)) + np.arange(5)[:, None], np.ones((5, 4)) + np.arange(5)[:, None])
    with pytest.raises(CoamdError, match="at least 2 rows"):
        gaussian_stats(np.zeros((1, 3)))
    with pytest.raises(CoamdError, match="NaN"):
        fid(np.full((4, 2), np.nan), np.zeros((4, 2)))


# ------------------------------------------------------------------ R-precision, MM-Dist, CLIP-score


def test_r_precision_identical_embeddings_is_one():
    x = torch.randn(64, 8, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(r_precision(x, x), np.ones(3))


def test_r_precision_of_random_embeddings_is_chance(rng):
    n = 32 * 400
    top = r_precision(rng.normal(size=(n, 16)), rng.normal(size=(n, 16)), top_k=3)
    # each top-k is Binomial(n, k/32)/n: 5 sigma is under 0.013
    np.testing.assert_allclose(top, np.arange(1, 4) / 32, atol=0.013)
    assert np.all(np.diff(top) > 0)


def test_r_precision_drops_the_partial_pool_and_says_so(rng):
    x = rng.normal(size=(70, 4))
    bad = x.copy()
    bad[64:] = rng.normal(size=(6, 4))  # the 6 leftover pairs would count as misses if kept
    with pytest.warns(RuntimeWarning, match="dropped the last 6 of 70"):
        np.testing.assert_allclose(r_precision(x, bad), np.ones(3))


def test_r_precision_within_a_pool_only(rng):
    # pool 0 is perfect; in pool 1 each text sits nearest to the next pair's motion
    x = rng.normal(size=(8, 3)) * 10
    motions = x.copy()
    motions[4:] = np.roll(x[4:], 1, axis=0)
    top1 = r_precision(x, motions, top_k=1, pool=4)
    assert top1[0] == pytest.approx(0.5)


def test_r_precision_rejects_too_few_pairs():
    with pytest.raises(CoamdError, match="at least pool=32"):
        r_precision(np.zeros((10, 3)), np.zeros((10, 3)))


def test_matching_distance_closed_form(rng):
    t = rng.normal(size=(20, 5))
    assert matching_distance(t, t) == 0.0
    offsets = np.zeros((20, 5))
    offsets[:10, 0], offsets[10:, 1] = 3.0, 1.0  # distances 3 and 1
    assert matching_distance(t, t + offsets) == pytest.approx(2.0)


def test_clip_score_and_similarity_matrix(rng):
    u = rng.normal(size=(6, 4))
    assert clip_score(u, 5.0 * u) == pytest.approx(1.0)  # cosine ignores scale
    assert clip_score(u, -u) == pytest.approx(-1.0)
    e = np.eye(3)
    assert clip_score(e, np.roll(e, 1, axis=0)) == pytest.approx(0.0)
    sim = similarity_matrix(u, u)
    np.testing.assert_allclose(np.diag(sim), 1.0)
    assert sim.shape == (6, 6) and np.all(sim <= 1.0 + 1e-12)


# ------------------------------------------------------------------ Diversity and MultiModality


def test_diversity_of_a_constant_set_is_zero():
    assert diversity(np.ones((400, 8))) == 0.0


def test_diversity_of_simplex_points_has_the_known_mean(rng):
    # distinct one-hot points are all sqrt(2) apart; a random pair hits the same point with
    # probability 1/N, so E[diversity] = sqrt(2) (N - 1) / N
    n = 320
    pts = np.eye(n)
    values = [diversity(pts, generator=np.random.default_rng(s)) for s in range(200)]
    one = values[0] / np.sqrt(2) * 300
    assert one == pytest.approx(round(one))  # 300 pairs, each 0 or sqrt(2)
    assert np.mean(values) == pytest.approx(np.sqrt(2) * (n - 1) / n, abs=2e-3)


def test_diversity_pair_count_follows_the_reference():
    n = 250  # N <= 300: the reference uses 100 pairs, so every value is a multiple of sqrt(2)/100
    value = diversity(np.eye(n), pairs=300, generator=np.random.default_rng(3))
    assert (value / np.sqrt(2) * 100) == pytest.approx(round(value / np.sqrt(2) * 100))
    # the draw is reproducible from the generator
    assert diversity(np.eye(n), generator=np.random.default_rng(3)) == value
    with pytest.raises(CoamdError, match="at least 2"):
        diversity(np.zeros((1, 3)))


def test_multimodality_closed_form():
    g, r = 5, 30
    assert multimodality(np.ones((g, r, 4))) == 0.0
    # each group is a scaled simplex: distinct generations are sqrt(2)*c apart
    groups = np.stack([np.eye(r) * c for c in (1.0, 2.0, 3.0, 4.0, 5.0)])  # (G, R, R)
    values = [multimodality(groups, pairs=10, generator=np.random.default_rng(s)) for s in range(400)]
    assert np.mean(values) == pytest.approx(3.0 * np.sqrt(2) * (r - 1) / r, abs=0.05)
    with pytest.raises(CoamdError, match="emb_groups"):
        multimodality(np.zeros((4, 8)))
