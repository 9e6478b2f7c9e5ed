"""Multi-modal Action Recognizer, MAR (paper-brief §3.2; losses per §9.1/§10).

Three independent transformer streams read the joint, bone and motion streams of a normalised
motion (a learned query token, sinusoidal PE, post-norm ``nn.TransformerEncoder``, LayerNorm on
the query token's output, Linear), fused late by LayerNorm(3E) → Linear(3E → E) into ``f``.

Text side (text encoders are frozen and live elsewhere; MAR only sees their tensors):

* label tower A: frozen sentence embeddings of label names. When their width differs from E they
  pass through a *trainable* bias-free Linear(D_text → E) initialised semi-orthogonal (so it
  starts out preserving the encoder's geometry); with equal widths (CLIP 512) it is the identity,
  as upstream. Recognition = argmax of cosine(f, prototype).
* description tower B: a trainable transformer over frozen token embeddings (Linear to E first
  when widths differ), LayerNorm, pooled at the last valid token (CLIP's EOT; ``pool: last``) or
  averaged over valid tokens (``pool: mean``, matching MiniLM's own sentence pooling), Linear.

Both losses are trained: L = L_desc + 0.5·L_recog with L_desc = filtered InfoNCE (τ 0.1) +
0.5·SmoothL1(f, e_desc) and L_recog = InfoNCE (τ 0.4) against the label prototypes.

The paper config keeps upstream's per-stream timestep embedder (0.39 M params each, counted in
the paper's 70.4 M); it adds a time embedding to every frame only when ``encode(..., t=...)`` is
given a time, e.g. to score partially denoised motion. ``cpu-small`` leaves it out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import CoamdError
from ..skeleton import Skeleton
from .config import MARConfig, TextDims
from .contrastive import description_infonce, recognition_infonce
from .layers import PositionalEncoding, Streams, TimestepEmbedder, check_lengths, lengths_to_mask

MAX_TEXT_TOKENS = 512


def _transformer(cfg: MARConfig, layers: int) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.heads, cfg.ff_dim, cfg.dropout, activation="gelu",
                                       batch_first=True)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class StreamEncoder(nn.Module):
    """One motion stream: (B, T, F) + valid mask -> (B, E) from a learned query token."""

    def __init__(self, in_dim: int, cfg: MARConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.inp = nn.Linear(in_dim, d)
        self.query = nn.Parameter(torch.zeros(1, 1, d))
        nn.init.normal_(self.query, std=0.02)
        self.time = TimestepEmbedder(d, 256) if cfg.time_embed else None
        self.pe = PositionalEncoding(d, cfg.max_frames + 1, cfg.dropout)
        self.transformer = _transformer(cfg, cfg.layers)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, cfg.embed_dim)

    def forward(self, x: Tensor, valid: Tensor, t: Tensor | None = None) -> Tensor:
        h = self.inp(x)                                                     # (B, T, D)
        if t is not None:
            if self.time is None:
                raise CoamdError("t: this MAR was built without a timestep embedder (mar.time_embed: false)")
            h = h + self.time(t)[:, None]
        h = torch.cat([self.query.expand(h.shape[0], 1, -1), h], dim=1)   # (B, 1+T, D)
        pad = torch.cat([torch.zeros_like(valid[:, :1]), ~valid], dim=1)  # query token never masked
        h = self.transformer(self.pe(h), src_key_padding_mask=pad)
        return self.out(self.norm(h[:, 0]))                                # (B, E)


class DescriptionTower(nn.Module):
    """Tower B: frozen token embeddings (B, L, D_tok) + mask -> caption embedding (B, E)."""

    def __init__(self, token_dim: int, cfg: MARConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.inp = nn.Linear(token_dim, d) if token_dim != d else nn.Identity()
        self.pe = PositionalEncoding(d, MAX_TEXT_TOKENS, cfg.dropout)
        self.transformer = _transformer(cfg, cfg.text_layers)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, cfg.embed_dim)
        self.pool = cfg.pool

    def forward(self, tokens: Tensor, mask: Tensor) -> Tensor:
        mask = mask.bool()
        if mask.shape != tokens.shape[:2] or not bool(mask.any(dim=1).all()):
            raise CoamdError(f"text tokens: mask {tuple(mask.shape)} must match tokens {tuple(tokens.shape[:2])} "
                             "and mark at least one valid token per row")
        h = self.pe(self.inp(tokens))                                       # (B, L, D)
        h = self.norm(self.transformer(h, src_key_padding_mask=~mask))
        if self.pool == "last":
            pos = torch.arange(mask.shape[1], device=mask.device)
            last = (mask * pos).argmax(dim=1)                               # (B,) index of last valid token
            pooled = h[torch.arange(h.shape[0], device=h.device), last]
        else:
            w = mask.to(h.dtype)[..., None]
            pooled = (h * w).sum(dim=1) / w.sum(dim=1)
        return self.out(pooled)                                             # (B, E)


class MAR(nn.Module):
    """Three-stream motion encoder + two text towers, with the recognition/description losses."""

    def __init__(self, skeleton: Skeleton, cfg: MARConfig, text: TextDims) -> None:
        super().__init__()
        self.cfg = cfg
        self.feature_dim = 3 * skeleton.num_joints
        self.embed_dim = cfg.embed_dim
        self.streams = Streams(skeleton)
        self.joint = StreamEncoder(self.feature_dim, cfg)
        self.bone = StreamEncoder(self.feature_dim, cfg)
        self.motion = StreamEncoder(self.feature_dim, cfg)
        self.fuse = nn.Sequential(nn.LayerNorm(3 * cfg.embed_dim), nn.Linear(3 * cfg.embed_dim, cfg.embed_dim))
        self.text = DescriptionTower(text.token_dim, cfg)
        if text.sentence_dim != cfg.embed_dim:
            self.label_proj: nn.Module = nn.Linear(text.sentence_dim, cfg.embed_dim, bias=False)
            nn.init.orthogonal_(self.label_proj.weight)
        else:
            self.label_proj = nn.Identity()

    # ------------------------------------------------------------------ encoders
    def encode(self, x: Tensor, lengths: Tensor | None = None,
               t: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Normalised motion (B, T, F) + frame lengths (B,) -> (f, f_J, f_B, f_M), each (B, E)."""
        if x.dim() != 3 or x.shape[-1] != self.feature_dim:
            raise CoamdError(f"motion: expected shape (B, T, {self.feature_dim}), got {tuple(x.shape)}")
        B, T, _ = x.shape
        lengths = (torch.full((B,), T, device=x.device) if lengths is None
                   else check_lengths(lengths.to(x.device), T, "lengths"))
        valid = lengths_to_mask(lengths, T)                                 # (B, T)
        j, b, m = self.streams(x)
        f_j, f_b, f_m = self.joint(j, valid, t), self.bone(b, valid, t), self.motion(m, valid, t)
        f = self.fuse(torch.cat([f_j, f_b, f_m], dim=-1))                   # (B, E)
        return f, f_j, f_b, f_m

    def encode_text(self, tokens: Tensor, mask: Tensor) -> Tensor:
        """Tower B: frozen token embeddings (B, L, D_tok) + bool mask (B, L) -> (B, E)."""
        return self.text(tokens, mask)

    def encode_labels(self, sentence_emb: Tensor) -> Tensor:
        """Tower A: frozen sentence embeddings of label names (K, D_text) -> prototypes (K, E)."""
        return self.label_proj(sentence_emb)

    def recognition_logits(self, f: Tensor, label_sentence_emb: Tensor, label_text_emb: Tensor | None = None) -> Tensor:
        """Label scores (B, K): cosine of motion embeddings to the K label prototypes (tower A).

        With ``cfg.label_text_weight`` w > 0 and the labels' tower-B embeddings ``label_text_emb``
        (K, E) given, the score is (1 - w)·cos(f, tower A) + w·cos(f, tower B): tower A knows the
        training label names, tower B (trained on free captions) reads labels phrased in other words.
        """
        f = F.normalize(f, dim=-1)
        scores = f @ F.normalize(self.encode_labels(label_sentence_emb), dim=-1).T
        w = float(self.cfg.label_text_weight)
        if w > 0 and label_text_emb is not None:
            scores = (1 - w) * scores + w * (f @ F.normalize(label_text_emb.to(f.dtype), dim=-1).T)
        return scores

    # ------------------------------------------------------------------ training
    def loss(self, x: Tensor, lengths: Tensor | None = None, *, label_emb: Tensor | None = None,
             label_ids: Tensor | None = None, label_multi_hot: Tensor | None = None,
             text_tokens: Tensor | None = None, text_mask: Tensor | None = None,
             text_sentence: Tensor | None = None, label_text_tokens: Tensor | None = None,
             label_text_mask: Tensor | None = None,
             label_text_loss_weight: float | None = None) -> tuple[Tensor, dict[str, float]]:
        """L = L_desc + recog_weight·L_recog (either part is skipped when its inputs are absent).

        x (B, T, F), lengths (B,) frames; label_emb (B, D_text) sentence embedding of each sample's
        sampled label name, label_ids (B,), label_multi_hot (B, K) optional; text_tokens
        (B, L, D_tok) + text_mask (B, L) of the caption; text_sentence (B, D_text) its frozen
        sentence embedding (for false-negative filtering; optional). label_text_tokens (B, L, D_tok)
        + label_text_mask (B, L): each sample's label name for tower B; with ``cfg.label_text_weight``
        w > 0 they add w·recog_weight·L_recog over tower B's prototypes (the scores recognition mixes);
        ``label_text_loss_weight`` replaces w in that term when given (the mixing weight stays w).
        """
        has_recog, has_desc = label_emb is not None, text_tokens is not None
        if not (has_recog or has_desc):
            raise CoamdError("MAR.loss needs label_emb/label_ids (recognition) and/or text_tokens (description)")
        if has_recog and label_ids is None:
            raise CoamdError("MAR.loss: label_ids is required with label_emb (used to de-duplicate labels)")
        if has_desc and text_mask is None:
            raise CoamdError("MAR.loss: text_mask is required with text_tokens")
        f = self.encode(x, lengths)[0]
        cfg, logs = self.cfg, {}
        total = f.new_zeros(())
        if has_desc:
            e = self.encode_text(text_tokens, text_mask)
            nce, acc = description_infonce(f, e, text_sentence, cfg.tau_desc, cfg.filter_threshold)
            latent = F.smooth_l1_loss(f, e)
            total = total + nce + cfg.latent_weight * latent
            logs.update(desc_nce=nce.item(), desc_latent=latent.item(), desc_top1=acc.item())
        if has_recog:
            recog, acc = recognition_infonce(f, self.encode_labels(label_emb), label_ids, cfg.tau_recog,
                                             label_multi_hot)
            total = total + cfg.recog_weight * recog
            logs.update(recog=recog.item(), recog_acc=acc.item())
            if label_text_tokens is not None and cfg.label_text_weight > 0:
                if label_text_mask is None:
                    raise CoamdError("MAR.loss: label_text_mask is required with label_text_tokens")
                recog_b, acc_b = recognition_infonce(f, self.encode_text(label_text_tokens, label_text_mask), label_ids,
                                                     cfg.tau_recog, label_multi_hot)
                w_b = cfg.label_text_weight if label_text_loss_weight is None else float(label_text_loss_weight)
                total = total + cfg.recog_weight * w_b * recog_b
                logs.update(recog_text=recog_b.item(), recog_text_acc=acc_b.item())
        logs["loss"] = total.item()
        return total, logs
