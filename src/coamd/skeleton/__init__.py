"""Layer 0: joint layouts, rotations, forward kinematics and the canonical motion convention.

Pure NumPy; imports nothing else from coamd.
"""

from .canonical import (
    CANONICAL_FPS,
    canonicalize,
    facing_angles,
    facing_directions,
    mirror,
    resample,
    root_trajectory,
    rotate_yaw,
    validate_motion,
)
from .kinematics import forward_kinematics, topological_order
from .spec import Skeleton
from .trees import KIT21, NTU25, NTU_TO_SMPL22, SKELETONS, SMPL22

__all__ = [
    "CANONICAL_FPS", "KIT21", "NTU25", "NTU_TO_SMPL22", "SKELETONS", "SMPL22", "Skeleton", "canonicalize",
    "facing_angles", "facing_directions", "forward_kinematics", "mirror", "resample", "root_trajectory",
    "rotate_yaw", "topological_order", "validate_motion",
]
