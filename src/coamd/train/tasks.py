"""The registry of training tasks: model kind -> ``TrainTask`` class (paper-brief §4, §6.1 for the evaluators)."""

from __future__ import annotations

from ..data import DataSource
from ..errors import CoamdError
from ..models import ModelConfig
from .task import TaskContext, TrainTask
from .task_ae import AETask
from .task_distill import DistillTask
from .task_evaluator import EvaluatorTask
from .task_generator import GeneratorTask
from .task_length import LengthTask
from .task_mar import MARTask

TASKS: dict[str, type[TrainTask]] = {"ae": AETask, "mar": MARTask, "generator": GeneratorTask, "length": LengthTask,
                                    "distill": DistillTask, "evaluator": EvaluatorTask}


def build_task(kind: str, ctx: TaskContext, model_cfg: ModelConfig, source: DataSource) -> TrainTask:
    """The task training ``kind`` on ``source`` with the architecture ``model_cfg``."""
    if kind not in TASKS:
        raise CoamdError(f"unknown model kind {kind!r}; choose one of {sorted(TASKS)}")
    return TASKS[kind](ctx, model_cfg, source)
