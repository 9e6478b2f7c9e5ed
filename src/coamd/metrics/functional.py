"""Embedding-space generation metrics: FID, R-precision, MM-Dist, Diversity, MultiModality, CLIP-score.

Definitions follow Guo et al. (CVPR 2022, "Generating Diverse and Natural 3D Human Motions from
Text") as used by CoAMD's ``evaluation_mardm`` (paper-brief §6.2): evaluator embeddings (N, D)
in, python floats / numpy arrays out. Exact formulas, units and reference choices are written
down in docs/metrics.md.

Randomness (Diversity, MultiModality) comes from an explicit ``np.random.Generator``; ``None``
means ``np.random.default_rng(0)``, so a call without one is reproducible.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import linalg

from .inputs import MetricInputError, as_finite, paired
from .ranking import ranks_from_scores

# ---------------------------------------------------------------------------------------------
# Fréchet distance (FID)
# ---------------------------------------------------------------------------------------------


def gaussian_stats(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of (N, D) embeddings (``np.cov``, ddof=1, as Guo)."""
    a = as_finite(x, "embeddings", 2)
    if a.shape[0] < 2:
        raise MetricInputError(f"embeddings: a covariance needs at least 2 rows, got {a.shape[0]}")
    return a.mean(axis=0), np.atleast_2d(np.cov(a, rowvar=False))


def _sqrtm_trace(s1: np.ndarray, s2: np.ndarray) -> float | None:
    """Tr((s1 s2)^½) via scipy's sqrtm, or None when the root is not usable (NaN/inf, inexact, complex)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # older scipy prints "Matrix is singular" itself
        prod = s1 @ s2
        root = linalg.sqrtm(prod)
    if isinstance(root, tuple):  # scipy < 1.16 may return (root, errest)
        root = root[0]
    if not np.isfinite(root).all():
        return None
    if np.iscomplexobj(root):
        # s1 s2 is similar to a PSD matrix, so its root is real up to rounding; a large imaginary
        # diagonal means the root is wrong, not that the distance is complex.
        if not np.allclose(np.diagonal(root).imag, 0.0, atol=1e-3):
            return None
        root = root.real
    scale = max(np.linalg.norm(prod), 1e-12)
    if np.linalg.norm(root @ root - prod) / scale > 1e-3:
        return None
    return float(np.trace(root))


def fid_from_stats(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any, eps: float = 1e-6) -> float:
    """Fréchet distance ‖μ₁−μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) between two Gaussians: a python float.

    When the matrix root of Σ₁Σ₂ is unusable (singular covariances, e.g. fewer samples than
    dimensions), ε·I is added to both covariances and the root is retried (Guo et al. / pytorch-fid).
    """
    m1, m2 = as_finite(mu1, "mu1", 1), as_finite(mu2, "mu2", 1)
    s1, s2 = as_finite(sigma1, "sigma1", 2), as_finite(sigma2, "sigma2", 2)
    d = m1.shape[0]
    for name, arr, shape in (("mu2", m2, (d,)), ("sigma1", s1, (d, d)), ("sigma2", s2, (d, d))):
        if arr.shape != shape:
            raise MetricInputError(f"{name}: expected shape {shape} to match mu1, got {tuple(arr.shape)}")
    tr_root = _sqrtm_trace(s1, s2)
    if tr_root is None:
        offset = np.eye(d) * eps
        tr_root = _sqrtm_trace(s1 + offset, s2 + offset)
    if tr_root is None:
        raise MetricInputError(f"sigma1, sigma2: the matrix square root of their product failed even with "
                               f"eps={eps} added; are they covariance matrices?")
    diff = m1 - m2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_root)


def fid(real: Any, fake: Any, eps: float = 1e-6) -> float:
    """FID between Gaussians fitted to (N, D) real and (M, D) generated embeddings: a python float."""
    mu1, s1 = gaussian_stats(real)
    mu2, s2 = gaussian_stats(fake)
    if mu1.shape != mu2.shape:
        raise MetricInputError(f"real, fake: embedding widths differ ({mu1.shape[0]} vs {mu2.shape[0]})")
    return fid_from_stats(mu1, s1, mu2, s2, eps)


# ---------------------------------------------------------------------------------------------
# Text-motion matching (R-precision, MM-Dist, CLIP-score)
# ---------------------------------------------------------------------------------------------


def euclidean_distances(a: Any, b: Any) -> np.ndarray:
    """Pairwise Euclidean distances between rows: (..., N, D) x (..., M, D) -> (..., N, M)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    sq = (x**2).sum(-1)[..., :, None] + (y**2).sum(-1)[..., None, :] - 2.0 * x @ np.swapaxes(y, -1, -2)
    return np.sqrt(np.maximum(sq, 0.0))  # clip tiny negatives from cancellation


R_PRECISION_TIES = ("index", "average")


