"""Training checkpoints: plain dicts of tensors and Python scalars, written atomically.

Every checkpoint loads with ``torch.load(path, weights_only=True)`` and follows the model
checkpoint format of ``coamd.models.checkpoint`` (``format``, ``version``, ``model_config``,
``state: {part: weights}``), read and written through that module, so ``coamd.models.load_checkpoint`` reads a training checkpoint
directly; ``state[kind]`` holds the weights inference should use (the EMA copy when there is
one). The ``train`` entry holds what resuming needs: raw model, EMA, optimizer and grad-scaler
states, step/epoch/batch position, every RNG state per rank as tensors, the best validation
score and the resolved config; ``extra`` holds task data for inference (normalisation statistics,
label names, text backend). Layout of a run folder::

    RUN/config.yaml             resolved train + model config
    RUN/checkpoints/latest.pt   last save (resume point)
    RUN/checkpoints/best.pt     best on the validation split
    RUN/checkpoints/step_N.pt   periodic saves (the last ``keep_checkpoints``)
    RUN/log.csv, RUN/val.csv    training and validation logs
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..models.checkpoint import CheckpointError, checkpoint_file, read_payload, save_payload


def capture_rng(generator: torch.Generator | None = None) -> dict[str, Any]:
    """Every RNG state as tensors (so the dict passes ``weights_only`` loading)."""
    _, keys, pos, has_gauss, cached = np.random.get_state()
    version, py_state, gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np.asarray(keys, np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": {"version": int(version), "state": torch.tensor(py_state, dtype=torch.int64),
                   "gauss": gauss},
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def restore_rng(state: dict[str, Any], generator: torch.Generator | None = None) -> None:
    """Inverse of ``capture_rng`` (the states are CPU tensors: load checkpoints with ``map_location="cpu"``)."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["state"].tolist()), p["gauss"]))
    if state.get("cuda") and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write a training checkpoint atomically and durably (the format floor's :func:`save_payload`)."""
    return save_payload(path, state, durable=True)


def load_checkpoint(path: str | Path, kind: str | None = None, map_location: str | torch.device = "cpu") -> dict:
    """Load a training checkpoint (a file or a run folder) through the format floor's :func:`read_payload`
    (``weights_only=True``, format/version/kind checks); it must hold the ``train`` entry resuming needs."""
    path = checkpoint_file(path)
    ckpt = read_payload(path, kind=kind, map_location=map_location)
    if "train" not in ckpt:
        raise CheckpointError(f"{path}: not a coamd training checkpoint (no 'train' entry)")
    return ckpt


def inference_weights(ckpt: dict) -> dict[str, torch.Tensor]:
    """The weights inference should use: the EMA copy when there is one, else the raw model."""
    return ckpt["state"][ckpt["kind"]]


def file_hash(path: str | Path, length: int = 16) -> str:
    """SHA-256 prefix of a file's bytes (keys caches derived from a checkpoint)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:length]


def prune_step_checkpoints(folder: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` ``step_*.pt`` files in ``folder``."""
    steps = sorted(folder.glob("step_*.pt"), key=lambda p: int(p.stem.split("_")[1]))
    for old in steps[: max(0, len(steps) - keep)]:
        old.unlink(missing_ok=True)


__all__ = ["CheckpointError", "capture_rng", "checkpoint_file", "file_hash", "inference_weights", "load_checkpoint",
           "prune_step_checkpoints", "restore_rng", "save_checkpoint"]
