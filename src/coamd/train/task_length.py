"""``coamd train length``: text -> motion length in AE tokens (for free-form generation).

CoAMD has no length estimator (paper-brief §5.2: evaluation uses ground-truth lengths); MARDM
and ACMDM ship one, and text-to-motion from a bare prompt needs it. A sample's target is the
number of tokens its motion gives under the T2M rule: floor(min(T, 196) / 4). Input: the
caption's frozen sentence embedding. Loss: cross-entropy over 1..max_tokens.
Validation: cross-entropy, accuracy and mean absolute error in tokens (best.pt minimises the loss).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from ..models import build_length_estimator
from .common import MotionTask, batches


class CaptionLengths(Dataset):
    """(caption, length in tokens) per sample; the caption is drawn from (seed, epoch, index)."""

    def __init__(self, captions: list[list[str]], tokens: list[int], seed: int = 0, random: bool = True) -> None:
        self.items = [(c, t) for c, t in zip(captions, tokens) if c and t > 0]
        self.seed, self.epoch, self.random = seed, 0, random

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[str, int]:
        caps, tokens = self.items[i]
        k = int(np.random.default_rng((self.seed, self.epoch, i)).integers(len(caps))) if self.random else 0
        return caps[k], tokens


class LengthTask(MotionTask):
    kind = "length"
    val_metric = "loss"
    val_mode = "min"

    def setup(self) -> None:
        train, val = self.text_motion_splits()
        unit, cap = self.model_cfg.unit_length, self.source.spec.max_length
        top = self.model_cfg.length.max_tokens

        def dataset(index, random):
            caps = [[c.text for c in s.captions] for s in index.samples]
            tokens = [min(min(s.length, cap) // unit, top) for s in index.samples]
            return CaptionLengths(caps, tokens, self.cfg.seed, random)

        self.train_set, self.val_set = dataset(train, True), dataset(val, False)
        texts = [c for ds in (self.train_set, self.val_set) for caps, _ in ds.items for c in caps]
        self.table = self.text_table(texts, desc="captions")
        self.say(f"length data: {len(self.train_set)} training / {len(self.val_set)} val samples")

    def build_model(self) -> nn.Module:
        return build_length_estimator(self.model_cfg)

    def train_dataset(self) -> Dataset:
        return self.train_set

    def collate(self, items: list[tuple[str, int]]) -> dict:
        return {"caption": [c for c, _ in items], "tokens": torch.tensor([t for _, t in items])}

    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        return model.loss(self.table.sentences(batch["caption"]), batch["tokens"].to(self.device))

    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        loss_sum = acc_sum = err_sum = 0.0
        n = 0
        for rows in batches(len(self.val_set), 64, self.cfg.val_batches):
            batch = self.collate([self.val_set[i] for i in rows])
            emb, target = self.table.sentences(batch["caption"]), batch["tokens"].to(self.device)
            loss, logs = model.loss(emb, target)
            pred = model.argmax(emb)
            loss_sum += float(loss) * len(rows)
            acc_sum += logs["acc"] * len(rows)
            err_sum += float((pred - target).abs().float().sum())
            n += len(rows)
        if n == 0:
            return {}
        return {"loss": loss_sum / n, "acc": acc_sum / n, "mae_tokens": err_sum / n}
