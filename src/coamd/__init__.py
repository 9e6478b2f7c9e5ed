"""coamd: recognise, generate, retrieve and edit human motion on 3D skeletons.

A re-implementation (and extension) of CoAMD, arXiv 2604.17090. No import-time side effects:
heavy modules (torch models, text encoders) load on first use. The Python API::

    import coamd
    m = coamd.load()                       # bundled weights, or coamd.load("runs/", device="cuda")
    motions = m.generate(["a person walks forward"], lengths=4.0)
    coamd.io.save_bvh("walk.bvh", motions[0])

``coamd.load``, ``coamd.CoAMD``, ``coamd.make_bundle``, ``coamd.load_motion``, ``coamd.save_bvh`` and the
subpackages (``coamd.io``, ``coamd.tasks``, ...) are loaded lazily on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load": ("coamd.tasks.api", "load"),
    "CoAMD": ("coamd.tasks.api", "CoAMD"),
    "make_bundle": ("coamd.tasks.bundling", "make_bundle"),
    "load_motion": ("coamd.io", "load_motion"),
    "save_bvh": ("coamd.io", "save_bvh"),
}
_SUBPACKAGES = ("atomic", "cli", "config", "data", "diffusion", "errors", "evaluation", "io", "metrics", "models",
                "skeleton", "tasks", "text", "train", "viz")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBPACKAGES))
