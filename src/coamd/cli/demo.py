"""``coamd demo``: synthesise a corpus, run every task on it and write one HTML page (Tasks issue §8)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import add_common, new_parser
from .args import number, whole


def register(sub) -> None:
    p = new_parser(sub, "demo", "run the whole library on a fresh procedural corpus and write an HTML page",
                   ["coamd demo --out demo_out",
                    "coamd demo --out demo_trained --train",
                    "coamd demo --out demo_runs --checkpoint runs/small --clips 600"])
    p.add_argument("--out", default="demo_out", metavar="DIR",
                   help="output folder: new, empty, or an earlier demo's (default: demo_out)")
    p.add_argument("--clips", type=whole(1, 1_000_000), default=None, metavar="N",
                   help="clips in the fresh corpus (default: 400; 1500 with --train)")
    p.add_argument("--train", action="store_true",
                   help="first retrain the small models on the fresh corpus (about 15-20 minutes on 2 CPU cores)")
    p.add_argument("--train-scale", type=number(0.001, 1000), default=1.0, metavar="F",
                   help="with --train: multiply every model's training steps by F (default: 1)")
    p.add_argument("--checkpoint", metavar="DIR", default=None,
                   help="a model bundle, a training run or a folder of runs (default: the bundled weights)")
    p.add_argument("--ode-steps", type=whole(1, 10_000), default=8, metavar="K",
                   help="Euler steps of the flow head per token (default: 8, the fast setting)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or stage times")
    add_common(p, device=True, seed=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import DemoSettings, run_demo
    from ..errors import CoamdError

    if args.clips is not None and args.clips < 10:
        raise CoamdError(f"--clips {args.clips}: the demo needs at least 10 clips (some are held back for testing)")
    if args.seed < 0:
        raise CoamdError(f"--seed {args.seed}: must be a non-negative integer")
    if not args.train_scale > 0:
        raise CoamdError(f"--train-scale {args.train_scale}: must be a positive number")
    settings = DemoSettings(out=Path(args.out), clips=args.clips, train=args.train, train_scale=args.train_scale,
                            checkpoint=args.checkpoint, device=args.device, seed=args.seed, ode_steps=args.ode_steps,
                            progress=not args.quiet)
    index = run_demo(settings)
    print(f"open {index.resolve()} in a web browser")
    return 0
