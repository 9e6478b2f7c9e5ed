"""Typed training configs, one per model (paper-brief §4 training recipes, §10 defaults).

YAML files keep them under top-level keys ``train_ae``, ``train_mar``, ``train_generator`` and
``train_length`` (the ``model:`` key holds the architecture, see ``coamd.models.config``).
``key=value`` overrides on the command line go to the train config, except those starting with
``model.`` which go to the model config. Unknown keys are errors.

Step counts (warm-up, milestones, intervals, max_steps) count optimizer steps. ``batch_size`` is
the per-process micro-batch: the global batch is batch_size x processes x accumulation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..config import ConfigError, load, parse_overrides


@dataclass
class TrainConfig:
    """Options shared by every trainer (defaults are the AE recipe of paper-brief §4)."""

    data: str = "synth"                 # dataset folder or name (see `coamd data`)
    lr: float = 2e-4
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.0
    warmup_steps: int = 1000            # linear warm-up from lr/warmup_steps to lr
    milestones: list[int] = field(default_factory=lambda: [150_000, 250_000])
    gamma: float = 0.05                 # lr *= gamma at each milestone
    batch_size: int = 256               # per process, per micro-batch
    accumulation: int = 1               # micro-batches per optimizer step
    max_steps: int = 0                  # 0 = no step limit (max_epochs decides)
    max_epochs: int = 50                # 0 = no epoch limit (max_steps decides)
    grad_clip: float = 0.0              # max global grad norm; 0 = off
    ema_decay: float = 0.0              # 0 = no EMA; else the EMA weights are saved for inference
    # auto: bf16 on CUDA if supported, off on CPU; fp32 (= off): no autocast, the official code's precision
    # (paper.yaml); YAML reads a bare off/on as false/true: accepted. coamd.train.precision
    amp: Literal["auto", "fp32", "off", "bf16", "fp16"] | bool = "auto"
    tf32: bool = True                   # allow TF32 matmuls/convolutions on CUDA (as the official fp32 runs)
    seed: int = 0
    num_workers: int = 0
    text: str = "minilm"                # text backend (coamd.text.TEXT_ENCODERS)
    log_every: int = 50
    val_every: int = 1000               # 0 = validate only at the end
    val_batches: int = 0                # 0 = the whole val split
    ckpt_every: int = 1000              # 0 = checkpoint only at the end / on a signal
    keep_checkpoints: int = 2           # periodic step_*.pt files kept besides latest/best
    val_split: str = "val"              # never "test" for model selection (paper-brief §9.7)

    def check(self) -> None:
        """Raise a ConfigError naming the first inconsistent value (and spell amp as a string)."""
        if isinstance(self.amp, bool):
            self.amp = "auto" if self.amp else "off"
        if self.lr <= 0:
            raise ConfigError(f"lr: must be positive, got {self.lr}")
        if not all(0.0 <= b < 1.0 for b in self.betas):
            raise ConfigError(f"betas: each must lie in [0, 1), got {list(self.betas)}")
        for name in ("batch_size", "accumulation"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be at least 1, got {getattr(self, name)}")
        for name in ("warmup_steps", "max_steps", "max_epochs", "num_workers", "log_every", "val_every",
                     "val_batches", "ckpt_every", "keep_checkpoints"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}: must not be negative, got {getattr(self, name)}")
        if self.max_steps == 0 and self.max_epochs == 0:
            raise ConfigError("max_steps and max_epochs are both 0: set at least one limit")
        if list(self.milestones) != sorted(self.milestones):
            raise ConfigError(f"milestones: must be increasing, got {list(self.milestones)}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay: must lie in [0, 1), got {self.ema_decay}")
        if self.grad_clip < 0 or self.weight_decay < 0 or self.gamma <= 0:
            raise ConfigError("grad_clip and weight_decay must be >= 0 and gamma > 0")
        if getattr(self, "window_stride", 1) < 1:
            raise ConfigError(f"window_stride: must be at least 1, got {self.window_stride}")
        if self.val_split == "test":
            raise ConfigError("val_split: model selection on the test split is not allowed (use val)")


@dataclass
class AETrainConfig(TrainConfig):
    """AE (§4): SmoothL1 on joints/bones/velocities, AdamW 2e-4, warm-up 1k, x0.05 at 150k/250k, bs 256."""

    window_stride: int = 1              # frames between consecutive 64-frame training windows (paper: 1)
    # Decoder fine-tuning (docs/model_cards/cpu-small.md); the defaults keep the original recipe.
    init: str = ""                      # AE checkpoint, run or bundle ae.pt to start from ("" = random init)
    freeze_encoder: bool = False        # train the decoder only: a generator trained on the latents stays valid
    geo_bone: float = 0.0               # weight of bone-length constancy + match to the target (m)
    geo_contact: float = 0.0            # weight of foot velocity vs the target's while its foot is on the floor (m/frame)
    geo_accel: float = 0.0              # weight of acceleration match (m/frame^2)
    latent_noise: float = 0.0           # max std of Gaussian noise added to the latents before decoding (U(0, max) per clip)
    gen_latents: str = ""               # .npz of generated latents (python -m coamd.tasks.gen_latents)
    gen_batch: int = 16                 # generated sequences per step (crops of the AE window)
    gen_anchor: float = 1.0             # SmoothL1 of the decode of generated latents to the initial decoder's
    gen_jerk: float = 0.0               # weight of |jerk| (m/frame^3) on decodes of generated latents
    gen_weight: float = 1.0             # scales the self-supervised geometric terms on generated latents


@dataclass
class MARTrainConfig(TrainConfig):
    """MAR (§4, §10): AdamW 1e-4, bs 32, 400 epochs; ``init`` fine-tunes from a MAR checkpoint."""

    lr: float = 1e-4
    warmup_steps: int = 0
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    batch_size: int = 32
    max_epochs: int = 400
    init: str = ""                      # MAR checkpoint to start from ("" = random init)
    # Augmentation towards real mocap (docs/domain_gap.md, coamd.train.task_mar); the defaults keep the recipe.
    augment: str = ""                   # coamd.data.augment.MotionAugment spec, e.g. "placement=0.7,mirror=0.5"
    label_captions: float = 0.0         # P(a training caption is replaced by its label's plain name, e.g. "kick")
    recog_captions: float = 0.0         # P(a single-action clip's recognition prototype is its caption)
    # tower-B share of label scores (model.mar.label_text_weight; also for fine-tunes, whose model
    # config comes from init=); above 0 it also trains tower B on the label names. None: the model's
    label_text_weight: float | None = None
    # weight of tower B's name loss (None: label_text_weight): a smaller one teaches tower B the names gently
    label_text_loss: float | None = None
    # test-time views of recognition stored with the trained MAR (model.mar.recog_tta): a run does not inherit
    # its init's, which was chosen for that model on its own val data (docs/domain_gap.md section 10)
    recog_tta: str = "none"


@dataclass
class GeneratorTrainConfig(TrainConfig):
    """Generator (§4): AdamW 2e-4 wd 1e-5, warm-up 2k, x0.1 at 50k, bs 64, 500 epochs, EMA 0.9999."""

    weight_decay: float = 1e-5
    warmup_steps: int = 2000
    milestones: list[int] = field(default_factory=lambda: [50_000])
    gamma: float = 0.1
    batch_size: int = 64
    max_epochs: int = 500
    ema_decay: float = 0.9999
    ae_checkpoint: str = ""             # "" = the AE run beside this run (../ae), else the bundled AE
    crop: Literal["tokens", "frames"] = "tokens"   # frames: upstream's frame-offset crops, AE-encoded each step


@dataclass
class LengthTrainConfig(TrainConfig):
    """Length estimator (text -> number of AE tokens): cross-entropy, AdamW 1e-4, bs 64."""

    lr: float = 1e-4
    warmup_steps: int = 500
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    batch_size: int = 64
    max_epochs: int = 100


@dataclass
class DistillTrainConfig(GeneratorTrainConfig):
    """Few-step student of the generator's flow head (``coamd.train.task_distill``; docs/speed.md: the
    bundled generator's student was trained with these values, 1,400 steps kept of 1,663 run)."""

    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 100
    milestones: list[int] = field(default_factory=lambda: [1500])
    gamma: float = 0.3
    batch_size: int = 32                # clips per step; their masked tokens are the samples
    max_steps: int = 2200
    max_epochs: int = 0
    grad_clip: float = 1.0
    ema_decay: float = 0.995
    val_every: int = 100
    ckpt_every: int = 100
    log_every: int = 10
    val_batches: int = 8                # 8 x 32 val clips, fixed masks and noise
    generator: str = ""                 # teacher: bundle folder, run or checkpoint ("" = the bundled generator)
    ae_checkpoint: str = ""             # "" = the teacher bundle's AE (else as for the generator task)
    teacher: str = "midpoint:8"         # the teacher's ODE solver: dopri5 or METHOD:STEPS
    cfg_scale: float = 2.5              # guidance scale baked into the student
    student_steps: int = 2              # Euler steps the student is trained (and sampled) with
    samples_per_token: int = 1          # noise draws per masked token and step


TRAIN_CONFIGS: dict[str, type[TrainConfig]] = {
    "ae": AETrainConfig,
    "mar": MARTrainConfig,
    "generator": GeneratorTrainConfig,
    "length": LengthTrainConfig,
    "distill": DistillTrainConfig,
}


def split_overrides(pairs: list[str]) -> tuple[list[str], list[str]]:
    """``key=value`` pairs -> (train overrides, model overrides with the ``model.`` prefix removed)."""
    parse_overrides(pairs)                       # reject malformed pairs early, with the pair named
    train, model = [], []
    for pair in pairs:
        (model if pair.startswith("model.") else train).append(pair.removeprefix("model."))
    return train, model


def load_train_config(kind: str, config: str | Path | None = None,
                      overrides: list[str] | None = None) -> TrainConfig:
    """The ``train_<kind>`` section of a YAML config, with overrides, checked."""
    if kind not in TRAIN_CONFIGS:
        raise ConfigError(f"unknown model kind {kind!r}; choose one of {sorted(TRAIN_CONFIGS)}")
    cfg = load(TRAIN_CONFIGS[kind], config, overrides, section=f"train_{kind}")
    cfg.check()
    return cfg
