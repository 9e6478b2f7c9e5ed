"""A plain-torch BERT encoder for the bundled MiniLM, so encoding a prompt does not import ``transformers``.

Importing ``transformers`` and building ``AutoModel`` costs seconds (most of ``coamd generate``'s start-up
on a small CPU); all-MiniLM-L6-v2 is a 6-layer post-LayerNorm BERT, so this module reads the same
``model.safetensors`` and ``tokenizer.json`` (with the ``tokenizers`` library) and runs the same
computation: word + position + token-type embeddings, LayerNorm, then per layer multi-head
self-attention over the valid tokens, residual + LayerNorm, a GELU (erf) MLP, residual + LayerNorm.
``last_hidden_state`` matches ``transformers.BertModel`` to float rounding (tests/test_text.py checks it).

:func:`load_light_bert` returns None when a folder is not a plain BERT with those two files; the caller
then falls back to ``transformers``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LightBert(nn.Module):
    """BertModel's encoder (no pooler) over a ``BertModel`` state dict: input ids (B, L) + attention mask (B, L)
    -> last hidden states (B, L, H). The weights are buffers taken as they are (no initialisation to overwrite,
    which for nn.Linear/nn.Embedding layers costs half a second)."""

    def __init__(self, config: dict, state: dict[str, Tensor]) -> None:
        super().__init__()
        self.hidden_size = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        state = {k.removeprefix("bert."): v for k, v in state.items()}
        needed = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                  "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
        for i in range(self.layers):
            for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"):
                needed += [f"encoder.layer.{i}.{name}.weight", f"encoder.layer.{i}.{name}.bias"]
        for key in needed:
            self.register_buffer(key.replace(".", "__"), state[key].float())       # KeyError: not a BertModel

    def _w(self, key: str) -> Tensor:
        return getattr(self, key.replace(".", "__"))

    def _linear(self, x: Tensor, key: str) -> Tensor:
        return F.linear(x, self._w(f"{key}.weight"), self._w(f"{key}.bias"))

    def _norm(self, x: Tensor, key: str) -> Tensor:
        return F.layer_norm(x, x.shape[-1:], self._w(f"{key}.weight"), self._w(f"{key}.bias"), self.eps)

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        B, L = ids.shape
        H, heads = self.hidden_size, self.heads
        h = (F.embedding(ids, self._w("embeddings.word_embeddings.weight"))
             + self._w("embeddings.position_embeddings.weight")[:L][None]
             + self._w("embeddings.token_type_embeddings.weight")[0])
        h = self._norm(h, "embeddings.LayerNorm")                                     # (B, L, H)
        bias = torch.zeros(mask.shape, dtype=h.dtype, device=h.device).masked_fill(~mask.bool(),
                                                                                   torch.finfo(h.dtype).min)
        bias = bias[:, None, None, :]                                                  # (B, 1, 1, L)

        def split(x: Tensor) -> Tensor:
            return x.view(B, L, heads, H // heads).transpose(1, 2)                    # (B, heads, L, d)

        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            ctx = F.scaled_dot_product_attention(split(self._linear(h, p + "attention.self.query")),
                                                 split(self._linear(h, p + "attention.self.key")),
                                                 split(self._linear(h, p + "attention.self.value")), attn_mask=bias)
            h = self._norm(self._linear(ctx.transpose(1, 2).reshape(B, L, H), p + "attention.output.dense") + h,
                           p + "attention.output.LayerNorm")
            mlp = self._linear(F.gelu(self._linear(h, p + "intermediate.dense")), p + "output.dense")
            h = self._norm(mlp + h, p + "output.LayerNorm")
        return h


class LightBertTokenizer:
    """``tokenizers`` over the folder's ``tokenizer.json``: truncated to ``max_tokens``, padded to the longest."""

    def __init__(self, path: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(path))
        self.tok.enable_truncation(max_length=max_tokens)
        pad_id = self.tok.token_to_id("[PAD]")
        self.tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")

    def __call__(self, texts: list[str], device: torch.device) -> tuple[Tensor, Tensor]:
        enc = self.tok.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long, device=device)           # (B, L)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.bool, device=device)  # (B, L)
        return ids, mask


def load_light_bert(folder: Path, max_tokens: int) -> tuple[LightBert, LightBertTokenizer] | None:
    """(model, tokenizer) for a plain BERT folder (config.json, model.safetensors, tokenizer.json), else None."""
    files = [folder / n for n in ("config.json", "model.safetensors", "tokenizer.json")]
    if not all(f.is_file() for f in files):
        return None
    try:
        config = json.loads(files[0].read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute" \
                or config.get("hidden_act", "gelu") != "gelu" or config["hidden_size"] % config["num_attention_heads"]:
            return None
        from safetensors.torch import load_file

        model = LightBert(config, load_file(str(files[1])))
        tokenizer = LightBertTokenizer(files[2], max_tokens)
    except (KeyError, ValueError, RuntimeError, OSError, ImportError):
        return None
    return model, tokenizer
