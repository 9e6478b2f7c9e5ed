"""``coamd train distill``: a few-step student of the generator's flow head (issue 12, docs/speed.md).

The teacher is a trained generator (``generator=``: a bundle folder, run or checkpoint; default the
bundled one), frozen. Each training step takes corpus training clips, masks a cosine-ratio subset of
their tokens to ``mask_latent`` the way decoding does (the rest keep their clean AE latents), runs the
teacher transformer once over [text; null text] and, for every masked token, solves the teacher's
guided ODE (CFG ``cfg_scale``) from fresh Gaussian noise with ``teacher`` (e.g. ``midpoint:8``: 16
evaluations; ``dopri5``). The student -- a ``FlowHead`` of the teacher's size, initialised from the
teacher's head -- sees the text condition only and is trained so that ``student_steps`` Euler steps
from the same noise land on the teacher's solution (MSE, backpropagated through every step). So the
student bakes guidance in: sampling needs one transformer pass and ``student_steps`` head evaluations
on the masked tokens, instead of two and 2 x ODE steps.

The checkpoint's ``state['distill']`` holds the student (EMA weights when ``ema_decay`` > 0) and
``extra`` its ``student_steps``, ``cfg_scale`` and teacher; a bundle ships it as ``flow_head_distilled.pt``
(``coamd.tasks.bundle``) and ``--sampler distilled`` uses it. Validation: the same objective on a
fixed sample of the val split (fixed masks and noise; the teacher's solutions are computed once),
with the teacher's own guided Euler at ``student_steps`` as the reference a student should beat.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..diffusion import METHODS, integrate
from ..errors import CoamdError
from ..models import build_generator, load_module
from ..models import load_checkpoint as load_model_checkpoint
from ..models.bundle_meta import bundle_part_path, default_bundle_path, is_bundle
from ..models.layers import lengths_to_mask
from .checkpoint import checkpoint_file
from .common import batches
from .task_generator import GeneratorTask


def parse_teacher(spec: str) -> tuple[str, int]:
    """'dopri5' / 'midpoint:8' / 'euler:16' -> (ODE method, steps)."""
    name, _, steps = spec.partition(":")
    if name not in METHODS:
        raise CoamdError(f"teacher: {spec!r} is not an ODE solver ({', '.join(METHODS)}, optionally :STEPS)")
    try:
        k = int(steps) if steps else 16
    except ValueError:
        raise CoamdError(f"teacher: {spec!r}: the steps after ':' must be an integer") from None
    if k < 1:
        raise CoamdError(f"teacher: {spec!r}: steps must be at least 1")
    return name, k


def find_generator_checkpoint(given: str) -> Path:
    """``generator`` if set (a checkpoint, run or bundle folder), else the bundled generator."""
    path = Path(given).expanduser() if given else default_bundle_path()
    if is_bundle(path):
        part = bundle_part_path(path, "generator")
        if part is None:
            raise CoamdError(f"generator={path}: the bundle has no generator")
        return part
    return checkpoint_file(path)


def student_rollout(student: nn.Module, x0: Tensor, z: Tensor, steps: int) -> Tensor:
    """``steps`` uniform Euler steps of ``student`` from noise x0 (M, C) at t=0 to t=1 under conditions z (M, H)."""
    x = x0
    for k in range(steps):
        t = torch.full((x.shape[0],), k / steps, device=x.device, dtype=x.dtype)
        x = x + student(x, t, z) / steps
    return x


class DistillTask(GeneratorTask):
    kind = "distill"
    val_metric = "loss"
    val_mode = "min"

    def __init__(self, ctx, model_cfg, source) -> None:
        cfg = ctx.cfg
        if cfg.student_steps < 1:
            raise CoamdError(f"student_steps: must be at least 1, got {cfg.student_steps}")
        if not (math.isfinite(cfg.cfg_scale) and cfg.cfg_scale >= 0):
            raise CoamdError(f"cfg_scale: must be a finite number >= 0, got {cfg.cfg_scale}")
        if cfg.samples_per_token < 1:
            raise CoamdError(f"samples_per_token: must be at least 1, got {cfg.samples_per_token}")
        if getattr(cfg, "crop", "tokens") != "tokens":
            raise CoamdError(f"crop={cfg.crop}: distillation trains on the pre-encoded token crops (crop=tokens)")
        self.teacher_method, self.teacher_steps = parse_teacher(cfg.teacher)
        self.gen_path = find_generator_checkpoint(cfg.generator)
        gen_cfg, self.gen_payload = load_model_checkpoint(self.gen_path)
        if not cfg.ae_checkpoint and is_bundle(self.gen_path.parent):
            ctx = dataclasses.replace(ctx, cfg=dataclasses.replace(cfg, ae_checkpoint=str(self.gen_path.parent)))
        super().__init__(ctx, gen_cfg, source)          # the teacher's architecture, its AE's latents
        self._val: list[dict[str, Tensor]] | None = None

    # ------------------------------------------------------------------ models
    def setup(self) -> None:
        super().setup()
        teacher = build_generator(self.model_cfg)
        load_module(teacher, self.gen_payload, "generator", self.gen_path)
        self.teacher = teacher.to(self.device).eval().requires_grad_(False)
        self.say(f"distill: teacher {self.gen_path} ({self.teacher_method} x{self.teacher_steps}, CFG "
                 f"{self.cfg.cfg_scale:g}) -> student with {self.cfg.student_steps} Euler step(s), text condition only")

    def build_model(self) -> nn.Module:
        return copy.deepcopy(self.teacher.head).train().requires_grad_(True)

    # ------------------------------------------------------------------ data
    @torch.no_grad()
    def _pairs(self, batch: dict, generator: torch.Generator) -> dict[str, Tensor]:
        """Conditions, noise and the teacher's solutions for the masked tokens of ``batch``."""
        teacher, dev = self.teacher, self.device
        z = batch["latents"].to(dev)                                               # (B, L, C)
        lengths = batch["length"].to(dev)
        B, L, C = z.shape
        valid = lengths_to_mask(lengths, L)                                        # (B, L)
        ratio = torch.cos(0.5 * math.pi * torch.rand(B, device=dev, generator=generator))
        n = torch.round(lengths * ratio).clamp(min=1)
        scores = torch.rand(B, L, device=dev, generator=generator).masked_fill(~valid, 2.0)
        masked = scores.argsort(dim=1).argsort(dim=1) < n[:, None]                 # (B, L), as decoding draws
        x = torch.where(masked[..., None], teacher.mask_latent, z)
        x = torch.where(valid[..., None], x, torch.zeros((), device=dev))
        cond = self.table.sentences(batch["caption"]).to(dev)                      # (B, D)
        h = teacher(torch.cat([x, x]), torch.cat([valid, valid]), torch.cat([cond, torch.zeros_like(cond)]))
        z_c, z_u = (part[masked] for part in h.chunk(2))                           # (M, H) each
        r = self.cfg.samples_per_token
        z_c, z_u = z_c.repeat(r, 1), z_u.repeat(r, 1)
        x0 = torch.randn(z_c.shape[0], C, device=dev, generator=generator)
        M = x0.shape[0]

        def velocity(xt: Tensor, t: Tensor) -> Tensor:
            return teacher.head.guided_velocity(xt, t.expand(M), z_c, z_u, self.cfg.cfg_scale)

        x1, _ = integrate(velocity, x0, self.teacher_method, steps=self.teacher_steps)
        return {"z_c": z_c, "z_u": z_u, "x0": x0, "x1": x1}

    # ------------------------------------------------------------------ objective
    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        p = self._pairs(batch, generator)
        out = student_rollout(model, p["x0"], p["z_c"], self.cfg.student_steps)
        loss = (out - p["x1"]).pow(2).mean()
        return loss, {"loss": loss.item(), "tokens": float(p["x0"].shape[0])}

    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        if self._val is None:                          # fixed masks, noise and teacher solutions
            g = torch.Generator(device=self.device).manual_seed(self.cfg.seed + 1)
            self._val = []
            for rows in batches(len(self.val_set), 32, self.cfg.val_batches):
                p = self._pairs(self.collate([self.val_set[i] for i in rows]), g)
                steps = self.cfg.student_steps

                def velocity(xt: Tensor, t: Tensor, p=p) -> Tensor:
                    return self.teacher.head.guided_velocity(xt, t.expand(p["x0"].shape[0]), p["z_c"], p["z_u"],
                                                             self.cfg.cfg_scale)

                p["euler"] = integrate(velocity, p["x0"], "euler", steps=steps)[0]   # the baseline to beat
                self._val.append(p)
        was = model.training
        model.eval()
        err = base = power = 0.0
        count = 0
        for p in self._val:
            out = student_rollout(model, p["x0"], p["z_c"], self.cfg.student_steps)
            err += float((out - p["x1"]).pow(2).sum())
            base += float((p["euler"] - p["x1"]).pow(2).sum())
            power += float(p["x1"].pow(2).sum())
            count += p["x1"].numel()
        model.train(was)
        if count == 0:
            return {}
        return {"loss": err / count, "rel_rmse": math.sqrt(err / power),
                "teacher_euler_rel_rmse": math.sqrt(base / power)}

    # ------------------------------------------------------------------ checkpoint contents
    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "generator_checkpoint": str(self.gen_path),
                "student_steps": int(self.cfg.student_steps), "cfg_scale": float(self.cfg.cfg_scale),
                "teacher": f"{self.teacher_method}:{self.teacher_steps}"}
