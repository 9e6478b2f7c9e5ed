"""Writers for small motion files in the documented text formats (BVH, ASF/AMC, NTU .skeleton).

The test files are produced here from first principles so the importers can be checked against
hand-computed positions; nothing is copied from real datasets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# A LaFAN/Mixamo-named human in centimetres: Y up, facing +Z, left side at +X, arms out (T-pose).
# (name, parent, offset, rotation channel order)
HUMAN = [
    ("Hips", None, (0, 95, 0), "ZXY"),
    ("Spine", "Hips", (0, 10, 0), "ZXY"),
    ("Spine1", "Spine", (0, 12, 0), "XYZ"),
    ("Spine2", "Spine1", (0, 12, 0), "ZXY"),
    ("Neck", "Spine2", (0, 20, 0), "ZXY"),
    ("Head", "Neck", (0, 10, 0), "ZXY"),
    ("LeftShoulder", "Spine2", (3, 16, 0), "ZXY"),
    ("LeftArm", "LeftShoulder", (12, 0, 0), "XYZ"),
    ("LeftForeArm", "LeftArm", (26, 0, 0), "ZXY"),
    ("LeftHand", "LeftForeArm", (25, 0, 0), "XYZ"),
    ("RightShoulder", "Spine2", (-3, 16, 0), "ZXY"),
    ("RightArm", "RightShoulder", (-12, 0, 0), "XYZ"),
    ("RightForeArm", "RightArm", (-26, 0, 0), "ZXY"),
    ("RightHand", "RightForeArm", (-25, 0, 0), "XYZ"),
    ("LeftUpLeg", "Hips", (9, -5, 0), "ZXY"),
    ("LeftLeg", "LeftUpLeg", (0, -42, 0), "XYZ"),
    ("LeftFoot", "LeftLeg", (0, -42, 0), "ZXY"),
    ("LeftToeBase", "LeftFoot", (0, -6, 13), "ZXY"),
    ("RightUpLeg", "Hips", (-9, -5, 0), "ZXY"),
    ("RightLeg", "RightUpLeg", (0, -42, 0), "XYZ"),
    ("RightFoot", "RightLeg", (0, -42, 0), "ZXY"),
    ("RightToeBase", "RightFoot", (0, -6, 13), "ZXY"),
]
END_SITES = {"Head": (0, 10, 0), "LeftHand": (8, 0, 0), "RightHand": (-8, 0, 0), "LeftToeBase": (0, 0, 5),
             "RightToeBase": (0, 0, 5)}


def human_channels(skeleton=HUMAN) -> dict[str, list[str]]:
    """BVH channel names per joint: 6 for the root (positions first), 3 rotations elsewhere."""
    out = {}
    for name, parent, _, order in skeleton:
        rot = [f"{a}rotation" for a in order]
        out[name] = (["Xposition", "Yposition", "Zposition"] if parent is None else []) + rot
    return out


def write_bvh(path: Path, frames: np.ndarray, frame_time: float = 1 / 30, skeleton=HUMAN,
              end_sites=END_SITES, channels: dict[str, list[str]] | None = None,
              rename: dict[str, str] | None = None) -> Path:
    """Write a BVH; ``frames`` (T, C) columns follow the hierarchy order of ``skeleton``."""
    channels = channels or human_channels(skeleton)
    rename = rename or {}
    children: dict[str | None, list] = {}
    for joint in skeleton:
        children.setdefault(joint[1], []).append(joint)
    lines = ["HIERARCHY"]

    def emit(joint, depth: int) -> None:
        name, parent, offset, _ = joint
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if parent is None else 'JOINT'} {rename.get(name, name)}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {offset[0]:.6f} {offset[1]:.6f} {offset[2]:.6f}")
        lines.append(f"{pad}  CHANNELS {len(channels[name])} {' '.join(channels[name])}")
        for child in children.get(name, []):
            emit(child, depth + 1)
        if name in end_sites:
            e = end_sites[name]
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {e[0]} {e[1]} {e[2]}", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit(children[None][0], 0)
    lines += ["MOTION", f"Frames: {len(frames)}", f"Frame Time: {frame_time:.7f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in frames]
    path.write_text("\n".join(lines) + "\n")
    return path


def column_index(skeleton=HUMAN, channels: dict[str, list[str]] | None = None) -> dict[tuple[str, str], int]:
    """(joint, channel name) -> column in the frame matrix."""
    channels = channels or human_channels(skeleton)
    out, col = {}, 0
    for name, *_ in skeleton:
        for c in channels[name]:
            out[(name, c)] = col
            col += 1
    return out


def rest_frames(num_frames: int, skeleton=HUMAN) -> np.ndarray:
    """(T, C) frames of the rest pose with the root at its OFFSET."""
    cols = column_index(skeleton)
    frames = np.zeros((num_frames, len(cols)))
    root = skeleton[0]
    for k, axis in enumerate("XYZ"):
        frames[:, cols[(root[0], f"{axis}position")]] = root[2][k]
    return frames


# ------------------------------------------------------------------------ ASF/AMC
# Two bones: a = (1,0,0)*2 with axis (0,0,90) and dof rx; b = (0,1,0)*1 with dof rz; ':units length 0.5'.
ASF = """# tiny test skeleton
:version 1.10
:name test
:units
  mass 1.0
  length 0.5
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name a
     direction 1 0 0
     length 2
     axis 0 0 90  XYZ
    dof rx
    limits (-180.0 180.0)
  end
  begin
     id 2
     name b
     direction 0 1 0
     length 1
     axis 0 0 0  XYZ
    dof rz
    limits (-180.0 180.0)
  end
:hierarchy
  begin
    root a
    a b
  end
"""
AMC = """:FULLY-SPECIFIED
:DEGREES
1
root 1 2 3 0 0 0
a 90
b 90
2
root 1 2 3 90 0 0
a 0
b 0
"""


# ------------------------------------------------------------------------ NTU RGB+D .skeleton
def write_ntu(path: Path, bodies: list[dict[str, np.ndarray]]) -> Path:
    """bodies[t] = {bodyID: (25, 3) joints}; writes the documented text layout."""
    lines = [str(len(bodies))]
    for frame in bodies:
        lines.append(str(len(frame)))
        for body_id, joints in frame.items():
            lines.append(f"{body_id} 0 1 1 1 1 0 0.01 -0.02 2")
            lines.append("25")
            for x, y, z in joints:
                lines.append(f"{x:.7f} {y:.7f} {z:.7f} 250.1 200.2 900.3 500.4 0.1 0.2 0.3 0.9 2")
    path.write_text("\n".join(lines) + "\n")
    return path
