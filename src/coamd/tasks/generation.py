"""Text-to-motion building blocks (paper-brief §3.6, §5.2): sampling settings, lengths, prompts,
batched token generation and the `GenerationResult`; `coamd.tasks.generate.generate` and the
long-motion path (:mod:`.long_motion`) both build on this module, which imports neither.

Seeds: sample i (prompt-major order) gets seed + i; a batch draws its noise from a torch
generator seeded with its first sample's seed, so a sample is reproducible from its recorded
seed alone with ``batch_size=1`` and otherwise from (seed, batch size).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import ConfigError, from_dict
from ..diffusion import SAMPLERS
from ..errors import CoamdError
from ..models.bundle_meta import current_sampling_names
from ..timing import stage
from .bundle import Bundle
from .guidance import DEFAULT_REWARD, guidance_hook, reward_weights

MIN_SECONDS, MAX_SECONDS = 1.0, 60.0

LengthArg = float | int | str | None


@dataclass
class Sampling:
    """Decoding settings (§3.6-§3.7); a bundle's ``defaults`` override these, explicit arguments override both.

    The command line's flags for them are ``coamd.cli.args.add_sampling_args`` (its help shows these defaults).
    """

    decode_steps: int = 12      # coarse-to-fine unmasking steps (the transformer passes)
    cfg_scale: float = 4.5      # classifier-free guidance scale (1 = off)
    sampler: str = "dopri5"     # flow-head sampler, one of coamd.diffusion.SAMPLERS
    ode_steps: int = 32         # fixed-step solver steps per token sample (flow-head evaluations)
    guidance: float = 0.0       # MAR gradient-guidance step λ (0 = unguided)
    guidance_reward: str = DEFAULT_REWARD   # MAR reward weights: "fused" (aligned f only) or "all" (upstream)
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.decode_steps < 1:
            raise CoamdError(f"--decode-steps: must be at least 1, got {self.decode_steps}")
        if self.sampler not in SAMPLERS:
            raise CoamdError(f"--sampler: {self.sampler!r} is not one of {', '.join(SAMPLERS)}")
        if self.ode_steps < 1:
            raise CoamdError(f"--ode-steps: must be at least 1, got {self.ode_steps}")
        if not (math.isfinite(self.cfg_scale) and self.cfg_scale >= 0):
            raise CoamdError(f"--cfg-scale: must be a finite number >= 0, got {self.cfg_scale}")
        if not (math.isfinite(self.guidance) and self.guidance >= 0):
            raise CoamdError(f"--guidance: must be a finite number >= 0, got {self.guidance}")
        reward_weights(self.guidance_reward)
        if self.batch_size < 1:
            raise CoamdError(f"--batch-size: must be at least 1, got {self.batch_size}")

    def decoding(self) -> dict[str, Any]:
        """The keyword arguments of ``MaskedGenerator.generate`` / ``edit`` these settings fix."""
        return {"decode_steps": self.decode_steps, "cfg_scale": self.cfg_scale, "sampler": self.sampler,
                "ode_steps": self.ode_steps}


def sampling_settings(bundle: Bundle | None = None, **given: Any) -> Sampling:
    """Sampling = library defaults < the bundle's ``defaults`` < ``given`` (None values are ignored).

    The former names ``steps`` and ``cfg`` are accepted for ``decode_steps`` and ``cfg_scale``, in a
    bundle's ``defaults`` and in ``given``."""
    merged: dict[str, Any] = {}
    names = {f for f in Sampling.__dataclass_fields__}
    if bundle is not None:
        merged.update({k: v for k, v in current_sampling_names(bundle.defaults()).items() if k in names})
    merged.update(current_sampling_names({k: v for k, v in given.items() if v is not None}))
    try:
        return from_dict(Sampling, merged)
    except ConfigError as e:
        raise CoamdError(f"sampling settings: {e}") from None


