"""What ``coamd demo`` shows (Tasks issue §8): prompts, the chained sequence and one edit of each kind.

The prompts use the corpus's vocabulary (``coamd.synth`` actions and caption phrasing), so
weights trained on the procedural corpus can follow them. Edits cover every mode of
``coamd.tasks.edit`` (paper-brief §3.8 plus the extensions): the four temporal tasks, a
``--keep`` time range, a body-part edit and a trajectory-following edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..skeleton import SMPL22, root_trajectory
from .corpus import CorpusClip

# (prompt, seconds): six different kinds of motion.
PROMPTS: tuple[tuple[str, float], ...] = (
    ("a person walks forward at a normal pace", 4.0),
    ("a person does jumping jacks", 4.0),
    ("a person waves hello with the right hand", 3.0),
    ("a man kicks forward with his right leg twice", 3.5),
    ("a person runs forward and then does a cartwheel to the left", 5.0),
    ("a person sits down on a chair", 3.0),
)

# One long motion: segments chained with 1 s overlaps (coamd.tasks.long_motion).
SEQUENCE: tuple[tuple[str, float], ...] = (
    ("a person walks forward", 4.0),
    ("a person sits down on a chair", 3.5),
    ("a person stands up and waves with the left hand", 4.0),
)


@dataclass(frozen=True)
class EditSpec:
    """One edit shown on the page; ``text`` None means the source clip's own caption."""

    kind: str          # inpaint, outpaint, prefix, suffix, keep, body, trajectory
    title: str
    text: str | None
    kept: str          # what the page says stays from the source


EDITS: tuple[EditSpec, ...] = (
    EditSpec("inpaint", "In-betweening (inpaint)", "a person jumps straight up once",
             "first and last quarter kept; the middle half regenerated"),
    EditSpec("outpaint", "Outpainting", "a person waves with the left hand",
             "middle half kept; the first and last quarter regenerated"),
    EditSpec("prefix", "Prefix (continue the motion)", "a person crouches down into a squat and rises again",
             "first half kept; the rest regenerated"),
    EditSpec("suffix", "Suffix (lead into the motion)", "a person walks backward",
             "last half kept; the start regenerated"),
    EditSpec("keep", "Keep a time range (--keep)", "a person spins around",
             "the first and last 1.5 s kept (--keep 0:1.5,END-1.5:)"),
    EditSpec("body", "Body-part edit (--joints lower)", "a person does big arm circles forward",
             "the legs and pelvis kept; the upper body regenerated"),
    EditSpec("trajectory", "Trajectory following (--trajectory)", None,
             "the motion regenerated to follow a path curving 90 degrees to the left"),
)


def keep_spec(seconds: float, margin: float = 1.5) -> str:
    """``--keep`` ranges for the first and last ``margin`` seconds (shorter clips keep a quarter each)."""
    m = min(margin, seconds / 4.0)
    return f"0:{m:.2f},{seconds - m:.2f}:"


def curved_path(source: np.ndarray, turn_deg: float = 90.0, min_length: float = 1.5) -> np.ndarray:
    """A pelvis path (T, 2) of (x, z) metres that covers the source's ground distance frame by frame
    but bends ``turn_deg`` to the left (towards +X when facing +Z) over the clip.

    A clip that barely moves gets a path of ``min_length`` metres walked at a constant speed.
    """
    path = root_trajectory(source, SMPL22)                                      # (T, 2)
    T = len(path)
    step = np.linalg.norm(np.diff(path, axis=0), axis=1)                       # (T-1,)
    s = np.concatenate([[0.0], np.cumsum(step)])                               # (T,) arc length
    if s[-1] < min_length:
        s = np.linspace(0.0, min_length, T)
    radius = s[-1] / math.radians(turn_deg)
    theta = s / radius
    out = np.stack([radius * (1.0 - np.cos(theta)), radius * np.sin(theta)], axis=1)
    return (out + path[0]).astype(np.float32)


def edit_arguments(spec: EditSpec, source: CorpusClip) -> dict[str, Any]:
    """Keyword arguments of ``coamd.tasks.edit`` for ``spec`` on ``source``."""
    if spec.kind in ("inpaint", "outpaint", "prefix", "suffix"):
        return {"task": spec.kind}
    if spec.kind == "keep":
        return {"keep": keep_spec(source.seconds)}
    if spec.kind == "body":
        return {"joints": "lower"}
    if spec.kind == "trajectory":
        return {"trajectory": curved_path(source.joints)}
    raise ValueError(f"unknown edit kind {spec.kind!r}")
