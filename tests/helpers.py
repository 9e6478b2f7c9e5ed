"""Helpers shared by several test modules (the fixtures built on them are in conftest.py): a tiny
HumanML3D-layout corpus of four distinct toy actions, training a task on it in-process, reading run logs,
and a one-thread context for module-scoped fixtures."""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from coamd.skeleton import SMPL22

TINY_ACTIONS = {
    "walk": ["a person walks forward", "someone is walking ahead", "a man walks straight"],
    "jump": ["a person jumps up and down", "someone hops in place", "the person jumps"],
    "wave": ["a person waves the right hand", "someone waves hello", "a man waves his arm"],
    "squat": ["a person squats down", "someone bends the knees and squats", "a person does a squat"],
}


def pose_sequence(action: str, T: int, g: np.random.Generator) -> np.ndarray:
    """A crude but distinct motion per action: rest pose + action-specific joint displacements."""
    lengths = np.full(22, 0.18)
    offsets = SMPL22.rest_offsets(lengths)                                # (J, 3)
    rest = np.zeros((22, 3))
    for j in SMPL22.topological_order[1:]:
        rest[j] = rest[SMPL22.parents[j]] + offsets[j]
    rest[:, 1] -= rest[:, 1].min()
    t = np.arange(T) / 20.0
    freq = g.uniform(0.8, 1.6)
    x = np.repeat(rest[None], T, 0)                                        # (T, J, 3)
    if action == "walk":
        x[:, :, 2] += (t * g.uniform(0.8, 1.4))[:, None]
        x[:, [4, 7, 10], 2] += 0.15 * np.sin(2 * np.pi * freq * t)[:, None]
        x[:, [5, 8, 11], 2] -= 0.15 * np.sin(2 * np.pi * freq * t)[:, None]
    elif action == "jump":
        x[:, :, 1] += 0.25 * np.abs(np.sin(np.pi * freq * t))[:, None]
    elif action == "wave":
        x[:, [19, 21], 1] += 0.5 + 0.1 * np.sin(2 * np.pi * 2 * freq * t)[:, None]
        x[:, [21], 0] += 0.15 * np.sin(2 * np.pi * 2 * freq * t)[:, None]
    else:
        x[:, :16, 1] -= 0.2 * (1 - np.cos(2 * np.pi * 0.5 * freq * t))[:, None]
    return (x + g.normal(0, 0.003, x.shape)).astype(np.float32)


def make_tiny_corpus(root: Path, clips_per_action: int = 8, seed: int = 0) -> Path:
    """A HumanML3D-layout folder: new_joints, texts, train/val/test splits, 400-style labels."""
    g = np.random.default_rng(seed)
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    names = list(TINY_ACTIONS)
    (root / "label_map.txt").write_text("\n".join(names) + "\n")
    ann, ids = {}, []
    for a, action in enumerate(names):
        for k in range(clips_per_action):
            mid = f"{action}_{k:03d}"
            T = int(g.integers(64, 120))
            np.save(root / "new_joints" / f"{mid}.npy", pose_sequence(action, T, g))
            caps = TINY_ACTIONS[action]
            (root / "texts" / f"{mid}.txt").write_text(
                "".join(f"{c}#{' '.join(w + '/X' for w in c.split())}#0.0#0.0\n" for c in caps))
            ann[mid] = {"annotations": [{"label": [a]} for _ in caps], "labels": [a]}
            ids.append(mid)
    (root / "annotations_actions_400.json").write_text(json.dumps(ann))
    order = g.permutation(len(ids))
    n_val = max(2, len(ids) // 8)
    splits = {"val": order[:n_val], "test": order[n_val:2 * n_val], "train": order[2 * n_val:]}
    for split, idx in splits.items():
        (root / f"{split}.txt").write_text("\n".join(ids[i] for i in sorted(idx)) + "\n")
    return root


def train_tiny(kind, corpus, run_dir, overrides=(), resume=False, model_cfg=None, device="cpu"):
    """Train ``kind`` in-process on ``corpus`` (hash text, fp32, log every step): (task, result)."""
    import torch

    from coamd.data import resolve_data
    from coamd.models import tiny_config
    from coamd.train import DistInfo, TaskContext, Trainer, load_train_config
    from coamd.train.tasks import build_task

    cfg = load_train_config(kind, None, [f"data={corpus}", "text=hash", "amp=off", "log_every=1", *overrides])
    ctx = TaskContext(cfg=cfg, device=torch.device(device), dist=DistInfo(), run_dir=Path(run_dir), progress=False)
    task = build_task(kind, ctx, model_cfg or tiny_config(text_dim=16), resolve_data(cfg.data))
    result = Trainer(task, resume=resume, progress=False).fit()
    return task, result


def read_rows(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


def loss_curve(run_dir) -> list[float]:
    return [float(r["loss"]) for r in read_rows(Path(run_dir) / "log.csv")]


@contextlib.contextmanager
def torch_threads(n: int = 1) -> Iterator[None]:
    """torch on ``n`` intra-op threads inside the block (the tests' tensors are tiny; the machine is shared)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
