"""The text-to-motion scoring protocol (paper-brief §6.2-§6.3; metric definitions in docs/metrics.md).

One row of a benchmark table is one call: :func:`evaluate_generation` (or a :class:`Scorer`, which
embeds a draw's captions and ground truth once and then scores any number of rows against them)
takes canonical joints in metres, normalises them with the evaluators' Mean/Std and returns

* FID (evaluator (a) embeddings of the motions vs the ground truth),
* R-precision top-1/2/3 in consecutive pools of 32 pairs (31 distractors, Euclidean; the caller
  shuffles), MM-Dist, Diversity (300 pairs), CLIP-score (evaluator (b), cosine),
* MultiModality (10 pairs per caption) when groups of repeated generations are given,
* physical plausibility (foot skating ratio, contact sliding in m/s, floor penetration in m,
  jitter in m/s³, bone-length variation in mm) of the motions themselves.

Drawing the evaluation set, repeats, caching and reports are ``coamd.bench``'s; repeats aggregate
as mean ± 1.96·σ/√n (``coamd.metrics.aggregate_repeats``). Evaluators only read motions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import CoamdError
from ..metrics import (
    bone_length_variation,
    clip_score,
    diversity,
    fid,
    floor_penetration,
    foot_contact_sliding,
    foot_skating_ratio,
    jitter,
    matching_distance,
    multimodality,
    r_precision,
)
from ..skeleton import SKELETONS, Skeleton
from .evaluators import Evaluators

POOL = 32                    # R-precision pool: 31 distractors (§6.2)
R_PRECISION_TIES = "index"   # the official evaluation's argsort order (ties to the earlier motion); or "average"
# physics measures of every generated motion -> the report's column header (their order is the report's)
PHYSICS_HEADERS = {"foot_skating": "foot skate ↓", "contact_sliding": "contact slide (m/s) ↓",
                   "floor_penetration": "floor pen. (m) ↓", "jitter": "jitter (m/s³)", "bone_variation": "bone var. (mm) ↓"}
PHYSICS = tuple(PHYSICS_HEADERS)
CHUNK = 64                   # motions padded together when measuring physics


def pad_motions(motions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(N, T_max, J, 3) float32 zero-padded and (N,) int64 lengths of a list of (T_i, J, 3) motions."""
    if not motions:
        raise CoamdError("no motions to pad")
    lengths = np.array([len(m) for m in motions], np.int64)
    out = np.zeros((len(motions), int(lengths.max())) + motions[0].shape[1:], np.float32)
    for i, m in enumerate(motions):
        out[i, : len(m)] = m
    return out, lengths


def physics_values(motions: Sequence[np.ndarray], skeleton: Skeleton, fps: float) -> dict[str, np.ndarray]:
    """Per-motion physics of canonical motions (metres), each a (N,) array keyed as ``PHYSICS``.

    Foot skating ratio (contact steps that slide), foot-contact sliding speed (m/s), floor
    penetration (m), jitter (mean jerk, m/s³) and bone-length variation (mm); docs/metrics.md.
    Motions are padded in chunks of ``CHUNK`` so long real clips do not build one huge array.
    """
    feet = skeleton.foot_joints or (0,)
    out: dict[str, list[np.ndarray]] = {k: [] for k in PHYSICS}
    motions = list(motions)
    for first in range(0, len(motions), CHUNK):
        x, n = pad_motions(motions[first:first + CHUNK])
        out["foot_skating"].append(np.atleast_1d(foot_skating_ratio(x, fps, feet, lengths=n)))
        out["contact_sliding"].append(np.atleast_1d(foot_contact_sliding(x, fps, feet, lengths=n)))
        out["floor_penetration"].append(np.atleast_1d(floor_penetration(x, lengths=n)))
        out["jitter"].append(np.atleast_1d(jitter(x, fps, lengths=n)))
        out["bone_variation"].append(np.atleast_1d(bone_length_variation(x, skeleton.parents, lengths=n)))
    return {k: np.concatenate(v).astype(np.float64) for k, v in out.items()}


def plausibility(motions: Sequence[np.ndarray], skeleton: Skeleton, fps: float) -> dict[str, float]:
    """Means over motions of ``physics_values``: foot skating ratio, contact sliding (m/s), floor
    penetration (m), jitter (m/s³) and bone-length variation (mm) of canonical motions (metres)."""
    return {k: float(np.mean(v)) for k, v in physics_values(motions, skeleton, fps).items()}


def r_precision_pooled(text: np.ndarray, motion: np.ndarray, pool: int = POOL,
                       ties: str = R_PRECISION_TIES) -> np.ndarray:
    """R-precision top-1/2/3 of paired (N, E) embeddings over the whole pools of ``pool`` (the last
    N % pool pairs are left out, as upstream's ``drop_last`` loader): ``coamd.metrics.r_precision``."""
    n = len(text) // pool * pool
    if n == 0:
        raise CoamdError(f"R-precision needs at least {pool} pairs, got {len(text)}")
    return r_precision(text[:n], motion[:n], top_k=3, pool=pool, ties=ties)


