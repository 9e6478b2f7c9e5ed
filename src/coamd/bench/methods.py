"""What the benchmark scores: the generator and its baselines, temporal edits and AE reconstructions.

Every method maps captions + ground-truth lengths (frames, multiples of 4) to canonical joints
(T, J, 3) in metres, through the tasks API's own building blocks (``generate_tokens``,
``decode_list``, ``edit_batch``, ``blend_kept``), so the numbers describe what users get.

* ``GeneratorMethod``: coarse-to-fine decoding with CFG, the chosen flow-head sampler/steps and
  MAR guidance step λ (paper-brief §3.6-§3.7; λ = 0 is unguided). ``unconditional=True`` decodes
  from the null condition (the zero vector the generator saw under 10 % condition dropout) with a
  single pass per step: the "cfg 0 / empty text" baseline.
* ``NearestNeighbour``: a retrieval baseline. The TRAINING motion whose caption's frozen sentence
  embedding (the generator's text encoder) is closest to the query caption's, cropped to the GT
  length (or its last pose held). It shows how much a generator beats copying training data.
* ``CleanedMethod``: another method's motions after the kinematic cleanup stage
  (``coamd.tasks.cleanup.cleanup_motion``: constant bones, planted feet, floor at 0, smoothing),
  what users get by default; the cleanup is timed on its own and added to the base's seconds.
* Temporal edits (§3.8) are ``coamd.tasks.edit.edit_batch``'s: with ``copy_back=False`` each
  motion is the AE decode of the whole edited sequence (what upstream's edit evaluation scores);
  ``copy_back`` here copies the kept frames back from the source with a fade (what ``coamd edit``
  hands out) from those same decodes; ``clean_edits`` runs the cleanup on edits with the kept
  frames pinned to their source.
* ``reconstruct``: AE encode → decode of each motion, for the reconstruction protocol.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..config import to_dict
from ..data import MotionTextIndex
from ..errors import CoamdError
from ..skeleton import Skeleton
from ..tasks import Bundle, Sampling
from ..tasks.codec import decode_list, encode_joints
from ..tasks.edit import blend_kept
from ..tasks.generate import generate_tokens, seconds_to_tokens
from ..text import encode_cached
from .evalset import fit_length

CLEANUP_MODULE = "coamd.tasks.cleanup"


def cleanup_function() -> tuple[Callable[..., np.ndarray] | None, str]:
    """(``cleanup_motion``, "") or (None, why it is unavailable) when the cleanup module does not exist."""
    try:
        from ..tasks.cleanup import cleanup_motion
    except ModuleNotFoundError as e:
        if e.name != CLEANUP_MODULE:
            raise
        return None, f"{CLEANUP_MODULE} is not part of this installation"
    return cleanup_motion, ""


def _token_lengths(bundle: Bundle, lengths: Sequence[int]) -> list[int]:
    """Token lengths of ground-truth frame lengths by `seconds_to_tokens`, the rule `coamd generate` uses
    (the eval crops are whole tokens, so this is exact)."""
    unit = bundle.unit_length
    tokens = [seconds_to_tokens(int(n) / bundle.fps, bundle) for n in lengths]
    if max(tokens) > bundle.max_tokens:
        raise CoamdError(f"a ground-truth length of {max(lengths)} frames is longer than the generator's "
                         f"{bundle.max_tokens * unit} frames")
    return tokens


@dataclass
class GeneratorMethod:
    """The bundle's generator with fixed sampling settings (module docstring)."""

    bundle: Bundle
    sampling: Sampling
    unconditional: bool = False
    seconds: float = field(default=0.0, init=False)     # wall time of the last ``generate`` call

    def settings(self) -> dict[str, Any]:
        s = to_dict(self.sampling)
        if self.unconditional:
            s.update(cfg_scale=None, guidance=0.0, condition="null")
        return s

    def generate(self, captions: Sequence[str], lengths: Sequence[int], seed: int,
                 tick: Callable[[int], None] | None = None) -> list[np.ndarray]:
        """One motion per caption at its GT length; batch b draws from seed + its first index."""
        _ = self.bundle.text_encoder                 # load it before timing: seconds count generation only
        t0 = time.perf_counter()
        tokens = _token_lengths(self.bundle, lengths)
        size, out = self.sampling.batch_size, []
        for first in range(0, len(captions), size):
            texts, toks = list(captions[first:first + size]), tokens[first:first + size]
            if self.unconditional:
                lat = self._null(len(texts), toks, seed + first)
            else:
                lat = generate_tokens(self.bundle, texts, toks, seed + first, self.sampling)
            out.extend(decode_list(self.bundle, lat, toks))
            if tick is not None:
                tick(len(texts))
        self.seconds = time.perf_counter() - t0
        return [m[: int(n)] for m, n in zip(out, lengths)]

    def _null(self, n: int, tokens: list[int], seed: int) -> torch.Tensor:
        b, s = self.bundle, self.sampling
        cond = torch.zeros(n, b.config("generator").text.sentence_dim, device=b.device)
        rng = torch.Generator(b.device).manual_seed(int(seed))
        return b.generator.generate(cond, torch.tensor(tokens, device=b.device),
                                    **{**s.decoding(), "cfg_scale": 1.0}, generator=rng)


