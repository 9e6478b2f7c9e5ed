"""What the four model tasks share: data source, Mean/Std, model config, the frozen text encoder
and its embedding tables, and the val-split fallback (paper-brief §2, §4, §9.7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..config import to_dict
from ..data import DataSource, LabelledClips, MotionTextIndex, Normalizer
from ..errors import CoamdError
from ..models import ModelConfig
from ..text import EmbeddingTable, TextEncoder, build_text_encoder
from .data import holdout, normalizer_for, open_split, split_off_val
from .distributed import barrier
from .task import TaskContext, TrainTask

VAL_FRACTION = 0.1   # held out of train (deterministically) when a dataset has no val split


def read_init(ctx: TaskContext, model_cfg: ModelConfig) -> tuple[ModelConfig, dict | None, Any]:
    """The ``init=`` checkpoint a fine-tune starts from: (its model config, payload, path), or
    (``model_cfg``, None, None) when there is none."""
    if not ctx.cfg.init:
        return model_cfg, None, None
    from ..models import load_checkpoint as load_model_checkpoint
    from .checkpoint import checkpoint_file

    path = checkpoint_file(ctx.cfg.init)
    cfg, payload = load_model_checkpoint(path)
    return cfg, payload, path


class MotionTask(TrainTask):
    """A TrainTask over a coamd dataset with a ``ModelConfig`` and (optionally) text."""

    init_payload: dict | None = None   # the ``init=`` checkpoint (`read_init`), for fine-tunes
    init_path: Any = None

    def __init__(self, ctx: TaskContext, model_cfg: ModelConfig, source: DataSource) -> None:
        super().__init__(ctx)
        self.model_cfg = model_cfg
        self.source = source
        self.normalizer: Normalizer | None = None
        self._encoder: TextEncoder | None = None
        if model_cfg.skeleton != source.spec.skeleton.name:
            raise CoamdError(f"--data {source.root}: {source.spec.skeleton.name} motions, but the model config is "
                             f"for {model_cfg.skeleton} (use a config for this skeleton, e.g. kit-cpu-small)")

    # ------------------------------------------------------------------ fine-tunes
    def init_normalizer(self) -> Normalizer | None:
        """The Mean/Std stored with the ``init=`` checkpoint (a fine-tune keeps its normalisation)."""
        from .data import normalizer_from_extra

        return normalizer_from_extra(self.init_payload.get("extra", {})) if self.init_payload else None

    def load_init(self, model: torch.nn.Module, part: str, note: str = "") -> None:
        """Load the ``init=`` weights into ``model`` (a fresh start of a fine-tune), saying so."""
        if self.init_payload is not None:
            from ..models import load_module

            load_module(model, self.init_payload, part, self.init_path)
            self.say(f"{part}: fine-tuning from {self.init_path}{note}")

    # ------------------------------------------------------------------ text
    @property
    def encoder(self) -> TextEncoder:
        """The frozen text encoder of ``cfg.text``; its widths must match ``model.text``."""
        if self._encoder is None:
            dims = self.model_cfg.text
            options: dict[str, Any] = {}
            if self.cfg.text == "hash":
                if dims.sentence_dim != dims.token_dim:
                    raise CoamdError("text=hash needs model.text.sentence_dim == model.text.token_dim")
                options["dim"] = dims.sentence_dim
            enc = build_text_encoder(self.cfg.text, device=self.device, **options)
            if (enc.dim, enc.token_dim) != (dims.sentence_dim, dims.token_dim):
                raise CoamdError(
                    f"text={self.cfg.text}: {enc.dim}-d sentence / {enc.token_dim}-d token embeddings, but the model "
                    f"expects {dims.sentence_dim}/{dims.token_dim} (set model.text.sentence_dim={enc.dim} "
                    f"model.text.token_dim={enc.token_dim}, or pick the text backend the config was made for)")
            self._encoder = enc
        return self._encoder

    def text_table(self, texts: Sequence[str], tokens: bool = False, desc: str = "text embeddings") -> EmbeddingTable:
        """Pre-encode ``texts``: rank 0 first (it fills the persistent cache), then the other ranks."""
        table = None
        if self.ctx.dist.is_main:
            table = EmbeddingTable.build(self.encoder, texts, tokens=tokens, progress=self.ctx.progress, desc=desc)
        barrier(self.ctx.dist)
        if table is None:
            table = EmbeddingTable.build(self.encoder, texts, tokens=tokens, progress=False, desc=desc)
        return table

    # ------------------------------------------------------------------ data
    def text_motion_splits(self, need_captions: bool = True) -> tuple[MotionTextIndex, MotionTextIndex]:
        """(train, val) of a HumanML3D-layout folder; without a val split, motions are held out of train."""
        if not self.source.text_motion:
            raise CoamdError(f"--data {self.source.root}: a {self.source.name} folder has no captions; "
                             f"'coamd train {self.kind}' needs a HumanML3D-layout dataset")
        train = open_split(self.source, "train")
        val = open_split(self.source, self.cfg.val_split, required=False)
        if val is None or len(val.motion_ids) == 0:
            if len(train.motion_ids) < 2:
                raise CoamdError(f"{self.source.root}: no {self.cfg.val_split}.txt and too few training motions "
                                 "to hold some out for validation")
            train, val = split_off_val(train, VAL_FRACTION, self.cfg.seed)
            self.say(f"no {self.cfg.val_split}.txt: holding out {len(val.motion_ids)} training motions for validation")
        if need_captions and len(train) == 0:
            raise CoamdError(f"{self.source.root}: no captioned training samples in train.txt")
        return train, val

    def labelled_clips(self) -> tuple[LabelledClips, np.ndarray, np.ndarray]:
        """(clips, train indices, val indices) of a labelled set; val is held out of the train part."""
        from ..data import load_labelled

        root = self.source.root
        clips = load_labelled(self.source)
        protocol = self.source.spec.splits[0]
        train_all = clips.split(protocol, "train") if protocol in clips.parts else np.arange(len(clips))
        if len(train_all) < 2:
            raise CoamdError(f"{root}: {len(train_all)} training clips under the '{protocol}' split; need at least 2")
        tr, va = holdout(len(train_all), VAL_FRACTION, self.cfg.seed)
        return clips, train_all[tr], train_all[va]

    def set_normalizer(self, motions_for_stats, preset: Normalizer | None = None) -> Normalizer:
        self.normalizer = preset if preset is not None else normalizer_for(self.source, motions_for_stats)
        if self.normalizer.feature_dim != self.model_cfg.feature_dim:
            raise CoamdError(f"Mean/Std have {self.normalizer.feature_dim} features but the model expects "
                             f"{self.model_cfg.feature_dim}")
        return self.normalizer

    # ------------------------------------------------------------------ checkpoint contents
    def model_config(self) -> dict[str, Any]:
        return to_dict(self.model_cfg)

    def extra_state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataset": self.source.name, "text_backend": self.cfg.text}
        if self._encoder is not None:
            out["text_model_id"] = self._encoder.model_id
        if self.normalizer is not None:
            out["mean"] = torch.from_numpy(self.normalizer.mean.copy())
            out["std"] = torch.from_numpy(self.normalizer.std.copy())
        return out


def batches(n: int, size: int, limit: int = 0) -> list[range]:
    """Index ranges of consecutive batches of ``size`` over ``range(n)``; at most ``limit`` (0 = all)."""
    out = [range(s, min(s + size, n)) for s in range(0, n, size)]
    return out[:limit] if limit > 0 else out
