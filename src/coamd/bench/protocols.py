"""Text-to-motion protocols: generation, temporal editing, AE reconstruction, saved samples (paper-brief §6.2-§6.3).

Each repeat r draws the evaluation set (:mod:`.evalset`: shuffled whole pools of 32, one random
caption and T2M crop per sample), embeds its captions and GT motions once with the frozen
evaluators, and scores every row of the table on that same draw:

* ``ground_truth``: the same samples re-cropped at fresh offsets, scored as if generated. Its
  FID is the real-vs-real noise floor (≈ 0) and its R-precision is that of real data.
* one row per method / edit task / the AE, on motions made for the draw's captions and lengths.
  A method with a ``base_name`` (``methods.CleanedMethod``) post-processes the motions that the
  method of that name made in the same repeat, so a "cleaned" row costs no second generation.

Per row: the metrics of :class:`coamd.evaluation.Scorer` (FID, R-precision top-1/2/3 in pools of
32, MM-Dist, Diversity, CLIP-score, MultiModality when asked, physical plausibility; the protocol
itself lives in :mod:`coamd.evaluation.protocol`, where ``evaluate_generation`` scores one row
for a Python caller). Here: drawing, repeats, methods, progress and aggregation over repeats as
mean ± 1.96·σ/√n (``coamd.metrics.aggregate_repeats``). Evaluators only read motions: nothing
here feeds them back into a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import CoamdError
from ..evaluation import Evaluators
from ..evaluation.protocol import (
    PHYSICS,
    R_PRECISION_TIES,
    Scorer,
    pad_motions,
    physics_values,
    plausibility,
)
from ..metrics import aggregate_repeats, mpjpe
from ..tasks.edit import edit_batch
from .evalset import POOL, Draw, EvalSet
from .methods import clean_edits, copy_back, reconstruct

Row = dict[str, dict[str, Any]]          # metric -> {"mean", "ci95", "n"}
Tick = Callable[[int], None]


def method_seed(seed: int, repeat: int) -> int:
    """Seed of a method's generations in repeat ``repeat`` (batch b adds its first index, < 100 000)."""
    return int(seed) * 10_000_019 + int(repeat) * 100_000


@dataclass
class MMSpec:
    """MultiModality: the first ``captions`` captions of a draw, ``samples`` generations each (§6.2: 96 x 30)."""

    captions: int = 96
    samples: int = 30


def disabled(progress: bool | None) -> bool | None:
    """tqdm's ``disable`` for a progress flag: True shows, False hides, None shows on a terminal only."""
    return None if progress is None else not progress


def _bar(total: int, desc: str, progress: bool | None) -> tqdm:
    return tqdm(total=total, desc=desc, unit="motion", disable=disabled(progress), leave=False)


def _aggregate(rows: Mapping[str, list[dict[str, float]]]) -> dict[str, Row]:
    return {name: aggregate_repeats(reps) for name, reps in rows.items() if reps}


# ---------------------------------------------------------------------------------- generation
def generation_protocol(evalset: EvalSet, evaluators: Evaluators, methods: Mapping[str, Any], repeats: int,
                        seed: int = 0, mm: MMSpec | None = None, progress: bool | None = None,
                        mm_rows: Sequence[str] = ("generator",), ties: str = R_PRECISION_TIES) -> dict[str, Row]:
    """Rows ``ground_truth`` + one per method (``name -> object with generate(captions, lengths, seed)``).

    MultiModality (``mm``) is computed for the methods named in ``mm_rows`` (default: the generator).
    ``ties``: the R-precision tie rule (``coamd.metrics.r_precision``; default the official one).
    """
    _check_repeats(repeats)
    skel, fps = evalset.spec.skeleton, evalset.spec.fps
    per_row: dict[str, list[dict[str, float]]] = {"ground_truth": [], **{k: [] for k in methods}}
    extra = mm.captions * mm.samples * sum(1 for k in methods if k in mm_rows) if mm else 0
    bar = _bar(repeats * (evalset.size * len(methods) + extra), f"generation {evalset.split}", progress)
    try:
        for r in range(repeats):
            draw = evalset.draw(r)
            scorer = Scorer(evaluators, draw.captions, draw.joints, skel, fps, (seed, r), ties)
            per_row["ground_truth"].append(scorer.score(evalset.redraw(draw, r).joints))
            made: dict[str, tuple[list[np.ndarray], float]] = {}
            for name, method in methods.items():
                bar.set_postfix_str(f"repeat {r + 1}/{repeats}: {name}")
                base = getattr(method, "base_name", None)
                if base in made:             # post-processing of another row's motions (e.g. cleanup)
                    motions = method.apply(*made[base])
                    bar.update(len(motions))
                else:
                    motions = method.generate(draw.captions, draw.lengths, method_seed(seed, r), tick=bar.update)
                seconds = float(method.seconds)
                made[name] = (motions, seconds)
                groups = None
                if mm is not None and name in mm_rows and getattr(method, "stochastic", True):
                    groups = _mm_groups(scorer, method, draw, mm, method_seed(seed, r) + 50_000, bar)
                row = scorer.score(motions, groups)
                row["seconds_per_motion"] = seconds / max(len(motions), 1)
                if hasattr(method, "cleanup_seconds"):
                    row["cleanup_seconds_per_motion"] = float(method.cleanup_seconds) / max(len(motions), 1)
                per_row[name].append(row)
    finally:
        bar.close()
    return _aggregate(per_row)


