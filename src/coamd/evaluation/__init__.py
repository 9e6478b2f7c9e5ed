"""Independent evaluators for the absolute-coordinate benchmark (paper-brief §6.1-§6.2; docs/evaluators.md).

(a) ``TextMotionMatcher``: Guo et al. (2022)'s text-motion matching model on normalised joint
coordinates (GloVe + POS text input), used for FID, R-precision, MM-Dist, Diversity and
MultiModality. (b) ``MotionClipEvaluator``: a CLIP-loss motion/text model for the CLIP-score.
``Evaluators`` loads a trained pair and embeds motions and captions; ``evaluate_generation``
and ``Scorer`` (``protocol.py``: the one scoring protocol, which ``coamd.bench`` runs over repeats)
return one repeat's metric dict. ``coamd.train.task_evaluator.EvaluatorTask`` trains the pair
(``coamd train evaluator``): ``coamd.train`` sits above this package.

Evaluators are judges only: generation, guidance and training losses never import this package.
"""

from ..io.parquet import ParquetError, read_string_column
from .config import (
    EVALUATOR_PRESETS,
    ClipEvalConfig,
    EvaluatorConfig,
    MatcherConfig,
    cpu_small_evaluator_config,
    load_evaluator_config,
    paper_evaluator_config,
    tiny_evaluator_config,
)
from .evaluators import EvaluatorModel, Evaluators, text_encoder_for
from .glove import GLOVE_ENV, Glove, GloveError, WordVocab, load_glove
from .inputs import caption_batch, token_inputs, word_inputs
from .matcher import TextMotionMatcher, margin_loss
from .motionclip import MotionClipEvaluator
from .protocol import PHYSICS, Scorer, evaluate_generation, physics_values, plausibility, r_precision_pooled
from .words import POS_TAGS, tag_word, tag_words, words_of

__all__ = [
    "EVALUATOR_PRESETS", "GLOVE_ENV", "PHYSICS", "POS_TAGS", "ClipEvalConfig", "EvaluatorConfig", "EvaluatorModel",
    "Evaluators", "Glove", "GloveError", "MatcherConfig", "MotionClipEvaluator", "ParquetError", "Scorer",
    "TextMotionMatcher", "WordVocab", "caption_batch", "cpu_small_evaluator_config", "evaluate_generation",
    "load_evaluator_config", "load_glove", "margin_loss", "paper_evaluator_config", "physics_values",
    "plausibility", "r_precision_pooled", "read_string_column", "tag_word", "tag_words", "text_encoder_for",
    "tiny_evaluator_config", "token_inputs", "word_inputs", "words_of",
]
