"""``coamd demo`` end to end (Tasks issue §8): corpus -> (training) -> the four tasks -> one HTML page.

Stages, each timed and printed: synthesise a fresh corpus into ``OUT/corpus``; optionally retrain
the small models on it (``--train``, :mod:`.train`); load the weights; generate six prompts; chain
one long multi-prompt motion; one edit of each kind on held-back (test-split) clips; recognise
the held-back clips against the corpus's label names; retrieve them by caption; render the
previews into ``OUT/assets`` (built under a temporary name, swapped in when complete); write
``OUT/demo.json`` and finally ``OUT/index.html`` (atomically, last: an interrupted run never
leaves a half-written page; a re-run removes the old page first, so a page always matches its assets).

``OUT`` must be new, empty or an earlier demo's output (it holds ``demo.json``), so the demo never
replaces folders it did not make.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

import coamd

from ..atomic import atomic_dir, atomic_open
from ..config import to_dict
from ..device import resolve_device
from ..errors import CoamdError
from ..tasks import Bundle, load_bundle, sampling_settings
from .corpus import CorpusClip, corpus_labels, read_clips, synthesize_corpus
from .stages import (
    Chained,
    Edited,
    Generated,
    RecognitionSummary,
    RetrievalSummary,
    clip_shown,
    run_edits,
    run_generation,
    run_recognition,
    run_retrieval,
    run_sequence,
)

MARKER = "demo.json"
DEMO_FORMAT = "coamd-demo"
OWN = {"corpus", "assets", "runs", "weights", "index.html", MARKER}


@dataclass
class DemoSettings:
    """What ``coamd demo`` was asked to do (the CLI flags)."""

    out: Path = Path("demo_out")
    clips: int | None = None           # None: 400, or 1500 with train
    train: bool = False
    train_scale: float = 1.0
    checkpoint: str | None = None
    device: str = "cpu"
    seed: int = 0
    sampler: str = "euler"             # the fast sampler settings of paper-brief §10
    ode_steps: int = 8
    show: int = 8                      # held-back clips shown for recognition and retrieval
    gallery: int = 12                  # corpus clips in the gallery
    text: str = "minilm"               # text backend for --train
    progress: bool = True

    @property
    def num_clips(self) -> int:
        return self.clips if self.clips is not None else (1500 if self.train else 400)


@dataclass
class DemoReport:
    """Everything the page shows."""

    settings: dict[str, Any]
    corpus: dict[str, Any]
    weights: str
    sampling: dict[str, Any]
    checkpoint: str = ""               # the --checkpoint a command needs for these weights ("" = default)
    timings: list[tuple[str, float]] = field(default_factory=list)
    generated: list[Generated] = field(default_factory=list)
    sequence: Chained | None = None
    edits: list[Edited] = field(default_factory=list)
    recognition: RecognitionSummary | None = None
    retrieval: RetrievalSummary | None = None
    gallery: list[CorpusClip] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return sum(t for _, t in self.timings)


class Stopwatch:
    """Times named stages and prints one line per stage."""

    def __init__(self, progress: bool = True) -> None:
        self.stages: list[tuple[str, float]] = []
        self.progress = progress

    def add(self, name: str, seconds: float) -> None:
        self.stages.append((name, seconds))
        if self.progress:
            tqdm.write(f"[{seconds:6.1f} s] {name}")

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        self.add(name, time.perf_counter() - t0)


def check_out(out: Path) -> None:
    """Refuse an output folder that holds anything but an earlier demo's output."""
    if out.exists() and not out.is_dir():
        raise CoamdError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise CoamdError(f"--out {out}: folder exists and is not a coamd demo output (no {MARKER}); "
                         f"pick a new or empty folder")


def _varied(clips: list[CorpusClip], count: int) -> list[CorpusClip]:
    chosen, seen = [], set()
    for c in clips:
        key = c.actions[0] if c.actions else c.id
        if key not in seen:
            chosen.append(c)
            seen.add(key)
    return chosen[:count] + [c for c in clips if c not in chosen][: max(0, count - len(chosen))]


def _write_marker(out: Path, status: str, extra: dict[str, Any] | None = None) -> None:
    doc = {"format": DEMO_FORMAT, "status": status, "coamd": coamd.__version__, **(extra or {})}
    with atomic_open(out / MARKER, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def _load(settings: DemoSettings, path: str | os.PathLike | None) -> Bundle:
    from ..tasks.bundle import BUNDLE_FILE, default_bundle_path

    if path is None and not (default_bundle_path() / BUNDLE_FILE).is_file():
        raise CoamdError(f"no model weights: {default_bundle_path()} holds no bundle; run 'coamd demo --train' to "
                         f"train small models on the demo corpus first, or pass --checkpoint DIR")
    bundle = load_bundle(path, device=settings.device)
    for part in ("ae", "generator", "mar"):
        bundle.part(part)                         # a one-line error naming the missing part
    bundle.sentences(["a person walks"])          # load the text encoder inside this stage
    return bundle


def _relative(path: str | os.PathLike | None, out: Path) -> str:
    """``path`` as the page's commands (run from ``out``) spell it."""
    if path is None:
        return ""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(out.resolve()))
    except ValueError:
        return str(p)


