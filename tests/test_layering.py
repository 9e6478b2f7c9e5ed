"""One-way imports between coamd's subpackages (style.md §3), checked on the source's AST."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "coamd"

# Modules every layer may use: plain helpers with no coamd dependencies of their own.
CORE = {"errors", "atomic", "config", "device", "timing", "__init__"}

# subpackage -> the coamd subpackages it may import (besides CORE).
ALLOWED = {
    "skeleton": set(),
    "synth": {"skeleton"},          # the procedural corpus generator (not a dataset adapter)
    "diffusion": set(),
    "metrics": set(),
    "text": set(),
    "io": {"skeleton"},
    "viz": {"skeleton", "io"},
    "data": {"skeleton", "io", "synth"},
    "models": {"skeleton", "diffusion"},
    # evaluation (the judges and the protocol) sits below train and bench: its training task is train/task_evaluator.py
    "evaluation": {"skeleton", "metrics", "text", "data", "models", "io"},
    # train: only train/task_evaluator.py may use evaluation (tests/test_evaluation_independence.py)
    "train": {"skeleton", "io", "data", "text", "models", "diffusion", "metrics", "evaluation"},
    "tasks": {"skeleton", "io", "data", "text", "models", "diffusion", "metrics", "viz", "train", "weights"},
    "demo": {"skeleton", "io", "data", "synth", "text", "models", "diffusion", "metrics", "viz", "train", "weights",
             "tasks"},
    "bench": {"skeleton", "io", "data", "synth", "text", "models", "diffusion", "metrics", "viz", "train", "tasks",
              "evaluation", "weights"},
    "serve": {"skeleton", "io", "viz", "tasks"},
    "cli": None,  # the top layer may import anything
    "__main__": None,
    "weights": set(),
    "configs": set(),
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    pkg_parts = path.relative_to(SRC).parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("coamd.") or a.name == "coamd":
                    parts = a.name.split(".")
                    found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and (node.module == "coamd" or node.module.startswith("coamd.")):
                    parts = node.module.split(".")
                    if len(parts) > 1:
                        found.add(parts[1])
                    else:
                        found.update(a.name for a in node.names)
            else:
                base = list(pkg_parts[: len(pkg_parts) - (node.level - 1)])
                target = base + (node.module.split(".") if node.module else [])
                if target:
                    found.add(target[0])
                else:
                    found.update(a.name for a in node.names)
    return found


def test_imports_point_one_way():
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        layer = _layer(path)
        used = _imported_layers(path) - CORE - {layer}
        if layer in CORE:
            bad = used - CORE
        else:
            assert layer in ALLOWED, f"new subpackage {layer!r}: add it to ALLOWED in {__file__}"
            allowed = ALLOWED[layer]
            bad = set() if allowed is None else used - allowed
        if "cli" in used and layer not in ("cli", "__main__"):
            bad.add("cli")
        if bad:
            problems.append(f"{path.relative_to(SRC)} ({layer}) imports {sorted(bad)}")
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_format_owners_sit_low():
    """The samples.npz owner imports nothing above the skeleton: every layer may read/write it."""
    assert _imported_layers(SRC / "io" / "samples.py") <= CORE | {"skeleton"}


def _imported_modules(path: Path) -> set[str]:
    """The coamd modules ``path`` imports, dotted below ``coamd`` (``models.config``, ``atomic``, ...)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    pkg = list(path.relative_to(SRC).parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.removeprefix("coamd.") for a in node.names if a.name.startswith("coamd."))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("coamd."):
                    found.add(node.module.removeprefix("coamd."))
            else:
                base = pkg[: len(pkg) - (node.level - 1)]
                found.add(".".join(base + ([node.module] if node.module else [])))
    return found


def test_checkpoint_and_bundle_format_owners_sit_low():
    """The one checkpoint reader/writer (models/checkpoint.py) uses only the core helpers and the model
    config (itself core + skeleton); the one bundle.json reader/writer (models/bundle_meta.py) only the
    core helpers -- so training, tasks and evaluation all read both formats through them."""
    assert _imported_modules(SRC / "models" / "checkpoint.py") <= CORE | {"models.config"}
    assert _imported_layers(SRC / "models" / "config.py") <= CORE | {"skeleton"}
    assert _imported_modules(SRC / "models" / "bundle_meta.py") <= CORE
    assert _imported_modules(SRC / "models" / "checkpoint.py") == {"atomic", "config", "errors", "models.config"}


def _sibling_imports(path: Path, skip_type_checking: bool = True) -> set[str]:
    """Modules of the same package a file imports (``from .x import``), at any depth, except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = set()
    if skip_type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                skipped.update(id(n) for n in ast.walk(node))
    return {n.module.split(".")[0] for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module and id(n) not in skipped}


def test_no_import_cycles_hidden_in_functions():
    """generate -> long_motion -> generation (not back), and the demo page does not import the demo run."""
    tasks = SRC / "tasks"
    assert not {"generate", "long_motion"} & _sibling_imports(tasks / "generation.py")
    assert "generate" not in _sibling_imports(tasks / "long_motion.py")
    assert "run" not in _sibling_imports(SRC / "demo" / "page.py")
