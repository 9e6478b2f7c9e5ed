"""Evaluator sizes (paper-brief §6.1; Guo et al. 2022 sizes for ``paper``).

YAML files keep the architecture under a top-level ``evaluator:`` key and the training options
under ``train_evaluator:`` (next to ``model:`` and the other ``train_*`` sections; their dataclass
is ``coamd.train.task_evaluator.EvaluatorTrainConfig``). Named presets
(``paper``, ``cpu-small``, ``tiny`` and their ``kit-`` variants) work without a YAML section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..config import ConfigError, from_dict, merge, parse_overrides, read_yaml, to_dict
from ..skeleton import SKELETONS


@dataclass
class MatcherConfig:
    """Evaluator (a), Guo et al.'s text-motion matching model (§6.1a)."""

    conv_hidden: int = 512      # MovementConvEncoder: Conv1d(F->h, k4 s2) x2 -> Linear
    movement_dim: int = 512
    motion_hidden: int = 1024   # bidirectional GRU over movement features (lengths // 4)
    text_hidden: int = 512      # bidirectional GRU over word vectors + POS
    embed_dim: int = 512        # co-embedding width
    use_pos: bool = True        # add a Linear(15-way POS one-hot -> word_dim)
    dropout: float = 0.2
    margin: float = 10.0        # Guo's contrastive margin: sets the embedding scale (MM-Dist ~3, Diversity ~10)
    negatives: Literal["all", "shift"] = "all"  # hinge over every non-matching pair, or Guo's one shifted pair


@dataclass
class ClipEvalConfig:
    """Evaluator (b), the contrastive "MotionCLIP" model behind the CLIP-score (§6.1b).

    Unlike MAR (three post-norm streams, sinusoidal PE, late fusion): one joint stream, pre-norm
    layers, a learned query token on both towers and a learnable logit scale.
    """

    d_model: int = 512
    layers: int = 8
    text_layers: int = 8
    heads: int = 8
    ff_dim: int = 1024
    dropout: float = 0.2
    embed_dim: int = 512
    init_temperature: float = 0.07


@dataclass
class EvaluatorConfig:
    skeleton: str = "smpl22"
    max_words: int = 20         # caption words fed to (a) (plus <sos>, <eos>)
    text_dim: int = 384         # token width of the frozen text encoder of (b) (the run's ``text`` backend)
    text_max_tokens: int = 32
    matcher: MatcherConfig = field(default_factory=MatcherConfig)
    clip: ClipEvalConfig = field(default_factory=ClipEvalConfig)

    def __post_init__(self) -> None:
        if self.skeleton not in SKELETONS:
            raise ConfigError(f"evaluator.skeleton: unknown skeleton {self.skeleton!r}; known: {sorted(SKELETONS)}")
        m, c = self.matcher, self.clip
        for name, value in (("max_words", self.max_words), ("text_dim", self.text_dim),
                            ("text_max_tokens", self.text_max_tokens), ("matcher.conv_hidden", m.conv_hidden),
                            ("matcher.movement_dim", m.movement_dim), ("matcher.motion_hidden", m.motion_hidden),
                            ("matcher.text_hidden", m.text_hidden), ("matcher.embed_dim", m.embed_dim),
                            ("clip.d_model", c.d_model), ("clip.layers", c.layers), ("clip.text_layers", c.text_layers),
                            ("clip.heads", c.heads), ("clip.ff_dim", c.ff_dim), ("clip.embed_dim", c.embed_dim)):
            if value < 1:
                raise ConfigError(f"evaluator.{name}: must be a positive integer, got {value}")
        if c.d_model % c.heads:
            raise ConfigError(f"evaluator.clip: d_model {c.d_model} is not divisible by heads={c.heads}")
        for name, p in (("matcher.dropout", m.dropout), ("clip.dropout", c.dropout)):
            if not 0.0 <= p < 1.0:
                raise ConfigError(f"evaluator.{name}: must lie in [0, 1), got {p}")
        if m.margin <= 0 or not 0.0 < c.init_temperature < 1.0:
            raise ConfigError("evaluator: matcher.margin must be > 0 and clip.init_temperature in (0, 1)")

    @property
    def feature_dim(self) -> int:
        return 3 * SKELETONS[self.skeleton].num_joints


def paper_evaluator_config(skeleton: str = "smpl22") -> EvaluatorConfig:
    """Guo et al.'s matcher sizes and upstream's MotionCLIP sizes (8 layers, d 512, ff 1024)."""
    return EvaluatorConfig(skeleton=skeleton)


def cpu_small_evaluator_config(skeleton: str = "smpl22") -> EvaluatorConfig:
    """About 2 M parameters: trains on the procedural corpus on 2 CPU cores."""
    return EvaluatorConfig(
        skeleton=skeleton,
        matcher=MatcherConfig(conv_hidden=128, movement_dim=128, motion_hidden=256, text_hidden=128,
                              embed_dim=128, dropout=0.1),
        clip=ClipEvalConfig(d_model=128, layers=2, text_layers=2, heads=4, ff_dim=256, dropout=0.1, embed_dim=128),
    )


def tiny_evaluator_config(skeleton: str = "smpl22", text_dim: int = 16) -> EvaluatorConfig:
    """Toy sizes for unit tests (no dropout; meant for ``text=hash`` tokens of width ``text_dim``).

    The margin is 1 rather than 10: a 16-d embedding starts with norms near 1 and would spend
    most of a short run just growing to Guo's scale.
    """
    return EvaluatorConfig(
        skeleton=skeleton, text_dim=text_dim, text_max_tokens=24,
        matcher=MatcherConfig(conv_hidden=32, movement_dim=32, motion_hidden=32, text_hidden=32, embed_dim=16,
                              dropout=0.0, margin=1.0),
        clip=ClipEvalConfig(d_model=32, layers=1, text_layers=1, heads=2, ff_dim=64, dropout=0.0, embed_dim=16),
    )


EVALUATOR_PRESETS = {
    "paper": paper_evaluator_config,
    "cpu-small": cpu_small_evaluator_config,
    "tiny": tiny_evaluator_config,
}


def load_evaluator_config(config: str | Path | None = None, overrides: list[str] | None = None) -> EvaluatorConfig:
    """Preset named like the config (``kit-`` prefix = KIT-21) <- its YAML ``evaluator:`` section <- overrides.

    ``config``: None (the paper preset), a preset name, a bundled config name or a YAML path.
    ``overrides``: ``key=value`` strings relative to ``evaluator`` (e.g. ``matcher.embed_dim=256``).
    """
    name = Path(str(config)).stem if config is not None else "paper"
    size = name.removeprefix("kit-")
    preset = EVALUATOR_PRESETS.get(size, paper_evaluator_config)
    data = to_dict(preset("kit21" if name.startswith("kit-") else "smpl22"))
    if config is not None and (is_yaml_config(config) or size not in EVALUATOR_PRESETS):
        section = read_yaml(config).get("evaluator", {})     # an unknown name fails here, listing the known
        data = merge(data, section if isinstance(section, dict) else {})
    data = merge(data, parse_overrides(overrides or []))
    return from_dict(EvaluatorConfig, data, "evaluator")


def is_yaml_config(config: str | Path) -> bool:
    """A YAML path, or the name of a config file under ``configs/``."""
    from ..config import config_dirs

    path = Path(str(config))
    return bool(path.suffix) or path.is_file() or any((d / f"{path.name}.yaml").is_file() for d in config_dirs())
