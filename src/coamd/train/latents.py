"""Frozen-AE latents of a whole split, encoded once and cached on disk (paper-brief §4 generator).

The generator trains on AE tokens. Upstream re-encodes every batch with the AE (without
``no_grad``, §9.15); we encode each text-to-motion sample once (its first ``floor(min(T, 196)/4)*4``
frames, no_grad, eval mode) and keep the tokens in ``RUN/latents/<ae-hash>-<split>.npz``, keyed by
a hash of the AE checkpoint file, so a new AE never reuses stale latents. Training crops then
happen in token space: a crop of m tokens starting at token s (the T2M crop rules in units of 4
frames; start offsets are multiples of 4 frames, a small departure from upstream's frame offsets).
``crop: frames`` (``GeneratorTrainConfig``) trains on upstream's crops instead: :class:`FrameCropDataset`
cuts each sample at any frame offset and the task encodes the batch with the frozen AE every step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..atomic import save_npz
from ..data import MotionTextIndex, Normalizer


def encode_split(ae: nn.Module, index: MotionTextIndex, normalizer: Normalizer, unit: int, max_length: int,
                 device: torch.device, batch_size: int = 64, progress: bool = True) -> dict[str, np.ndarray]:
    """{"latents": (N_tokens, C) float32, "offsets": (S+1,) int64} for the S samples of ``index``."""
    ae = ae.eval()
    lengths = [min(index[i].length, max_length) // unit * unit for i in range(len(index))]
    chunks: list[np.ndarray] = [np.zeros((0, ae.latent_dim), np.float32)] * len(index)
    order = np.argsort(lengths)                                   # similar lengths batch together
    for s in tqdm(range(0, len(order), batch_size), desc=f"encoding {index.split} latents", unit="batch",
                  disable=not progress, leave=False):
        rows = [int(i) for i in order[s:s + batch_size] if lengths[int(i)] > 0]
        if not rows:
            continue
        T = max(lengths[i] for i in rows)
        x = torch.zeros(len(rows), T, normalizer.feature_dim)       # (B, T, F)
        for j, i in enumerate(rows):
            m = np.asarray(index.motion(i)[: lengths[i]], np.float32).reshape(lengths[i], -1)
            x[j, : lengths[i]] = torch.from_numpy(normalizer.normalize(m))
        with torch.no_grad():
            z = ae.encode(x.to(device)).float().cpu().numpy()       # (B, T/unit, C)
        for j, i in enumerate(rows):
            chunks[i] = z[j, : lengths[i] // unit]
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).astype(np.int64)
    return {"latents": np.concatenate(chunks).astype(np.float32), "offsets": offsets}


def cached_latents(path: Path, make) -> dict[str, np.ndarray]:
    """Load ``path`` (an .npz of latents/offsets) or build it with ``make()`` and save it atomically."""
    if path.is_file():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    data = make()
    save_npz(path, **data)
    return data


def draw_crop(rng: np.random.Generator, captions: int, tokens: int) -> tuple[int, int]:
    """(caption index, crop length in tokens) of upstream's T2M crop: ``tokens``, one less with
    probability 1/3 (the "double" coin); the caller then draws the start offset from the same ``rng``."""
    c = int(rng.integers(captions))
    if rng.integers(3) == 2 and tokens > 1:
        tokens -= 1
    return c, tokens


class LatentTextDataset(Dataset):
    """(AE tokens of one sample, cropped, length in tokens, one of its captions) per item.

    Randomness (caption choice, crop length and start) draws from (seed, epoch, index), like
    ``coamd.data.datasets``; ``random_crop=False`` gives the whole sample and its first caption.
    """

    def __init__(self, latents: np.ndarray, offsets: np.ndarray, captions: list[list[str]], seed: int = 0,
                 random_crop: bool = True, max_tokens: int = 49) -> None:
        self.latents, self.offsets, self.captions = latents, offsets, captions
        self.seed, self.epoch, self.random_crop, self.max_tokens = seed, 0, random_crop, max_tokens
        self.items = [i for i in range(len(captions)) if captions[i] and offsets[i + 1] > offsets[i]]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> dict:
        i = self.items[k]
        z = self.latents[self.offsets[i]:self.offsets[i + 1]][: self.max_tokens]   # (L, C)
        caps = self.captions[i]
        if not self.random_crop:
            return {"latents": torch.from_numpy(np.array(z)), "length": len(z), "caption": caps[0]}
        rng = np.random.default_rng((self.seed, self.epoch, k))
        c, m = draw_crop(rng, len(caps), len(z))
        caption = caps[c]
        start = int(rng.integers(len(z) - m + 1))
        return {"latents": torch.from_numpy(np.array(z[start:start + m])), "length": m, "caption": caption}


class FrameCropDataset(Dataset):
    """(normalised frames of one T2M crop, its length in tokens, one caption) per item: upstream's crops.

    As upstream's text-to-motion loader: m = min(T, max_length) rounded down to whole tokens, one
    token less with probability 1/3, at a random FRAME offset in [0, T − m]; the task encodes the
    batch with the frozen AE. Randomness draws from (seed, epoch, index) like :class:`LatentTextDataset`.
    """

    def __init__(self, index: MotionTextIndex, normalizer: Normalizer, unit: int, max_length: int,
                 seed: int = 0) -> None:
        self.index, self.normalizer, self.unit, self.max_length = index, normalizer, unit, max_length
        self.seed, self.epoch = seed, 0
        self.items = [i for i in range(len(index)) if index[i].captions and index[i].length >= unit]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> dict:
        i = self.items[k]
        motion = self.index.motion(i)                                          # (T, J, 3)
        rng = np.random.default_rng((self.seed, self.epoch, k))
        caps = self.index[i].captions
        c, m = draw_crop(rng, len(caps), min(len(motion), self.max_length) // self.unit)
        caption = caps[c].text
        frames = m * self.unit
        start = int(rng.integers(len(motion) - frames + 1))
        x = np.asarray(motion[start:start + frames], np.float32).reshape(frames, -1)
        return {"frames": torch.from_numpy(self.normalizer.normalize(x).astype(np.float32)), "length": m,
                "caption": caption}


def collate_frames(items: list[dict]) -> dict:
    """Pad frame crops to the batch maximum: frames (B, T, F), length (B,) in tokens, caption list."""
    T = max(it["frames"].shape[0] for it in items)
    x = torch.zeros(len(items), T, items[0]["frames"].shape[1])
    for j, it in enumerate(items):
        x[j, : it["frames"].shape[0]] = it["frames"]
    return {"frames": x, "length": torch.tensor([it["length"] for it in items]),
            "caption": [it["caption"] for it in items]}


def collate_latents(items: list[dict]) -> dict:
    """Pad token sequences to the batch maximum: latents (B, L, C), length (B,), caption list."""
    L = max(it["length"] for it in items)
    C = items[0]["latents"].shape[1]
    z = torch.zeros(len(items), L, C)
    for j, it in enumerate(items):
        z[j, : it["length"]] = it["latents"]
    return {"latents": z, "length": torch.tensor([it["length"] for it in items]),
            "caption": [it["caption"] for it in items]}
