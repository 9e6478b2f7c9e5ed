"""The Python API: ``m = coamd.load()`` then ``m.generate`` / ``edit`` / ``recognize`` / ``retrieve`` (paper-brief §5).

Example (``tests/test_api.py`` runs it)::

    import coamd

    m = coamd.load()                                   # bundled weights; or coamd.load("runs/", device="cuda")
    out = m.generate(["a person walks forward", "a person jumps"], lengths=3.0, num_samples=2, seed=1)
    walk = out[0]                                      # (60, 22, 3) float32, metres, 20 fps
    out.save("samples", formats=["npy", "bvh"])        # one file per sample + samples.npz
    auto = m.generate("a person sits down")            # length from the length estimator
    long = m.generate_sequence(["walk forward", "sit down on a chair", "stand up"])
    legs = m.edit(walk, text="a person waves", joints="lower")    # keep the legs, regenerate the rest
    mid = m.edit(walk, text="a person jumps", task="inpaint")     # regenerate the middle half
    print(legs.report["joint_drift_cm"], mid.report["kept_frames_error_cm"])
    print(m.recognize(walk, labels=["walk", "run", "jump"])[0].labels)
    print(m.retrieve(text="a person jumps", gallery=[walk, long[0]], top_k=1))
    print(m.retrieve(motion=walk, texts=["someone walks", "someone jumps"]))
    coamd.save_bvh("walk.bvh", walk)
    again = coamd.load_motion("walk.bvh").joints     # back as canonical (T, 22, 3)

Motions are canonical SMPL-22 joint arrays (T, 22, 3) in metres at 20 fps (Y up, facing +Z);
wherever a motion is expected, a file path or a ``coamd.io.LoadedMotion`` works too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..errors import CoamdError
from .bundle import Bundle, load_bundle
from .edit import EditResult
from .edit import edit as edit_motion
from .generate import GenerationResult, LengthArg, sampling_settings
from .generate import generate as generate_motions
from .long_motion import generate_sequence
from .recognize import Recognition, as_joints, embed_motions, embed_texts, recognize
from .retrieve import Gallery, build_gallery, check_model, rank_texts, top_matches


class CoAMD:
    """One loaded model bundle and the four tasks on it; see the module docstring for an example."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> CoAMD:
        return cls(load_bundle(path, device=device))

    def __repr__(self) -> str:
        return f"CoAMD(parts={sorted(self.bundle.parts)}, root={str(self.bundle.root)!r}, device={self.bundle.device})"

    # ------------------------------------------------------------------ generation
    def generate(self, texts: str | Sequence[str], lengths: LengthArg | Sequence[LengthArg] = None, *,
                 num_samples: int = 1, seed: int = 0, guidance: float | None = None, decode_steps: int | None = None,
                 cfg_scale: float | None = None, sampler: str | None = None, ode_steps: int | None = None,
                 batch_size: int | None = None, progress: bool | None = False, cleanup: bool = True) -> GenerationResult:
        """``num_samples`` motions per text; ``lengths`` in seconds (one, or one per text) or None = estimated.

        ``cleanup=False`` returns the network output untouched (default: constant bones, planted feet)."""
        s = sampling_settings(self.bundle, guidance=guidance, decode_steps=decode_steps, cfg_scale=cfg_scale, sampler=sampler,
                              ode_steps=ode_steps, batch_size=batch_size)
        return generate_motions(self.bundle, texts, lengths, num_samples=num_samples, seed=seed, sampling=s,
                                progress=progress, cleanup=cleanup)

    def generate_sequence(self, texts: Sequence[str], lengths: LengthArg | Sequence[LengthArg] = None, *,
                          num_samples: int = 1, seed: int = 0, guidance: float | None = None,
                          decode_steps: int | None = None, cfg_scale: float | None = None, sampler: str | None = None,
                          ode_steps: int | None = None, progress: bool | None = False,
                          cleanup: bool = True) -> GenerationResult:
        """One long motion per sample performing ``texts`` in order (chained segments, 1 s overlaps)."""
        s = sampling_settings(self.bundle, guidance=guidance, decode_steps=decode_steps, cfg_scale=cfg_scale, sampler=sampler,
                              ode_steps=ode_steps)
        return generate_sequence(self.bundle, texts, lengths, num_samples=num_samples, seed=seed, sampling=s,
                                 progress=progress, cleanup=cleanup)

    def edit(self, motion: Any, text: str, *, task: str | None = None, keep: str | None = None,
             joints: str | Sequence[int] | None = None, trajectory: Any = None, seed: int = 0,
             guidance: float | None = None, decode_steps: int | None = None, cfg_scale: float | None = None,
             sampler: str | None = None, ode_steps: int | None = None, exact: bool = True,
             cleanup: bool = True) -> EditResult:
        """Edit a motion: ``task`` (inpaint/outpaint/prefix/suffix), ``keep`` ("0:2.5,7:9" s), ``joints`` kept
        ("upper", "left_arm,head", ...) and/or a root ``trajectory`` (T, 2) to follow."""
        s = sampling_settings(self.bundle, guidance=guidance, decode_steps=decode_steps, cfg_scale=cfg_scale, sampler=sampler,
                              ode_steps=ode_steps)
        src = as_joints(motion, self.bundle.skeleton, "motion")
        return edit_motion(self.bundle, src, text, task=task, keep=keep,
                           joints=list(joints) if joints is not None and not isinstance(joints, str) else joints,
                           trajectory=trajectory, seed=seed, sampling=s, exact=exact, cleanup=cleanup)

    # ------------------------------------------------------------------ recognition and embeddings
    def recognize(self, motions: Any, labels: Sequence[str] | str | None = None, top_k: int = 5,
                  tta: str | None = None) -> list[Recognition]:
        """Top-k labels per motion (zero-shot against any ``labels``; default: the bundle's labels).
        ``tta``: test-time views averaged ("none", "mirror", "speed", "mirror+speed"; default: the MAR's)."""
        return recognize(self.bundle, _motion_list(motions), labels, top_k, tta=tta)

    def embed_text(self, texts: str | Sequence[str]) -> np.ndarray:
        """L2-normalised MAR text embeddings (N, E)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        return embed_texts(self.bundle, texts).cpu().numpy()

    def embed_motion(self, motions: Any) -> np.ndarray:
        """L2-normalised MAR motion embeddings (N, E) (long clips: averaged 196-frame windows)."""
        return embed_motions(self.bundle, _motion_list(motions)).cpu().numpy()

    # ------------------------------------------------------------------ retrieval
    def index(self, inputs: Sequence[str | os.PathLike], path: str | os.PathLike | None = None) -> Gallery:
        """Embed motion files/folders into a gallery (saved to ``path`` when given)."""
        gallery = build_gallery(self.bundle, list(inputs))
        if path is not None:
            gallery.save(path)
        return gallery

    def retrieve(self, text: str | None = None, *, motion: Any = None, gallery: Any = None,
                 texts: Sequence[str] | None = None, top_k: int = 10) -> list[dict]:
        """Text -> motions of ``gallery`` (a Gallery, an index file, a folder, or a list of motions), or
        ``motion`` -> ``texts``; a ranked list of dicts with ``rank``, ``score`` and ``path``/``index``/``text``."""
        if (text is None) == (motion is None):
            raise CoamdError("retrieve: give either text= (ranks gallery motions) or motion= (ranks texts)")
        if motion is not None:
            if not texts:
                raise CoamdError("retrieve: motion= needs texts= to rank")
            return rank_texts(self.bundle, [motion], list(texts), top_k)[0]
        if gallery is None:
            raise CoamdError("retrieve: text= needs gallery= (an index file, a folder or a list of motions)")
        from .retrieve import open_gallery, rank_motions

        if isinstance(gallery, (Gallery, str, os.PathLike)) or (
                isinstance(gallery, (list, tuple)) and all(isinstance(g, (str, os.PathLike)) for g in gallery)):
            return rank_motions(self.bundle, [text], open_gallery(self.bundle, gallery), top_k)[0]
        emb = embed_motions(self.bundle, _motion_list(gallery))
        scores, idx = top_matches(embed_texts(self.bundle, [text]), emb, top_k)
        return [{"rank": r + 1, "index": int(i), "score": round(float(s), 6)}
                for r, (s, i) in enumerate(zip(scores[0].tolist(), idx[0].tolist()))]


def _motion_list(motions: Any) -> list:
    if isinstance(motions, (str, os.PathLike)) or (isinstance(motions, np.ndarray) and motions.ndim == 3):
        return [motions]
    if hasattr(motions, "joints") and not isinstance(motions, (list, tuple)):
        return [motions]
    return list(motions)


def load(path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> CoAMD:
    """Load the bundled weights (no ``path``) or a bundle / training-run folder; see ``coamd.tasks.bundle``."""
    return CoAMD.load(path, device)


__all__ = ["CoAMD", "check_model", "load"]
