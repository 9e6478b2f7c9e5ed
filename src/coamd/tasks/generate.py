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

The building blocks (settings, lengths, batching, `GenerationResult`) live in :mod:`.generation`,
which both this module and :mod:`.long_motion` import (no cycle); they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from ..config import to_dict
from ..errors import CoamdError
from ..timing import stage
from .bundle import Bundle
from .codec import decode_list
from .generation import (  # noqa: F401 - re-exported: the public names of text-to-motion generation
    MAX_SECONDS,
    MIN_SECONDS,
    GenerationResult,
    LengthArg,
    Sampling,
    batches_of,
    check_texts,
    estimate_tokens,
    finish,
    generate_tokens,
    parse_seconds,
    per_text,
    read_prompts,
    sampling_settings,
    seconds_to_tokens,
)
from .long_motion import generate_chain, split_long


def generate(bundle: Bundle, texts: Sequence[str] | str, lengths: LengthArg | Sequence[LengthArg] = None, *,
             num_samples: int = 1, seed: int = 0, sampling: Sampling | None = None, progress: bool | None = None,
             notes: list[str] | None = None, cleanup: bool = True) -> GenerationResult:
    """Generate ``num_samples`` motions per text; ``lengths`` in seconds (one or one per text) or None = auto.

    ``notes`` (a list) receives human-readable remarks, e.g. that a long length is chained.
    ``cleanup`` fits every motion to a constant-bone skeleton with planted feet (:mod:`.cleanup`);
    False returns the network output untouched.
    """
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
        for batch in batches_of(short, sampling.batch_size):
            idx = [j for j, _, _ in batch]
            lat = generate_tokens(bundle, [t for _, t, _ in batch], [n for _, _, n in batch], seed + idx[0], sampling)
            with stage("decode"):
                decoded = decode_list(bundle, lat, [n for _, _, n in batch])
            for j, m in zip(idx, decoded):
                motions[j] = m
            bar.update(len(batch))
        for i, t, n in long:
            plan = split_long(t, n, bundle)
            for group in batches_of(list(range(num_samples)), sampling.batch_size):
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
