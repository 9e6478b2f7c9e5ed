"""Pinning parts of a motion to a source: kept frames copied back with a fade, kept joints attached.

Used by editing (:mod:`.edit`) and by the cleanup stage (:mod:`.cleanup`), which must both leave
what the user asked to keep where it was.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..skeleton import Skeleton


def blend_kept(decoded: np.ndarray, source: np.ndarray, keep: np.ndarray, fade: int = 4) -> np.ndarray:
    """Copy the kept frames of ``source`` into ``decoded`` (T, J, 3) and fade the residual out over ``fade`` frames."""
    out = decoded.copy()
    if not keep.any():
        return out
    out[keep] = source[keep]
    T = len(keep)
    resid = source - decoded
    for direction in (1, -1):                     # residual of the last kept frame before / first after
        last = -1
        order = range(T) if direction == 1 else range(T - 1, -1, -1)
        for i in order:
            if keep[i]:
                last = i
            elif last >= 0:
                d = abs(i - last)
                if d > fade:
                    continue
                out[i] += (0.5 + 0.5 * np.cos(np.pi * d / (fade + 1))) * resid[last]
    return out


def _tree_distances(skeleton: Skeleton) -> np.ndarray:
    J = skeleton.num_joints
    adj = [[] for _ in range(J)]
    for p, c in skeleton.bones():
        adj[p].append(c)
        adj[c].append(p)
    dist = np.full((J, J), np.inf)
    for s in range(J):
        dist[s, s] = 0
        queue = deque([s])
        while queue:
            a = queue.popleft()
            for b in adj[a]:
                if dist[s, b] == np.inf:
                    dist[s, b] = dist[s, a] + 1
                    queue.append(b)
    return dist


def attach_kept_joints(decoded: np.ndarray, source: np.ndarray, kept: list[int], skeleton: Skeleton) -> np.ndarray:
    """Overwrite the kept joints with the source and carry the regenerated joints along (see module docstring).

    Each join bone (kept joint a, regenerated neighbour r) asks for the shift that moves r with a and
    restores the source's length of the bone a-r (keeping the decoded direction); every
    regenerated joint j takes the mean of those shifts weighted by 1 / d(j, a)^2 (tree distance).
    With one join per regenerated part, the part moves rigidly and the join is exact.
    """
    out = decoded.copy()
    kept_set = set(kept)
    joins = [(p, c) if p in kept_set else (c, p) for p, c in skeleton.bones() if (p in kept_set) != (c in kept_set)]
    shifts = []
    for a, r in joins:
        moved = decoded[:, r] + source[:, a] - decoded[:, a]                    # (T, 3) r carried with a
        bone = moved - source[:, a]
        length = np.linalg.norm(source[:, r] - source[:, a], axis=-1, keepdims=True)
        unit = bone / np.maximum(np.linalg.norm(bone, axis=-1, keepdims=True), 1e-8)
        shifts.append(source[:, a] + unit * length - decoded[:, r])             # (T, 3)
    dist = _tree_distances(skeleton)
    for j in range(skeleton.num_joints):
        if j in kept_set:
            continue
        w = np.array([1.0 / dist[j, a] ** 2 for a, _ in joins])               # (E,)
        out[:, j] += np.tensordot(np.stack(shifts, axis=1), w / w.sum(), axes=([1], [0]))
    out[:, kept] = source[:, kept]
    return out
