"""Inverse kinematics: joint positions -> joint rotations on a fixed rest skeleton (Tasks §5).

Used by the BVH exporter (`coamd.io.bvh_write`). The paper's models work on joint *positions*
(66-d absolute joints, paper-brief §2.1); animation tools want *rotations*. Given a (T, J, 3)
motion and the rest (T-pose) bone directions, `solve_ik` returns rest offsets and per-frame
rotations whose forward kinematics reproduce the input:

* Bone offsets come from the motion itself: a single-child bone is its rest direction times the
  median length over frames; the children of a branching joint (pelvis: hips + spine, spine3:
  neck + collars) keep their measured layout, expressed in the branching joint's own frame
  (averaged over frames), so a rigid pelvis/chest shape is reproduced exactly.
* Branching joints: the global rotation is the Kabsch (SVD) fit of the rest offsets of all
  children onto the observed child bones, each child weighted by the size of its subtree (when
  the data's pelvis is not rigid, as in AMC rigs with a separate lowerback, the fit favours the
  spine that carries 13 joints over a hip that carries 4).
* Every bone is aimed from its parent's *reconstructed* position, so an error the rest skeleton
  cannot avoid is not compounded down the chain.
* Single-child joints: the swing that maps the rest bone direction onto the observed one. The
  twist about the bone is not observable from one bone, so it is fixed by a second reference:
  - limbs (hip -> knee -> ankle, shoulder -> elbow -> wrist, knee -> ankle -> foot): the plane of
    the limb must map onto the rest plane, so knees and elbows act as hinges. When the limb is
    nearly straight the plane is undefined; the twist is then interpolated in time from the
    nearest frames where it was defined (no sudden roll of a straightened leg);
  - spine segments between two branching joints (spine1, spine2 between the pelvis and spine3):
    the twist is spread along the chain by slerping between the two branching frames, i.e.
    between the hip "across" and the shoulder "across" directions;
  - anything else (collars, neck, ankles, elbows): the smallest rotation from the parent's frame.
* Leaves (head, wrists, feet) carry no observable rotation: identity relative to the parent.

The twist choices never change joint positions; they make the rotation curves smooth and
anatomically plausible, which matters once a mesh is driven by the exported skeleton. There is
no singularity when the character faces backwards (no "flip at 180°" as in MoMask's exporter):
the root frame is a least-squares fit, not a rotation-between of a facing vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import SMPL22, Skeleton, forward_kinematics
from ..skeleton.rotations import axis_angle_to_matrix, matrix_to_quat, rotation_between

# Direction in which the *child* hinge bends, in the rest frame (Y up, facing +Z): knees bend
# backwards, elbows forwards (T-pose, palms down). Keyed by the joint whose child is the hinge.
BEND_DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "L_hip": (0.0, 0.0, -1.0), "R_hip": (0.0, 0.0, -1.0),
    "L_shoulder": (0.0, 0.0, 1.0), "R_shoulder": (0.0, 0.0, 1.0),
}

# Limb-plane confidence: sin(angle between the two limb bones) below LO -> plane ignored,
# above HI -> plane fully trusted (about 3 and 14.5 degrees).
_PLANE_LO, _PLANE_HI = 0.05, 0.25


@dataclass
class IKResult:
    """Rotations and offsets that reproduce a motion by forward kinematics.

    offsets: (J, 3) rest offset of each joint from its parent, in the parent's frame (root: 0).
    local_rotations: (T, J, 3, 3) rotation of each joint relative to its parent's frame.
    global_rotations: (T, J, 3, 3) rotation of each joint's frame in the world.
    root_positions: (T, 3) world position of the root joint.
    """

    offsets: np.ndarray
    local_rotations: np.ndarray
    global_rotations: np.ndarray
    root_positions: np.ndarray

    def positions(self, skeleton: Skeleton = SMPL22) -> np.ndarray:
        """Forward kinematics of this solution: (T, J, 3)."""
        pos, _ = forward_kinematics(skeleton, self.local_rotations, self.offsets, self.root_positions)
        return pos


def solve_ik(
    joints: np.ndarray,
    skeleton: Skeleton = SMPL22,
    rest_directions: np.ndarray | None = None,
    bend_directions: dict[str, tuple[float, float, float]] | None = None,
) -> IKResult:
    """Per-frame joint rotations whose FK reproduces ``joints`` (T, J, 3).

    Args:
        rest_directions: (J, 3) rest-pose direction of each joint's incoming bone (root row
            ignored); default ``skeleton.rest_directions``.
        bend_directions: joint name -> direction its child hinge bends in the rest frame;
            default `BEND_DIRECTIONS` (applied to the joints the skeleton has).
    """
    x = np.asarray(joints, dtype=np.float64)  # (T, J, 3)
    J = skeleton.num_joints
    if x.ndim != 3 or x.shape[1:] != (J, 3):
        raise ValueError(f"expected joints of shape (T, {J}, 3), got {tuple(x.shape)}")
    T = x.shape[0]
    rest = _unit(np.asarray(skeleton.rest_directions if rest_directions is None else rest_directions,
                            dtype=np.float64))  # (J, 3)
    bends = BEND_DIRECTIONS if bend_directions is None else bend_directions
    kids = [skeleton.children(j) for j in range(J)]
    parents = skeleton.parents
    order = skeleton.topological_order
    bone = x - x[:, [max(p, 0) for p in parents]]  # (T, J, 3) offset of each joint from its parent
    size = np.ones(J)  # joints in each subtree: how many joints a misplaced child drags along
    for j in reversed(order):
        size[j] += sum(size[c] for c in kids[j])

    # rest offsets, and the frames of branching joints fitted to the observed child bones
    offsets = np.zeros((J, 3))
    branch = np.zeros((T, J, 3, 3))
    for j in range(J):
        if len(kids[j]) >= 2:
            obs = bone[:, kids[j]]  # (T, K, 3)
            # weight each child by its subtree: a misplaced spine1 drags 13 joints, a hip 4
            w = size[kids[j]]  # (K,)
            frame = _kabsch(rest[kids[j]], _unit(obs), w)  # (T, 3, 3)
            for _ in range(3):  # alternate layout and frames (least squares on both)
                layout = np.einsum("tji,tkj->tki", frame, obs).mean(axis=0)  # (K, 3)
                frame = _kabsch(layout, obs, w)
            offsets[kids[j]], branch[:, j] = layout, frame
        elif len(kids[j]) == 1:
            c = kids[j][0]
            offsets[c] = rest[c] * np.median(np.linalg.norm(bone[:, c], axis=-1))

    # parents first; each bone is aimed from the *reconstructed* parent position, so an error
    # the rest skeleton cannot avoid (a non-rigid pelvis in the data) is not compounded down the chain
    glob = np.zeros((T, J, 3, 3))
    recon = np.zeros_like(x)
    recon[:, skeleton.root] = x[:, skeleton.root]
    eye = np.broadcast_to(np.eye(3), (T, 3, 3))
    for j in order:
        p = parents[j]
        if len(kids[j]) >= 2:
            glob[:, j] = _kabsch(offsets[kids[j]], x[:, kids[j]] - recon[:, j, None], size[kids[j]])
        elif not kids[j]:  # leaf: nothing below it to observe
            glob[:, j] = eye if p < 0 else glob[:, p]
        else:
            c = kids[j][0]
            aim = x[:, c] - recon[:, j]  # (T, 3)
            ref = _reference_frame(j, kids, parents, glob, branch, bends, skeleton, rest, eye)
            swing = rotation_between(np.einsum("tij,j->ti", ref, rest[c]), aim)  # (T, 3, 3)
            glob[:, j] = swing @ ref
            n_rest = _plane_normal(j, kids, bends, skeleton, rest)
            if n_rest is not None:
                hinge = skeleton.joint_names[j] in bends
                twist = _limb_twist(glob[:, j], aim, bone[:, kids[c][0]], n_rest, hinge)
                glob[:, j] = twist @ glob[:, j]
        for c in kids[j]:
            recon[:, c] = recon[:, j] + np.einsum("tij,j->ti", glob[:, j], offsets[c])

    local = np.empty_like(glob)
    for j in range(J):
        p = parents[j]
        local[:, j] = glob[:, j] if p < 0 else np.swapaxes(glob[:, p], -1, -2) @ glob[:, j]
    return IKResult(offsets=offsets, local_rotations=local, global_rotations=glob,
                    root_positions=x[:, skeleton.root].copy())


# ---------------------------------------------------------------------------------- twist rules
def _plane_normal(j: int, kids: list[list[int]], bends: dict, skeleton: Skeleton,
                  rest: np.ndarray) -> np.ndarray | None:
    """Rest-frame normal of the plane (joint, child, grandchild), or None if no plane rule."""
    c = kids[j][0]
    if len(kids[c]) != 1:
        return None
    name = skeleton.joint_names[j]
    if name in bends:  # a hinge that is straight at rest (hip-knee-ankle, shoulder-elbow-wrist)
        n = np.cross(rest[c], np.asarray(bends[name], dtype=np.float64))
    else:  # a limb that is bent at rest (knee-ankle-foot)
        n = np.cross(rest[c], rest[kids[c][0]])
    norm = np.linalg.norm(n)
    return n / norm if norm > 0.5 else None


def _reference_frame(j: int, kids: list[list[int]], parents: tuple[int, ...], glob: np.ndarray,
                     branch: np.ndarray, bends: dict, skeleton: Skeleton, rest: np.ndarray,
                     eye: np.ndarray) -> np.ndarray:
    """Frame the swing of single-child joint j starts from: the parent's, or a slerp along a spine.

    ``glob`` holds the frames solved so far, ``branch`` the fitted frames of branching joints.
    """
    p = parents[j]
    if p < 0:
        return eye
    if _plane_normal(j, kids, bends, skeleton, rest) is not None:
        return glob[:, p]
    down, k = 0, j
    while len(kids[k]) == 1:
        k, down = kids[k][0], down + 1
    if len(kids[k]) < 2:  # the chain ends in a leaf: no frame below to blend towards
        return glob[:, p]
    up, a = 1, p
    while parents[a] >= 0 and len(kids[a]) == 1 and _plane_normal(a, kids, bends, skeleton, rest) is None:
        a, up = parents[a], up + 1
    return _slerp(glob[:, a], branch[:, k], up / (up + down))


def _limb_twist(frame: np.ndarray, v1: np.ndarray, v2: np.ndarray, n_rest: np.ndarray,
                hinge: bool) -> np.ndarray:
    """Rotation about bone v1 (T, 3) that turns frame's rest plane normal onto the observed plane.

    Where the limb is clearly bent the observed plane fixes the twist (unwrapped over time).
    Where it is nearly straight the plane is noise: the twist is interpolated in time from the
    clearly bent frames and only nudged towards the observed plane, by a weight that grows with
    the bend. For a hinge that is straight at rest (``hinge``: knee, elbow) a slightly bent limb
    whose plane is flipped is read as hyperextension (the twist is compared modulo pi), not as
    a limb rolled round by half a turn.
    """
    axis = _unit(v1)  # (T, 3)
    n_obs = np.cross(v1, v2)
    sin = np.linalg.norm(n_obs, axis=-1) / np.maximum(
        np.linalg.norm(v1, axis=-1) * np.linalg.norm(v2, axis=-1), 1e-12)
    a = np.einsum("tij,j->ti", frame, n_rest)  # (T, 3), perpendicular to axis
    b = _unit(n_obs)
    phi = np.arctan2(np.sum(axis * np.cross(a, b), -1), np.sum(a * b, -1))  # (T,)
    w = np.clip((sin - _PLANE_LO) / (_PLANE_HI - _PLANE_LO), 0.0, 1.0)
    w = w * w * (3.0 - 2.0 * w)  # smoothstep
    sure = w >= 1.0 - 1e-9
    t = np.arange(len(phi))
    fill = np.interp(t, t[sure], np.unwrap(phi[sure])) if sure.any() else np.zeros_like(phi)
    phi = fill + w * _wrap(phi - fill, 2.0 if hinge else 1.0)
    return axis_angle_to_matrix(axis, phi)


# ---------------------------------------------------------------------------------- helpers
def _kabsch(src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Rotations R (T, 3, 3) minimising sum_k w_k |R src_k - dst_tk|^2; src (K, 3), dst (T, K, 3)."""
    h = np.einsum("k,ki,tkj->tij", weight, src, dst)  # (T, 3, 3)
    u, _, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, -1, -2)
    d = np.sign(np.linalg.det(v @ np.swapaxes(u, -1, -2)))
    d = np.where(d == 0, 1.0, d)
    fix = np.broadcast_to(np.eye(3), h.shape).copy()
    fix[:, 2, 2] = d
    return v @ fix @ np.swapaxes(u, -1, -2)


def _slerp(r0: np.ndarray, r1: np.ndarray, alpha: float) -> np.ndarray:
    """Rotation a fraction ``alpha`` of the way from r0 to r1 (both (T, 3, 3))."""
    q = matrix_to_quat(np.swapaxes(r0, -1, -2) @ r1)  # (T, 4), w >= 0
    angle = 2.0 * np.arctan2(np.linalg.norm(q[:, 1:], axis=-1), q[:, 0])
    return r0 @ axis_angle_to_matrix(q[:, 1:], alpha * angle)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _wrap(a: np.ndarray, k: float = 1.0) -> np.ndarray:
    """Angles modulo 2 pi / k, to [-pi / k, pi / k]."""
    period = 2.0 * np.pi / k
    return a - period * np.round(a / period)
