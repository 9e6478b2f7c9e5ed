"""Model-agnostic flow matching and ODE samplers (paper-brief §3.5); imports nothing from coamd.

The sampler names (:mod:`.names`) are imported eagerly and without torch, so the command line can
offer them at ``--help`` time; the torch code (:mod:`.flow`, :mod:`.ode`) is imported on first use.
Any other function defined in :mod:`.ode` is found there too, so a new sampler needs no line here.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .names import DISTILLED, METHODS, SAMPLERS

_FLOW = ("exact_point_velocity", "flow_matching_loss", "interpolate", "sample_time")

__all__ = [
    "DISTILLED", "METHODS", "SAMPLERS", "Velocity", "dopri5", "euler", "exact_point_velocity", "flow_matching_loss",
    "heun", "integrate", "interpolate", "midpoint", "sample_time",
]


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        module = import_module(f".{'flow' if name in _FLOW else 'ode'}", __name__)
        value = getattr(module, name, None)
        if name in __all__ or getattr(value, "__module__", None) == module.__name__:   # not ode's own imports
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
