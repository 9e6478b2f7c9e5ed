"""BVH reader: hierarchy, channels and frames -> `RigMotion` (rotation channels in any order).

BVH semantics used here (the Biovision/Blender convention):
- a joint's rotation channels, in the order listed, give R = R_first @ R_second @ R_third (so
  ``Zrotation Xrotation Yrotation`` is R = Rz @ Rx @ Ry), in degrees;
- position channels *replace* the matching component of the joint's OFFSET (root included),
  so a root with position channels sits at the channel values, and non-root joints may carry
  position channels too (Bandai-Namco files give every joint six channels);
- an ``End Site`` is a leaf with an OFFSET and no channels.
The parser (`parse_bvh`) is shared with the BVH exporter's round-trip tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MotionFormatError
from ..skeleton.rotations import axis_rotation
from .rigmotion import RigMotion

_CHANNELS = {
    "xposition": ("pos", 0), "yposition": ("pos", 1), "zposition": ("pos", 2),
    "xrotation": ("rot", "X"), "yrotation": ("rot", "Y"), "zrotation": ("rot", "Z"),
}


@dataclass
class BvhFile:
    """The raw content of a BVH file.

    names/parents/is_end/offsets describe the tree (end sites named ``<parent>/end``);
    channels[j] lists joint j's channel names as written; frames: (T, C) float64, the columns
    in hierarchy order; frame_time in seconds.
    """

    names: list[str]
    parents: list[int]
    is_end: list[bool]
    offsets: np.ndarray
    channels: list[list[str]]
    frame_time: float
    frames: np.ndarray

    @property
    def fps(self) -> float:
        """1 / frame_time, snapped to a whole number when within 0.01 (0.0333333 -> 30)."""
        fps = 1.0 / self.frame_time
        return float(round(fps)) if abs(fps - round(fps)) < 0.01 else fps


def parse_bvh(path: str | Path) -> BvhFile:
    """Parse a BVH file; any structural problem raises MotionFormatError naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except IsADirectoryError:
        raise MotionFormatError(f"{path}: is a folder, not a BVH file") from None
    lines = text.splitlines()
    names: list[str] = []
    parents: list[int] = []
    is_end: list[bool] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    stack: list[int] = []
    pending: int | None = None  # joint declared, waiting for its "{"
    i, n = 0, len(lines)

    def fail(msg: str, line: int) -> MotionFormatError:
        return MotionFormatError(f"{path}: line {line + 1}: {msg}")

    while i < n and not lines[i].strip():
        i += 1
    if i >= n or lines[i].split()[0].upper() != "HIERARCHY":
        raise MotionFormatError(f"{path}: not a BVH file (it does not start with HIERARCHY)")
    if not any(ln.strip().upper() == "MOTION" for ln in lines[i:]):
        raise MotionFormatError(f"{path}: truncated (the HIERARCHY is not followed by a MOTION section)")
    i += 1
    while i < n:
        tokens = lines[i].split()
        if not tokens:
            i += 1
            continue
        key = tokens[0].upper()
        if key == "MOTION":
            break
        if key in ("ROOT", "JOINT") or (key == "END" and len(tokens) > 1 and tokens[1].upper() == "SITE"):
            if key == "ROOT" and (names or stack):
                raise fail("a second ROOT (only one skeleton per file is supported)", i)
            if key != "ROOT" and not stack:
                raise fail(f"{tokens[0]} outside of any joint block", i)
            end = key == "END"
            rest = [t for t in tokens[1 if not end else 2:] if t != "{"]
            parent = stack[-1] if stack else -1
            name = f"{names[parent]}/end" if end else " ".join(rest)
            if not end and not name:
                raise fail(f"{tokens[0]} without a name", i)
            names.append(name)
            parents.append(parent)
            is_end.append(end)
            offsets.append([0.0, 0.0, 0.0])
            channels.append([])
            pending = len(names) - 1
            if "{" in tokens:
                stack.append(pending)
                pending = None
        elif key == "{":
            if pending is None:
                raise fail("'{' without a joint", i)
            stack.append(pending)
            pending = None
        elif key == "}":
            if not stack:
                raise fail("unbalanced '}'", i)
            stack.pop()
        elif key == "OFFSET":
            if not stack:
                raise fail("OFFSET outside of a joint block", i)
            try:
                offsets[stack[-1]] = [float(v) for v in tokens[1:4]]
            except ValueError:
                raise fail(f"OFFSET needs three numbers, got {' '.join(tokens[1:])!r}", i) from None
            if len(tokens) < 4:
                raise fail("OFFSET needs three numbers", i)
        elif key == "CHANNELS":
            if not stack:
                raise fail("CHANNELS outside of a joint block", i)
            try:
                count = int(tokens[1])
            except (IndexError, ValueError):
                raise fail("CHANNELS needs a count", i) from None
            chans = tokens[2:]
            if len(chans) != count:
                raise fail(f"CHANNELS says {count} but lists {len(chans)}", i)
            for c in chans:
                if c.lower() not in _CHANNELS:
                    raise fail(f"unknown channel {c!r}", i)
            channels[stack[-1]] = chans
        else:
            raise fail(f"unexpected {tokens[0]!r} in HIERARCHY", i)
        i += 1
    if i >= n:
        raise MotionFormatError(f"{path}: truncated (no MOTION section)")
    if stack or pending is not None:
        raise fail("the HIERARCHY has unclosed '{' blocks (truncated?)", i)
    if not names:
        raise MotionFormatError(f"{path}: the HIERARCHY declares no joints")
    frame_count, frame_time, first = _motion_header(path, lines, i + 1)
    num_channels = sum(len(c) for c in channels)
    frames = _read_frames(path, lines, first, frame_count, num_channels)
    return BvhFile(names, parents, is_end, np.asarray(offsets, dtype=np.float64), channels, frame_time, frames)


