"""The evaluators are judges only (paper-brief §6.1): no generation, guidance, model or training-loss
code may import ``coamd.evaluation`` or load an evaluator checkpoint. Checked on the source's AST
and text, so a new module that breaks the rule fails here."""

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "coamd"

# Where evaluators may be used: the package itself, the benchmark layer, the evaluation CLI verbs,
# the training CLI (it loads the evaluator config for ``coamd train evaluator``) and the one
# training task whose model is the evaluator pair.
EVALUATOR_TRAINING = ("train/task_evaluator.py",)
ALLOWED = ("evaluation/*", "bench/*", "cli/eval*.py", "cli/train.py", "cli/bench*.py", *EVALUATOR_TRAINING)

# Never allowed, whatever ALLOWED says (except EVALUATOR_TRAINING): the networks, samplers,
# guidance, generation and every other training task.
FORBIDDEN = ("models/*", "diffusion/*", "train/*", "tasks/generate*", "tasks/edit*", "*guid*")

# Text that only evaluator loading uses: the export file name and the checkpoint kind.
CHECKPOINT_MARKERS = re.compile(r"evaluators\.pt|kind\s*=\s*[\"']evaluator[\"']")


def _matches(rel: str, patterns) -> bool:
    return any(Path(rel).match(p) or (p.endswith("/*") and rel.startswith(p[:-1])) for p in patterns)


def _imports_evaluation(path: Path) -> bool:
    tree = ast.parse(path.read_text(), filename=str(path))
    pkg = path.relative_to(SRC).parts[:-1]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                base = ["coamd", *pkg[: len(pkg) - (node.level - 1)]]
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] + [f"{mod}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value] if node.value.startswith("coamd.evaluation") else []  # importlib strings
        if any(n == "coamd.evaluation" or n.startswith("coamd.evaluation.") for n in names):
            return True
    return False


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        yield path.relative_to(SRC).as_posix(), path


def test_only_benchmark_and_entry_points_import_the_evaluators():
    offenders = [rel for rel, path in _modules()
                 if not _matches(rel, ALLOWED) and _imports_evaluation(path)]
    assert not offenders, f"modules outside {ALLOWED} import coamd.evaluation: {offenders}"


def test_generation_guidance_and_training_never_touch_evaluators():
    offenders = []
    for rel, path in _modules():
        if not _matches(rel, FORBIDDEN) or rel in EVALUATOR_TRAINING:
            continue
        if _imports_evaluation(path) or CHECKPOINT_MARKERS.search(path.read_text()):
            offenders.append(rel)
    assert not offenders, f"generation/guidance/training code uses evaluators: {offenders}"


def test_the_checker_itself_catches_a_violation(tmp_path):
    bad = tmp_path / "coamd" / "models" / "cheat.py"
    bad.parent.mkdir(parents=True)
    global SRC
    old, SRC = SRC, tmp_path / "coamd"
    try:
        for code in ("from ..evaluation import Evaluators\n", "import coamd.evaluation.matcher\n",
                     "from coamd import evaluation\n",
                     "import importlib\nm = importlib.import_module('coamd.evaluation')\n"):
            bad.write_text(code)
            assert _imports_evaluation(bad), code
        bad.write_text("from ..models import layers\n")
        assert not _imports_evaluation(bad)
        assert _matches("models/cheat.py", FORBIDDEN) and not _matches("models/cheat.py", ALLOWED)
        assert _matches("tasks/guidance.py", FORBIDDEN) and _matches("cli/eval.py", ALLOWED)
        assert _matches("train/task_mar.py", FORBIDDEN) and not _matches("train/task_mar.py", ALLOWED)
        assert CHECKPOINT_MARKERS.search('Evaluators.load(run / "evaluators.pt")')
        assert CHECKPOINT_MARKERS.search("load_checkpoint(path, kind='evaluator')")
    finally:
        SRC = old
