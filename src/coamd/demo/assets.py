"""The demo page's asset files (Foundation issue §6 previews): GIFs, interactive viewers, npy and BVH.

Every :class:`~.stages.Shown` becomes ``<stem>.gif`` (small: 240 px panels at 10 fps, so the page
stays light and the whole demo renders in about a minute on 2 cores) and ``<stem>.html`` (the
self-contained viewer of :func:`coamd.viz.write_html`: orbit, scrub, full 20 fps); with an
``export`` motion also ``<stem>.npy`` (canonical joints) and ``<stem>.bvh``. All renders run in
one pass after the task stages, with one progress bar; each file is written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from ..atomic import save_npy
from ..io import save_bvh
from ..viz import render
from .stages import Shown

GIF_PANEL = (240, 240)      # pixels per panel
GIF_FPS = 10.0              # GIF playback rate (the viewers play every 20 fps frame)


def asset_files(shown: Shown) -> dict[str, str]:
    """Relative paths (under the assets folder) of what :func:`write_assets` writes for ``shown``."""
    files = {"gif": f"{shown.stem}.gif", "html": f"{shown.stem}.html"}
    if shown.export is not None:
        files.update(npy=f"{shown.stem}.npy", bvh=f"{shown.stem}.bvh")
    files.update({name: shown.extra_file(name) for name in shown.extras})
    return files


def write_assets(items: Sequence[Shown], folder: Path, fps: float = 20.0, progress: bool = True) -> int:
    """Write every item's files under ``folder``; returns the number of files written."""
    written = 0
    unique = list({s.stem: s for s in items}.values())
    for shown in tqdm(unique, desc="render previews", unit="item", disable=not progress):
        files = asset_files(shown)
        (folder / files["gif"]).parent.mkdir(parents=True, exist_ok=True)
        titles = list(shown.panel_titles)
        render(shown.motions, folder / files["gif"], titles=titles, fps=fps, out_fps=GIF_FPS, size=GIF_PANEL,
               progress=False)
        render(shown.motions, folder / files["html"], titles=shown.viewer_titles or titles, fps=fps)
        written += 2
        if shown.export is not None:
            save_npy(folder / files["npy"], shown.export)
            save_bvh(folder / files["bvh"], shown.export, fps)
            written += 2
        for name, array in shown.extras.items():
            save_npy(folder / files[name], array)
            written += 1
    return written
