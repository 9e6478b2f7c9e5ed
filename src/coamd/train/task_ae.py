"""``coamd train ae``: the 3-stream autoencoder on every 64-frame window (paper-brief §2.1, §3.1, §4).

Loss: SmoothL1 on joints + bones + velocities in normalised coordinates (``MotionAutoencoder.loss``).
Validation: MPJPE in mm on de-normalised joints of whole val motions (cropped to at most 196
frames, a multiple of 4), the real MPJPE the release lacks (§9.8); best.pt minimises it.

Decoder fine-tuning (all off by default): ``init=`` starts from an AE checkpoint, run or bundle
``ae.pt`` (its Mean/Std are kept); ``freeze_encoder=true`` trains the decoder only, so a generator
trained on the encoder's latents stays valid; ``geo_*`` add metre-space terms against the ground
truth (bone lengths, foot-contact velocity, acceleration); ``latent_noise`` decodes noisy latents;
``gen_latents=FILE`` adds, on crops of generated latents, SmoothL1 to the initial decoder's decode
(``gen_anchor``) plus the self-supervised geometric terms (bone constancy, planted low feet, jerk).
Validation also reports the val motions' bone-length variation (mm) of the reconstructions.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

from ..data import MotionWindows, collate_motion
from ..errors import CoamdError
from ..metrics import bone_length_variation, mpjpe
from ..models import build_autoencoder, load_module
from ..models.autoencoder import GeometricLoss, GeometricWeights
from ..skeleton import SKELETONS
from .common import MotionTask, batches, read_init


class AETask(MotionTask):
    kind = "ae"
    val_metric = "mpjpe_mm"
    val_mode = "min"

    def __init__(self, ctx, model_cfg, source) -> None:
        model_cfg, self.init_payload, self.init_path = read_init(ctx, model_cfg)
        if self.init_payload is None and (ctx.cfg.freeze_encoder or ctx.cfg.gen_latents):
            raise CoamdError("freeze_encoder / gen_latents fine-tune a trained AE: give init=AE_CHECKPOINT")
        super().__init__(ctx, model_cfg, source)
        self.geometry: GeometricLoss | None = None
        self.gen: list[np.ndarray] = []
        self.teacher: nn.Module | None = None

    def setup(self) -> None:
        spec = self.source.spec
        preset = self.init_normalizer()
        if self.source.text_motion:
            train, val = self.text_motion_splits(need_captions=False)
            motions = [train.full_motion(k) for k in train.motion_ids]
            val_motions = [val.full_motion(k) for k in val.motion_ids]
        else:
            clips, tr, va = self.labelled_clips()
            motions, val_motions = [clips.motion(int(i)) for i in tr], [clips.motion(int(i)) for i in va]
        norm = self.set_normalizer(motions, preset)
        c = self.cfg
        weights = GeometricWeights(bone=c.geo_bone, contact=c.geo_contact, accel=c.geo_accel, jerk=c.gen_jerk)
        self.geometry = GeometricLoss(SKELETONS[self.model_cfg.skeleton], torch.from_numpy(norm.mean.copy()),
                                      torch.from_numpy(norm.std.copy()), weights).to(self.device)
        if c.gen_latents:
            from .gen_latents import load_latents

            tokens = spec.window // self.model_cfg.unit_length
            self.gen = [z for z in load_latents(c.gen_latents) if len(z) >= tokens]
            if not self.gen:
                raise CoamdError(f"gen_latents={c.gen_latents}: no sequence of at least {tokens} tokens")
        self.windows = MotionWindows(motions, norm, window=spec.window, stride=self.cfg.window_stride)
        if len(self.windows) == 0:
            raise_short(spec.window, self.source.root)
        unit, cap = self.model_cfg.unit_length, spec.max_length
        self.val_motions = [np.asarray(m[: min(len(m), cap) // unit * unit], np.float32) for m in val_motions
                            if len(m) >= unit]
        self.say(f"ae data: {len(motions)} training motions -> {len(self.windows)} windows of {spec.window} frames; "
                 f"{len(self.val_motions)} val motions")

    def build_model(self) -> nn.Module:
        model = build_autoencoder(self.model_cfg)
        if self.cfg.freeze_encoder:
            model.freeze_encoder()
        return model

    def on_fresh_start(self, model: nn.Module) -> None:
        self.load_init(model, "ae", " (encoder frozen)" if self.cfg.freeze_encoder else "")

    def _teacher(self) -> nn.Module:
        """The initial decoder (frozen), the anchor for decodes of generated latents."""
        if self.teacher is None:
            t = build_autoencoder(self.model_cfg)
            load_module(t, self.init_payload, "ae", self.init_path)
            self.teacher = copy.deepcopy(t.decoder).to(self.device).eval().requires_grad_(False)
        return self.teacher

    def train_dataset(self) -> Dataset:
        return self.windows

    def collate(self, items: list[dict]) -> dict:
        return collate_motion(items, self.model_cfg.unit_length)

    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        x = batch["motion"].to(self.device, non_blocking=True)              # (B, W, F)
        total, logs = model.loss(x, batch["length"].to(self.device), geometry=self.geometry,
                                 latent_noise=self.cfg.latent_noise, generator=generator)
        if self.gen:
            g_total, g_logs = self.gen_loss(model, x.shape[1] // self.model_cfg.unit_length, generator)
            total = total + g_total
            logs.update(g_logs)
            logs["loss"] = total.item()
        return total, logs

    def gen_loss(self, model: nn.Module, tokens: int, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        """Random crops of ``tokens`` generated latents: anchor to the initial decoder + self-supervised terms."""
        c = self.cfg
        pick = torch.randint(len(self.gen), (c.gen_batch,), generator=generator, device=generator.device).tolist()
        crops = []
        for i in pick:
            z = self.gen[i]
            s = int(torch.randint(len(z) - tokens + 1, (1,), generator=generator, device=generator.device))
            crops.append(torch.from_numpy(z[s: s + tokens]))
        z = torch.stack(crops).to(self.device)                               # (G, N, C)
        rec = model.decode(z)                                                # (G, T, F)
        with torch.no_grad():
            ref = self._teacher()(z.transpose(1, 2)).transpose(1, 2)
        anchor = F.smooth_l1_loss(rec, ref)
        valid = torch.ones(rec.shape[:2], dtype=torch.bool, device=rec.device)
        geo, logs = self.geometry.self_supervised(self.geometry.to_metres(rec), valid)
        logs["gen_anchor"] = anchor.item()
        return c.gen_anchor * anchor + c.gen_weight * geo, logs

    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        norm, J = self.normalizer, self.model_cfg.num_joints
        err_sum = err_root_sum = loss_sum = bone_sum = 0.0
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
            bone_sum += float(np.sum(bone_length_variation(pred.numpy(), SKELETONS[self.model_cfg.skeleton].parents,
                                                           lengths.numpy()) * lengths.numpy()))
            loss_sum += float(loss) * n
            frames += n
        if frames == 0:
            return {}
        return {"mpjpe_mm": err_sum / frames, "mpjpe_root_mm": err_root_sum / frames, "loss": loss_sum / frames,
                "bone_var_mm": bone_sum / frames}

    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "window": self.source.spec.window}


def raise_short(window: int, root) -> None:
    from ..errors import CoamdError

    raise CoamdError(f"{root}: no training motion has at least {window} frames (the AE window)")
