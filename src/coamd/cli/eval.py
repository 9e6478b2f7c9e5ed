"""``coamd eval {generation,edit,retrieval,recognition,reconstruction}``: one evaluation protocol (Evaluation §3).

Every task prints a table of ``mean ± 95 % CI`` over repeats (``--json``: the metrics as
``{"rows": {row: {metric: {"mean", "ci95", "n"}}}, "settings": {...}}``; ``--out`` also writes that
JSON atomically). Protocols live in ``coamd.bench``; definitions in docs/metrics.md and
docs/benchmark.md. Evaluation never changes a model: generation and editing go through the tasks
API with the sampling flags given, fine-tuning (recognition ``--finetune-steps``) writes a new run.

Generation and editing score what users get by default, the output after ``coamd.tasks.cleanup``
(rows ``generator`` / ``<task>``), next to the raw network output (``generator_raw`` /
``<task>/raw``; ``--raw``: raw rows only). Their tables also show the real captured motion
reference row (physics of every Bandai-Namco/HDM05 clip under ``--realdata``, default
../shared/realdata; JSON ``real_reference``) and each row's physics ÷ real (``physics_vs_real``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from . import add_common, new_parser
from .args import add_sampling_args, sampling_from_args, whole

TASKS = ("generation", "edit", "retrieval", "recognition", "reconstruction")
HELP = {
    "generation": "text-to-motion: FID, R-precision, MM-Dist, Diversity, CLIP-score, plausibility (+ baselines)",
    "edit": "temporal editing (inpaint, outpaint, prefix, suffix) scored like generation",
    "retrieval": "text<->motion retrieval with MAR: R@1/2/3/5/10 and MedR, full gallery and batches of 32",
    "recognition": "zero-shot (and fine-tuned) MAR recognition top-1/top-5 on a corpus or labelled set",
    "reconstruction": "autoencoder round trips: MPJPE (mm) and FID of reconstructions",
}
EXAMPLES = {
    "generation": ["coamd eval generation --data corpus --repeats 20 --json",
                   "coamd eval generation --data corpus --sampler euler --ode-steps 8 --guidance 1 --baselines",
                   "coamd eval generation --data corpus --samples out/samples.npz --repeats 5"],
    "edit": ["coamd eval edit --data corpus --task inpaint --repeats 5",
             "coamd eval edit --data corpus --task all --limit 256 --json"],
    "retrieval": ["coamd eval retrieval --data corpus --repeats 20",
                  "coamd eval retrieval --data corpus --split test_compositional --json"],
    "recognition": ["coamd eval recognition --data corpus",
                    "coamd eval recognition --data hdm05:../shared/realdata/hdm05 --finetune-steps 500",
                    "coamd eval recognition --data ntu60:/data/nturgbd --protocol xview"],
    "reconstruction": ["coamd eval reconstruction --data corpus --repeats 10 --out recon.json"],
}
DEFAULT_REPEATS = {"generation": 20, "edit": 20, "retrieval": 20, "recognition": 1, "reconstruction": 10}


def register(sub) -> None:
    p = new_parser(sub, "eval", "evaluate a model bundle with a benchmark protocol",
                   [EXAMPLES[t][0] for t in TASKS])
    tasks = p.add_subparsers(dest="eval_task", metavar="TASK")
    for task in TASKS:
        sp = new_parser(tasks, task, HELP[task], EXAMPLES[task])
        _common(sp, task)
        if task in ("generation", "edit"):
            _sampling(sp)
        getattr(sys.modules[__name__], f"_options_{task}")(sp)
        sp.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _common(p: argparse.ArgumentParser, task: str) -> None:
    p.add_argument("--checkpoint", default=None, help="model bundle, training run or folder of runs (default: "
                                                      "$COAMD_BUNDLE, else the bundled cpu-small weights)")
    if task != "recognition":
        p.add_argument("--evaluator", default=None, help="evaluators.pt, a folder holding it or a 'coamd train "
                                                         "evaluator' run (default: $COAMD_EVALUATOR, the bundle "
                                                         "folder, then coamd/weights/evaluator)")
    p.add_argument("--data", default=None, help="corpus folder or dataset name (default: synth under $COAMD_DATA); "
                                                "KIND:PATH names the kind, e.g. hdm05:/data/HDM05")
    p.add_argument("--split", default="test", help="split to evaluate on, e.g. test or test_compositional "
                                                    "(default: test)")
    p.add_argument("--repeats", type=whole(1, 1000), default=DEFAULT_REPEATS[task],
                   help=f"repeats for the 95%% interval (default: {DEFAULT_REPEATS[task]})")
    p.add_argument("--limit", type=whole(0, 10_000_000), default=0, help="use a fixed random subset of N samples (default: all)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--out", default=None, help="also write the JSON results to this file")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_common(p, device=True, seed=True)


def _sampling(p: argparse.ArgumentParser) -> None:
    add_sampling_args(p, batch_size=True)
    p.add_argument("--raw", action="store_true", help="score the raw network output only (default: the cleaned "
                                                      "output, as users get it, and the raw output beside it)")
    _realdata(p)


def _realdata(p: argparse.ArgumentParser) -> None:
    p.add_argument("--realdata", default=None, help="real captured motion for the physics reference row (default: "
                                                    "$COAMD_REALDATA, else ../shared/realdata from the working "
                                                    "directory; skipped with a reason when absent)")
    p.add_argument("--no-realdata", action="store_true", help="leave out the real captured reference row")


def _options_generation(p: argparse.ArgumentParser) -> None:
    p.add_argument("--samples", default=None, help="score saved generations (samples.npz from 'coamd generate') "
                                                   "instead of generating")
    p.add_argument("--baselines", action="store_true", help="add the nearest-neighbour and unconditional rows")
    _mm(p)
    _ties(p)


def _mm(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mm", action="store_true", help="also compute MultiModality (slow: 96 captions x 30 samples)")
    p.add_argument("--mm-captions", type=whole(1, 1_000_000), default=96, help="MultiModality captions (default: 96)")
    p.add_argument("--mm-samples", type=whole(1, 10_000), default=30, help="MultiModality samples per caption (default: 30)")


def _ties(p: argparse.ArgumentParser) -> None:
    p.add_argument("--r-precision-ties", choices=["index", "average"], default="index",
                   help="R-precision with exactly tied distances: the official argsort order (index, default) or "
                        "averaged tied places")


def _options_edit(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", default="all", help="inpaint, outpaint, prefix, suffix, a comma list, or all "
                                                 "(default: all)")
    _mm(p)
    _ties(p)


def _options_retrieval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--protocol", choices=("full", "batch32", "both"), default="both",
                   help="gallery: the whole split, shuffled batches of 32, or both (default: both)")


def _options_recognition(p: argparse.ArgumentParser) -> None:
    p.add_argument("--protocol", default=None, help="split protocol of a labelled set: xsub/xview (NTU-60), "
                                                    "xsub/xset (NTU-120), actors (HDM05), styles (Bandai)")
    p.add_argument("--finetune-steps", type=whole(0, 10_000_000), default=0,
                   help="also fine-tune MAR on the train part for N steps and report it (default: 0 = zero-shot)")
    p.add_argument("--finetune-dir", default=None, help="run folder for the fine-tuning (default: a temporary one)")
    p.add_argument("--cache", default=None, help="cache folder for converted clips (default: beside the data)")


def _options_reconstruction(p: argparse.ArgumentParser) -> None:
    pass


# ---------------------------------------------------------------------------------- running
def run(args: argparse.Namespace) -> int:
    from ..atomic import atomic_open

    if args.repeats < 1:
        from ..errors import CoamdError

        raise CoamdError(f"--repeats: must be at least 1, got {args.repeats}")
    progress = False if args.no_progress else None
    if args.out is not None and Path(args.out).is_dir():
        from ..errors import CoamdError

        raise CoamdError(f"--out {args.out}: is a folder; give a .json file name")
    # work messages (e.g. a fine-tuning run's) go to stderr so that --json output stays parseable
    with contextlib.redirect_stdout(sys.stderr):
        result = _evaluate(args, progress)
    text = json.dumps(result, indent=1)
    if args.out is not None:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    if args.json:
        print(text)
    else:
        _print_tables(result)
    return 0


def _evaluate(args: argparse.Namespace, progress: bool | None) -> dict[str, Any]:
    from ..bench.context import check_compatible, open_bundle, open_data, open_evaluators

    task = args.eval_task
    source = open_data(args.data)
    bundle = open_bundle(args.checkpoint, args.device)
    settings: dict[str, Any] = {"task": task, "checkpoint": str(bundle.root), "data": str(source.root),
                                "dataset": source.name, "split": args.split, "repeats": args.repeats,
                                "limit": args.limit, "seed": args.seed, "device": str(bundle.device)}
    if task == "recognition":
        rows = _recognition(args, bundle, source, settings, progress)
        return {"settings": settings, "rows": rows}
    from ..bench.evalset import EvalSet

    evaluators, ev_file = (None, None) if task == "retrieval" else open_evaluators(args.evaluator, bundle, args.device)
    if evaluators is not None:
        check_compatible(bundle, evaluators, source)
        settings["evaluator"] = str(ev_file)
    evalset = EvalSet(source, args.split, limit=args.limit, seed=args.seed)
    settings["evalset"] = evalset.describe()
    if task == "retrieval":
        from ..bench.recognition import retrieval_protocol

        protocols = ("full", "batch32") if args.protocol == "both" else (args.protocol,)
        rows = retrieval_protocol(bundle, evalset, args.repeats, args.seed, protocols, progress)
    elif task == "reconstruction":
        from ..bench.protocols import reconstruction_protocol

        rows = reconstruction_protocol(evalset, evaluators, bundle, args.repeats, args.seed, progress)
    else:
        rows = _generate_or_edit(args, bundle, evaluators, evalset, settings, progress)
        return {"settings": settings, "rows": rows, **_real_reference(args, rows)}
    return {"settings": settings, "rows": rows}


def _real_reference(args: argparse.Namespace, rows: dict) -> dict[str, Any]:
    """``real_reference`` (rows, or why skipped) and ``physics_vs_real`` for a generation/edit result."""
    from ..bench.context import find_realdata
    from ..bench.realref import REAL_ROW, load_real_sets, physics_vs_real, real_reference
    from ..data.registry import get_spec
    from ..text.cache import cache_root

    if args.no_realdata:
        return {"real_reference": {"skipped": "--no-realdata"}}
    root, why = find_realdata(args.realdata)
    if root is None:
        return {"real_reference": {"skipped": why}}
    sets, missing = load_real_sets(root, cache_root() / "realdata")
    if not sets:
        return {"real_reference": {"skipped": "; ".join(missing) or f"{root}: no real clips"}}
    spec = get_spec(next(iter(sets)))
    real = real_reference(sets, spec.skeleton, spec.fps, args.seed)
    return {"real_reference": {"realdata": str(root), "rows": real},
            "physics_vs_real": physics_vs_real(rows, real[REAL_ROW])}


def _generate_or_edit(args: argparse.Namespace, bundle: Any, evaluators: Any, evalset: Any, settings: dict,
                      progress: bool | None) -> dict:
    from ..bench import protocols
    from ..config import to_dict

    sampling = sampling_from_args(args, bundle)
    settings["sampling"] = to_dict(sampling)
    if args.eval_task == "edit":
        from ..errors import CoamdError
        from ..tasks.edit_specs import TASKS as EDITS

        tasks = list(EDITS) if args.task == "all" else [t.strip() for t in args.task.split(",") if t.strip()]
        bad = [t for t in tasks if t not in EDITS]
        if bad or not tasks:
            raise CoamdError(f"--task: {bad[0] if bad else '(empty)'!r} is not one of {', '.join(EDITS)} or all")
        settings["tasks"] = tasks
        cleanup = _cleanup_settings(args, settings)
        settings["r_precision_ties"] = args.r_precision_ties
        return protocols.edit_protocol(evalset, evaluators, bundle, sampling, tasks, args.repeats, args.seed, progress,
                                       cleanup=cleanup, mm=_mm_spec(args, settings), ties=args.r_precision_ties)
    if args.samples is not None:
        motions, texts = _read_samples(args.samples, bundle)
        settings["samples"] = str(args.samples)
        settings["r_precision_ties"] = args.r_precision_ties
        return protocols.samples_protocol(evalset, evaluators, motions, texts, args.repeats, args.seed, progress,
                                          ties=args.r_precision_ties)
    from ..bench.evalset import EvalSet
    from ..bench.methods import CleanedMethod, GeneratorMethod, NearestNeighbour

    raw = GeneratorMethod(bundle, sampling)
    methods: dict[str, Any] = {"generator": raw}
    if _cleanup_settings(args, settings):
        spec = evalset.spec
        methods = {"generator_raw": raw, "generator": CleanedMethod(raw, "generator_raw", spec.skeleton, spec.fps)}
    if args.baselines:
        train = EvalSet(evalset.source, "train", seed=args.seed).index
        methods["nearest_neighbour"] = NearestNeighbour(bundle, train, progress=progress is not False)
        methods["unconditional"] = GeneratorMethod(bundle, sampling, unconditional=True)
    settings["r_precision_ties"] = args.r_precision_ties
    return protocols.generation_protocol(evalset, evaluators, methods, args.repeats, args.seed, _mm_spec(args, settings),
                                         progress, ties=args.r_precision_ties)


def _mm_spec(args: argparse.Namespace, settings: dict) -> Any:
    from ..bench import protocols

    mm = None
    if args.mm:
        if args.mm_captions < 1 or args.mm_samples < 2:
            from ..errors import CoamdError

            raise CoamdError("--mm-captions must be >= 1 and --mm-samples >= 2")
        mm = protocols.MMSpec(args.mm_captions, args.mm_samples)
        settings["mm"] = {"captions": args.mm_captions, "samples": args.mm_samples}
    return mm


def _cleanup_settings(args: argparse.Namespace, settings: dict) -> bool:
    """Whether generated/edited rows get the cleanup stage (recorded in ``settings["cleanup"]``)."""
    from ..bench.methods import cleanup_function

    fn, why = cleanup_function()
    if args.raw:
        why = "--raw"
    settings["cleanup"] = {"applied": fn is not None and not args.raw, **({"why": why} if why else {})}
    return settings["cleanup"]["applied"]


def _read_samples(path: str, bundle: Any) -> tuple[list, list[str]]:
    """Motions (list of (T_i, J, 3)) and texts of a ``samples.npz`` written by ``coamd generate``."""
    from ..errors import CoamdError
    from ..io import read_samples

    samples = read_samples(path, "--samples")
    if samples.skeleton != bundle.skeleton.name:
        raise CoamdError(f"--samples {path}: {samples.skeleton} motions, but the checkpoint is for "
                         f"{bundle.skeleton.name}")
    if abs(samples.fps - bundle.fps) > 1e-6:
        raise CoamdError(f"--samples {path}: motions at {samples.fps:g} fps, the checkpoint works at {bundle.fps:g}")
    return samples.motions, samples.texts


def _recognition(args: argparse.Namespace, bundle: Any, source: Any, settings: dict,
                 progress: bool | None) -> dict:
    import tempfile

    from ..bench import recognition as rec
    from ..errors import CoamdError

    if args.finetune_steps < 0:
        raise CoamdError(f"--finetune-steps: must not be negative, got {args.finetune_steps}")
    if source.text_motion:
        from ..bench.evalset import EvalSet

        if args.finetune_steps:
            raise CoamdError("--finetune-steps applies to labelled sets (hdm05, bandai, ntu60, ntu120)")
        evalset = EvalSet(source, args.split, limit=args.limit, seed=args.seed)
        settings["evalset"] = evalset.describe()
        return {"zero_shot": rec.corpus_recognition(bundle, evalset, progress)}
    clips = rec.load_clips(source, cache=args.cache if args.cache else "auto")
    protocol = args.protocol or rec.default_protocol(source)
    if protocol not in clips.parts:
        raise CoamdError(f"--protocol: {protocol!r} is not a split of {source.name}; known: {', '.join(clips.parts)}")
    settings.update(protocol=protocol, finetune_steps=args.finetune_steps)
    if not args.finetune_steps:
        return rec.recognition_rows(bundle, clips, source, protocol, None, 0, args.seed, progress)
    with contextlib.ExitStack() as stack:
        folder = args.finetune_dir or stack.enter_context(tempfile.TemporaryDirectory(prefix="coamd_finetune_"))
        settings["finetune_dir"] = args.finetune_dir
        return rec.recognition_rows(bundle, clips, source, protocol, folder, args.finetune_steps, args.seed,
                                    progress)


def _print_tables(result: dict) -> None:
    from ..bench.realref import DISPLAY, REAL_ROW, ratio_text, real_row_label
    from ..bench.report import (
        GEN_COLUMNS,
        RECON_COLUMNS,
        RETRIEVAL_COLUMNS,
        ROW_NAMES,
        metric_table,
        row_names,
        with_real_row,
    )

    s, rows = result["settings"], result["rows"]
    names = {**ROW_NAMES, **row_names(rows)}
    real = result.get("real_reference", {})
    if real.get("rows", {}).get(REAL_ROW):
        rows = with_real_row(rows, real["rows"])
        names[REAL_ROW] = real_row_label(real["rows"])
    task = s["task"]
    if task == "retrieval":
        cols, label = RETRIEVAL_COLUMNS, "protocol"
    elif task == "recognition":
        cols, label = [("top1", "top-1"), ("top5", "top-5"), ("clips", "clips"), ("labels", "labels")], "mode"
    else:
        cols, label = (RECON_COLUMNS if task == "reconstruction" else GEN_COLUMNS), "method"
    where = s.get("evalset", {}).get("per_draw")
    print(f"coamd eval {task}: {s['data']} split {s['split']}" + (f", {where} samples per draw" if where else "") +
          f", {s['repeats']} repeat(s); mean ± 95% CI")
    cleanup = s.get("cleanup")
    if cleanup and task == "edit":
        print("edit rows: '<task> (official: AE decode)' scores the decode of the whole edited sequence (upstream's "
              "protocol); '(copy-back)' copies the kept frames back from the source" +
              (", then the cleanup" if cleanup["applied"] else f" (no cleanup: {cleanup.get('why')})"))
    elif cleanup:
        print("cleanup: " + ("applied to the generator/edit rows; '(raw)' rows are the network output" if
                             cleanup["applied"] else f"not applied ({cleanup.get('why')})"))
    if s.get("r_precision_ties"):
        print(f"R-precision ties: {s['r_precision_ties']}" + (" (official argsort order)"
                                                               if s["r_precision_ties"] == "index" else ""))
    print("\n".join(metric_table(rows, cols, label, names)))
    if "skipped" in real:
        print(f"real captured reference row: skipped ({real['skipped']})")
    for row, ratios in result.get("physics_vs_real", {}).items():
        if row != REAL_ROW:
            print(f"{names.get(row, row)} vs real captured: " +
                  ", ".join(f"{DISPLAY[k][0]} {ratio_text(v)}" for k, v in ratios.items()))