# ---------------------------------------------------------------------------------- lengths and prompts
def parse_seconds(value: LengthArg, what: str = "--length") -> float | None:
    """'auto' / None -> None; otherwise a duration in seconds within 1-60 s (else a one-line error)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise CoamdError(f"{what}: expected seconds (e.g. 4.5) or 'auto', got {value!r}") from None
    if not math.isfinite(seconds) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise CoamdError(f"{what}: {value} s is outside {MIN_SECONDS:g}-{MAX_SECONDS:g} s")
    return seconds


def seconds_to_tokens(seconds: float, bundle: Bundle) -> int:
    return max(1, int(seconds * bundle.fps / bundle.unit_length + 0.5))


def check_texts(texts: Sequence[str] | str, what: str = "text") -> list[str]:
    """Stripped texts; an empty one is a one-line error naming which."""
    if isinstance(texts, str):
        texts = [texts]
    out = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise CoamdError(f"{what} {i + 1}: expected a string, got {type(t).__name__}")
        if not t.strip():
            raise CoamdError(f"{what} {i + 1} is empty; describe the motion, e.g. \"a person walks forward\"")
        out.append(" ".join(t.split()))
    if not out:
        raise CoamdError(f"no {what} given")
    return out


def read_prompts(path: str | os.PathLike) -> list[tuple[str, float | None]]:
    """Lines ``text``, ``text#seconds`` or ``text#auto`` (blank lines and lines starting with '#' skipped)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CoamdError(f"--prompts {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CoamdError(f"--prompts {path}: cannot read it ({type(e).__name__}: {e})") from None
    out = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        text, sep, tail = line.rpartition("#")
        if not sep:
            text, tail = line, "auto"
        out.append((" ".join(text.split()), parse_seconds(tail.strip(), f"--prompts {path}:{n}")))
    if not out:
        raise CoamdError(f"--prompts {path}: no prompts in the file")
    return out


def per_text(lengths: LengthArg | Sequence[LengthArg], n: int) -> list[float | None]:
    """One length (seconds or None = auto) per text from a single value or a list."""
    if lengths is None or isinstance(lengths, (str, int, float)):
        return [parse_seconds(lengths)] * n
    lengths = list(lengths)
    if len(lengths) != n:
        raise CoamdError(f"lengths: {len(lengths)} values for {n} texts")
    return [parse_seconds(v, f"length {i + 1}") for i, v in enumerate(lengths)]


@torch.no_grad()
def estimate_tokens(bundle: Bundle, texts: list[str]) -> list[int]:
    """The length estimator's most likely length, in tokens, per text."""
    if not texts:
        return []
    emb = bundle.sentences(texts)
    with stage("estimate length"):
        return [min(int(t), bundle.max_tokens) for t in bundle.length.argmax(emb).tolist()]


# ---------------------------------------------------------------------------------- results
@dataclass
class GenerationResult:
    """Generated motions (canonical (T_i, J, 3) metres) with their texts, seeds and settings.

    Indexing and iteration give the motion arrays; ``save`` writes them (see ``coamd.tasks.outputs``).
    ``segments`` holds, per motion, the frame where each chained segment's new content begins.
    """

    motions: list[np.ndarray]
    texts: list[str]
    seeds: list[int]
    config: dict[str, Any] = field(default_factory=dict)
    segments: list[list[int]] = field(default_factory=list)
    fps: float = 20.0
    cleaned: bool = False           # whether the cleanup stage (:mod:`.cleanup`) was applied
    skeleton: str = "smpl22"        # the bundle's skeleton (samples.npz records it)

    def __len__(self) -> int:
        return len(self.motions)

    def __iter__(self):
        return iter(self.motions)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.motions[i]

    @property
    def lengths(self) -> list[int]:
        return [int(m.shape[0]) for m in self.motions]

    def padded(self) -> np.ndarray:
        """(N, T_max, J, 3) float32, zero after each motion's end."""
        T = max(self.lengths)
        out = np.zeros((len(self.motions), T) + self.motions[0].shape[1:], np.float32)
        for i, m in enumerate(self.motions):
            out[i, : len(m)] = m
        return out

    def save(self, out_dir: str | os.PathLike, formats: Sequence[str] = ("npy", "gif"), overwrite: bool = False,
             progress: bool | None = None) -> Path:
        from .outputs import save_generation

        return save_generation(self, out_dir, formats, overwrite=overwrite, progress=progress)


# ---------------------------------------------------------------------------------- generation
def batches_of(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def generate_tokens(bundle: Bundle, texts: list[str], token_lengths: list[int], seed: int,
                    sampling: Sampling) -> torch.Tensor:
    """One batch: texts (B,) and lengths in tokens (B,) -> latents (B, L, C)."""
    gen = bundle.generator
    lengths = torch.tensor(token_lengths, device=bundle.device)
    hook = guidance_hook(bundle, texts, lengths, sampling.guidance, sampling.guidance_reward)
    rng = torch.Generator(bundle.device).manual_seed(int(seed))
    cond = bundle.sentences(texts)
    with stage("sample"):
        return gen.generate(cond, lengths, **sampling.decoding(), generator=rng, on_step=hook)


def finish(bundle: Bundle, motions: list[np.ndarray], cleanup: bool) -> list[np.ndarray]:
    """What generation hands out: the cleaned motions (:mod:`.cleanup`), or the network output as is."""
    if not cleanup:
        return motions
    with stage("cleanup"):
        from .cleanup import cleanup_motion

        return [cleanup_motion(m, bundle.fps, bundle.skeleton) for m in motions]
