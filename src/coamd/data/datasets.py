"""torch ``Dataset``s for the trainers (paper-brief §2.1, §4) and a padding ``collate``.

- `MotionWindows`: every ``window``-frame window (stride configurable) of every motion with
  T >= window, normalised: the AE's training set. A cumulative-sum index maps a flat item number
  to (motion, start); no window is materialised ahead of time.
- `TextMotionDataset`: (normalised motion zero-padded to 196, length, caption, tokens) with the
  T2M crop rules: length rounded down to a multiple of 4, with probability 1/3 one more unit
  removed ("single/single/double"), random start offset. The generator and evaluators use it.
- `ActionTextDataset`: MAR training: a caption + one random label of that caption line + the
  motion-level multi-hot over the label map + the motion (same crop).
- `LabelledClipDataset`: (motion, label index) for recognition fine-tuning (NTU, HDM05, Bandai).

Randomness: item ``i`` of epoch ``e`` draws from ``np.random.default_rng((seed, e, i))``, so a
fetch is reproducible and independent of worker count and order (call ``set_epoch`` each epoch;
with ``persistent_workers`` the workers keep the epoch they were started with).
Every item is a dict; `collate_motion` pads ``motion`` to the batch maximum (a multiple of 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import CoamdError
from .humanml3d import MotionTextIndex
from .labelled import LabelledClips
from .normalize import Normalizer


def crop_length(length: int, unit: int, max_length: int, rng: np.random.Generator | None) -> int:
    """T2M crop length: a multiple of ``unit``, at most ``max_length``; with rng, 1/3 chance of one unit less."""
    m = min(length, max_length) // unit * unit
    if rng is not None and rng.integers(3) == 2 and m - unit >= unit:  # the "double" side of the coin
        m -= unit
    return max(m, min(length, unit))


def _pad(x: np.ndarray, pad_to: int | None) -> torch.Tensor:
    """(T, F) float32 -> tensor, zero-padded at the end to ``pad_to`` frames."""
    out = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    if pad_to is not None and out.shape[0] < pad_to:
        out = torch.cat([out, out.new_zeros(pad_to - out.shape[0], out.shape[1])])
    return out


class _Seeded(Dataset):
    """Per-item generators derived from (seed, epoch, index): worker-safe and reproducible."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def rng(self, i: int) -> np.random.Generator:
        return np.random.default_rng((self.seed, self.epoch, int(i)))


