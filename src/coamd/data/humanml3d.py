"""HumanML3D / KIT-ML (and the procedural corpus) in the official layout (paper-brief §2.1–2.3).

Layout of ``root``::

    new_joints/<id>.npy          (T, 22, 3) SMPL-22 metres (KIT: (T, 21, 3), millimetres)
    texts/<id>.txt               one caption per line: ``caption#word/POS word/POS ...#from#to``
    train.txt val.txt test.txt   ids, one per line (any other ``<split>.txt`` is a split too)
    annotations_actions_400.json optional: per id ``annotations`` aligned with caption lines,
                                 each with ``label`` indices; ``labels`` = their union (§2.2)
    label_map.txt | humanml3d400_label_map.txt   optional: one label name per line, index = line

Samples follow the T2M text-to-motion loader: a whole motion is one sample carrying its
whole-clip captions (from = to = 0), kept when ``min_length <= T < length_limit``; a caption with
a non-zero span [from, to) seconds makes a sub-clip ``motion[int(from*fps):int(to*fps)]`` with the
same length rule. Unlike upstream (one randomly named sample per caption line), captions that
share a span are merged into one sub-clip sample named ``<id>@<start>-<end>`` (frames), so sample
names are deterministic and no motion is duplicated.

Motions come from the prepared cache (``coamd data prepare``: validated once, memory-mapped) when
one matches the source folder; otherwise the split's files are read and validated into memory,
as the upstream loaders do. Either way a bad file is reported and left out, never fetched.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import CoamdError, MotionFormatError
from ..skeleton import validate_motion
from .normalize import Normalizer, compute_stats
from .registry import DatasetSpec, default_cache_dir, get_spec
from .store import BadFiles, ClipStore, fingerprint, read_manifest

ANNOTATION_FILE = "annotations_actions_400.json"
LABEL_MAP_FILES = ("label_map.txt", "humanml3d400_label_map.txt")
NOT_SPLITS = {"all", "train_val", "readme", "license", *(f.removesuffix(".txt") for f in LABEL_MAP_FILES)}
MOTION_STORE = "motions"
_MM_EXTENT = 10.0  # a body spanning more than 10 units cannot be metres: the clip is millimetres


@dataclass(frozen=True)
class Caption:
    """One line of ``texts/<id>.txt``; ``line`` indexes the annotation list of §2.2."""

    text: str
    tokens: tuple[str, ...]
    line: int
    labels: tuple[int, ...] = ()


@dataclass(frozen=True)
class MotionSample:
    """A text-to-motion sample: frames [start, end) of ``new_joints/<motion_id>.npy`` and its captions."""

    name: str
    motion_id: str
    start: int
    end: int
    captions: tuple[Caption, ...]
    labels: tuple[int, ...]  # motion-level label set: the multi-hot target

    @property
    def length(self) -> int:
        return self.end - self.start


# ---------------------------------------------------------------------------- folder readers
def parse_caption_line(line: str) -> tuple[str, tuple[str, ...], float, float] | None:
    """``caption#tokens#from#to`` -> (caption, tokens, from, to); missing/NaN times mean 0 (whole clip)."""
    parts = line.rstrip("\n").split("#")
    text = parts[0].strip()
    if not text:
        return None
    tokens = tuple(parts[1].split()) if len(parts) > 1 else ()
    times = []
    for raw in parts[2:4]:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        times.append(0.0 if math.isnan(value) else value)
    times += [0.0] * (2 - len(times))
    return text, tokens, times[0], times[1]


