#!/usr/bin/env python
"""Mix a model and its fine-tune in weight space (WiSE-FT): ``(1 - alpha) * BASE + alpha * TUNED``.

    python scripts/interpolate_weights.py BASE.pt TUNED.pt --alpha 0.7 --out MIXED.pt

A fine-tune on new data (another corpus, a user's labelled clips) often gains there and loses some of
what the base model did well; the weight-space mixture of the two keeps most of both (Wortsman et al.,
"Robust fine-tuning of zero-shot models", 2022). TUNED must be a fine-tune of BASE's architecture (same
parts, keys and shapes: ``coamd train mar ... init=BASE``). The output is TUNED's checkpoint (model
config, label names, statistics) with the mixed weights and without its resume state, so it is read
like any checkpoint (``coamd recognize --checkpoint``, ``scripts/ship_mar.py``) but not resumed.
Choose alpha on a validation split (``scripts/domain_gap.py select`` over several mixtures). Written
atomically; the inputs are only read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coamd.models.checkpoint import CheckpointError, checkpoint_file, interpolate_payloads, read_payload, save_payload


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("base", help="the model fine-tuned from (a checkpoint file or run folder)")
    p.add_argument("tuned", help="its fine-tune (a checkpoint file or run folder)")
    p.add_argument("--alpha", type=float, required=True, help="share of the fine-tune, 0 (base) to 1 (tuned)")
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true")
    args = p.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        sys.exit(f"{out}: exists (pass --overwrite to replace it)")
    try:
        base_path, tuned_path = checkpoint_file(args.base), checkpoint_file(args.tuned)
        base, tuned = read_payload(base_path), read_payload(tuned_path)
        mixed = interpolate_payloads(base, tuned, args.alpha, where=f"{base_path} + {tuned_path}")
    except CheckpointError as e:
        sys.exit(str(e))
    mixed["extra"]["interpolation"].update(base=str(base_path), tuned=str(tuned_path))
    save_payload(out, mixed)
    print(f"{out} <- {1 - args.alpha:g} x {base_path} + {args.alpha:g} x {tuned_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