# ---------------------------------------------------------------------------- AE windows
class MotionWindows(_Seeded):
    """All ``window``-frame windows (every ``stride`` frames) of the motions with T >= window."""

    def __init__(self, motions: MotionTextIndex | Sequence[np.ndarray], normalizer: Normalizer,
                 window: int = 64, stride: int = 1) -> None:
        super().__init__(0)
        if window < 1 or stride < 1:
            raise ValueError(f"window ({window}) and stride ({stride}) must be positive")
        self.normalizer, self.window, self.stride = normalizer, window, stride
        if isinstance(motions, MotionTextIndex):
            index = motions
            keys: list[Any] = list(index.motion_ids)
            lengths = np.array([index.length_of(k) for k in keys], dtype=np.int64)
            self._fetch = index.full_motion
        else:
            keys = list(range(len(motions)))
            lengths = np.array([len(m) for m in motions], dtype=np.int64)
            self._fetch = motions.__getitem__
        counts = np.where(lengths >= window, (lengths - window) // stride + 1, 0)  # windows per motion
        self._keys = keys
        self._cum = np.cumsum(counts)  # (M,) windows in motions 0..k
        self.num_motions = int((counts > 0).sum())

    def __len__(self) -> int:
        return int(self._cum[-1]) if len(self._cum) else 0

    def locate(self, i: int) -> tuple[int, int]:
        """Flat window number -> (motion position, first frame)."""
        if not 0 <= i < len(self):
            raise IndexError(f"window {i} out of range [0, {len(self)})")
        k = int(np.searchsorted(self._cum, i, side="right"))
        before = int(self._cum[k - 1]) if k else 0
        return k, (i - before) * self.stride

    def __getitem__(self, i: int) -> dict:
        k, start = self.locate(i)
        x = np.asarray(self._fetch(self._keys[k])[start:start + self.window], dtype=np.float32)  # (W, J, 3)
        x = self.normalizer.normalize(x.reshape(self.window, -1))  # (W, F)
        return {"motion": _pad(x, None), "length": self.window}


# ---------------------------------------------------------------------------- text-to-motion
class TextMotionDataset(_Seeded):
    """(motion (pad_to, F) normalised, length, caption, tokens, name) per text-to-motion sample."""

    def __init__(self, index: MotionTextIndex, normalizer: Normalizer, seed: int = 0,
                 pad_to: int | None = None, random_crop: bool = True) -> None:
        super().__init__(seed)
        self.index, self.normalizer, self.random_crop = index, normalizer, random_crop
        self.spec = index.spec
        self.pad_to = self.spec.max_length if pad_to is None else pad_to

    def __len__(self) -> int:
        return len(self.index)

    def crop(self, i: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Cropped, normalised (m, F) motion of sample i and its length m."""
        x = self.index.motion(i)  # (T, J, 3)
        m = crop_length(len(x), self.spec.unit_length, self.spec.max_length, rng if self.random_crop else None)
        start = int(rng.integers(len(x) - m + 1)) if self.random_crop else 0
        x = np.asarray(x[start:start + m], dtype=np.float32).reshape(m, -1)  # (m, F)
        return self.normalizer.normalize(x), m

    def _text(self, caption: Any) -> dict:
        return {"caption": caption.text, "tokens": list(caption.tokens[: self.spec.max_text_tokens])}

    def __getitem__(self, i: int) -> dict:
        rng = self.rng(i)
        sample = self.index[i]
        caption = sample.captions[int(rng.integers(len(sample.captions)))]
        x, m = self.crop(i, rng)
        return {"motion": _pad(x, self.pad_to), "length": m, **self._text(caption), "name": sample.name}


class ActionTextDataset(TextMotionDataset):
    """MAR training items: caption, one random label of that caption line, multi-hot, motion."""

    def __init__(self, index: MotionTextIndex, normalizer: Normalizer, seed: int = 0,
                 pad_to: int | None = None, random_crop: bool = True) -> None:
        super().__init__(index, normalizer, seed, pad_to, random_crop)
        if not index.has_labels:
            raise CoamdError(f"{index.root}: no annotations_actions_400.json: MAR training needs action labels")
        all_labels = [lab for s in index.samples for c in s.captions for lab in c.labels] + \
                     [lab for s in index.samples for lab in s.labels]
        self.label_names = index.label_names or [str(k) for k in range(max(all_labels, default=-1) + 1)]
        self.num_labels = len(self.label_names)
        if all_labels and max(all_labels) >= self.num_labels:
            raise CoamdError(f"{index.root}: label index {max(all_labels)} is outside the "
                             f"{self.num_labels}-entry label map")
        # samples with at least one labelled caption line, and those lines
        self.items = [(k, [c for c in s.captions if c.labels]) for k, s in enumerate(index.samples)]
        self.items = [(k, caps) for k, caps in self.items if caps]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        rng = self.rng(i)
        k, captions = self.items[i]
        caption = captions[int(rng.integers(len(captions)))]
        label = int(caption.labels[int(rng.integers(len(caption.labels)))])
        multi_hot = torch.zeros(self.num_labels)
        multi_hot[list(self.index[k].labels or caption.labels)] = 1.0
        x, m = self.crop(k, rng)
        return {"motion": _pad(x, self.pad_to), "length": m, **self._text(caption), "label": label,
                "label_text": self.label_names[label], "multi_hot": multi_hot, "name": self.index[k].name}


# ---------------------------------------------------------------------------- recognition
class LabelledClipDataset(_Seeded):
    """(motion, label) for recognition: clips longer than ``max_length`` are cropped (random or centred)."""

    def __init__(self, clips: LabelledClips, normalizer: Normalizer, indices: Sequence[int] | None = None,
                 seed: int = 0, random_crop: bool = True, max_length: int | None = None,
                 pad_to: int | None = None) -> None:
        super().__init__(seed)
        self.clips, self.normalizer, self.random_crop = clips, normalizer, random_crop
        self.indices = np.arange(len(clips)) if indices is None else np.asarray(indices, dtype=np.int64)
        self.max_length = clips.spec.max_length if max_length is None else max_length
        self.unit, self.pad_to = clips.spec.unit_length, pad_to

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict:
        rng = self.rng(i)
        k = int(self.indices[i])
        x = self.clips.motion(k)  # (T, 22, 3)
        m = crop_length(len(x), self.unit, self.max_length, None)
        start = int(rng.integers(len(x) - m + 1)) if self.random_crop else (len(x) - m) // 2
        x = np.asarray(x[start:start + m], dtype=np.float32).reshape(m, -1)  # (m, F)
        label = int(self.clips.labels[k])
        return {"motion": _pad(self.normalizer.normalize(x), self.pad_to), "length": m, "label": label,
                "label_text": self.clips.label_names[label], "name": self.clips.ids[k]}


# ---------------------------------------------------------------------------- collate
def collate_motion(batch: list[dict], unit: int = 4) -> dict:
    """Stack dict items: ``motion`` padded to the batch maximum rounded up to ``unit``; lengths as a tensor."""
    if not batch:
        raise ValueError("empty batch")
    out: dict[str, Any] = {}
    longest = max(b["motion"].shape[0] for b in batch)
    T = -(-longest // unit) * unit
    motion = batch[0]["motion"].new_zeros(len(batch), T, batch[0]["motion"].shape[1])  # (B, T, F)
    for j, b in enumerate(batch):
        motion[j, : b["motion"].shape[0]] = b["motion"]
    out["motion"] = motion
    for key in batch[0]:
        if key == "motion":
            continue
        values = [b[key] for b in batch]
        if isinstance(values[0], torch.Tensor):
            out[key] = torch.stack(values)
        elif isinstance(values[0], (int, np.integer)) and not isinstance(values[0], bool):
            out[key] = torch.tensor(values, dtype=torch.long)
        else:
            out[key] = values
    return out
