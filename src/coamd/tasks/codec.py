"""Between canonical joints in metres and the models' spaces (paper-brief §2.1, §3.1, §5.2).

Every network reads z-normalised joints ``(x - Mean) / Std`` (B, T, 3J). The AE turns 4 frames into
one latent token; the generator works on tokens; ``decode_*`` turn tokens back into metres. The
differentiable versions (tensors in, tensors out) are what guidance and constraints backpropagate
through. A part's own Mean/Std are used for its input, so a MAR trained on other statistics than
the AE still sees its own normalisation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..errors import CoamdError
from .bundle import Bundle


def stats(bundle: Bundle, part: str, like: Tensor) -> tuple[Tensor, Tensor]:
    """(Mean, Std) of ``part`` as (F,) tensors on ``like``'s device and dtype."""
    n = bundle.normalizer(part)
    return (torch.as_tensor(n.mean, device=like.device, dtype=like.dtype),
            torch.as_tensor(n.std, device=like.device, dtype=like.dtype))


def normalize(bundle: Bundle, part: str, metres: Tensor) -> Tensor:
    """(B, T, J, 3) metres -> (B, T, 3J) in ``part``'s normalised space (differentiable)."""
    mean, std = stats(bundle, part, metres)
    return (metres.flatten(-2) - mean) / std


def to_metres(bundle: Bundle, part: str, x: Tensor) -> Tensor:
    """(B, T, 3J) normalised by ``part``'s statistics -> (B, T, J, 3) metres (differentiable)."""
    mean, std = stats(bundle, part, x)
    return (x * std + mean).unflatten(-1, (-1, 3))


def ae_to_mar(bundle: Bundle, x: Tensor) -> Tensor:
    """Re-normalise AE-space frames (B, T, F) into MAR's space; the identity when both share Mean/Std."""
    a, m = bundle.normalizer("ae"), bundle.normalizer("mar")
    if np.array_equal(a.mean, m.mean) and np.array_equal(a.std, m.std):
        return x
    return normalize(bundle, "mar", to_metres(bundle, "ae", x))


def decode_metres(bundle: Bundle, latents: Tensor) -> Tensor:
    """AE-decode tokens (B, L, C) to joints (B, unit*L, J, 3) in metres (differentiable)."""
    return to_metres(bundle, "ae", bundle.ae.decode(latents))


@torch.no_grad()
def decode_list(bundle: Bundle, latents: Tensor, token_lengths: Tensor | list[int]) -> list[np.ndarray]:
    """Decode each sample at its own length (no padding tokens reach the decoder): [(unit*l_b, J, 3)]."""
    out = []
    for b, n in enumerate(torch.as_tensor(token_lengths).tolist()):
        z = latents[b: b + 1, : int(n)].to(bundle.device, torch.float32)
        out.append(decode_metres(bundle, z)[0].cpu().numpy().astype(np.float32))
    return out


def pad_to_unit(joints: np.ndarray, unit: int) -> np.ndarray:
    """Repeat the last frame so the frame count is a multiple of ``unit`` (the AE's tokens cover 4 frames)."""
    T = joints.shape[0]
    extra = (-T) % unit
    return np.concatenate([joints, np.repeat(joints[-1:], extra, axis=0)]) if extra else joints


@torch.no_grad()
def encode_joints(bundle: Bundle, joints: np.ndarray | Tensor) -> Tensor:
    """AE-encode one motion (T, J, 3) metres (T a multiple of the unit length) -> tokens (1, T/unit, C)."""
    # np.array copies: inputs may be read-only (memory-mapped clips), which torch cannot wrap
    x = torch.as_tensor(np.array(joints, np.float32) if isinstance(joints, np.ndarray) else joints)
    x = x.to(bundle.device, torch.float32)
    if x.dim() == 3:
        x = x[None]
    if x.shape[1] % bundle.unit_length:
        raise CoamdError(f"encode: {x.shape[1]} frames is not a multiple of {bundle.unit_length}")
    return bundle.ae.encode(normalize(bundle, "ae", x))
