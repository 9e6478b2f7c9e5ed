"""Joint-position errors: MPJPE and Procrustes-aligned PA-MPJPE, in millimetres.

CoAMD's released autoencoder "MPJPE" is not a valid MPJPE (paper-brief §6.2 and §9 item 8), so
this is the standard one: the Euclidean distance between predicted and ground-truth joints,
averaged over joints and frames, on de-normalised (T, J, 3) positions in metres, reported in mm.
PA-MPJPE first aligns each predicted frame to its ground truth with the best similarity
transform (rotation, uniform scale, translation; orthogonal Procrustes / Umeyama 1991).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .inputs import MetricInputError, motion_batch

MM_PER_M = 1000.0


def _pair(pred: Any, gt: Any, lengths: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p, mask, _ = motion_batch(pred, "pred", lengths)
    g, _, _ = motion_batch(gt, "gt", lengths)
    if p.shape != g.shape:
        raise MetricInputError(f"pred, gt: shapes {tuple(p.shape)} and {tuple(g.shape)} differ")
    return p, g, mask


def mpjpe(pred: Any, gt: Any, lengths: Any = None, root_align: bool = False, root_idx: int = 0) -> float:
    """Mean per-joint position error in mm of (T, J, 3) or (B, T, J, 3) joints given in metres.

    Args:
        lengths: (B,) real frame counts of padded batches; padding frames are ignored.
        root_align: subtract each frame's root joint (``root_idx``) from both motions first,
            so that a global offset or drifting trajectory does not count.

    Returns a python float: the mean over all valid frames and joints of the batch.
    """
    p, g, mask = _pair(pred, gt, lengths)
    if root_align:
        if not 0 <= root_idx < p.shape[2]:
            raise MetricInputError(f"root_idx: {root_idx} is not a joint index (J = {p.shape[2]})")
        p = p - p[:, :, root_idx : root_idx + 1]  # (B, T, J, 3)
        g = g - g[:, :, root_idx : root_idx + 1]
    err = np.linalg.norm(p - g, axis=-1)  # (B, T, J)
    return float(err[mask].mean() * MM_PER_M)


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Best similarity transform of each (..., J, 3) ``pred`` pose onto ``gt``: aligned (..., J, 3).

    Minimises sum_j ||gt_j - (s R pred_j + t)||^2 with R a proper rotation (no reflection).
    """
    mu_p = pred.mean(-2, keepdims=True)
    mu_g = gt.mean(-2, keepdims=True)
    x, y = pred - mu_p, gt - mu_g  # (..., J, 3)
    h = np.swapaxes(x, -1, -2) @ y  # (..., 3, 3) = sum_j x_j y_j^T
    u, s, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, -1, -2)
    d = np.sign(np.linalg.det(v @ np.swapaxes(u, -1, -2)))  # (...,) -1 would be a reflection
    d = np.where(d == 0, 1.0, d)
    fix = np.ones(s.shape)
    fix[..., -1] = d
    rot = v @ (fix[..., :, None] * np.swapaxes(u, -1, -2))  # (..., 3, 3) = V D U^T
    scale = (s * fix).sum(-1) / np.maximum((x**2).sum((-1, -2)), 1e-12)  # (...,)
    return scale[..., None, None] * (x @ np.swapaxes(rot, -1, -2)) + mu_g


def pa_mpjpe(pred: Any, gt: Any, lengths: Any = None) -> float:
    """MPJPE in mm after per-frame Procrustes alignment (rotation + scale + translation): a python float."""
    p, g, mask = _pair(pred, gt, lengths)
    aligned = procrustes_align(p[mask], g[mask])  # (K, J, 3) over valid frames only
    return float(np.linalg.norm(aligned - g[mask], axis=-1).mean() * MM_PER_M)
