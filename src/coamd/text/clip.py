"""CLIP text tower, for users who have CLIP weights on disk (paper-brief §3.2-§3.3, §8).

CoAMD uses the frozen CLIP ViT-B/32 text encoder. coamd cannot bundle those weights, so this
backend loads a local Hugging Face CLIP folder (e.g. a copy of ``openai/clip-vit-base-patch32``:
``config.json``, weights, tokenizer files) given as ``path`` or by the environment variable
``COAMD_CLIP_PATH``. Nothing is downloaded; a missing folder is a one-line ``TextEncoderError``.

Sentence embedding = the projected end-of-text feature (``text_embeds``, what CLIP's ``encode_text``
returns), which :meth:`TextEncoder.encode_sentences` then L2-normalises as it does for every backend.
CLIP's ``encode_text`` itself does NOT normalise: the official generator conditions on the raw
embedding (not of unit length), coamd on the unit vector (a difference from the official
code, docs/benchmark.md). Token embeddings = the final-layer-normed hidden states.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from torch import Tensor

from .base import TextEncoder, TextEncoderError
from .hf import freeze, load_pretrained

CLIP_ENV = "COAMD_CLIP_PATH"


def clip_folder(path: str | Path | None = None) -> Path:
    """The CLIP folder from ``path`` or ``$COAMD_CLIP_PATH``; a one-line error when unusable."""
    given = path if path is not None else os.environ.get(CLIP_ENV)
    if not given:
        raise TextEncoderError(
            f"text backend 'clip' needs local CLIP weights: set {CLIP_ENV} to a Hugging Face CLIP folder "
            "(e.g. a copy of openai/clip-vit-base-patch32) or use text=minilm; coamd never downloads weights")
    folder = Path(given).expanduser()
    where = f"{CLIP_ENV}={given}" if path is None else str(folder)
    if not folder.exists():
        raise TextEncoderError(f"{where}: CLIP folder not found")
    if not folder.is_dir() or not (folder / "config.json").is_file():
        raise TextEncoderError(f"{where}: expected a Hugging Face CLIP folder with config.json, weights and "
                               "tokenizer files")
    return folder


def _fingerprint(folder: Path) -> str:
    """Short id of a weights folder (config bytes + weight file names and sizes) for cache keys."""
    h = hashlib.sha1((folder / "config.json").read_bytes())
    for f in sorted(folder.iterdir()):
        if f.suffix in (".safetensors", ".bin", ".pt"):
            h.update(f"{f.name}:{f.stat().st_size}".encode())
    return h.hexdigest()[:10]


def _text_config(folder: Path):
    """The text-tower config of a full CLIP folder (or a text-only one), with the shared projection width."""
    from transformers import CLIPTextConfig

    try:
        raw = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as e:
        raise TextEncoderError(f"{folder / 'config.json'}: unreadable CLIP config ({e})") from None
    if raw.get("model_type") == "clip":
        text = dict(raw.get("text_config") or {})
        if "projection_dim" in raw:
            text["projection_dim"] = raw["projection_dim"]
        return CLIPTextConfig(**{k: v for k, v in text.items() if k not in ("model_type", "architectures")})
    if raw.get("model_type") == "clip_text_model":
        return CLIPTextConfig.from_pretrained(str(folder), local_files_only=True)
    raise TextEncoderError(f"{folder / 'config.json'}: model_type {raw.get('model_type')!r} is not a CLIP model")


class CLIPEncoder(TextEncoder):
    """Frozen CLIP text encoder loaded from a local folder (see the module docstring)."""

    name = "clip"

    def __init__(self, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                 max_tokens: int = 77, path: str | Path | None = None) -> None:
        super().__init__(device, dtype, max_tokens)
        from transformers import AutoTokenizer, CLIPTextModelWithProjection

        folder = clip_folder(path)
        self.tokenizer = load_pretrained(AutoTokenizer, folder, "CLIP tokenizer")
        config = _text_config(folder)
        self.model = freeze(load_pretrained(CLIPTextModelWithProjection, folder, "CLIP text model", config=config),
                            self.device, dtype)
        cfg = self.model.config
        self.dim = int(cfg.projection_dim)
        self.token_dim = int(cfg.hidden_size)
        self.max_tokens = min(self.max_tokens, int(cfg.max_position_embeddings))
        self.model_id = f"clip:{folder.resolve().name}-{_fingerprint(folder)}"

    def _run(self, texts: list[str]):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens,
                               return_tensors="pt").to(self.device)
        return self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]), batch

    def _sentences(self, texts: list[str]) -> Tensor:
        out, _ = self._run(texts)
        return out.text_embeds                                        # (B, dim)

    def _tokens(self, texts: list[str]) -> tuple[Tensor, Tensor]:
        out, batch = self._run(texts)
        return out.last_hidden_state, batch["attention_mask"].bool()  # (B, L, W), (B, L)
