"""What a generate / sequence / edit job does: run the library task, then write the result folder.

A result folder holds, per motion, ``sample_NN.<fmt>`` (generate, sequence) or ``edited.<fmt>`` (edit)
for the requested formats (npy, bvh, gif, mp4), ``viewer.html`` (every motion side by side in the
interactive viewer, when ``html`` is asked for) and ``samples.npz`` (the motions, lengths, texts,
seeds; also what lets a later request name this result as its source). An edit adds ``report.json``.
Progress steps: one per text (generate), one for the motion (sequence, edit), one for writing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..tasks.outputs import write_motion
from .jobs import Job


def write_result(folder: Path, stems: Sequence[str], motions: Sequence[np.ndarray], titles: Sequence[str],
                 seeds: Sequence[int], formats: Sequence[str], fps: float, skeleton: str = "smpl22",
                 viewer: Sequence[np.ndarray] | None = None, viewer_titles: Sequence[str] | None = None,
                 segments: Sequence[Sequence[int]] | None = None, cleanup: bool | None = None) -> None:
    """Per-motion files, the side-by-side ``viewer.html`` (of ``viewer`` or the motions) and ``samples.npz``
    (written by its one owner, :func:`coamd.io.write_samples`)."""
    from ..io import SAMPLES_FILE, write_samples
    from ..viz import write_html

    files = [f for f in formats if f != "html"]
    for stem, m, title in zip(stems, motions, titles):
        write_motion(folder, stem, m, files, fps, title=title)
    if "html" in formats:
        write_html(list(viewer if viewer is not None else motions), folder / "viewer.html",
                   titles=list(viewer_titles if viewer_titles is not None else titles), fps=fps)
    write_samples(folder / SAMPLES_FILE, motions, titles, fps=fps, skeleton=skeleton, seeds=seeds,
                  segments=segments, cleanup=cleanup)


def _samples_info(stems, motions, fps) -> list[dict]:
    return [{"name": s, "frames": len(m), "seconds": round(len(m) / fps, 2)} for s, m in zip(stems, motions)]


def run_generate(svc, job: Job, texts: list[str], seconds: list[float | None], samples: int, seed: int,
                 sampling, cleanup: bool, formats: list[str]) -> dict:
    """Each text's samples in turn (sample j of text i has seed ``seed + i*samples + j``), then the files."""
    from ..tasks import generate

    motions, titles, seeds, notes = [], [], [], []
    for i, (text, sec) in enumerate(zip(texts, seconds)):
        r = generate(svc.bundle, [text], [sec], num_samples=samples, seed=seed + i * samples, sampling=sampling,
                     progress=False, notes=notes, cleanup=cleanup)
        motions += list(r.motions)
        titles += r.texts
        seeds += r.seeds
        job.step()
    stems = [f"sample_{i:02d}" for i in range(len(motions))]
    with svc.store.build(job.id) as tmp:
        write_result(tmp, stems, motions, titles, seeds, formats, svc.bundle.fps, svc.bundle.skeleton.name,
                     cleanup=cleanup)
    return {"texts": texts, "seeds": seeds, "cleanup": cleanup, "notes": notes,
            "samples": _samples_info(stems, motions, svc.bundle.fps)}


def run_sequence(svc, job: Job, texts: list[str], seconds: list[float | None], samples: int, seed: int,
                 sampling, cleanup: bool, formats: list[str]) -> dict:
    from ..tasks import generate_sequence

    r = generate_sequence(svc.bundle, texts, seconds, num_samples=samples, seed=seed, sampling=sampling,
                          progress=False, cleanup=cleanup)
    job.step()
    stems = [f"sample_{i:02d}" for i in range(len(r))]
    title = " / ".join(texts)
    with svc.store.build(job.id) as tmp:
        write_result(tmp, stems, r.motions, [title] * len(r), r.seeds, formats, svc.bundle.fps,
                     svc.bundle.skeleton.name, segments=r.segments, cleanup=cleanup)
    return {"texts": texts, "seeds": r.seeds, "cleanup": cleanup, "segments": r.segments,
            "samples": _samples_info(stems, r.motions, svc.bundle.fps)}


def run_edit(svc, job: Job, source: np.ndarray, text: str, task, keep, joints, trajectory, seed: int, sampling,
             cleanup: bool, exact: bool, formats: list[str]) -> dict:
    from ..tasks import edit

    r = edit(svc.bundle, source, text, task=task, keep=keep, joints=joints, trajectory=trajectory, seed=seed,
             sampling=sampling, exact=exact, cleanup=cleanup)
    job.step()
    with svc.store.build(job.id) as tmp:
        write_result(tmp, ["edited"], [r.motion], [r.text], [seed], formats, r.fps, svc.bundle.skeleton.name,
                     viewer=[r.source, r.motion], viewer_titles=["source", r.text], cleanup=cleanup)
        with atomic_open(tmp / "report.json", "w", encoding="utf-8") as f:
            json.dump(r.report, f, indent=2, allow_nan=False)
            f.write("\n")
    return {"texts": [text], "seeds": [seed], "report": r.report,
            "samples": _samples_info(["edited"], [r.motion], r.fps)}
