"""Forward kinematics on any `Skeleton`: local rotations + offsets + root path -> joint positions."""

from __future__ import annotations

import numpy as np

from .spec import Skeleton


def forward_kinematics(
    skeleton: Skeleton,
    local_rotations: np.ndarray,
    offsets: np.ndarray,
    root_positions: np.ndarray,
    parents: tuple[int, ...] | None = None,
    order: list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions from per-joint local rotations.

    Args:
        local_rotations: (T, J, 3, 3) rotation of each joint relative to its parent's frame.
        offsets: (J, 3) or (T, J, 3) offset of each joint from its parent in the parent's frame.
        root_positions: (T, 3) world position of the root joint.
        parents, order: override the skeleton's tree (used by importers whose rig is not a
            registered `Skeleton`; pass ``skeleton=None`` then).
    Returns:
        positions (T, J, 3) and global rotations (T, J, 3, 3).
    """
    parents = skeleton.parents if parents is None else parents
    order = skeleton.topological_order if order is None else order
    T, J = local_rotations.shape[:2]
    offsets = np.broadcast_to(np.asarray(offsets, dtype=np.float64), (T, J, 3))
    glob = np.empty((T, J, 3, 3), dtype=np.float64)
    pos = np.empty((T, J, 3), dtype=np.float64)
    for j in order:
        p = parents[j]
        if p < 0:
            glob[:, j] = local_rotations[:, j]
            pos[:, j] = root_positions
        else:
            glob[:, j] = glob[:, p] @ local_rotations[:, j]
            pos[:, j] = pos[:, p] + np.einsum("tij,tj->ti", glob[:, p], offsets[:, j])
    return pos, glob


def topological_order(parents: tuple[int, ...] | list[int]) -> list[int]:
    """Order of joints (parents first) for an arbitrary parent list with one root."""
    children: dict[int, list[int]] = {}
    for j, p in enumerate(parents):
        children.setdefault(p, []).append(j)
    order, frontier = [], list(children.get(-1, []))
    while frontier:
        j = frontier.pop(0)
        order.append(j)
        frontier.extend(children.get(j, []))
    if len(order) != len(parents):
        raise ValueError("parent list is not a single tree rooted at -1")
    return order
