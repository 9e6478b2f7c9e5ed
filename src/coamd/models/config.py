"""Model sizes: one dataclass tree for the AE, MAR, generator, flow head and length estimator.

The defaults are the paper's sizes (paper-brief §3.1-§3.4); :func:`cpu_small_config` is the
CPU-trainable variant. YAML configs keep these under a top-level ``model:`` key with sub-keys
``ae``, ``mar``, ``generator``, ``head`` and ``length`` (other top-level keys belong to the
trainer and the tasks and are ignored here). Text dims are config values: the paper config counts
with CLIP ViT-B/32's 512-d sentence and token embeddings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..config import ConfigError, load
from ..skeleton import SKELETONS


@dataclass
class TextDims:
    """Widths of the frozen text encoder's outputs (CLIP ViT-B/32: 512/512, MiniLM-L6: 384/384)."""

    sentence_dim: int = 512
    token_dim: int = 512


@dataclass
class AEConfig:
    """3-stream convolutional autoencoder (§3.1)."""

    width: int = 512
    latent_dim: int = 512
    depth: int = 3              # ResConv1D blocks per resolution level
    down_t: int = 2             # number of stride-2 downsamplings: 2 -> 4 frames per token
    dilation_growth: int = 3    # dilations 9, 3, 1 for depth 3
    dropout: float = 0.2


@dataclass
class MARConfig:
    """Multi-modal action recognizer (§3.2): three motion streams, late fusion, two text towers."""

    d_model: int = 512
    layers: int = 8
    heads: int = 8
    ff_dim: int = 1024
    dropout: float = 0.2
    embed_dim: int = 512        # fused embedding f and the text-tower outputs
    text_layers: int = 8        # description tower B depth
    pool: Literal["last", "mean"] = "last"  # tower B pooling: last valid token (CLIP EOT) or mean
    time_embed: bool = True     # upstream's per-stream timestep embedder (used only when t is given)
    max_frames: int = 2000
    tau_recog: float = 0.4
    tau_desc: float = 0.1
    filter_threshold: float = 0.8   # off-diagonal caption pairs with sentence cosine above are not negatives
    latent_weight: float = 0.5      # SmoothL1(f, e_desc) inside L_desc
    recog_weight: float = 0.5       # total = L_desc + recog_weight * L_recog
    # share of tower B's cosine (label name through the description tower) in label scores at
    # recognition; 0 = the paper's tower-A prototypes only (docs/domain_gap.md)
    label_text_weight: float = 0.0
    # test-time views of a clip whose label scores recognition averages: "none", "mirror" (plus the
    # left/right mirror image, scored against the side-swapped names), "speed" (plus the clip played at
    # 0.8x and 1.25x) or "mirror+speed" (all six); coamd.tasks.recognize, docs/domain_gap.md section 10
    recog_tta: str = "none"


@dataclass
class GeneratorConfig:
    """Masked transformer over AE latent tokens with adaLN-Zero blocks (§3.3)."""

    hidden: int = 1024
    depth: int = 6
    heads: int = 16
    mlp_dim: int = 4096
    dropout: float = 0.2
    cond_drop: float = 0.1      # probability of the null (zero) text condition in training
    noise_prob: float = 0.1     # masked tokens replaced by Gaussian noise
    mask_prob: float = 0.88     # of the remaining masked tokens, replaced by mask_latent (rest: clean)
    max_tokens: int = 512       # positional-encoding table length


@dataclass
class HeadConfig:
    """Per-token flow-matching MLP head, SimpleMLPAdaLN (§3.4)."""

    width: int = 1792
    depth: int = 16
    freq_dim: int = 256
    batch_mul: int = 4          # each masked token is trained with this many (t, noise) draws
    # the time embedder sees time_scale·t, t in [0, 1]: 1.0 is the official SiT head's raw t (the
    # paper default); the bundled cpu-small weights were trained with 1000·t (DDPM step-like), and a
    # checkpoint saved before this field existed loads as 1000 (LEGACY_TIME_SCALE).
    time_scale: float = 1.0


LEGACY_TIME_SCALE = 1000.0      # head.time_scale of model configs stored without the field


@dataclass
class LengthConfig:
    """Text -> motion length (in AE tokens) classifier."""

    hidden: int = 512
    max_tokens: int = 49        # classes 1..max_tokens tokens (49 x 4 = 196 frames)
    dropout: float = 0.2


