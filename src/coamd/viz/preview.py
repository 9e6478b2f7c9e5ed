"""Public rendering API: ``render`` (GIF / MP4 / HTML / PNG by extension), ``render_frames``,
``save_png_strip`` (Foundation issue §6; reused by generate/edit previews and the gallery).

Motions are canonical joint positions (T, J, 3) in metres, Y up (see ``coamd.skeleton``);
several motions are drawn side by side, one panel each, for as many frames as the longest
(shorter ones hold their last pose).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import CoamdError, MotionFormatError
from ..io import LoadedMotion
from ..skeleton import SMPL22, Skeleton, resample, validate_motion
from .camera import Camera, frame_motion
from .plot import FigureRenderer, Panel

MotionLike = np.ndarray | LoadedMotion
FORMATS = (".gif", ".mp4", ".html", ".png")
MAX_PANELS = 16
MAX_COLS = 4


def as_motion_list(
    motions: MotionLike | Sequence[MotionLike],
    titles: Sequence[str] | None = None,
    skeleton: Skeleton = SMPL22,
    lengths: Sequence[int] | None = None,
) -> tuple[list[np.ndarray], list[str]]:
    """Normalise the inputs every renderer accepts into (T_i, J, 3) float32 arrays and titles.

    ``motions``: one (T, J, 3) array, a (N, T, J, 3) batch, a `LoadedMotion`, or a list of those.
    ``lengths`` trims padded batch entries; titles default to a `LoadedMotion`'s caption (else
    its file name).
    """
    if isinstance(motions, LoadedMotion) or (isinstance(motions, np.ndarray) and motions.ndim != 4):
        items: list = [motions]
    else:
        items = list(motions)
    if not items:
        raise CoamdError("render: no motions given")
    if len(items) > MAX_PANELS:
        raise CoamdError(f"render: {len(items)} motions is too many panels (at most {MAX_PANELS}); pick some")
    if titles is not None and len(titles) != len(items):
        raise CoamdError(f"render: {len(titles)} titles for {len(items)} motions")
    if lengths is not None and len(lengths) != len(items):
        raise CoamdError(f"render: {len(lengths)} lengths for {len(items)} motions")
    arrays, names = [], []
    for i, item in enumerate(items):
        caption = ""
        if isinstance(item, LoadedMotion):
            meta = item.meta
            caption = str(meta.get("caption") or meta.get("text") or (Path(meta["path"]).stem if meta.get("path") else ""))
            item = item.joints
        try:
            x = validate_motion(item, skeleton, what=f"motion {i + 1}")
        except ValueError as e:
            raise MotionFormatError(str(e)) from None
        if lengths is not None:
            n = int(lengths[i])
            if not 1 <= n <= x.shape[0]:
                raise CoamdError(f"render: length {n} of motion {i + 1} is outside 1..{x.shape[0]}")
            x = x[:n]
        arrays.append(x)
        names.append(titles[i] if titles is not None else caption)
    return arrays, names


def _even(n: int) -> int:
    return max(2, int(n) + int(n) % 2)


def build_renderer(
    motions: list[np.ndarray],
    titles: list[str],
    skeleton: Skeleton,
    fps: float,
    size: tuple[int, int],
    camera: str,
    trail: bool,
    cols: int | None = None,
    suptitle: str | None = None,
    view: Camera | None = None,
    contacts: Sequence[np.ndarray | None] | None = None,
) -> FigureRenderer:
    contacts = list(contacts) if contacts is not None else [None] * len(motions)
    panels = [Panel(m, frame_motion(m, skeleton, camera, fps), t, c) for m, t, c in zip(motions, titles, contacts)]
    cols = cols or min(len(panels), MAX_COLS)
    return FigureRenderer(panels, skeleton, fps=fps, size=(_even(size[0]), _even(size[1])), cols=cols,
                          camera=view, trail=trail, suptitle=suptitle)


def _retime(motions: list[np.ndarray], fps: float, out_fps: float | None) -> tuple[list[np.ndarray], float]:
    if fps <= 0 or (out_fps is not None and out_fps <= 0):
        raise CoamdError(f"render: fps must be positive, got fps={fps} out_fps={out_fps}")
    if out_fps is None or abs(out_fps - fps) < 1e-9:
        return motions, fps
    return [resample(m, fps, out_fps) for m in motions], out_fps


def _resample_flags(flags: np.ndarray, fps: float, out_fps: float) -> np.ndarray:
    """Per-frame flags (T, K) at ``out_fps`` (as many frames as `resample` makes): nearest input frame."""
    T = flags.shape[0]
    n = int(np.floor((T - 1) / fps * out_fps + 1e-6)) + 1
    idx = np.clip(np.round(np.arange(n) * fps / out_fps).astype(int), 0, T - 1)
    return flags[idx]


def render_frames(
    motions: MotionLike | Sequence[MotionLike],
    *,
    titles: Sequence[str] | None = None,
    skeleton: Skeleton = SMPL22,
    fps: float = 20.0,
    size: tuple[int, int] = (480, 480),
    camera: str = "auto",
    trail: bool = False,
    lengths: Sequence[int] | None = None,
    frames: Sequence[int] | None = None,
    view: Camera | None = None,
) -> np.ndarray:
    """All frames (or the chosen ``frames``) as an (N, H, W, 3) uint8 array; panels side by side.

    ``view`` sets the viewing angle (default: `Camera()`, from the front-left, slightly above).
    """
    arrays, names = as_motion_list(motions, titles, skeleton, lengths)
    renderer = build_renderer(arrays, names, skeleton, fps, size, camera, trail, view=view)
    idx = range(renderer.num_frames) if frames is None else frames
    return np.stack([renderer.draw(int(i)) for i in idx])


def save_png_strip(
    motions: MotionLike | Sequence[MotionLike],
    out_path: str | os.PathLike,
    *,
    num_keyframes: int = 5,
    titles: Sequence[str] | None = None,
    skeleton: Skeleton = SMPL22,
    fps: float = 20.0,
    size: tuple[int, int] = (240, 320),
    camera: str = "auto",
    lengths: Sequence[int] | None = None,
    view: Camera | None = None,
    contacts: Sequence[np.ndarray | None] | None = None,
) -> Path:
    """Key frames (evenly spaced, first and last included) in one PNG: one row per motion."""
    from .video import write_png

    arrays, names = as_motion_list(motions, titles, skeleton, lengths)
    if num_keyframes < 1:
        raise CoamdError(f"save_png_strip: num_keyframes must be >= 1, got {num_keyframes}")
    rows = []
    contacts = list(contacts) if contacts is not None else [None] * len(arrays)
    for m, name, c in zip(arrays, names, contacts):
        keys = sorted({round(k) for k in np.linspace(0, m.shape[0] - 1, num_keyframes)})
        # One panel per key frame, all sharing the motion's framing, under one caption.
        renderer = build_renderer([m] * len(keys), [""] * len(keys), skeleton, fps, size, camera, False,
                                  cols=len(keys), suptitle=name or None, view=view, contacts=[c] * len(keys))
        rows.append(renderer.draw(keys, clock=[f"{k / fps:.2f} s" for k in keys]))
    width = max(r.shape[1] for r in rows)
    pad = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return write_png(out_path, np.concatenate(pad, axis=0))


def render(
    motions: MotionLike | Sequence[MotionLike],
    out_path: str | os.PathLike,
    *,
    titles: Sequence[str] | None = None,
    skeleton: Skeleton = SMPL22,
    fps: float = 20.0,
    out_fps: float | None = None,
    size: tuple[int, int] | None = None,
    camera: str = "auto",
    trail: bool = False,
    lengths: Sequence[int] | None = None,
    progress: bool | None = None,
    view: Camera | None = None,
    contacts: Sequence[np.ndarray | None] | None = None,
) -> Path:
    """Write a preview of one or more motions; the format follows the extension of ``out_path``.

    ``.gif`` / ``.mp4``: animation (panels side by side, up to 4 per row); ``.html``: one
    self-contained interactive viewer; ``.png``: a key-frame strip (see ``save_png_strip``).
    ``fps`` is the motions' frame rate; ``out_fps`` resamples so playback stays real time.
    ``size`` is one panel's (width, height) in pixels (default 480x480; 240x320 for strips). ``progress``: tqdm bar (None = only for
    long renders). ``contacts``: per motion a (T, K) bool array (or None) of planted feet, drawn as
    markers on the floor under the toes (GIF, MP4 and PNG; the HTML viewer does not show them).
    """
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in FORMATS:
        raise CoamdError(f"{out_path}: unknown output format {suffix or '(none)'!r}; use one of {', '.join(FORMATS)}")
    if out_path.is_dir():
        raise CoamdError(f"{out_path}: is a folder, expected an output file name")
    arrays, names = as_motion_list(motions, titles, skeleton, lengths)
    if suffix == ".png":
        return save_png_strip(arrays, out_path, titles=names, skeleton=skeleton, fps=fps, size=size or (240, 320),
                              camera=camera, view=view, contacts=contacts)
    if suffix == ".html":
        from .html import write_html

        return write_html(arrays, out_path, titles=names, skeleton=skeleton, fps=fps, camera=camera, view=view)
    from .video import write_gif, write_mp4

    if contacts is not None and out_fps is not None and abs(out_fps - fps) > 1e-9:
        contacts = [None if c is None else _resample_flags(c, fps, out_fps) for c in contacts]
    arrays, fps = _retime(arrays, fps, out_fps)
    renderer = build_renderer(arrays, names, skeleton, fps, size or (480, 480), camera, trail, view=view,
                              contacts=contacts)
    writer = write_gif if suffix == ".gif" else write_mp4
    return writer(out_path, renderer.draw, renderer.num_frames, fps, progress=progress)
