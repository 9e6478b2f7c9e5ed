"""The CoAMD networks (paper-brief §3): 3-stream AE, MAR recognizer, masked generator + flow head, length estimator.

Models take text *embeddings* (tensors from a frozen text encoder), never strings, and contain no
training loop: each exposes ``loss(...) -> (loss, logs)`` plus its encode/sample methods.
"""

from .autoencoder import MotionAutoencoder
from .build import (
    PARTS,
    ParamCounts,
    build_autoencoder,
    build_generator,
    build_length_estimator,
    build_mar,
    build_models,
    count_parameters,
    parameter_counts,
)
from .checkpoint import (
    CheckpointError,
    checkpoint_file,
    interpolate_payloads,
    load_checkpoint,
    load_module,
    read_payload,
    save_checkpoint,
    save_payload,
)
from .config import (
    AEConfig,
    GeneratorConfig,
    HeadConfig,
    LengthConfig,
    MARConfig,
    ModelConfig,
    TextDims,
    cpu_small_config,
    load_model_config,
    paper_config,
    tiny_config,
)
from .flow_head import FlowHead
from .generator import MaskedGenerator
from .layers import bone_pairs, centre_joint
from .length import LengthEstimator
from .mar import MAR

__all__ = [
    "MAR",
    "PARTS",
    "AEConfig",
    "CheckpointError",
    "FlowHead",
    "GeneratorConfig",
    "HeadConfig",
    "LengthConfig",
    "LengthEstimator",
    "MARConfig",
    "MaskedGenerator",
    "ModelConfig",
    "MotionAutoencoder",
    "ParamCounts",
    "TextDims",
    "bone_pairs",
    "build_autoencoder",
    "build_generator",
    "build_length_estimator",
    "build_mar",
    "build_models",
    "centre_joint",
    "checkpoint_file",
    "count_parameters",
    "cpu_small_config",
    "interpolate_payloads",
    "load_checkpoint",
    "load_model_config",
    "load_module",
    "paper_config",
    "parameter_counts",
    "read_payload",
    "save_checkpoint",
    "save_payload",
    "tiny_config",
]
