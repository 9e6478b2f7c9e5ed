"""``coamd data {synth,prepare}``: build the procedural corpus, or validate a dataset folder."""

from __future__ import annotations

from . import add_subverbs, new_parser

# sub-verb -> module under coamd.cli implementing register(subparsers)
SUBVERBS = {
    "synth": "data_synth",
    "prepare": "data_prepare",
}


def register(sub) -> None:
    p = new_parser(sub, "data", "build the procedural motion corpus or prepare a dataset folder",
                   ["coamd data synth --out corpus --clips 5000",
                    "coamd data prepare humanml3d --root /data/HumanML3D"])
    add_subverbs(p, "data_verb", SUBVERBS)