def r_precision(text_emb: Any, motion_emb: Any, top_k: int = 3, pool: int = 32, ties: str = "index") -> np.ndarray:
    """Top-1..top_k hit rate of each text's own motion among pools of ``pool`` matched pairs: (top_k,).

    Consecutive pools of ``pool`` pairs (shuffle beforehand if the order carries meaning); motions
    ranked by Euclidean distance to the text (Guo et al.). When N is not a multiple of ``pool`` the
    last N % pool pairs are dropped (like the reference's ``drop_last``) and a RuntimeWarning says so.

    ``ties`` decides where a motion at exactly the same distance as the text's own one ranks
    (exact duplicates, e.g. two captions of one pool answered with the same training motion by a
    deterministic baseline): ``"index"`` (default) is the official evaluation's rule, the order of
    ``np.argsort`` over the pool, i.e. a tied motion earlier in the pool ranks first;
    ``"average"`` places the text's own motion in the middle of the items it ties with (as
    ``coamd.metrics.ranking``'s retrieval ranks, TMR's convention). Without exact ties both agree.
    """
    if ties not in R_PRECISION_TIES:
        raise MetricInputError(f"ties: expected one of {list(R_PRECISION_TIES)}, got {ties!r}")
    t, m = paired(text_emb, motion_emb, "text_emb", "motion_emb")
    n, d = t.shape
    if top_k < 1 or pool < 2 or top_k > pool:
        raise MetricInputError(f"top_k, pool: need 1 <= top_k <= pool and pool >= 2, got {top_k}, {pool}")
    if n < pool:
        raise MetricInputError(f"text_emb: R-precision needs at least pool={pool} pairs, got {n}")
    groups = n // pool
    if n % pool:
        warnings.warn(f"r_precision: dropped the last {n % pool} of {n} pairs (not a full pool of {pool})",
                      RuntimeWarning, stacklevel=2)
    used = groups * pool
    dist = euclidean_distances(t[:used].reshape(groups, pool, d), m[:used].reshape(groups, pool, d))  # (G, P, P)
    diag = np.arange(pool)
    if ties == "average":
        ranks = ranks_from_scores(-dist, -dist[:, diag, diag], ties="average")  # (G, P)
    else:
        own = dist[:, diag, diag][..., None]                                    # (G, P, 1)
        earlier = diag[None, :] < diag[:, None]                                 # (P, P): column j before row i
        ranks = ((dist < own) | ((dist == own) & earlier)).sum(-1).astype(np.float64)  # stable argsort position
    return np.array([(ranks < k).mean() for k in range(1, top_k + 1)])


def matching_distance(text_emb: Any, motion_emb: Any) -> float:
    """MM-Dist ("matching score"): mean Euclidean distance of matched pairs: a python float."""
    t, m = paired(text_emb, motion_emb, "text_emb", "motion_emb")
    return float(np.linalg.norm(t - m, axis=-1).mean())


def similarity_matrix(a: Any, b: Any) -> np.ndarray:
    """Cosine similarity of every row of (N, D) ``a`` with every row of (M, D) ``b``: (N, M) array."""
    x, y = as_finite(a, "a", 2), as_finite(b, "b", 2)
    if x.shape[1] != y.shape[1]:
        raise MetricInputError(f"a, b: embedding widths differ ({x.shape[1]} vs {y.shape[1]})")
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    y = y / np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), 1e-12)
    return x @ y.T


def clip_score(text_emb: Any, motion_emb: Any) -> float:
    """Mean cosine similarity of matched pairs (CoAMD's CLIP-score, unscaled, in [-1, 1])."""
    t, m = paired(text_emb, motion_emb, "text_emb", "motion_emb")
    t = t / np.maximum(np.linalg.norm(t, axis=-1, keepdims=True), 1e-12)
    m = m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-12)
    return float((t * m).sum(-1).mean())


# ---------------------------------------------------------------------------------------------
# Diversity and MultiModality
# ---------------------------------------------------------------------------------------------


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return np.random.default_rng(0) if generator is None else generator


def diversity(emb: Any, pairs: int = 300, generator: np.random.Generator | None = None) -> float:
    """Mean Euclidean distance between ``pairs`` random pairs of (N, D) embeddings: a python float.

    As the reference: two independent draws of ``pairs`` distinct indices are zipped into pairs
    (so a pair may hit the same item twice). If N <= pairs the reference uses 100 pairs; with
    N <= 100 every item is used once on each side (two permutations).
    """
    x = as_finite(emb, "emb", 2)
    n = x.shape[0]
    if n < 2:
        raise MetricInputError(f"emb: diversity needs at least 2 embeddings, got {n}")
    if pairs < 1:
        raise MetricInputError(f"pairs: expected a positive count, got {pairs}")
    count = pairs if n > pairs else min(100, n)
    gen = _rng(generator)
    first = gen.choice(n, count, replace=False)
    second = gen.choice(n, count, replace=False)
    return float(np.linalg.norm(x[first] - x[second], axis=-1).mean())


def multimodality(emb_groups: Any, pairs: int = 10, generator: np.random.Generator | None = None) -> float:
    """Mean distance between ``pairs`` random pairs within each group of (G, R, D) embeddings.

    Group g holds R generations for caption g. As in the reference, one pair of index draws
    (``pairs`` distinct indices each, zipped) is shared by all groups; with R < pairs all R are used.
    """
    x = as_finite(emb_groups, "emb_groups", 3)
    g, r, _ = x.shape
    if g < 1 or r < 2:
        raise MetricInputError(f"emb_groups: need at least 1 group of 2 generations, got shape {tuple(x.shape)}")
    if pairs < 1:
        raise MetricInputError(f"pairs: expected a positive count, got {pairs}")
    count = min(pairs, r)
    gen = _rng(generator)
    first = gen.choice(r, count, replace=False)
    second = gen.choice(r, count, replace=False)
    return float(np.linalg.norm(x[:, first] - x[:, second], axis=-1).mean())  # (G, count) -> mean
