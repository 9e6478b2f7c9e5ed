"""Text-to-motion generation (paper-brief §3.6, §5.2): lengths, batching, guidance, decoding.

Each prompt's length is given in seconds (1-60 s) or estimated by the length estimator (``auto``:
the most likely length, so it is the same for every sample of a prompt). A length becomes
round(seconds·fps/4) latent tokens (4 frames each). The generator makes at most 49 tokens
(9.8 s) in one go; a longer prompt goes through the long-motion path (:mod:`.long_motion`), which
chains segments of the same text. Samples are generated in batches (coarse-to-fine masked
decoding with CFG, optional MAR guidance, §3.7) and decoded one by one by the AE, each at its
own length, then de-normalised to canonical joints (T, 22, 3) in metres.

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
from tqdm.auto import tqdm

from ..config import ConfigError, from_dict, to_dict
from ..diffusion import SAMPLERS
from ..errors import CoamdError
from ..timing import stage
from .bundle import Bundle
from .codec import decode_list
from .guidance import DEFAULT_REWARD, guidance_hook, reward_weights

MIN_SECONDS, MAX_SECONDS = 1.0, 60.0

LengthArg = float | int | str | None


@dataclass
class Sampling:
    """Decoding settings (§3.6-§3.7); a bundle's ``defaults`` override these, explicit arguments override both.

    The command line's flags for them are ``coamd.cli.args.add_sampling_args`` (its help shows these defaults).
    """

    steps: int = 12             # coarse-to-fine unmasking steps
    cfg: float = 4.5            # classifier-free guidance scale (1 = off)
    sampler: str = "dopri5"     # flow-head sampler, one of coamd.diffusion.SAMPLERS
    ode_steps: int = 32         # fixed-step solver steps per token sample
    guidance: float = 0.0       # MAR gradient-guidance step λ (0 = unguided)
    guidance_reward: str = DEFAULT_REWARD   # MAR reward weights: "fused" (aligned f only) or "all" (upstream)
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise CoamdError(f"--steps: must be at least 1, got {self.steps}")
        if self.sampler not in SAMPLERS:
            raise CoamdError(f"--sampler: {self.sampler!r} is not one of {', '.join(SAMPLERS)}")
        if self.ode_steps < 1:
            raise CoamdError(f"--ode-steps: must be at least 1, got {self.ode_steps}")
        if not (math.isfinite(self.cfg) and self.cfg >= 0):
            raise CoamdError(f"--cfg: must be a finite number >= 0, got {self.cfg}")
        if not (math.isfinite(self.guidance) and self.guidance >= 0):
            raise CoamdError(f"--guidance: must be a finite number >= 0, got {self.guidance}")
        reward_weights(self.guidance_reward)
        if self.batch_size < 1:
            raise CoamdError(f"--batch-size: must be at least 1, got {self.batch_size}")


def sampling_settings(bundle: Bundle | None = None, **given: Any) -> Sampling:
    """Sampling = library defaults < the bundle's ``defaults`` < ``given`` (None values are ignored)."""
    merged: dict[str, Any] = {}
    names = {f for f in Sampling.__dataclass_fields__}
    if bundle is not None:
        merged.update({k: v for k, v in bundle.defaults().items() if k in names})
    merged.update({k: v for k, v in given.items() if v is not None})
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
def _batches(items: list, size: int) -> list[list]:
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
        return gen.generate(cond, lengths, steps=sampling.steps, cfg=sampling.cfg,
                            sampler=sampling.sampler, ode_steps=sampling.ode_steps, generator=rng, on_step=hook)


def finish(bundle: Bundle, motions: list[np.ndarray], cleanup: bool) -> list[np.ndarray]:
    """What generation hands out: the cleaned motions (:mod:`.cleanup`), or the network output as is."""
    if not cleanup:
        return motions
    with stage("cleanup"):
        from .cleanup import cleanup_motion

        return [cleanup_motion(m, bundle.fps, bundle.skeleton) for m in motions]


def generate(bundle: Bundle, texts: Sequence[str] | str, lengths: LengthArg | Sequence[LengthArg] = None, *,
             num_samples: int = 1, seed: int = 0, sampling: Sampling | None = None, progress: bool | None = None,
             notes: list[str] | None = None, cleanup: bool = True) -> GenerationResult:
    """Generate ``num_samples`` motions per text; ``lengths`` in seconds (one or one per text) or None = auto.

    ``notes`` (a list) receives human-readable remarks, e.g. that a long length is chained.
    ``cleanup`` fits every motion to a constant-bone skeleton with planted feet (:mod:`.cleanup`);
    False returns the network output untouched.
    """
    from .long_motion import generate_chain, split_long

    texts = check_texts(texts)
    if num_samples < 1:
        raise CoamdError(f"--num-samples: must be at least 1, got {num_samples}")
    sampling = sampling or sampling_settings(bundle)
    seconds = per_text(lengths, len(texts))
    uniq = list(dict.fromkeys(t for t, s in zip(texts, seconds) if s is None))
    est = dict(zip(uniq, estimate_tokens(bundle, uniq)))
    tokens = [est[t] if s is None else seconds_to_tokens(s, bundle) for t, s in zip(texts, seconds)]
    jobs = [(i, t, n) for i, (t, n) in enumerate(zip(texts, tokens))]
    short = [(i * num_samples + s, t, n) for i, t, n in jobs if n <= bundle.max_tokens for s in range(num_samples)]
    long = [(i, t, n) for i, t, n in jobs if n > bundle.max_tokens]
    N = len(texts) * num_samples
    motions: list[np.ndarray | None] = [None] * N
    segments: list[list[int]] = [[0] for _ in range(N)]
    for _, t, n in long:
        if notes is not None:
            notes.append(f"{t!r}: {n * bundle.unit_length / bundle.fps:.1f} s is longer than one "
                         f"{bundle.max_tokens * bundle.unit_length / bundle.fps:.1f} s segment; "
                         f"generating it as chained segments")
    bar = tqdm(total=N, desc="generate", unit="motion", disable=progress is False or (progress is None and N < 2))
    try:
        for batch in _batches(short, sampling.batch_size):
            idx = [j for j, _, _ in batch]
            lat = generate_tokens(bundle, [t for _, t, _ in batch], [n for _, _, n in batch], seed + idx[0], sampling)
            with stage("decode"):
                decoded = decode_list(bundle, lat, [n for _, _, n in batch])
            for j, m in zip(idx, decoded):
                motions[j] = m
            bar.update(len(batch))
        for i, t, n in long:
            plan = split_long(t, n, bundle)
            for group in _batches(list(range(num_samples)), sampling.batch_size):
                outs, starts = generate_chain(bundle, plan, len(group), seed + i * num_samples + group[0], sampling,
                                              progress=progress is not False)
                for s, m in zip(group, outs):
                    motions[i * num_samples + s], segments[i * num_samples + s] = m, list(starts)
                bar.update(len(group))
    finally:
        bar.close()
    config = {"texts": texts, "lengths_seconds": seconds, "num_samples": num_samples, "seed": seed,
              "sampling": to_dict(sampling), "cleanup": cleanup,
              "checkpoint": str(bundle.root) if bundle.root else None,
              "bundle": bundle.meta.get("name"), "device": str(bundle.device)}
    return GenerationResult(motions=finish(bundle, [m for m in motions if m is not None], cleanup),
                            texts=[t for t in texts for _ in range(num_samples)],
                            seeds=[seed + j for j in range(N)], config=config, segments=segments, fps=bundle.fps,
                            cleaned=cleanup, skeleton=bundle.skeleton.name)
