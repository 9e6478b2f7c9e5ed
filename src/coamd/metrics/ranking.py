"""Ranking metrics: text<->motion retrieval (R@k, MedR) and top-k recognition accuracy.

Retrieval follows TMR (Petrovich et al., ICCV 2023; CoAMD paper-brief §6.4): cosine similarity
between L2-normalised embeddings, R@k = fraction of queries whose ground truth ranks in the
top k, MedR = median 1-based rank, ties broken by averaging the tied positions. Two protocols:
"full" (the whole test set is the gallery) and "batch32" (TMR's "guo" protocol: shuffled
batches of 32 pairs, remainder dropped, metrics averaged over batches). CoAMD's reported
T2M R@3 = 88.05 / M2T R@1 = 68.86 only make sense under batch32 (paper-brief §6.4).

Recognition top-k accuracy (paper-brief §6.5) uses the same rank machinery: a sample is a hit
when its best-scoring true label ranks in the top k ("any-label hit" for HumanML3D-400).

A rank is computed by comparing every gallery score with the ground-truth score (no argsort),
in row chunks, so 100k queries x 100 items or a 20k x 20k gallery stay fast and bounded in
memory. All ranks here are 0-based; only MedR is reported 1-based.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .inputs import MetricInputError, as_array, as_finite, paired

TIES = ("average", "optimistic", "pessimistic")
DEFAULT_KS = (1, 2, 3, 5, 10)
_CHUNK_ELEMENTS = 1 << 22  # scores compared per chunk: ~32 MB of float64


def _check_ties(ties: str) -> None:
    if ties not in TIES:
        raise MetricInputError(f"ties: expected one of {list(TIES)}, got {ties!r}")


def ranks_from_scores(scores: np.ndarray, gt_scores: np.ndarray, ties: str = "average") -> np.ndarray:
    """0-based rank of each ground truth among (..., M) scores (higher = better): (...,) floats.

    ``gt_scores`` (...,) must be one of the row's scores. Ties: "average" places the ground truth
    in the middle of the items it ties with (TMR's default), "optimistic" first, "pessimistic" last.
    """
    _check_ties(ties)
    gt = gt_scores[..., None]
    greater = (scores > gt).sum(-1)
    if ties == "optimistic":
        return greater.astype(np.float64)
    equal = (scores == gt).sum(-1) - 1  # other items tied with the ground truth
    if ties == "pessimistic":
        return (greater + equal).astype(np.float64)
    return greater + equal / 2.0


def _row_chunks(n_rows: int, n_cols: int) -> range:
    step = max(1, _CHUNK_ELEMENTS // max(n_cols, 1))
    return range(0, n_rows, step)


def _targets(target: Any, n: int, m: int, name: str = "target") -> np.ndarray:
    if target is None:
        if n != m:
            raise MetricInputError(f"sim: ground truth defaults to the diagonal, which needs a square matrix, "
                                   f"got ({n}, {m}); pass target=")
        return np.arange(n)
    t = as_array(target, name, 1, dtype=np.float64)
    if t.shape[0] != n or (t != np.round(t)).any() or (t < 0).any() or (t >= m).any():
        raise MetricInputError(f"{name}: expected {n} whole numbers in [0, {m}), got shape {tuple(t.shape)}")
    return t.astype(np.int64)


def _correct_mask(correct: Any, n: int, m: int, name: str = "correct") -> np.ndarray | None:
    if correct is None:
        return None
    mask = as_array(correct, name, 2, dtype=bool)
    if mask.shape != (n, m):
        raise MetricInputError(f"{name}: expected a ({n}, {m}) boolean mask, got {tuple(mask.shape)}")
    return mask


def _block_ranks(block: np.ndarray, rows: np.ndarray, target: np.ndarray, correct: np.ndarray | None,
                 ties: str) -> np.ndarray:
    """Ranks for one row block of scores (R, M); ``rows`` are the block's global row indices."""
    gt = block[np.arange(len(rows)), target[rows]]  # (R,)
    if correct is not None:
        # Any item marked correct (e.g. an identical caption) may stand in for the ground truth:
        # the best-scoring correct item defines the rank (TMR's "threshold" protocol).
        alt = np.where(correct[rows], block, -np.inf).max(-1)
        gt = np.maximum(gt, alt)
    return ranks_from_scores(block, gt, ties)


def retrieval_ranks(sim: Any, target: Any = None, correct: Any = None, ties: str = "average") -> np.ndarray:
    """0-based rank of each query's ground truth in its row of ``sim`` (N, M): (N,) float array.

    Args:
        sim: query x gallery scores, higher = more similar.
        target: (N,) gallery index of each query's ground truth; default the diagonal (N == M).
        correct: optional (N, M) bool mask of further items that count as correct.
        ties: "average" (TMR), "optimistic" or "pessimistic".
    """
    s = as_finite(sim, "sim", 2)
    n, m = s.shape
    tgt = _targets(target, n, m)
    mask = _correct_mask(correct, n, m)
    out = np.empty(n, dtype=np.float64)
    chunks = _row_chunks(n, m)
    for start in chunks:
        rows = np.arange(start, min(start + chunks.step, n))
        out[rows] = _block_ranks(s[rows], rows, tgt, mask, ties)
    return out


def recall_at(ranks: np.ndarray, ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """{"R@k": fraction of 0-based ranks below k} for each k."""
    if any(int(k) < 1 for k in ks):
        raise MetricInputError(f"ks: every k must be >= 1, got {list(ks)}")
    return {f"R@{int(k)}": float((ranks < k).mean()) for k in ks}


def retrieval_recall(sim: Any, ks: Sequence[int] = DEFAULT_KS, target: Any = None, correct: Any = None,
                     ties: str = "average") -> dict[str, float]:
    """Recall@k of each query's ground truth over a score matrix (N, M): {"R@1": float, ...} in [0, 1]."""
    return recall_at(retrieval_ranks(sim, target, correct, ties), ks)


def median_rank(sim: Any, target: Any = None, correct: Any = None, ties: str = "average") -> float:
    """Median 1-based rank of the ground truth (MedR; 1.0 is perfect): a python float."""
    return float(np.median(retrieval_ranks(sim, target, correct, ties)) + 1.0)


# ---------------------------------------------------------------------------------------------
# Text <-> motion retrieval protocols
# ---------------------------------------------------------------------------------------------

def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _embedding_ranks(query: np.ndarray, gallery: np.ndarray, correct: np.ndarray | None,
                     ties: str) -> np.ndarray:
    """Ranks of matched pair i (query i <-> gallery i) by cosine, without the full N x N matrix."""
    n = query.shape[0]
    target = np.arange(n)
    out = np.empty(n, dtype=np.float64)
    chunks = _row_chunks(n, n)
    for start in chunks:
        rows = np.arange(start, min(start + chunks.step, n))
        out[rows] = _block_ranks(query[rows] @ gallery.T, rows, target, correct, ties)  # (R, N) block
    return out


def _summary(prefix: str, ranks: np.ndarray, ks: Sequence[int]) -> dict[str, float]:
    """R@k over all ranks; MedR per row of ``ranks`` (G, P), averaged over rows (TMR averages batches)."""
    out = {f"{prefix}/{k}": v for k, v in recall_at(ranks, ks).items()}
    out[f"{prefix}/MedR"] = float((np.median(ranks, axis=-1) + 1.0).mean())
    return out


def retrieval_metrics(
    text_emb: Any,
    motion_emb: Any,
    protocol: str = "batch32",
    ks: Sequence[int] = DEFAULT_KS,
    same_text: Any = None,
    batch_size: int = 32,
    rng: np.random.Generator | None = None,
    ties: str = "average",
) -> dict[str, float]:
    """Text-to-motion and motion-to-text R@k and MedR for matched (N, D) embeddings.

    Row i of ``text_emb`` describes row i of ``motion_emb``. Scores are cosine similarities.

    Args:
        protocol: "full" (gallery = all N) or "batch32" (shuffled batches of ``batch_size``
            pairs, the last partial batch dropped, metrics averaged over batches).
        same_text: optional (N, N) bool mask, True where caption i and caption j count as the same
            text (see `same_caption_mask` / `similar_text_mask`); such items count as correct in
            both directions.
        rng: shuffles the batch32 split; None uses ``np.random.default_rng(0)`` so that the
            default is reproducible (TMR also fixes seed 0).

    Returns:
        {"t2m/R@1": float, ..., "t2m/MedR": float, "m2t/...": ..., "num_queries": float,
        "num_batches": float}; recalls are fractions in [0, 1], MedR is 1-based.
    """
    t, m = paired(text_emb, motion_emb, "text_emb", "motion_emb")
    t, m = _normalise(t), _normalise(m)
    n = t.shape[0]
    mask = _correct_mask(same_text, n, n, "same_text")
    _check_ties(ties)
    if protocol == "full":
        t2m = _embedding_ranks(t, m, mask, ties)[None]  # (1, N)
        m2t = _embedding_ranks(m, t, None if mask is None else mask.T, ties)[None]
        batches = 1
    elif protocol == "batch32":
        if batch_size < 2 or n < batch_size:
            raise MetricInputError(f"text_emb: the batch protocol needs at least batch_size={batch_size} "
                                   f"(>= 2) pairs, got {n}")
        gen = np.random.default_rng(0) if rng is None else rng
        batches = n // batch_size
        idx = gen.permutation(n)[: batches * batch_size].reshape(batches, batch_size)  # (G, P)
        tb, mb = t[idx], m[idx]  # (G, P, D)
        sim = tb @ mb.transpose(0, 2, 1)  # (G, P, P): text x motion
        diag = np.arange(batch_size)
        sub = None if mask is None else mask[idx[:, :, None], idx[:, None, :]]  # (G, P, P)
        t2m = _batched_ranks(sim, diag, sub, ties)
        m2t = _batched_ranks(sim.transpose(0, 2, 1), diag, None if sub is None else sub.transpose(0, 2, 1), ties)
    else:
        raise MetricInputError(f"protocol: expected 'full' or 'batch32', got {protocol!r}")
    out = {**_summary("t2m", t2m, ks), **_summary("m2t", m2t, ks)}
    out["num_queries"] = float(t2m.size)
    out["num_batches"] = float(batches)
    return out


def _batched_ranks(sim: np.ndarray, diag: np.ndarray, correct: np.ndarray | None, ties: str) -> np.ndarray:
    """Ranks of the diagonal in each (P, P) block of (G, P, P) scores: (G, P)."""
    gt = sim[:, diag, diag]  # (G, P)
    if correct is not None:
        gt = np.maximum(gt, np.where(correct, sim, -np.inf).max(-1))
    return ranks_from_scores(sim, gt, ties)


_SPACES = re.compile(r"\s+")


def caption_key(text: str) -> str:
    """The form two captions are compared in: lower-cased, spaces collapsed and trimmed, no final full stop."""
    return _SPACES.sub(" ", str(text).strip().lower()).rstrip(". ")


def same_caption_mask(texts: Sequence[str]) -> np.ndarray:
    """(N, N) bool: True where two captions are identical after lower-casing, trimming spaces and
    a final full stop ("A man walks." == "a man  walks"), i.e. share a :func:`caption_key`. Use as ``same_text=``."""
    keys = [caption_key(s) for s in texts]
    _, codes = np.unique(np.array(keys, dtype=object), return_inverse=True)
    return codes[:, None] == codes[None, :]


def similar_text_mask(sentence_emb: Any, threshold: float = 0.95) -> np.ndarray:
    """(N, N) bool: True where two sentence embeddings are near-duplicates, TMR's rule.

    TMR rescales cosine to [0, 1] and keeps pairs above ``threshold``, i.e. cos > 2*threshold - 1.
    """
    if not 0.0 <= threshold <= 1.0:
        raise MetricInputError(f"threshold: expected a value in [0, 1], got {threshold}")
    e = _normalise(as_finite(sentence_emb, "sentence_emb", 2))
    return (e @ e.T) > 2.0 * threshold - 1.0


# ---------------------------------------------------------------------------------------------
# Recognition
# ---------------------------------------------------------------------------------------------

def topk_accuracy(logits: Any, targets: Any, ks: Sequence[int] = (1, 5), ties: str = "average") -> dict[str, float]:
    """Top-k accuracy of (N, C) class scores: {"top1": float, "top5": float} in [0, 1].

    ``targets`` is either (N,) class indices (single label, NTU) or an (N, C) multi-hot mask
    (HumanML3D-400): a sample is a hit when any of its labels ranks within the top k. A k that
    is at least C gives 1.0.
    """
    return {k: float(v.mean()) for k, v in topk_hits(logits, targets, ks, ties).items()}


def topk_hits(logits: Any, targets: Any, ks: Sequence[int] = (1, 5), ties: str = "average") -> dict[str, np.ndarray]:
    """Per-sample top-k hits (N,) bool of `topk_accuracy` (e.g. for a bootstrap interval over samples)."""
    s = as_finite(logits, "logits", 2)
    n, c = s.shape
    tgt = np.asarray(targets.detach().cpu().numpy() if hasattr(targets, "detach") else targets)
    if tgt.ndim == 2:
        if tgt.shape != (n, c):
            raise MetricInputError(f"targets: a multi-hot mask must have shape ({n}, {c}), got {tuple(tgt.shape)}")
        hot = as_array(tgt, "targets", 2, dtype=np.float64)
        if not np.isin(hot, (0.0, 1.0)).all():
            raise MetricInputError("targets: a multi-hot mask must hold only 0/1 (or False/True)")
        hot = hot.astype(bool)
        empty = np.flatnonzero(~hot.any(-1))
        if empty.size:
            raise MetricInputError(f"targets: {empty.size} sample(s) have no label, first is row {int(empty[0])}")
        gt = np.where(hot, s, -np.inf).max(-1)  # (N,) the best true label's score
    else:
        idx = _targets(tgt, n, c, "targets")
        gt = s[np.arange(n), idx]
    if any(int(k) < 1 for k in ks):
        raise MetricInputError(f"ks: every k must be >= 1, got {list(ks)}")
    ranks = ranks_from_scores(s, gt, ties)
    return {f"top{int(k)}": ranks < k for k in ks}
