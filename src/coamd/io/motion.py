"""`LoadedMotion`: what every importer returns (canonical SMPL-22 joints plus where they came from)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LoadedMotion:
    """A motion in the canonical convention (see `coamd.skeleton.canonical`).

    joints: (T, 22, 3) float32, metres, 20 fps, Y up, floor at y = 0, first-frame pelvis XZ at
    the origin, first frame facing +Z. ``meta`` records the source: path, format, rig, units,
    source_fps, source_frames (and, for NTU, the chosen body).
    """

    joints: np.ndarray
    fps: float = 20.0
    meta: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])

    @property
    def seconds(self) -> float:
        return self.num_frames / self.fps
