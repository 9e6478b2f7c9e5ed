"""``coamd data {synth,prepare}``: build the procedural corpus, or validate a dataset folder."""

from __future__ import annotations

import importlib

from . import new_parser

# sub-verb -> module under coamd.cli implementing register(subparsers)
SUBVERBS = {
    "synth": "data_synth",
    "prepare": "data_prepare",
}


def register(sub) -> None:
    p = new_parser(sub, "data", "build the procedural motion corpus or prepare a dataset folder",
                   ["coamd data synth --out corpus --clips 5000",
                    "coamd data prepare humanml3d --root /data/HumanML3D"])
    subsub = p.add_subparsers(dest="data_verb", metavar="SUBVERB")
    for module in SUBVERBS.values():
        try:
            mod = importlib.import_module(f"{__package__}.{module}")
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.{module}":
                raise
            continue
        mod.register(subsub)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