def _mm_groups(scorer: Scorer, method: Any, draw: Draw, mm: MMSpec, seed: int, bar: tqdm) -> np.ndarray:
    """(G, R, E) evaluator embeddings of R generations for each of the first G captions."""
    G = min(mm.captions, len(draw))
    caps = [c for c in draw.captions[:G] for _ in range(mm.samples)]
    lens = np.repeat(draw.lengths[:G], mm.samples)
    motions = method.generate(caps, lens, seed, tick=bar.update)
    return scorer.embed(motions).reshape(G, mm.samples, -1)


def _check_repeats(repeats: int) -> None:
    if repeats < 1:
        raise CoamdError(f"--repeats: must be at least 1, got {repeats}")


# ---------------------------------------------------------------------------------- editing
COPY_BACK = "copy_back"      # row suffix of the copy-back edits


def edit_protocol(evalset: EvalSet, evaluators: Evaluators, bundle: Any, sampling: Any, tasks: Sequence[str],
                  repeats: int, seed: int = 0, progress: bool | None = None, cleanup: bool = False,
                  mm: MMSpec | None = None, ties: str = R_PRECISION_TIES) -> dict[str, Row]:
    """Rows ``ground_truth`` + two per temporal task: GT crops edited towards their own captions (§6.3).

    * ``<task>``: the official protocol (upstream's ``evaluation_mardm_edit``): the AE decode of the
      whole edited latent sequence is scored as it is; kept frames are NOT copied back from the
      source, so they carry the AE's reconstruction error. With ``mm``, MultiModality of this row:
      the first ``mm.captions`` captions of the draw edited ``mm.samples`` times each.
    * ``<task>/copy_back``: the same edits as ``coamd edit`` hands them out: kept frames copied back
      from the source with a 4-frame fade and, with ``cleanup``, ``coamd.tasks.cleanup`` with the
      kept frames pinned. One generation serves both rows.

    Every edit row also reports ``kept_error_mm``: the mean over motions of the largest distance
    (mm) of a kept-frame joint from the source.
    """
    _check_repeats(repeats)
    skel, fps = evalset.spec.skeleton, evalset.spec.fps
    names = [n for t in tasks for n in (t, f"{t}/{COPY_BACK}")]
    per_row: dict[str, list[dict[str, float]]] = {"ground_truth": [], **{n: [] for n in names}}
    extra = mm.captions * mm.samples if mm else 0
    bar = _bar(repeats * (evalset.size + extra) * len(tasks), f"edit {evalset.split}", progress)
    try:
        for r in range(repeats):
            draw = evalset.draw(r)
            scorer = Scorer(evaluators, draw.captions, draw.joints, skel, fps, (seed, r), ties)
            per_row["ground_truth"].append(scorer.score(evalset.redraw(draw, r).joints))
            for task in tasks:
                bar.set_postfix_str(f"repeat {r + 1}/{repeats}: {task}")
                decoded, keeps = edit_batch(bundle, draw.captions, draw.joints, task, seed=method_seed(seed, r),
                                            sampling=sampling, copy_back=False, tick=bar.update)
                copied = copy_back(decoded, draw.joints, keeps)
                if cleanup:
                    copied = clean_edits(copied, draw.joints, keeps, skel, fps)
                groups = None
                if mm is not None:
                    groups = _edit_mm_groups(scorer, bundle, sampling, draw, task, mm,
                                             method_seed(seed, r) + 50_000, bar)
                for name, motions, g in ((task, decoded, groups), (f"{task}/{COPY_BACK}", copied, None)):
                    row = scorer.score(motions, g)
                    row["kept_error_mm"] = kept_error_mm(motions, draw.joints, keeps)
                    per_row[name].append(row)
    finally:
        bar.close()
    return _aggregate(per_row)


