"""Checkpoints: plain dicts of state dicts plus the model config, loadable with ``weights_only=True``.

Layout: ``{"format": "coamd-checkpoint", "version": 1, "model_config": {...}, "state": {part: state_dict},
**extra}``; every value is a tensor, number, string, list or dict. Loading is strict: a missing or
unexpected key, or a shape mismatch, is a one-line :class:`CheckpointError` (paper-brief §9.4 —
upstream's ``strict=False`` silently left layers at random init).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..atomic import atomic_path
from ..config import ConfigError, from_dict, to_dict
from ..errors import CoamdError
from .config import ModelConfig, with_legacy_defaults

FORMAT = "coamd-checkpoint"
VERSION = 1


class CheckpointError(CoamdError):
    """A checkpoint file that is missing, unreadable, or does not fit the model."""


def save_checkpoint(path: str | os.PathLike, modules: dict[str, nn.Module], model_config: ModelConfig,
                    **extra: Any) -> None:
    """Write ``{part: module.state_dict()}`` and the model config to ``path`` atomically.

    ``extra`` holds plain values only (step counts, optimiser state dicts, training config dicts).
    """
    payload = {"format": FORMAT, "version": VERSION, "model_config": to_dict(model_config),
               "state": {name: {k: v.detach().cpu() for k, v in m.state_dict().items()} for name, m in modules.items()},
               **extra}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> tuple[ModelConfig, dict]:
    """Read a checkpoint safely (``weights_only=True``): returns (model config, the whole payload)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle/zip errors of many types: report them on one line
        raise CheckpointError(f"{path}: not a readable coamd checkpoint ({type(e).__name__}: "
                              f"{' '.join(str(e).split())[:200]})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a coamd checkpoint (no '{FORMAT}' format marker)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {payload.get('version')} is not supported (expected {VERSION})")
    try:
        cfg = from_dict(ModelConfig, with_legacy_defaults(payload["model_config"]))
    except (ConfigError, KeyError) as e:
        raise CheckpointError(f"{path}: bad model config in checkpoint ({e})") from None
    return cfg, payload


def load_module(module: nn.Module, payload: dict, part: str, path: str | os.PathLike = "checkpoint") -> nn.Module:
    """Strictly load ``payload['state'][part]`` into ``module``; mismatches are a CheckpointError."""
    state = payload.get("state", {})
    if part not in state:
        raise CheckpointError(f"{path}: no '{part}' weights in checkpoint (has: {sorted(state)})")
    sd = state[part]
    own = module.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    shapes = [f"{k} {tuple(sd[k].shape)} vs {tuple(v.shape)}" for k, v in own.items() if k in sd and sd[k].shape != v.shape]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatches (e.g. {shapes[0]})")
        raise CheckpointError(f"{path}: '{part}' weights do not fit the model: {'; '.join(parts)}")
    module.load_state_dict(sd, strict=True)
    return module