@dataclass
class CleanedMethod:
    """The motions of ``base`` (registered under ``base_name``) after ``cleanup_motion``.

    ``generate`` runs the base and then the cleanup; ``apply`` cleans motions the base already
    made (the protocols reuse a repeat's raw generations, so both rows cost one generation).
    ``seconds`` = the base's seconds + ``cleanup_seconds`` (the cleanup alone).
    """

    base: Any
    base_name: str
    skeleton: Skeleton
    fps: float
    seconds: float = field(default=0.0, init=False)
    cleanup_seconds: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        fn, why = cleanup_function()
        if fn is None:
            raise CoamdError(why)
        self._cleanup = fn

    @property
    def stochastic(self) -> bool:
        return getattr(self.base, "stochastic", True)

    def settings(self) -> dict[str, Any]:
        return {**self.base.settings(), "cleanup": True}

    def apply(self, motions: Sequence[np.ndarray], base_seconds: float) -> list[np.ndarray]:
        t0 = time.perf_counter()
        out = [np.asarray(self._cleanup(np.asarray(m, np.float32), fps=self.fps, skeleton=self.skeleton), np.float32)
               for m in motions]
        self.cleanup_seconds = time.perf_counter() - t0
        self.seconds = float(base_seconds) + self.cleanup_seconds
        return out

    def generate(self, captions: Sequence[str], lengths: Sequence[int], seed: int,
                 tick: Callable[[int], None] | None = None) -> list[np.ndarray]:
        motions = self.base.generate(captions, lengths, seed, tick=tick)
        return self.apply(motions, self.base.seconds)


def clean_edits(edited: Sequence[np.ndarray], sources: Sequence[np.ndarray], keeps: Sequence[np.ndarray],
                skeleton: Skeleton, fps: float) -> list[np.ndarray]:
    """``cleanup_motion`` of each edit with its kept frames (T,) pinned to the GT source."""
    fn, why = cleanup_function()
    if fn is None:
        raise CoamdError(why)
    out = []
    for m, s, k in zip(edited, sources, keeps):
        keep = np.repeat(np.asarray(k, bool)[:, None], m.shape[1], axis=1)                # (T, J)
        out.append(np.asarray(fn(np.asarray(m, np.float32), fps=fps, skeleton=skeleton, keep=keep,
                                 source=np.asarray(s, np.float32)), np.float32))
    return out


class NearestNeighbour:
    """The training motion whose caption embedding is nearest the query caption's (module docstring)."""

    stochastic = False          # the same caption always gives the same motion (no MultiModality)

    def __init__(self, bundle: Bundle, train: MotionTextIndex, progress: bool = False) -> None:
        self.bundle, self.train = bundle, train
        texts, rows = [], []
        for row, sample in enumerate(train.samples):
            for cap in sample.captions:
                texts.append(cap.text)
                rows.append(row)
        if not texts:
            raise CoamdError(f"{train.root}: no captioned training samples for the nearest-neighbour baseline")
        self.rows = np.array(rows, np.int64)
        self.gallery = self._embed(texts, progress)                            # (M, D)
        self.seconds = 0.0

    def _embed(self, texts: list[str], progress: bool = False) -> torch.Tensor:
        emb = encode_cached(self.bundle.text_encoder, texts, progress=progress, desc="nearest-neighbour captions")
        return F.normalize(emb.float().cpu(), dim=-1)

    def settings(self) -> dict[str, Any]:
        return {"gallery": f"{self.train.split} split of {self.train.root}", "captions": len(self.rows),
                "text_encoder": self.bundle.text_backend}

    def nearest(self, captions: Sequence[str]) -> np.ndarray:
        """Row in ``train.samples`` of each caption's nearest training caption (N,)."""
        sim = self._embed(list(captions)) @ self.gallery.T                      # (N, M)
        return self.rows[sim.argmax(dim=1).numpy()]

    def generate(self, captions: Sequence[str], lengths: Sequence[int], seed: int,
                 tick: Callable[[int], None] | None = None) -> list[np.ndarray]:
        t0 = time.perf_counter()
        out = [fit_length(self.train.motion(int(r)), int(n)) for r, n in zip(self.nearest(captions), lengths)]
        self.seconds = time.perf_counter() - t0
        if tick is not None:
            tick(len(out))
        return out


def copy_back(decoded: Sequence[np.ndarray], sources: Sequence[np.ndarray], keeps: Sequence[np.ndarray],
              fade: int = 4) -> list[np.ndarray]:
    """What ``coamd edit`` hands out: the kept frames (T_i,) copied back from the sources into the
    decodes, the seams faded over ``fade`` frames (``coamd.tasks.edit.blend_kept``)."""
    return [blend_kept(d, np.asarray(s, np.float32), k, fade).astype(np.float32)
            for d, s, k in zip(decoded, sources, keeps)]


@torch.no_grad()
def reconstruct(bundle: Bundle, motions: Sequence[np.ndarray]) -> list[np.ndarray]:
    """AE reconstructions (T_i, J, 3) metres of motions whose frame counts are multiples of 4."""
    out = []
    for m in motions:
        z = encode_joints(bundle, np.asarray(m, np.float32))                   # (1, L, C)
        out.append(decode_list(bundle, z, [z.shape[1]])[0][: len(m)])
    return out


__all__ = ["CleanedMethod", "GeneratorMethod", "NearestNeighbour", "clean_edits", "cleanup_function", "copy_back",
           "reconstruct"]
