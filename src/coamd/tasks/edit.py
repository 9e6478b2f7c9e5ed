"""Motion editing (paper-brief §3.8, extended): temporal edits, body-part edits and trajectory control.

All edits run the generator's ``edit`` on the AE tokens of the source (up to 49 tokens = 9.8 s):
the tokens to regenerate are re-sampled over the coarse-to-fine schedule, the others stay
bit-exact in latent space.

* Temporal (``task`` or ``keep``): token masks from :mod:`.edit_specs`. The AE does not reproduce
  the kept frames exactly, so afterwards the source frames are copied back into the kept ranges
  and the difference is faded out over ``fade`` frames into the regenerated ones (the residual
  source − decoded at the border frame, weighted ½ + ½·cos(π d / (fade + 1)) at distance d), so
  positions and velocities stay continuous. The report gives the AE-only error on the kept
  frames too.
* Body part (``joints``): every token is regenerated (or those of the temporal mask), and a
  decoded-space constraint pulls the kept joints towards the source at every decoding step and in
  a final refinement (:mod:`.guidance`). The decoder cannot match them exactly, so with ``exact``
  (default) the kept joints are then overwritten with the source and each regenerated part is
  moved with its attachment, the joining bone restored to its source length
  (:func:`attach_kept_joints`). The report gives the drift before (``*_decoded``)
  and after the overwrite.
* MAR guidance (the sampling ``guidance`` step, 0 by default) also applies to the regenerated
  tokens when set; upstream never guided edits.
* Trajectory (``trajectory``): the same constraint on the decoded pelvis XZ path ((T, 2) metres at
  20 fps, or (T, 3) whose columns 0 and 2 are used; frames past its end are free). With
  ``exact`` the whole body is then shifted on the ground plane onto the path.
* Cleanup (``cleanup``, default on): the result is fitted to the source's bone lengths with planted
  feet and no jitter (:mod:`.cleanup`); kept frames and kept joints are restored exactly after it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import CoamdError, MotionFormatError
from ..io.load import regular_file
from ..skeleton import Skeleton, validate_motion
from .bundle import Bundle
from .codec import decode_list, encode_joints, pad_to_unit
from .edit_specs import (
    check_joint_indices,
    edit_mask_to_frames,
    frames_to_edit_mask,
    kept_frames,
    parse_joints,
    parse_keep,
    task_edit_mask,
)
from .generate import Sampling, check_texts, sampling_settings
from .guidance import Constraint, chain, constraint_hook, guidance_hook, refine
from .pinning import attach_kept_joints, blend_kept


@dataclass
class EditResult:
    """The edited motion (T, J, 3) metres, its source, the token mask and a report (errors in cm)."""

    motion: np.ndarray
    source: np.ndarray
    text: str
    edit_mask: np.ndarray          # (L,) True = regenerated token
    kept_frames: np.ndarray        # (T,) True = frame copied from the source
    kept_joints: list[int]
    report: dict[str, Any] = field(default_factory=dict)
    fps: float = 20.0

    def save(self, out_dir: str | os.PathLike, formats=("npy", "gif"), overwrite: bool = False,
             progress: bool | None = None) -> Path:
        from .outputs import save_edit

        return save_edit(self, out_dir, formats, overwrite=overwrite, progress=progress)


def load_trajectory(trajectory: str | os.PathLike | np.ndarray) -> np.ndarray:
    """A root path (T, 2) of (x, z) metres from a (T, 2) or (T, 3) array or ``.npy`` file."""
    where = "--trajectory"
    if isinstance(trajectory, (str, os.PathLike)):
        where = f"--trajectory {trajectory}"
        regular_file(trajectory, "--trajectory")
        try:
            trajectory = np.load(trajectory, allow_pickle=False)
        except FileNotFoundError:
            raise MotionFormatError(f"{where}: no such file") from None
        except (OSError, ValueError, EOFError) as e:
            raise MotionFormatError(f"{where}: not a readable .npy array ({e})") from None
    t = np.asarray(trajectory)
    if t.ndim != 2 or t.shape[1] not in (2, 3) or t.shape[0] < 1:
        raise MotionFormatError(f"{where}: expected shape (T, 2) x/z or (T, 3) x/y/z, got {t.shape}")
    if t.dtype.kind not in "fiu" or not np.isfinite(t).all():
        raise MotionFormatError(f"{where}: must hold finite numbers")
    return (t[:, [0, 2]] if t.shape[1] == 3 else t).astype(np.float32)


def _bone_change(motion: np.ndarray, source: np.ndarray, kept: list[int], skeleton: Skeleton) -> float:
    """Mean change (m) of the bone lengths joining kept and regenerated joints."""
    k = set(kept)
    joins = [(p, c) for p, c in skeleton.bones() if (p in k) != (c in k)]
    if not joins:
        return 0.0
    def lengths(x: np.ndarray) -> np.ndarray:
        return np.stack([np.linalg.norm(x[:, c] - x[:, p], axis=-1) for p, c in joins])
    return float(np.abs(lengths(motion) - lengths(source)).mean())


def _snap_to_path(motion: np.ndarray, path: np.ndarray, root: int) -> np.ndarray:
    """Shift the whole body on the ground plane so the root follows ``path`` (T', 2) exactly (frames past
    its end keep the last shift)."""
    out = motion.copy()
    T, n = len(out), min(len(out), len(path))
    off = np.zeros((T, 2), np.float32)
    off[:n] = path[:n] - out[:n, root][:, [0, 2]]
    off[n:] = off[n - 1]
    out[..., 0] += off[:, None, 0]
    out[..., 2] += off[:, None, 1]
    return out


def _mean_dist_cm(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b, axis=-1).mean() * 100.0) if a.size else 0.0


@dataclass
class EditPlan:
    """A checked edit request: the source, the text and what to keep / regenerate / constrain."""

    src: np.ndarray                 # (T, J, 3) validated source
    text: str
    mask: np.ndarray                # (L,) bool, True = regenerate the token
    keep_f: np.ndarray              # (T,) bool, frames copied back from the source
    kept_j: list[int]               # joints held to the source in every frame
    path: np.ndarray | None         # (N, 2) root trajectory on the floor, or None


def plan_edit(bundle: Bundle, source: np.ndarray, text: str, task: str | None, keep: str | None,
              joints: str | list[int] | None, trajectory: str | os.PathLike | np.ndarray | None) -> EditPlan:
    """Step 1: validate the request (one-line errors) and turn it into token / frame / joint masks."""
    skel, unit, fps = bundle.skeleton, bundle.unit_length, bundle.fps
    try:
        src = validate_motion(source, skel, "source motion")
    except ValueError as e:
        raise MotionFormatError(str(e)) from None
    (text,) = check_texts([text])
    T = src.shape[0]
    if T > bundle.max_tokens * unit:
        raise CoamdError(f"source motion: {T / fps:.1f} s is longer than the {bundle.max_tokens * unit / fps:.1f} s "
                         f"the editor handles; cut it first")
    if task is not None and keep is not None:
        raise CoamdError("--task and --keep both say what to keep; give one of them")
    if task is None and keep is None and joints is None and trajectory is None:
        raise CoamdError("nothing to edit: give --task, --keep, --joints or --trajectory")
    L = -(-T // unit)
    if task is not None:
        mask = task_edit_mask(task, L)
        keep_f = edit_mask_to_frames(mask, unit, T)
    elif keep is not None:
        keep_f = kept_frames(parse_keep(keep, T / fps), T, fps)
        mask = frames_to_edit_mask(keep_f, unit)
    else:
        mask, keep_f = np.ones(L, bool), np.zeros(T, bool)
    if not mask.any():
        raise CoamdError("the edit keeps every token of the motion, so nothing would be regenerated")
    kept_j = parse_joints(joints, skel) if isinstance(joints, str) else check_joint_indices(joints or [], skel)
    path = load_trajectory(trajectory) if trajectory is not None else None
    if path is not None and skel.root in kept_j:
        raise CoamdError(f"--trajectory moves the {skel.joint_names[skel.root]}, which --joints keeps; drop one")
    return EditPlan(src, text, mask, keep_f, kept_j, path)


def joint_constraint(bundle: Bundle, plan: EditPlan) -> Constraint | None:
    """Step 2: the kept joints and the trajectory as a weighted joint-position target (None without either)."""
    if not plan.kept_j and plan.path is None:
        return None
    skel, T = bundle.skeleton, plan.src.shape[0]
    target = torch.zeros(1, T, skel.num_joints, 3, device=bundle.device)
    weight = torch.zeros_like(target)
    if plan.kept_j:
        target[0, :, plan.kept_j] = torch.from_numpy(plan.src[:, plan.kept_j]).to(bundle.device)
        weight[0, :, plan.kept_j] = 1.0
    if plan.path is not None:
        n = min(T, len(plan.path))
        target[0, :n, skel.root, 0] = torch.from_numpy(plan.path[:n, 0]).to(bundle.device)
        target[0, :n, skel.root, 2] = torch.from_numpy(plan.path[:n, 1]).to(bundle.device)
        weight[0, :n, skel.root, 0] = weight[0, :n, skel.root, 2] = 1.0
    return Constraint(target, weight)


def regenerate(bundle: Bundle, plan: EditPlan, z_src: torch.Tensor, constraint: Constraint | None, seed: int,
               sampling: Sampling, constraint_iters: int, refine_iters: int, constraint_lr: float) -> np.ndarray:
    """Step 3: the model call -- regenerate the masked tokens (guided, constrained) and decode (T, J, 3)."""
    dev, L, T = bundle.device, len(plan.mask), plan.src.shape[0]
    edit_mask = torch.from_numpy(plan.mask)[None].to(dev)                        # (1, L)
    lengths = torch.tensor([L], device=dev)
    hook = chain(guidance_hook(bundle, [plan.text], lengths, sampling.guidance, sampling.guidance_reward),
                 constraint_hook(bundle, constraint, edit_mask, constraint_iters, constraint_lr)
                 if constraint is not None else None)
    rng = torch.Generator(dev).manual_seed(int(seed))
    lat = bundle.generator.edit(bundle.sentences([plan.text]), z_src, lengths, edit_mask, **sampling.decoding(),
                                generator=rng, on_step=hook)
    if constraint is not None:
        lat = refine(bundle, lat, edit_mask, constraint, refine_iters, constraint_lr)
    return decode_list(bundle, lat, [L])[0][:T]


def finish_edit(bundle: Bundle, plan: EditPlan, decoded: np.ndarray, report: dict[str, Any], fade: int,
                exact: bool, cleanup: bool) -> np.ndarray:
    """Step 4: put kept joints / the trajectory / kept frames back, clean up, and report the errors."""
    skel, fps, src, keep_f, kept_j, path = bundle.skeleton, bundle.fps, plan.src, plan.keep_f, plan.kept_j, plan.path
    T = src.shape[0]
    out = decoded.copy()
    if kept_j:
        report["kept_joints"] = [skel.joint_names[j] for j in kept_j]
        report["joint_drift_cm_decoded"] = round(_mean_dist_cm(out[:, kept_j], src[:, kept_j]), 3)
        if exact:
            out = attach_kept_joints(out, src, kept_j, skel)
        report["join_bone_change_cm"] = round(_bone_change(out, src, kept_j, skel) * 100.0, 3)
    if path is not None:
        n = min(T, len(path))
        report["trajectory_frames"] = n
        report["trajectory_error_cm_decoded"] = round(_mean_dist_cm(out[:n, skel.root][:, [0, 2]], path[:n]), 3)
        if exact:
            out = _snap_to_path(out, path, skel.root)
    out = blend_kept(out, src, keep_f, fade)
    report["cleanup"] = cleanup
    if cleanup:
        from .cleanup import cleanup_motion

        pins = np.zeros(out.shape[:2], bool)
        pins[keep_f] = True
        if exact:  # without exact, kept joints stay where the decoder put them (as without cleanup)
            pins[:, kept_j] = True
        out = cleanup_motion(out, fps, skel, keep=pins if pins.any() else None, source=src if pins.any() else None)
        if path is not None and exact:  # smoothing moved the pelvis by millimetres: back onto the path
            out = blend_kept(_snap_to_path(out, path, skel.root), src, keep_f, fade)
    if kept_j:
        report["joint_drift_cm"] = round(_mean_dist_cm(out[:, kept_j], src[:, kept_j]), 3)
    if path is not None:
        n = report["trajectory_frames"]
        report["trajectory_error_cm"] = round(_mean_dist_cm(out[:n, skel.root][:, [0, 2]], path[:n]), 3)
    if keep_f.any():
        report["kept_frames"] = int(keep_f.sum())
        report["kept_frames_error_cm_decoded"] = round(_mean_dist_cm(decoded[keep_f], src[keep_f]), 3)
        report["kept_frames_error_cm"] = round(_mean_dist_cm(out[keep_f], src[keep_f]), 3)
    return out


def edit(bundle: Bundle, source: np.ndarray, text: str, *, task: str | None = None, keep: str | None = None,
         joints: str | list[int] | None = None, trajectory: str | os.PathLike | np.ndarray | None = None,
         seed: int = 0, sampling: Sampling | None = None, constraint_iters: int = 8, refine_iters: int = 80,
         constraint_lr: float = 0.05, fade: int = 4, exact: bool = True, cleanup: bool = True) -> EditResult:
    """Edit ``source`` (T, J, 3) metres to match ``text``; see the module docstring for the modes.

    ``cleanup`` fits the result to the source's skeleton with planted feet (:mod:`.cleanup`), keeping
    the kept frames and joints where they were; False returns the decoded edit without it. The steps:
    `plan_edit` (checks, masks) -> `joint_constraint` -> `regenerate` (the model) -> `finish_edit`.
    """
    plan = plan_edit(bundle, source, text, task, keep, joints, trajectory)
    sampling = sampling or sampling_settings(bundle)
    unit, fps, src = bundle.unit_length, bundle.fps, plan.src
    T, L = src.shape[0], len(plan.mask)
    z_src = encode_joints(bundle, pad_to_unit(src, unit))                        # (1, L, C)
    recon = decode_list(bundle, z_src, [L])[0][:T]
    report: dict[str, Any] = {"text": plan.text, "frames": T, "seconds": round(T / fps, 3),
                              "regenerated_tokens": int(plan.mask.sum()), "tokens": L}
    sel = plan.keep_f if plan.keep_f.any() else np.ones(T, bool)
    report["ae_error_cm"] = round(_mean_dist_cm(recon[sel], src[sel]), 3)
    decoded = regenerate(bundle, plan, z_src, joint_constraint(bundle, plan), seed, sampling, constraint_iters,
                         refine_iters, constraint_lr)
    out = finish_edit(bundle, plan, decoded, report, fade, exact, cleanup)
    return EditResult(motion=out.astype(np.float32), source=src, text=plan.text, edit_mask=plan.mask,
                      kept_frames=plan.keep_f, kept_joints=plan.kept_j, report=report, fps=fps)


def edit_batch(bundle: Bundle, texts: Sequence[str], sources: Sequence[np.ndarray], task: str, *, seed: int = 0,
               sampling: Sampling | None = None, copy_back: bool = True, fade: int = 4,
               tick: Callable[[int], None] | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Temporal ``task`` edits of many sources (T_i, J, 3) metres towards their texts, batched.

    Returns (motions (T_i, J, 3), kept frames (T_i,) bool). Each request goes through
    :func:`plan_edit` (one-line errors; ceil(T_i / unit) tokens, the last frame repeated to fill the
    last one, as for a single edit); the generator regenerates ``sampling.batch_size`` sources at a
    time, batch b drawing from ``seed`` + its first index. With ``copy_back`` (what ``coamd edit``
    hands out) the kept frames are the source's, seams faded over ``fade`` frames (``blend_kept``);
    without it each motion is the AE decode of the whole edited latent sequence, kept frames
    included (upstream's edit evaluation). Body-part/trajectory constraints, cleanup and the report
    are :func:`edit`'s, for one motion.
    """
    if len(texts) != len(sources):
        raise CoamdError(f"edit_batch: {len(texts)} texts for {len(sources)} source motions")
    sampling = sampling or sampling_settings(bundle)
    plans = [plan_edit(bundle, s, t, task, None, None, None) for t, s in zip(texts, sources)]
    unit, dev, motions = bundle.unit_length, bundle.device, []
    for first in range(0, len(plans), sampling.batch_size):
        batch = plans[first:first + sampling.batch_size]
        tokens = [len(p.mask) for p in batch]
        z = torch.zeros(len(batch), max(tokens), bundle.ae.latent_dim, device=dev)      # (B, L, C)
        masks = torch.zeros(len(batch), max(tokens), dtype=torch.bool, device=dev)      # True = regenerate
        for b, p in enumerate(batch):
            z[b, : tokens[b]] = encode_joints(bundle, pad_to_unit(p.src, unit))[0]
            masks[b, : tokens[b]] = torch.from_numpy(p.mask)
        lengths = torch.tensor(tokens, device=dev)
        texts_b = [p.text for p in batch]
        hook = guidance_hook(bundle, texts_b, lengths, sampling.guidance, sampling.guidance_reward)
        rng = torch.Generator(dev).manual_seed(int(seed + first))
        lat = bundle.generator.edit(bundle.sentences(texts_b), z, lengths, masks, **sampling.decoding(),
                                    generator=rng, on_step=hook)
        for dec, p in zip(decode_list(bundle, lat, tokens), batch):
            dec = np.asarray(dec[: len(p.src)], np.float32)
            motions.append(blend_kept(dec, p.src, p.keep_f, fade).astype(np.float32) if copy_back else dec)
        if tick is not None:
            tick(len(batch))
    return motions, [p.keep_f for p in plans]
