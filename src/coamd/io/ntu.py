"""NTU RGB+D ``.skeleton`` reader -> SMPL-22 joints (paper-brief §2.4).

File layout (Kinect v2 body tracking dumped as text): the frame count; per frame the body
count; per body one line of 10 values (bodyID, clipedEdges, handLeftConfidence, handLeftState,
handRightConfidence, handRightState, isRestricted, leanX, leanY, trackingState), the joint
count (25), then one line per joint of 12 values (x y z depthX depthY colorX colorY
orientationW orientationX orientationY orientationZ trackingState).

x, y, z are Kinect camera space in metres: X towards the sensor's left, Y up, Z out of the
sensor. That frame is right-handed with Y up, so it only needs the canonical floor / origin /
facing steps, no mirroring. With two people the main actor is the body whose joints move most
(sum of per-joint position variance); NTU-25 maps to SMPL-22 with `NTU_TO_SMPL22` (midpoints
for spine2 and the collars).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MotionFormatError
from ..skeleton import NTU25, NTU_TO_SMPL22, SMPL22

NTU_FPS = 30.0


def read_ntu_bodies(path: str | Path) -> dict[str, np.ndarray]:
    """All tracked bodies of a ``.skeleton`` file: {bodyID: (T, 25, 3)}, NaN where absent."""
    path = Path(path)
    lines = [row for row in (ln.split() for ln in path.read_text(encoding="latin-1").splitlines()) if row]
    pos = 0

    def take(count: int | None, what: str) -> list[str]:
        nonlocal pos
        if pos >= len(lines):
            raise MotionFormatError(f"{path}: truncated: file ends while reading {what}")
        row = lines[pos]
        if count is not None and len(row) < count:
            raise MotionFormatError(f"{path}: line {pos + 1}: {what} has {len(row)} values, expected {count}")
        pos += 1
        return row

    def number(row: list[str], what: str) -> int:
        try:
            return int(row[0])
        except ValueError:
            raise MotionFormatError(f"{path}: line {pos}: expected {what} (an integer), got {row[0]!r}") from None

    num_frames = number(take(1, "the frame count"), "the frame count")
    if num_frames < 1:
        raise MotionFormatError(f"{path}: has no frames")
    per_frame: list[dict[str, np.ndarray]] = []
    for t in range(num_frames):
        bodies: dict[str, np.ndarray] = {}
        num_bodies = number(take(1, f"frame {t + 1}'s body count"), "a body count")
        for _ in range(num_bodies):
            header = take(10, f"frame {t + 1}'s body header")
            num_joints = number(take(1, "a joint count"), "a joint count")
            if num_joints != NTU25.num_joints:
                raise MotionFormatError(f"{path}: frame {t + 1}: {num_joints} joints per body, expected 25")
            rows = [take(12, f"frame {t + 1}'s joint {k + 1}")[:3] for k in range(num_joints)]
            try:
                joints = np.asarray(rows, dtype=np.float64)  # (25, 3)
            except ValueError:
                raise MotionFormatError(f"{path}: frame {t + 1}: a joint value is not a number") from None
            if np.any(joints != 0.0):  # all zeros: Kinect lost the body in this frame
                bodies[header[0]] = joints
        per_frame.append(bodies)
    ids = list(dict.fromkeys(b for frame in per_frame for b in frame))
    if not ids:
        raise MotionFormatError(f"{path}: no body is tracked in any frame")
    out = {}
    for body in ids:
        track = np.full((num_frames, NTU25.num_joints, 3), np.nan)
        for t, frame in enumerate(per_frame):
            if body in frame:
                track[t] = frame[body]
        out[body] = track
    return out


def motion_energy(track: np.ndarray) -> float:
    """Sum over joints and axes of the position variance over the frames where the body is seen."""
    seen = track[~np.isnan(track).any(axis=(1, 2))]
    return float(seen.var(axis=0).sum()) if len(seen) > 1 else 0.0


def main_actor(bodies: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
    """(bodyID, (T', 25, 3)) of the most-moving body, cut to its first..last seen frame with
    gaps filled by linear interpolation."""
    body = max(bodies, key=lambda b: motion_energy(bodies[b]))
    track = bodies[body]
    seen = ~np.isnan(track).any(axis=(1, 2))
    frames = np.flatnonzero(seen)
    track = track[frames[0]: frames[-1] + 1]
    seen = seen[frames[0]: frames[-1] + 1]
    if not seen.all():
        t = np.arange(len(track))
        flat = track.reshape(len(track), -1)
        for c in range(flat.shape[1]):
            flat[~seen, c] = np.interp(t[~seen], t[seen], flat[seen, c])
        track = flat.reshape(track.shape)
    return body, track


def ntu_to_smpl(joints: np.ndarray) -> np.ndarray:
    """(T, 25, 3) Kinect joints -> (T, 22, 3) SMPL-22 joints via `NTU_TO_SMPL22`."""
    out = np.empty((joints.shape[0], SMPL22.num_joints, 3), dtype=np.float64)
    for smpl, src in NTU_TO_SMPL22.items():
        out[:, smpl] = joints[:, src] if isinstance(src, int) else 0.5 * (joints[:, src[0]] + joints[:, src[1]])
    return out
