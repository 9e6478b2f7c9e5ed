"""Training logs: a CSV always (rewritten atomically), TensorBoard when it is installed.

``log.csv`` gets one row per ``log_every`` steps, ``val.csv`` one row per validation. Between
checkpoints the CSV is rewritten every few seconds; with every checkpoint both files are written
durably (fsync) *before* the checkpoint, so every row up to a checkpoint's step survives even a
hard kill (SIGKILL, power loss). On resume the rows after the resumed step are dropped (they
are logged again), so the files read as one uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from ..atomic import atomic_open


class CSVLog:
    """Rows of scalars with a growing set of columns; the whole file is rewritten atomically."""

    def __init__(self, path: Path, resume_step: int | None = None, flush_seconds: float = 5.0) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.columns: list[str] = []
        self.flush_seconds = flush_seconds
        self._last_flush = 0.0
        if resume_step is not None and path.is_file():
            with open(path, newline="") as f:
                for row in csv.DictReader(f):
                    if int(float(row.get("step", 0))) <= resume_step:
                        self.add({k: v for k, v in row.items() if v != ""}, flush=False)

    def add(self, row: dict[str, Any], flush: bool = True) -> None:
        for k in row:
            if k not in self.columns:
                self.columns.append(k)
        self.rows.append(dict(row))
        if flush and time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self, durable: bool = False) -> None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\n")
        w.writeheader()
        for row in self.rows:
            w.writerow({k: _fmt(v) for k, v in row.items()})
        with atomic_open(self.path, "w", durable=durable) as f:
            f.write(buf.getvalue())
        self._last_flush = time.monotonic()


def _fmt(v: Any) -> Any:
    return f"{v:.6g}" if isinstance(v, float) else v


class RunLogger:
    """CSV logs for training and validation, mirrored to TensorBoard if available (rank 0 only)."""

    def __init__(self, run_dir: Path, resume_step: int | None = None, tensorboard: bool = True) -> None:
        self.train = CSVLog(run_dir / "log.csv", resume_step)
        self.val = CSVLog(run_dir / "val.csv", resume_step, flush_seconds=0.0)
        self.tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is an optional extra
                SummaryWriter = None
            if SummaryWriter is not None:
                self.tb = SummaryWriter(str(run_dir / "tensorboard"), purge_step=resume_step)

    def log_train(self, step: int, values: dict[str, float]) -> None:
        self.train.add({"step": step, **values})
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(f"train/{k}", v, step)

    def log_val(self, step: int, values: dict[str, float]) -> None:
        self.val.add({"step": step, **values})
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(f"val/{k}", v, step)

    def sync(self) -> None:
        """Write both CSVs durably (called with every checkpoint)."""
        self.train.flush(durable=True)
        self.val.flush(durable=True)
        if self.tb is not None:
            self.tb.flush()

    def close(self) -> None:
        self.train.flush(durable=True)
        self.val.flush(durable=True)
        if self.tb is not None:
            self.tb.close()
