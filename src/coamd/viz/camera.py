"""Camera for motion previews: where to look, how far to zoom, and a small perspective projection.

The same framing is used by the matplotlib renderer (GIF/MP4/PNG) and embedded in the HTML
viewer, so every preview of a motion looks alike. Two framings (Foundation issue §6):

* ``fit``: one fixed view holding every joint of every frame (good for in-place motions);
* ``follow``: the view tracks the root's ground path, smoothed so the camera does not shake,
  and zoomed out enough that the body never leaves the frame (good for walks and runs);
* ``auto`` picks ``fit`` unless that would shrink the figure too much.

Panels shown side by side share one zoom (the largest) so their sizes compare honestly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..errors import CoamdError
from ..skeleton import Skeleton

CAMERA_MODES = ("auto", "fit", "follow")

# "auto" keeps the fixed view while it is at most this much wider than the following view.
_AUTO_FIT_RATIO = 1.25
_FOLLOW_WINDOW_S = 1.5  # seconds of root path averaged by the following camera
_MARGIN_M = 0.12  # metres of empty space kept around the body


@dataclass(frozen=True)
class Framing:
    """Per-frame look-at points (T, 3) and the half-height (metres) of the view around them."""

    targets: np.ndarray
    radius: float
    mode: str


def body_extent(joints: np.ndarray) -> float:
    """Largest per-frame size of the body along any axis, in metres: (T, J, 3) -> float."""
    per_frame = np.ptp(joints, axis=1)  # (T, 3)
    return float(max(per_frame.max(), 0.5))


def _smooth(path: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along time with edge padding: (T, C) -> (T, C)."""
    if window <= 1 or path.shape[0] < 3:
        return path.copy()
    half = window // 2
    padded = np.concatenate([np.repeat(path[:1], half, 0), path, np.repeat(path[-1:], half, 0)], axis=0)
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    return np.stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(path.shape[1])], axis=1)


def frame_motion(joints: np.ndarray, skeleton: Skeleton, mode: str = "auto", fps: float = 20.0) -> Framing:
    """Choose the camera for one motion (T, J, 3) in metres, Y up."""
    if mode not in CAMERA_MODES:
        raise CoamdError(f"camera: unknown mode {mode!r}; choose one of {', '.join(CAMERA_MODES)}")
    T = joints.shape[0]
    extent = body_extent(joints)
    mid_height = 0.5 * (float(joints[..., 1].min()) + float(joints[..., 1].max()))

    lo, hi = joints.reshape(-1, 3).min(0), joints.reshape(-1, 3).max(0)
    fit_target = np.array([0.5 * (lo[0] + hi[0]), mid_height, 0.5 * (lo[2] + hi[2])])
    fit_radius = 0.5 * float(max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])) * 1.1 + _MARGIN_M

    root_xz = joints[:, skeleton.root][:, [0, 2]].astype(np.float64)  # (T, 2)
    track = _smooth(root_xz, round(_FOLLOW_WINDOW_S * fps))
    # The body may stray from the smoothed track; widen the view by the worst straying.
    stray = float(np.linalg.norm(joints[..., [0, 2]] - track[:, None, :], axis=-1).max())
    follow_radius = max(0.6 * extent, stray) + _MARGIN_M
    follow_targets = np.stack([track[:, 0], np.full(T, mid_height), track[:, 1]], axis=1)  # (T, 3)

    if mode == "auto":
        mode = "fit" if fit_radius <= _AUTO_FIT_RATIO * follow_radius else "follow"
    if mode == "fit":
        return Framing(np.repeat(fit_target[None], T, 0), fit_radius, "fit")
    return Framing(follow_targets, follow_radius, "follow")


@dataclass(frozen=True)
class Camera:
    """A perspective camera orbiting its look-at point.

    azimuth 0 looks from +Z (the canonical first frame faces the viewer, the person's left on
    screen right); positive azimuth swings the camera towards +X. ``distance`` is in units of
    the framing radius: larger is flatter (closer to orthographic).
    """

    azimuth_deg: float = 30.0
    elevation_deg: float = 20.0
    distance: float = 4.5

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit (right, up, forward) vectors of the view, world coordinates."""
        az, el = np.radians(self.azimuth_deg), np.radians(self.elevation_deg)
        back = np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
        forward = -back
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        return right, up, forward

    def project(self, points: np.ndarray, target: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """Screen coordinates and depth of world points.

        points (..., N, 3) with target (..., 3) broadcast over N. Screen units: the sphere of
        ``radius`` around the target spans [-1, 1] vertically. Returns (..., N, 2), (..., N).
        """
        right, up, forward = self.basis()
        d = self.distance * radius
        eye = np.asarray(target)[..., None, :] - d * forward  # (..., 1, 3)
        rel = points - eye  # (..., N, 3)
        depth = np.maximum(rel @ forward, 0.05 * d)  # (..., N)
        scale = d / (radius * depth)
        screen = np.stack([(rel @ right) * scale, (rel @ up) * scale], axis=-1)  # (..., N, 2)
        return screen, depth


def floor_grid(target: np.ndarray, radius: float, spacing: float | None = None) -> np.ndarray:
    """Ground-grid segments (S, 2, 3) around ``target`` on y = 0, at world-fixed positions.

    Lines are cut into cells so callers can fade them with distance (see ``grid_fade``).
    """
    spacing = spacing or (0.5 if radius < 2.5 else 1.0)
    half = 2.2 * radius
    cx, cz = float(target[0]), float(target[2])
    xs = np.arange(np.floor((cx - half) / spacing), np.ceil((cx + half) / spacing) + 1) * spacing
    zs = np.arange(np.floor((cz - half) / spacing), np.ceil((cz + half) / spacing) + 1) * spacing
    segs = []
    for x in xs:  # lines along Z
        for z0, z1 in itertools.pairwise(zs):
            segs.append(((x, 0.0, z0), (x, 0.0, z1)))
    for z in zs:  # lines along X
        for x0, x1 in itertools.pairwise(xs):
            segs.append(((x0, 0.0, z), (x1, 0.0, z)))
    return np.asarray(segs, dtype=np.float64)


def grid_fade(segments: np.ndarray, target: np.ndarray, radius: float) -> np.ndarray:
    """Opacity (S,) of grid cells: 1 near the look-at point, 0 at 2.2 radii."""
    mid = segments.mean(axis=1)[:, [0, 2]]  # (S, 2)
    dist = np.linalg.norm(mid - np.asarray(target)[[0, 2]], axis=-1)
    return np.clip(1.0 - dist / (2.2 * radius), 0.0, 1.0) ** 1.5
