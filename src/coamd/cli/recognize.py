"""``coamd recognize``: zero-shot action recognition with MAR label prototypes (paper-brief §5.1).

Default labels are the checkpoint's (a bundle's ``labels.txt`` or a MAR run's training labels, e.g.
after ``coamd train mar --data hdm05``); ``--labels``/``--label-file`` rank any other list.
Clips longer than 196 frames are scored on 50 %-overlapping 196-frame windows whose embeddings are
averaged. ``--tta`` sets the test-time views whose scores are averaged (default: the checkpoint's; the
bundled MAR reads each clip six ways: as given and mirrored, each at 1x, 0.8x and 1.25x speed).
"""

from __future__ import annotations

import argparse
import json

from . import add_common, new_parser
from .args import whole
from .generate import add_checkpoint


def register(sub) -> None:
    p = new_parser(
        sub, "recognize", "recognise actions in motion files (zero-shot, any label list)",
        ["coamd recognize clip.bvh walk.npy --top-k 3",
         'coamd recognize clip.amc --labels "walk,run,jump,kick" --json',
         "coamd recognize test/*.amc --checkpoint runs/mar_hdm05 --label-file labels.txt"],
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="motion files (any format 'coamd.io' reads)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--labels", metavar='"a,b,c"', help="comma-separated label names to rank")
    g.add_argument("--label-file", metavar="FILE", help="label names, one per line")
    p.add_argument("--top-k", type=whole(1, 10_000), default=5, metavar="K", help="labels shown per file (default: 5)")
    p.add_argument("--json", action="store_true", help="print JSON: one object per file with ranked predictions")
    p.add_argument("--tta", choices=("none", "mirror", "speed", "mirror+speed"), default=None,
                   help="test-time views whose label scores are averaged: none (one pass), mirror (plus the mirror "
                        "image, scored against side-swapped names), speed (plus 0.8x and 1.25x playback) or "
                        "mirror+speed (six passes); default: the checkpoint's (bundled MAR: mirror+speed)")
    add_checkpoint(p)
    add_common(p, device=True, threads=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import CoamdError
    from ..io import load_motions
    from ..tasks import load_bundle, recognize
    from ..tasks.recognize import parse_labels

    if args.top_k < 1:
        raise CoamdError(f"--top-k: must be at least 1, got {args.top_k}")
    names, motions = [], []
    for f in args.files:
        items = load_motions(f)
        for i, m in enumerate(items):
            names.append(f if len(items) == 1 else f"{f}[{i}]")
            motions.append(m.joints)
    explicit = parse_labels(args.labels, args.label_file) if (args.labels or args.label_file) else None
    from ..timing import configure_threads

    configure_threads(args.threads, len(motions))
    bundle = load_bundle(args.checkpoint, device=args.device, parts=("mar",))
    results = recognize(bundle, motions, explicit, args.top_k, tta=args.tta)
    if args.json:
        print(json.dumps([{"file": n, "predictions": r.as_dict()} for n, r in zip(names, results)], indent=2))
        return 0
    width = max(len(lab) for r in results for lab in r.labels)
    for n, r in zip(names, results):
        print(n)
        for rank, (lab, s, pr) in enumerate(zip(r.labels, r.scores, r.probs), 1):
            print(f"  {rank:>2}. {lab:<{width}}  cos {s:+.3f}  p {pr:.3f}")
    return 0
