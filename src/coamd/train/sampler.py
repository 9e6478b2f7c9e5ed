"""A resumable, distributed batch sampler whose order is a function of (seed, epoch).

Each epoch draws one permutation of the dataset from ``seed`` and ``epoch``. Global batch k is
``perm[k*G:(k+1)*G]`` with G = batch_size x world; rank r takes the r-th slice of batch_size. So a
single process with batch G sees exactly the union of what the ranks see, and resuming at batch k
of an epoch replays the same order (``set_epoch(epoch, skip=k)``). The last incomplete global
batch is dropped. Per-sample randomness (crops) comes from the datasets themselves, which draw
from ``(seed, epoch, index)`` (``coamd.data.datasets``), so it is independent of the layout too.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


def mix_seed(*numbers: int) -> int:
    """A 63-bit seed mixing the given integers (SplitMix64 steps)."""
    x = 0x243F6A8885A308D3
    for n in numbers:
        x = (x ^ (int(n) & (2**64 - 1))) * 0x9E3779B97F4A7C15 & (2**64 - 1)
        x ^= x >> 30
        x = (x * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        x ^= x >> 27
        x = (x * 0x94D049BB133111EB) & (2**64 - 1)
        x ^= x >> 31
    return x >> 1


class EpochBatchSampler(Sampler[list[int]]):
    """Yields this rank's lists of dataset indices, ``batch_size`` each."""

    def __init__(self, size: int, batch_size: int, seed: int = 0, rank: int = 0, world: int = 1,
                 shuffle: bool = True) -> None:
        self.size, self.batch_size, self.seed = int(size), int(batch_size), int(seed)
        self.rank, self.world, self.shuffle = int(rank), int(world), shuffle
        self.epoch, self.skip = 0, 0

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.world

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        """Use the order of ``epoch`` and start after its first ``skip`` batches."""
        self.epoch, self.skip = int(epoch), int(skip)

    def __len__(self) -> int:
        """Full global batches per epoch (before skipping)."""
        return self.size // self.global_batch

    def order(self) -> torch.Tensor:
        """This epoch's permutation of the dataset indices (the same on every rank)."""
        if not self.shuffle:
            return torch.arange(self.size)
        g = torch.Generator().manual_seed(mix_seed(self.seed, self.epoch))
        return torch.randperm(self.size, generator=g)

    def __iter__(self) -> Iterator[list[int]]:
        perm = self.order()
        for k in range(self.skip, len(self)):
            lo = k * self.global_batch + self.rank * self.batch_size
            yield perm[lo:lo + self.batch_size].tolist()
