"""Text-to-motion metrics from evaluator embeddings (paper-brief §6.2; definitions in docs/metrics.md).

:func:`evaluate_embeddings` embeds ground-truth and generated motions and their captions with a
trained :class:`~coamd.evaluation.Evaluators` pair and returns one repeat's metric dict:
FID (GT vs generated, evaluator (a)), R-precision top-1/2/3 in pools of 32 (31 distractors,
Euclidean, after one shared shuffle as upstream's shuffled ``drop_last`` loader), MM-Dist,
Diversity (300 pairs), CLIP-score (evaluator (b), cosine) and, when groups of repeated
generations are given, MultiModality (10 pairs per caption). ``gt_*`` keys give the same numbers
for the ground truth itself (the "Real motion" row). Repeats and confidence intervals are the
caller's (``coamd.metrics.aggregate_repeats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..errors import CoamdError
from ..metrics import clip_score, diversity, fid, matching_distance, multimodality, r_precision
from .evaluators import Evaluators

POOL = 32


def _np(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _matching(prefix: str, text: np.ndarray, motion: np.ndarray, pool: int) -> dict[str, float]:
    """R-precision top-1..3 and MM-Dist of paired (N, E) embeddings."""
    n = len(text) // pool * pool
    if n == 0:
        raise CoamdError(f"R-precision needs at least {pool} pairs, got {len(text)}")
    top = r_precision(text[:n], motion[:n], top_k=3, pool=pool)
    return {f"{prefix}r_precision_top{k + 1}": float(top[k]) for k in range(3)} | \
        {f"{prefix}matching_distance": matching_distance(text, motion)}


def metrics_from_embeddings(text: Any, gt: Any, gen: Any | None = None, clip_text: Any | None = None,
                            clip_gt: Any | None = None, clip_gen: Any | None = None, mm_groups: Any | None = None,
                            pool: int = POOL, diversity_pairs: int = 300, mm_pairs: int = 10,
                            generator: np.random.Generator | None = None) -> dict[str, float]:
    """The metric dict from precomputed embeddings; row i of every (N, E) array is caption i's pair.

    Rows are used in the order given (shuffle first, as :func:`evaluate_embeddings` does).
    ``mm_groups``: (G, R, E) embeddings of R generations per caption for MultiModality.
    """
    rng = generator if generator is not None else np.random.default_rng(0)
    text, gt = _np(text), _np(gt)
    out = _matching("gt_", text, gt, pool)
    out["gt_diversity"] = diversity(gt, diversity_pairs, rng)
    if clip_text is not None and clip_gt is not None:
        out["gt_clip_score"] = clip_score(_np(clip_text), _np(clip_gt))
    if gen is not None:
        gen = _np(gen)
        out["fid"] = fid(gt, gen)
        out.update(_matching("", text, gen, pool))
        out["diversity"] = diversity(gen, diversity_pairs, rng)
        if clip_text is not None and clip_gen is not None:
            out["clip_score"] = clip_score(_np(clip_text), _np(clip_gen))
    if mm_groups is not None:
        out["multimodality"] = multimodality(_np(mm_groups), mm_pairs, rng)
    return out


def evaluate_embeddings(evaluators: Evaluators, captions: Sequence[str], gt_motions: Any, gt_lengths: Any,
                        gen_motions: Any | None = None, gen_lengths: Any | None = None,
                        mm_motions: Any | None = None, mm_lengths: Any | None = None,
                        batch_size: int = POOL, generator: np.random.Generator | None = None,
                        shuffle: bool = True) -> dict[str, float]:
    """Embed and score one repeat of the text-to-motion protocol (module docstring).

    captions: N strings; gt_motions / gen_motions: normalised (N, T, F) motions with (N,) frame
    lengths (generation uses the GT lengths when ``gen_lengths`` is None); mm_motions:
    (G, R, T, F) with (G,) or (G, R) lengths, R generations for each of G captions.
    """
    captions = list(captions)
    n = len(captions)
    rng = generator if generator is not None else np.random.default_rng(0)
    order = rng.permutation(n) if shuffle else np.arange(n)
    pick = torch.as_tensor(order)

    def rows(x: Any) -> Any:
        return None if x is None else torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)[pick]

    gt, gt_n = rows(gt_motions), rows(gt_lengths)
    if gt.shape[0] != n:
        raise CoamdError(f"gt_motions: {gt.shape[0]} motions for {n} captions")
    caps = [captions[i] for i in order]
    out_kw: dict[str, Any] = {
        "text": evaluators.embed_texts(caps, batch_size),
        "gt": evaluators.embed_motions(gt, gt_n, batch_size),
        "clip_text": evaluators.clip_embed_texts(caps, batch_size),
        "clip_gt": evaluators.clip_embed_motions(gt, gt_n, batch_size),
    }
    if gen_motions is not None:
        gen = rows(gen_motions)
        if gen.shape[0] != n:
            raise CoamdError(f"gen_motions: {gen.shape[0]} motions for {n} captions")
        gen_n = rows(gen_lengths) if gen_lengths is not None else gt_n
        out_kw["gen"] = evaluators.embed_motions(gen, gen_n, batch_size)
        out_kw["clip_gen"] = evaluators.clip_embed_motions(gen, gen_n, batch_size)
    if mm_motions is not None:
        mm = torch.as_tensor(np.asarray(mm_motions) if not isinstance(mm_motions, torch.Tensor) else mm_motions)
        if mm.dim() < 4:
            raise CoamdError(f"mm_motions: expected (G, R, T, F), got shape {tuple(mm.shape)}")
        G, R = mm.shape[:2]
        lens = torch.as_tensor(np.asarray(mm_lengths)).long() if mm_lengths is not None else \
            torch.full((G,), mm.shape[2], dtype=torch.long)
        lens = (lens[:, None].expand(G, R) if lens.dim() == 1 else lens).reshape(-1)
        emb = evaluators.embed_motions(mm.reshape(G * R, *mm.shape[2:]), lens, batch_size)
        out_kw["mm_groups"] = emb.reshape(G, R, -1)
    return metrics_from_embeddings(**out_kw, pool=POOL, generator=rng)
