"""Retrieval and recognition protocols on MAR embeddings (paper-brief §5.1, §5.3, §6.4-§6.5).

RETRIEVAL. Each sample of the split is one (motion, caption) pair: the whole sample clip, embedded
by MAR (``f``, long clips as averaged windows), and one of its captions drawn per repeat, embedded
by tower B. R@1/2/3/5/10 and MedR in both directions (text→motion, motion→text) under both TMR
protocols: ``full`` (the whole split is the gallery) and ``batch32`` (shuffled batches of 32; the
protocol CoAMD's reported numbers imply). Identical captions (after lower-casing and trimming)
count as the same text, so a retrieved motion with the query's exact caption is a hit (TMR's
threshold protocol with exact matching, ``coamd.metrics.same_caption_mask``).

RECOGNITION. Zero-shot prototype matching: argmax of the label scores as ``coamd recognize`` computes
them (cosine between MAR's ``f`` and the label names' prototypes, averaged over the MAR's test-time
views, ``coamd.tasks.recognize.label_scores``). On the corpus test split a prediction is a hit when it is any of the
clip's labels (HumanML3D-400 style, §6.5); on labelled real sets (HDM05, Bandai-Namco, NTU) each
clip has one label. ``finetune_mar`` trains the bundled MAR further on a labelled set's training
part (the ``coamd train mar ... init=`` recipe, run programmatically) for the supervised rows.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic import atomic_open
from ..data import DataSource, LabelledClips
from ..errors import CoamdError
from ..metrics import aggregate_repeats, retrieval_metrics, same_caption_mask, topk_hits
from ..tasks import Bundle, load_bundle
from ..tasks.recognize import embed_motions, embed_texts, label_scores
from ..train import MARTrainConfig, TaskContext, Trainer
from ..train.common import VAL_FRACTION
from ..train.data import holdout
from ..train.distributed import DistInfo
from ..train.task_mar import MARTask
from .evalset import POOL, EvalSet
from .protocols import Row
from .realref import bootstrap_row

KS = (1, 2, 3, 5, 10)


# ---------------------------------------------------------------------------------- retrieval
def retrieval_protocol(bundle: Bundle, evalset: EvalSet, repeats: int, seed: int = 0,
                       protocols: Sequence[str] = ("full", "batch32"), progress: bool | None = None) -> dict[str, Row]:
    """Rows ``<protocol>/<t2m|m2t>`` with R@k (fractions) and MedR, mean ± CI over caption draws."""
    if repeats < 1:
        raise CoamdError(f"--repeats: must be at least 1, got {repeats}")
    index, rows = evalset.index, evalset.rows
    motions = [index.motion(int(r)) for r in rows]
    m = embed_motions(bundle, motions, progress=progress).cpu().numpy()                   # (N, E)
    captions = [[c.text for c in index[int(r)].captions] for r in rows]
    uniq = list(dict.fromkeys(t for caps in captions for t in caps))
    pos = {t: i for i, t in enumerate(uniq)}
    t_all = embed_texts(bundle, uniq).cpu().numpy()                                        # (U, E)
    per_row: dict[str, list[dict[str, float]]] = {}
    for r in range(repeats):
        rng = np.random.default_rng((seed, r, 5))
        picked = [caps[int(rng.integers(len(caps)))] for caps in captions]
        t = t_all[[pos[c] for c in picked]]
        same = same_caption_mask(picked)
        for protocol in protocols:
            if protocol == "batch32" and len(picked) < POOL:
                continue
            res = retrieval_metrics(t, m, protocol=protocol, ks=KS, same_text=same, batch_size=POOL,
                                    rng=np.random.default_rng((seed, r, 6)))
            for direction in ("t2m", "m2t"):
                row = {k.split("/", 1)[1]: float(v) for k, v in res.items() if k.startswith(direction + "/")}
                per_row.setdefault(f"{protocol}/{direction}", []).append(row)
    return {name: aggregate_repeats(reps) for name, reps in per_row.items()}


# ---------------------------------------------------------------------------------- recognition
def _once(values: dict[str, float]) -> Row:
    """A deterministic result as a row (n = 1, no interval)."""
    return aggregate_repeats([values])


def _accuracy_row(logits: np.ndarray, targets: np.ndarray, clips: int, labels: int) -> Row:
    """Top-1/top-5 over the clips with a 95 % bootstrap interval over clips (n = clips)."""
    row = bootstrap_row(topk_hits(logits, targets, ks=(1, 5)))
    row.update(_once({"clips": float(clips), "labels": float(labels)}))
    return row


@torch.no_grad()
def _logits(bundle: Bundle, motions: Sequence[np.ndarray], label_names: Sequence[str],
            progress: bool | None) -> torch.Tensor:
    """Label scores as ``coamd recognize`` computes them (the MAR's test-time views included)."""
    return label_scores(bundle, list(motions), label_names, progress=progress).float().cpu()


def corpus_recognition(bundle: Bundle, evalset: EvalSet, progress: bool | None = None) -> Row:
    """Zero-shot any-label top-1/top-5 on the split's labelled samples over the corpus label names
    (95 % bootstrap intervals over clips)."""
    index = evalset.index
    if not index.has_labels or not index.label_names:
        raise CoamdError(f"{index.root}: no action labels (annotations_actions_400.json + label_map.txt)")
    rows = [int(r) for r in evalset.rows if index[int(r)].labels]
    if not rows:
        raise CoamdError(f"{index.root}: no labelled samples in split '{index.split}'")
    names = list(index.label_names)
    targets = np.zeros((len(rows), len(names)), bool)                                     # (N, K) multi-hot
    for i, r in enumerate(rows):
        targets[i, list(index[r].labels)] = True
    logits = _logits(bundle, [index.motion(r) for r in rows], names, progress)
    return _accuracy_row(logits.numpy(), targets, len(rows), len(names))


def labelled_recognition(bundle: Bundle, clips: LabelledClips, protocol: str, part: str = "test",
                         progress: bool | None = None) -> Row:
    """Single-label top-1/top-5 on ``part`` of a labelled set's ``protocol`` over its label names."""
    idx = clips.split(protocol, part)
    if len(idx) == 0:
        raise CoamdError(f"{clips.spec.name}: protocol '{protocol}' has no {part} clips")
    logits = _logits(bundle, [clips.motion(int(i)) for i in idx], clips.label_names, progress)
    return _accuracy_row(logits.numpy(), clips.labels[idx], len(idx), len(clips.label_names))


def real_retrieval(bundle: Bundle, clips: LabelledClips, protocol: str, part: str = "test",
                   progress: bool | None = None) -> dict[str, Row]:
    """Text→motion (and motion→text) retrieval of a labelled set's ``part`` from its label names.

    Every clip is one pair (clip, its label name as the caption, e.g. "kick with the left leg to the
    front"); the gallery is the whole part (``full`` protocol) and clips with the same label count as
    correct (identical captions). So text→motion R@k = share of queries whose top k retrieved clips
    include one of that label; motion→text ranks the label names through tower B (recognition uses
    tower A). One deterministic row ``text_label`` (n = 1).
    """
    idx = clips.split(protocol, part)
    if len(idx) == 0:
        raise CoamdError(f"{clips.spec.name}: protocol '{protocol}' has no {part} clips")
    m = embed_motions(bundle, [clips.motion(int(i)) for i in idx], progress=progress).cpu().numpy()   # (N, E)
    names = [clips.label_names[int(clips.labels[int(i)])] for i in idx]
    uniq = list(dict.fromkeys(names))
    pos = {n: k for k, n in enumerate(uniq)}
    t = embed_texts(bundle, uniq).cpu().numpy()[[pos[n] for n in names]]                                # (N, E)
    res = retrieval_metrics(t, m, protocol="full", ks=(1, 3), same_text=same_caption_mask(names))
    return {"text_label": _once({"t2m_R1": res["t2m/R@1"], "t2m_R3": res["t2m/R@3"], "m2t_R1": res["m2t/R@1"],
                                 "m2t_R3": res["m2t/R@3"], "clips": float(len(idx)), "queries": float(len(uniq))})}


class _FinetuneTask(MARTask):
    """``coamd train mar`` on already-loaded clips, training on the chosen protocol's train part."""

    def __init__(self, ctx: TaskContext, model_cfg: Any, source: DataSource, clips: LabelledClips,
                 protocol: str) -> None:
        self._clips, self._protocol = clips, protocol
        super().__init__(ctx, model_cfg, source)

    def labelled_clips(self) -> tuple[LabelledClips, np.ndarray, np.ndarray]:
        train_all = self._clips.split(self._protocol, "train")
        if len(train_all) < 2:
            raise CoamdError(f"{self._clips.spec.name}: {len(train_all)} training clips under '{self._protocol}'")
        tr, va = holdout(len(train_all), VAL_FRACTION, self.cfg.seed)
        return self._clips, train_all[tr], train_all[va]


def finetune_mar(bundle: Bundle, clips: LabelledClips, source: DataSource, protocol: str, run_dir: str | Path,
                 steps: int, seed: int = 0, lr: float = 1e-4, batch_size: int = 32,
                 progress: bool | None = None) -> Bundle:
    """Fine-tune the bundle's MAR on ``protocol``'s train part for ``steps`` steps; returns it as a bundle.

    The recipe of ``coamd train mar --data KIND:PATH init=<bundle>/mar.pt`` (labels-only InfoNCE
    against the set's label names, AdamW, 10 % of the train part held out for ``best.pt``). A
    finished run in ``run_dir`` is reused only when its ``finetune.json`` names the same base MAR
    (content hash), data, protocol and recipe; otherwise the folder is cleared and trained again.
    """
    if steps < 1:
        raise CoamdError(f"fine-tuning steps: must be at least 1, got {steps}")
    run_dir = Path(run_dir)
    best = run_dir / "checkpoints" / "best.pt"
    stamp_file = run_dir / "finetune.json"
    stamp = {"base_mar": bundle.part_id("mar"), "data": f"{source.name}:{source.root}", "protocol": protocol,
             "clips": len(clips), "steps": int(steps), "seed": int(seed), "lr": float(lr), "batch_size": int(batch_size),
             "recog_tta": "none"}   # a fine-tune reads clips once (MARTrainConfig.recog_tta), not as its base does
    try:
        reusable = best.is_file() and json.loads(stamp_file.read_text(encoding="utf-8")) == stamp
    except (OSError, ValueError):
        reusable = False
    if not reusable:
        if run_dir.exists():
            shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)    # another base model or recipe
            for name in ("log.csv", "val.csv", "config.yaml", "finetune.json"):
                (run_dir / name).unlink(missing_ok=True)
        mar_file = bundle.files.get("mar")
        if mar_file is None:
            raise CoamdError("fine-tuning needs the bundle's MAR checkpoint file")
        cfg = MARTrainConfig(data=f"{source.name}:{source.root}", init=str(mar_file), text=bundle.text_backend,
                             lr=lr, warmup_steps=0, batch_size=batch_size, max_steps=steps, max_epochs=0,
                             grad_clip=1.0, seed=seed, val_every=0, ckpt_every=0, log_every=max(1, steps // 4),
                             keep_checkpoints=0)
        cfg.check()
        show = bool(progress) if progress is not None else False
        ctx = TaskContext(cfg=cfg, device=bundle.device, dist=DistInfo(), run_dir=run_dir, progress=show)
        task = _FinetuneTask(ctx, bundle.config("mar"), source, clips, protocol)
        Trainer(task, progress=show).fit()
        with atomic_open(stamp_file, "w", encoding="utf-8") as f:
            json.dump(stamp, f, indent=1)
    tuned = load_bundle(run_dir, device=bundle.device)
    return tuned


def recognition_rows(bundle: Bundle, clips: LabelledClips, source: DataSource, protocol: str,
                     finetune_dir: str | Path | None, steps: int, seed: int = 0,
                     progress: bool | None = None) -> dict[str, Row]:
    """``zero_shot`` (and ``supervised`` when ``finetune_dir`` is given) rows on the protocol's test part."""
    rows = {"zero_shot": labelled_recognition(bundle, clips, protocol, progress=progress)}
    if finetune_dir is not None:
        tuned = finetune_mar(bundle, clips, source, protocol, finetune_dir, steps, seed, progress=progress)
        rows["supervised"] = labelled_recognition(tuned, clips, protocol, progress=progress)
    return rows


def load_clips(source: DataSource, cache: str | Path | None = "auto") -> LabelledClips:
    """A labelled real set (NTU 60/120, HDM05, Bandai-Namco) as canonical clips, cached in ``cache``."""
    from ..data import load_labelled

    return load_labelled(source, cache=cache)


def default_protocol(source: DataSource) -> str:
    """The set's standard test protocol: NTU xsub, HDM05 actors (bd/bk/dg vs mm/tr), Bandai held-out styles."""
    return source.spec.splits[0]


__all__ = ["KS", "corpus_recognition", "default_protocol", "finetune_mar", "labelled_recognition", "load_clips",
           "real_retrieval", "recognition_rows", "retrieval_protocol"]
