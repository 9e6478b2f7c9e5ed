"""The one checkpoint format of coamd: plain dicts of state dicts plus the model config, loadable with
``weights_only=True``. Every checkpoint — a training run's, a bundle part, the distilled flow head, the
evaluators — is read by :func:`read_payload` and written by :func:`save_payload`.

Layout: ``{"format": "coamd-checkpoint", "version": 1, "kind": part, "model_config": {...},
"state": {part: state_dict}, **extra}``; every value is a tensor, number, string, list or dict. Reading
checks the format marker, the version and (when asked) the kind; loading weights is strict: a missing
or unexpected key, or a shape mismatch, is a one-line :class:`CheckpointError` (paper-brief §9.4 —
upstream's ``strict=False`` silently left layers at random init).

This module sits on a low floor (it imports only coamd's core helpers and the model config), so every
layer may read and write checkpoints through it (tests/test_layering.py).
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
RUN_CHECKPOINTS = ("checkpoints/best.pt", "checkpoints/latest.pt", "best.pt")   # a run folder's, in this order


class CheckpointError(CoamdError):
    """A checkpoint file that is missing, unreadable, of the wrong format/version/kind, or does not fit the model."""


def stamp(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` under the format marker and version: the dict a checkpoint file holds."""
    return {"format": FORMAT, "version": VERSION, **fields}


def save_payload(path: str | os.PathLike, payload: dict[str, Any], durable: bool = False) -> Path:
    """Write a checkpoint dict (stamped with the format and version) atomically: temporary file, then rename."""
    path = Path(path)
    with atomic_path(path, durable=durable) as tmp:
        torch.save(stamp(payload), tmp)
    return path


def check_payload(payload: Any, where: str | os.PathLike, kind: str | None = None, what: str | None = None) -> dict:
    """``payload`` if it is a coamd checkpoint of the supported version (and of ``kind`` when given), else a
    one-line CheckpointError naming ``where``; ``what`` describes the expected kind in that message."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a coamd checkpoint (no '{FORMAT}' format marker)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{where}: checkpoint version {payload.get('version')} is not supported "
                              f"(expected {VERSION})")
    if kind is not None and payload.get("kind") != kind:
        raise CheckpointError(f"{where}: a {payload.get('kind')!r} checkpoint, expected {what or repr(kind)}")
    return payload


def read_payload(path: str | os.PathLike, kind: str | None = None, map_location: str | torch.device = "cpu",
                 what: str | None = None) -> dict:
    """Read a checkpoint file safely (``weights_only=True``) and :func:`check_payload` it; every failure
    (missing, truncated, not a checkpoint, wrong version or kind) is a one-line CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle/zip errors of many types: report them on one line
        raise CheckpointError(f"{path}: not a readable coamd checkpoint ({type(e).__name__}: "
                              f"{' '.join(str(e).split())[:200]})") from None
    return check_payload(payload, path, kind, what)


def run_checkpoint(folder: str | os.PathLike) -> Path | None:
    """A run folder's ``checkpoints/best.pt``, else ``checkpoints/latest.pt`` (else ``best.pt``), or None."""
    for rel in RUN_CHECKPOINTS:
        cand = Path(folder) / rel
        if cand.is_file():
            return cand
    return None


def checkpoint_file(path: str | os.PathLike) -> Path:
    """A checkpoint file, or a run folder's ``checkpoints/best.pt`` (else ``latest.pt``)."""
    path = Path(path).expanduser()
    if path.is_dir():
        found = run_checkpoint(path)
        if found is None:
            raise CheckpointError(f"{path}: no checkpoints/best.pt or checkpoints/latest.pt in this run folder")
        return found
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    return path


def save_checkpoint(path: str | os.PathLike, modules: dict[str, nn.Module], model_config: ModelConfig,
                    **extra: Any) -> None:
    """Write ``{part: module.state_dict()}`` and the model config to ``path`` atomically.

    ``extra`` holds plain values only (step counts, optimiser state dicts, training config dicts).
    """
    save_payload(path, {"model_config": to_dict(model_config),
                        "state": {name: {k: v.detach().cpu() for k, v in m.state_dict().items()}
                                  for name, m in modules.items()},
                        **extra})


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> tuple[ModelConfig, dict]:
    """Read a checkpoint safely (``weights_only=True``): returns (model config, the whole payload)."""
    payload = read_payload(path, map_location=map_location)
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


def interpolate_payloads(base: dict, tuned: dict, alpha: float, where: str = "checkpoints") -> dict:
    """Weight-space interpolation of a model and its fine-tune (WiSE-FT, Wortsman et al. 2022):
    ``(1 - alpha) * base + alpha * tuned`` for every floating-point tensor of every part in ``state``.

    Both payloads must be of one kind with the same parts, keys and shapes (a fine-tune of the same
    architecture); integer tensors (counters) must agree and are copied. The result is ``tuned`` with the
    mixed weights — its model config and ``extra`` (label names, normalisation statistics) — without its
    ``train`` entry (optimizer moments of one end point do not resume the mixture), and with
    ``extra['interpolation'] = {"alpha": alpha, "tuned_step": step}``. Mismatches are a one-line
    :class:`CheckpointError` naming ``where``.
    """
    if not 0.0 <= float(alpha) <= 1.0:
        raise CheckpointError(f"{where}: alpha must be between 0 and 1, got {alpha}")
    if base.get("kind") != tuned.get("kind"):
        raise CheckpointError(f"{where}: kinds differ ({base.get('kind')} vs {tuned.get('kind')})")
    sb, st = base.get("state", {}), tuned.get("state", {})
    if sorted(sb) != sorted(st):
        raise CheckpointError(f"{where}: parts differ ({sorted(sb)} vs {sorted(st)})")
    mixed: dict[str, dict[str, torch.Tensor]] = {}
    for part in st:
        a, b = sb[part], st[part]
        if set(a) != set(b):
            odd = sorted(set(a) ^ set(b))
            raise CheckpointError(f"{where}: '{part}' weights differ in {len(odd)} keys (e.g. {odd[0]})")
        out = {}
        for k, v in b.items():
            u = a[k]
            if u.shape != v.shape:
                raise CheckpointError(f"{where}: '{part}' {k} has shapes {tuple(u.shape)} vs {tuple(v.shape)}")
            if v.is_floating_point():
                out[k] = torch.lerp(u.float(), v.float(), float(alpha)).to(v.dtype)
            elif torch.equal(u, v):
                out[k] = v.clone()
            else:
                raise CheckpointError(f"{where}: '{part}' {k} is an integer tensor that differs between the two")
        mixed[part] = out
    result = {k: v for k, v in tuned.items() if k not in ("train", "state", "format", "version")}
    result["state"] = mixed
    step = tuned.get("train", {}).get("step")
    result["extra"] = {**tuned.get("extra", {}),
                       "interpolation": {"alpha": float(alpha), "tuned_step": int(step) if step is not None else -1}}
    return result
