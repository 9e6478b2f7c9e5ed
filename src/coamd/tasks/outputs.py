"""Writing task results (paper-brief §5): per-motion files, previews and the ``samples.npz`` artifact.

Everything goes into a folder built under a temporary name and renamed into place at the end
(``coamd.atomic.atomic_dir``), so an error or Ctrl-C leaves no half-written output folder.

``samples.npz`` (what ``coamd eval``/``render``/``export`` read) is written by
`coamd.io.samples.write_samples`, which documents its arrays.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml
from tqdm.auto import tqdm

from ..atomic import atomic_dir, atomic_open, save_npy
from ..errors import CoamdError

FORMATS = ("npy", "bvh", "gif", "mp4", "html", "png")
PREVIEWS = ("gif", "mp4", "html", "png")


def parse_formats(spec: str | Sequence[str]) -> list[str]:
    """``"npy,gif"`` or a list -> validated, de-duplicated format names."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out = list(dict.fromkeys(str(x).strip().lower().lstrip(".") for x in items if str(x).strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise CoamdError(f"--format: {bad[0] if bad else '(empty)'!r} is not one of {', '.join(FORMATS)}")
    return out


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe short form of a caption: 'A person walks!' -> 'a_person_walks'."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s[:limit].rstrip("_") or "motion"


def write_motion(folder: Path, stem: str, joints: np.ndarray, formats: Sequence[str], fps: float,
                 title: str = "") -> list[Path]:
    """``stem.<fmt>`` for each format: canonical joints (.npy), BVH, or a preview (.gif/.mp4/.html/.png)."""
    written = []
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        if fmt == "npy":
            save_npy(path, joints.astype(np.float32))
        elif fmt == "bvh":
            from ..io import save_bvh

            save_bvh(path, joints, fps)
        else:
            from ..viz import render

            render(joints, path, titles=[title], fps=fps, progress=False)
        written.append(path)
    return written


def save_generation(result, out_dir: str | os.PathLike, formats: Sequence[str] = ("npy", "gif"),
                    overwrite: bool = False, progress: bool | None = None) -> Path:
    """Write a ``GenerationResult``: per sample ``NNN_<text>.<fmt>`` files plus ``samples.npz``."""
    from ..io.samples import SAMPLES_FILE, write_samples

    formats = parse_formats(formats)
    out = Path(out_dir)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        items = list(enumerate(zip(result.motions, result.texts, result.seeds)))
        bar = tqdm(items, desc="write samples", unit="motion",
                   disable=progress is False or (progress is None and (len(items) < 2 or formats == ["npy"])))
        for i, (m, text, seed) in bar:
            write_motion(tmp, f"{i:03d}_{slug(text)}", m, formats, result.fps, title=text)
        write_samples(tmp / SAMPLES_FILE, result.motions, result.texts, fps=result.fps,
                      skeleton=getattr(result, "skeleton", "smpl22"), seeds=result.seeds,
                      segments=result.segments or [[] for _ in result.motions],
                      cleanup=bool(getattr(result, "cleaned", False)),
                      config=yaml.safe_dump(result.config, sort_keys=False))
    return out


def save_edit(result, out_dir: str | os.PathLike, formats: Sequence[str] = ("npy", "gif"), overwrite: bool = False,
              progress: bool | None = None) -> Path:
    """Write an ``EditResult``: ``edited.<fmt>``, a side-by-side ``compare.<preview>`` and ``report.json``."""
    formats = parse_formats(formats)
    out = Path(out_dir)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        write_motion(tmp, "edited", result.motion, formats, result.fps, title=result.text)
        for fmt in formats:
            if fmt in PREVIEWS:
                from ..viz import render

                render([result.source, result.motion], tmp / f"compare.{fmt}", titles=["source", result.text],
                       fps=result.fps, progress=progress)
        with atomic_open(tmp / "report.json", "w", encoding="utf-8") as f:
            json.dump(result.report, f, indent=2, allow_nan=False)
            f.write("\n")
    return out
