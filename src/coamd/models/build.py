"""Build the CoAMD networks from a :class:`ModelConfig` and count their parameters (paper-brief §3, §7.2).

``build_models(cfg, device="meta")`` allocates nothing, so counting the paper config is instant.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..skeleton import SKELETONS
from .autoencoder import MotionAutoencoder
from .config import ModelConfig
from .generator import MaskedGenerator
from .length import LengthEstimator
from .mar import MAR

PARTS = ("ae", "mar", "generator", "length")


def build_autoencoder(cfg: ModelConfig) -> MotionAutoencoder:
    return MotionAutoencoder(SKELETONS[cfg.skeleton], cfg.ae)


def build_mar(cfg: ModelConfig) -> MAR:
    return MAR(SKELETONS[cfg.skeleton], cfg.mar, cfg.text)


def build_generator(cfg: ModelConfig) -> MaskedGenerator:
    return MaskedGenerator(cfg.ae.latent_dim, cfg.text.sentence_dim, cfg.generator, cfg.head)


def build_length_estimator(cfg: ModelConfig) -> LengthEstimator:
    return LengthEstimator(cfg.text.sentence_dim, cfg.length)


_BUILDERS = {"ae": build_autoencoder, "mar": build_mar, "generator": build_generator, "length": build_length_estimator}


def build_models(cfg: ModelConfig, parts: tuple[str, ...] = PARTS, device: str | torch.device = "cpu",
                 dtype: torch.dtype = torch.float32) -> dict[str, nn.Module]:
    """``{part: module}`` for the requested parts, built directly on ``device`` (``meta`` allocates nothing)."""
    unknown = [p for p in parts if p not in _BUILDERS]
    if unknown:
        raise ValueError(f"unknown model part(s) {unknown}; known: {list(_BUILDERS)}")
    with torch.device(device):
        return {p: _BUILDERS[p](cfg).to(dtype=dtype) for p in parts}


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


@dataclass
class ParamCounts:
    ae: int
    ae_encoder: int
    ae_decoder: int
    mar: int
    mar_stream: int
    mar_fusion: int
    mar_text_tower: int
    mar_label_proj: int
    generator: int          # transformer only: input/cond projections, blocks, mask token
    head: int
    length: int

    @property
    def total(self) -> int:
        return self.ae + self.mar + self.generator + self.head + self.length


def parameter_counts(cfg: ModelConfig) -> ParamCounts:
    """Parameter counts per component, computed on the meta device."""
    m = build_models(cfg, device="meta")
    ae, mar, gen, length = m["ae"], m["mar"], m["generator"], m["length"]
    head = count_parameters(gen.head)
    return ParamCounts(
        ae=count_parameters(ae), ae_encoder=count_parameters(ae.encoder), ae_decoder=count_parameters(ae.decoder),
        mar=count_parameters(mar), mar_stream=count_parameters(mar.joint), mar_fusion=count_parameters(mar.fuse),
        mar_text_tower=count_parameters(mar.text), mar_label_proj=count_parameters(mar.label_proj),
        generator=count_parameters(gen) - head, head=head, length=count_parameters(length),
    )
