"""Shared set-up for the evaluation and benchmark tests: a small procedural corpus, a tiny random
model bundle and a tiny random evaluator pair (the numbers they give are meaningless; the tests
check the protocols' behaviour, not model quality)."""

from pathlib import Path

import numpy as np
import torch

from coamd.cli import main
from coamd.data import load_normalizer
from coamd.evaluation import EvaluatorModel, Evaluators, WordVocab, tiny_evaluator_config
from coamd.evaluation.glove import SPECIALS
from coamd.models import tiny_config
from coamd.tasks import make_random_bundle
from coamd.text import build_text_encoder

CLIPS = 240          # -> about 50 test samples (one pool of 32 per draw) and a too-small compositional split


def make_evaluators(out: Path, corpus: Path, seed: int = 0) -> Path:
    """A random tiny evaluator pair (hash text tokens) with the corpus's Mean/Std, saved to ``out``."""
    cfg = tiny_evaluator_config()
    rng = np.random.default_rng(seed)
    words = list(SPECIALS) + ["a", "person", "walks", "jumps", "waves", "runs", "the", "and", "then", "forward"]
    vocab = WordVocab(words, rng.standard_normal((len(words), 8)).astype(np.float32))
    torch.manual_seed(seed)
    model = EvaluatorModel(cfg, torch.from_numpy(vocab.vectors))
    encoder = build_text_encoder("hash", dim=cfg.text_dim, max_tokens=cfg.text_max_tokens)
    stats = load_normalizer(corpus, "synth", cache=None)
    return Evaluators(model, vocab, "hash", normalizer=stats, encoder=encoder).save(out)


def build_world(folder: Path) -> dict[str, str]:
    """Corpus, bundle and evaluators under ``folder`` (built once; later calls reuse them)."""
    folder = Path(folder)
    paths = {"corpus": folder / "corpus", "bundle": folder / "bundle", "evaluator": folder / "evaluator"}
    if not (folder / "done").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        assert main(["data", "synth", "--out", str(paths["corpus"]), "--clips", str(CLIPS), "--workers", "1",
                     "--quiet", "--overwrite"]) == 0
        make_random_bundle(paths["bundle"], tiny_config(), text_backend="hash", overwrite=True,
                           defaults={"sampler": "euler", "ode_steps": 2, "decode_steps": 4})
        make_evaluators(paths["evaluator"], paths["corpus"])
        (folder / "done").write_text("ok\n")
    return {k: str(v) for k, v in paths.items()}


def numeric_leaves(tree) -> list[float]:
    """Every number in a JSON tree."""
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in numeric_leaves(v)]
    if isinstance(tree, list):
        return [x for v in tree for x in numeric_leaves(v)]
    if isinstance(tree, bool) or not isinstance(tree, (int, float)):
        return []
    return [float(tree)]
