"""The test-split draws every text-to-motion protocol scores against (paper-brief §6.2).

Upstream evaluates with ``Text2MotionDataset(evaluation=True)`` behind a shuffled, ``drop_last``
loader of batch 32: each sample contributes one random caption and one random T2M crop (a
multiple of 4 frames, with a 1/3 chance of one unit less, at a random offset), and generation
uses those ground-truth lengths. :meth:`EvalSet.draw` makes one such draw per repeat from
``np.random.default_rng((seed, repeat, ...))``, so every method of a table is scored on the
same captions, lengths and pools, and a run is reproducible from its seed.

``limit`` keeps a fixed random subset of the split (chosen from the seed, not the repeat), so
repeats differ only in captions, crops and shuffles, as with the full split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DataSource, MotionTextIndex, resolve_data
from ..data.datasets import crop_length
from ..errors import CoamdError
from ..evaluation.protocol import POOL, pad_motions  # one owner; re-exported for the bench


class TooFewSamples(CoamdError):
    """A split with fewer captioned samples than one R-precision pool."""


@dataclass
class Draw:
    """One repeat's evaluation set: row i pairs ``captions[i]`` with the GT crop ``joints[i]``."""

    captions: list[str]
    joints: list[np.ndarray]        # N x (T_i, J, 3) float32 metres
    lengths: np.ndarray             # (N,) int64 frames, multiples of the unit length
    names: list[str]                # sample names (motion id or id@start-end)
    starts: np.ndarray              # (N,) first frame of each crop inside its sample

    def __len__(self) -> int:
        return len(self.captions)


def fit_length(motion: np.ndarray, frames: int) -> np.ndarray:
    """Crop ``motion`` (T, J, 3) to its first ``frames`` frames, or hold its last pose to reach them."""
    if len(motion) >= frames:
        return np.ascontiguousarray(motion[:frames], dtype=np.float32)
    tail = np.repeat(motion[-1:], frames - len(motion), axis=0)
    return np.concatenate([motion, tail]).astype(np.float32)


class EvalSet:
    """The captioned samples of one split of a HumanML3D-layout corpus, and random draws from them.

    Args:
        data: a ``--data`` value (folder, dataset name or ``kind:PATH``; see ``coamd.train.data``).
        split: split name (``test``, ``test_compositional``, ...).
        limit: keep a fixed random subset of this many samples (0 = all).
        seed: seeds the subset and every draw.
    """

    def __init__(self, data: str | Path | DataSource, split: str = "test", limit: int = 0, seed: int = 0) -> None:
        self.source = data if isinstance(data, DataSource) else resolve_data(str(data))
        if not self.source.text_motion:
            raise CoamdError(f"--data {self.source.root}: a {self.source.name} folder has no captions; text-to-motion "
                             f"evaluation needs a HumanML3D-layout corpus (e.g. 'coamd data synth --out corpus')")
        if limit < 0:
            raise CoamdError(f"--limit: must not be negative, got {limit}")
        self.split, self.seed = split, int(seed)
        self.index = MotionTextIndex(self.source.root, split, dataset=self.source.name)
        self.spec = self.index.spec
        rows = np.arange(len(self.index))
        if limit and limit < len(rows):
            rows = np.sort(np.random.default_rng((self.seed, 7919)).permutation(len(rows))[:limit])
        self.rows = rows
        if len(self.rows) < POOL:
            raise TooFewSamples(f"{self.source.root}: split '{split}' has {len(self.rows)} captioned samples"
                                f"{' after --limit' if len(self.rows) < len(self.index) else ''}; the protocol "
                                f"needs at least {POOL} (one R-precision pool)")

    @property
    def root(self) -> Path:
        return self.source.root

    @property
    def size(self) -> int:
        """Samples per draw: the subset rounded down to whole pools of 32 (``drop_last``)."""
        return len(self.rows) // POOL * POOL

    def describe(self) -> dict:
        return {"data": str(self.source.root), "dataset": self.source.name, "split": self.split,
                "samples": len(self.index), "used": len(self.rows), "per_draw": self.size}

    def _crop(self, row: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        x = self.index.motion(int(row))                                      # (T, J, 3)
        start = int(rng.integers(len(x) - length + 1))
        return np.ascontiguousarray(x[start:start + length], dtype=np.float32), start

    def draw(self, repeat: int) -> Draw:
        """Repeat ``repeat``'s draw: shuffled rows (whole pools), one caption and one crop each."""
        rng = np.random.default_rng((self.seed, int(repeat), 1))
        order = rng.permutation(self.rows)[: self.size]
        unit, max_len = self.spec.unit_length, self.spec.max_length
        captions, joints, lengths, names, starts = [], [], [], [], []
        for row in order:
            sample = self.index[int(row)]
            captions.append(sample.captions[int(rng.integers(len(sample.captions)))].text)
            m = crop_length(sample.length, unit, max_len, rng)
            clip, start = self._crop(row, m, rng)
            joints.append(clip)
            lengths.append(m)
            names.append(sample.name)
            starts.append(start)
        return Draw(captions, joints, np.array(lengths, np.int64), names, np.array(starts, np.int64))

    def redraw(self, draw: Draw, repeat: int) -> Draw:
        """The same samples, captions and lengths with fresh crop offsets: the real-vs-real reference row."""
        rng = np.random.default_rng((self.seed, int(repeat), 2))
        by_name = {self.index[int(r)].name: int(r) for r in self.rows}
        joints, starts = [], []
        for name, m in zip(draw.names, draw.lengths):
            clip, start = self._crop(by_name[name], int(m), rng)
            joints.append(clip)
            starts.append(start)
        return Draw(list(draw.captions), joints, draw.lengths.copy(), list(draw.names), np.array(starts, np.int64))


__all__ = ["POOL", "Draw", "EvalSet", "TooFewSamples", "fit_length", "pad_motions"]
