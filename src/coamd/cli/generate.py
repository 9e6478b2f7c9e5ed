"""``coamd generate``: text -> motion (paper-brief §3.6-§3.7, §5.2), single prompts or chained sequences.

Writes, into the output folder (built under a temporary name, renamed at the end): one canonical
``.npy`` (T, 22, 3) per sample plus the requested previews, and ``samples.npz`` with every motion,
length, text, seed and the resolved settings (what ``coamd eval`` reads).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..atomic import folder_lock
from ..errors import CoamdError
from . import add_common, add_timings, new_parser
from .args import add_sampling_args, sampling_from_args, whole


def add_checkpoint(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", metavar="DIR", default=None,
                   help="a model bundle, a training run or a folder of runs (default: the bundled weights)")


def add_raw(p: argparse.ArgumentParser) -> None:
    p.add_argument("--raw", action="store_true",
                   help="hand out the network output untouched: no cleanup (by default every motion is fitted to "
                        "constant bone lengths, with planted feet held, no floor penetration and no jitter)")


def add_output(p: argparse.ArgumentParser, default: str = "npy,gif") -> None:
    p.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="output folder (must not exist or be empty)")
    p.add_argument("--format", default=default, metavar="LIST",
                   help=f"comma-separated: npy, bvh, gif, mp4, html, png (default: {default})")
    p.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it exists")


def check_out(out: str, overwrite: bool) -> Path:
    """Fail early (before any work) when the output folder would be refused at the end."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise CoamdError(f"-o {path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise CoamdError(f"-o {path}: folder exists and is not empty (pass --overwrite to replace it)")
    base = path.absolute().parent
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise CoamdError(f"-o {path}: cannot write there ({base} is not a writable folder)")
    return path


def register(sub) -> None:
    p = new_parser(
        sub, "generate", "generate motions from text (coarse-to-fine masked decoding, optional MAR guidance)",
        ['coamd generate "a person walks forward and waves" --length 4 --num-samples 3 -o out/',
         'coamd generate --sequence "walk forward" "sit down on a chair" "stand up" -o out/long',
         "coamd generate --prompts prompts.txt --format npy,bvh,mp4 --guidance 1.0 -o out/batch"],
    )
    p.add_argument("texts", nargs="*", metavar="TEXT", help="motion descriptions")
    p.add_argument("--prompts", metavar="FILE", help='one prompt per line: "text", "text#seconds" or "text#auto"')
    p.add_argument("--length", default="auto", metavar="SECONDS",
                   help="seconds (1-60) or 'auto' (length estimator); one value, or a comma list, one per text "
                        "(default: auto). Over 9.8 s is generated as chained segments")
    p.add_argument("--sequence", action="store_true",
                   help="chain the texts into one long motion, one segment per text (1 s overlaps)")
    p.add_argument("--num-samples", type=whole(1, 10_000), default=1, metavar="N", help="samples per text (default: 1)")
    add_sampling_args(p, batch_size=True)
    add_raw(p)
    add_checkpoint(p)
    add_output(p)
    add_common(p, device=True, seed=True, threads=True)
    add_timings(p)
    p.set_defaults(func=run)


def _prompts(args: argparse.Namespace) -> tuple[list[str], list]:
    from ..tasks.generate import check_texts, parse_seconds, read_prompts

    if args.prompts and args.texts:
        raise CoamdError("give texts on the command line or --prompts FILE, not both")
    if args.prompts:
        if args.length != "auto":
            raise CoamdError("--length does not apply with --prompts; put 'text#seconds' in the file")
        rows = read_prompts(args.prompts)
        return [t for t, _ in rows], [s for _, s in rows]
    if not args.texts:
        raise CoamdError("no text given; e.g. coamd generate \"a person walks forward\" -o out/")
    texts = check_texts(args.texts)
    values = [v.strip() for v in str(args.length).split(",")]
    if len(values) not in (1, len(texts)):
        raise CoamdError(f"--length: {len(values)} values for {len(texts)} texts (give one, or one per text)")
    seconds = [parse_seconds(v) for v in values]
    return texts, seconds * len(texts) if len(seconds) == 1 else seconds


GENERATE_STAGES = ("imports", "load models", "load text encoder", "encode text", "estimate length", "sample",
                   "decode", "cleanup", "write")


def needed_parts(seconds: list, guidance: float) -> tuple[str, ...]:
    """The bundle parts a generate call uses: AE + generator, the length estimator only for automatic lengths,
    MAR only for guidance (loading the others costs start-up time for nothing)."""
    return ("ae", "generator") + (("length",) if any(s is None for s in seconds) else ()) \
        + (("mar",) if guidance > 0 else ())


def run(args: argparse.Namespace) -> int:
    from ..timing import Timings, process_age, stage

    before = process_age()
    timings = Timings(GENERATE_STAGES)
    with timings.recording():
        _run(args, stage)
    if args.timings:
        timings.print(before=before)
    return 0


def _run(args: argparse.Namespace, stage) -> None:
    with stage("imports"):
        from ..tasks import generate, generate_sequence, load_bundle
        from ..tasks.bundle import bundle_defaults
        from ..tasks.outputs import parse_formats
        from ..timing import configure_threads

    texts, seconds = _prompts(args)
    formats = parse_formats(args.format)
    out = check_out(args.out, args.overwrite)
    with folder_lock(out, "output folder"):  # a second run into the same -o is refused now, not at the end
        sampling_from_args(args)             # flag errors before loading models
        configure_threads(args.threads, len(texts) * args.num_samples)
        guidance = args.guidance if args.guidance is not None else float(bundle_defaults(args.checkpoint).get("guidance", 0))
        bundle = load_bundle(args.checkpoint, device=args.device, parts=needed_parts(seconds, guidance))
        bundle.text_cache = True
        sampling = sampling_from_args(args, bundle)
        notes: list[str] = []
        if args.sequence:
            result = generate_sequence(bundle, texts, seconds, num_samples=args.num_samples, seed=args.seed,
                                       sampling=sampling, progress=None, cleanup=not args.raw)
        else:
            result = generate(bundle, texts, seconds, num_samples=args.num_samples, seed=args.seed, sampling=sampling,
                              progress=None, notes=notes, cleanup=not args.raw)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        with stage("write"):
            result.save(out, formats, overwrite=args.overwrite)
        secs = ", ".join(f"{n / result.fps:.1f}" for n in result.lengths[:8]) + (", ..." if len(result) > 8 else "")
        kind = "raw network output" if args.raw else "cleaned"
        print(f"{out}: {len(result)} motion(s) ({secs} s, {kind}) as {','.join(formats)} + samples.npz")
