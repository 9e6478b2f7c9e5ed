"""Long motions: chained segments by prefix generation (paper-brief §3.8 "prefix" task, extended).

The generator makes at most 49 tokens (9.8 s) at a time. A sequence of texts ("walk forward",
"sit down on a chair", ...) or one long length is cut into chunks. Chunk 1 is generated from
scratch. For chunk k > 1, the last ~1 s of the motion so far (P = 5 tokens = 20 frames) is moved
into the canonical frame (pelvis XZ at the origin, facing +Z), AE-encoded and kept as a prefix;
the generator's ``edit`` regenerates the tokens after it conditioned on chunk k's text. The
result is decoded, moved back to where the prefix was, and stitched in joint space:

* root alignment: the new chunk is shifted on the ground plane by the mean pelvis offset between
  the old tail and the new chunk's re-decoded prefix (they differ by the AE reconstruction error);
* crossfade: over the P·4 overlap frames the motion blends from the old tail to the new chunk with
  weights w = ½ − ½·cos(π (t+1)/(O+1)), which start and end with zero slope, so neither positions
  nor velocities jump at the joins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..config import to_dict
from ..errors import CoamdError
from ..skeleton import facing_angles, rotate_yaw
from ..timing import stage
from .bundle import Bundle
from .codec import decode_list, encode_joints
from .generation import (
    GenerationResult,
    LengthArg,
    Sampling,
    check_texts,
    estimate_tokens,
    finish,
    per_text,
    sampling_settings,
    seconds_to_tokens,
)
from .guidance import guidance_hook

OVERLAP_SECONDS = 1.0


def overlap_tokens(bundle: Bundle, seconds: float = OVERLAP_SECONDS) -> int:
    """Tokens of kept prefix per chunk (5 = 1 s at 20 fps and 4 frames per token)."""
    return max(1, int(seconds * bundle.fps / bundle.unit_length + 0.5))


def plan_chunks(segments: Sequence[tuple[str, int]], max_tokens: int, overlap: int) -> list[tuple[str, int]]:
    """(text, new tokens) per chunk: the first holds up to ``max_tokens``, later ones ``max_tokens - overlap``.

    A segment too long for one chunk is split evenly into chunks of the same text.
    """
    if overlap >= max_tokens:
        raise CoamdError(f"overlap of {overlap} tokens leaves no room in a {max_tokens}-token segment")
    chunks: list[tuple[str, int]] = []
    cap = max_tokens - overlap
    for text, n in segments:
        if n < 1:
            raise CoamdError(f"segment {text!r}: length must be at least one token")
        if not chunks:   # the very first chunk has no prefix, so it may use all max_tokens
            k = 1 if n <= max_tokens else 1 + math.ceil((n - max_tokens) / cap)
            later = min(cap, math.ceil(n / k))
            sizes = [n - (k - 1) * later] + [later] * (k - 1)
        else:
            k = math.ceil(n / cap)
            sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        chunks.extend((text, s) for s in sizes)
    return chunks


def split_long(text: str, tokens: int, bundle: Bundle) -> list[tuple[str, int]]:
    return plan_chunks([(text, tokens)], bundle.max_tokens, overlap_tokens(bundle))


def crossfade_weights(n: int) -> np.ndarray:
    """(n,) weights rising from ~0 to ~1 with zero slope at both ends."""
    t = np.arange(1, n + 1) / (n + 1)
    return (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)


def stitch(prev: np.ndarray, new: np.ndarray, overlap: int, root: int = 0) -> np.ndarray:
    """Join ``new`` (T2, J, 3), whose first ``overlap`` frames re-create the last ones of ``prev`` (T1, J, 3).

    Returns (T1 + T2 - overlap, J, 3): root-aligned on the ground plane, crossfaded over the overlap.
    """
    if not 0 < overlap <= min(len(prev), len(new)):
        raise CoamdError(f"stitch: overlap {overlap} must lie in 1..{min(len(prev), len(new))}")
    tail, new = prev[-overlap:], new.copy()
    shift = (tail[:, root, [0, 2]] - new[:overlap, root, [0, 2]]).mean(axis=0)   # (2,)
    new[..., 0] += shift[0]
    new[..., 2] += shift[1]
    w = crossfade_weights(overlap)[:, None, None]
    blend = (1.0 - w) * tail + w * new[:overlap]
    return np.concatenate([prev[:-overlap], blend, new[overlap:]]).astype(np.float32)


def _to_local(window: np.ndarray, root: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Move a (T, J, 3) window so its first frame has the pelvis at the XZ origin, facing +Z."""
    origin = np.array([window[0, root, 0], 0.0, window[0, root, 2]], np.float32)
    angle = float(facing_angles(window[:1])[0])
    return rotate_yaw(window - origin, -angle).astype(np.float32), origin, angle