class Scorer:
    """The evaluator embeddings of a set of captions and their GT motions, and row scoring against them.

    ``captions``: N strings; ``gt``: N canonical (T_i, J, 3) motions in metres; ``seed`` fixes the
    Diversity/MultiModality pairs (the same for every row scored here).
    """

    def __init__(self, evaluators: Evaluators, captions: Sequence[str], gt: Sequence[np.ndarray],
                 skeleton: Skeleton, fps: float, seed: int | tuple[int, ...] = 0,
                 ties: str = R_PRECISION_TIES) -> None:
        self.ev, self.skeleton, self.fps, self.ties = evaluators, skeleton, fps, ties
        self.seed = tuple(seed) if isinstance(seed, tuple | list) else (int(seed),)
        captions = list(captions)
        self.text = evaluators.embed_texts(captions).numpy()               # (N, E)
        self.clip_text = evaluators.clip_embed_texts(captions).numpy()     # (N, E_b)
        self.gt = self.embed(gt)

    def _normalised(self, motions: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        x, n = pad_motions(list(motions))                                       # (N, T, J, 3)
        if self.ev.normalizer is None:
            raise CoamdError("these evaluators were saved without Mean/Std; retrain or re-save them with statistics")
        return self.ev.normalize(x.reshape(x.shape[0], x.shape[1], -1)), n      # (N, T, F)

    def embed(self, motions: Sequence[np.ndarray]) -> np.ndarray:
        x, n = self._normalised(motions)
        return self.ev.embed_motions(x, n).numpy()

    def clip_embed(self, motions: Sequence[np.ndarray]) -> np.ndarray:
        x, n = self._normalised(motions)
        return self.ev.clip_embed_motions(x, n).numpy()

    def score(self, motions: Sequence[np.ndarray], mm_groups: np.ndarray | None = None,
              text: np.ndarray | None = None, clip_text: np.ndarray | None = None) -> dict[str, float]:
        """Metrics of ``motions`` paired row by row with the captions (or ``text``/``clip_text`` embeddings).

        ``mm_groups``: (G, R, E) evaluator-(a) embeddings of R generations per caption (``embed``).
        """
        text = self.text if text is None else text
        clip_text = self.clip_text if clip_text is None else clip_text
        emb = self.embed(motions)
        if len(emb) != len(text):
            raise CoamdError(f"{len(emb)} motions for {len(text)} captions")
        rng = np.random.default_rng((*self.seed, 3))            # the same diversity pairs for every row
        top = r_precision_pooled(text, emb, POOL, self.ties)
        out = {"fid": fid(self.gt, emb), **{f"r_precision_top{k + 1}": float(top[k]) for k in range(3)},
               "matching_distance": matching_distance(text, emb), "diversity": diversity(emb, 300, rng),
               "clip_score": clip_score(clip_text, self.clip_embed(motions))}
        if mm_groups is not None:
            out["multimodality"] = multimodality(mm_groups, 10, rng)
        out.update(plausibility(motions, self.skeleton, self.fps))
        return out


def evaluate_generation(evaluators: Evaluators, captions: Sequence[str], gt_motions: Sequence[np.ndarray],
                        motions: Sequence[np.ndarray], mm_motions: Sequence[Sequence[np.ndarray]] | None = None,
                        skeleton: Skeleton | str | None = None, fps: float | None = None,
                        seed: int | tuple[int, ...] = 0, ties: str = R_PRECISION_TIES) -> dict[str, float]:
    """Score generated ``motions`` for ``captions`` against ``gt_motions``: one repeat's metric dict.

    Every motion is a canonical (T_i, J, 3) array in metres (as ``coamd generate`` writes them);
    row i of ``captions``, ``gt_motions`` and ``motions`` belong together, in pools of 32 in the order
    given (shuffle beforehand; at least 32 rows). ``mm_motions``: G lists of R generations each for
    the first G captions, for MultiModality. ``skeleton``/``fps`` (for the physics) default to the
    evaluators' skeleton and its frame rate. Pass ``gt_motions`` as ``motions`` (re-cropped) for
    the ground-truth row.
    """
    skel = skeleton if isinstance(skeleton, Skeleton) else SKELETONS[skeleton or evaluators.model.cfg.skeleton]
    scorer = Scorer(evaluators, captions, gt_motions, skel, skel.fps if fps is None else fps, seed, ties)
    groups = None
    if mm_motions is not None:
        mm = [list(g) for g in mm_motions]
        if not mm or len({len(g) for g in mm}) != 1:
            raise CoamdError("mm_motions: expected G groups of the same number R >= 1 of motions")
        groups = scorer.embed([m for g in mm for m in g]).reshape(len(mm), len(mm[0]), -1)
    return scorer.score(motions, groups)


__all__ = ["CHUNK", "PHYSICS", "POOL", "R_PRECISION_TIES", "Scorer", "evaluate_generation", "pad_motions",
           "physics_values", "plausibility", "r_precision_pooled"]
