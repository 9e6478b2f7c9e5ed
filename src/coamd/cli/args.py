"""Argument types with ranges: every numeric flag is checked when it is parsed.

``type=whole(1, 1000)`` / ``type=number(0.1, 240)`` reject what is not a number, NaN and
infinity, and values outside the range, with one line naming the flag and the allowed range
(argparse adds "argument --fps:"), before any file is read or model loaded.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else f"{x:,}".replace(",", "_") if abs(x) >= 10**6 else str(x)


def whole(lo: int, hi: int) -> Callable[[str], int]:
    """A whole number in [lo, hi]."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number from {_fmt(lo)} to {_fmt(hi)}, "
                                             f"got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be from {_fmt(lo)} to {_fmt(hi)}, got {text}")
        return value

    parse.__name__ = "whole number"
    return parse


def number(lo: float, hi: float) -> Callable[[str], float]:
    """A finite number in [lo, hi]."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number from {lo:g} to {hi:g}, got {text!r}") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be a finite number from {lo:g} to {hi:g}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


SEED = whole(0, 2**62)
THREADS = whole(1, 1024)
