"""Training precision on CUDA (issue 16, item 5): which autocast dtype, and whether TF32 is allowed.

The official code trains in fp32 (TF32 matmuls allowed on Ampere and later), so ``--config paper``
sets ``amp: fp32``; bf16 autocast is an opt-in there (``amp=bf16``), with a note, because it changes
the numbers slightly. ``amp: auto`` (the default of the small configs, and of the bundled MAR's
GPU run) picks bf16 where the GPU supports it, else fp16. On the CPU every mode trains in fp32 except
an explicit ``amp=bf16``, which autocasts to bf16 there too (to measure bf16 training without a GPU; fast
on CPUs with AVX512-BF16/AMX, slow elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

AMP_MODES = ("auto", "fp32", "off", "bf16", "fp16")     # "off" = "fp32"

BF16_NOTE = ("amp=bf16: bf16 autocast is an opt-in; the official code trains in fp32/TF32, so losses and "
             "results can differ slightly from a fp32 run")


@dataclass(frozen=True)
class Precision:
    """``autocast``: run forward passes under ``torch.autocast(dtype)``; ``tf32``: allow TF32 matmuls/convs."""

    autocast: bool
    dtype: torch.dtype
    tf32: bool
    note: str = ""

    @property
    def name(self) -> str:
        if self.autocast:
            return str(self.dtype).removeprefix("torch.") + " autocast"
        return "fp32 (TF32 allowed)" if self.tf32 else "fp32"


def resolve_precision(amp: str | bool, device_type: str, bf16_supported: bool = True, tf32: bool = True) -> Precision:
    """The precision a trainer uses for config value ``amp`` on a device of type ``device_type``."""
    mode = ("auto" if amp else "off") if isinstance(amp, bool) else str(amp)
    if mode not in AMP_MODES:
        raise ValueError(f"amp: {mode!r} is not one of {', '.join(AMP_MODES)}")
    if device_type != "cuda":
        if mode == "bf16":
            return Precision(True, torch.bfloat16, False, BF16_NOTE + f"; bf16 autocast on the {device_type}")
        note = "amp=fp16 ignored: fp16 autocast is used on CUDA only" if mode == "fp16" else ""
        return Precision(False, torch.float32, False, note)
    if mode in ("off", "fp32"):
        return Precision(False, torch.float32, tf32)
    if mode == "auto":
        mode = "bf16" if bf16_supported else "fp16"
        return Precision(True, torch.bfloat16 if mode == "bf16" else torch.float16, tf32)
    return Precision(True, torch.bfloat16 if mode == "bf16" else torch.float16, tf32,
                     BF16_NOTE if mode == "bf16" else "")


def apply_tf32(precision: Precision) -> None:
    """Set PyTorch's CUDA TF32 switches for fp32 matmuls and convolutions (CUDA runs only)."""
    torch.backends.cuda.matmul.allow_tf32 = precision.tf32
    torch.backends.cudnn.allow_tf32 = precision.tf32


__all__ = ["AMP_MODES", "BF16_NOTE", "Precision", "apply_tf32", "resolve_precision"]
