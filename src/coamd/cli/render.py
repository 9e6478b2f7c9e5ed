"""``coamd render``: preview motions as a GIF, MP4, interactive HTML page or PNG key-frame strip.

Inputs are any motion file `coamd.io.load_motion` reads, plus ``samples.npz`` artifacts (keys
``motions`` (N, T, 22, 3), ``lengths`` (N,), ``texts`` (N,)), which are drawn as stored (not
re-canonicalised) with their texts as captions; several inputs become panels side by side.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import new_parser
from .args import number, whole

SAMPLE_KEYS = ("motions", "motion")  # samples.npz: the batch of joint positions


def register(sub) -> None:
    p = new_parser(sub, "render", "draw motions as a GIF, MP4, interactive HTML page or PNG key-frame strip",
                   ["coamd render walk.bvh -o walk.gif",
                    "coamd render a.npy b.npy -o compare.html --titles 'reference' 'generated'",
                    "coamd render out/samples.npz --index 0 3 -o samples.mp4 --fps 30 --size 640 480"])
    p.add_argument("motions", nargs="+", metavar="MOTION",
                   help="motion files: .npy/.npz joints, .bvh, .amc (+ .asf), NTU .skeleton, or a samples.npz")
    p.add_argument("-o", "--out", required=True, metavar="OUT",
                   help="output file: .gif, .mp4, .html (interactive viewer) or .png (key frames)")
    p.add_argument("--titles", nargs="+", metavar="TITLE",
                   help="one caption per motion (default: the file's caption, else its name)")
    p.add_argument("--fps", type=number(1, 240), default=None,
                   help="output frame rate; the motion is resampled so it still plays in real time "
                        "(default: the motion's rate, 20)")
    p.add_argument("--size", type=whole(16, 4096), nargs=2, default=None, metavar=("W", "H"),
                   help="size of one panel in pixels (default: 480 480; 240 320 for .png key frames)")
    p.add_argument("--trail", action="store_true", help="draw fading trails behind hands, feet and head")
    p.add_argument("--contacts", action="store_true",
                   help="mark planted feet (as the cleanup stage detects them) on the floor under the toes "
                        "(GIF, MP4 and PNG)")
    p.add_argument("--camera", choices=("auto", "fit", "follow"), default="auto",
                   help="fixed view of the whole motion, a view following the root, or auto (default)")
    p.add_argument("--index", type=whole(0, 10_000_000), nargs="+", metavar="I",
                   help="which entries of a samples.npz to draw (default: all)")
    p.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> None:
    from ..errors import CoamdError
    from ..viz import FORMATS

    suffix = Path(args.out).suffix.lower()
    if suffix not in FORMATS:
        raise CoamdError(f"--out {args.out}: unknown format {suffix or '(no extension)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if Path(args.out).is_dir():
        raise CoamdError(f"--out {args.out}: is a folder, expected a file name")
    if args.fps is not None and not 0 < args.fps <= 120:
        raise CoamdError(f"--fps {args.fps}: must be within (0, 120]")
    if args.size is None:
        return
    w, h = args.size
    if not (32 <= w <= 4096 and 32 <= h <= 4096):
        raise CoamdError(f"--size {w} {h}: width and height must be within 32..4096 pixels")


def load_samples(path: Path, index: list[int] | None) -> list[tuple]:
    """(joints (T, J, 3), title) for the chosen entries of a samples.npz artifact (read by `coamd.io`)."""
    from ..errors import MotionFormatError
    from ..io import load_motions
    from ..skeleton import CANONICAL_FPS

    motions = load_motions(path, fps=CANONICAL_FPS, canonical=False)
    n = len(motions)
    chosen = list(range(n)) if index is None else index
    for i in chosen:
        if not 0 <= i < n:
            raise MotionFormatError(f"{path}: --index {i} is out of range (the file holds {n} motions)")
    return [(motions[i].joints, str(motions[i].meta.get("text") or f"{path.stem}[{i}]")) for i in chosen]


def run(args: argparse.Namespace) -> int:
    from ..errors import CoamdError, MotionFormatError
    from ..io import load_motion
    from ..skeleton import CANONICAL_FPS, SMPL22
    from ..viz import render

    _check_args(args)
    if args.index is not None and not any(Path(m).suffix.lower() == ".npz" for m in args.motions):
        raise CoamdError("--index applies to samples.npz inputs only")
    items: list[tuple] = []  # (joints (T, 22, 3), title), all at the canonical 20 fps
    for name in args.motions:
        path = Path(name)
        if not path.is_file():
            raise MotionFormatError(f"{path}: no such file" if not path.exists() else f"{path}: is not a file")
        if path.suffix.lower() == ".npz" and _is_samples(path):
            items.extend(load_samples(path, args.index))
            continue
        motion = load_motion(path, fps=CANONICAL_FPS)
        items.append((motion.joints, str(motion.meta.get("caption") or motion.meta.get("text") or path.stem)))
    titles = list(args.titles) if args.titles else [t for _, t in items]
    if len(titles) != len(items):
        raise CoamdError(f"--titles: got {len(titles)} titles for {len(items)} motions")
    contacts = None
    if args.contacts:
        from ..tasks.contacts import detect_contacts

        contacts = [detect_contacts(x, SMPL22, CANONICAL_FPS) for x, _ in items]
    out = render([x for x, _ in items], args.out, titles=titles, fps=CANONICAL_FPS, out_fps=args.fps,
                 size=tuple(args.size) if args.size else None, camera=args.camera, trail=args.trail,
                 contacts=contacts)
    print(f"wrote {out}")
    return 0


def _is_samples(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = {n.removesuffix(".npy") for n in z.namelist()}
    except (zipfile.BadZipFile, OSError):
        return False
    return any(k in names for k in SAMPLE_KEYS)
