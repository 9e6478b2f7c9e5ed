"""``coamd bench startup``: the wall time of a whole ``coamd generate`` command against ``import torch``.

Each round runs, one after the other in fresh processes: ``python -c "import torch"`` (the floor every
torch program pays), ``coamd generate TEXT --length L --format npy --timings`` of this checkout, and,
with ``--baseline-src DIR``, the same generate command of another source tree (e.g. an older commit
unpacked with ``git archive``) run by the same interpreter with ``PYTHONPATH=DIR``. Medians over the
rounds, the ratio to ``import torch`` and the median per-stage breakdown of ``--timings`` are
printed. Interleaving the commands makes the comparison fair on a machine whose load changes.
``--cold-cache`` gives each run an empty embedding cache (a prompt never seen before).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import new_parser
from .args import whole

STAGE_LINE = re.compile(r"^  (.+?)\s+(\d+\.\d+)\s+(\d+\.\d+)%$")


def register(sub) -> None:
    p = new_parser(sub, "startup", "time a whole 'coamd generate' command (fresh process) against "
                                   "'python -c \"import torch\"', side by side",
                   ["coamd bench startup --rounds 5",
                    "git archive HEAD~3 src | tar -x -C /tmp/old && coamd bench startup --baseline-src /tmp/old/src"])
    p.add_argument("--text", default="a person walks forward and waves", help="the prompt")
    p.add_argument("--length", default="9.8", help="seconds (default: 9.8, one segment)")
    p.add_argument("--rounds", type=whole(1, 1000), default=5, help="rounds of every command (default: 5)")
    p.add_argument("--baseline-src", metavar="DIR", default=None,
                   help="also time the generate command of the coamd package under DIR (PYTHONPATH=DIR)")
    p.add_argument("--extra", default="", metavar="ARGS", help="more 'coamd generate' arguments, e.g. '--raw'")
    p.add_argument("--cold-cache", action="store_true",
                   help="give every run of this checkout an empty $COAMD_CACHE, so the prompt is encoded (loading "
                        "the text encoder) instead of read from the embedding cache")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run)


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        from ..errors import CoamdError

        raise CoamdError(f"bench startup: {' '.join(cmd[:4])} ... failed: {proc.stderr.strip()[-300:]}")
    return seconds, proc.stderr


def parse_timings(stderr: str) -> dict[str, float]:
    """{stage: seconds} from ``--timings`` output."""
    out = {}
    for line in stderr.splitlines():
        m = STAGE_LINE.match(line)
        if m:
            out[m.group(1).strip()] = float(m.group(2))
    return out


def run(args: argparse.Namespace) -> int:
    from ..errors import CoamdError

    if args.rounds < 1:
        raise CoamdError(f"--rounds {args.rounds}: must be at least 1")
    py = sys.executable
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="coamd-startup-"))
    gen = [py, "-m", "coamd", "generate", args.text, "--length", str(args.length), "--format", "npy", "--overwrite",
           *args.extra.split()]
    commands = {"import torch": ([py, "-c", "import torch"], env),
                "coamd generate": (gen + ["-o", str(work / "new"), "--timings"], env)}
    if args.baseline_src:
        base_env = dict(env, PYTHONPATH=str(Path(args.baseline_src).resolve()))
        commands["coamd generate (baseline)"] = (gen + ["-o", str(work / "old")], base_env)
    walls: dict[str, list[float]] = {k: [] for k in commands}
    stages: list[dict[str, float]] = []
    for r in range(args.rounds):
        for name, (cmd, e) in commands.items():
            if args.cold_cache and name == "coamd generate":
                e = dict(e, COAMD_CACHE=str(work / f"cache{r}"))
            seconds, err = _timed(cmd, e)
            walls[name].append(seconds)
            if name == "coamd generate":
                stages.append(parse_timings(err))
    med = {k: statistics.median(v) for k, v in walls.items()}
    torch_s = med["import torch"]
    stage_med = {k: statistics.median(s.get(k, 0.0) for s in stages) for k in stages[0]} if stages else {}
    result = {"rounds": args.rounds, "cold_cache": args.cold_cache, "text": args.text, "length": args.length, "extra": args.extra,
              "cpus": os.cpu_count(), "threads_env": os.environ.get("COAMD_THREADS"),
              "wall_median_s": med, "wall_all_s": walls,
              "ratio_to_import_torch": {k: v / torch_s for k, v in med.items()},
              "stages_median_s": stage_med}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"start-up: {args.rounds} rounds, fresh processes, interleaved; {os.cpu_count()} CPUs; "
          f"coamd generate {args.text!r} --length {args.length} --format npy {args.extra}".rstrip()
          + ("; empty embedding cache every run" if args.cold_cache else ""))
    print(f"{'command':<28}  {'median s':>9}  {'min s':>7}  {'max s':>7}  {'÷ import torch':>14}")
    for k, v in walls.items():
        print(f"{k:<28}  {med[k]:>9.2f}  {min(v):>7.2f}  {max(v):>7.2f}  {med[k] / torch_s:>13.2f}×")
    if args.baseline_src:
        print(f"baseline ÷ this checkout: {med['coamd generate (baseline)'] / med['coamd generate']:.2f}×")
    if stage_med:
        print("median stages of this checkout's --timings (s): "
              + ", ".join(f"{k} {v:.2f}" for k, v in stage_med.items()))
    return 0
