"""The action registry of the procedural corpus (Foundation issue §5).

Every action is an `ActionDef`: a parameter sampler (speed, amplitude, direction, repetitions,
handedness, ...), a builder that turns parameters into a `rig.Pose` segment, the labels the
parameters imply, and the posture it starts and ends in ("stand", "sit", "lie"), which the
clip sequencer uses to chain actions. Action modules add themselves to `ACTIONS` on import;
`coamd.synth` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import CoamdError
from .body import Body, Style
from .rig import Pose

SampleFn = Callable[[np.random.Generator, float, dict], dict]
BuildFn = Callable[[Body, Style, dict, np.random.Generator], Pose]
LabelFn = Callable[[dict], tuple[str, ...]]


class SpecError(CoamdError, ValueError):
    """An impossible clip specification: unknown action or parameter, or postures that do not chain."""


@dataclass(frozen=True)
class ActionDef:
    """A parametric action. ``sample(rng, budget_seconds, fixed)`` returns JSON-able parameters
    (``fixed`` entries are kept as given); ``build(body, style, params, rng)`` returns its pose."""

    name: str
    sample: SampleFn
    build: BuildFn
    labels: LabelFn
    start: str = "stand"
    end: str = "stand"
    weight: float = 1.0  # relative frequency in random clips
    group: str = "other"
    vocabulary: str = "core"  # "core": the default corpus; "extended": only in `--vocabulary extended` corpora


ACTIONS: dict[str, ActionDef] = {}

# corpus vocabularies -> the action vocabularies a random clip draws from. "core" is the default corpus
# (unchanged since generator 1.0.0); "extended" adds actions of real captured motion that the core corpus
# lacks (putting something down, elbow-to-knee crunches, sneaking; issue 11), labelled after the 44.
VOCABULARIES: dict[str, tuple[str, ...]] = {"core": ("core",), "extended": ("core", "extended")}


def check_vocabulary(vocabulary: str) -> str:
    if vocabulary not in VOCABULARIES:
        raise SpecError(f"vocabulary {vocabulary!r} is not one of {sorted(VOCABULARIES)}")
    return vocabulary


def register(name: str, sample: SampleFn, build: BuildFn, labels: LabelFn | tuple[str, ...], *,
             start: str = "stand", end: str = "stand", weight: float = 1.0, group: str = "other",
             vocabulary: str = "core") -> ActionDef:
    """Add an action to `ACTIONS` (a name may be registered once)."""
    if name in ACTIONS:
        raise ValueError(f"action {name!r} is registered twice")
    if vocabulary not in VOCABULARIES:
        raise ValueError(f"action {name!r}: unknown vocabulary {vocabulary!r}")
    fn = labels if callable(labels) else (lambda p, _l=tuple(labels): _l)
    ACTIONS[name] = ActionDef(name, sample, build, fn, start, end, weight, group, vocabulary)
    return ACTIONS[name]


class Params:
    """Helper for samplers: take a fixed value when given, else draw one."""

    def __init__(self, rng: np.random.Generator, fixed: dict):
        self.rng, self.fixed, self.out = rng, dict(fixed), {}

    def choice(self, key: str, options, p=None):
        if key in self.fixed:
            val = self.fixed[key]
            if val not in list(options):
                raise SpecError(f"parameter {key}={val!r} is not one of {list(options)}")
        else:
            val = options[int(self.rng.choice(len(options), p=p))]
        self.out[key] = val.item() if hasattr(val, "item") else val
        return self.out[key]

    def uniform(self, key: str, lo: float, hi: float) -> float:
        val = float(self.fixed[key]) if key in self.fixed else float(self.rng.uniform(lo, hi))
        self.out[key] = round(val, 4)
        return self.out[key]

    def integer(self, key: str, lo: int, hi: int) -> int:
        """Inclusive range."""
        val = int(self.fixed[key]) if key in self.fixed else int(self.rng.integers(lo, hi + 1))
        if val < 1:
            raise SpecError(f"parameter {key}={val} must be a positive count")
        self.out[key] = val
        return val

    def set(self, key: str, val):
        self.out[key] = val
        return val

    def done(self) -> dict:
        unknown = set(self.fixed) - set(self.out)
        if unknown:
            raise SpecError(f"unknown parameter(s) {sorted(unknown)}")
        return self.out


SPEEDS = ("slow", "normal", "fast")
SIDES = ("left", "right")
