"""``coamd bench {generate,suite}``: generation speed (AITS, Tasks issue §7) and the evaluation suite.

Sub-verbs are registered from :data:`SUBVERBS` (``name -> "module"`` or ``"module:function"`` under
``coamd.cli``, the function defaulting to ``register``), like ``coamd data``.
"""

from __future__ import annotations

import argparse
import json

from ..diffusion import SAMPLERS
from . import add_common, add_subverbs, new_parser
from .args import THREADS, add_sampling_args, sampling_from_args, whole

# bench generate times the same work on random weights (which have no bundle defaults) and on any checkpoint,
# so its sampling defaults are pinned instead of following a bundle: the paper's 12 steps and CFG 4.5, with a
# fixed-step solver (Euler x32) whose cost does not depend on the weights as dopri5's adaptive steps do.
PINNED = {"sampler": "euler", "ode_steps": 32, "decode_steps": 12, "cfg_scale": 4.5}

# sub-verb -> "module[:function]" under coamd.cli whose function(subparsers) registers it
SUBVERBS = {
    "generate": "bench:register_generate",
    "startup": "bench_startup",
    "mar": "bench_mar",
    "suite": "bench_suite",
}


def register(sub) -> None:
    p = new_parser(sub, "bench", "benchmarks: generation speed, and the evaluation suite",
                   ["coamd bench generate --config cpu-small",
                    "coamd bench generate --config paper --batch 1 --json",
                    "coamd bench suite --suite quick -o results/"])
    add_subverbs(p, "bench_verb", SUBVERBS)


def register_generate(sub) -> None:
    p = new_parser(sub, "generate", "time text-to-motion generation: seconds per 196-frame motion and network "
                                    "evaluations, text encoding cached (AITS)",
                   ["coamd bench generate --config cpu-small",
                    "coamd bench generate --config paper --batch 1 4 --ode-steps 16",
                    "coamd bench generate --checkpoint runs/small --sampler dopri5 --batch 1 --json"])
    p.add_argument("--config", default="cpu-small",
                   help="model sizes for random weights: paper, cpu-small or a YAML path (default: cpu-small)")
    p.add_argument("--checkpoint", metavar="DIR", default=None,
                   help="time these trained weights (a bundle or runs) instead of random ones of --config")
    add_sampling_args(p, guidance=False, pinned=PINNED,
                      why="the same work on random weights and on every checkpoint, whatever its bundle defaults")
    p.add_argument("--batch", type=whole(1, 4096), nargs="+", default=None, metavar="B",
                   help="batch sizes to time (default: 1 32; for paper-size models 1 4, as batch 32 takes "
                        "many minutes on a CPU)")
    p.add_argument("--frames", type=whole(4, 100_000), default=196, help="frames per motion (default: 196 = 49 tokens)")
    p.add_argument("--repeats", type=whole(1, 1000), default=None, metavar="R",
                   help="timed runs per batch size after one warm-up (default: 3; 1 for paper-size models)")
    p.add_argument("--compare", metavar="SAMPLER[:K][@THREADS][/STEPS]", nargs="+", default=None,
                   help="also time these samplers (dopri5, euler:16, heun:2, midpoint:4, distilled, euler:16@2, "
                        "euler:4/8 = 8 decoding steps ...; other settings the same, "
                        "threads: the first --threads), runs interleaved, and print each variant's speed-up over "
                        "the last one")
    p.add_argument("--threads", type=THREADS, nargs="+", default=None, metavar="N",
                   help="torch threads; several values time each side by side (default: torch's current setting)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_common(p, device=True, seed=True)
    p.set_defaults(func=run_generate)


def parse_sampler(spec: str, default_steps: int) -> tuple[str, int, int | None]:
    """'dopri5' / 'euler:16' / 'heun' / 'distilled' / 'euler:16@2' -> (sampler, ode steps, threads or None)."""
    from ..errors import CoamdError

    spec, _, at = spec.partition("@")
    try:
        threads = int(at) if at else None
    except ValueError:
        raise CoamdError(f"--compare {spec}@{at}: the number after @ is the thread count") from None
    if threads is not None and threads < 1:
        raise CoamdError(f"--compare {spec}@{at}: at least 1 thread")
    name, _, k = spec.partition(":")
    if name not in SAMPLERS:
        raise CoamdError(f"--compare {spec}: expected a sampler ({', '.join(SAMPLERS)}), "
                         f"fixed-step ones optionally with :K")
    try:
        steps = int(k) if k else default_steps
    except ValueError:
        raise CoamdError(f"--compare {spec}: K must be a whole number of ODE steps") from None
    if steps < 1:
        raise CoamdError(f"--compare {spec}: K must be at least 1")
    return name, steps, threads


def variant_label(s) -> str:
    solver = s.sampler if s.sampler in ("dopri5", "distilled") else f"{s.sampler} x{s.ode_steps}"
    return f"{solver}, {s.decode_steps} steps, CFG {s.cfg_scale:g}"


def run_generate(args: argparse.Namespace) -> int:
    from ..bench.speed import bench_generate, format_report
    from ..errors import CoamdError

    for name, value in (("--repeats", args.repeats), ("--frames", args.frames)):
        if value is not None and value < 1:
            raise CoamdError(f"{name} {value}: must be at least 1")
    if args.batch is not None and min(args.batch) < 1:
        raise CoamdError(f"--batch {min(args.batch)}: must be at least 1")
    sampling = sampling_from_args(args)             # no bundle: the flags, defaults pinned (PINNED)
    if args.threads is not None and min(args.threads) < 1:
        raise CoamdError(f"--threads {min(args.threads)}: must be at least 1")
    if args.compare or args.threads:
        import dataclasses

        import torch

        from ..bench.speed import bench_compare, format_comparison

        threads = list(dict.fromkeys(args.threads or [torch.get_num_threads()]))
        variants = {f"{variant_label(sampling)} ({t} thr)": (sampling, t) for t in threads}
        for spec in args.compare or []:
            spec, _, dec = spec.partition("/")
            name, k, t = parse_sampler(spec, args.ode_steps)
            if dec and not (dec.isdigit() and int(dec) >= 1):
                raise CoamdError(f"--compare {spec}/{dec}: the number after / is the decoding steps (at least 1)")
            ref = dataclasses.replace(sampling, sampler=name, ode_steps=k, decode_steps=int(dec) if dec else sampling.decode_steps)
            variants[f"{variant_label(ref)} ({t or threads[0]} thr)"] = (ref, t or threads[0])
        reports = bench_compare(variants, args.config, args.checkpoint,
                                batches=tuple(args.batch) if args.batch else None, repeats=args.repeats,
                                frames=args.frames, device=args.device, seed=args.seed,
                                progress=not (args.quiet or args.json))
        if args.json:
            print(json.dumps({k: r.as_dict() for k, r in reports.items()}, indent=1))
        else:
            print(format_comparison(reports))
        return 0
    report = bench_generate(args.config, args.checkpoint, batches=tuple(args.batch) if args.batch else None,
                            sampling=sampling, repeats=args.repeats, frames=args.frames, device=args.device,
                            seed=args.seed, progress=not (args.quiet or args.json))
    print(json.dumps(report.as_dict(), indent=1) if args.json else format_report(report))
    return 0
