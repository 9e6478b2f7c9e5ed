"""The frozen evaluator pair and its checkpoints (paper-brief §6.1): what every benchmark embeds with.

``EvaluatorModel`` holds evaluator (a), the matcher behind FID / R-precision / MM-Dist /
Diversity / MultiModality, and evaluator (b), the CLIP-score model; ``loss`` trains both at once
(their parameters are disjoint). ``Evaluators`` wraps a trained pair for inference: batched,
``torch.inference_mode``, on a chosen device, with the vocabulary, Mean/Std and text backend the
pair was trained with.

Checkpoints are plain dicts in the one format of ``coamd.models.checkpoint`` (``format``, ``version``,
``kind: "evaluator"``, ``model_config``, ``state: {"evaluator": weights}``, ``extra``), read and written
through that module (``weights_only=True`` loading, strict key/shape checks). A ``coamd train evaluator`` run
folder, one of its ``.pt`` files, or a file written by ``Evaluators.save`` all load the same way.

Independence (§6.1): nothing outside ``coamd.evaluation``, ``coamd.bench`` and the evaluation/
training entry points imports this package (tests/test_evaluation_independence.py), so no
generator, guidance or training loss can use an evaluator.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import ConfigError, from_dict, to_dict
from ..data import Normalizer
from ..errors import CoamdError
from ..models.checkpoint import (
    CheckpointError,
    check_payload,
    checkpoint_file,
    load_module,
    read_payload,
    save_payload,
    stamp,
)
from ..text import TextEncoder, load_text_encoder
from .config import EvaluatorConfig
from .glove import WordVocab
from .inputs import token_inputs, word_inputs
from .matcher import TextMotionMatcher
from .motionclip import MotionClipEvaluator

KIND = "evaluator"          # the checkpoint kind (format and version: coamd.models.checkpoint)
EXPORT_NAME = "evaluators.pt"
TEXT_CACHE_LIMIT = 200_000     # cached caption embeddings per Evaluators (then the cache restarts)


class EvaluatorModel(nn.Module):
    """Evaluators (a) ``matcher`` and (b) ``clip``; loss = margin loss + clip_weight * CLIP loss."""

    def __init__(self, cfg: EvaluatorConfig, word_vectors: Tensor, clip_weight: float = 1.0) -> None:
        super().__init__()
        self.cfg, self.clip_weight = cfg, clip_weight
        self.matcher = TextMotionMatcher(cfg.feature_dim, word_vectors, cfg.matcher)
        self.clip = MotionClipEvaluator(cfg.feature_dim, cfg.text_dim, cfg.clip)

    def loss(self, batch: dict, generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, float]]:
        """One batch (see ``inputs.caption_batch`` plus ``motion`` (B, T, F), ``length`` (B,))."""
        match, logs = self.matcher.loss(batch, generator)
        total = match
        if self.clip_weight > 0:
            clip, clip_logs = self.clip.loss(batch, generator)
            total = total + self.clip_weight * clip
            logs.update(clip_logs)
        logs.update(match_loss=float(match.detach()), loss=float(total.detach()))
        return total, logs


def text_encoder_for(backend: str, cfg: EvaluatorConfig, device: torch.device | str = "cpu") -> TextEncoder:
    """The frozen token encoder of evaluator (b); its token width must be ``cfg.text_dim``."""
    options: dict[str, Any] = {"max_tokens": cfg.text_max_tokens}
    if backend == "hash":
        options["dim"] = cfg.text_dim
    enc = load_text_encoder(backend, device=device, **options)
    if enc.token_dim != cfg.text_dim:
        raise CoamdError(f"text={backend}: {enc.token_dim}-d token embeddings, but the evaluator expects "
                         f"{cfg.text_dim} (evaluator.text_dim)")
    return enc


def _as_motion(motions: Any, lengths: Any, feature_dim: int) -> tuple[Tensor, Tensor]:
    """(B, T, F) or (B, T, J, 3) float tensor + (B,) int64 lengths (default: all T)."""
    x = torch.as_tensor(np.asarray(motions) if not isinstance(motions, Tensor) else motions).float()
    if x.dim() == 4:
        x = x.flatten(2)                                                      # (B, T, J*3)
    if x.dim() != 3 or x.shape[-1] != feature_dim:
        raise CoamdError(f"motions: expected (B, T, {feature_dim}) or (B, T, {feature_dim // 3}, 3) normalised "
                         f"joints, got shape {tuple(x.shape)}")
    if lengths is None:
        return x, torch.full((x.shape[0],), x.shape[1], dtype=torch.long)
    n = torch.as_tensor(np.asarray(lengths) if not isinstance(lengths, Tensor) else lengths).long().reshape(-1)
    if n.shape[0] != x.shape[0]:
        raise CoamdError(f"lengths: {n.shape[0]} values for {x.shape[0]} motions")
    return x, n


class Evaluators:
    """A trained, frozen evaluator pair ready to embed motions and captions (module docstring)."""

    def __init__(self, model: EvaluatorModel, vocab: WordVocab, text_backend: str,
                 normalizer: Normalizer | None = None, device: torch.device | str = "cpu",
                 batch_size: int = 32, encoder: TextEncoder | None = None, info: dict | None = None) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.cfg = model.cfg
        self.vocab, self.text_backend, self.normalizer = vocab, text_backend, normalizer
        self.batch_size = int(batch_size)
        self.info = dict(info or {})
        self._encoder = encoder
        self._text_cache: dict[str, Tensor] = {}
        self._clip_text_cache: dict[str, Tensor] = {}

    @property
    def encoder(self) -> TextEncoder:
        """The frozen token encoder of evaluator (b), built on first use."""
        if self._encoder is None:
            enc = text_encoder_for(self.text_backend, self.cfg, self.device)
            trained_with = self.info.get("text_model_id")
            if trained_with and enc.model_id != trained_with:
                raise CoamdError(f"text={self.text_backend}: these evaluators were trained with {trained_with!r} "
                                 f"token embeddings, but {enc.model_id!r} was loaded")
            self._encoder = enc
        return self._encoder

    @property
    def embed_dim(self) -> int:
        return self.cfg.matcher.embed_dim

    # ------------------------------------------------------------------ embeddings
    def _motion_batches(self, motions: Any, lengths: Any, batch_size: int | None, fn) -> Tensor:
        x, n = _as_motion(motions, lengths, self.cfg.feature_dim)
        size = batch_size or self.batch_size
        out = [fn(x[i:i + size].to(self.device), n[i:i + size].to(self.device)).float().cpu()
               for i in range(0, x.shape[0], size)]
        return torch.cat(out) if out else torch.zeros(0, self.embed_dim)

    @torch.inference_mode()
    def embed_motions(self, motions: Any, lengths: Any = None, batch_size: int | None = None) -> Tensor:
        """Evaluator (a): normalised motions (B, T, F) + frame lengths (B,) -> (B, E) on the CPU."""
        return self._motion_batches(motions, lengths, batch_size, self.model.matcher.encode_motion)

    def _cached_texts(self, captions: Sequence[str], cache: dict[str, Tensor], batch_size: int | None,
                      encode, dim: int) -> Tensor:
        """Embeddings of ``captions``, encoding each distinct caption once per ``Evaluators`` (they are frozen)."""
        captions = list(captions)
        missing = [c for c in dict.fromkeys(captions) if c not in cache]
        size = batch_size or self.batch_size
        for i in range(0, len(missing), size):
            chunk = missing[i:i + size]
            cache.update(zip(chunk, encode(chunk).float().cpu()))
        out = torch.stack([cache[c] for c in captions]) if captions else torch.zeros(0, dim)
        if len(cache) > TEXT_CACHE_LIMIT:
            cache.clear()
        return out

    @torch.inference_mode()
    def embed_texts(self, captions: Sequence[str], batch_size: int | None = None) -> Tensor:
        """Evaluator (a): B captions -> (B, E) on the CPU."""
        def encode(chunk: list[str]) -> Tensor:
            ids, pos, n = word_inputs(chunk, self.vocab, self.cfg.max_words, self.device)
            return self.model.matcher.encode_text(ids, pos, n)

        return self._cached_texts(captions, self._text_cache, batch_size, encode, self.embed_dim)

    @torch.inference_mode()
    def clip_embed_motions(self, motions: Any, lengths: Any = None, batch_size: int | None = None) -> Tensor:
        """Evaluator (b): normalised motions (B, T, F) + lengths -> L2-normalised (B, E_clip) on the CPU."""
        out = self._motion_batches(motions, lengths, batch_size, self.model.clip.encode_motion)
        return F.normalize(out, dim=-1)

    @torch.inference_mode()
    def clip_embed_texts(self, captions: Sequence[str], batch_size: int | None = None) -> Tensor:
        """Evaluator (b): B captions -> L2-normalised (B, E_clip) on the CPU."""
        def encode(chunk: list[str]) -> Tensor:
            tokens, mask = token_inputs(chunk, self.encoder, device=self.device)
            return F.normalize(self.model.clip.encode_text(tokens, mask).float(), dim=-1)

        return self._cached_texts(captions, self._clip_text_cache, batch_size, encode, self.cfg.clip.embed_dim)

    def normalize(self, joints: Any) -> Any:
        """Raw joints (..., T, J, 3) or (..., T, F) in metres -> the normalised space the evaluators read."""
        if self.normalizer is None:
            raise CoamdError("these evaluators were saved without Mean/Std; normalise motions yourself")
        return self.normalizer.normalize(joints)

    # ------------------------------------------------------------------ checkpoints
    def payload(self, fp16: bool = False) -> dict[str, Any]:
        """The checkpoint dict (plain tensors, numbers, strings, lists, dicts).

        ``fp16`` stores floating-point weights in half precision (half the size; loading casts them
        back to the model's float32).
        """
        extra: dict[str, Any] = {**self.info, "text_backend": self.text_backend, "vocab": list(self.vocab.words),
                                 "word_dim": self.vocab.dim}
        if self.normalizer is not None:
            extra["mean"] = torch.from_numpy(self.normalizer.mean.copy())
            extra["std"] = torch.from_numpy(self.normalizer.std.copy())
        state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        if fp16:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        return stamp({"kind": KIND, "model_config": to_dict(self.cfg), "state": {KIND: state}, "extra": extra})

    def save(self, path: str | os.PathLike, fp16: bool = False) -> Path:
        """Write the pair atomically to ``path`` (a ``.pt`` file, or a folder that gets ``evaluators.pt``);
        ``fp16`` halves the file (weights stored in half precision, loaded back as float32)."""
        path = Path(path)
        if path.suffix != ".pt":
            path = path / EXPORT_NAME
        return save_payload(path, self.payload(fp16=fp16))

    @classmethod
    def from_payload(cls, payload: dict, where: str = "checkpoint", device: torch.device | str = "cpu",
                     batch_size: int = 32, encoder: TextEncoder | None = None) -> Evaluators:
        """Rebuild from a checkpoint dict (strict: every weight must fit)."""
        check_payload(payload, where, kind=KIND, what=f"evaluators ('{KIND}')")
        extra = payload.get("extra", {})
        try:
            cfg = from_dict(EvaluatorConfig, payload["model_config"], "evaluator")
            words, word_dim = list(extra["vocab"]), int(extra["word_dim"])
            vocab = WordVocab(words, np.zeros((len(words), word_dim), np.float32))
        except (ConfigError, KeyError, TypeError) as e:
            raise CheckpointError(f"{where}: bad evaluator config or vocabulary ({e})") from None
        model = EvaluatorModel(cfg, torch.zeros(len(words), word_dim))
        load_module(model, payload, KIND, where)
        vocab.vectors = model.matcher.word_vectors.numpy().copy()
        normalizer = None
        if "mean" in extra and "std" in extra:
            normalizer = Normalizer(np.asarray(extra["mean"]), np.asarray(extra["std"]))
        info = {k: v for k, v in extra.items() if k in ("dataset", "text_model_id", "glove")}
        return cls(model, vocab, str(extra.get("text_backend", "minilm")), normalizer, device, batch_size,
                   encoder, info)

    @classmethod
    def load(cls, path: str | os.PathLike, device: torch.device | str = "cpu", batch_size: int = 32,
             encoder: TextEncoder | None = None) -> Evaluators:
        """From a ``.pt`` file, a folder with ``evaluators.pt``, or a ``coamd train evaluator`` run folder."""
        path = Path(path).expanduser()
        if path.is_dir() and (path / EXPORT_NAME).is_file():
            path = path / EXPORT_NAME
        try:
            path = checkpoint_file(path)
        except CoamdError as e:
            raise CheckpointError(f"{e} (expected {EXPORT_NAME} or a 'coamd train evaluator' run folder)") from None
        payload = read_payload(path, map_location="cpu")       # format/version here, the kind in from_payload
        return cls.from_payload(payload, str(path), device, batch_size, encoder)
