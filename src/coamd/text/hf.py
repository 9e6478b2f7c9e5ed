"""Offline loading of Hugging Face ``transformers`` text models from a local folder.

Nothing is ever downloaded: ``HF_HUB_OFFLINE`` is set and every ``from_pretrained`` call passes
``local_files_only=True``; a missing or broken folder becomes a one-line ``TextEncoderError``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from .base import TextEncoderError


@contextlib.contextmanager
def offline_quiet() -> Iterator[None]:
    """Force offline mode and hide transformers' weight-loading progress bars while loading."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if was_enabled:
            hf_logging.enable_progress_bar()


def load_pretrained(loader: Any, folder: Path, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained(folder, local_files_only=True)`` with a one-line error on failure."""
    try:
        with offline_quiet():
            return loader.from_pretrained(str(folder), local_files_only=True, **kwargs)
    except (OSError, ValueError, KeyError) as e:
        first = " ".join(str(e).split())[:200]
        raise TextEncoderError(f"{folder}: cannot load the {what} ({first})") from None


def freeze(model: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
    """Eval mode, no gradients, moved to ``device``; half dtypes only on accelerators."""
    model = model.eval().to(device)
    if dtype in (torch.float16, torch.bfloat16) and device.type != "cpu":
        model = model.to(dtype)
    for p in model.parameters():
        p.requires_grad_(False)
    return model
