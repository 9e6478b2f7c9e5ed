"""``coamd train ae``: the 3-stream autoencoder on every 64-frame window (paper-brief §2.1, §3.1, §4).

Loss: SmoothL1 on joints + bones + velocities in normalised coordinates (``MotionAutoencoder.loss``).
Validation: MPJPE in mm on de-normalised joints of whole val motions (cropped to at most 196
frames, a multiple of 4), the real MPJPE the release lacks (§9.8); best.pt minimises it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from ..data import MotionWindows, collate_motion
from ..metrics import mpjpe
from ..models import build_autoencoder
from .common import MotionTask, batches


class AETask(MotionTask):
    kind = "ae"
    val_metric = "mpjpe_mm"
    val_mode = "min"

    def setup(self) -> None:
        spec = self.source.spec
        if self.source.text_motion:
            train, val = self.text_motion_splits(need_captions=False)
            motions = [train.full_motion(k) for k in train.motion_ids]
            val_motions = [val.full_motion(k) for k in val.motion_ids]
        else:
            clips, tr, va = self.labelled_clips()
            motions, val_motions = [clips.motion(int(i)) for i in tr], [clips.motion(int(i)) for i in va]
        norm = self.set_normalizer(motions)
        self.windows = MotionWindows(motions, norm, window=spec.window, stride=self.cfg.window_stride)
        if len(self.windows) == 0:
            raise_short(spec.window, self.source.root)
        unit, cap = self.model_cfg.unit_length, spec.max_length
        self.val_motions = [np.asarray(m[: min(len(m), cap) // unit * unit], np.float32) for m in val_motions
                            if len(m) >= unit]
        self.say(f"ae data: {len(motions)} training motions -> {len(self.windows)} windows of {spec.window} frames; "
                 f"{len(self.val_motions)} val motions")

    def build_model(self) -> nn.Module:
        return build_autoencoder(self.model_cfg)

    def train_dataset(self) -> Dataset:
        return self.windows

    def collate(self, items: list[dict]) -> dict:
        return collate_motion(items, self.model_cfg.unit_length)

    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        x = batch["motion"].to(self.device, non_blocking=True)              # (B, W, F)
        return model.loss(x, batch["length"].to(self.device))

    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        norm, J = self.normalizer, self.model_cfg.num_joints
        err_sum = err_root_sum = loss_sum = 0.0
        frames = 0
        for rows in batches(len(self.val_motions), 32, self.cfg.val_batches):
            clips = [self.val_motions[i] for i in rows]
            lengths = torch.tensor([len(c) for c in clips])
            T = int(lengths.max())
            x = torch.zeros(len(clips), T, 3 * J)                             # (B, T, F)
            for j, c in enumerate(clips):
                x[j, : len(c)] = torch.from_numpy(norm.normalize(c.reshape(len(c), -1)))
            x = x.to(self.device)
            loss, _ = model.loss(x, lengths.to(self.device))
            rec = model(x).float().cpu()
            gt = norm.denormalize(x.cpu()).reshape(len(clips), T, J, 3)
            pred = norm.denormalize(rec).reshape(len(clips), T, J, 3)
            n = int(lengths.sum())
            err_sum += mpjpe(pred, gt, lengths) * n
            err_root_sum += mpjpe(pred, gt, lengths, root_align=True) * n
            loss_sum += float(loss) * n
            frames += n
        if frames == 0:
            return {}
        return {"mpjpe_mm": err_sum / frames, "mpjpe_root_mm": err_root_sum / frames, "loss": loss_sum / frames}

    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "window": self.source.spec.window}


def raise_short(window: int, root) -> None:
    from ..errors import CoamdError

    raise CoamdError(f"{root}: no training motion has at least {window} frames (the AE window)")