def run_demo(settings: DemoSettings) -> Path:
    """Run every stage into ``settings.out``; returns the path of ``index.html``."""
    from .assets import write_assets
    from .page import write_page

    out = Path(settings.out)
    if settings.train and settings.checkpoint:
        raise CoamdError("--train makes its own weights; drop --checkpoint (or drop --train to use it)")
    resolve_device(settings.device)
    sampling_settings(None, sampler=settings.sampler, ode_steps=settings.ode_steps)   # flag errors first
    check_out(out)
    watch = Stopwatch(settings.progress)
    n = settings.num_clips
    path: str | os.PathLike | None = settings.checkpoint
    bundle: Bundle | None = None
    if not settings.train:                        # unusable weights fail before anything is written
        with watch.stage("load models and text encoder"):
            bundle = _load(settings, path)
    out.mkdir(parents=True, exist_ok=True)
    _write_marker(out, "running")
    (out / "index.html").unlink(missing_ok=True)   # a page exists only for a finished run: never a stale one
    with watch.stage(f"corpus: synthesise {n} clips"):
        stats = synthesize_corpus(out / "corpus", n, settings.seed, progress=settings.progress)
        held_back = read_clips(out / "corpus", "test")
        train_clips = read_clips(out / "corpus", "train")
        labels = corpus_labels(out / "corpus")
    if settings.train:
        from .train import train_models

        t0, before = time.perf_counter(), len(watch.stages)
        path = train_models(out / "corpus", out, scale=settings.train_scale, seed=settings.seed,
                            device=settings.device, text=settings.text, progress=settings.progress,
                            on_part=lambda kind, s: watch.add(f"train {kind}", s))
        parts = sum(s for _, s in watch.stages[before:])
        watch.add("train: make the bundle", time.perf_counter() - t0 - parts)
        with watch.stage("load models and text encoder"):
            bundle = _load(settings, path)
    sampling = sampling_settings(bundle, sampler=settings.sampler, ode_steps=settings.ode_steps)
    origin = ("trained on this corpus by --train" if settings.train else
              "--checkpoint" if settings.checkpoint else
              "$COAMD_BUNDLE" if os.environ.get("COAMD_BUNDLE") else "the bundled weights")
    weights = f"{bundle.meta.get('name') or 'training runs'} at {bundle.root} ({origin})"

    report = DemoReport(
        settings={"out": str(out), "clips": n, "train": settings.train, "train_scale": settings.train_scale,
                  "checkpoint": settings.checkpoint, "device": settings.device, "seed": settings.seed,
                  "threads": torch.get_num_threads(), "torch": torch.__version__, "coamd": coamd.__version__,
                  "date": datetime.datetime.now().isoformat(timespec="seconds")},
        corpus={"clips": stats["clips"], "hours": stats["hours"], "splits": stats["splits"],
                "held_back": len(held_back), "labels": len(labels)},
        weights=weights, sampling=to_dict(sampling), checkpoint=_relative(path, out))
    with watch.stage("generate 6 prompts"):
        report.generated = run_generation(bundle, sampling, settings.seed, settings.progress)
    with watch.stage("long multi-prompt sequence"):
        report.sequence = run_sequence(bundle, sampling, settings.seed, settings.progress)
    with watch.stage("edit: 7 kinds on held-back clips"):
        report.edits = run_edits(bundle, sampling, settings.seed, held_back, settings.progress)
    with watch.stage(f"recognise {len(held_back)} held-back clips"):
        report.recognition = run_recognition(bundle, held_back, labels, settings.show, settings.progress)
    with watch.stage(f"retrieve among {len(held_back)} held-back clips"):
        report.retrieval = run_retrieval(bundle, held_back, min(settings.show, 6), progress=settings.progress)
    report.gallery = _varied(train_clips, settings.gallery)

    shown = [g.shown for g in report.generated] + [report.sequence.shown] + [e.shown for e in report.edits]
    clips = [r.clip for r in report.recognition.items] + \
            [c for r in report.retrieval.items for c, _ in r.results] + \
            [r.target for r in report.retrieval.items] + report.gallery
    shown += [clip_shown(c) for c in clips]
    with watch.stage("render previews"), atomic_dir(out / "assets", overwrite=True) as tmp:
        write_assets(shown, tmp, fps=bundle.fps, progress=settings.progress)
        with atomic_open(tmp / "labels.txt", "w", encoding="utf-8") as f:
            f.write("".join(f"{label}\n" for label in labels))
    report.timings = list(watch.stages)
    _write_marker(out, "done", {"settings": report.settings, "weights": report.weights,
                                "timings": {k: round(v, 2) for k, v in report.timings},
                                "total_seconds": round(report.total_seconds, 2), "sampling": report.sampling,
                                "recognition": {"top1": report.recognition.top1, "top5": report.recognition.top5},
                                "retrieval": {f"R@{k}": v for k, v in report.retrieval.recall.items()}})
    return write_page(out, report)                # last: the page appears only when everything is there
