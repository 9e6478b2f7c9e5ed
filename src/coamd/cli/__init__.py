"""The ``coamd`` command: one console script, one module per verb.

Each verb module defines ``register(subparsers)`` which adds its parser (with an example in
the help epilog) and sets ``func`` to a ``run(args) -> int`` callable. Verb modules import their
heavy dependencies (torch, matplotlib) inside ``run`` so ``coamd --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn

from .. import __version__
from ..errors import CoamdError
from .args import SEED, THREADS

# verb -> module under coamd.cli; the order here is the order in `coamd --help`.
VERBS: dict[str, str] = {
    "demo": "demo",
    "generate": "generate",
    "edit": "edit",
    "recognize": "recognize",
    "retrieve": "retrieve",
    "index": "index",
    "data": "data",
    "convert": "convert",
    "render": "render",
    "info": "info",
    "export": "export",
    "train": "train",
    "bench": "bench",
    "eval": "eval",
    "serve": "serve",
}


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line (``coamd VERB: error: argument --fps: ...``), exit 2; sub-parsers inherit it."""

    def error(self, message: str) -> NoReturn:
        verb = " ".join(self.prog.split()[:2])  # "coamd eval", as the verbs' own errors say
        self.exit(2, f"{verb}: error: {' '.join(message.split())} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="coamd",
        description="Human motion on 3D skeletons: recognise, generate, retrieve and edit motion.",
        epilog="Run 'coamd VERB --help' for a verb's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"coamd {__version__}")
    parser.add_argument("--debug", dest="debug_top", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for module in VERBS.values():
        importlib.import_module(f"{__name__}.{module}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    bench = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if bench is not None and argv[bench] == "bench" and bench + 1 < len(argv) \
            and argv[bench + 1].split("=")[0] == "--suite":
        argv.insert(bench + 1, "suite")        # `coamd bench --suite full ...` = `coamd bench suite --suite full ...`
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # a usage error (one line, see OneLineParser) returns 2; --help/--version exit
        if e.code in (0, None):
            raise
        return 2
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if args.verb is None else 2
    debug = args.debug_top or getattr(args, "debug", False) or os.environ.get("COAMD_DEBUG") == "1"
    try:
        rc = args.func(args)
        return int(rc or 0)
    except KeyboardInterrupt:
        print("coamd: interrupted", file=sys.stderr)
        return 130
    except (CoamdError, FileNotFoundError, FileExistsError, IsADirectoryError, PermissionError) as e:
        if debug:
            raise
        print(f"coamd {args.verb}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except Exception as e:
        if debug:
            raise
        print(f"coamd {args.verb}: error: {type(e).__name__}: {_one_line(e)} (run with --debug for a traceback)",
              file=sys.stderr)
        return 1


def _one_line(e: BaseException) -> str:
    text = str(e)
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        text = f"{e.filename}: {e.strerror}"
    return " ".join(text.split()) or type(e).__name__


def add_common(parser: argparse.ArgumentParser, device: bool = False, seed: bool = False,
               threads: bool = False) -> None:
    """Options several verbs share, spelled the same everywhere."""
    if device:
        parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0 (default: cpu)")
    if seed:
        parser.add_argument("--seed", type=SEED, default=0, help="random seed (default: 0)")
    if threads:
        parser.add_argument("--threads", type=THREADS, default=None, metavar="N",
                            help="CPU threads for the models (default: $COAMD_THREADS, else 1 for a few motions "
                                 "and the idle cores for big batches)")


def add_timings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timings", action="store_true",
                        help="print where the time went, stage by stage (imports, model loading, text encoding, "
                             "sampling, decoding, cleanup, writing), to stderr")


def example_epilog(*lines: str) -> str:
    return "example:\n" + "\n".join(f"  {line}" for line in lines)


def new_parser(sub, name: str, help: str, examples: list[str]) -> argparse.ArgumentParser:
    """A verb parser with a help line, a description and an example epilog."""
    p = sub.add_parser(name, help=help, description=help, epilog=example_epilog(*examples),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    return p


def add_subverbs(parser: argparse.ArgumentParser, dest: str, subverbs: dict[str, str]) -> None:
    """Register a verb group's sub-verbs: ``{name: "module[:function]"}`` under coamd.cli, the
    function (default ``register``) taking the sub-parsers. A bare group prints its help, exit 2."""
    subsub = parser.add_subparsers(dest=dest, metavar="SUBVERB")
    for spec in subverbs.values():
        module, _, func = spec.partition(":")
        getattr(importlib.import_module(f"{__name__}.{module}"), func or "register")(subsub)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
