"""Contrastive losses of MAR (paper-brief §3.2, fixes of §9.1).

* :func:`recognition_infonce` — symmetric InfoNCE (τ = 0.4) between motion embeddings and the
  (projected) frozen text embeddings of each sample's sampled label name. Upstream treats a label
  that occurs twice in a batch as its own negative; here the batch's labels are de-duplicated:
  motion→label is a cross-entropy over the batch's *distinct* labels, and label→motion is a
  multi-positive InfoNCE whose positives are every motion carrying that label. With a multi-hot
  label matrix, a motion's other true labels are also never used as its negatives.
* :func:`description_infonce` — symmetric InfoNCE (τ = 0.1) between motions and their captions
  with TMR-style false-negative filtering: off-diagonal pairs whose frozen sentence-embedding
  cosine exceeds the threshold (0.8) are removed from the denominators.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _first_index(inverse: Tensor, groups: int) -> Tensor:
    """For each group id 0..groups-1, the first position i with inverse[i] == id."""
    n = inverse.shape[0]
    first = torch.full((groups,), n, dtype=torch.long, device=inverse.device)
    return first.scatter_reduce(0, inverse, torch.arange(n, device=inverse.device), reduce="amin")


def recognition_infonce(f: Tensor, label_emb: Tensor, label_ids: Tensor, tau: float = 0.4,
                        multi_hot: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Symmetric InfoNCE of motions vs. de-duplicated label prototypes.

    f: (B, E) motion embeddings; label_emb: (B, E) embedding of each sample's label name;
    label_ids: (B,) integer label ids; multi_hot: optional (B, K) bool/0-1 matrix of every label of
    each motion (K = size of the label set). Returns (loss, motion→label top-1 accuracy over the
    batch's distinct labels).
    """
    uniq, inv = torch.unique(label_ids, return_inverse=True)                    # (U,), (B,)
    protos = F.normalize(label_emb[_first_index(inv, uniq.shape[0])], dim=-1)  # (U, E)
    sim = F.normalize(f, dim=-1) @ protos.T / tau                               # (B, U)
    target = F.one_hot(inv, uniq.shape[0]).bool()                              # (B, U)
    also = torch.zeros_like(target)
    if multi_hot is not None:
        also = multi_hot.to(device=f.device)[:, uniq].bool() & ~target           # other true labels
    m2l = F.cross_entropy(sim.masked_fill(also, float("-inf")), inv)
    pos = (target | also).T                                                     # (U, B)
    sim_t = sim.T                                                               # (U, B)
    l2m = (torch.logsumexp(sim_t, dim=1) - torch.logsumexp(sim_t.masked_fill(~pos, float("-inf")), dim=1)).mean()
    acc = (sim.argmax(dim=1) == inv).float().mean()
    return 0.5 * (m2l + l2m), acc


def description_infonce(f: Tensor, e: Tensor, sentence_emb: Tensor | None = None, tau: float = 0.1,
                        threshold: float = 0.8) -> tuple[Tensor, Tensor]:
    """Symmetric InfoNCE of motions (B, E) vs. captions (B, E), filtering near-duplicate captions.

    sentence_emb: (B, D) frozen sentence embeddings of the captions used only for the filter.
    Returns (loss, motion→text top-1 accuracy within the batch).
    """
    sim = F.normalize(f, dim=-1) @ F.normalize(e, dim=-1).T / tau               # (B, B)
    eye = torch.eye(sim.shape[0], dtype=torch.bool, device=sim.device)
    if sentence_emb is not None:
        s = F.normalize(sentence_emb.to(device=f.device, dtype=f.dtype), dim=-1)
        near = (s @ s.T > threshold) & ~eye                                     # false negatives
        sim = sim.masked_fill(near, float("-inf"))
    target = torch.arange(sim.shape[0], device=sim.device)
    loss = 0.5 * (F.cross_entropy(sim, target) + F.cross_entropy(sim.T, target))
    acc = (sim.argmax(dim=1) == target).float().mean()
    return loss, acc
