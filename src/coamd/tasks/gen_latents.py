"""Latents produced by a trained generator, for fine-tuning the AE decoder on them (``gen_latents=``).

The generator's samples are not exactly encoder latents: decoded, they show sliding feet, jitter
and stretching bones that the decoder never saw in training. ``coamd train ae ... gen_latents=FILE``
adds self-supervised terms on these latents (see ``AETask``); this module writes FILE once
(`coamd.train.gen_latents.load_latents` reads it; the writer lives here because it runs the
generator, a task):

    python -m coamd.tasks.gen_latents BUNDLE_OR_RUNS --data CORPUS --out FILE.npz [--num 1500]

For ``num`` training captions (random, fixed seed) it generates one latent sequence each at the
caption's ground-truth length (capped to the generator's maximum) with the bundle's default
sampling settings, in batches, and stores ``latents`` (sum of lengths, C) float16, ``offsets``
(N + 1,) and ``texts``. Only the train split is read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..atomic import save_npz


def generate_latents(bundle_path: str, data: str, num: int, seed: int = 0, batch_size: int = 32,
                     progress: bool = True) -> dict[str, np.ndarray]:
    from ..data import MotionTextIndex
    from .bundle import load_bundle
    from .generate import generate_tokens, sampling_settings

    bundle = load_bundle(bundle_path)
    index = MotionTextIndex(data, "train", dataset="synth")
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(index.samples), size=min(num, len(index.samples)), replace=False)
    jobs = []
    for i in pick:
        s = index.samples[int(i)]
        cap = s.captions[int(rng.integers(len(s.captions)))]
        n = max(1, min(s.length // bundle.unit_length, bundle.max_tokens))
        jobs.append((cap.text, n))
    jobs.sort(key=lambda j: j[1])                   # similar lengths batch together (less padding work)
    sampling = sampling_settings(bundle)
    chunks, lengths, texts = [], [], []
    for b in tqdm(range(0, len(jobs), batch_size), desc="generate latents", disable=not progress):
        batch = jobs[b: b + batch_size]
        z = generate_tokens(bundle, [t for t, _ in batch], [n for _, n in batch], seed + b, sampling)
        for k, (t, n) in enumerate(batch):
            chunks.append(z[k, :n].float().cpu().numpy())
            lengths.append(n)
            texts.append(t)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return {"latents": np.concatenate(chunks).astype(np.float16), "offsets": offsets, "texts": np.array(texts)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m coamd.tasks.gen_latents", description=__doc__.splitlines()[0])
    p.add_argument("bundle", help="model bundle or folder of runs with ae, generator (and length)")
    p.add_argument("--data", required=True, help="corpus folder (its train split's captions are used)")
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--num", type=int, default=1500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=32)
    a = p.parse_args(argv)
    if Path(a.out).is_file():
        print(f"{a.out}: exists, kept")
        return
    with torch.no_grad():
        out = generate_latents(a.bundle, a.data, a.num, a.seed, a.batch_size)
    save_npz(a.out, **out)
    print(f"{a.out}: {len(out['offsets']) - 1} sequences, {len(out['latents'])} tokens")


if __name__ == "__main__":
    main()
