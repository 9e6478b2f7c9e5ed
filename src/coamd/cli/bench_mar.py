"""``coamd bench mar``: recognition and index-building throughput (MAR motion embeddings), motions per second.

Times, for each ``--threads`` value with the runs interleaved: ``recognize`` of the motions one call per
motion (what ``coamd recognize FILE`` does per file, text labels encoded once before timing), and
``embed_motions`` of all of them in batches of 64 windows (what ``coamd index build`` and ``recognize``
of many files run). Motions: the ``.npy`` files of ``--motions DIR`` (canonical (T, 22, 3) joints), else
``--count`` random-walk motions of ``--seconds`` seconds (timing does not depend on the values).
``--tta`` times the recognize column once per test-time-view setting, interleaved (default: the
checkpoint's own; the bundled MAR reads each clip six ways, ``--tta none mirror+speed`` compares).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from . import new_parser
from .args import THREADS, number, whole


def register(sub) -> None:
    p = new_parser(sub, "mar", "time recognition and index building (MAR embeddings): motions per second, "
                               "thread counts side by side",
                   ["coamd bench mar --threads 1 2", "coamd bench mar --motions corpus/new_joints --count 256"])
    p.add_argument("--checkpoint", metavar="DIR", default=None, help="bundle (default: the bundled weights)")
    p.add_argument("--motions", metavar="DIR", default=None, help="a folder of .npy joint files (default: random)")
    p.add_argument("--count", type=whole(1, 100_000), default=128, help="motions (default: 128)")
    p.add_argument("--seconds", type=number(0.5, 600), default=10.0, help="length of the random motions (default: 10)")
    p.add_argument("--single", type=whole(1, 100_000), default=16, help="motions recognised one call each (default: 16)")
    p.add_argument("--threads", type=THREADS, nargs="+", default=[1], metavar="N", help="torch threads (default: 1)")
    p.add_argument("--repeats", type=whole(1, 1000), default=2, help="timed runs per variant (default: 2)")
    p.add_argument("--tta", nargs="+", choices=("none", "mirror", "speed", "mirror+speed"), default=None,
                   help="test-time views of the recognize column, several side by side (default: the checkpoint's)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run)


def _motions(args, skeleton, fps: float) -> list:
    from pathlib import Path

    import numpy as np

    if args.motions:
        files = sorted(Path(args.motions).glob("*.npy"))[: args.count]
        return [np.load(f).astype(np.float32) for f in files]
    rng = np.random.default_rng(0)
    T = int(args.seconds * fps)
    base = rng.normal(0, 0.3, (skeleton.num_joints, 3)).astype(np.float32) + np.array([0, 1.0, 0], np.float32)
    return [base + np.cumsum(rng.normal(0, 0.01, (T, skeleton.num_joints, 3)), axis=0).astype(np.float32)
            for _ in range(args.count)]


def run(args: argparse.Namespace) -> int:
    import torch

    from ..errors import CoamdError
    from ..tasks import load_bundle, recognize
    from ..tasks.recognize import embed_motions

    if min(args.threads) < 1 or args.count < 1 or args.repeats < 1 or args.single < 0:
        raise CoamdError("--threads, --count and --repeats must be at least 1")
    bundle = load_bundle(args.checkpoint, parts=("mar",))
    motions = _motions(args, bundle.skeleton, bundle.fps)
    if not motions:
        raise CoamdError(f"--motions {args.motions}: no .npy files")
    single = motions[: args.single]
    ttas = list(dict.fromkeys(args.tta or [bundle.mar.cfg.recog_tta]))
    bundle.sentences(bundle.label_names)                   # labels encoded (and the encoder loaded) before timing
    before = torch.get_num_threads()
    keys = ["single" if i == 0 else f"single:{v}" for i, v in enumerate(ttas)]
    res: dict[int, dict[str, list[float]]] = {t: {**{k: [] for k in keys}, "batch": []} for t in args.threads}
    try:
        for t in args.threads:                             # warm-up
            torch.set_num_threads(t)
            for v in ttas:
                recognize(bundle, motions[:1], tta=v)
            embed_motions(bundle, motions[:8])
        for _ in range(args.repeats):
            for t in args.threads:
                torch.set_num_threads(t)
                for k, v in zip(keys, ttas):
                    t0 = time.perf_counter()
                    for m in single:
                        recognize(bundle, [m], tta=v)
                    res[t][k].append(len(single) / (time.perf_counter() - t0) if single else 0.0)
                t1 = time.perf_counter()
                with torch.inference_mode():
                    embed_motions(bundle, motions)
                t2 = time.perf_counter()
                res[t]["batch"].append(len(motions) / (t2 - t1))
    finally:
        torch.set_num_threads(before)
    frames = statistics.fmean(len(m) for m in motions)
    doc = {"motions": len(motions), "mean_frames": frames, "source": args.motions or "random walk", "tta": ttas,
           "threads": {t: {k: statistics.fmean(v) for k, v in r.items()} for t, r in res.items()},
           "runs": res}
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    print(f"MAR throughput: {len(motions)} motions of {frames / bundle.fps:.1f} s on average ({doc['source']}), "
          f"{args.repeats} interleaved runs; motions per second")
    heads = [f"recognize ({v}), one call each" for v in ttas] + ["embed in batches (index build)"]
    widths = [max(30, len(h)) for h in heads]
    print(f"{'threads':>7}  " + "  ".join(f"{h:>{w}}" for h, w in zip(heads, widths)))
    for t, r in doc["threads"].items():
        print(f"{t:>7}  " + "  ".join(f"{r[k]:>{w}.1f}" for k, w in zip([*keys, "batch"], widths)))
    return 0
