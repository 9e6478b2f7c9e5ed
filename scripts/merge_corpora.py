#!/usr/bin/env python
"""Merge HumanML3D-layout corpora into one folder, e.g. the core procedural corpus and an extended one:

    python scripts/merge_corpora.py OUT bundle_work/corpus corpus_broad [--prefixes c,b] [--copy]

Every id gets its corpus's prefix (``c000012``, ``b000012``); ``train/val/test.txt`` are the unions; motions
and caption files are symlinked (``--copy`` copies them); ``annotations_actions_400.json`` entries keep their
label indices, so the label maps must agree: one must be a prefix of the other (the core 44 labels and the
extended 47), and the longer one is written. The output folder is built under a temporary name and renamed
when complete; the sources are only read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from coamd.atomic import atomic_dir

SPLITS = ("train", "val", "test", "test_compositional")


def _ids(root: Path, split: str) -> list[str]:
    f = root / f"{split}.txt"
    return [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()] if f.is_file() else []


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("corpora", nargs="+")
    p.add_argument("--prefixes", default=None, help="comma-separated id prefixes, one per corpus (default a,b,c,...)")
    p.add_argument("--copy", action="store_true", help="copy motion and caption files instead of symlinking them")
    p.add_argument("--overwrite", action="store_true")
    args = p.parse_args(argv)
    roots = [Path(c).resolve() for c in args.corpora]
    prefixes = args.prefixes.split(",") if args.prefixes else [chr(ord("a") + i) for i in range(len(roots))]
    if len(prefixes) != len(roots) or len(set(prefixes)) != len(prefixes) or any(not x.isalnum() for x in prefixes):
        sys.exit(f"--prefixes {args.prefixes}: need {len(roots)} distinct alphanumeric prefixes")
    for r in roots:
        if not (r / "new_joints").is_dir():
            sys.exit(f"{r}: no new_joints/ folder (expected the HumanML3D layout)")
    maps = [(r / "label_map.txt").read_text(encoding="utf-8").splitlines() if (r / "label_map.txt").is_file() else []
            for r in roots]
    labels = max(maps, key=len)
    for r, m in zip(roots, maps):
        if m != labels[:len(m)]:
            sys.exit(f"{r}: its label_map.txt is not a prefix of the longest one ({len(labels)} labels); "
                     "label indices would disagree")
    link = shutil.copyfile if args.copy else (lambda src, dst: os.symlink(src, dst))
    with atomic_dir(Path(args.out), overwrite=args.overwrite) as tmp:
        (tmp / "new_joints").mkdir()
        (tmp / "texts").mkdir()
        splits: dict[str, list[str]] = {s: [] for s in SPLITS}
        annotations: dict[str, dict] = {}
        for root, pre in zip(roots, prefixes):
            ann_file = root / "annotations_actions_400.json"
            ann = json.loads(ann_file.read_text(encoding="utf-8")) if ann_file.is_file() else {}
            ids = sorted({i for s in SPLITS for i in _ids(root, s)})
            for i in ids:
                link(root / "new_joints" / f"{i}.npy", tmp / "new_joints" / f"{pre}{i}.npy")
                if (root / "texts" / f"{i}.txt").is_file():
                    link(root / "texts" / f"{i}.txt", tmp / "texts" / f"{pre}{i}.txt")
                if i in ann:
                    annotations[f"{pre}{i}"] = ann[i]
            for s in SPLITS:
                splits[s] += [f"{pre}{i}" for i in _ids(root, s)]
        for s, ids in splits.items():
            (tmp / f"{s}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        (tmp / "all.txt").write_text("".join(f"{i}\n" for i in sorted(annotations or
                                                                     {i for v in splits.values() for i in v})),
                                     encoding="utf-8")
        if labels:
            (tmp / "label_map.txt").write_text("".join(f"{n}\n" for n in labels), encoding="utf-8")
        if annotations:
            (tmp / "annotations_actions_400.json").write_text(json.dumps(annotations, sort_keys=True,
                                                                         separators=(",", ":")), encoding="utf-8")
        (tmp / "MERGED.md").write_text("Merged by scripts/merge_corpora.py from:\n" + "".join(
            f"- `{pre}`: {root}\n" for root, pre in zip(roots, prefixes)), encoding="utf-8")
    print(f"{args.out}: " + ", ".join(f"{s} {len(v)}" for s, v in splits.items()) + f"; {len(labels)} labels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
