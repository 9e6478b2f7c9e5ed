"""Generation speed: average inference time per sentence (AITS) (Tasks issue §7; paper-brief §3.6, §7.2).

What is timed, as AITS is usually reported: the prompt is encoded once before timing (text
encoding cached), then for each run the clock covers coarse-to-fine decoding (``steps``
transformer forwards, each on the cond + uncond batch at once, plus the flow head's ODE solves
with CFG applied to every velocity evaluation), the AE decode of every sample at its length and
the de-normalisation to joints in metres. Reported: seconds per motion (batch time / batch size,
mean over ``repeats`` timed runs after one untimed warm-up run), and the network evaluations of a
run from the generator's ``stats``: transformer forwards and flow-head evaluations (NFE).

The kinematic cleanup that ``coamd generate`` applies by default (``coamd.tasks.cleanup``) is timed
on its own, on the motions of every timed run (one motion at a time, as the tasks API does), and
reported as cleanup seconds per motion and as a share of the generation time; the sum is what a
user waits for per motion.

Weights: a bundle (``checkpoint``) or, without one, randomly initialised models of a named
config (``paper``, ``cpu-small``): timing does not depend on the weights' values, except for
the adaptive ``dopri5`` sampler, whose step count does (random weights make it take more steps
than trained ones).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..data import Normalizer
from ..device import resolve_device
from ..errors import CoamdError
from ..models import ModelConfig, build_models, load_model_config
from ..tasks import Bundle, Sampling, load_bundle
from ..tasks.codec import decode_list

PROMPT = "a person walks forward and then turns around"
LARGE = 50_000_000          # generator parameters above which defaults drop to batches 1 and 4, one repeat
DEFAULT_BATCHES = {"large": (1, 4), "small": (1, 32)}
DEFAULT_REPEATS = {"large": 1, "small": 3}


@dataclass
class SpeedRun:
    """Timings of one batch size."""

    batch: int
    seconds_per_motion: float           # mean batch time / batch
    seconds_per_batch: list[float]      # each timed run
    transformer_forwards: int           # per run; each covers 2 x batch sequences when CFG is on
    head_evaluations: int               # flow-head velocity evaluations (NFE) per run, cond + uncond batched
    sequences_per_forward: int
    cleanup_seconds_per_motion: float | None = None     # coamd.tasks.cleanup alone (None: not available)

    @property
    def cleanup_share(self) -> float | None:
        """Cleanup time as a fraction of the generation time per motion."""
        if self.cleanup_seconds_per_motion is None or self.seconds_per_motion <= 0:
            return None
        return self.cleanup_seconds_per_motion / self.seconds_per_motion

    @property
    def spread(self) -> float:
        """Standard deviation of the per-motion time over the timed runs (0 for one run)."""
        per = [t / self.batch for t in self.seconds_per_batch]
        return statistics.stdev(per) if len(per) > 1 else 0.0


@dataclass
class SpeedReport:
    config: str
    weights: str                        # "random weights" or the bundle path
    device: str
    threads: int
    torch: str
    frames: int
    tokens: int
    sampling: dict[str, Any]
    cfg_batched: bool
    text_encoding: str
    parameters: dict[str, int]
    runs: list[SpeedRun] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for run, d in zip(self.runs, out["runs"]):
            d["seconds_per_motion_std"] = run.spread
            d["cleanup_share"] = run.cleanup_share
        return out


def random_bundle(cfg: ModelConfig, device: torch.device, seed: int = 0) -> Bundle:
    """AE + generator of ``cfg`` with random weights (in memory) and identity Mean/Std."""
    torch.manual_seed(seed)           # module initialisers draw from the global generator
    parts = build_models(cfg, parts=("ae", "generator"), device=device)
    for m in parts.values():
        m.eval().requires_grad_(False)
    dim = cfg.feature_dim
    norm = Normalizer(np.zeros(dim, np.float32), np.ones(dim, np.float32))
    return Bundle(root=None, parts=parts, configs={p: cfg for p in parts}, normalizers={p: norm for p in parts},
                  text_backend="none", device=device)


def open_models(config: str, checkpoint: str | os.PathLike | None,
                device: str | torch.device) -> tuple[Bundle, str, str]:
    """(bundle with AE + generator, config name, weights description)."""
    device = resolve_device(device)
    if checkpoint is not None:
        bundle = load_bundle(checkpoint, device=device, parts=("ae", "generator"))
        for part in ("ae", "generator"):
            bundle.part(part)                        # a one-line error naming a missing part
        return bundle, str(bundle.meta.get("name") or Path(checkpoint).name), f"trained weights from {checkpoint}"
    return random_bundle(load_model_config(config), device), config, "random weights"


def _open_checked(config: str, checkpoint, device, batches, repeats: int | None, frames: int):
    """The models and the checked run shape: (bundle, name, weights, size, batches, repeats, tokens)."""
    bundle, name, weights = open_models(config, checkpoint, device)
    size = "large" if sum(p.numel() for p in bundle.generator.parameters()) > LARGE else "small"
    batches = tuple(batches or DEFAULT_BATCHES[size])
    repeats = repeats if repeats is not None else DEFAULT_REPEATS[size]
    if repeats < 1:
        raise CoamdError(f"--repeats {repeats}: must be at least 1")
    if any(b < 1 for b in batches):
        raise CoamdError(f"--batch {min(batches)}: must be at least 1")
    unit = bundle.unit_length
    if frames < unit or frames > bundle.max_tokens * unit:
        raise CoamdError(f"--frames {frames}: must lie in {unit}-{bundle.max_tokens * unit} "
                         f"(one generator segment)")
    tokens = frames // unit
    return bundle, name, weights, size, batches, repeats, tokens


def prompt_embedding(bundle: Bundle, seed: int = 0) -> torch.Tensor:
    """The prompt's sentence embedding (1, D), encoded once; random models get a fixed random unit vector."""
    if bundle.root is not None:
        return bundle.sentences([PROMPT])
    dim = bundle.config("generator").text.sentence_dim
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(1, dim, generator=g), dim=-1).to(bundle.device)


