"""The demo's task stages (Tasks issue §8; paper-brief §5): generate, chain, edit, recognise, retrieve.

Each stage calls the public task functions of :mod:`coamd.tasks` on one loaded bundle and returns
plain records for the page; nothing here writes files. Motions the page shows become
:class:`Shown` entries that :mod:`.assets` renders afterwards, in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..tasks import Bundle, Sampling, edit, generate, generate_sequence, recognize
from ..tasks.generate import GenerationResult
from ..tasks.outputs import slug
from ..tasks.recognize import embed_motions, embed_texts
from ..tasks.retrieve import top_matches
from .corpus import CorpusClip, pick_sources, pick_walker
from .plan import EDITS, PROMPTS, SEQUENCE, EditSpec, edit_arguments


@dataclass
class Shown:
    """Motions shown together (one panel each) as ``assets/<stem>.gif`` + ``.html``; ``export`` also
    becomes ``.npy`` and ``.bvh``."""

    stem: str
    motions: list[np.ndarray]
    panel_titles: list[str]                 # drawn into the GIF ("" = none; the page has the caption)
    export: np.ndarray | None = None
    viewer_titles: list[str] | None = None  # the viewer's panel titles (default: ``panel_titles``)
    extras: dict[str, np.ndarray] = field(default_factory=dict)   # more arrays, as ``<stem>_<name>.npy``

    def extra_file(self, name: str) -> str:
        return f"{self.stem}_{name}.npy"


def clip_shown(clip: CorpusClip) -> Shown:
    """A corpus clip's preview (shared by the recognition, retrieval and gallery sections)."""
    return Shown(f"clips/{clip.id}", [clip.joints], [""], viewer_titles=[clip.captions[0]])


@dataclass
class Generated:
    text: str
    seconds: float
    shown: Shown


@dataclass
class Chained:
    texts: list[str]
    seconds: list[float]
    starts: list[float]            # second at which each segment's new content begins
    shown: Shown


@dataclass
class Edited:
    spec: EditSpec
    text: str
    source: CorpusClip
    report: dict[str, Any]
    arguments: str                 # the CLI spelling of the edit, for the page
    shown: Shown


@dataclass
class Recognised:
    clip: CorpusClip
    predictions: list[tuple[str, float, float]]     # (label, cosine, softmax prob), best first
    top1: bool
    top5: bool


@dataclass
class RecognitionSummary:
    items: list[Recognised]        # the ones shown
    clips: int                     # held-back clips recognised
    labels: int                    # corpus label names ranked
    top1: float
    top5: float


@dataclass
class Retrieved:
    query: str
    target: CorpusClip
    results: list[tuple[CorpusClip, float]]          # top-3 gallery clips with cosine scores
    rank: int                                        # 1-based rank of the right clip


@dataclass
class RetrievalSummary:
    items: list[Retrieved]
    gallery: int
    recall: dict[int, float] = field(default_factory=dict)   # k -> R@k over every held-back caption
    median_rank: float = 0.0


def _motion(result: GenerationResult, i: int) -> np.ndarray:
    return np.asarray(result.motions[i], np.float32)


def run_generation(bundle: Bundle, sampling: Sampling, seed: int, progress: bool = True) -> list[Generated]:
    """One motion per prompt of :data:`.plan.PROMPTS`, in one batch."""
    texts, seconds = [t for t, _ in PROMPTS], [s for _, s in PROMPTS]
    result = generate(bundle, texts, seconds, seed=seed, sampling=sampling, progress=progress)
    out = []
    for i, (text, sec) in enumerate(PROMPTS):
        m = _motion(result, i)
        out.append(Generated(text, sec, Shown(f"generate/{i:02d}_{slug(text, 32)}", [m], [""], export=m,
                                                 viewer_titles=[text])))
    return out


def run_sequence(bundle: Bundle, sampling: Sampling, seed: int, progress: bool = True) -> Chained:
    """The long multi-prompt motion of :data:`.plan.SEQUENCE`."""
    texts, seconds = [t for t, _ in SEQUENCE], [s for _, s in SEQUENCE]
    result = generate_sequence(bundle, texts, seconds, seed=seed, sampling=sampling, progress=progress)
    m = _motion(result, 0)
    starts = [round(f / bundle.fps, 2) for f in result.segments[0]]
    return Chained(texts, seconds, starts, Shown("sequence/sequence", [m], [""], export=m,
                                                        viewer_titles=["; ".join(texts)]))


