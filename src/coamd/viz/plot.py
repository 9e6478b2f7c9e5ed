"""Stick-figure frames with matplotlib's Agg canvas (Foundation issue §6).

One ``FigureRenderer`` builds a figure with one panel per motion and all its artists once; each
frame then only updates line data and redraws (no re-plotting), which keeps a 22-joint motion at
480 px well above 30 frames/s. Drawing: bones by kinematic chain coloured by side (left blue,
right red, centre dark), a floor shadow, a fading ground grid, the root's path on the floor
(the travelled part darker), optional end-effector trails, the wrapped caption and the time.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np

from ..skeleton import Skeleton
from .camera import Camera, Framing, floor_grid, grid_fade

SIDE_COLOURS = {"left": "#1f64c8", "right": "#d2322d", "centre": "#2b2b2b"}
BACKGROUND = "#fbfbf8"
TRAIL_FRAMES = 12
CONTACT_COLOUR = "#f2a900"


def contact_joints(skeleton: Skeleton) -> tuple[int, ...]:
    """The joint under which each foot contact is drawn: the toe of each ``foot_joints`` pair."""
    return tuple(skeleton.foot_joints[1::2])


@dataclass
class Panel:
    """One motion to draw: joints (T, J, 3), its camera framing and its caption."""

    joints: np.ndarray
    framing: Framing
    title: str = ""
    contacts: np.ndarray | None = None  # (T, K) bool: foot k planted at frame t (drawn on the floor)


def chain_side(skeleton: Skeleton, chain: tuple[int, ...]) -> str:
    """The side a kinematic chain belongs to (that of its last joint)."""
    return skeleton.side_of(chain[-1])


def wrap_title(title: str, width_px: int, font_px: float, max_lines: int = 3) -> list[str]:
    """Caption lines that fit ``width_px``; the last kept line ends in an ellipsis if cut."""
    if not title:
        return []
    chars = max(8, int(width_px / (0.55 * font_px)))
    lines = textwrap.wrap(" ".join(title.split()), chars) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, chars - 1)].rstrip() + "\u2026"
    return lines


class FigureRenderer:
    """Draws panels of motions into RGB frames.

    Args:
        panels: motions with their framings; all panels share the framing radius given.
        size: (width, height) of one panel in pixels.
        cols: panels per row (default: all in one row).
        trail: draw fading trails behind the hands, feet and head.
        suptitle: optional caption above all panels (used by key-frame strips).
    """

    def __init__(
        self,
        panels: list[Panel],
        skeleton: Skeleton,
        *,
        fps: float = 20.0,
        size: tuple[int, int] = (480, 480),
        cols: int | None = None,
        camera: Camera | None = None,
        trail: bool = False,
        suptitle: str | None = None,
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        self.panels, self.skeleton, self.fps, self.trail = panels, skeleton, fps, trail
        self.camera = camera or Camera()
        self.radius = max(p.framing.radius for p in panels)
        n = len(panels)
        self.cols = cols or n
        self.rows = -(-n // self.cols)
        pw, ph = size
        dpi = 100.0
        unit = min(pw, ph) / 480.0  # sizes below are tuned for 480 px panels
        font_px = max(9.0, 15.0 * unit)
        self.font_pt = font_px * 72.0 / dpi

        title_lines = [wrap_title(p.title, pw - 8, font_px) for p in panels]
        title_px = (max(len(t) for t in title_lines) * 1.25 * font_px + 0.6 * font_px) if any(title_lines) else 0.0
        sup_lines = wrap_title(suptitle or "", pw * self.cols - 8, font_px * 1.1)
        sup_px = len(sup_lines) * 1.3 * font_px * 1.1 + (0.5 * font_px if sup_lines else 0.0)

        W, H = pw * self.cols, int(ph * self.rows + sup_px)
        H += H % 2  # video encoders want even sizes
        self.width, self.height = W, H
        self.fig = Figure(figsize=(W / dpi, H / dpi), dpi=dpi, facecolor=BACKGROUND)
        self.canvas = FigureCanvasAgg(self.fig)
        if sup_lines:
            self.fig.text(0.5, 1.0 - 0.3 * font_px / H, "\n".join(sup_lines), ha="center", va="top",
                          fontsize=self.font_pt * 1.1, weight="bold", color="#222222")

        lw = 2.6 * unit * 72.0 / dpi
        self._artists = []
        for i, panel in enumerate(panels):
            r, c = divmod(i, self.cols)
            top = H - sup_px - r * ph  # pixel row of the panel's top edge (from the bottom)
            axes_h = ph - title_px
            ax = self.fig.add_axes((c * pw / W, (top - ph) / H, pw / W, axes_h / H))
            ax.set_axis_off()
            aspect = pw / axes_h
            half_h = max(1.0, 1.0 / aspect)  # the framing's unit circle fits both ways
            ax.set_xlim(-aspect * half_h, aspect * half_h)
            ax.set_ylim(-half_h, half_h)
            if title_lines[i]:
                self.fig.text((c + 0.5) * pw / W, (top - 0.35 * font_px) / H, "\n".join(title_lines[i]),
                              ha="center", va="top", fontsize=self.font_pt, color="#222222", linespacing=1.15)
            grid = LineCollection([], linewidths=0.8 * unit, zorder=0)
            path_all = ax.plot([], [], color="#9a9a9a", lw=1.0 * unit, alpha=0.6, zorder=1)[0]
            path_done = ax.plot([], [], color="#3c8c5a", lw=1.8 * unit, alpha=0.9, zorder=1.5)[0]
            shadows = [ax.plot([], [], color="#000000", lw=lw, alpha=0.12, solid_capstyle="round", zorder=2)[0]
                       for _ in skeleton.chains]
            trails = LineCollection([], linewidths=1.6 * unit, zorder=3) if trail else None
            if trails is not None:
                ax.add_collection(trails)
            bones = [ax.plot([], [], color=SIDE_COLOURS[chain_side(skeleton, ch)], lw=lw, marker="o",
                             markersize=2.2 * lw, solid_capstyle="round", solid_joinstyle="round", zorder=4)[0]
                     for ch in skeleton.chains]
            marks = ax.plot([], [], ls="", marker="o", markersize=8.0 * lw, markerfacecolor=CONTACT_COLOUR,
                            markeredgecolor="#6b4a00", markeredgewidth=0.8 * unit, alpha=0.85, zorder=3.5)[0]
            ax.add_collection(grid)
            clock = ax.text(0.02, 0.02, "", transform=ax.transAxes, fontsize=self.font_pt * 0.8,
                            color="#666666", ha="left", va="bottom", zorder=10)
            self._artists.append({"grid": grid, "path_all": path_all, "path_done": path_done, "shadows": shadows,
                                      "trails": trails, "bones": bones, "clock": clock, "marks": marks})

    @property
    def num_frames(self) -> int:
        """Frames of the longest panel (shorter panels hold their last pose)."""
        return max(p.joints.shape[0] for p in self.panels)

    def draw(self, frame: int | list[int], clock: list[str] | None = None) -> np.ndarray:
        """RGB image (H, W, 3) uint8 of one frame; ``frame`` may give each panel its own index."""
        frames = frame if isinstance(frame, (list, tuple)) else [frame] * len(self.panels)
        for k, (panel, art, f) in enumerate(zip(self.panels, self._artists, frames)):
            t = int(min(max(f, 0), panel.joints.shape[0] - 1))
            self._update_panel(panel, art, t)
            art["clock"].set_text(clock[k] if clock else f"{t / self.fps:5.2f} s")
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def _update_panel(self, panel: Panel, art: dict, t: int) -> None:
        sk, cam, radius = self.skeleton, self.camera, self.radius
        target = panel.framing.targets[t]
        pose = panel.joints[t].astype(np.float64)  # (J, 3)

        segs = floor_grid(target, radius)  # (S, 2, 3)
        alpha = grid_fade(segs, target, radius)  # (S,)
        keep = alpha > 0.02
        xy, _ = cam.project(segs[keep].reshape(-1, 3), target, radius)
        art["grid"].set_segments(xy.reshape(-1, 2, 2))
        colours = np.zeros((int(keep.sum()), 4))
        colours[:, :3] = 0.55
        colours[:, 3] = 0.5 * alpha[keep]
        art["grid"].set_color(colours)

        root = panel.joints[:, sk.root].astype(np.float64)  # (T, 3)
        ground = root * np.array([1.0, 0.0, 1.0])
        path_xy, _ = cam.project(ground, target, radius)  # (T, 2)
        art["path_all"].set_data(path_xy[:, 0], path_xy[:, 1])
        art["path_done"].set_data(path_xy[: t + 1, 0], path_xy[: t + 1, 1])

        shadow_xy, _ = cam.project(pose * np.array([1.0, 0.0, 1.0]), target, radius)  # (J, 2)
        pose_xy, depth = cam.project(pose, target, radius)  # (J, 2), (J,)
        order = np.argsort(-np.array([depth[list(ch)].mean() for ch in sk.chains]))  # far chains first
        for rank, ci in enumerate(order):
            ch = list(sk.chains[ci])
            art["shadows"][ci].set_data(shadow_xy[ch, 0], shadow_xy[ch, 1])
            art["bones"][ci].set_data(pose_xy[ch, 0], pose_xy[ch, 1])
            art["bones"][ci].set_zorder(4 + 0.01 * rank)

        if art["trails"] is not None:
            self._update_trails(panel, art["trails"], t, target)
        if panel.contacts is not None:
            feet = contact_joints(sk)
            on = [j for k, j in enumerate(feet) if k < panel.contacts.shape[1] and panel.contacts[t, k]]
            art["marks"].set_data(shadow_xy[on, 0], shadow_xy[on, 1])

    def _update_trails(self, panel: Panel, trails, t: int, target: np.ndarray) -> None:
        tips = [ch[-1] for ch in self.skeleton.chains]
        lo = max(0, t - TRAIL_FRAMES)
        if t - lo < 1:
            trails.set_segments([])
            return
        pts, _ = self.camera.project(panel.joints[lo: t + 1, tips].astype(np.float64).transpose(1, 0, 2),
                                     target, self.radius)  # (K, L, 2)
        segs = np.stack([pts[:, :-1], pts[:, 1:]], axis=2).reshape(-1, 2, 2)  # (K*(L-1), 2, 2)
        age = np.linspace(0.1, 0.7, t - lo)  # older segments fainter
        colours = []
        for j in tips:
            rgb = _hex_rgb(SIDE_COLOURS[self.skeleton.side_of(j)])
            colours.extend((*rgb, a) for a in age)
        trails.set_segments(segs)
        trails.set_color(colours)


def _hex_rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i: i + 2], 16) / 255.0 for i in (0, 2, 4))
