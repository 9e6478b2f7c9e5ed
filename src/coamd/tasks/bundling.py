"""Assembling model bundles (the format is documented in :mod:`coamd.tasks.bundle`; ``bundle.json`` is written
by :func:`coamd.models.bundle_meta.write_bundle_meta`, each part by :func:`coamd.models.checkpoint.save_payload`).

``make_bundle`` turns training runs into a bundle (inference weights only, optional fp16),
``write_bundle`` writes one from checkpoint payloads, and ``make_random_bundle`` makes a
random-weight bundle for smoke tests. Every bundle is built under a temporary name and renamed
into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

import coamd

from ..atomic import atomic_dir, atomic_open
from ..config import to_dict
from ..data import Normalizer
from ..models import ModelConfig, build_models
from ..models.bundle_meta import write_bundle_meta
from ..models.checkpoint import save_payload, stamp
from ..skeleton import SKELETONS, Skeleton
from .bundle import (
    LABELS_FILE,
    BundleError,
    _check_compatible,
    _read,
    _text_backend,
    find_checkpoints,
)


def _strip(payload: dict, kind: str, fp16: bool) -> dict[str, Any]:
    """An inference checkpoint: the part's (EMA) weights, its config and task extras, nothing else."""
    sd = payload["state"][kind]
    if fp16:
        sd = {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
    extra = {k: v for k, v in (payload.get("extra") or {}).items()}
    return stamp({"kind": kind, "model_config": payload["model_config"],
                  "state": {kind: {k: v.detach().cpu().contiguous() for k, v in sd.items()}}, "extra": extra})


def write_bundle(out_dir: str | os.PathLike, checkpoints: dict[str, dict[str, Any]], *, text_backend: str,
                 text_options: dict[str, Any] | None = None, text_model_id: str = "", name: str | None = None,
                 labels: Sequence[str] | None = None, stats: Normalizer | None = None,
                 defaults: dict[str, Any] | None = None, model_cards: Sequence[str | os.PathLike] = (),
                 sources: dict[str, dict[str, Any]] | None = None, overwrite: bool = False) -> Path:
    """Write a bundle folder atomically from ``{part: inference checkpoint payload}``."""
    out = Path(out_dir)
    if not checkpoints:
        raise BundleError(f"{out}: nothing to bundle (no checkpoints given)")
    cfg0 = next(iter(checkpoints.values()))["model_config"]
    skeleton = str(cfg0.get("skeleton", "smpl22"))
    with atomic_dir(out, overwrite=overwrite) as tmp:
        for part, payload in checkpoints.items():
            save_payload(tmp / f"{part}.pt", payload)
        if stats is not None:
            stats.save(tmp)
        if labels:
            save_labels(tmp / LABELS_FILE, labels)
        cards = []
        for card in model_cards:
            card = Path(card)
            if not card.is_file():
                raise BundleError(f"model card {card}: no such file")
            (tmp / card.name).write_bytes(card.read_bytes())
            cards.append(card.name)
        meta = {
            "name": name or out.name, "skeleton": skeleton,
            "fps": SKELETONS[skeleton].fps if skeleton in SKELETONS else 20.0,
            "unit_length": 2 ** int(cfg0.get("ae", {}).get("down_t", 2)),
            "text": {"backend": text_backend, "model_id": text_model_id, "options": dict(text_options or {})},
            "parts": {part: f"{part}.pt" for part in checkpoints},
            "versions": {"coamd": coamd.__version__, "torch": torch.__version__},
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "sources": sources or {}, "model_cards": cards, "defaults": dict(defaults or {}),
        }
        write_bundle_meta(tmp, meta)
    return out


def make_bundle(runs: Sequence[str | os.PathLike] | str | os.PathLike, out_dir: str | os.PathLike, *,
                fp16: bool = False, name: str | None = None, defaults: dict[str, Any] | None = None,
                model_cards: Sequence[str | os.PathLike] = (), overwrite: bool = False) -> Path:
    """Assemble a bundle from training runs (run folders, ``.pt`` files, or one folder of runs).

    Keeps each run's inference weights (the EMA copy the trainer stores in ``state[kind]``), drops
    the optimizer/raw-weight/RNG ``train`` entry, optionally stores floats as fp16, and writes
    Mean/Std (from the AE run, else any run), ``labels.txt`` (from the MAR run) and ``bundle.json``.
    """
    if isinstance(runs, (str, os.PathLike)):
        runs = [runs]
    files: dict[str, Path] = {}
    for run in runs:
        for kind, file in find_checkpoints(run).items():
            if kind in files:
                raise BundleError(f"two '{kind}' checkpoints: {files[kind]} and {file}")
            files[kind] = file
    payloads, sources, extras, configs = {}, {}, {}, {}
    for kind, file in files.items():
        _, configs[kind], payload = _read(file)
        payloads[kind] = _strip(payload, kind, fp16)
        extras[kind] = payload.get("extra") or {}
        train = payload.get("train") or {}
        sources[kind] = {"path": str(file), "step": int(train.get("step", -1)) if isinstance(train, dict) else -1}
        del payload                                   # optimizer states can be large: free them early
    _check_compatible(configs, Path(out_dir))
    backend, options = _text_backend({}, extras, configs, Path(out_dir))
    stats = None
    for kind in ("ae", "generator", "mar", "length"):
        e = extras.get(kind, {})
        if e.get("mean") is not None and e.get("std") is not None:
            stats = Normalizer(np.asarray(e["mean"]), np.asarray(e["std"]))
            break
    labels = [str(x) for x in extras.get("mar", {}).get("label_names") or []]
    model_id = next((str(e["text_model_id"]) for e in extras.values() if e.get("text_model_id")), "")
    return write_bundle(out_dir, payloads, text_backend=backend, text_options=options, text_model_id=model_id,
                        name=name, labels=labels, stats=stats, defaults=defaults, model_cards=model_cards,
                        sources=sources, overwrite=overwrite)


def make_random_bundle(out_dir: str | os.PathLike, model_config: ModelConfig | None = None, *,
                       text_backend: str = "hash", labels: Sequence[str] = ("walk", "run", "jump", "sit", "wave"),
                       seed: int = 0, noise: float = 0.05, defaults: dict[str, Any] | None = None,
                       overwrite: bool = False) -> Path:
    """A bundle of randomly initialised models, for smoke tests of the tasks (meaningless outputs).

    Every weight gets ``noise`` x N(0, 1) added so the zero-initialised adaLN and head layers are
    active. Mean = an upright rest pose (pelvis 0.95 m above the floor), Std = 0.1 m.
    """
    from ..models import tiny_config

    cfg = model_config or tiny_config()
    if text_backend == "hash" and cfg.text.sentence_dim != cfg.text.token_dim:
        raise BundleError("the hash text backend needs model.text.sentence_dim == model.text.token_dim")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # module initialisers draw from the global generator; seeding keeps bundles reproducible
    modules = build_models(cfg)
    with torch.no_grad():
        for m in modules.values():
            for p in m.parameters():
                p.add_(noise * torch.randn(p.shape, generator=gen))
    skel = SKELETONS[cfg.skeleton]
    pose = _rest_pose(skel)                                                     # (J, 3)
    stats = Normalizer(pose.reshape(-1), np.full(3 * skel.num_joints, 0.1, np.float32))
    extra = {"text_backend": text_backend, "mean": torch.from_numpy(stats.mean.copy()),
             "std": torch.from_numpy(stats.std.copy()), "label_names": list(labels), "dataset": "random"}
    payloads = {part: stamp({"kind": part, "model_config": to_dict(cfg),
                             "state": {part: {k: v.detach().clone() for k, v in m.state_dict().items()}},
                             "extra": dict(extra)})
                for part, m in modules.items()}
    options = {"dim": cfg.text.sentence_dim} if text_backend == "hash" else {}
    return write_bundle(out_dir, payloads, text_backend=text_backend, text_options=options, name="random",
                        labels=labels, stats=stats, defaults=defaults, overwrite=overwrite)


def _rest_pose(skel: Skeleton) -> np.ndarray:
    """Joint positions (J, 3) of the rest pose with 0.2 m bones, lifted so the lowest joint is on the floor."""
    offsets = skel.rest_offsets(np.full(skel.num_joints, 0.2))
    pos = np.zeros((skel.num_joints, 3))
    for j in skel.topological_order:
        p = skel.parents[j]
        if p >= 0:
            pos[j] = pos[p] + offsets[j]
    pos[:, 1] -= pos[:, 1].min()
    return pos.astype(np.float32)


def save_labels(path: str | os.PathLike, labels: Sequence[str]) -> None:
    """Write a ``labels.txt`` (one label per line) atomically."""
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write("".join(f"{label}\n" for label in labels))


__all__ = ["make_bundle", "make_random_bundle", "save_labels", "write_bundle"]
