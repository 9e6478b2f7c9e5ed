"""``coamd demo --train``: retrain the small models on the demo's fresh corpus (paper-brief §4, scaled down).

The four parts train one after another with the library's trainer (:class:`coamd.train.Trainer`,
the same code as ``coamd train``), on the ``cpu-small`` architecture and recipes with far fewer
steps (:data:`STEPS`, times ``scale``), so the whole demo stays within about 20 minutes on 2 CPU
cores. The runs go to ``OUT/runs/<part>`` (built under a temporary name: an interrupted training
leaves no half-made runs), then ``coamd.tasks.make_bundle`` assembles ``OUT/weights``. Models
this short-trained are rough: the point is the whole pipeline on data you just made.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from ..atomic import atomic_dir
from ..data import resolve_data
from ..data.humanml3d import read_split
from ..errors import CoamdError
from ..models import load_model_config
from ..tasks import make_bundle
from ..train import TaskContext, Trainer, load_train_config
from ..train.distributed import DistInfo
from ..train.tasks import build_task

ORDER = ("ae", "mar", "length", "generator")     # the generator encodes the corpus with the new AE

# Optimizer steps per part at scale 1 (cpu-small recipes run 3k-10k steps each) and batch sizes
# (cpu-small's; capped at half the training clips for tiny corpora).
STEPS = {"ae": 1000, "mar": 300, "length": 300, "generator": 1200}
BATCH = {"ae": 64, "mar": 32, "length": 64, "generator": 32}

# Recipe changes besides the step count: shorter warm-up, decay near the end, a faster EMA.
RECIPE = {
    "ae": {"warmup_steps": 0.1, "milestones": 0.8, "window_stride": 4},
    "mar": {"warmup_steps": 0.1},
    "length": {"warmup_steps": 0.1},
    "generator": {"warmup_steps": 0.1, "milestones": 0.85, "ema_decay": 0.99},
}


def part_overrides(kind: str, scale: float, seed: int, text: str, train_clips: int) -> list[str]:
    """``key=value`` recipe overrides of ``kind`` for ``scale`` x the demo's step count."""
    steps = max(2, round(STEPS[kind] * scale))
    batch = BATCH[kind] if kind == "ae" else min(BATCH[kind], max(2, train_clips // 2))
    out = [f"max_steps={steps}", f"batch_size={batch}", "max_epochs=0", "val_every=0", "ckpt_every=0", f"log_every={max(1, steps // 20)}",
           f"seed={seed}", f"text={text}", "keep_checkpoints=0"]
    for key, value in RECIPE[kind].items():
        if key == "warmup_steps":
            out.append(f"warmup_steps={max(1, int(value * steps))}")
        elif key == "milestones":
            out.append(f"milestones=[{max(1, int(value * steps))}]")
        else:
            out.append(f"{key}={value}")
    return out


def train_models(corpus: str | os.PathLike, out: str | os.PathLike, *, scale: float = 1.0, seed: int = 0,
                 device: str | torch.device = "cpu", text: str = "minilm", config: str = "cpu-small",
                 model_overrides: Sequence[str] = (), progress: bool = True,
                 on_part: Callable[[str, float], None] | None = None) -> Path:
    """Train AE, MAR, length estimator and generator on ``corpus`` into ``out/runs`` and bundle them
    into ``out/weights``; returns the bundle folder. ``on_part(kind, seconds)`` reports each part's time.

    Ctrl-C stops the current part (the trainer saves it), removes the unfinished runs and raises
    ``KeyboardInterrupt``.
    """
    if not scale > 0:
        raise CoamdError(f"--train-scale {scale}: must be a positive number")
    out = Path(out)
    device = torch.device(device)
    source = resolve_data(f"synth:{Path(corpus).resolve()}")
    model_cfg = load_model_config(config, list(model_overrides))
    runs = out / "runs"
    train_clips = len(read_split(source.root, "train"))
    with atomic_dir(runs, overwrite=True) as tmp:
        for kind in ORDER:
            t0 = time.perf_counter()
            over = part_overrides(kind, scale, seed, text, train_clips)
            if kind == "generator":
                over.append(f"ae_checkpoint={tmp / 'ae'}")
            cfg = load_train_config(kind, config, over)
            cfg.data = f"{source.name}:{source.root}"
            ctx = TaskContext(cfg=cfg, device=device, dist=DistInfo(), run_dir=tmp / kind, progress=progress)
            task = build_task(kind, ctx, model_cfg, source)
            result = Trainer(task, progress=progress).fit()
            if result.status != "done":
                raise KeyboardInterrupt
            if on_part is not None:
                on_part(kind, time.perf_counter() - t0)
    return make_bundle(runs, out / "weights", name="demo-trained", defaults={"sampler": "euler", "ode_steps": 16},
                       overwrite=True)

