"""Self-contained interactive HTML viewer (Foundation issue §6).

One file, no network: the page template (``viewer.html``, inline CSS and a small hand-written
canvas renderer in JavaScript) plus the motions embedded as JSON, rounded to millimetres. The
JavaScript repeats the projection and framing of ``coamd.viz.camera`` (look-at points and zoom
are computed here and embedded), so the page matches the GIF/MP4 previews; the viewer adds orbit
by mouse drag, zoom by wheel, play/pause, a frame scrubber and a speed selector. A URL hash such
as ``page.html#frame=80&az=90&el=10&zoom=1.5`` opens it paused at that frame and view.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..errors import CoamdError
from ..skeleton import SMPL22, Skeleton
from .camera import Camera, frame_motion
from .plot import SIDE_COLOURS, chain_side

DATA_ELEMENT_ID = "coamd-data"
_DATA_RE = re.compile(rf'<script type="application/json" id="{DATA_ELEMENT_ID}">(.*?)</script>', re.DOTALL)


def _template() -> str:
    return resources.files(__package__).joinpath("viewer.html").read_text(encoding="utf-8")


def _mm(x: np.ndarray) -> list[int]:
    """Metres -> flat list of whole millimetres."""
    return np.rint(np.asarray(x, dtype=np.float64) * 1000.0).astype(np.int64).ravel().tolist()


def viewer_payload(
    motions: list[np.ndarray],
    titles: list[str],
    skeleton: Skeleton = SMPL22,
    fps: float = 20.0,
    camera: str = "auto",
    view: Camera | None = None,
) -> dict:
    """The JSON document the page reads: skeleton, camera and per-motion joints/look-at points (mm)."""
    view = view or Camera()
    framings = [frame_motion(m, skeleton, camera, fps) for m in motions]
    return {
        "format": "coamd-viewer",
        "version": 1,
        "fps": float(fps),
        "units": "mm",
        "skeleton": {
            "name": skeleton.name,
            "joints": skeleton.num_joints,
            "root": skeleton.root,
            "chains": [list(c) for c in skeleton.chains],
            "chain_sides": [chain_side(skeleton, c) for c in skeleton.chains],
            "colours": dict(SIDE_COLOURS),
        },
        "camera": {
            "azimuth": view.azimuth_deg,
            "elevation": view.elevation_deg,
            "distance": view.distance,
            "radius_mm": round(max(f.radius for f in framings) * 1000.0),
        },
        "motions": [
            {"title": t, "frames": int(m.shape[0]), "joints": _mm(m), "targets": _mm(f.targets), "mode": f.mode}
            for m, t, f in zip(motions, titles, framings)
        ],
    }


def _script_safe_json(doc: dict) -> str:
    # Escaping <, > and & keeps "</script>" or "<!--" in a caption from ending the data block.
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_html(
    motions: list[np.ndarray],
    out_path: str | os.PathLike,
    *,
    titles: Sequence[str] | None = None,
    skeleton: Skeleton = SMPL22,
    fps: float = 20.0,
    camera: str = "auto",
    view: Camera | None = None,
) -> Path:
    """Write the interactive viewer for motions (T_i, J, 3) in metres to ``out_path``."""
    out_path = Path(out_path)
    titles = list(titles) if titles is not None else [""] * len(motions)
    if len(titles) != len(motions):
        raise CoamdError(f"{out_path}: {len(titles)} titles for {len(motions)} motions")
    doc = viewer_payload(motions, titles, skeleton, fps, camera, view)
    page_title = " | ".join(t for t in titles if t) or "coamd motion viewer"
    page = _template().replace("__COAMD_TITLE__", html.escape(page_title[:200]))
    page = page.replace("__COAMD_DATA__", _script_safe_json(doc))
    with atomic_open(out_path, "w", encoding="utf-8") as f:
        f.write(page)
    return out_path


def read_html_motions(path: str | os.PathLike) -> tuple[list[np.ndarray], list[str]]:
    """The motions (metres, float32) and titles embedded in a viewer page written by `write_html`."""
    text = Path(path).read_text(encoding="utf-8")
    match = _DATA_RE.search(text)
    if match is None:
        raise CoamdError(f"{path}: no embedded coamd motion data found")
    doc = json.loads(match.group(1))
    J = int(doc["skeleton"]["joints"])
    motions = [np.asarray(m["joints"], dtype=np.float32).reshape(m["frames"], J, 3) / 1000.0 for m in doc["motions"]]
    return motions, [m["title"] for m in doc["motions"]]
