"""Zero-shot prototype recognition with MAR (paper-brief §3.2, §5.1) and MAR motion embeddings.

A motion's embedding is MAR's fused ``f``. Clips longer than one window (196 frames, the
training crop) are cut into windows of 196 frames with a stride of 98 (the last window ends at
the last frame); the L2-normalised window embeddings are averaged and re-normalised, so one
embedding describes the whole clip. Recognition ranks any label list by the cosine between that
embedding and MAR's label prototypes (tower A over the frozen text encoder's sentence embedding
of each label name), mixed with tower B's embedding of the name when the MAR's
``label_text_weight`` is above 0 (``label_logits``); ``prob`` is the softmax of those scores at
MAR's recognition temperature (0.4), i.e. relative to the labels given.

Test-time views (``tta``; default: the MAR's ``recog_tta``, "mirror+speed" for the bundled one):
``label_scores`` averages the label scores of several views of each clip -- the clip itself, its
left/right mirror image scored against the names with "left" and "right" swapped (so a sided label
keeps its side), and the clip played at 0.8x and 1.25x speed. Cosine scores are linear in the
embedding, so this is the score of the averaged view embeddings. Each view costs one more forward
pass; ``tta="none"`` reads the clip once (docs/domain_gap.md section 10).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..data.augment import mirror_caption_text
from ..errors import CoamdError, MotionFormatError
from ..skeleton import Skeleton, mirror, validate_motion
from .bundle import Bundle
from .codec import normalize

WINDOW, STRIDE = 196, 98
TTA_CHOICES = ("none", "mirror", "speed", "mirror+speed")
TTA_SPEEDS = (0.8, 1.25)      # playback speeds of the "speed" views, besides 1


def windows(frames: int, size: int = WINDOW, stride: int = STRIDE) -> list[tuple[int, int]]:
    """[start, end) windows covering ``frames``: one if it fits, else every ``stride`` plus one ending at the end."""
    if frames <= size:
        return [(0, frames)]
    starts = list(range(0, frames - size + 1, stride))
    if starts[-1] + size < frames:
        starts.append(frames - size)
    return [(s, s + size) for s in starts]


def as_joints(motion, skeleton, what: str = "motion") -> np.ndarray:
    """(T, J, 3) float32 from an array, a ``LoadedMotion`` or a file path."""
    if isinstance(motion, (str, os.PathLike)):
        from ..io import load_motion

        motion = load_motion(motion)
    joints = getattr(motion, "joints", motion)
    try:
        return validate_motion(joints, skeleton, what)
    except ValueError as e:
        raise MotionFormatError(str(e)) from None


@torch.no_grad()
def embed_motions(bundle: Bundle, motions: Sequence, batch_size: int = 64, progress: bool | None = None) -> torch.Tensor:
    """L2-normalised MAR embeddings (N, E) of canonical motions (arrays, ``LoadedMotion``s or paths)."""
    mar = bundle.mar
    arrays = [as_joints(m, bundle.skeleton, f"motion {i + 1}") for i, m in enumerate(motions)]
    jobs = [(i, s, e) for i, a in enumerate(arrays) for s, e in windows(len(a))]
    jobs.sort(key=lambda j: j[2] - j[1])                       # similar lengths batch together
    sums = torch.zeros(len(arrays), mar.embed_dim, device=bundle.device)
    counts = torch.zeros(len(arrays), device=bundle.device)
    bar = tqdm(total=len(jobs), desc="embed motions", unit="window",
               disable=progress is False or (progress is None and len(jobs) < 256))
    for first in range(0, len(jobs), batch_size):
        batch = jobs[first:first + batch_size]
        T = max(e - s for _, s, e in batch)
        x = torch.zeros(len(batch), T, bundle.skeleton.num_joints, 3, device=bundle.device)
        for b, (i, s, e) in enumerate(batch):
            x[b, : e - s] = torch.from_numpy(arrays[i][s:e]).to(bundle.device)
        lengths = torch.tensor([e - s for _, s, e in batch], device=bundle.device)
        f = F.normalize(mar.encode(normalize(bundle, "mar", x), lengths)[0].float(), dim=-1)   # (B, E)
        idx = torch.tensor([i for i, _, _ in batch], device=bundle.device)
        sums.index_add_(0, idx, f)
        counts.index_add_(0, idx, torch.ones(len(batch), device=bundle.device))
        bar.update(len(batch))
    bar.close()
    return F.normalize(sums / counts.clamp_min(1)[:, None], dim=-1)


@torch.no_grad()
def embed_texts(bundle: Bundle, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
    """L2-normalised MAR description embeddings (tower B) of texts, (N, E)."""
    out = []
    for first in range(0, len(texts), batch_size):
        tokens, mask = bundle.tokens(list(texts[first:first + batch_size]))
        out.append(F.normalize(bundle.mar.encode_text(tokens, mask).float(), dim=-1))
    if not out:
        return torch.zeros(0, bundle.mar.embed_dim, device=bundle.device)
    return torch.cat(out)


def parse_labels(labels: str | Sequence[str] | None = None, label_file: str | os.PathLike | None = None,
                 default: Sequence[str] = ()) -> list[str]:
    """Labels from ``"a,b,c"`` / a list, from a file (one per line), or the default list; de-duplicated."""
    if labels is not None and label_file is not None:
        raise CoamdError("--labels and --label-file both give the labels; use one")
    if label_file is not None:
        path = Path(label_file)
        try:
            items = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise CoamdError(f"--label-file {path}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise CoamdError(f"--label-file {path}: cannot read it ({e})") from None
        where = f"--label-file {path}"
    elif labels is not None:
        items = labels.split(",") if isinstance(labels, str) else list(labels)
        where = "--labels"
    else:
        items, where = list(default), "the checkpoint's labels.txt"
    out = list(dict.fromkeys(" ".join(str(x).split()) for x in items if str(x).strip()))
    if not out:
        raise CoamdError(f"{where}: no labels; pass --labels \"walk,run,jump\" or --label-file FILE"
                         if where != "the checkpoint's labels.txt" else
                         "no labels: this checkpoint has no labels.txt; pass --labels \"walk,run,jump\" or --label-file")
    return out


@torch.no_grad()
def label_logits(bundle: Bundle, f: torch.Tensor, names: Sequence[str]) -> torch.Tensor:
    """Label scores (N, K) of L2-normalised motion embeddings ``f`` (N, E) for label names.

    Tower A's prototypes, mixed with tower B's reading of the names when the MAR's
    ``label_text_weight`` is above 0 (the bundled MAR: docs/domain_gap.md).
    """
    names = list(names)
    text = embed_texts(bundle, names) if bundle.mar.cfg.label_text_weight > 0 else None
    return bundle.mar.recognition_logits(f, bundle.sentences(names), text)


def tta_views(tta: str, where: str = "--tta") -> list[tuple[bool, float]]:
    """The (mirrored, speed) views of a ``tta`` setting, the plain clip first."""
    if tta not in TTA_CHOICES:
        raise CoamdError(f"{where}: {tta!r} is not one of {', '.join(TTA_CHOICES)}")
    mirrors = (False, True) if "mirror" in tta else (False,)
    speeds = (1.0, *TTA_SPEEDS) if "speed" in tta else (1.0,)
    return [(m, v) for m in mirrors for v in speeds]


def view(x: np.ndarray, mirrored: bool, speed: float, skeleton: Skeleton) -> np.ndarray:
    """One test-time view of a (T, J, 3) clip: played at ``speed`` (linear resampling, first and last
    frame kept, round((T - 1) / speed) + 1 frames) and/or left/right mirrored."""
    if speed != 1.0 and len(x) > 1:
        n = max(2, round((len(x) - 1) / speed) + 1)
        pos = np.linspace(0.0, len(x) - 1, n)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, len(x) - 1)
        w = (pos - lo)[:, None, None]
        x = (x[lo] * (1 - w) + x[hi] * w).astype(np.float32)
    if mirrored:
        x = mirror(x, skeleton).astype(np.float32)
    return x


@torch.no_grad()
def label_scores(bundle: Bundle, motions: Sequence, names: Sequence[str], tta: str | None = None,
                 progress: bool | None = None) -> torch.Tensor:
    """Label scores (N, K) of motions, averaged over the test-time views of ``tta`` (default: the MAR's)."""
    views = tta_views(tta) if tta is not None else tta_views(bundle.mar.cfg.recog_tta, "the MAR config's recog_tta")
    arrays = [as_joints(m, bundle.skeleton, f"motion {i + 1}") for i, m in enumerate(motions)]
    names = list(names)
    total = None
    for mirrored, speed in views:
        f = embed_motions(bundle, [view(a, mirrored, speed, bundle.skeleton) for a in arrays], progress=progress)
        scores = label_logits(bundle, f, [mirror_caption_text(n) for n in names] if mirrored else names)
        total = scores if total is None else total + scores
    return total / len(views)


@dataclass
class Recognition:
    """Ranked predictions for one motion: [(label, cosine score, softmax prob over the label list)]."""

    labels: list[str]
    scores: list[float]
    probs: list[float]

    def as_dict(self) -> list[dict[str, float | str]]:
        return [{"label": lab, "score": round(s, 6), "prob": round(p, 6)}
                for lab, s, p in zip(self.labels, self.scores, self.probs)]


@torch.no_grad()
def recognize(bundle: Bundle, motions: Sequence, labels: Sequence[str] | None = None, top_k: int = 5,
              progress: bool | None = None, tta: str | None = None) -> list[Recognition]:
    """Top-``top_k`` labels per motion by prototype cosine (§5.1); default labels: the bundle's;
    ``tta``: test-time views (default: the MAR's ``recog_tta``)."""
    names = parse_labels(labels, default=bundle.label_names)
    if top_k < 1:
        raise CoamdError(f"--top-k: must be at least 1, got {top_k}")
    logits = label_scores(bundle, motions, names, tta=tta, progress=progress)      # (N, K)
    probs = (logits / bundle.config("mar").mar.tau_recog).softmax(dim=-1)
    k = min(top_k, len(names))
    top = logits.topk(k, dim=-1)
    out = []
    for row, (vals, idx) in enumerate(zip(top.values.tolist(), top.indices.tolist())):
        out.append(Recognition([names[i] for i in idx], vals, [float(probs[row, i]) for i in idx]))
    return out
