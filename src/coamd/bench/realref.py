"""The real captured motion reference: the physics measures on real motion capture (issue 10).

Every Bandai-Namco BVH (``bandai_namco/**/*.bvh``) and HDM05 AMC (``hdm05/**/*.amc``) under the
real-data folder, converted by ``coamd.data.load_bandai`` / ``load_hdm05`` (``coamd.io.load_motion``:
canonical SMPL-22, metres, 20 fps, cached), is scored with the same physics as generated rows
(``protocols.physics_values``: foot skating ratio, contact sliding, floor penetration, jitter,
bone-length variation). A row is the mean over clips with a 95 % percentile-bootstrap interval
(``ci95`` = half its width; ``ci95_low``/``ci95_high`` are the bounds). FID and R-precision are
not defined for these clips (they are not captioned corpus motions).

``physics_vs_real`` divides a row's measures by the real row's: the "× real" ratios of the report.
A measure whose real value is (near) zero, such as bone-length variation of a rigid capture
skeleton, gets no ratio; the report states both absolute values instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:                        # the report imports this module; it stays free of torch
    from ..skeleton import Skeleton
    from .protocols import Row

REAL_SETS = {"bandai": "Bandai-Namco", "hdm05": "HDM05"}       # kind -> readable name, in report order
REAL_ROW = "real_captured"
BOOTSTRAP = 1000
MIN_FRAMES = 4                                                  # jitter needs 4 frames

# measure -> (label, factor to the display unit, unit, real values below this (display unit) count as zero)
DISPLAY = {
    "contact_sliding": ("contact sliding", 1.0, "m/s", 1e-6),
    "jitter": ("jerk", 1.0, "m/s³", 1e-6),
    "foot_skating": ("foot skate", 1.0, "", 1e-6),
    "bone_variation": ("bone-length variation", 1.0, "mm", 0.01),
    "floor_penetration": ("floor penetration", 1000.0, "mm", 0.1),
}


def bootstrap_row(values: Mapping[str, np.ndarray], seed: int = 0, samples: int = BOOTSTRAP) -> Row:
    """Mean of each (N,) array with a 95 % percentile-bootstrap interval over the N items."""
    out: Row = {}
    rng = np.random.default_rng((int(seed), 7))
    n = len(next(iter(values.values())))
    idx = rng.integers(0, n, size=(samples, n)) if n > 1 else None
    for key, v in values.items():
        v = np.asarray(v, np.float64)
        mean = float(v.mean())
        if idx is None:
            out[key] = {"mean": mean, "ci95": 0.0, "n": int(n)}
            continue
        lo, hi = np.percentile(v[idx].mean(axis=1), [2.5, 97.5])
        out[key] = {"mean": mean, "ci95": float(hi - lo) / 2.0, "n": int(n), "ci95_low": float(lo),
                    "ci95_high": float(hi)}
    return out


def load_real_sets(realdata: str | os.PathLike, cache: str | os.PathLike | None,
                   kinds: Sequence[str] = tuple(REAL_SETS)) -> tuple[dict[str, list[np.ndarray]], list[str]]:
    """Canonical clips of each real set found under ``realdata`` (kind -> motions) and why others are missing.

    ``cache``: a folder for the converted clips (``<cache>/<kind>``, the suite's ``OUT/cache``), or
    None to convert in memory.
    """
    from .context import realdata_source
    from .recognition import load_clips

    found, missing = {}, []
    for kind in kinds:
        source, why = realdata_source(Path(realdata), kind)
        if source is None:
            missing.append(why)
            continue
        clips = load_clips(source, cache=Path(cache) / kind if cache is not None else None)
        found[kind] = [clips.motion(i) for i in range(len(clips))]
    return found, missing


def real_reference(sets: Mapping[str, Sequence[np.ndarray]], skeleton: Skeleton, fps: float, seed: int = 0,
                   samples: int = BOOTSTRAP) -> dict[str, Row]:
    """Rows ``real_captured`` (all clips of all sets) and one per set (the clips of that set).

    Clips shorter than ``MIN_FRAMES`` frames are left out (no jerk); each row counts its clips
    (``clips``, n = 1).
    """
    from .protocols import PHYSICS, physics_values

    per_set = {k: physics_values([m for m in ms if len(m) >= MIN_FRAMES], skeleton, fps)
               for k, ms in sets.items() if any(len(m) >= MIN_FRAMES for m in ms)}
    if not per_set:
        return {}
    rows = {REAL_ROW: _with_count(bootstrap_row({k: np.concatenate([v[k] for v in per_set.values()])
                                                 for k in PHYSICS}, seed, samples))}
    for kind, values in per_set.items():
        rows[kind] = _with_count(bootstrap_row(values, seed, samples))
    return rows


def _with_count(row: Row) -> Row:
    n = next(iter(row.values()))["n"]
    return {**row, "clips": {"mean": float(n), "ci95": 0.0, "n": 1}}


def real_row_label(rows: Mapping[str, Row], kind: str = REAL_ROW) -> str:
    """The row's name in a table: "Real captured (Bandai-Namco + HDM05, 671 clips)"."""
    sets = [name for k, name in REAL_SETS.items() if k in rows]
    clips = int(rows.get(kind, {}).get("clips", {}).get("mean", 0))
    if kind == REAL_ROW:
        return f"Real captured ({' + '.join(sets) or 'none'}, {clips} clips)"
    return f"Real captured: {REAL_SETS.get(kind, kind)} ({clips} clips)"


def describe_real(rows: Mapping[str, Row], realdata: Any = None) -> str:
    """One sentence saying which clips the reference row measures and how they were converted."""
    parts = [f"{int(rows[k]['clips']['mean'])} {REAL_SETS[k]} clips ({_pattern(k)})" for k in REAL_SETS if k in rows]
    where = f" under `{realdata}`" if realdata else ""
    return (f"Real captured reference: {' and '.join(parts)}{where}, every clip converted to canonical SMPL-22 at "
            "20 fps in metres (coamd.io.load_motion); mean over clips with a 95% bootstrap interval. FID and "
            "R-precision are not defined for it (the clips are not captioned corpus motions).")


def _pattern(kind: str) -> str:
    folder = {"bandai": "bandai_namco"}.get(kind, kind)            # as context.REALDATA_SETS
    return f"`{folder}/**/*.{'bvh' if kind == 'bandai' else 'amc'}`"


# ---------------------------------------------------------------------------------- ratios
def physics_vs_real(rows: Mapping[str, Row], real: Row, names: Sequence[str] | None = None) -> dict[str, dict]:
    """For each row (``names``, default all) and physics measure: its value and the real row's in
    display units, and ``ratio`` = value ÷ real (None where real is near zero)."""
    out: dict[str, dict] = {}
    for name in (names if names is not None else list(rows)):
        row = rows.get(name)
        if row is None:
            continue
        entry = {}
        for key, (_, scale, unit, zero) in DISPLAY.items():
            if key not in row or key not in real:
                continue
            v, r = row[key]["mean"] * scale, real[key]["mean"] * scale
            entry[key] = {"value": v, "real": r, "unit": unit, "ratio": None if abs(r) < zero else v / r}
        if entry:
            out[name] = entry
    return out


def ratio_text(item: dict) -> str:
    """"5.87× real" or, when real is ~0, "26.10 mm vs 0.000 mm"."""
    from .report import fmt

    r = item["ratio"]
    if r is not None:                    # two decimals below 10: a ratio near an acceptance bound (1.2×) stays visible
        return f"{r:.0f}× real" if abs(r) >= 10 else f"{r:.2f}× real"
    unit = f" {item['unit']}" if item["unit"] else ""
    return f"{fmt(item['value'])}{unit} vs {fmt(item['real'])}{unit}"


__all__ = ["BOOTSTRAP", "DISPLAY", "REAL_ROW", "REAL_SETS", "bootstrap_row", "describe_real", "load_real_sets",
           "physics_vs_real", "ratio_text", "real_reference", "real_row_label"]
