"""``coamd data prepare DATASET --root PATH``: validate a dataset folder, write Mean/Std and a cache.

The cache goes beside the source (``<root>.coamd_cache/`` or ``--out``), never inside it. Bad
files are reported by category; the exit status is non-zero only when the folder is missing or
invalid, or when nothing in it is usable.
"""

from __future__ import annotations

import argparse

from . import new_parser
from .args import whole

DATASET_NAMES = ("humanml3d", "kitml", "synth", "ntu60", "ntu120", "bandai", "hdm05")


def register(sub) -> None:
    p = new_parser(sub, "prepare", "validate a dataset folder and write its cache and Mean/Std beside it",
                   ["coamd data prepare humanml3d --root /data/HumanML3D",
                    "coamd data prepare ntu60 --root /data/nturgbd_skeletons --workers 8",
                    "coamd data prepare hdm05 --root ../shared/realdata/hdm05 --out /tmp/hdm05_cache"])
    p.add_argument("dataset", choices=DATASET_NAMES, help="dataset kind")
    p.add_argument("--root", required=True, help="the dataset folder (read only)")
    p.add_argument("--out", default=None, help="cache folder (default: <root>.coamd_cache beside the root)")
    p.add_argument("--workers", type=whole(1, 256), default=1, help="processes for reading/converting files (default: 1)")
    p.add_argument("--missing-list", default=None,
                   help="NTU only: text file of sample names to skip (e.g. the official missing-skeleton list)")
    p.add_argument("--max-report", type=whole(0, 1_000_000), default=5, help="example files shown per problem category")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.prepare import prepare
    from ..errors import CoamdError

    if args.workers < 1:
        raise CoamdError(f"--workers {args.workers}: must be at least 1")
    summary = prepare(args.dataset, args.root, args.out, args.workers, args.missing_list)
    for line in format_summary(summary, args.max_report):
        print(line)
    return 0


def format_summary(summary: dict, per_category: int = 5) -> list[str]:
    """Readable lines: what was written, per-split counts, labels, and the bad-file report."""
    lines = [f"{summary['dataset']}: {summary['root']}", f"cache: {summary['cache']} (Mean.npy, Std.npy, clips)"]
    if "splits" in summary:
        for split, d in summary["splits"].items():
            lines.append(f"  {split:<18} {d['motions']:>7} motions  {d['samples']:>7} text samples "
                         f"({d['subclips']} sub-clips, {d['captions']} captions)  {d['frames']:>9} frames  "
                         f"{d['hours']:.2f} h")
        lines.append(f"  Mean/Std from: {summary['stats_from']}; label map: "
                     f"{summary['labels'] or 'none'}{' labels' if summary['labels'] else ''}")
    else:
        c = summary["clips"]
        lines.append(f"  {c['clips']} clips, {c['frames']} frames, {c['hours']:.2f} h, "
                     f"{c['labels']} of {c['label_vocabulary']} labels present")
        for protocol in (k for k, v in c.items() if isinstance(v, dict)):
            lines.append(f"  split {protocol:<8} train {c[protocol]['train']:>6}  test {c[protocol]['test']:>6}")
        names = summary["label_names"]
        lines.append("  labels: " + ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else ""))
    bad = summary["bad_files"]
    if bad:
        lines.append(f"problems ({sum(bad.values())}):")
        lines += ["  " + ln for ln in summary["problems"].lines(per_category)]
    else:
        lines.append("problems: none")
    return lines
