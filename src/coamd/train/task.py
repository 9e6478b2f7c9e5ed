"""What a model contributes to the one trainer: a ``TrainTask`` (paper-brief §4).

The trainer (``loop.py``) owns optimisation, schedules, EMA, AMP, accumulation, DDP,
checkpoints, signals and logs; a task owns the model, its data and its loss/validation. One task
per model lives in ``tasks_*.py``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from .config import TrainConfig
from .distributed import DistInfo


@dataclass
class TaskContext:
    """Where and how the task runs."""

    cfg: TrainConfig
    device: torch.device
    dist: DistInfo
    run_dir: Path
    progress: bool = True


class TrainTask(abc.ABC):
    """One model's data, loss and validation."""

    kind: str = ""
    val_metric: str = "loss"                        # key of ``validate``'s dict used for best.pt
    val_mode: Literal["min", "max"] = "min"
    find_unused_parameters: bool = False            # DDP: True when some parameters may get no gradient

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.cfg
        self.device = ctx.device

    def say(self, message: str) -> None:
        """Print a progress message on rank 0."""
        if self.ctx.dist.is_main:
            from tqdm.auto import tqdm

            tqdm.write(message)

    @abc.abstractmethod
    def setup(self) -> None:
        """Read data, build text tables and caches (rank 0 writes caches first)."""

    @abc.abstractmethod
    def build_model(self) -> nn.Module:
        """The trainable module, on ``self.device``."""

    @abc.abstractmethod
    def train_dataset(self) -> Dataset:
        """Indexable training set; ``set_epoch(e)`` is called each epoch when it exists."""

    @abc.abstractmethod
    def collate(self, items: list[Any]) -> Any:
        """Items -> one batch (on the CPU; ``loss`` moves it)."""

    @abc.abstractmethod
    def loss(self, model: nn.Module, batch: Any, generator: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        """Scalar loss to minimise and scalars to log."""

    @abc.abstractmethod
    def validate(self, model: nn.Module, generator: torch.Generator) -> dict[str, float]:
        """Metrics on the validation split (must include ``val_metric``)."""

    def extra_state(self) -> dict[str, Any]:
        """Tensors and plain values saved in every checkpoint (normalisation, labels, text backend)."""
        return {}

    def model_config(self) -> dict[str, Any]:
        """The architecture config as a plain dict (saved with the checkpoint)."""
        return {}

    def trainable_parameters(self, model: nn.Module) -> list[nn.Parameter]:
        return [p for p in model.parameters() if p.requires_grad]

    def on_fresh_start(self, model: nn.Module) -> None:
        """Called once before step 0 of a new run (e.g. to load fine-tuning weights)."""
