"""``coamd bench suite --suite quick|full -o results/``: every benchmark protocol and the report (Evaluation §4).

Runs generation (standard and compositional splits, with the nearest-neighbour and unconditional
baselines), the guidance and sampler sweeps, editing, reconstruction, retrieval and recognition
(corpus + real HDM05/Bandai-Namco, zero-shot and fine-tuned) for one model bundle; writes
``<out>/results.json`` and a Markdown report with plots (``docs/results.md`` by default). Finished
sections are cached in ``<out>/sections/`` and skipped on a re-run unless ``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import add_common, new_parser

EXAMPLES = ["coamd bench suite --suite quick -o results/",
            "coamd bench suite --suite full -o results/full --report docs/results.md",
            "coamd bench suite --suite quick -o /tmp/b --data corpus --report /tmp/b/results.md --set repeats=1"]


def register(sub) -> None:
    p = new_parser(sub, "suite", "run the whole benchmark (quick: < 10 min on 2 CPU cores; full: the paper "
                                 "protocol) and write results.json and a Markdown report", EXAMPLES)
    add_options(p)
    p.set_defaults(func=run)


def add_options(p: argparse.ArgumentParser) -> None:
    """The suite's options (also usable by a ``coamd bench --suite`` form)."""
    p.add_argument("--suite", choices=("quick", "full"), default="quick",
                   help="quick: few repeats, subsets, a fast sampler, small sweeps; full: 20 repeats, whole "
                        "splits, full sweeps, MultiModality (hours to days on a CPU) (default: quick)")
    p.add_argument("-o", "--out", default="results", help="output folder: results.json, cached sections, "
                                                          "the synthesised corpus, fine-tuning runs (default: results)")
    p.add_argument("--report", default="docs/results.md",
                   help="Markdown report path; plots go to results/ beside it (default: docs/results.md)")
    p.add_argument("--checkpoint", default=None, help="model bundle (default: $COAMD_BUNDLE, else the bundled "
                                                      "cpu-small weights)")
    p.add_argument("--evaluator", default=None, help="evaluators (default: $COAMD_EVALUATOR, the bundle folder, "
                                                     "then coamd/weights/evaluator)")
    p.add_argument("--data", default=None, help="corpus (default: synthesise the default 5000-clip corpus, seed 0, "
                                                "into OUT/corpus once)")
    p.add_argument("--realdata", default=None, help="real recognition data folder (default: $COAMD_REALDATA, else "
                                                    "../shared/realdata from the working directory; skipped with a "
                                                    "reason when absent)")
    p.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                   help="override suite settings, e.g. repeats=5 limit=256 sweep=[euler:4,dopri5]")
    p.add_argument("--force", action="store_true", help="recompute cached sections")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_common(p, device=True, seed=True)


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (options that differ from their defaults, in a fixed order)."""
    import shlex

    parts = ["coamd", "bench", "suite", "--suite", args.suite, "-o", str(args.out), "--report", str(args.report)]
    for name in ("checkpoint", "evaluator", "data", "realdata"):
        if getattr(args, name) is not None:
            parts += [f"--{name}", str(getattr(args, name))]
    if args.device != "cpu":
        parts += ["--device", args.device]
    if args.seed != 0:
        parts += ["--seed", str(args.seed)]
    if args.force:
        parts.append("--force")
    if args.set:
        parts += ["--set", *args.set]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    import time

    from ..bench.context import check_compatible, ensure_corpus, open_bundle, open_data, open_evaluators
    from ..bench.suite import Suite, run_suite, suite_config
    from ..config import ConfigError, parse_overrides
    from ..errors import CoamdError

    try:
        overrides = parse_overrides(args.set)
    except (ConfigError, ValueError) as e:
        raise CoamdError(f"--set: {e}") from None
    cfg = suite_config(args.suite, overrides)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CoamdError(f"--out {out}: exists and is not a folder")
    t0 = time.perf_counter()
    progress = False if args.no_progress else None
    bundle = open_bundle(args.checkpoint, args.device)
    evaluators, ev_file = open_evaluators(args.evaluator, bundle, args.device)
    if args.data is not None:
        source = open_data(args.data)
    else:
        source = ensure_corpus(out / "corpus", cfg.corpus_clips, cfg.corpus_seed, progress=progress is not False)
    check_compatible(bundle, evaluators, source)
    suite = Suite(cfg, out, bundle, evaluators, ev_file, source, realdata=args.realdata, seed=args.seed,
                  force=args.force, progress=progress, command=command_line(args))
    results, path, report = run_suite(suite, args.report)
    for line in results["summary"]["sentences"]:
        print(line)
    print(f"wrote {path} and {report} in {time.perf_counter() - t0:.0f} s")
    return 0
