"""Learning-rate schedule: linear warm-up, then step decay at milestones (paper-brief §4).

The rate is a pure function of the optimizer step, so resuming needs only the step count.
Milestones count optimizer steps from the start of training (warm-up included).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import torch


def lr_at(step: int, base_lr: float, warmup_steps: int, milestones: Sequence[int], gamma: float) -> float:
    """Learning rate for optimizer step ``step`` (0-based)."""
    warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    decays = bisect.bisect_right(list(milestones), step)
    return base_lr * warm * gamma ** decays


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
