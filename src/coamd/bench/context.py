"""Where the benchmark's inputs come from: the model bundle, the evaluators, the corpus, real data.

* Bundle: ``--checkpoint`` (a bundle, run or folder of runs; ``coamd.tasks.load_bundle`` rules),
  else ``$COAMD_BUNDLE``, else the bundled ``coamd/weights/cpu-small``.
* Evaluators (the frozen judges of docs/evaluators.md): ``--evaluator`` (an ``evaluators.pt``, a
  folder holding one, or a ``coamd train evaluator`` run), else ``$COAMD_EVALUATOR``, else an
  ``evaluators.pt`` inside the bundle folder, else the bundled ``coamd/weights/evaluator``.
* Corpus: ``--data`` (folder, name under ``$COAMD_DATA`` or ``kind:PATH``). The benchmark suite
  otherwise synthesises the default procedural corpus (5000 clips, seed 0: the corpus the
  bundled models were trained on, so its test split is really held out) once into its output.
* Real recognition sets: ``--realdata`` or ``../shared/realdata`` beside the repository.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..data import DataSource, resolve_data
from ..device import resolve_device
from ..errors import CoamdError
from ..evaluation import Evaluators
from ..evaluation.evaluators import EXPORT_NAME
from ..tasks import Bundle, load_bundle
from ..tasks.bundle import DEFAULT_BUNDLE

EVALUATOR_ENV = "COAMD_EVALUATOR"
DEFAULT_EVALUATOR = DEFAULT_BUNDLE.parent / "evaluator"
DEFAULT_CORPUS = {"clips": 5000, "seed": 0}
REALDATA_SETS = {"hdm05": "hdm05", "bandai": "bandai_namco"}     # dataset kind -> folder under realdata/


def open_bundle(path: str | os.PathLike | None, device: str | torch.device = "cpu") -> Bundle:
    """The model bundle to benchmark (module docstring); ``--device cuda`` is checked first."""
    return load_bundle(path, device=resolve_device(device))


def evaluator_candidates(bundle: Bundle | None) -> list[Path]:
    """Where evaluators are looked for when ``--evaluator`` is not given, in order."""
    out = []
    env = os.environ.get(EVALUATOR_ENV)
    if env:
        out.append(Path(env).expanduser())
    if bundle is not None and bundle.root is not None:
        out.append(Path(bundle.root) / EXPORT_NAME)
    out.append(DEFAULT_EVALUATOR)
    return out


def open_evaluators(path: str | os.PathLike | None, bundle: Bundle | None,
                    device: str | torch.device = "cpu") -> tuple[Evaluators, Path]:
    """The frozen evaluator pair and the file it came from."""
    if path is not None:
        found = Path(path).expanduser()
        if not found.exists():
            raise CoamdError(f"--evaluator {found}: no such file or folder")
    else:
        tried = evaluator_candidates(bundle)
        found = next((p for p in tried if p.is_file() or (p / EXPORT_NAME).is_file() or
                      (p / "checkpoints").is_dir()), None)
        if found is None:
            raise CoamdError("no evaluators found (looked in " + ", ".join(str(p) for p in tried) +
                             "); train them with 'coamd train evaluator' and pass --evaluator DIR")
    ev = Evaluators.load(found, device=device)
    file = found / EXPORT_NAME if found.is_dir() and (found / EXPORT_NAME).is_file() else found
    return ev, file


def check_compatible(bundle: Bundle, evaluators: Evaluators, source: DataSource) -> None:
    """Bundle, evaluators and corpus must share a skeleton."""
    skel = source.spec.skeleton
    if bundle.skeleton.name != skel.name:
        raise CoamdError(f"the model bundle is for {bundle.skeleton.name} but --data {source.root} holds {skel.name}")
    if evaluators.cfg.feature_dim != source.spec.feature_dim:
        raise CoamdError(f"the evaluators read {evaluators.cfg.feature_dim}-d motions but --data {source.root} "
                         f"holds {source.spec.feature_dim}-d ({skel.name})")


def open_data(data: str | os.PathLike | None) -> DataSource:
    """``--data`` resolved like ``coamd train`` does; the default is the ``synth`` corpus under $COAMD_DATA."""
    return resolve_data(str(data) if data is not None else "synth")


def ensure_corpus(folder: str | os.PathLike, clips: int = DEFAULT_CORPUS["clips"], seed: int = DEFAULT_CORPUS["seed"],
                  progress: bool | None = None) -> DataSource:
    """The procedural corpus in ``folder``: reused when its ``corpus.json`` matches, else synthesised."""
    from ..synth import generate_clips, write_corpus

    folder = Path(folder)
    stats_file = folder / "corpus.json"
    if stats_file.is_file():
        stats = json.loads(stats_file.read_text(encoding="utf-8"))
        if stats.get("clips") == clips and stats.get("seed") == seed and not stats.get("mirrored"):
            return resolve_data(f"synth:{folder}")
        raise CoamdError(f"{folder}: holds a corpus of {stats.get('clips')} clips (seed {stats.get('seed')}), not "
                         f"{clips} (seed {seed}); remove it or pass --data")
    workers = max(1, min(2, os.cpu_count() or 1))
    write_corpus(folder, generate_clips(clips, seed=seed, workers=workers, progress=bool(progress)), seed=seed)
    return resolve_data(f"synth:{folder}")


REALDATA_ENV = "COAMD_REALDATA"


def find_realdata(path: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """(folder, "") of the real recognition data, or (None, the reason it is missing).

    ``--realdata PATH``, else ``$COAMD_REALDATA``, else ``../shared/realdata`` relative to the
    working directory (the repository checkout's layout); never a path derived from where the
    package is installed.
    """
    if path is not None:
        p = Path(path).expanduser()
        return (p, "") if p.is_dir() else (None, f"--realdata {p}: no such folder")
    env = os.environ.get(REALDATA_ENV)
    if env:
        p = Path(env).expanduser()
        return (p, "") if p.is_dir() else (None, f"${REALDATA_ENV}={p}: no such folder")
    cand = Path.cwd().parent / "shared" / "realdata"
    if cand.is_dir():
        return cand, ""
    return None, (f"absent: no real motion data (pass --realdata PATH or set ${REALDATA_ENV}; "
                  "../shared/realdata from the working directory was not found)")


def realdata_source(root: Path, kind: str) -> tuple[DataSource | None, str]:
    """The labelled set ``kind`` under the realdata folder, or (None, why not)."""
    folder = root / REALDATA_SETS[kind]
    if not folder.is_dir():
        return None, f"{folder}: not found"
    return resolve_data(f"{kind}:{folder}"), ""


__all__ = ["DEFAULT_CORPUS", "DEFAULT_EVALUATOR", "EVALUATOR_ENV", "REALDATA_SETS", "check_compatible",
           "ensure_corpus", "evaluator_candidates", "find_realdata", "open_bundle", "open_data", "open_evaluators",
           "realdata_source"]
