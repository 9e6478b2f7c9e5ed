#!/usr/bin/env python
"""Put a MAR training checkpoint into a bundle folder as its ``mar.pt`` (fp16, as make_bundle stores parts).

    python scripts/ship_mar.py RUN/checkpoints/step_50.pt src/coamd/weights/cpu-small [--label-text-weight 0.5]

The checkpoint's label list must equal the bundle's ``labels.txt``, unless ``--labels-from-checkpoint``
replaces ``labels.txt`` by the checkpoint's list (a MAR trained on a corpus with more labels, e.g. the
"extended" vocabulary: the 44 core labels come first, so every other part's view is unchanged; it
becomes the default label list of ``coamd recognize``). ``--label-text-weight`` sets the
stored MAR config's tower-B share of label scores and ``--recog-tta`` its default test-time views of
recognition (both chosen on the corpus val split, docs/domain_gap.md). ``bundle.json``'s ``sources.mar`` records where the part came from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from coamd.atomic import atomic_open, atomic_path
from coamd.models import load_checkpoint
from coamd.tasks.bundling import _strip


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("bundle")
    p.add_argument("--label-text-weight", type=float, default=None)
    p.add_argument("--recog-tta", choices=("none", "mirror", "speed", "mirror+speed"), default=None,
                   help="store the MAR's default test-time views of recognition (chosen on corpus val)")
    p.add_argument("--labels-from-checkpoint", action="store_true",
                   help="write the checkpoint's label list to labels.txt (it must start with the current one)")
    args = p.parse_args(argv)
    src, out = Path(args.checkpoint), Path(args.bundle)
    _, payload = load_checkpoint(src)
    if payload.get("kind") != "mar":
        sys.exit(f"{src}: a {payload.get('kind')} checkpoint, not mar")
    labels = [ln.strip() for ln in (out / "labels.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    ckpt_labels = [str(x) for x in payload["extra"]["label_names"]]
    if args.labels_from_checkpoint:
        if ckpt_labels[:len(labels)] != labels:
            sys.exit(f"{src}: its label list does not start with {out / 'labels.txt'}'s {len(labels)} labels")
    elif ckpt_labels != labels:
        sys.exit(f"{src}: its label list differs from {out / 'labels.txt'} (pass --labels-from-checkpoint to replace it)")
    if args.label_text_weight is not None:
        if not 0.0 <= args.label_text_weight <= 1.0:
            sys.exit(f"--label-text-weight: must be between 0 and 1, got {args.label_text_weight}")
        payload["model_config"]["mar"]["label_text_weight"] = float(args.label_text_weight)
    if args.recog_tta is not None:
        payload["model_config"]["mar"]["recog_tta"] = args.recog_tta
    part = _strip(payload, "mar", fp16=True)
    with atomic_path(out / "mar.pt") as f:
        torch.save(part, f)
    if args.labels_from_checkpoint and ckpt_labels != labels:
        with atomic_open(out / "labels.txt", "w", encoding="utf-8") as f:
            f.write("".join(f"{n}\n" for n in ckpt_labels))
    meta = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    mix = payload.get("extra", {}).get("interpolation")   # scripts/interpolate_weights.py: no train entry
    step = int(mix["tuned_step"]) if mix else int(payload["train"]["step"])
    meta.setdefault("sources", {})["mar"] = {"path": str(src), "step": step, **({"interpolation": mix} if mix else {})}
    with atomic_open(out / "bundle.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"{out / 'mar.pt'} <- {src} (step {meta['sources']['mar']['step']}, "
          f"label_text_weight {payload['model_config']['mar'].get('label_text_weight', 0.0)}, "
          f"recog_tta {payload['model_config']['mar'].get('recog_tta', 'none')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
