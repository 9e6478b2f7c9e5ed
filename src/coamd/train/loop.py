"""The one trainer for every model (paper-brief §4): AdamW, warm-up + step decay, clipping, EMA,
mixed precision on CUDA, gradient accumulation, DDP, atomic checkpoints, signal-safe resume.

Exact resume: the data order is a function of (seed, epoch) and the consumed batches of the
current epoch are skipped; model/optimizer/EMA/scaler states and every RNG state are restored,
and validation runs under a forked RNG, so on CPU a resumed run reproduces the uninterrupted one.
"""

from __future__ import annotations

import contextlib
import math
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..atomic import folder_lock, remove_stale_temp_files
from ..config import save as save_config
from ..errors import CoamdError
from .checkpoint import capture_rng, load_checkpoint, prune_step_checkpoints, restore_rng, save_checkpoint
from .distributed import any_flag, barrier, mean_scalars
from .ema import EMA
from .logger import RunLogger
from .precision import apply_tf32, resolve_precision
from .sampler import EpochBatchSampler, mix_seed
from .schedule import lr_at, set_lr
from .task import TrainTask


class _LossForward(nn.Module):
    """Routes the task's loss through ``forward`` so DDP sees (and syncs) the computation."""

    def __init__(self, model: nn.Module, task: TrainTask) -> None:
        super().__init__()
        self.model = model
        self._task = [task]     # a list keeps the task out of the module tree

    def forward(self, batch: Any, generator: torch.Generator):
        return self._task[0].loss(self.model, batch, generator)


