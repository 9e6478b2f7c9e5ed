"""Evaluation metrics as pure functions (CoAMD paper-brief §6.2-6.5; definitions in docs/metrics.md).

Inputs may be torch tensors or numpy arrays; outputs are python floats, numpy arrays or dicts of
floats. Nothing here imports the rest of coamd (skeleton facts are arguments), reads files or
keeps state.
"""

from .functional import (
    clip_score,
    diversity,
    euclidean_distances,
    fid,
    fid_from_stats,
    gaussian_stats,
    matching_distance,
    multimodality,
    r_precision,
    similarity_matrix,
)
from .inputs import MetricInputError
from .physics import (
    SMPL22_FOOT_JOINTS,
    bone_length_variation,
    floor_penetration,
    foot_contact_sliding,
    foot_skating_ratio,
    jitter,
)
from .pose import mpjpe, pa_mpjpe, procrustes_align
from .ranking import (
    caption_key,
    median_rank,
    ranks_from_scores,
    recall_at,
    retrieval_metrics,
    retrieval_ranks,
    retrieval_recall,
    same_caption_mask,
    similar_text_mask,
    topk_accuracy,
    topk_hits,
)
from .stats import aggregate_repeats, mean_ci

__all__ = [
    "SMPL22_FOOT_JOINTS",
    "MetricInputError",
    "aggregate_repeats",
    "bone_length_variation",
    "caption_key",
    "clip_score",
    "diversity",
    "euclidean_distances",
    "fid",
    "fid_from_stats",
    "floor_penetration",
    "foot_contact_sliding",
    "foot_skating_ratio",
    "gaussian_stats",
    "jitter",
    "matching_distance",
    "mean_ci",
    "median_rank",
    "mpjpe",
    "multimodality",
    "pa_mpjpe",
    "procrustes_align",
    "r_precision",
    "ranks_from_scores",
    "recall_at",
    "retrieval_metrics",
    "retrieval_ranks",
    "retrieval_recall",
    "same_caption_mask",
    "similar_text_mask",
    "similarity_matrix",
    "topk_accuracy",
    "topk_hits",
]
