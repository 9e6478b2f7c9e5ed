"""``coamd bench --suite quick|full``: every protocol for one model bundle, cached, with a report (Evaluation §3-§4).

Sections (each cached as ``<out>/sections/<name>.json`` with a fingerprint of its settings, the
bundle weights, the evaluator file, the corpus files and the seed; a re-run skips finished
sections unless ``force``):

* ``reference/real``: the physics measures on every real captured clip (Bandai-Namco BVH and
  HDM05 AMC under the real-data folder, canonical 20 fps; :mod:`.realref`), the reference row of
  every generation and edit table; skipped with the reason when the folder is absent;
* ``generation/test``, ``generation/test_compositional``: ground truth, the generator's raw
  network output (``generator_raw``) and the same motions after ``coamd.tasks.cleanup``
  (``generator``, what users get by default), the nearest-neighbour and unconditional
  baselines (§6.2, :mod:`.protocols`, :mod:`.methods`);
* ``guidance``: MAR guidance step λ sweep; ``samplers``: flow-head sampler/steps sweep with
  seconds per motion (both on raw network output);
* ``edit``: the four temporal editing tasks (§6.3), cleaned (``<task>``) and raw
  (``<task>/raw``); ``reconstruction``: AE MPJPE and FID;
* ``retrieval``: R@k/MedR both directions, both protocols; ``recognition/corpus``,
  ``recognition/hdm05``, ``recognition/bandai``: zero-shot and fine-tuned MAR (§6.4-§6.5).

``quick`` is sized for a 2-core CPU in under 10 minutes (few repeats, subsets, a fast sampler,
small sweeps); ``full`` is the paper protocol (20 repeats, whole splits, full sweeps, MultiModality).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from ..atomic import atomic_open
from ..config import ConfigError, from_dict, to_dict
from ..data import DataSource
from ..data.humanml3d import source_fingerprint
from ..data.registry import get_spec
from ..data.store import fingerprint
from ..errors import CoamdError
from ..evaluation import Evaluators
from ..metrics import caption_key
from ..metrics.functional import R_PRECISION_TIES as R_PRECISION_TIES_RULES
from ..tasks import Bundle, Sampling, sampling_settings
from ..tasks.edit_specs import TASKS
from ..tasks.guidance import REWARDS
from ..train.checkpoint import file_hash
from .context import REALDATA_SETS, find_realdata, realdata_source
from .evalset import EvalSet, TooFewSamples
from .methods import CleanedMethod, GeneratorMethod, NearestNeighbour, cleanup_function
from .protocols import R_PRECISION_TIES, MMSpec, edit_protocol, generation_protocol, reconstruction_protocol
from .realref import BOOTSTRAP, REAL_SETS, load_real_sets, real_reference
from .recognition import corpus_recognition, load_clips, real_retrieval, recognition_rows, retrieval_protocol


@dataclass
class SuiteConfig:
    """What one suite runs; ``limit`` values are clips per draw (0 = the whole split)."""

    name: str = "quick"
    repeats: int = 3
    limit: int = 128
    compositional_limit: int = 64
    sampler: str | None = "euler"            # None = the bundle's default sampler
    ode_steps: int | None = 8
    guidance_lambdas: list[float] = field(default_factory=lambda: [0.0, 1.0, 2.0])
    guidance_rewards: list[str] = field(default_factory=lambda: ["all", "fused"])   # before / after (issue 16)
    guidance_limit: int = 64
    guidance_repeats: int = 1
    sweep: list[str] = field(default_factory=lambda: ["euler:2", "euler:4", "euler:8", "heun:2", "heun:4"])
    sweep_limit: int = 64
    sweep_repeats: int = 1
    edit_tasks: list[str] = field(default_factory=lambda: list(TASKS))
    edit_limit: int = 64
    edit_repeats: int = 1
    edit_mm_captions: int = 16              # MultiModality of the official edit rows (0 = off); full: 96 x 30
    edit_mm_samples: int = 10
    recon_repeats: int = 3
    retrieval_repeats: int = 3
    finetune_steps: int = 50
    mm: bool = False                         # MultiModality for the generator rows (96 captions x 30)
    mm_captions: int = 96
    mm_samples: int = 30
    corpus_clips: int = 5000
    corpus_seed: int = 0
    r_precision_ties: str = R_PRECISION_TIES      # "index" (official argsort order) or "average"
    sections: list[str] = field(default_factory=list)   # run only these sections (prefixes); [] = all

    def check(self) -> None:
        for name in ("repeats", "guidance_repeats", "sweep_repeats", "edit_repeats", "recon_repeats",
                     "retrieval_repeats", "finetune_steps", "mm_captions", "mm_samples", "corpus_clips"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be at least 1, got {getattr(self, name)}")
        for name in ("limit", "compositional_limit", "guidance_limit", "sweep_limit", "edit_limit"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}: must not be negative, got {getattr(self, name)}")
        bad = [t for t in self.edit_tasks if t not in TASKS]
        if bad:
            raise ConfigError(f"edit_tasks: {bad[0]!r} is not one of {', '.join(TASKS)}")
        for item in self.sweep:
            parse_sweep_item(item)
        if self.edit_mm_captions < 0 or self.edit_mm_samples < 2:
            raise ConfigError(f"edit_mm_captions, edit_mm_samples: need >= 0 and >= 2, got "
                              f"{self.edit_mm_captions}, {self.edit_mm_samples}")
        bad = [r for r in self.guidance_rewards if r not in REWARDS] or ([] if self.guidance_rewards else ["(empty)"])
        if bad:
            raise ConfigError(f"guidance_rewards: {bad[0]!r} is not one of {', '.join(REWARDS)}")
        if self.r_precision_ties not in R_PRECISION_TIES_RULES:
            raise ConfigError(f"r_precision_ties: {self.r_precision_ties!r} is not one of "
                              f"{', '.join(R_PRECISION_TIES_RULES)}")
        bad = [s for s in self.sections if not any(n == s or n.startswith(s + "/") for n in SECTIONS)]
        if bad:
            raise ConfigError(f"sections: {bad[0]!r} is not a section (known: {', '.join(SECTIONS)})")


def parse_sweep_item(item: str) -> tuple[str, int]:
    """``"euler:8"`` -> ("euler", 8); ``"dopri5"`` -> ("dopri5", 0) (adaptive steps)."""
    sampler, _, steps = str(item).partition(":")
    if sampler == "dopri5":
        return sampler, 0
    try:
        n = int(steps)
    except ValueError:
        raise ConfigError(f"sweep: {item!r} must look like euler:8, heun:4 or dopri5") from None
    if sampler not in ("euler", "heun") or n < 1:
        raise ConfigError(f"sweep: {item!r} must look like euler:8, heun:4 or dopri5")
    return sampler, n


SECTIONS = ("reference/real", "generation/test", "generation/test_compositional", "guidance", "samplers", "edit",
            "reconstruction", "retrieval", "recognition/corpus", "recognition/hdm05", "recognition/bandai",
            "retrieval/hdm05", "retrieval/bandai")

FULL = {"name": "full", "repeats": 20, "limit": 0, "compositional_limit": 0, "sampler": None, "ode_steps": None,
        "guidance_lambdas": [0.0, 0.5, 1.0, 2.0], "guidance_limit": 0, "guidance_repeats": 20, "sweep_limit": 0, "sweep_repeats": 20,
        "sweep": [f"{s}:{k}" for s in ("euler", "heun") for k in (2, 4, 8, 16, 32)] + ["dopri5"],
        "edit_limit": 0, "edit_repeats": 20, "edit_mm_captions": 96, "edit_mm_samples": 30, "recon_repeats": 10, "retrieval_repeats": 20,
        "finetune_steps": 2000, "mm": True}
SUITES: dict[str, dict[str, Any]] = {"quick": {}, "full": FULL}


def suite_config(name: str, overrides: dict[str, Any] | None = None) -> SuiteConfig:
    """The named preset with ``key: value`` overrides (strict keys, typed)."""
    if name not in SUITES:
        raise CoamdError(f"--suite: {name!r} is not one of {', '.join(SUITES)}")
    data = {**to_dict(SuiteConfig()), **SUITES[name], **(overrides or {})}
    try:
        cfg = from_dict(SuiteConfig, data, "suite")
        cfg.check()
    except ConfigError as e:
        raise CoamdError(f"--set: {e}") from None
    return cfg


class SkipSection(CoamdError):
    """A section that cannot run here (e.g. no real data): recorded with its reason, not cached."""


# ---------------------------------------------------------------------------------- the runner
class Suite:
    """Runs the sections of a ``SuiteConfig`` into ``out_dir`` (module docstring)."""

    def __init__(self, cfg: SuiteConfig, out_dir: str | os.PathLike, bundle: Bundle, evaluators: Evaluators,
                 evaluator_file: Path, source: DataSource, realdata: str | os.PathLike | None = None,
                 seed: int = 0, force: bool = False, progress: bool | None = None, command: str = "") -> None:
        self.cfg, self.out = cfg, Path(out_dir)
        self.bundle, self.ev, self.source = bundle, evaluators, source
        self.seed, self.force, self.progress = int(seed), force, progress
        self.command = command or shlex.join(["coamd", *sys.argv[1:]])
        self.realdata, self.realdata_reason = find_realdata(realdata)
        self.sections_dir = self.out / "sections"
        self.identity = {
            "bundle": {p: bundle.part_id(p) for p in sorted(bundle.parts)},
            "evaluator": file_hash(evaluator_file) if Path(evaluator_file).is_file() else str(evaluator_file),
            "corpus": source_fingerprint(source.root), "seed": self.seed,
        }
        self.evaluator_file = Path(evaluator_file)
        self._nn: NearestNeighbour | None = None

    # ------------------------------------------------------------------ helpers
    def sampling(self, **over: Any) -> Sampling:
        base = {"sampler": self.cfg.sampler, "ode_steps": self.cfg.ode_steps}
        return sampling_settings(self.bundle, **{**base, **over})

    def evalset(self, split: str, limit: int) -> EvalSet:
        try:
            return EvalSet(self.source, split, limit=limit, seed=self.seed)
        except TooFewSamples as e:
            raise SkipSection(str(e)) from None

    @property
    def nearest(self) -> NearestNeighbour:
        if self._nn is None:
            self._nn = NearestNeighbour(self.bundle, EvalSet(self.source, "train", seed=self.seed).index,
                                        progress=bool(self.progress))
        return self._nn

    def _fingerprint(self, settings: dict) -> str:
        blob = json.dumps({"settings": settings, **self.identity}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def section(self, name: str, settings: dict, fn: Callable[[], dict]) -> dict:
        """Run ``fn`` (-> rows) unless a cached result with the same fingerprint exists."""
        path = self.sections_dir / (name.replace("/", "__") + ".json")
        fp = self._fingerprint(settings)
        if not self.force and path.is_file():
            try:
                cached = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                cached = {}
            if cached.get("fingerprint") == fp and "rows" in cached:
                tqdm.write(f"{name}: cached ({path})")
                return {**cached, "cached": True}
        tqdm.write(f"{name}: running")
        t0 = time.perf_counter()
        try:
            rows = fn()
        except SkipSection as e:
            tqdm.write(f"{name}: skipped ({e})")
            return {"settings": settings, "skipped": str(e)}
        data = {"settings": settings, "rows": rows, "seconds": round(time.perf_counter() - t0, 2),
                "fingerprint": fp, "finished": _now()}
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        return {**data, "cached": False}

    def cleanup_identity(self) -> dict[str, Any]:
        """Whether the cleanup stage exists here, and a hash of its source (part of the cached sections' settings)."""
        fn, why = cleanup_function()
        if fn is None:
            return {"applied": False, "why": why}
        module = sys.modules[fn.__module__]
        files = {module.__file__}                        # its own source and the coamd modules it uses
        for value in vars(module).values():
            name = value.__name__ if isinstance(value, type(sys)) else getattr(value, "__module__", None)
            if isinstance(name, str) and name.startswith("coamd.") and getattr(sys.modules.get(name), "__file__", None):
                files.add(sys.modules[name].__file__)
        digest = hashlib.sha256("".join(file_hash(Path(f)) for f in sorted(files)).encode()).hexdigest()[:16]
        return {"applied": True, "module": fn.__module__, "sha256": digest}

    # ------------------------------------------------------------------ sections
    def _real_reference(self) -> dict:
        settings: dict[str, Any] = {"realdata": str(self.realdata), "sets": list(REAL_SETS), "bootstrap": BOOTSTRAP,
                                    "files": self._real_files_stamp()}

        def run() -> dict:
            if self.realdata is None:
                raise SkipSection(self.realdata_reason)
            sets, missing = load_real_sets(self.realdata, self.out / "cache")
            if not sets:
                raise SkipSection("; ".join(missing) or f"{self.realdata}: no real clips")
            spec = get_spec(next(iter(sets)))
            return real_reference(sets, spec.skeleton, spec.fps, self.seed)

        return self.section("reference/real", settings, run)

    def _real_files_stamp(self) -> str | None:
        """Fingerprint of the real clips' files (a changed file recomputes the reference row)."""
        if self.realdata is None:
            return None
        files = [p for kind in REAL_SETS for p in sorted((self.realdata / REALDATA_SETS[kind]).rglob("*"))
                 if p.suffix.lower() in (".bvh", ".amc", ".asf")] if self.realdata.is_dir() else []
        return fingerprint(files, self.realdata)

    def _generation(self, split: str, limit: int) -> dict:
        sampling = self.sampling()
        cleanup = self.cleanup_identity()
        settings = {"split": split, "limit": limit, "repeats": self.cfg.repeats, "sampling": to_dict(sampling),
                    "mm": [self.cfg.mm_captions, self.cfg.mm_samples] if self.cfg.mm else None, "cleanup": cleanup,
                    "r_precision_ties": self.cfg.r_precision_ties}

        def run() -> dict:
            es = self.evalset(split, limit)
            raw = GeneratorMethod(self.bundle, sampling)
            ours: dict[str, Any] = {"generator": raw}
            if cleanup["applied"]:
                ours = {"generator_raw": raw,
                        "generator": CleanedMethod(raw, "generator_raw", es.spec.skeleton, es.spec.fps)}
            methods = {**ours, "nearest_neighbour": self.nearest,
                       "unconditional": GeneratorMethod(self.bundle, sampling, unconditional=True)}
            mm = MMSpec(self.cfg.mm_captions, self.cfg.mm_samples) if self.cfg.mm else None
            return generation_protocol(es, self.ev, methods, self.cfg.repeats, self.seed, mm, self.progress,
                                       ties=self.cfg.r_precision_ties)

        return self.section(f"generation/{split}", settings, run)

    def _sweep(self, name: str, variants: dict[str, Sampling], limit: int, repeats: int) -> dict:
        settings = {"split": "test", "limit": limit, "repeats": repeats,
                    "variants": {k: to_dict(v) for k, v in variants.items()}, "output": "raw",
                    "r_precision_ties": self.cfg.r_precision_ties}

        def run() -> dict:
            methods = {k: GeneratorMethod(self.bundle, s) for k, s in variants.items()}
            return generation_protocol(self.evalset("test", limit), self.ev, methods, repeats, self.seed,
                                       None, self.progress, ties=self.cfg.r_precision_ties)

        return self.section(name, settings, run)

    def _edit(self) -> dict:
        sampling = self.sampling()
        cleanup = self.cleanup_identity()
        mm = [self.cfg.edit_mm_captions, self.cfg.edit_mm_samples] if self.cfg.edit_mm_captions else None
        settings = {"split": "test", "limit": self.cfg.edit_limit, "repeats": self.cfg.edit_repeats,
                    "tasks": list(self.cfg.edit_tasks), "sampling": to_dict(sampling), "cleanup": cleanup,
                    "protocol": "official AE decode + copy-back rows", "mm": mm,
                    "r_precision_ties": self.cfg.r_precision_ties}
        return self.section("edit", settings, lambda: edit_protocol(
            self.evalset("test", self.cfg.edit_limit), self.ev, self.bundle, sampling, self.cfg.edit_tasks,
            self.cfg.edit_repeats, self.seed, self.progress, cleanup=cleanup["applied"],
            mm=MMSpec(*mm) if mm else None, ties=self.cfg.r_precision_ties))

    def _retrieval(self) -> dict:
        settings = {"split": "test", "limit": self.cfg.limit, "repeats": self.cfg.retrieval_repeats}
        return self.section("retrieval", settings, lambda: retrieval_protocol(
            self.bundle, self.evalset("test", self.cfg.limit), self.cfg.retrieval_repeats, self.seed,
            progress=self.progress))

    def _reconstruction(self) -> dict:
        settings = {"split": "test", "limit": self.cfg.limit, "repeats": self.cfg.recon_repeats,
                    "r_precision_ties": self.cfg.r_precision_ties}
        return self.section("reconstruction", settings, lambda: reconstruction_protocol(
            self.evalset("test", self.cfg.limit), self.ev, self.bundle, self.cfg.recon_repeats, self.seed,
            self.progress, ties=self.cfg.r_precision_ties))

    def _corpus_recognition(self) -> dict:
        settings = {"split": "test", "limit": self.cfg.limit}
        return self.section("recognition/corpus", settings, lambda: {"zero_shot": corpus_recognition(
            self.bundle, self.evalset("test", self.cfg.limit), self.progress)})

    def _real_clips(self, kind: str) -> tuple[Any, Any]:
        """(source, clips) of a real-data set, cached under the output folder; SkipSection when absent."""
        if self.realdata is None:
            raise SkipSection(self.realdata_reason)
        source, why = realdata_source(self.realdata, kind)
        if source is None:
            raise SkipSection(why)
        return source, load_clips(source, cache=self.out / "cache" / kind)

    def _real_recognition(self, kind: str) -> dict:
        settings: dict[str, Any] = {"dataset": kind, "realdata": str(self.realdata),
                                    "finetune_steps": self.cfg.finetune_steps}

        def run() -> dict:
            source, clips = self._real_clips(kind)
            protocol = source.spec.splits[0]
            return recognition_rows(self.bundle, clips, source, protocol, self.out / "finetune" / kind,
                                    self.cfg.finetune_steps, self.seed, self.progress)

        return self.section(f"recognition/{kind}", settings, run)

    def _real_retrieval(self, kind: str) -> dict:
        settings: dict[str, Any] = {"dataset": kind, "realdata": str(self.realdata)}

        def run() -> dict:
            source, clips = self._real_clips(kind)
            return real_retrieval(self.bundle, clips, source.spec.splits[0], progress=self.progress)

        return self.section(f"retrieval/{kind}", settings, run)

    # ------------------------------------------------------------------ everything
    def run(self) -> dict:
        """Run (or reuse) every section; returns the results dict written to ``results.json``."""
        t0 = time.perf_counter()
        cfg = self.cfg
        runners: dict[str, Callable[[], dict]] = {
            "reference/real": self._real_reference,
            "generation/test": lambda: self._generation("test", cfg.limit),
        }
        if (self.source.root / "test_compositional.txt").is_file():
            runners["generation/test_compositional"] = lambda: self._generation("test_compositional",
                                                                                cfg.compositional_limit)
        runners["guidance"] = lambda: self._sweep("guidance", self.guidance_variants(), cfg.guidance_limit,
                                                  cfg.guidance_repeats)
        runners["samplers"] = lambda: self._sweep("samplers", self.sampler_variants(), cfg.sweep_limit,
                                                  cfg.sweep_repeats)
        runners["edit"] = self._edit
        runners["reconstruction"] = self._reconstruction
        runners["retrieval"] = self._retrieval
        runners["recognition/corpus"] = self._corpus_recognition
        for kind in ("hdm05", "bandai"):
            runners[f"recognition/{kind}"] = lambda kind=kind: self._real_recognition(kind)
        for kind in ("hdm05", "bandai"):
            runners[f"retrieval/{kind}"] = lambda kind=kind: self._real_retrieval(kind)
        wanted = [n for n in runners if not cfg.sections or any(n == s or n.startswith(s + "/") for s in cfg.sections)]
        sections = {name: runners[name]() for name in wanted}
        return {"meta": self.meta(time.perf_counter() - t0), "sections": sections,
                "diagnostics": {"caption_overlap": self.caption_overlap()}}

    def guidance_variants(self) -> dict[str, Sampling]:
        """The λ sweep: "λ=0" (unguided), then "λ=<λ>/<reward>" for each λ > 0 and reward weighting."""
        out = {}
        for lam in self.cfg.guidance_lambdas:
            if lam == 0:
                out["λ=0"] = self.sampling(guidance=0.0)
                continue
            for reward in self.cfg.guidance_rewards:
                out[f"λ={lam:g}/{reward}"] = self.sampling(guidance=lam, guidance_reward=reward)
        return out

    def sampler_variants(self) -> dict[str, Sampling]:
        out = {}
        for item in self.cfg.sweep:
            sampler, steps = parse_sweep_item(item)
            out[item] = self.sampling(sampler=sampler, ode_steps=steps or self.sampling().ode_steps)
        return out

    def caption_overlap(self) -> dict[str, float]:
        """What the nearest-neighbour baseline gets for free on this corpus: test captions that occur
        verbatim among the training captions (the retrieval protocol's caption identity,
        ``coamd.metrics.caption_key``), and test clips whose first caption's nearest training clip
        carries exactly the same action labels."""
        train_index = self.nearest.train
        train = {caption_key(c.text) for s in train_index.samples for c in s.captions}
        test_samples = [s for s in EvalSet(self.source, "test", seed=self.seed).index.samples if s.captions]
        test = [caption_key(c.text) for s in test_samples for c in s.captions]
        seen = sum(t in train for t in test)
        out = {"test_captions": float(len(test)), "seen_in_train": float(seen),
               "share": seen / len(test) if test else 0.0}
        labelled = [s for s in test_samples if s.labels]
        if labelled:
            rows = self.nearest.nearest([s.captions[0].text for s in labelled])
            same = sum(set(s.labels) == set(train_index.samples[int(r)].labels) for s, r in zip(labelled, rows))
            out.update(test_clips=float(len(labelled)), same_actions=float(same),
                       same_actions_share=same / len(labelled))
        return out

    def meta(self, seconds: float) -> dict:
        return {
            "command": self.command, "date": _now(), "git_commit": git_commit(), "suite": asdict(self.cfg),
            "seed": self.seed, "wall_seconds": round(seconds, 1),
            "machine": {"cpus": os.cpu_count(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
                        "device": str(self.bundle.device), "platform": platform.platform(),
                        "python": platform.python_version()},
            "bundle": {"path": str(self.bundle.root), "name": self.bundle.meta.get("name"),
                       "parts": self.identity["bundle"], "text": self.bundle.text_backend,
                       "parameters": {p: sum(x.numel() for x in m.parameters()) for p, m in self.bundle.parts.items()}},
            "evaluator": {"path": str(self.evaluator_file), "sha256": self.identity["evaluator"]},
            "corpus": {"path": str(self.source.root), "dataset": self.source.name,
                       "fingerprint": self.identity["corpus"]},
            "realdata": str(self.realdata) if self.realdata else None,
        }


def run_suite(suite: Suite, report: str | os.PathLike | None = None) -> tuple[dict, Path, Path | None]:
    """Run ``suite``; write ``<out>/results.json`` and the Markdown report (with plots beside it)."""
    from .report import summary, write_report

    results = suite.run()
    results["summary"] = summary(results)
    suite.out.mkdir(parents=True, exist_ok=True)
    path = suite.out / "results.json"
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    written = write_report(results, report) if report is not None else None
    return results, path, written


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def git_commit() -> str:
    """HEAD of the git checkout that holds this package (``+dirty`` when its source differs), or "unknown"
    (an installed package is in no checkout: git, asked from the package folder, finds none)."""
    repo = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no", "src"],
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "") if head else "unknown"


__all__ = ["FULL", "SUITES", "SkipSection", "Suite", "SuiteConfig", "git_commit", "parse_sweep_item", "run_suite",
           "suite_config"]
