"""The demo's fresh corpus (Foundation issue §5, Tasks issue §8): synthesise it, read its clips back.

``coamd demo`` writes a small procedural corpus into ``OUT/corpus`` (HumanML3D layout, the same
writer as ``coamd data synth``) and reads it back with the library's own dataset reader. The
*held-back* clips are the corpus's test split: the demo edits, recognises and retrieves those,
so with weights trained on the corpus (``--train``) the models have never seen them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data import MotionTextIndex
from ..data.humanml3d import read_annotations
from ..errors import CoamdError
from ..skeleton import SMPL22, root_trajectory

LOCOMOTION = ("walk", "march", "jog", "walk_turn", "walk_circle", "run")


@dataclass
class CorpusClip:
    """One whole corpus motion with what the corpus says about it."""

    id: str
    joints: np.ndarray                      # (T, 22, 3) float32 metres, canonical, 20 fps
    captions: list[str]
    labels: list[str]                       # HumanML3D-400 label names of the motion
    actions: list[str] = field(default_factory=list)   # the synthesiser's action names, in order

    @property
    def frames(self) -> int:
        return int(self.joints.shape[0])

    @property
    def seconds(self) -> float:
        return self.frames / 20.0

    @property
    def travel(self) -> float:
        """Distance (m) the pelvis covers on the ground."""
        path = root_trajectory(self.joints, SMPL22)                            # (T, 2)
        return float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())


def synthesize_corpus(out_dir: str | os.PathLike, clips: int, seed: int, progress: bool = True) -> dict:
    """Write ``clips`` procedural clips into ``out_dir`` (replacing an earlier demo corpus); the stats."""
    from ..synth import generate_clips, write_corpus

    if clips < 10:
        raise CoamdError(f"--clips {clips}: the demo needs at least 10 clips (some are held back for testing)")
    workers = max(1, min(2, os.cpu_count() or 1))
    stream = generate_clips(clips, seed=seed, workers=workers, progress=progress)
    return write_corpus(out_dir, stream, seed=seed, overwrite=True)


def read_clips(root: str | os.PathLike, split: str) -> list[CorpusClip]:
    """The captioned whole motions of ``split`` (sorted by id) with labels and action names."""
    root = Path(root)
    index = MotionTextIndex(root, split, dataset="synth", cache=None, filter_lengths=False)
    names = index.label_names or []
    notes = read_annotations(root) or {}
    out = []
    for s in index.samples:
        if s.name != s.motion_id:                 # sub-clips of a longer motion: the demo shows whole clips
            continue
        acts = [a["name"] for a in notes.get(s.motion_id, {}).get("synth", {}).get("actions", [])]
        labels = [names[i] for i in s.labels if i < len(names)]
        out.append(CorpusClip(s.motion_id, np.array(index.motion(index.index_of(s.name)), np.float32),
                              [c.text for c in s.captions], labels, acts))
    out.sort(key=lambda c: c.id)
    if not out:
        raise CoamdError(f"{root}: the {split} split holds no captioned clips; use more --clips")
    return out


def corpus_labels(root: str | os.PathLike) -> list[str]:
    """Names of the labels that occur in the corpus (any split), alphabetically."""
    root = Path(root)
    index = MotionTextIndex(root, "all", dataset="synth", cache=None, filter_lengths=False)
    names = index.label_names or []
    used = {names[i] for s in index.samples for i in s.labels if i < len(names)}
    if not used:
        raise CoamdError(f"{root}: no action labels in annotations_actions_400.json")
    return sorted(used)


def pick_sources(clips: list[CorpusClip], count: int, max_frames: int, min_frames: int = 60) -> list[CorpusClip]:
    """``count`` edit sources, as varied as the held-back clips allow (reused round-robin when few).

    Clips between ``min_frames`` and ``max_frames`` come first (longest first gives visible edits),
    one per distinct first action; shorter ones fill in.
    """
    usable = [c for c in clips if c.frames <= max_frames]
    if not usable:
        raise CoamdError(f"no held-back clip is at most {max_frames} frames long; nothing to edit")
    good = sorted((c for c in usable if c.frames >= min_frames), key=lambda c: (-c.frames, c.id))
    rest = sorted((c for c in usable if c.frames < min_frames), key=lambda c: (-c.frames, c.id))
    first, seen = [], set()
    for c in good:
        key = c.actions[0] if c.actions else c.id
        if key not in seen:
            first.append(c)
            seen.add(key)
    order = first + [c for c in good if c not in first] + rest
    return [order[i % len(order)] for i in range(count)]


def pick_walker(clips: list[CorpusClip], max_frames: int) -> CorpusClip:
    """A held-back clip that travels (a locomotion action if there is one) for trajectory and body-part edits."""
    usable = [c for c in clips if c.frames <= max_frames] or clips
    walkers = [c for c in usable if c.actions and c.actions[0] in LOCOMOTION and c.frames >= 60]
    if walkers:
        return max(walkers, key=lambda c: (len(c.actions) == 1, c.frames, c.id))
    return max(usable, key=lambda c: (c.travel, c.id))
