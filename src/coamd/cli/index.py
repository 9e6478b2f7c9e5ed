"""``coamd index``: build a retrieval gallery once (MAR motion embeddings, paper-brief §5.3).

``coamd index build MOTIONS... -o gallery.idx`` embeds every motion file (folders are searched
recursively) and writes the index atomically; ``coamd index info`` describes one. The format is
documented in ``coamd.tasks.retrieve``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import CoamdError
from . import add_common, new_parser
from .args import whole
from .generate import add_checkpoint


def register(sub) -> None:
    p = new_parser(sub, "index", "build or describe a motion gallery index for 'coamd retrieve'",
                   ["coamd index build motions/ extra.bvh -o gallery.idx",
                    "coamd index info gallery.idx"])
    verbs = p.add_subparsers(dest="index_verb", metavar="SUBVERB")
    b = new_parser(verbs, "build", "embed motion files into a gallery index",
                   ["coamd index build motions/ -o gallery.idx --checkpoint runs/"])
    b.add_argument("motions", nargs="+", metavar="MOTION", help="motion files or folders (searched recursively)")
    b.add_argument("-o", "--out", required=True, metavar="INDEX", help="index file to write (e.g. gallery.idx)")
    b.add_argument("--fp32", action="store_true", help="store float32 embeddings (default: float16)")
    b.add_argument("--batch-size", type=whole(1, 4096), default=64, metavar="B", help="windows embedded together")
    add_checkpoint(b)
    add_common(b, device=True, threads=True)
    b.set_defaults(func=run_build)
    i = new_parser(verbs, "info", "describe a gallery index", ["coamd index info gallery.idx"])
    i.add_argument("index", metavar="INDEX")
    i.set_defaults(func=run_info)

    def usage(args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=usage)


def run_build(args: argparse.Namespace) -> int:
    import torch

    from ..tasks import build_gallery, load_bundle
    from ..tasks.retrieve import gallery_files

    if args.batch_size < 1:
        raise CoamdError(f"--batch-size: must be at least 1, got {args.batch_size}")
    out = Path(args.out)
    if out.is_dir():
        raise CoamdError(f"-o {out}: is a folder, expected an index file name")
    files = gallery_files(args.motions)                 # missing inputs fail before the model loads
    from ..timing import configure_threads

    configure_threads(args.threads, len(files))
    bundle = load_bundle(args.checkpoint, device=args.device, parts=("mar",))
    gallery = build_gallery(bundle, args.motions, dtype=torch.float32 if args.fp32 else torch.float16,
                            batch_size=args.batch_size)
    gallery.save(out)
    print(f"{out}: {len(gallery)} motion(s), {gallery.embeddings.shape[1]}-d "
          f"{'float32' if args.fp32 else 'float16'} embeddings (model {gallery.model})")
    return 0


def run_info(args: argparse.Namespace) -> int:
    from ..tasks import load_gallery

    g = load_gallery(args.index)
    captioned = sum(1 for c in g.captions if c)
    print(f"{args.index}: {len(g)} motion(s), {g.embeddings.shape[1]}-d {str(g.embeddings.dtype).replace('torch.', '')}"
          f" embeddings, model {g.model}, text backend {g.text_backend}, {captioned} with captions, "
          f"{int(g.frames.sum()) / 20.0:.1f} s in total")
    return 0
