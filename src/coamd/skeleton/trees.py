"""Joint layouts: SMPL-22 (HumanML3D), KIT-ML 21 (MMM), NTU RGB+D 25 (Kinect v2).

SMPL-22 order and chains follow HumanML3D (paper-brief §2.1); rest directions follow
HumanML3D's ``t2m_raw_offsets`` convention: Y up, the person faces +Z, the left side is +X.
"""

from __future__ import annotations

from .spec import Skeleton

_X, _NX, _Y, _NY, _Z = (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, 1.0)
_O = (0.0, 0.0, 0.0)

SMPL22 = Skeleton(
    name="smpl22",
    joint_names=(
        "pelvis", "L_hip", "R_hip", "spine1", "L_knee", "R_knee", "spine2", "L_ankle", "R_ankle",
        "spine3", "L_foot", "R_foot", "neck", "L_collar", "R_collar", "head", "L_shoulder",
        "R_shoulder", "L_elbow", "R_elbow", "L_wrist", "R_wrist",
    ),
    parents=(-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19),
    fps=20.0,
    chains=((0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15), (9, 14, 17, 19, 21), (9, 13, 16, 18, 20)),
    # HumanML3D t2m_raw_offsets: legs and arms hang down in the rest pose, feet point forward.
    rest_directions=(
        _O, _X, _NX, _Y, _NY, _NY, _Y, _NY, _NY, _Y, _Z, _Z, _Y, _X, _NX, _Z, _NY, _NY, _NY, _NY, _NY, _NY,
    ),
    face_joints=(2, 1, 17, 16),
    foot_joints=(7, 10, 8, 11),
)

KIT21 = Skeleton(
    name="kit21",
    joint_names=(
        "root", "BP", "BT", "BLN", "BUN", "L_shoulder", "L_elbow", "L_wrist", "R_shoulder", "R_elbow",
        "R_wrist", "L_hip", "L_knee", "L_ankle", "L_metatarsal", "L_foot", "R_hip", "R_knee", "R_ankle",
        "R_metatarsal", "R_foot",
    ),
    parents=(-1, 0, 1, 2, 3, 3, 5, 6, 3, 8, 9, 0, 11, 12, 13, 14, 0, 16, 17, 18, 19),
    fps=12.5,
    chains=((0, 11, 12, 13, 14, 15), (0, 16, 17, 18, 19, 20), (0, 1, 2, 3, 4), (3, 5, 6, 7), (3, 8, 9, 10)),
    # KIT kit_raw_offsets, same axis convention as SMPL-22.
    rest_directions=(
        _O, _Y, _Y, _Y, _Y, _X, _NY, _NY, _NX, _NY, _NY, _X, _NY, _NY, _Z, _Z, _NX, _NY, _NY, _Z, _Z,
    ),
    face_joints=(16, 11, 8, 5),
    foot_joints=(13, 15, 18, 20),
)

NTU25 = Skeleton(
    name="ntu25",
    joint_names=(
        "SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
        "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft",
        "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight", "SpineShoulder", "HandTipLeft",
        "ThumbLeft", "HandTipRight", "ThumbRight",
    ),
    parents=(-1, 0, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 1, 7, 7, 11, 11),
    fps=30.0,
    chains=(
        (0, 1, 20, 2, 3), (20, 4, 5, 6, 7, 21), (20, 8, 9, 10, 11, 23), (0, 12, 13, 14, 15),
        (0, 16, 17, 18, 19), (7, 22), (11, 24),
    ),
    rest_directions=(
        _O, _Y, _Y, _Y, _X, _NY, _NY, _NY, _NX, _NY, _NY, _NY, _X, _NY, _NY, _Z, _NX, _NY, _NY, _Z, _Y,
        _NY, _Z, _NY, _Z,
    ),
    face_joints=(16, 12, 8, 4),
    foot_joints=(14, 15, 18, 19),
)

SKELETONS: dict[str, Skeleton] = {s.name: s for s in (SMPL22, KIT21, NTU25)}

# NTU-25 (Kinect v2) -> SMPL-22, paper-brief §2.4. Entries are Kinect indices; SMPL joints without a
# Kinect equivalent are midpoints of two Kinect joints.
NTU_TO_SMPL22: dict[int, int | tuple[int, int]] = {
    0: 0, 1: 12, 2: 16, 3: 1, 4: 13, 5: 17, 6: (1, 20), 7: 14, 8: 18, 9: 20, 10: 15, 11: 19, 12: 2,
    13: (20, 4), 14: (20, 8), 15: 3, 16: 4, 17: 8, 18: 5, 19: 9, 20: 6, 21: 10,
}