@dataclass
class ModelConfig:
    skeleton: str = "smpl22"
    text: TextDims = field(default_factory=TextDims)
    ae: AEConfig = field(default_factory=AEConfig)
    mar: MARConfig = field(default_factory=MARConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    length: LengthConfig = field(default_factory=LengthConfig)

    def __post_init__(self) -> None:
        if self.skeleton not in SKELETONS:
            raise ConfigError(f"model.skeleton: unknown skeleton {self.skeleton!r}; known: {sorted(SKELETONS)}")
        positive = {
            "text.sentence_dim": self.text.sentence_dim, "text.token_dim": self.text.token_dim,
            "ae.width": self.ae.width, "ae.latent_dim": self.ae.latent_dim, "ae.depth": self.ae.depth,
            "ae.down_t": self.ae.down_t, "ae.dilation_growth": self.ae.dilation_growth,
            "mar.d_model": self.mar.d_model, "mar.layers": self.mar.layers, "mar.heads": self.mar.heads,
            "mar.ff_dim": self.mar.ff_dim, "mar.embed_dim": self.mar.embed_dim,
            "mar.text_layers": self.mar.text_layers, "mar.max_frames": self.mar.max_frames,
            "generator.hidden": self.generator.hidden, "generator.depth": self.generator.depth,
            "generator.heads": self.generator.heads, "generator.mlp_dim": self.generator.mlp_dim,
            "generator.max_tokens": self.generator.max_tokens, "head.width": self.head.width,
            "head.depth": self.head.depth, "head.freq_dim": self.head.freq_dim,
            "head.batch_mul": self.head.batch_mul, "length.hidden": self.length.hidden,
            "length.max_tokens": self.length.max_tokens,
        }
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"model.{name}: must be a positive integer, got {value}")
        for name, dim, heads in (("mar", self.mar.d_model, self.mar.heads),
                                 ("generator", self.generator.hidden, self.generator.heads)):
            if dim % heads:
                raise ConfigError(f"model.{name}: width {dim} is not divisible by heads={heads}")
        if not (math.isfinite(self.head.time_scale) and self.head.time_scale > 0):
            raise ConfigError(f"model.head.time_scale: must be a positive number, got {self.head.time_scale}")
        if self.head.freq_dim % 2:
            raise ConfigError(f"model.head.freq_dim: must be even, got {self.head.freq_dim}")
        for name, p in (("mar.dropout", self.mar.dropout), ("generator.dropout", self.generator.dropout),
                        ("generator.cond_drop", self.generator.cond_drop),
                        ("generator.noise_prob", self.generator.noise_prob),
                        ("generator.mask_prob", self.generator.mask_prob), ("ae.dropout", self.ae.dropout),
                        ("length.dropout", self.length.dropout)):
            if not 0.0 <= p <= 1.0:
                raise ConfigError(f"model.{name}: must lie in [0, 1], got {p}")

    @property
    def num_joints(self) -> int:
        return SKELETONS[self.skeleton].num_joints

    @property
    def feature_dim(self) -> int:
        """Per-frame input width: joints x 3 (66 for SMPL-22, 63 for KIT-21)."""
        return 3 * self.num_joints

    @property
    def unit_length(self) -> int:
        """Frames per latent token (4 at the paper's two stride-2 downsamplings)."""
        return 2 ** self.ae.down_t


def paper_config(skeleton: str = "smpl22") -> ModelConfig:
    """The paper's sizes: AE 19.0M, MAR 70.4M trainable, generator 114.4M (depth 6), head 270.9M."""
    return ModelConfig(skeleton=skeleton)


def cpu_small_config(skeleton: str = "smpl22") -> ModelConfig:
    """A few-M-parameter variant for the procedural corpus (the bundled weights' sizes).

    AE, generator and length estimator train on 2 CPU cores; MAR (3 streams x 3 layers, d192)
    was trained on a GPU for the bundle (hours on 2 cores). Text dims are MiniLM-L6's 384;
    bundled weights stay under 30 MB in fp16.
    """
    return ModelConfig(
        skeleton=skeleton,
        text=TextDims(sentence_dim=384, token_dim=384),
        ae=AEConfig(width=128, latent_dim=64, depth=3, down_t=2, dilation_growth=3, dropout=0.1),
        mar=MARConfig(d_model=192, layers=3, heads=6, ff_dim=384, dropout=0.1, embed_dim=128, text_layers=2,
                      pool="mean", time_embed=False),
        generator=GeneratorConfig(hidden=256, depth=3, heads=4, mlp_dim=512, dropout=0.1),
        head=HeadConfig(width=256, depth=3, freq_dim=128, batch_mul=4, time_scale=LEGACY_TIME_SCALE),
        length=LengthConfig(hidden=128, max_tokens=49, dropout=0.1),
    )


def tiny_config(skeleton: str = "smpl22", text_dim: int = 16) -> ModelConfig:
    """Toy sizes (well under 1 M params, no dropout) for unit tests and smoke runs of other modules."""
    return ModelConfig(
        skeleton=skeleton,
        text=TextDims(sentence_dim=text_dim, token_dim=text_dim),
        ae=AEConfig(width=32, latent_dim=16, depth=2, down_t=2, dilation_growth=3, dropout=0.0),
        mar=MARConfig(d_model=32, layers=1, heads=2, ff_dim=64, dropout=0.0, embed_dim=32, text_layers=1,
                      pool="mean", time_embed=False, max_frames=256),
        generator=GeneratorConfig(hidden=64, depth=2, heads=4, mlp_dim=128, dropout=0.0, max_tokens=64),
        head=HeadConfig(width=64, depth=2, freq_dim=32, batch_mul=4),
        length=LengthConfig(hidden=32, max_tokens=49, dropout=0.0),
    )


def with_legacy_defaults(model_config: dict) -> dict:
    """A stored ``model_config`` dict with the values its checkpoint was trained with for fields added
    later: ``head.time_scale`` = 1000 (every head before the field used 1000·t)."""
    out = dict(model_config)
    head = out.get("head")
    if isinstance(head, dict) and "time_scale" not in head:
        out["head"] = {**head, "time_scale": LEGACY_TIME_SCALE}
    elif head is None:
        out["head"] = {"time_scale": LEGACY_TIME_SCALE}
    return out


def load_model_config(config: str | Path | None = None, overrides: list[str] | None = None) -> ModelConfig:
    """The ``model:`` section of a named config (``paper``, ``cpu-small``, ...) or YAML path.

    ``overrides`` are ``key=value`` strings relative to ``model`` (e.g. ``generator.depth=8``).
    """
    return load(ModelConfig, config, overrides, section="model")
