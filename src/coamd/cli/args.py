"""Argument types with ranges, and the sampling flags every verb that samples shares.

``type=whole(1, 1000)`` / ``type=number(0.1, 240)`` reject what is not a number, NaN and
infinity, and values outside the range, with one line naming the flag and the allowed range
(argparse adds "argument --fps:"), before any file is read or model loaded.

:func:`add_sampling_args` declares ``--decode-steps --cfg-scale --sampler --ode-steps --guidance
--guidance-reward --batch-size`` once (``--steps`` and ``--cfg`` are kept as the former spellings); :func:`sampling_from_args` turns them into one ``coamd.tasks.Sampling``.
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


# ---------------------------------------------------------------------------------- sampling flags
# The library's defaults (coamd.tasks.Sampling), shown in --help; a test checks they match.
SAMPLING_DEFAULTS = {"decode_steps": 12, "cfg_scale": 4.5, "sampler": "dopri5", "ode_steps": 32, "guidance": 0.0,
                     "guidance_reward": "fused", "batch_size": 32}
GUIDANCE_REWARDS = ("fused", "all")     # coamd.tasks.guidance.REWARDS (torch-free here; a test compares them)


def add_sampling_args(p: argparse.ArgumentParser, *, guidance: bool = True, batch_size: bool = False,
                      pinned: dict | None = None, why: str = "") -> None:
    """The sampling flags of every verb that samples (generate, edit, eval generation/edit, bench generate).

    An unset flag is None: :func:`sampling_from_args` then takes the bundle's ``defaults``, else the
    library's (``coamd.tasks.Sampling``). ``pinned`` (flag dest -> value) gives a verb that must not follow
    the bundle fixed defaults instead, explained by ``why`` in its help. ``guidance=False`` leaves out the
    MAR guidance flags (a verb that cannot guide), ``batch_size=True`` adds ``--batch-size``.
    """
    from ..diffusion.names import SAMPLERS

    pinned = dict(pinned or {})
    lib = SAMPLING_DEFAULTS
    if pinned:
        title = f"sampling (defaults pinned: {why})"
    else:
        title = (f"sampling (unset flags: the bundle's defaults, else {lib['decode_steps']} / {lib['cfg_scale']:g} / {lib['sampler']} "
                 f"/ {lib['ode_steps']} / {lib['guidance']:g})")
    g = p.add_argument_group(title)

    def add(flag: str | tuple[str, ...], dest: str, help: str, **kw) -> None:
        default = pinned.pop(dest, None)
        g.add_argument(*((flag,) if isinstance(flag, str) else flag), dest=dest, default=default,
                       help=help + (f" (default: {default})" if default is not None else ""), **kw)

    add(("--decode-steps", "--steps"), "decode_steps", "coarse-to-fine decoding steps (transformer passes)",
        type=whole(1, 1000), metavar="N")
    add(("--cfg-scale", "--cfg"), "cfg_scale", "classifier-free guidance scale, 1 = off", type=number(0, 100),
        metavar="S")
    add("--sampler", "sampler", "flow-head sampler: an ODE solver, or 'distilled' (the bundle's few-step student, "
                                "CFG baked in)", choices=SAMPLERS)
    add("--ode-steps", "ode_steps", "euler/heun/midpoint steps per token", type=whole(1, 10_000), metavar="K")
    if guidance:
        add("--guidance", "guidance", "MAR gradient-guidance step (0 = off; upstream's 0.5+λ is LAMBDA here)",
            type=number(0, 1000), metavar="LAMBDA")
        add("--guidance-reward", "guidance_reward", "MAR reward of the guidance: the text-aligned fused embedding "
            "only (fused) or upstream's 0.7 fused + 0.1 each joint/bone/motion stream (all)", choices=GUIDANCE_REWARDS)
    if batch_size:
        add("--batch-size", "batch_size", f"motions decoded together (library default: {lib['batch_size']})",
            type=whole(1, 4096), metavar="B")
    if pinned:
        raise ValueError(f"add_sampling_args: pinned {sorted(pinned)} are not sampling flags of this verb")


def sampling_from_args(args: argparse.Namespace, bundle=None, **more):
    """The ``coamd.tasks.Sampling`` of the parsed sampling flags: library defaults < the bundle's ``defaults``
    (``bundle`` None: none) < the flags given < ``more``. Bad values are one-line errors naming the flag."""
    from ..tasks import sampling_settings

    given = {k: getattr(args, k, None) for k in SAMPLING_DEFAULTS}
    return sampling_settings(bundle, **{**given, **more})
