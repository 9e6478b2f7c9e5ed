"""``coamd data prepare``'s work: validate a dataset folder, write Mean/Std and a cache beside it.

For the HumanML3D layout (humanml3d, kitml, synth) every motion listed in any split is read once,
checked (shape, NaN, units) and streamed into ``<cache>/motions.npy`` + ``motions.npz``; Mean/Std
come from the training split (paper-brief §2.1). Recognition sets (ntu60, ntu120, bandai, hdm05)
are converted through `coamd.io.load_motion` by their loaders (`labelled.load_labelled`).
Every bad file is reported by category; only a missing/invalid folder or a dataset with nothing
usable is an error. Returns a summary dict; printing is the CLI's job.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_dir
from ..errors import CoamdError, MotionFormatError
from .humanml3d import (
    MOTION_STORE,
    MotionTextIndex,
    list_splits,
    load_motion_file,
    motion_problem,
    read_label_map,
    read_split,
    source_fingerprint,
)
from .normalize import RunningStats
from .registry import default_cache_dir, get_spec
from .store import (
    BadFiles,
    ClipStore,
    ClipStoreWriter,
    can_write,
    is_inside,
    parallel_map,
    read_manifest,
    write_manifest,
)

# categories found while reading files; the per-split index adds caption and length findings
_FILE_PROBLEMS = {"missing motion", "unreadable", "wrong shape", "non-finite values"}


def check_out_folder(out: Path, root: Path) -> Path:
    """Refuse cache locations inside the source, above it, or over a folder that is not a coamd cache."""
    out = Path(out).expanduser()
    if is_inside(out, root):
        raise CoamdError(f"--out {out}: inside the source folder {root}; the source is never written to")
    if is_inside(root, out):
        raise CoamdError(f"--out {out}: contains the source folder {root}; choose a folder beside it")
    if out.exists() and not out.is_dir():
        raise CoamdError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and read_manifest(out) is None:
        raise CoamdError(f"--out {out}: exists, is not empty and is not a coamd cache")
    if not can_write(out.parent):
        raise CoamdError(f"--out {out}: its folder is read-only; pass --out to put the cache elsewhere")
    return out


def _load_one(job: tuple[str, str]) -> tuple:
    """Worker: ("ok", joints) or ("bad", category, detail) for one new_joints file."""
    path, dataset = job
    try:
        return ("ok", load_motion_file(Path(path), get_spec(dataset)))
    except MotionFormatError as e:
        return ("bad", motion_problem(e), str(e).split(": ", 1)[-1])


def prepare_text_motion(root: str | Path, dataset: str = "humanml3d", out: str | Path | None = None,
                        workers: int = 1) -> dict:
    """Validate a HumanML3D-layout folder and write its cache; returns the summary."""
    spec = get_spec(dataset)
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CoamdError(f"--root {root}: no such folder")
    joints_dir = root / "new_joints"
    if not joints_dir.is_dir():
        raise CoamdError(f"--root {root}: no new_joints/ folder (expected the HumanML3D layout)")
    splits = list_splits(root)
    if not splits:
        raise CoamdError(f"--root {root}: no split files (train.txt, val.txt, test.txt)")
    out = check_out_folder(default_cache_dir(root) if out is None else Path(out), root)
    ids_by_split = {s: read_split(root, s) for s in splits}
    train_ids = set(ids_by_split.get("train", ()))
    all_ids = list(dict.fromkeys(i for ids in ids_by_split.values() for i in ids))
    report = BadFiles()
    summary: dict = {"dataset": spec.name, "root": str(root), "cache": str(out), "splits": {}}
    with atomic_dir(out, overwrite=True) as tmp:
        stats, everything = RunningStats(spec.feature_dim), RunningStats(spec.feature_dim)
        jobs = [(str(joints_dir / f"{i}.npy"), spec.name) for i in all_ids]
        with ClipStoreWriter(tmp, MOTION_STORE, spec.num_joints) as writer:
            for motion_id, result in zip(all_ids, parallel_map(_load_one, jobs, workers, f"reading {spec.name}")):
                if result[0] != "ok":
                    report.add(result[1], f"new_joints/{motion_id}.npy", result[2])
                    continue
                writer.add(motion_id, result[1])
                everything.update(result[1])
                if motion_id in train_ids:
                    stats.update(result[1])
        if everything.count == 0:
            raise CoamdError(f"--root {root}: no usable motions ({report.total} bad files: "
                             + ", ".join(f"{k} {v}" for k, v in report.counts().items()) + ")")
        summary["stats_from"] = "train" if stats.count else "all splits (no usable train split)"
        (stats if stats.count else everything).normalizer().save(tmp)
        store = ClipStore.load(tmp, MOTION_STORE)  # memory-mapped: only lengths are read here
        for split in splits:
            index = MotionTextIndex(root, split, spec.name, store=store)
            summary["splits"][split] = index.describe()
            for category, entries in index.report.items.items():
                if category not in _FILE_PROBLEMS:
                    for what, detail in entries:
                        report.add(category, what, detail)
        del store
        labels = read_label_map(root)
        summary["labels"] = len(labels) if labels else 0
        write_manifest(tmp, {"dataset": spec.name, "root": str(root.resolve()), "fingerprint": source_fingerprint(root),
                             "splits": {s: summary["splits"][s] for s in splits}, "bad_files": report.items})
    summary["bad_files"] = report.counts()
    summary["problems"] = report
    return summary


def prepare_labelled(root: str | Path, dataset: str, out: str | Path | None = None, workers: int = 1,
                     missing_list: str | Path | None = None) -> dict:
    """Convert a recognition set (ntu60, ntu120, bandai, hdm05) into its cache; returns the summary."""
    from .source import load_labelled

    spec = get_spec(dataset)
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CoamdError(f"--root {root}: no such folder")
    out = check_out_folder(default_cache_dir(root) if out is None else Path(out), root)
    clips = load_labelled(spec, root, cache=out, workers=workers, rebuild=True, missing_list=missing_list)
    return {"dataset": spec.name, "root": str(root), "cache": str(out), "clips": clips.describe(),
            "label_names": clips.label_names, "bad_files": clips.report.counts(), "problems": clips.report}


def prepare(dataset: str, root: str | Path, out: str | Path | None = None, workers: int = 1,
            missing_list: str | Path | None = None) -> dict:
    """Dispatch on the dataset's layout."""
    spec = get_spec(dataset)
    if spec.layout == "humanml3d":
        if missing_list is not None:
            raise CoamdError(f"--missing-list applies to NTU only, not {dataset}")
        return prepare_text_motion(root, dataset, out, workers)
    return prepare_labelled(root, dataset, out, workers, missing_list)
