"""One rule for ``--device`` everywhere: a torch device that exists here, or a one-line error."""

from __future__ import annotations

from typing import Any

from .errors import CoamdError


def resolve_device(spec: Any, what: str = "--device") -> Any:
    """``torch.device`` for ``spec`` ("cpu", "cuda", "cuda:1", "mps", a torch.device), checked to be usable.

    A CUDA device on a machine (or torch build) without CUDA, an index past the GPUs present, or a
    name torch does not know is a `CoamdError` naming the argument, instead of an internal error later.
    """
    import torch

    try:
        dev = torch.device(spec)
    except (RuntimeError, TypeError, ValueError) as e:
        raise CoamdError(f"{what} {spec!r}: not a torch device ({' '.join(str(e).split())}); "
                         f"use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            build = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
            raise CoamdError(f"{what} {spec}: CUDA is not available ({build}); use --device cpu")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise CoamdError(f"{what} {spec}: there are {count} CUDA device(s) (cuda:0-cuda:{count - 1})")
    elif dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise CoamdError(f"{what} {spec}: MPS is not available on this machine; use --device cpu")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise CoamdError(f"{what} {spec}: device type {dev.type!r} is not supported; use cpu or cuda")
    return dev