def generate_chain(bundle: Bundle, plan: Sequence[tuple[str, int]], num_samples: int, seed: int, sampling: Sampling,
                   progress: bool = False) -> tuple[list[np.ndarray], list[int]]:
    """Generate ``num_samples`` long motions following ``plan`` [(text, new tokens)] -> (motions, chunk starts).

    ``starts[k]`` is the frame where chunk k's overlap with chunk k-1 begins (0 for the first chunk).
    """
    gen, unit, root = bundle.generator, bundle.unit_length, bundle.skeleton.root
    P = overlap_tokens(bundle)
    B = num_samples
    rng = torch.Generator(bundle.device).manual_seed(int(seed))
    worlds: list[np.ndarray] = []
    starts: list[int] = []
    for k, (text, n) in enumerate(tqdm(plan, desc="segments", unit="segment", disable=not progress, leave=False)):
        cond = bundle.sentences([text] * B)
        if k == 0:
            lengths = torch.full((B,), n, device=bundle.device)
            hook = guidance_hook(bundle, [text] * B, lengths, sampling.guidance, sampling.guidance_reward)
            with stage("sample"):
                lat = gen.generate(cond, lengths, **sampling.decoding(), generator=rng, on_step=hook)
            with stage("decode"):
                worlds = decode_list(bundle, lat, [n] * B)
            starts.append(0)
            continue
        frames = P * unit
        locals_, places = [], []
        for w in worlds:
            local, origin, angle = _to_local(w[-frames:], root)
            locals_.append(local)
            places.append((origin, angle))
        with stage("decode"):                                                         # AE encode of the prefix
            prefix = encode_joints(bundle, np.stack(locals_))                        # (B, P, C)
        source = torch.zeros(B, P + n, prefix.shape[-1], device=bundle.device)
        source[:, :P] = prefix
        mask = torch.zeros(B, P + n, dtype=torch.bool, device=bundle.device)
        mask[:, P:] = True
        lengths = torch.full((B,), P + n, device=bundle.device)
        hook = guidance_hook(bundle, [text] * B, lengths, sampling.guidance, sampling.guidance_reward)
        with stage("sample"):
            lat = gen.edit(cond, source, lengths, mask, **sampling.decoding(), generator=rng, on_step=hook)
        starts.append(len(worlds[0]) - frames)
        with stage("decode"):
            decoded = decode_list(bundle, lat, [P + n] * B)
        worlds = [stitch(w, rotate_yaw(d, angle).astype(np.float32) + origin, frames, root)
                  for w, d, (origin, angle) in zip(worlds, decoded, places)]
    return worlds, starts


def generate_sequence(bundle: Bundle, texts: Sequence[str], lengths: LengthArg | Sequence[LengthArg] = None, *,
                      num_samples: int = 1, seed: int = 0, sampling: Sampling | None = None,
                      progress: bool | None = None, cleanup: bool = True) -> GenerationResult:
    """One long motion per sample that performs ``texts`` in order; ``lengths`` per segment (seconds or auto).

    ``cleanup`` as in :func:`.generate.generate` (the whole chained motion is fitted at once).
    """
    texts = check_texts(texts)
    if num_samples < 1:
        raise CoamdError(f"--num-samples: must be at least 1, got {num_samples}")
    sampling = sampling or sampling_settings(bundle)
    seconds = per_text(lengths, len(texts))
    P = overlap_tokens(bundle)
    auto = [t for t, s in zip(texts, seconds) if s is None]
    est = dict(zip(auto, estimate_tokens(bundle, auto)))
    segs = []
    for k, (t, s) in enumerate(zip(texts, seconds)):
        if s is None:   # an estimate never needs splitting: later segments leave room for the prefix
            n = est[t] if k == 0 else min(est[t], bundle.max_tokens - P)
        else:
            n = seconds_to_tokens(s, bundle)
        segs.append((t, n))
    plan = plan_chunks(segs, bundle.max_tokens, P)
    motions: list[np.ndarray] = []
    seeds: list[int] = []
    starts: list[int] = []
    bar = tqdm(total=num_samples, desc="generate sequence", unit="motion",
               disable=progress is False or (progress is None and num_samples < 2))
    try:
        for first in range(0, num_samples, sampling.batch_size):
            B = min(sampling.batch_size, num_samples - first)
            outs, starts = generate_chain(bundle, plan, B, seed + first, sampling,
                                          progress=progress is not False and len(plan) > 1)
            motions.extend(outs)
            seeds.extend(seed + first + i for i in range(B))
            bar.update(B)
    finally:
        bar.close()
    config = {"sequence": texts, "lengths_seconds": seconds, "num_samples": num_samples, "seed": seed,
              "overlap_frames": P * bundle.unit_length, "chunks": [list(c) for c in plan],
              "sampling": to_dict(sampling), "cleanup": cleanup,
              "checkpoint": str(bundle.root) if bundle.root else None, "bundle": bundle.meta.get("name"),
              "device": str(bundle.device)}
    joined = "; ".join(texts)
    return GenerationResult(motions=finish(bundle, motions, cleanup), texts=[joined] * num_samples, seeds=seeds,
                            config=config, segments=[list(starts) for _ in motions], fps=bundle.fps, cleaned=cleanup,
                            skeleton=bundle.skeleton.name)