def _guided(s: Sampling) -> bool:
    """Whether decoding runs the transformer (and head) over cond + uncond (the distilled head has CFG baked in)."""
    return s.cfg_scale != 1.0 and s.sampler != "distilled"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_batch(bundle: Bundle, emb: torch.Tensor, batch: int, tokens: int, sampling: Sampling,
               seed: int, motions_out: list | None = None) -> tuple[float, dict[str, Any]]:
    """Seconds for one end-to-end run of ``batch`` motions of ``tokens`` tokens, and the generator's stats
    (the motions are appended to ``motions_out`` when given)."""
    cond = emb.expand(batch, -1).contiguous()                                    # (B, D)
    lengths = torch.full((batch,), tokens, device=bundle.device)
    rng = torch.Generator(bundle.device).manual_seed(seed)
    stats: dict[str, Any] = {}
    _sync(bundle.device)
    t0 = time.perf_counter()
    with torch.inference_mode():
        latents = bundle.generator.generate(cond, lengths, **sampling.decoding(), generator=rng,
                                            stats=stats)                          # (B, L, C)
        motions = decode_list(bundle, latents, lengths)                           # B x (T, J, 3) metres
    _sync(bundle.device)
    seconds = time.perf_counter() - t0
    if len(motions) != batch or motions[0].shape[0] != tokens * bundle.unit_length:
        raise CoamdError(f"bench: expected {batch} motions of {tokens * bundle.unit_length} frames")
    if motions_out is not None:
        motions_out.extend(motions)
    return seconds, stats


def time_cleanup(bundle: Bundle, motions: list[np.ndarray]) -> float | None:
    """Mean seconds of ``coamd.tasks.cleanup.cleanup_motion`` per motion (None when the module is absent)."""
    from .methods import cleanup_function

    fn, _ = cleanup_function()
    if fn is None or not motions:
        return None
    fps = float(bundle.fps)
    fn(motions[0], fps=fps, skeleton=bundle.skeleton)                             # warm-up (imports, caches)
    t0 = time.perf_counter()
    for m in motions:
        fn(m, fps=fps, skeleton=bundle.skeleton)
    return (time.perf_counter() - t0) / len(motions)


