"""The `Skeleton` object: the single source of truth for one joint layout.

Joint names, parents, bones, kinematic chains, the left/right mirror map, the joints used to
find the facing direction, and the frame rate of the layout's native data all live here, so no
other module tests a dataset name to learn a joint count or an fps (style.md rule 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Skeleton:
    """Kinematic tree of one layout. Joint j's parent is ``parents[j]``; the root has -1.

    Parents need not precede children in index order (NTU's neck hangs off joint 20); use
    ``topological_order`` for forward kinematics.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    fps: float
    chains: tuple[tuple[int, ...], ...]  # kinematic chains for drawing, root first
    rest_directions: tuple[tuple[float, float, float], ...]  # unit rest (T-pose) bone directions
    face_joints: tuple[int, int, int, int]  # (right hip, left hip, right shoulder, left shoulder)
    foot_joints: tuple[int, ...] = ()  # (left ankle, left foot, right ankle, right foot)
    _index: dict = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.joint_names) != len(self.parents):
            raise ValueError(f"{self.name}: {len(self.joint_names)} names vs {len(self.parents)} parents")
        if len(self.rest_directions) != len(self.parents):
            raise ValueError(f"{self.name}: rest_directions must have one row per joint")
        if sum(p < 0 for p in self.parents) != 1:
            raise ValueError(f"{self.name}: exactly one root (parent -1) is required")
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(self.joint_names)})
        _ = self.topological_order  # raises on cycles

    # ------------------------------------------------------------------ structure
    @property
    def num_joints(self) -> int:
        return len(self.parents)

    @property
    def root(self) -> int:
        return self.parents.index(-1)

    def index(self, name: str) -> int:
        """Joint index of ``name``; KeyError names the skeleton and the joint."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"skeleton {self.name!r} has no joint {name!r}") from None

    def bones(self) -> list[tuple[int, int]]:
        """(parent, child) pairs, one per non-root joint."""
        return [(p, j) for j, p in enumerate(self.parents) if p >= 0]

    def children(self, j: int) -> list[int]:
        return [c for c, p in enumerate(self.parents) if p == j]

    @property
    def topological_order(self) -> list[int]:
        """Joint indices such that every parent comes before its children."""
        order, seen = [], set()
        frontier = [self.root]
        while frontier:
            j = frontier.pop(0)
            if j in seen:
                raise ValueError(f"{self.name}: cycle in parents at joint {j}")
            seen.add(j)
            order.append(j)
            frontier.extend(self.children(j))
        if len(order) != self.num_joints:
            missing = sorted(set(range(self.num_joints)) - seen)
            raise ValueError(f"{self.name}: joints {missing} are not connected to the root")
        return order

    @property
    def mirror_map(self) -> tuple[int, ...]:
        """Index of each joint's left/right counterpart (itself for centre joints).

        Derived from names: a 'left'/'L_' joint pairs with the same name on the right.
        """
        out = []
        for name in self.joint_names:
            out.append(self._index.get(_swap_side(name), self._index[name]))
        return tuple(out)

    def side_of(self, j: int) -> str:
        """'left', 'right' or 'centre' (used for colours when drawing)."""
        name = self.joint_names[j]
        swapped = _swap_side(name)
        if swapped == name or swapped not in self._index:
            return "centre"
        return "left" if _side_token(name) == "left" else "right"

    def bone_lengths(self, joints: np.ndarray) -> np.ndarray:
        """Bone lengths (..., J-1) of joint positions (..., J, 3), in bone() order."""
        b = self.bones()
        par = np.array([p for p, _ in b])
        chi = np.array([c for _, c in b])
        return np.linalg.norm(joints[..., chi, :] - joints[..., par, :], axis=-1)

    def rest_offsets(self, lengths: np.ndarray | None = None) -> np.ndarray:
        """(J, 3) T-pose offsets from each parent: rest direction times bone length.

        ``lengths`` is (J,) indexed by child joint (the root's entry is ignored); default 1.
        """
        dirs = np.asarray(self.rest_directions, dtype=np.float64)
        if lengths is None:
            return dirs.copy()
        out = dirs * np.asarray(lengths, dtype=np.float64)[:, None]
        out[self.root] = 0.0
        return out


_SIDE_PAIRS = (("L_", "R_"), ("left_", "right_"), ("Left", "Right"), ("left", "right"))


def _side_token(name: str) -> str | None:
    for left, right in _SIDE_PAIRS:
        if left in name:
            return "left"
        if right in name:
            return "right"
    return None


def _swap_side(name: str) -> str:
    for left, right in _SIDE_PAIRS:
        if left in name:
            return name.replace(left, right, 1)
        if right in name:
            return name.replace(right, left, 1)
    return name
