"""Evaluator (a): Guo et al. (2022)'s text-motion matching model on absolute coordinates (paper-brief §6.1a).

Motion: ``MovementConvEncoder`` (Conv1d k4 s2 -> Dropout -> LeakyReLU(0.2), twice: 4x temporal
down-sampling, then a per-step Linear) -> ``BiGRUEncoder`` (Linear, bidirectional GRU with a
learned initial state over ``lengths // 4`` packed steps, then Linear -> LayerNorm -> LeakyReLU ->
Linear on the final forward/backward states). Text: frozen word vectors (+ a Linear of the POS
one-hot) -> Linear -> bidirectional GRU -> the same output head.

Loss: Guo's contrastive margin loss, d = ||text - motion||:
L = mean(d_pos²) + mean over negatives of max(0, margin - d_neg)². Guo pairs every caption with
the motion ``shift`` places further along the batch (``negatives: shift``; we draw shift in
[1, B-1], upstream may draw 0, which makes the "negatives" the positives); the default
``negatives: all`` averages the hinge over every non-matching pair instead (same minimiser, a far
less noisy gradient). Pairs with identical captions are never negatives. The margin (10) fixes
the embedding scale, which is why MM-Dist and Diversity values are comparable across papers only
under the same evaluator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from ..errors import CoamdError
from .config import MatcherConfig
from .words import POS_TAGS

DOWNSAMPLE = 4  # two stride-2 convolutions


def _head(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.LayerNorm(hidden), nn.LeakyReLU(0.2, inplace=True),
                         nn.Linear(hidden, out_dim))


def _keep_first(h: Tensor, n: Tensor) -> Tensor:
    """Zero the steps at or after n[b] of (B, C, L) features."""
    return h * (torch.arange(h.shape[-1], device=h.device)[None] < n[:, None]).unsqueeze(1).to(h.dtype)


class MovementConvEncoder(nn.Module):
    """(B, T, F) + lengths (B,) -> (B, T // 4, movement_dim) local movement features.

    Frames past each length, and the first layer's outputs past length // 2, are zeroed, so a
    motion's features do not depend on how much padding its batch has (upstream's do, slightly:
    the convolutions' receptive field reaches into the padding).
    """

    def __init__(self, feature_dim: int, hidden: int, out_dim: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv1d(feature_dim, hidden, 4, 2, 1), nn.Dropout(dropout),
                                   nn.LeakyReLU(0.2, inplace=True))
        self.conv2 = nn.Sequential(nn.Conv1d(hidden, out_dim, 4, 2, 1), nn.Dropout(dropout),
                                   nn.LeakyReLU(0.2, inplace=True))
        self.out = nn.Linear(out_dim, out_dim)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        h = _keep_first(x.transpose(1, 2), lengths)                 # (B, F, T)
        h = _keep_first(self.conv1(h), lengths // 2)                # (B, C, T // 2)
        h = self.conv2(h)                                           # (B, C, T // 4)
        return self.out(h.transpose(1, 2))                          # (B, T // 4, C)


class BiGRUEncoder(nn.Module):
    """Linear -> bidirectional GRU (learned h0) over packed steps -> head on [h_fwd, h_bwd]."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, head_hidden: int) -> None:
        super().__init__()
        self.inp = nn.Linear(in_dim, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.h0 = nn.Parameter(torch.randn(2, 1, hidden) * 0.02)
        self.head = _head(2 * hidden, head_hidden, out_dim)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        h = self.inp(x)                                     # (B, L, H)
        packed = pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, last = self.gru(packed, self.h0.expand(-1, x.shape[0], -1).contiguous())  # (2, B, H)
        return self.head(torch.cat([last[0], last[1]], dim=-1))                      # (B, E)


class TextMotionMatcher(nn.Module):
    """Co-embeds normalised motions and captions (word rows + POS ids) in one Euclidean space."""

    def __init__(self, feature_dim: int, word_vectors: Tensor, cfg: MatcherConfig) -> None:
        super().__init__()
        self.cfg, self.feature_dim = cfg, feature_dim
        word_dim = int(word_vectors.shape[1])
        self.register_buffer("word_vectors", word_vectors.float().clone())           # (V, Dw), frozen GloVe
        self.specials = nn.Parameter(torch.randn(4, word_dim) * 0.1)                 # <pad> <sos> <eos> <unk>
        self.pos = nn.Linear(len(POS_TAGS), word_dim) if cfg.use_pos else None
        self.movement = MovementConvEncoder(feature_dim, cfg.conv_hidden, cfg.movement_dim, cfg.dropout)
        self.motion = BiGRUEncoder(cfg.movement_dim, cfg.motion_hidden, cfg.embed_dim, cfg.motion_hidden)
        self.text = BiGRUEncoder(word_dim, cfg.text_hidden, cfg.embed_dim, cfg.text_hidden)

    def encode_motion(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Normalised motion (B, T, F) + frame lengths (B,) -> (B, E); lengths are floored to 4 frames."""
        if x.dim() != 3 or x.shape[-1] != self.feature_dim:
            raise CoamdError(f"motion: expected shape (B, T, {self.feature_dim}), got {tuple(x.shape)}")
        steps = lengths.to(x.device).long() // DOWNSAMPLE                            # (B,)
        if steps.numel() and (int(steps.min()) < 1 or int(lengths.max()) > x.shape[1]):
            raise CoamdError(f"lengths: must lie in [{DOWNSAMPLE}, {x.shape[1]}] frames, got "
                             f"{int(lengths.min())}..{int(lengths.max())}")
        h = self.movement(x, lengths.to(x.device).long())                            # (B, T // 4, C)
        return self.motion(h, steps.clamp(max=h.shape[1]))

    def encode_text(self, word_ids: Tensor, pos_ids: Tensor, lengths: Tensor) -> Tensor:
        """Word rows (B, L) + POS ids (B, L) + token counts (B,) (``<sos>``/``<eos>`` included) -> (B, E)."""
        special = word_ids < len(self.specials)
        emb = torch.where(special[..., None], self.specials[word_ids.clamp(max=len(self.specials) - 1)],
                          self.word_vectors[word_ids])                               # (B, L, Dw)
        if self.pos is not None:
            emb = emb + self.pos(F.one_hot(pos_ids, len(POS_TAGS)).to(emb.dtype))
        return self.text(emb, lengths)

    def loss(self, batch: dict, generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, float]]:
        """Guo's margin loss on one batch (keys: motion, length, word_ids, pos_ids, word_lengths, caption)."""
        m = self.encode_motion(batch["motion"], batch["length"])                     # (B, E)
        t = self.encode_text(batch["word_ids"], batch["pos_ids"], batch["word_lengths"])
        return margin_loss(t, m, batch["caption"], self.cfg.margin, generator, self.cfg.negatives)


def margin_loss(text: Tensor, motion: Tensor, captions: list[str], margin: float,
                generator: torch.Generator | None = None, negatives: str = "all") -> tuple[Tensor, dict[str, float]]:
    """Contrastive margin loss of Guo et al. (module docstring).

    text, motion: (B, E) matched rows. ``negatives="shift"``: one negative per caption, the motion
    ``shift`` rows further (Guo's choice); ``"all"``: the hinge averaged over every non-matching pair
    of the batch, which has the same minimiser but a far less noisy gradient.
    """
    B = text.shape[0]
    if B < 2:
        raise CoamdError("the matcher's margin loss needs batches of at least 2 pairs")
    d = torch.cdist(text, motion)                                                    # (B, B)
    d_pos = d.diagonal()                                                             # (B,)
    same = torch.tensor([[a == b for b in captions] for a in captions], device=text.device)  # (B, B)
    if negatives == "shift":
        shift = int(torch.randint(1, B, (1,), generator=generator,
                                  device=generator.device if generator is not None else None))
        perm = (torch.arange(B, device=text.device) + shift) % B
        use = torch.zeros_like(same)
        use[torch.arange(B, device=text.device), perm] = True
        use &= ~same
    elif negatives == "all":
        use = ~same
    else:
        raise CoamdError(f"negatives: expected 'shift' or 'all', got {negatives!r}")
    pos = (d_pos ** 2).mean()
    hinge = F.relu(margin - d) ** 2                                                  # (B, B)
    neg = (hinge * use).sum() / use.sum().clamp(min=1)
    d_neg = (d * use).sum() / use.sum().clamp(min=1)
    return pos + neg, {"match_pos": float(pos.detach()), "match_neg": float(neg.detach()),
                       "match_gap": float((d_neg - d_pos.mean()).detach())}