def _ignore_sigint(_worker_id: int) -> None:
    """Data workers leave Ctrl-C to the main process, which saves and exits cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class TrainResult:
    status: str                 # "done" or "interrupted"
    step: int
    epoch: int
    run_dir: Path
    best: dict[str, Any]
    last_loss: float


class Trainer:
    """Runs a ``TrainTask`` to ``max_steps``/``max_epochs``, resumable and interruptible."""

    def __init__(self, task: TrainTask, resume: bool = False, progress: bool = True,
                 resume_hint: str = "", config_dump: dict[str, Any] | None = None) -> None:
        self.task, self.ctx, self.cfg = task, task.ctx, task.ctx.cfg
        self.device, self.dist, self.run_dir = self.ctx.device, self.ctx.dist, self.ctx.run_dir
        self.progress = progress and self.dist.is_main
        self.resume, self.resume_hint, self.config_dump = resume, resume_hint, config_dump
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.step = self.epoch = self.batch_in_epoch = 0
        self.best: dict[str, Any] = {}          # set in _build: the task picks its metric in setup()
        self._stop = False
        self._last_loss = math.nan

    # ------------------------------------------------------------------ setup
    def say(self, message: str) -> None:
        if self.dist.is_main:
            tqdm.write(message)

    def _seed_everything(self, rank: int) -> None:
        """Seed torch/NumPy/Python RNGs and the trainer's generator from (seed, rank)."""
        s = mix_seed(self.cfg.seed, rank)
        torch.manual_seed(s)
        np.random.seed(s % 2**32)
        random.seed(s)
        self.generator = torch.Generator(device=self.device).manual_seed(mix_seed(self.cfg.seed, rank, 1))

    def _amp(self) -> tuple[bool, torch.dtype]:
        cuda = self.device.type == "cuda"
        self.precision = resolve_precision(self.cfg.amp, self.device.type,
                                           bf16_supported=cuda and torch.cuda.is_bf16_supported(),
                                           tf32=getattr(self.cfg, "tf32", True))
        if self.precision.note:
            self.say(self.precision.note)
        if cuda:
            apply_tf32(self.precision)
        return self.precision.autocast, self.precision.dtype

    def _build(self) -> None:
        self._seed_everything(0)                # the same initial weights on every rank
        self.task.setup()
        self.best = {"metric": self.task.val_metric, "mode": self.task.val_mode, "value": None, "step": -1}
        self.model = self.task.build_model().to(self.device)
        self._seed_everything(self.dist.rank)   # then independent dropout/noise per rank
        params = self.task.trainable_parameters(self.model)
        if not params:
            raise CoamdError(f"{self.task.kind}: the model has no trainable parameters")
        self.optimizer = torch.optim.AdamW(params, lr=self.cfg.lr, betas=tuple(self.cfg.betas),
                                           weight_decay=self.cfg.weight_decay)
        self.amp, self.amp_dtype = self._amp()
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and self.amp_dtype == torch.float16)
        latest = self.ckpt_dir / "latest.pt"
        if self.resume:
            if not latest.is_file():
                raise CoamdError(f"--resume: no checkpoint at {latest}")
            self._load(latest)
        else:
            self.task.on_fresh_start(self.model)
        self.ema = EMA(self.model, self.cfg.ema_decay) if self.cfg.ema_decay > 0 else None
        if self.ema is not None and self._ema_state is not None:
            self.ema.load_state_dict(self._ema_state)
        self.loss_module: nn.Module = _LossForward(self.model, self.task)
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            self.loss_module = DDP(self.loss_module, device_ids=[self.device] if self.device.type == "cuda" else None,
                                   find_unused_parameters=self.task.find_unused_parameters)
        dataset = self.task.train_dataset()
        self.dataset = dataset
        self.sampler = EpochBatchSampler(len(dataset), self.cfg.batch_size, self.cfg.seed, self.dist.rank,
                                         self.dist.world)
        if len(self.sampler) == 0:
            raise CoamdError(f"{self.task.kind}: {len(dataset)} training samples are fewer than one global batch "
                             f"of {self.sampler.global_batch}; lower batch_size or add data")

    def _load(self, path: Path) -> None:
        # on the CPU: load_state_dict copies weights and optimizer/EMA state to the model's device,
        # and the RNG states must stay host tensors
        ckpt = load_checkpoint(path, kind=self.task.kind, map_location="cpu")
        tr = ckpt["train"]
        self.model.load_state_dict(tr["model"])
        self.optimizer.load_state_dict(tr["optimizer"])
        if tr.get("scaler"):
            self.scaler.load_state_dict(tr["scaler"])
        self._ema_state = tr.get("ema")
        self.step, self.epoch, self.batch_in_epoch = tr["step"], tr["epoch"], tr["batch_in_epoch"]
        stored = tr.get("best") or {}
        self.best.update(value=stored.get("value"), step=stored.get("step", -1))
        rngs = tr.get("rng_per_rank", [])
        if len(rngs) == self.dist.world:
            restore_rng(rngs[self.dist.rank], self.generator)
        else:
            self.say(f"resume: the checkpoint holds RNG states for {len(rngs)} process(es), this run has "
                     f"{self.dist.world}; random streams restart from the seed")
        self.say(f"resumed from {path} at step {self.step} (epoch {self.epoch}, batch {self.batch_in_epoch})")

    _ema_state: dict | None = None

    # ------------------------------------------------------------------ state
    def _state(self) -> dict[str, Any]:
        rng = capture_rng(self.generator)
        rngs = [rng]
        if self.dist.enabled:
            rngs = [None] * self.dist.world if self.dist.is_main else None
            dist.gather_object(rng, rngs, dst=0)
        raw = self.model.state_dict()
        ema = self.ema.state_dict() if self.ema is not None else None
        return {
            "kind": self.task.kind,
            "model_config": self.task.model_config(),
            "state": {self.task.kind: ema if ema is not None else raw},
            "extra": self.task.extra_state(),
            "train": {
                "model": raw,
                "ema": ema,
                "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None,
                "scheduler": {"step": self.step, "base_lr": self.cfg.lr, "warmup_steps": self.cfg.warmup_steps,
                              "milestones": list(self.cfg.milestones), "gamma": self.cfg.gamma},
                "step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch,
                "rng_per_rank": rngs,
                "best": dict(self.best),
                "config": self.config_dump or {},
                "world": self.dist.world,
            },
        }

    def save(self, best: bool = False) -> Path | None:
        """Write latest.pt (and step_N.pt / best.pt); every rank must call it (RNG states are gathered)."""
        state = self._state()
        if not self.dist.is_main:
            return None
        if getattr(self, "logger", None) is not None:
            self.logger.sync()  # the log rows up to this step are on disk before the checkpoint says so
        latest = save_checkpoint(self.ckpt_dir / "latest.pt", state)
        if self.cfg.keep_checkpoints > 0 and self.cfg.ckpt_every > 0 and self.step % self.cfg.ckpt_every == 0:
            save_checkpoint(self.ckpt_dir / f"step_{self.step}.pt", state)
            prune_step_checkpoints(self.ckpt_dir, self.cfg.keep_checkpoints)
        if best:
            save_checkpoint(self.ckpt_dir / "best.pt", state)
        return latest

    # ------------------------------------------------------------------ data
    def _batches(self) -> Iterator[Any]:
        """Micro-batches forever, advancing (epoch, batch_in_epoch) eagerly so state is always current."""
        while True:
            self.sampler.set_epoch(self.epoch, skip=self.batch_in_epoch)
            if hasattr(self.dataset, "set_epoch"):
                self.dataset.set_epoch(self.epoch)
            # a private generator: creating the iterator must not draw from the global torch RNG
            order = torch.Generator().manual_seed(mix_seed(self.cfg.seed, self.epoch, self.dist.rank))
            loader = DataLoader(self.dataset, batch_sampler=self.sampler, collate_fn=self.task.collate,
                                num_workers=self.cfg.num_workers, worker_init_fn=_ignore_sigint,
                                pin_memory=self.device.type == "cuda", generator=order)
            n = len(self.sampler)
            for batch in loader:
                self.batch_in_epoch += 1
                if self.batch_in_epoch >= n:
                    self.epoch, self.batch_in_epoch = self.epoch + 1, 0
                yield batch

    # ------------------------------------------------------------------ signals
    def _on_signal(self, signum, _frame) -> None:
        if self._stop:                               # a second Ctrl-C: stop right now
            raise KeyboardInterrupt
        self._stop = True
        self.say(f"{signal.Signals(signum).name} received: finishing this step, then saving a checkpoint")

    @contextlib.contextmanager
    def _signals(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    # ------------------------------------------------------------------ validation
    def validate(self) -> dict[str, float]:
        """Validation on rank 0 with the EMA weights (if any); never disturbs the training RNG."""
        metrics: dict[str, float] = {}
        if self.dist.is_main:
            model = self.ema.model if self.ema is not None else self.model
            was_training = model.training
            model.eval()
            devices = [self.device] if self.device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices), torch.no_grad(), self._autocast():
                gen = torch.Generator(device=self.device).manual_seed(mix_seed(self.cfg.seed, 12345))
                metrics = self.task.validate(model, gen)
            model.train(was_training)
        barrier(self.dist)
        return metrics

    def _autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def _better(self, value: float) -> bool:
        old = self.best.get("value")
        if value is None or not math.isfinite(value):
            return False
        return old is None or (value < old if self.best["mode"] == "min" else value > old)

    def _run_validation(self, bar) -> bool:
        metrics = self.validate()
        is_best = False
        if self.dist.is_main and metrics:
            self.logger.log_val(self.step, {"epoch": self.epoch, **metrics})
            value = metrics.get(self.task.val_metric)
            is_best = self._better(value)
            if is_best:
                self.best.update(value=float(value), step=self.step)
            shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
            bar.write(f"step {self.step}: val {shown}" + ("  (best)" if is_best else ""))
        return bool(any_flag(is_best, self.dist, self.device))

    # ------------------------------------------------------------------ main loop
    def _done(self) -> bool:
        return (self.cfg.max_steps > 0 and self.step >= self.cfg.max_steps) or \
               (self.cfg.max_epochs > 0 and self.epoch >= self.cfg.max_epochs)

    def _total_steps(self) -> int:
        per_epoch = len(self.sampler) // self.cfg.accumulation
        by_epochs = self.cfg.max_epochs * per_epoch if self.cfg.max_epochs > 0 else 0
        return min(x for x in (self.cfg.max_steps, by_epochs) if x > 0) if (self.cfg.max_steps or by_epochs) else 0

    def fit(self) -> TrainResult:
        """Train to the end (or an interruption) while holding the run folder's lock (rank 0)."""
        if not self.dist.is_main:
            return self._fit()
        with folder_lock(self.run_dir, "run folder"):
            if self.ckpt_dir.is_dir():
                remove_stale_temp_files(self.ckpt_dir)  # half-written checkpoints of a killed run
            if self.run_dir.is_dir():
                remove_stale_temp_files(self.run_dir)
            return self._fit()

    def _fit(self) -> TrainResult:
        self._build()
        cfg = self.cfg
        if self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            if self.config_dump is not None:
                import yaml

                from ..atomic import atomic_open

                with atomic_open(self.run_dir / "config.yaml", "w") as f:
                    yaml.safe_dump(self.config_dump, f, sort_keys=False)
            else:
                save_config(cfg, self.run_dir / "config.yaml")
        self.logger = RunLogger(self.run_dir, self.step if self.resume else None) if self.dist.is_main else None
        n_params = sum(p.numel() for p in self.task.trainable_parameters(self.model))
        gb = cfg.batch_size * self.dist.world * cfg.accumulation
        self.say(f"training {self.task.kind}: {n_params / 1e6:.2f}M trainable parameters, {len(self.dataset)} samples, "
                 f"global batch {gb} = {cfg.batch_size} per process x {self.dist.world} process(es) x "
                 f"{cfg.accumulation} accumulation, {len(self.sampler)} batches/epoch, device {self.device}"
                 + (f", precision {self.precision.name}" if self.device.type == "cuda" else ""))
        total = self._total_steps()
        bar = tqdm(total=total or None, initial=self.step, desc=f"train {self.task.kind}", unit="step",
                   disable=not self.progress, dynamic_ncols=True)
        batches = self._batches()
        window: dict[str, float] = {}
        n_window, t_window = 0, time.perf_counter()
        status = "done"
        self.model.train()
        try:
            with self._signals():
                while not self._done():
                    logs = self._train_step(batches)
                    for k, v in logs.items():
                        window[k] = window.get(k, 0.0) + v
                    n_window += 1
                    if cfg.log_every and self.step % cfg.log_every == 0:
                        avg = mean_scalars({k: v / n_window for k, v in window.items()}, self.dist, self.device)
                        dt = time.perf_counter() - t_window
                        avg.update(lr=self.optimizer.param_groups[0]["lr"], epoch=self.epoch,
                                   samples_per_s=n_window * gb / max(dt, 1e-9))
                        if self.logger is not None:
                            self.logger.log_train(self.step, avg)
                        bar.set_postfix(loss=f"{avg.get('loss', math.nan):.4g}", lr=f"{avg['lr']:.2e}",
                                        sps=f"{avg['samples_per_s']:.0f}")
                        window, n_window, t_window = {}, 0, time.perf_counter()
                    bar.update(1)
                    is_best = False
                    if cfg.val_every and self.step % cfg.val_every == 0:
                        is_best = self._run_validation(bar)
                    if (cfg.ckpt_every and self.step % cfg.ckpt_every == 0) or is_best:
                        self.save(best=is_best)
                    if any_flag(self._stop, self.dist, self.device):
                        status = "interrupted"
                        break
            is_best = False
            if status == "done" and (not cfg.val_every or self.step % cfg.val_every != 0):
                is_best = self._run_validation(bar)
            path = self.save(best=is_best or (status == "done" and not (self.ckpt_dir / "best.pt").exists()))
        finally:
            bar.close()
            if self.logger is not None:
                self.logger.close()
        if status == "interrupted":
            self.say(f"interrupted at step {self.step} (epoch {self.epoch}); saved {path}"
                     + (f"; resume with: {self.resume_hint}" if self.resume_hint else ""))
        elif self.dist.is_main:
            self.say(f"finished {self.task.kind} at step {self.step} (epoch {self.epoch}); checkpoints in {self.ckpt_dir}")
        return TrainResult(status, self.step, self.epoch, self.run_dir, dict(self.best), self._last_loss)

    def _train_step(self, batches: Iterator[Any]) -> dict[str, float]:
        cfg = self.cfg
        set_lr(self.optimizer, lr_at(self.step, cfg.lr, cfg.warmup_steps, cfg.milestones, cfg.gamma))
        self.optimizer.zero_grad(set_to_none=True)
        totals: dict[str, float] = {}
        for micro in range(cfg.accumulation):
            batch = next(batches)
            sync_off = self.dist.enabled and micro < cfg.accumulation - 1
            with (self.loss_module.no_sync() if sync_off else contextlib.nullcontext()), self._autocast():
                loss, logs = self.loss_module(batch, self.generator)
            if not torch.isfinite(loss):
                raise CoamdError(f"{self.task.kind}: loss is {loss.item()} at step {self.step}; lower lr or check the data")
            self.scaler.scale(loss / cfg.accumulation).backward()
            totals["loss"] = totals.get("loss", 0.0) + float(loss.detach()) / cfg.accumulation
            for k, v in logs.items():
                if k != "loss":
                    totals[k] = totals.get(k, 0.0) + float(v) / cfg.accumulation
        self.scaler.unscale_(self.optimizer)
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        if cfg.grad_clip > 0:
            totals["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip))
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.ema is not None:
            self.ema.update(self.model)
        self.step += 1
        self._last_loss = totals["loss"]
        return totals