def _cli_spelling(args: dict[str, Any], shown: Shown) -> str:
    """The edit's flags as ``coamd edit`` spells them (run from the demo folder)."""
    if "task" in args:
        return f"--task {args['task']}"
    if "keep" in args:
        return f"--keep {args['keep']}"
    if "joints" in args:
        return f"--joints {args['joints']}"
    return f"--trajectory assets/{shown.extra_file('path')}"


def run_edits(bundle: Bundle, sampling: Sampling, seed: int, held_back: list[CorpusClip],
              progress: bool = True) -> list[Edited]:
    """One edit of each kind of :data:`.plan.EDITS` on held-back clips."""
    max_frames = bundle.max_tokens * bundle.unit_length
    temporal = [s for s in EDITS if s.kind not in ("body", "trajectory")]
    sources = dict(zip((s.kind for s in temporal), pick_sources(held_back, len(temporal), max_frames)))
    walker = pick_walker(held_back, max_frames)
    out = []
    for i, spec in enumerate(tqdm(EDITS, desc="edit", unit="edit", disable=not progress)):
        src = sources.get(spec.kind, walker)
        joints = src.joints[:max_frames]
        args = edit_arguments(spec, src)
        text = spec.text or src.captions[0]
        res = edit(bundle, joints, text, seed=seed + i, sampling=sampling, **args)
        shown = Shown(f"edit/{i:02d}_{spec.kind}", [res.source, res.motion], ["source", "edited"],
                      export=res.motion, viewer_titles=[f"source: {src.captions[0]}", f"edited: {text}"])
        if "trajectory" in args:
            shown.extras["path"] = np.asarray(args["trajectory"], np.float32)     # (T, 2) x, z metres
        out.append(Edited(spec, text, src, dict(res.report), _cli_spelling(args, shown), shown))
    return out


def _varied(clips: list[CorpusClip], count: int) -> list[int]:
    """Indices of up to ``count`` clips with different first actions (then any), in id order."""
    chosen, seen = [], set()
    for i, c in enumerate(clips):
        key = c.actions[0] if c.actions else c.id
        if key not in seen:
            chosen.append(i)
            seen.add(key)
    chosen += [i for i in range(len(clips)) if i not in chosen]
    return sorted(chosen[:count])


def run_recognition(bundle: Bundle, held_back: list[CorpusClip], labels: list[str], show: int,
                    progress: bool = True) -> RecognitionSummary:
    """Zero-shot recognition of every held-back clip against the corpus's label names."""
    preds = recognize(bundle, [c.joints for c in held_back], labels, top_k=5, progress=progress)
    items = []
    for clip, p in zip(held_back, preds):
        truth = set(clip.labels)
        items.append(Recognised(clip, list(zip(p.labels, p.scores, p.probs)),
                                bool(p.labels) and p.labels[0] in truth, bool(truth & set(p.labels[:5]))))
    n = len(items)
    return RecognitionSummary([items[i] for i in _varied(held_back, show)], n, len(labels),
                              sum(it.top1 for it in items) / n, sum(it.top5 for it in items) / n)


@torch.no_grad()
def run_retrieval(bundle: Bundle, held_back: list[CorpusClip], show: int, top_k: int = 3,
                  progress: bool = True) -> RetrievalSummary:
    """Text -> motion retrieval: each held-back clip's first caption against the held-back clips."""
    gallery = embed_motions(bundle, [c.joints for c in held_back], progress=progress)  # (N, E)
    queries = embed_texts(bundle, [c.captions[0] for c in held_back])                   # (N, E)
    scores = queries @ gallery.T                                                        # (N, N)
    ranks = (scores > scores.diagonal()[:, None]).sum(dim=1) + 1                        # (N,)
    best_s, best_i = top_matches(queries, gallery, top_k)
    items = []
    for q in _varied(held_back, show):
        results = [(held_back[j], float(s)) for s, j in zip(best_s[q].tolist(), best_i[q].tolist())]
        items.append(Retrieved(held_back[q].captions[0], held_back[q], results, int(ranks[q])))
    n = len(held_back)
    recall = {k: float((ranks <= k).float().mean()) for k in (1, 3, 5) if k <= n}
    return RetrievalSummary(items, n, recall, float(ranks.float().median()))