def bench_generate(config: str = "cpu-small", checkpoint: str | os.PathLike | None = None, *,
                   batches: tuple[int, ...] | None = None, sampling: Sampling | None = None,
                   repeats: int | None = None, frames: int = 196, device: str | torch.device = "cpu",
                   seed: int = 0, progress: bool = True) -> SpeedReport:
    """Time generation of ``frames``-frame motions at each batch size (see the module docstring)."""
    from tqdm.auto import tqdm

    sampling = sampling or Sampling(sampler="euler", ode_steps=32)
    bundle, name, weights, size, batches, repeats, tokens = _open_checked(config, checkpoint, device, batches,
                                                                          repeats, frames)
    if size == "large" and bundle.device.type == "cpu" and progress:
        tqdm.write("note: paper-size models on a CPU take minutes per timed run (the flow head alone is 271M "
                   "parameters, evaluated ode_steps times per decoding step); --batch 1 or fewer --ode-steps "
                   "give a quicker estimate")
    emb = prompt_embedding(bundle, seed)
    params = {p: sum(x.numel() for x in m.parameters()) for p, m in bundle.parts.items()}
    report = SpeedReport(config=name, weights=weights, device=str(bundle.device), threads=torch.get_num_threads(),
                         torch=torch.__version__, frames=tokens * bundle.unit_length, tokens=tokens, sampling=asdict(sampling),
                         cfg_batched=_guided(sampling), parameters=params,
                         text_encoding="cached (encoded once before timing)" if bundle.root is not None else
                         "none (random weights: a fixed random embedding stands in for the prompt)")
    warm = replace(sampling, decode_steps=1)
    bar = tqdm(total=len(batches) * repeats, desc="bench generate", unit="run", disable=not progress)
    try:
        for b in batches:
            time_batch(bundle, emb, b, tokens, warm, seed)            # warm-up: allocator, kernels, caches
            times, stats, made = [], {}, []
            for r in range(repeats):
                seconds, stats = time_batch(bundle, emb, b, tokens, sampling, seed + r, made)
                times.append(seconds)
                bar.update(1)
            report.runs.append(SpeedRun(batch=b, seconds_per_motion=statistics.fmean(times) / b,
                                        seconds_per_batch=times, transformer_forwards=int(stats["decode_steps"]),
                                        head_evaluations=int(stats["nfe"]),
                                        sequences_per_forward=b * (2 if report.cfg_batched else 1),
                                        cleanup_seconds_per_motion=time_cleanup(bundle, made)))
    finally:
        bar.close()
    return report


def bench_compare(variants: dict[str, tuple[Sampling, int]], config: str = "cpu-small",
                  checkpoint: str | os.PathLike | None = None, *, batches: tuple[int, ...] | None = None,
                  repeats: int | None = None, frames: int = 196, device: str | torch.device = "cpu", seed: int = 0,
                  progress: bool = True) -> dict[str, SpeedReport]:
    """Time several (sampling, threads) variants side by side: one model load, and for every batch size
    each variant's warm-up, then the timed runs interleaved (variant 1 run 1, variant 2 run 1, ...) so a
    change in the machine's load hits every variant alike. Returns one report per variant label."""
    from tqdm.auto import tqdm

    bundle, name, weights, _, batches, repeats, tokens = _open_checked(config, checkpoint, device, batches,
                                                                       repeats, frames)
    emb = prompt_embedding(bundle, seed)
    params = {p: sum(x.numel() for x in m.parameters()) for p, m in bundle.parts.items()}
    before = torch.get_num_threads()
    reports = {label: SpeedReport(config=name, weights=weights, device=str(bundle.device), threads=threads,
                                  torch=torch.__version__, frames=tokens * bundle.unit_length, tokens=tokens,
                                  sampling=asdict(sampling), cfg_batched=_guided(sampling), parameters=params,
                                  text_encoding="cached (encoded once before timing)" if bundle.root is not None
                                  else "none (random weights: a fixed random embedding stands in for the prompt)")
               for label, (sampling, threads) in variants.items()}
    bar = tqdm(total=len(batches) * repeats * len(variants), desc="bench generate", unit="run", disable=not progress)
    try:
        for b in batches:
            times: dict[str, list[float]] = {k: [] for k in variants}
            stats: dict[str, dict] = {}
            made: dict[str, list] = {k: [] for k in variants}
            for label, (sampling, threads) in variants.items():
                torch.set_num_threads(threads)
                warm = replace(sampling, decode_steps=1)
                time_batch(bundle, emb, b, tokens, warm, seed)
            for r in range(repeats):
                for label, (sampling, threads) in variants.items():
                    torch.set_num_threads(threads)
                    seconds, stats[label] = time_batch(bundle, emb, b, tokens, sampling, seed + r,
                                                       made[label] if r == 0 else None)
                    times[label].append(seconds)
                    bar.update(1)
            for label, (sampling, threads) in variants.items():
                torch.set_num_threads(threads)
                reports[label].runs.append(SpeedRun(
                    batch=b, seconds_per_motion=statistics.fmean(times[label]) / b, seconds_per_batch=times[label],
                    transformer_forwards=int(stats[label]["decode_steps"]), head_evaluations=int(stats[label]["nfe"]),
                    sequences_per_forward=b * (2 if reports[label].cfg_batched else 1),
                    cleanup_seconds_per_motion=time_cleanup(bundle, made[label])))
    finally:
        bar.close()
        torch.set_num_threads(before)
    return reports


