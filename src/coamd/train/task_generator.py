"""``coamd train generator``: the masked generator + flow head on frozen-AE latents (paper-brief §3.3-§3.5, §4).

The AE comes from ``ae_checkpoint`` (default: the ``ae`` run beside this run, i.e. ``RUN/../ae``,
else the bundled AE of ``$COAMD_BUNDLE`` or ``coamd/weights/cpu-small``);
its Mean/Std and latent width are used, and the training/val splits are encoded once with it
(`latents.py`). Captions condition through their frozen sentence embeddings (the persistent text
cache). Loss: flow matching on MARDM-masked tokens (``MaskedGenerator.loss``) with the trainer's
generator for every random draw; EMA weights (0.9999) are what best.pt/latest.pt hold for inference.
Validation: the flow-matching loss on the val split with a fixed seed (best.pt minimises it).

``crop`` (train config): ``tokens`` (default) crops the pre-encoded latents at whole-token offsets;
``frames`` is upstream's recipe: T2M crops at any frame offset, encoded by the frozen AE (no_grad,
eval mode) every step (slower: one AE encoder pass per batch). Validation uses the pre-encoded
whole samples either way.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from ..data import Normalizer
from ..errors import CoamdError
from ..models import build_autoencoder, build_generator, load_module
from ..models import load_checkpoint as load_model_checkpoint
from ..models.bundle_meta import bundle_part_path, default_bundle_path
from .checkpoint import CheckpointError, checkpoint_file, file_hash
from .common import MotionTask, batches
from .data import normalizer_from_extra
from .distributed import barrier
from .latents import FrameCropDataset, LatentTextDataset, cached_latents, collate_frames, collate_latents, encode_split


def find_ae_checkpoint(given: str, run_dir: Path) -> Path:
    """``ae_checkpoint`` if set (a checkpoint, run or bundle folder), else the AE run beside this run
    (``RUN/../ae``), else the bundled AE."""
    if given:
        path = Path(given).expanduser()
        return bundle_part_path(path, "ae") or checkpoint_file(path)
    sibling = run_dir.resolve().parent / "ae"
    try:
        return checkpoint_file(sibling)
    except CheckpointError:
        pass
    bundled = bundle_part_path(default_bundle_path(), "ae")
    if bundled is not None:
        return bundled
    raise CoamdError(f"no AE checkpoint: train one with 'coamd train ae --out {sibling}' or pass "
                     "ae_checkpoint=PATH (a checkpoint, run or bundle folder)")


class GeneratorTask(MotionTask):
    kind = "generator"
    val_metric = "loss"
    val_mode = "min"

    def __init__(self, ctx, model_cfg, source) -> None:
        self.ae_path = find_ae_checkpoint(ctx.cfg.ae_checkpoint, ctx.run_dir)
        ae_cfg, self.ae_payload = load_model_checkpoint(self.ae_path)
        if (ae_cfg.ae, ae_cfg.skeleton) != (model_cfg.ae, model_cfg.skeleton):
            model_cfg = dataclasses.replace(model_cfg, ae=ae_cfg.ae, skeleton=ae_cfg.skeleton)
        super().__init__(ctx, model_cfg, source)

    def setup(self) -> None:
        train, val = self.text_motion_splits()
        preset = normalizer_from_extra(self.ae_payload.get("extra", {}))
        if preset is None and (self.ae_path.parent / "Mean.npy").is_file():      # a bundle's shared Mean/Std
            preset = Normalizer.load(self.ae_path.parent)
        self.set_normalizer((train.full_motion(k) for k in train.motion_ids), preset)
        self.ae_hash = file_hash(self.ae_path)
        folder = self.ctx.run_dir / "latents"
        unit, cap = self.model_cfg.unit_length, self.source.spec.max_length
        data = {}
        self.frame_ae: nn.Module | None = None
        if self.cfg.crop == "frames":
            self.frame_ae = load_module(build_autoencoder(self.model_cfg), self.ae_payload, "ae",
                                        self.ae_path).to(self.device).eval().requires_grad_(False)
        if self.ctx.dist.is_main:
            ae = load_module(build_autoencoder(self.model_cfg), self.ae_payload, "ae", self.ae_path).to(self.device)
            for name, index in (("train", train), ("val", val)):
                data[name] = cached_latents(folder / f"{self.ae_hash}-{name}.npz",
                                            lambda index=index: encode_split(ae, index, self.normalizer, unit, cap,
                                                                             self.device, progress=self.ctx.progress))
            del ae
        barrier(self.ctx.dist)
        for name in ("train", "val"):
            if name not in data:
                data[name] = cached_latents(folder / f"{self.ae_hash}-{name}.npz", lambda: None)
        max_tokens = min(cap // unit, self.model_cfg.generator.max_tokens)
        caps = {name: [[c.text for c in s.captions] for s in index.samples] for name, index in
                (("train", train), ("val", val))}
        if self.frame_ae is not None:
            self.train_set = FrameCropDataset(train, self.normalizer, unit, min(cap, max_tokens * unit),
                                              seed=self.cfg.seed)
        else:
            self.train_set = LatentTextDataset(data["train"]["latents"], data["train"]["offsets"], caps["train"],
                                               seed=self.cfg.seed, max_tokens=max_tokens)
        self.val_set = LatentTextDataset(data["val"]["latents"], data["val"]["offsets"], caps["val"],
                                         seed=self.cfg.seed, random_crop=False, max_tokens=max_tokens)
        self.table = self.text_table([c for v in caps.values() for cs in v for c in cs], desc="captions")
        self.say(f"generator data: AE {self.ae_path} ({self.ae_hash}); {len(self.train_set)} training / "
                 f"{len(self.val_set)} val samples, {len(data['train']['latents'])} training tokens"
                 + ("; frame-offset crops encoded every step (crop=frames)" if self.frame_ae is not None else ""))

    def build_model(self) -> nn.Module:
        return build_generator(self.model_cfg)

    def train_dataset(self) -> Dataset:
        return self.train_set

    def collate(self, items: list[dict]) -> dict:
        return collate_frames(items) if "frames" in items[0] else collate_latents(items)

    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        if "frames" in batch:                                                  # crop=frames: encode the crops now
            with torch.no_grad():
                z = self.frame_ae.encode(batch["frames"].to(self.device, non_blocking=True)).float()   # (B, L, C)
        else:
            z = batch["latents"].to(self.device, non_blocking=True)           # (B, L, C)
        cond = self.table.sentences(batch["caption"])                          # (B, D)
        return model.loss(z, batch["length"].to(self.device), cond, generator)

    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        total, count = 0.0, 0
        for rows in batches(len(self.val_set), 32, self.cfg.val_batches):
            batch = self.collate([self.val_set[i] for i in rows])
            loss, _ = self.loss(model, batch, generator)
            total += float(loss) * len(rows)
            count += len(rows)
        return {"loss": total / count} if count else {}

    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "ae_checkpoint": str(self.ae_path), "ae_hash": self.ae_hash,
                "unit_length": self.model_cfg.unit_length}