MIN_FRAME_TIME, MAX_FRAME_TIME = 1e-4, 10.0  # 10 kHz capture to one pose every 10 s


def _motion_header(path: Path, lines: list[str], i: int) -> tuple[int, float, int]:
    """Frames: N and Frame Time: dt; returns (N, dt, index of the first frame line)."""
    values: dict[str, str] = {}
    while i < len(lines) and len(values) < 2:
        line = lines[i].strip()
        i += 1
        if not line:
            continue
        key, _, value = line.partition(":")
        key = " ".join(key.lower().split())
        if key not in ("frames", "frame time"):
            raise MotionFormatError(f"{path}: line {i}: expected 'Frames:' and 'Frame Time:', got {line[:40]!r}")
        values[key] = value.strip()
    if len(values) < 2:
        raise MotionFormatError(f"{path}: truncated (MOTION without 'Frames:' and 'Frame Time:')")
    try:
        count, dt = int(values["frames"]), float(values["frame time"])
    except ValueError:
        raise MotionFormatError(f"{path}: bad 'Frames:' / 'Frame Time:' values") from None
    if count < 1:
        raise MotionFormatError(f"{path}: has no frames (Frames: {count})")
    if not np.isfinite(dt) or dt <= 0:
        raise MotionFormatError(f"{path}: Frame Time must be positive, got {dt}")
    if not MIN_FRAME_TIME <= dt <= MAX_FRAME_TIME:
        raise MotionFormatError(f"{path}: Frame Time {dt:g} s is outside {MIN_FRAME_TIME:g}-{MAX_FRAME_TIME:g} s "
                                f"({1 / MAX_FRAME_TIME:g}-{1 / MIN_FRAME_TIME:g} fps)")
    return count, dt, i


def _read_frames(path: Path, lines: list[str], first: int, count: int, num_channels: int) -> np.ndarray:
    rows = [ln for ln in lines[first:] if ln.strip()]
    if len(rows) < count:
        raise MotionFormatError(f"{path}: truncated: 'Frames: {count}' but only {len(rows)} frame line(s)")
    rows = rows[:count]
    try:
        flat = np.array(" ".join(rows).split(), dtype=np.float64)
    except ValueError:
        bad = next(k for k, r in enumerate(rows) if not _is_numeric(r))
        raise MotionFormatError(f"{path}: frame {bad + 1} holds a value that is not a number") from None
    if flat.size != count * num_channels:
        bad = next((k for k, r in enumerate(rows) if len(r.split()) != num_channels), count - 1)
        got = len(rows[bad].split())
        raise MotionFormatError(
            f"{path}: frame {bad + 1} has {got} values, expected {num_channels} (truncated or corrupt)")
    return flat.reshape(count, num_channels)


def _is_numeric(row: str) -> bool:
    try:
        np.array(row.split(), dtype=np.float64)
    except ValueError:
        return False
    return True


def bvh_to_rig(bvh: BvhFile) -> RigMotion:
    """Channels -> local rotations, root path and (if any) per-frame joint translations."""
    T, J = bvh.frames.shape[0], len(bvh.names)
    rot = np.broadcast_to(np.eye(3), (T, J, 3, 3)).copy()  # (T, J, 3, 3)
    trans = np.broadcast_to(bvh.offsets, (T, J, 3)).copy()  # (T, J, 3)
    moved = False
    col = 0
    for j, chans in enumerate(bvh.channels):
        local = None
        for c in chans:
            kind, axis = _CHANNELS[c.lower()]
            values = bvh.frames[:, col]
            col += 1
            if kind == "pos":
                trans[:, j, axis] = values
                moved = moved or bvh.parents[j] >= 0
            else:
                r = axis_rotation(axis, np.deg2rad(values))  # (T, 3, 3)
                local = r if local is None else local @ r
        if local is not None:
            rot[:, j] = local
    root = bvh.parents.index(-1)
    root_positions = trans[:, root].copy()
    return RigMotion(list(bvh.names), list(bvh.parents), list(bvh.is_end), bvh.offsets.copy(), rot,
                     root_positions, bvh.fps, trans if moved else None)


def read_bvh(path: str | Path) -> RigMotion:
    """Parse a BVH file straight into a `RigMotion` in file units at the file's frame rate."""
    return bvh_to_rig(parse_bvh(path))