def _edit_mm_groups(scorer: Scorer, bundle: Any, sampling: Any, draw: Draw, task: str, mm: MMSpec, seed: int,
                    bar: tqdm) -> np.ndarray:
    """(G, R, E) evaluator embeddings of R official-protocol edits of each of the first G sources."""
    G = min(mm.captions, len(draw))
    caps = [c for c in draw.captions[:G] for _ in range(mm.samples)]
    srcs = [s for s in draw.joints[:G] for _ in range(mm.samples)]
    decoded, _ = edit_batch(bundle, caps, srcs, task, seed=seed, sampling=sampling, copy_back=False, tick=bar.update)
    return scorer.embed(decoded).reshape(G, mm.samples, -1)


def kept_error_mm(motions: Sequence[np.ndarray], sources: Sequence[np.ndarray], keeps: Sequence[np.ndarray]) -> float:
    """Mean over motions of the largest joint distance (mm) from the source over kept frames (0 if none)."""
    worst = [float(np.linalg.norm(m[k] - s[k], axis=-1).max()) * 1000.0 if k.any() else 0.0
             for m, s, k in zip(motions, sources, keeps)]
    return float(np.mean(worst)) if worst else 0.0


# ---------------------------------------------------------------------------------- reconstruction
def reconstruction_protocol(evalset: EvalSet, evaluators: Evaluators, bundle: Any, repeats: int, seed: int = 0,
                            progress: bool | None = None, ties: str = R_PRECISION_TIES) -> dict[str, Row]:
    """Rows ``ground_truth`` and ``reconstruction``: AE round trips with MPJPE (mm) next to the usual metrics."""
    _check_repeats(repeats)
    skel, fps = evalset.spec.skeleton, evalset.spec.fps
    per_row: dict[str, list[dict[str, float]]] = {"ground_truth": [], "reconstruction": []}
    bar = _bar(repeats * evalset.size, f"reconstruction {evalset.split}", progress)
    try:
        for r in range(repeats):
            draw = evalset.draw(r)
            scorer = Scorer(evaluators, draw.captions, draw.joints, skel, fps, (seed, r), ties)
            per_row["ground_truth"].append(scorer.score(evalset.redraw(draw, r).joints))
            with torch.no_grad():
                recon = reconstruct(bundle, draw.joints)
            bar.update(len(recon))
            pred, n = pad_motions(recon)
            gt, _ = pad_motions(draw.joints)
            row = scorer.score(recon)
            row["mpjpe_mm"] = mpjpe(pred, gt, n)
            row["mpjpe_root_aligned_mm"] = mpjpe(pred, gt, n, root_align=True, root_idx=skel.root)
            per_row["reconstruction"].append(row)
    finally:
        bar.close()
    return _aggregate(per_row)


# ---------------------------------------------------------------------------------- saved samples
def samples_protocol(evalset: EvalSet, evaluators: Evaluators, motions: Sequence[np.ndarray],
                     texts: Sequence[str], repeats: int, seed: int = 0,
                     progress: bool | None = None, ties: str = R_PRECISION_TIES) -> dict[str, Row]:
    """Score saved generations (e.g. ``coamd generate``'s samples.npz) against draws of the split.

    The samples keep their own captions (R-precision, MM-Dist, CLIP-score pair each motion with
    its text); FID compares them with each repeat's GT draw. Repeats re-shuffle the samples into
    pools of 32 and re-draw the GT.
    """
    _check_repeats(repeats)
    if len(motions) != len(texts):
        raise CoamdError(f"--samples: {len(motions)} motions but {len(texts)} texts")
    if len(motions) < POOL:
        raise CoamdError(f"--samples: {len(motions)} motions; R-precision needs at least {POOL}")
    skel, fps = evalset.spec.skeleton, evalset.spec.fps
    per_row: dict[str, list[dict[str, float]]] = {"ground_truth": [], "samples": []}
    for r in tqdm(range(repeats), desc="samples", unit="repeat", disable=disabled(progress), leave=False):
        draw = evalset.draw(r)
        scorer = Scorer(evaluators, draw.captions, draw.joints, skel, fps, (seed, r), ties)
        per_row["ground_truth"].append(scorer.score(evalset.redraw(draw, r).joints))
        order = np.random.default_rng((seed, r, 4)).permutation(len(motions))[: len(motions) // POOL * POOL]
        caps = [texts[i] for i in order]
        row = scorer.score([motions[i] for i in order], text=evaluators.embed_texts(caps).numpy(),
                           clip_text=evaluators.clip_embed_texts(caps).numpy())
        per_row["samples"].append(row)
    return _aggregate(per_row)


__all__ = ["COPY_BACK", "PHYSICS", "R_PRECISION_TIES", "MMSpec", "Row", "Scorer", "edit_protocol", "generation_protocol", "kept_error_mm",
           "method_seed", "physics_values", "plausibility", "reconstruction_protocol", "samples_protocol"]
