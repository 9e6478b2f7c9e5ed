"""Caption -> tensor inputs of both evaluators, shared by training and evaluation (paper-brief §6.1).

Evaluator (a) reads ``<sos> w_1 ... w_n <eos>`` word rows of the frozen vocabulary (n <= 20 as
upstream's ``max_text_len``) and their POS classes; evaluator (b) reads the frozen token
embeddings of a ``coamd.text`` encoder, from a pre-encoded ``EmbeddingTable`` when one is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..text import EmbeddingTable, TextEncoder, check_texts
from .glove import EOS, PAD, SOS, WordVocab
from .words import POS_INDEX, tag_words


def word_inputs(captions: Sequence[str], vocab: WordVocab, max_words: int,
                device: torch.device | str = "cpu") -> tuple[Tensor, Tensor, Tensor]:
    """(word rows (B, L), POS ids (B, L), counts (B,)), each row ``<sos> words <eos>`` then padding."""
    captions = check_texts(captions, "captions")
    rows, tags = [], []
    for caption in captions:
        words, pos = tag_words(caption, max_words)
        rows.append([SOS, *vocab.ids(words), EOS])
        other = POS_INDEX["OTHER"]
        tags.append([other, *pos, other])
    L = max((len(r) for r in rows), default=2)
    word_ids = torch.full((len(rows), L), PAD, dtype=torch.long)            # (B, L)
    pos_ids = torch.full((len(rows), L), POS_INDEX["OTHER"], dtype=torch.long)
    for i, (r, t) in enumerate(zip(rows, tags)):
        word_ids[i, : len(r)] = torch.tensor(r)
        pos_ids[i, : len(t)] = torch.tensor(t)
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    return word_ids.to(device), pos_ids.to(device), lengths.to(device)


def token_inputs(captions: Sequence[str], encoder: TextEncoder, table: EmbeddingTable | None = None,
                 device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """Frozen token embeddings (B, L, D_tok) float32 and their bool mask (B, L) on ``device``."""
    captions = check_texts(captions, "captions")
    emb, mask = table.tokens(captions) if table is not None else encoder.encode_tokens(captions)
    return emb.to(device=device, dtype=torch.float32), mask.to(device)


def caption_batch(captions: Sequence[str], vocab: WordVocab, max_words: int, encoder: TextEncoder,
                  table: EmbeddingTable | None = None, device: torch.device | str = "cpu") -> dict:
    """Every text input of both evaluators for a list of captions (the batch keys their ``loss`` reads)."""
    word_ids, pos_ids, lengths = word_inputs(captions, vocab, max_words, device)
    tokens, mask = token_inputs(captions, encoder, table, device)
    return {"caption": list(captions), "word_ids": word_ids, "pos_ids": pos_ids, "word_lengths": lengths,
            "text_tokens": tokens, "text_mask": mask}
