"""``coamd data synth``: write the procedural motion corpus in the HumanML3D layout (Foundation §5)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import CoamdError
from . import new_parser
from .args import SEED, whole


def register(sub) -> None:
    p = new_parser(sub, "synth", "synthesise the procedural motion corpus (HumanML3D layout, captions, labels)",
                   ["coamd data synth --out corpus --clips 5000 --seed 0",
                    "coamd data synth --out tiny --clips 200 --workers 1 --mirror --overwrite"])
    p.add_argument("--out", required=True, help="output folder (built beside it, renamed into place when complete)")
    p.add_argument("--clips", type=whole(1, 10_000_000), default=5000, help="number of clips (default: 5000)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed; the same seed gives byte-identical files (default: 0)")
    p.add_argument("--workers", type=whole(1, 256), default=min(2, os.cpu_count() or 1),
                   help="worker processes (default: min(2, CPUs)); the output does not depend on it")
    p.add_argument("--overwrite", action="store_true", help="replace an existing non-empty output folder")
    p.add_argument("--vocabulary", choices=("core", "extended"), default="core",
                   help="actions of random clips: core (the default corpus, 44 labels) or extended (core plus "
                        "put down, elbow to knee and sneak; 47 labels, a different corpus for the same seed)")
    p.add_argument("--styles", choices=("core", "broad", "mixed", "varied"), default="core",
                   help="bodies and habits of random clips: core (the default corpus), broad (smaller people, "
                        "stooped/crouched postures, wider tempi), mixed (each clip core or broad, even odds) or "
                        "varied (broad plus action variants: single deep squats, bent-elbow hand raises); "
                        "every option but core gives a different corpus for the same seed")
    p.add_argument("--mirror", action="store_true", help="also write left/right mirrored copies M<id> (captions swapped)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or statistics")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..synth import generate_clips, write_corpus

    out = Path(args.out)
    if args.clips < 1:
        raise CoamdError(f"--clips {args.clips}: must be at least 1")
    if args.workers < 1:
        raise CoamdError(f"--workers {args.workers}: must be at least 1")
    if args.seed < 0:
        raise CoamdError(f"--seed {args.seed}: must be a non-negative integer")
    if out.exists() and not out.is_dir():
        raise CoamdError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise CoamdError(f"--out {out}: folder exists and is not empty (pass --overwrite to replace it)")
    t0 = time.perf_counter()
    clips = generate_clips(args.clips, seed=args.seed, workers=args.workers, progress=not args.quiet,
                           vocabulary=args.vocabulary, styles=args.styles)
    stats = write_corpus(out, clips, seed=args.seed, overwrite=args.overwrite, mirrored=args.mirror,
                         vocabulary=args.vocabulary, styles=args.styles)
    dt = time.perf_counter() - t0
    if not args.quiet:
        print(_report(stats, out, dt))
    return 0


def _report(stats: dict, out: Path, seconds: float) -> str:
    mirrored = ", mirrored" if stats["mirrored"] else ""
    rate = stats["clips"] / max(seconds, 1e-9)
    head = (f"wrote {stats['files']} motions ({stats['clips']} clips{mirrored}, {stats['hours']:.2f} h) to {out} "
            f"in {seconds:.1f} s ({rate:.0f} clips/s)")
    lines = [
        head,
        "splits: " + ", ".join(f"{k} {v}" for k, v in stats["splits"].items()),
        "clips per action:",
    ]
    items = sorted(stats["clips_per_action"].items(), key=lambda kv: (-kv[1], kv[0]))
    width = max(len(k) for k, _ in items)
    for i in range(0, len(items), 4):
        lines.append("  " + "   ".join(f"{k:<{width}} {v:5d}" for k, v in items[i:i + 4]))
    return "\n".join(lines)
