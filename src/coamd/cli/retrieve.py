"""``coamd retrieve``: text -> motions from a gallery, or motion -> texts (cosine of MAR embeddings, paper-brief §5.3)."""

from __future__ import annotations

import argparse
import json

from ..errors import CoamdError
from . import add_common, new_parser
from .args import whole
from .generate import add_checkpoint


def register(sub) -> None:
    p = new_parser(
        sub, "retrieve", "find motions matching a text in a gallery, or texts matching a motion",
        ['coamd retrieve --text "a person jumps over an obstacle" --gallery gallery.idx --top-k 5',
         'coamd retrieve --text "someone sits down" --gallery motions/ --json',
         "coamd retrieve --motion clip.bvh --texts captions.txt --top-k 3"],
    )
    p.add_argument("--text", action="append", metavar="TEXT", help="query text (repeat for several queries)")
    p.add_argument("--gallery", metavar="INDEX|DIR",
                   help="a gallery index from 'coamd index build', or a folder of motions (indexed on the fly)")
    p.add_argument("--motion", metavar="FILE", help="query motion (ranks the lines of --texts)")
    p.add_argument("--texts", metavar="FILE", help="candidate texts, one per line (with --motion)")
    p.add_argument("--top-k", type=whole(1, 1_000_000), default=10, metavar="K", help="results per query (default: 10)")
    p.add_argument("--json", action="store_true", help="print JSON: one object per query with ranked results")
    add_checkpoint(p)
    add_common(p, device=True, threads=True)
    p.set_defaults(func=run)


def _read_texts(path: str) -> list[str]:
    from pathlib import Path

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CoamdError(f"--texts {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CoamdError(f"--texts {path}: cannot read it ({e})") from None
    texts = [" ".join(ln.split()) for ln in lines if ln.strip()]
    if not texts:
        raise CoamdError(f"--texts {path}: no texts in the file")
    return texts


def run(args: argparse.Namespace) -> int:
    from ..tasks import load_bundle
    from ..tasks.generate import check_texts
    from ..tasks.retrieve import gallery_files, is_gallery_file, load_gallery, open_gallery, rank_motions, rank_texts

    if args.top_k < 1:
        raise CoamdError(f"--top-k: must be at least 1, got {args.top_k}")
    from ..timing import configure_threads

    configure_threads(args.threads, 1)
    if bool(args.text) == bool(args.motion):
        raise CoamdError("give --text with --gallery (find motions) or --motion with --texts (rank texts)")
    if args.text:
        if not args.gallery:
            raise CoamdError("--text needs --gallery INDEX|DIR")
        queries = check_texts(args.text, "--text")
        from pathlib import Path

        g = Path(args.gallery)
        if g.is_file() and is_gallery_file(g):
            gallery = load_gallery(g)
        else:
            files = gallery_files([g])                      # a missing path fails before the model loads
            configure_threads(args.threads, len(files))     # encoding a folder of motions: a big batch
            gallery = None
        bundle = load_bundle(args.checkpoint, device=args.device, parts=("mar",))
        results = rank_motions(bundle, queries, gallery or open_gallery(bundle, [g]), args.top_k)
        key = "text"
    else:
        if not args.texts:
            raise CoamdError("--motion needs --texts FILE (one candidate text per line)")
        from ..io import load_motion

        texts = _read_texts(args.texts)
        motion = load_motion(args.motion)
        bundle = load_bundle(args.checkpoint, device=args.device, parts=("mar",))
        results = rank_texts(bundle, [motion.joints], texts, args.top_k)
        queries, key = [args.motion], "motion"
    if args.json:
        print(json.dumps([{key: q, "results": r} for q, r in zip(queries, results)], indent=2))
        return 0
    for q, rows in zip(queries, results):
        print(f"{key}: {q}")
        for row in rows:
            what = row.get("path") or row.get("text")
            cap = f"  ({row['caption']})" if row.get("caption") else ""
            print(f"  {row['rank']:>3}. {row['score']:+.3f}  {what}{cap}")
    return 0
