"""The procedural motion corpus (Foundation issue §5): parametric actions on the SMPL-22 skeleton,
clips of 1-3 actions with blended transitions, captions from a grammar, HumanML3D-400 labels,
written in the HumanML3D on-disk layout that `coamd.data.humanml3d` reads (paper-brief §2.1-2.2).

    >>> import numpy as np
    >>> from coamd.synth import synthesize_clip
    >>> clip = synthesize_clip(np.random.default_rng(0), [("walk", {"speed": "slow"}), "wave"])
    >>> clip.joints.shape[1:], len(clip.captions)
    ((22, 3), 3)
"""

from __future__ import annotations

from . import act_arms, act_floor, act_jumps, act_locomotion, act_special  # noqa: F401  (register actions)
from .body import Body, Style, make_body, sample_body, sample_style
from .captions import Caption
from .compose import MAX_FRAMES, MIN_FRAMES, ActionInstance, Clip, ClipSpec, synthesize_clip
from .corpus import GENERATOR_VERSION, generate_clips, write_corpus
from .labels import LABELS
from .library import ACTIONS, ActionDef

__all__ = [
    "ACTIONS", "GENERATOR_VERSION", "LABELS", "MAX_FRAMES", "MIN_FRAMES", "ActionDef", "ActionInstance", "Body",
    "Caption", "Clip", "ClipSpec", "Style", "generate_clips", "make_body", "sample_body", "sample_style",
    "synthesize_clip", "write_corpus",
]
