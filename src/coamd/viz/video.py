"""Frame writers: animated GIF (Pillow, shared palette), MP4 (imageio-ffmpeg) and PNG.

Frames arrive one at a time from a callable so long motions never sit in memory as a
(N, H, W, 3) stack (an MP4 streams straight into ffmpeg; a GIF keeps only 8-bit paletted
frames). Every writer goes through ``coamd.atomic`` so a failed or interrupted render leaves
nothing at the output path (Foundation issue §6).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..atomic import atomic_path
from ..errors import CoamdError

FrameFn = Callable[[int], np.ndarray]  # frame index -> (H, W, 3) uint8

# Renders with at least this many frames show a tqdm bar unless told otherwise.
PROGRESS_MIN_FRAMES = 100


def _progress(n: int, show: bool | None, desc: str) -> tqdm:
    disable = (n < PROGRESS_MIN_FRAMES) if show is None else not show
    return tqdm(total=n, desc=desc, unit="frame", disable=disable, leave=False)


def write_gif(path: str | os.PathLike, draw: FrameFn, num_frames: int, fps: float,
              progress: bool | None = None) -> Path:
    """Animated, looping GIF of ``num_frames`` frames played at ``fps``.

    GIF delays are whole centiseconds, so rates that do not divide 100 play slightly off
    (30 fps plays at 33 fps). One palette built from the first, middle and last frames is used
    for every frame, so colours do not flicker.
    """
    from PIL import Image

    path = Path(path)
    first = draw(0)
    probes = [first] + [draw(i) for i in sorted({num_frames // 2, num_frames - 1} - {0})]
    palette = Image.fromarray(np.concatenate(probes, axis=0)).quantize(colors=255, method=Image.Quantize.MEDIANCUT)

    def to_p(rgb: np.ndarray) -> Image.Image:
        return Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE)

    frames = [to_p(first)]
    with _progress(num_frames, progress, f"render {path.name}") as bar:
        bar.update(1)
        for i in range(1, num_frames):
            frames.append(to_p(draw(i)))
            bar.update(1)
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                       duration=max(20, round(1000.0 / fps)), loop=0, disposal=1)
    return path


def write_mp4(path: str | os.PathLike, draw: FrameFn, num_frames: int, fps: float,
              progress: bool | None = None, quality: int = 23) -> Path:
    """H.264 MP4 (yuv420p, plays in browsers and players); ``quality`` is x264's CRF (lower = better)."""
    import imageio_ffmpeg

    path = Path(path)
    first = draw(0)
    h, w = first.shape[:2]
    if h % 2 or w % 2:
        raise CoamdError(f"{path}: MP4 frames need even width and height, got {w}x{h}")
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (w, h), fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
            macro_block_size=1, ffmpeg_log_level="error", output_params=["-crf", str(int(quality))],
        )
        writer.send(None)  # start ffmpeg
        try:
            with _progress(num_frames, progress, f"render {path.name}") as bar:
                writer.send(np.ascontiguousarray(first))
                bar.update(1)
                for i in range(1, num_frames):
                    writer.send(np.ascontiguousarray(draw(i)))
                    bar.update(1)
        finally:
            writer.close()
    return path


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """One RGB image (H, W, 3) uint8 as PNG."""
    from PIL import Image

    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG", optimize=True)
    return path
