"""Per-coordinate z-normalisation of absolute joint positions (paper-brief §2.1, "Mean/Std").

CoAMD feeds every network (AE, generator, MAR, evaluators) ``(x - Mean) / Std`` with 66-d
(KIT: 63-d) statistics computed over all training-split frames of the joint files. The official
release does not ship them; we compute them here (Chan et al.'s parallel mean/variance merge in
float64, one clip at a time, so a corpus never has to fit in memory).

Std floor: ``STD_FLOOR = 0.01`` (1 cm, statistics are in metres). Every coordinate of real motion
varies by far more than that (HumanML3D's smallest, pelvis height, has std ~ 0.15 m), so the floor
only acts on (near-)constant coordinates, e.g. in procedural data, where dividing by ~0 would turn
float noise or any generated deviation into huge normalised values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import save_npy
from ..errors import CoamdError

STD_FLOOR = 0.01
MEAN_FILE, STD_FILE = "Mean.npy", "Std.npy"


@dataclass
class Normalizer:
    """``normalize``/``denormalize`` for (..., F) or (..., J, 3) arrays or tensors (F = 3J)."""

    mean: np.ndarray  # (F,) float32
    std: np.ndarray  # (F,) float32, already floored

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(self.std, dtype=np.float32).reshape(-1)
        if self.mean.shape != self.std.shape:
            raise ValueError(f"Mean {self.mean.shape} and Std {self.std.shape} differ in size")

    @property
    def feature_dim(self) -> int:
        return int(self.mean.shape[0])

    def _stats_like(self, x: Any) -> tuple[Any, Any, tuple[int, ...] | None]:
        shape = tuple(x.shape)
        F = self.feature_dim
        if shape[-2:] == (F // 3, 3):
            flat_shape: tuple[int, ...] | None = shape[:-2] + (F,)
        elif shape[-1:] == (F,):
            flat_shape = None
        else:
            raise ValueError(f"cannot normalise shape {shape} with {F}-d statistics")
        if isinstance(x, np.ndarray):
            return self.mean, self.std, flat_shape
        import torch

        mean = torch.as_tensor(self.mean, device=x.device, dtype=x.dtype)
        std = torch.as_tensor(self.std, device=x.device, dtype=x.dtype)
        return mean, std, flat_shape

    def normalize(self, x: Any) -> Any:
        """(x - Mean) / Std; returns the input's shape, type, device and (float) dtype."""
        mean, std, flat = self._stats_like(x)
        y = (x.reshape(flat) if flat else x) - mean
        y = y / std
        return y.reshape(x.shape) if flat else y

    def denormalize(self, x: Any) -> Any:
        """x * Std + Mean (the inverse of `normalize`)."""
        mean, std, flat = self._stats_like(x)
        y = (x.reshape(flat) if flat else x) * std + mean
        return y.reshape(x.shape) if flat else y

    def save(self, folder: str | Path) -> None:
        """Write ``Mean.npy`` and ``Std.npy`` (float32, (F,)) atomically."""
        folder = Path(folder)
        save_npy(folder / MEAN_FILE, self.mean)
        save_npy(folder / STD_FILE, self.std)

    @classmethod
    def load(cls, folder: str | Path, floor: float = STD_FLOOR) -> Normalizer:
        """Read ``Mean.npy``/``Std.npy`` from ``folder`` (the std floor is applied again on read)."""
        folder = Path(folder)
        try:
            mean, std = np.load(folder / MEAN_FILE), np.load(folder / STD_FILE)
        except FileNotFoundError:
            raise CoamdError(f"{folder}: no {MEAN_FILE}/{STD_FILE} (run 'coamd data prepare' first)") from None
        except ValueError as e:
            raise CoamdError(f"{folder}: unreadable {MEAN_FILE}/{STD_FILE}: {e}") from None
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise CoamdError(f"{folder}: {MEAN_FILE}/{STD_FILE} contain NaN or infinite values")
        return cls(mean, np.maximum(std, floor))


class RunningStats:
    """Streaming per-coordinate mean/variance over frames (Chan et al. 1979 pairwise merge)."""

    def __init__(self, feature_dim: int) -> None:
        self.count = 0
        self.mean = np.zeros(feature_dim, dtype=np.float64)
        self.m2 = np.zeros(feature_dim, dtype=np.float64)

    def update(self, x: np.ndarray) -> None:
        """Add the frames of one clip: (T, F) or (T, J, 3)."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)  # (T, F)
        n = x.shape[0]
        if n == 0:
            return
        mean_b = x.mean(axis=0)
        m2_b = ((x - mean_b) ** 2).sum(axis=0)
        total = self.count + n
        delta = mean_b - self.mean
        self.mean += delta * (n / total)
        self.m2 += m2_b + delta**2 * (self.count * n / total)
        self.count = total

    def normalizer(self, floor: float = STD_FLOOR) -> Normalizer:
        if self.count == 0:
            raise CoamdError("no training frames to compute Mean/Std from")
        std = np.sqrt(self.m2 / self.count)  # population std, like np.std
        return Normalizer(self.mean, np.maximum(std, floor))


def compute_stats(motions: Iterable[np.ndarray], floor: float = STD_FLOOR) -> Normalizer:
    """Mean/Std over all frames of ``motions`` (each (T, J, 3) or (T, F))."""
    stats: RunningStats | None = None
    for m in motions:
        m = np.asarray(m)
        if stats is None:
            stats = RunningStats(int(np.prod(m.shape[1:])))
        stats.update(m)
    if stats is None:
        raise CoamdError("no training frames to compute Mean/Std from")
    return stats.normalizer(floor)
