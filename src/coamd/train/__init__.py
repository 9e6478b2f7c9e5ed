"""One trainer for every model (paper-brief §4) and the per-model training tasks.

``Trainer(task).fit()`` runs AdamW with linear warm-up + step decay, gradient clipping, EMA,
mixed precision on CUDA, gradient accumulation and DDP (``torchrun``); checkpoints are plain
dicts (``torch.load(weights_only=True)``) written atomically, also on SIGINT/SIGTERM, and
``resume=True`` continues exactly. ``coamd train {ae,mar,generator,length}`` is the CLI.
"""

from __future__ import annotations

from .checkpoint import (
    CheckpointError,
    capture_rng,
    file_hash,
    inference_weights,
    load_checkpoint,
    restore_rng,
    save_checkpoint,
)
from .config import (
    TRAIN_CONFIGS,
    AETrainConfig,
    GeneratorTrainConfig,
    LengthTrainConfig,
    MARTrainConfig,
    TrainConfig,
    load_train_config,
    split_overrides,
)
from .distributed import DistInfo, init_distributed
from .ema import EMA
from .loop import Trainer, TrainResult
from .sampler import EpochBatchSampler
from .schedule import lr_at
from .task import TaskContext, TrainTask

__all__ = [
    "EMA",
    "TRAIN_CONFIGS",
    "AETrainConfig",
    "CheckpointError",
    "DistInfo",
    "EpochBatchSampler",
    "GeneratorTrainConfig",
    "LengthTrainConfig",
    "MARTrainConfig",
    "TaskContext",
    "TrainConfig",
    "TrainResult",
    "TrainTask",
    "Trainer",
    "capture_rng",
    "file_hash",
    "inference_weights",
    "init_distributed",
    "load_checkpoint",
    "load_train_config",
    "lr_at",
    "restore_rng",
    "save_checkpoint",
    "split_overrides",
]