def read_captions(path: Path) -> list[tuple[str, tuple[str, ...], float, float, int]]:
    """Parsed lines of one caption file as (caption, tokens, from, to, line index); [] if absent."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for i, line in enumerate(lines):
        parsed = parse_caption_line(line)
        if parsed is not None:
            out.append((*parsed, i))
    return out


def list_splits(root: str | Path) -> list[str]:
    """Split names: every ``<name>.txt`` in ``root`` except label maps and all/train_val."""
    root = Path(root)
    names = [p.stem for p in sorted(root.glob("*.txt")) if p.stem.lower() not in NOT_SPLITS]
    order = {"train": 0, "val": 1, "test": 2}
    return sorted(names, key=lambda n: (order.get(n, 3), n))


def read_split(root: str | Path, split: str) -> list[str]:
    """Ids listed in ``<root>/<split>.txt`` (order kept, duplicates dropped)."""
    path = Path(root) / f"{split}.txt"
    if not path.is_file():
        known = ", ".join(list_splits(root)) or "none"
        raise CoamdError(f"{path}: no such split file (splits in {root}: {known})")
    ids = [line.strip() for line in path.read_text().splitlines()]
    return list(dict.fromkeys(i.removesuffix(".npy") for i in ids if i))


def read_label_map(root: str | Path) -> list[str] | None:
    """Label names (index = line number; an ``<index> <name>`` line format is accepted too)."""
    for name in LABEL_MAP_FILES:
        path = Path(root) / name
        if path.is_file():
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            split = [ln.split(maxsplit=1) for ln in lines]
            if all(len(s) == 2 and s[0] == str(i) for i, s in enumerate(split)):
                return [s[1] for s in split]
            return lines
    return None


def read_annotations(root: str | Path) -> dict | None:
    """``annotations_actions_400.json`` as a dict keyed by motion id, or None when absent."""
    path = Path(root) / ANNOTATION_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise CoamdError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise CoamdError(f"{path}: expected an object keyed by motion id")
    return data


def to_metres(joints: np.ndarray, spec: DatasetSpec) -> np.ndarray:
    """Apply the spec's unit rule (KIT-ML's official new_joints are millimetres)."""
    if spec.units == "auto" and len(joints):
        extent = float(np.ptp(joints[0], axis=0).max())  # body size in the first frame
        if extent > _MM_EXTENT:
            return (joints * 1e-3).astype(np.float32)
    return joints


def load_motion_file(path: Path, spec: DatasetSpec) -> np.ndarray:
    """One ``new_joints`` file as (T, J, 3) float32 metres; MotionFormatError names the problem."""
    try:
        raw = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise MotionFormatError(f"{path}: missing motion file") from None
    except Exception as e:  # noqa: BLE001 - empty (EOFError), damaged, a symlink loop: all one bad file
        raise MotionFormatError(f"{path}: unreadable ({type(e).__name__}: {' '.join(str(e).split())})") from None
    try:
        joints = validate_motion(raw, spec.skeleton, what=str(path))
    except ValueError as e:
        raise MotionFormatError(str(e)) from None
    return to_metres(joints, spec)


def motion_problem(error: MotionFormatError) -> str:
    """Bad-file category of a `load_motion_file` error."""
    text = str(error)
    for key, category in (("missing", "missing motion"), ("NaN", "non-finite values"),
                          ("expected shape", "wrong shape"), ("no frames", "wrong shape")):
        if key in text:
            return category
    return "unreadable"


def source_fingerprint(root: Path) -> str:
    """Fingerprint of what a prepared cache depends on: the joint files and the split lists."""
    root = Path(root)
    files = list((root / "new_joints").glob("*.npy")) + [root / f"{s}.txt" for s in list_splits(root)]
    return fingerprint(files, root)


def label_line_sets(annotation: dict | None) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
    """Per caption line label tuples and the motion-level label set of one annotation entry."""
    if not annotation:
        return [], ()
    lines = [tuple(int(i) for i in a.get("label", ())) for a in annotation.get("annotations", [])]
    union = annotation.get("labels")
    motion = {int(i) for i in union} if union is not None else {i for t in lines for i in t}
    return lines, tuple(sorted(motion))


# ---------------------------------------------------------------------------- index
class MotionTextIndex:
    """The samples of one split: (motion id, frame span, captions with tokens, labels).

    Shared by the trainers, the evaluators and the tasks. ``samples`` holds the text-to-motion
    samples (length rules applied unless ``filter_lengths=False``); ``motion_ids`` holds every
    readable motion of the split, captioned or not (the AE trains on all of them).

    Args:
        root: dataset folder in the HumanML3D layout.
        split: name of a ``<split>.txt`` file in ``root``.
        dataset: key of `coamd.data.DATASETS` (humanml3d, kitml, synth).
        cache: "auto" (use ``<root>.coamd_cache`` when it matches the source), a cache folder
            (must match), or None. Without a cache the split's ``new_joints`` files are read and
            validated into memory.
        filter_lengths: apply the text-to-motion length rule (``min_length <= T < length_limit``).
        store: an already open `ClipStore` of the motions (used by ``coamd data prepare``).
    """

    def __init__(self, root: str | Path, split: str = "train", dataset: str = "humanml3d",
                 cache: str | Path | None = "auto", filter_lengths: bool = True,
                 store: ClipStore | None = None) -> None:
        self.root = Path(root).expanduser()
        self.spec = get_spec(dataset)
        if self.spec.layout != "humanml3d":
            raise CoamdError(f"dataset {dataset!r} is not in the HumanML3D layout")
        self.split = split
        self.joints_dir = self.root / "new_joints"
        if not self.joints_dir.is_dir():
            raise CoamdError(f"{self.root}: no new_joints/ folder (expected the HumanML3D layout)")
        self.report = BadFiles()
        ids = read_split(self.root, split)
        self.cache_dir: Path | None = None  # the prepared cache in use, if any
        opened = self._open_cache(cache) if store is None else store
        self._cached = opened is not None
        self.store = opened if opened is not None else self._read_folder(ids)
        self.label_names = read_label_map(self.root)
        annotations = read_annotations(self.root)
        self.has_labels = annotations is not None
        self.motion_ids: list[str] = []
        self._lengths: dict[str, int] = {}
        self.samples: list[MotionSample] = []
        for motion_id in ids:
            length = self._length(motion_id)
            if length is None:
                continue
            self.motion_ids.append(motion_id)
            self._lengths[motion_id] = length
            entry = annotations.get(motion_id) if annotations else None
            self._add_samples(motion_id, length, entry, filter_lengths)
        self._by_name = {s.name: i for i, s in enumerate(self.samples)}

    def subset(self, motion_ids, split: str | None = None) -> MotionTextIndex:
        """A view restricted to ``motion_ids`` (their samples and sub-clips), named ``split``; shares the store."""
        keep = set(motion_ids)
        view = copy.copy(self)
        view.split = self.split if split is None else split
        view.motion_ids = [m for m in self.motion_ids if m in keep]
        view.samples = [s for s in self.samples if s.motion_id in keep]
        view._lengths = {m: n for m, n in self._lengths.items() if m in keep}
        view._by_name = {s.name: i for i, s in enumerate(view.samples)}
        return view

    # -------------------------------------------------------------- construction
    def _open_cache(self, cache: str | Path | None) -> ClipStore | None:
        if cache is None:
            return None
        folder = default_cache_dir(self.root) if cache == "auto" else Path(cache)
        manifest = read_manifest(folder)
        if manifest is not None and manifest.get("dataset") == self.spec.name and \
                manifest.get("fingerprint") == source_fingerprint(self.root):
            self.cache_dir = folder
            return ClipStore.load(folder, MOTION_STORE)
        if cache != "auto":
            raise CoamdError(f"{folder}: not a current '{self.spec.name}' cache of {self.root} "
                             f"(run 'coamd data prepare {self.spec.name} --root {self.root} --out {folder}')")
        return None

    def _read_folder(self, ids: list[str]) -> ClipStore:
        """Load and validate the split's files into memory (what a prepared cache saves doing)."""
        kept, clips = [], []
        for motion_id in tqdm(ids, desc=f"reading {self.spec.name} {self.split}", unit="file", disable=None,
                              leave=False):
            try:
                clips.append(load_motion_file(self.joints_dir / f"{motion_id}.npy", self.spec))
                kept.append(motion_id)
            except MotionFormatError as e:
                self.report.add(motion_problem(e), f"new_joints/{motion_id}.npy", str(e).split(": ", 1)[-1])
        offsets = np.concatenate([[0], np.cumsum([len(c) for c in clips], dtype=np.int64)])
        joints = np.concatenate(clips) if clips else np.zeros((0, self.spec.num_joints, 3), np.float32)
        return ClipStore(kept, offsets, joints)

    def _length(self, motion_id: str) -> int | None:
        if motion_id in self.store:
            return int(self.store.lengths[self.store.position(motion_id)])
        if self._cached:
            self.report.add("missing motion", motion_id, "not in the prepared cache")
        return None

    def _keep(self, length: int, filter_lengths: bool, what: str) -> bool:
        if length <= 0:
            return False
        if not filter_lengths:
            return True
        if length < self.spec.min_length:
            self.report.add("too short", what, f"{length} < {self.spec.min_length} frames")
            return False
        if length >= self.spec.length_limit:
            self.report.add("too long", what, f"{length} >= {self.spec.length_limit} frames")
            return False
        return True

    def _add_samples(self, motion_id: str, length: int, entry: dict | None, filter_lengths: bool) -> None:
        lines = read_captions(self.root / "texts" / f"{motion_id}.txt")
        if not lines:
            self.report.add("missing caption", f"texts/{motion_id}.txt")
            return
        line_labels, motion_labels = label_line_sets(entry)
        fps = self.spec.fps
        whole: list[Caption] = []
        spans: dict[tuple[int, int], list[Caption]] = {}
        for text, tokens, t0, t1, i in lines:
            cap = Caption(text, tokens, i, line_labels[i] if i < len(line_labels) else ())
            if t0 == 0.0 and t1 == 0.0:
                whole.append(cap)
            else:
                span = (int(t0 * fps), min(int(t1 * fps), length))
                spans.setdefault(span, []).append(cap)
        # As upstream: a motion outside the length rule contributes no sample, not even its sub-clips.
        if not self._keep(length, filter_lengths, motion_id):
            return
        if whole:
            self.samples.append(MotionSample(motion_id, motion_id, 0, length, tuple(whole), motion_labels))
        for (start, end), caps in spans.items():
            name = f"{motion_id}@{start}-{end}"
            if self._keep(end - start, filter_lengths, name):
                labels = tuple(sorted({i for c in caps for i in c.labels}))
                self.samples.append(MotionSample(name, motion_id, start, end, tuple(caps), labels))

    # -------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> MotionSample:
        return self.samples[i]

    def index_of(self, name: str) -> int:
        return self._by_name[name]

    def length_of(self, motion_id: str) -> int:
        """Frame count of a whole motion of this split."""
        return self._lengths[motion_id]

    def full_motion(self, motion_id: str) -> np.ndarray:
        """The whole motion, (T, J, 3) float32 metres (a view: read-only when memory-mapped)."""
        return self.store.get(motion_id)

    def motion(self, i: int) -> np.ndarray:
        """Frames of sample ``i``: (T_i, J, 3) float32 metres."""
        s = self.samples[i]
        return self.full_motion(s.motion_id)[s.start:s.end]

    @property
    def num_frames(self) -> int:
        return sum(self._lengths.values())

    @property
    def num_captions(self) -> int:
        return sum(len(s.captions) for s in self.samples)

    def describe(self) -> dict:
        """Counts for summaries: motions, samples (whole + sub-clips), captions, frames, hours."""
        sub = sum(1 for s in self.samples if s.name != s.motion_id)
        return {"motions": len(self.motion_ids), "samples": len(self.samples), "subclips": sub,
                "captions": self.num_captions, "frames": self.num_frames,
                "hours": self.num_frames / self.spec.fps / 3600.0}


def load_normalizer(root: str | Path, dataset: str = "humanml3d", cache: str | Path | None = "auto") -> Normalizer:
    """Mean/Std of a HumanML3D-layout dataset: the prepared cache's, else computed over the train split."""
    index = MotionTextIndex(root, "train", dataset, cache=cache, filter_lengths=False)
    if index.cache_dir is not None:
        return Normalizer.load(index.cache_dir)
    return compute_stats(index.full_motion(i) for i in index.motion_ids)