def format_comparison(reports: dict[str, SpeedReport]) -> str:
    """One row per (variant, batch) and each variant's speed-up over the last one (the reference)."""
    ref_label = list(reports)[-1]
    ref = {run.batch: run for run in reports[ref_label].runs}
    first = next(iter(reports.values()))
    w = max(len(k) for k in reports)
    lines = [(f"generation speed, side by side: {first.config}, {first.weights}; device {first.device}, "
              f"torch {first.torch}; {first.frames} frames per motion; timed runs interleaved"),
             (f"{'variant':<{w}}  {'threads':>7}  {'batch':>5}  {'s/motion':>9}  {'+-':>6}  {'head NFE':>8}  "
              f"{'cleanup s':>9}  speed-up vs {ref_label}")]
    for label, r in reports.items():
        for run in r.runs:
            clean = f"{run.cleanup_seconds_per_motion:>9.3f}" if run.cleanup_seconds_per_motion is not None else \
                f"{'n/a':>9}"
            ratio = ref[run.batch].seconds_per_motion / run.seconds_per_motion if run.seconds_per_motion > 0 else 0
            lines.append(f"{label:<{w}}  {r.threads:>7}  {run.batch:>5}  {run.seconds_per_motion:>9.3f}  "
                         f"{run.spread:>6.3f}  {run.head_evaluations:>8}  {clean}  {ratio:.2f}×")
    lines.append("s/motion: generation and AE decoding (mean over the timed runs); cleanup s: coamd.tasks.cleanup per "
                 "motion on its own; speed-up: the reference's s/motion ÷ the variant's, same batch.")
    return "\n".join(lines)


def format_report(r: SpeedReport) -> str:
    """The human-readable table of ``coamd bench generate``."""
    s = r.sampling
    params = ", ".join(f"{k} {v / 1e6:.1f}M" for k, v in r.parameters.items())
    solver = {"dopri5": "dopri5 (adaptive)", "distilled": "distilled head (few Euler steps, CFG baked in)"}.get(
        s["sampler"], f"{s['sampler']} x {s['ode_steps']} ODE steps")
    lines = [
        (f"generation speed: {r.config} config, {r.weights} ({params}); device {r.device}, {r.threads} threads, "
         f"torch {r.torch}"),
        (f"{r.frames} frames ({r.tokens} tokens) per motion; {s['decode_steps']} coarse-to-fine steps, CFG {s['cfg_scale']:g}"
         f"{' (cond + uncond in one batch)' if r.cfg_batched else ''}, {solver}; text encoding {r.text_encoding}"),
        (f"{'batch':>5}  {'s/motion':>9}  {'+-':>6}  {'s/batch':>9}  {'transformer fwd':>15}  "
         f"{'head evals (NFE)':>16}  {'cleanup s/motion':>16}  {'with cleanup':>12}"),
    ]
    for run in r.runs:
        clean = run.cleanup_seconds_per_motion
        extra = (f"{clean:>9.4f} (+{100 * run.cleanup_share:.0f}%)" if clean is not None else f"{'n/a':>16}")
        total = f"{run.seconds_per_motion + clean:>12.3f}" if clean is not None else f"{'–':>12}"
        lines.append(f"{run.batch:>5}  {run.seconds_per_motion:>9.3f}  {run.spread:>6.3f}  "
                     f"{statistics.fmean(run.seconds_per_batch):>9.3f}  "
                     f"{f'{run.transformer_forwards} x {run.sequences_per_forward} seq':>15}  {run.head_evaluations:>16}  "
                     f"{extra:>16}  {total}")
    lines.append("s/motion: generation and AE decoding (what --raw gives); cleanup s/motion: coamd.tasks.cleanup "
                 "alone per motion (applied by default), with its share of s/motion; with cleanup: the sum.")
    return "\n".join(lines)
