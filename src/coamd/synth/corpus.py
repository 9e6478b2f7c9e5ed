"""Write the procedural corpus in the HumanML3D on-disk layout (Foundation issue §5; paper-brief §2).

Layout (read unchanged by `coamd.data.humanml3d`)::

    new_joints/<id>.npy            (T, 22, 3) float32, canonical SMPL-22, 20 fps
    texts/<id>.txt                 three lines ``caption#word/POS ...#0.0#0.0``
    train.txt val.txt test.txt     ids; test_compositional.txt is a subset of test.txt
    all.txt                        every id
    annotations_actions_400.json   per id: duration, per-caption action phrases and labels (§2.2)
    label_map.txt                  one label per line, index = line number
    corpus.json                    generator version, seed, counts, per-action clip counts
    SYNTH.md                       what the folder is and how it was made

Clip i is drawn from ``np.random.default_rng([seed, i])``, so the corpus is identical for a seed
whatever the number of worker processes, and the files are byte-identical between runs.

Compositional split: an unordered pair of different actions {a, b} is *held out* when
``crc32("a+b") % 8 == 0`` (names sorted). A clip containing a held-out pair goes to the test split
and is also listed in ``test_compositional.txt``; train and val therefore never contain such a
pair, while every single action still appears in training.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import combinations
from pathlib import Path

import numpy as np

from ..atomic import atomic_dir
from ..skeleton import SMPL22, mirror
from .body import STYLE_OPTIONS
from .captions import Caption
from .compose import Clip, synthesize_clip
from .labels import annotation, label_map_text, labels_of
from .library import check_vocabulary
from .postag import tokens_string

GENERATOR_VERSION = "1.0.0"
SPLIT_FRACTIONS = (0.80, 0.05, 0.15)  # train, val, test (before the compositional hold-out)
HELDOUT_MODULUS = 8


def clip_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(index)])


def _one(args: tuple[int, int, str, str]) -> Clip:
    seed, index, vocabulary, styles = args
    return synthesize_clip(clip_rng(seed, index), vocabulary=vocabulary, styles=styles)


def generate_clips(n: int, seed: int = 0, workers: int = 1, progress: bool = False,
                   vocabulary: str = "core", styles: str = "core") -> Iterator[Clip]:
    """Clips 0..n-1 of the corpus for ``seed``, in order (``workers`` > 1 uses processes).

    ``vocabulary`` "extended" also draws the extended actions (put down, elbow to knee, sneak) and
    ``styles`` "broad" wider bodies and habits ("mixed": half the clips): each a different corpus for the same seed; "core" for
    both, the default, is the corpus of generator 1.0.0."""
    from tqdm import tqdm

    check_vocabulary(vocabulary)
    if styles not in STYLE_OPTIONS:
        raise ValueError(f"styles {styles!r} is not one of {list(STYLE_OPTIONS)}")
    jobs = [(seed, i, vocabulary, styles) for i in range(n)]
    bar = tqdm(total=n, desc="synthesising", unit="clip", disable=not progress, dynamic_ncols=True)
    try:
        if workers <= 1:
            for job in jobs:
                yield _one(job)
                bar.update()
            return
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(workers) as pool:
            for clip in pool.imap(_one, jobs, chunksize=8):
                yield clip
                bar.update()
    finally:
        bar.close()


def heldout_pair(a: str, b: str) -> bool:
    """Whether the action combination {a, b} is reserved for the compositional test split."""
    x, y = sorted((a, b))
    return zlib.crc32(f"{x}+{y}".encode()) % HELDOUT_MODULUS == 0


def action_pairs(names: Iterable[str]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for p in combinations(set(names), 2)}


_SWAP = {"left": "right", "right": "left", "clockwise": "counterclockwise", "counterclockwise": "clockwise"}


def mirror_text(text: str) -> str:
    """Swap left/right (and clockwise/counterclockwise) words, keeping case."""
    def sub(m: re.Match) -> str:
        w = m.group(0)
        r = _SWAP[w.lower()]
        return r[0].upper() + r[1:] if w[0].isupper() else r
    return re.sub(r"\b(left|right|clockwise|counterclockwise)\b", sub, text, flags=re.IGNORECASE)


def mirror_caption(c: Caption) -> Caption:
    text = mirror_text(c.text)
    return Caption(text, tokens_string(text), tuple(mirror_text(p) for p in c.phrases), c.labels)


def _split_ids(ids: list[str], heldout: list[bool], seed: int) -> dict[str, list[str]]:
    rng = np.random.default_rng([int(seed), 0x5EED])
    normal = [i for i, h in zip(ids, heldout) if not h]
    comp = [i for i, h in zip(ids, heldout) if h]
    order = [normal[k] for k in rng.permutation(len(normal))]
    n_tr = round(SPLIT_FRACTIONS[0] * len(order))
    n_va = round(SPLIT_FRACTIONS[1] * len(order))
    return {"train": sorted(order[:n_tr]), "val": sorted(order[n_tr:n_tr + n_va]),
            "test": sorted(order[n_tr + n_va:] + comp), "test_compositional": sorted(comp)}


def _provenance(clip: Clip, mirrored: bool) -> dict:
    """What the clip is made of: actions with parameters and frame spans, the subject's height."""
    acts = [{"name": a.name, "params": _json_params(a.params, mirrored), "start": int(a.start), "end": int(a.end)}
            for a in clip.actions]
    return {"actions": acts, "height": round(float(clip.height), 4), "mirrored": mirrored}


def _json_params(params: dict, mirrored: bool) -> dict:
    out = {}
    for k, v in sorted(params.items()):
        if mirrored and isinstance(v, str):
            v = mirror_text(v)
        out[k] = v
    return out


def _ids_text(ids: list[str]) -> str:
    return "".join(f"{i}\n" for i in ids)


def write_corpus(out_dir: str | Path, clips: Iterable[Clip], seed: int, overwrite: bool = False,
                 mirrored: bool = False, vocabulary: str = "core", styles: str = "core") -> dict:
    """Write ``clips`` (in order; ids 000000, 000001, ...) as a HumanML3D-layout folder, atomically.

    With ``mirrored`` every clip also gets a left/right mirror ``M<id>`` (captions swapped) in
    the same split. ``vocabulary`` (that of the clips) sets the label map: the 44 core labels, or
    those plus the extended ones; ``styles`` (that of the clips) is recorded. Returns the statistics
    also stored in ``corpus.json``.
    """
    check_vocabulary(vocabulary)
    label_names = labels_of(vocabulary)
    out_dir = Path(out_dir)
    actions = Counter()
    labels = Counter()
    combos = Counter()
    ids: list[str] = []  # source clip ids
    held: list[bool] = []
    frames = 0
    files = 0
    annotations: dict[str, dict] = {}
    with atomic_dir(out_dir, overwrite=overwrite) as tmp:
        (tmp / "new_joints").mkdir()
        (tmp / "texts").mkdir()
        for i, clip in enumerate(clips):
            cid = f"{i:06d}"
            names = [a.name for a in clip.actions]
            versions = [(cid, clip.joints, clip.caption_info)]
            if mirrored:
                versions.append((f"M{cid}", mirror(clip.joints, SMPL22).astype(np.float32),
                                 [mirror_caption(c) for c in clip.caption_info]))
            for vid, joints, caps in versions:
                np.save(tmp / "new_joints" / f"{vid}.npy", np.ascontiguousarray(joints, dtype=np.float32))
                (tmp / "texts" / f"{vid}.txt").write_text("".join(c.line() + "\n" for c in caps), encoding="utf-8")
                annotations[vid] = annotation(caps, joints.shape[0])
                annotations[vid]["synth"] = _provenance(clip, mirrored=vid.startswith("M"))
                frames += int(joints.shape[0])
                files += 1
            ids.append(cid)
            held.append(any(heldout_pair(a, b) for a, b in action_pairs(names)))
            for n in set(names):
                actions[n] += 1
            for lab in clip.labels:
                labels[lab] += 1
            combos[" + ".join(names)] += 1
        splits = _split_ids(ids, held, seed)
        if mirrored:  # a mirrored copy follows its source clip's split
            splits = {k: sorted(v + [f"M{i}" for i in v]) for k, v in splits.items()}
        everything = sorted(ids + ([f"M{i}" for i in ids] if mirrored else []))
        for name, lst in splits.items():
            (tmp / f"{name}.txt").write_text(_ids_text(lst), encoding="utf-8")
        (tmp / "all.txt").write_text(_ids_text(everything), encoding="utf-8")
        (tmp / "label_map.txt").write_text(label_map_text(vocabulary), encoding="utf-8")
        (tmp / "annotations_actions_400.json").write_text(
            json.dumps(annotations, sort_keys=True, separators=(",", ":")), encoding="utf-8")
        stats = {
            "generator": "coamd.synth", "version": GENERATOR_VERSION, "seed": int(seed),
            "clips": len(ids), "files": files, "mirrored": bool(mirrored), "frames": frames,
            "hours": round(frames / 20.0 / 3600.0, 4), "fps": 20.0, "skeleton": "smpl22",
            "splits": {k: len(v) for k, v in splits.items()},
            "clips_per_action": dict(sorted(actions.items())),
            "clips_per_label": {k: labels.get(k, 0) for k in label_names},
            "action_sequences": len(combos),
            "compositional_rule": f"unordered action pair {{a, b}} held out iff crc32('a+b', names sorted) % "
                                  f"{HELDOUT_MODULUS} == 0; clips containing one are test-only",
        }
        if vocabulary != "core":  # (the core corpus's files stay byte-identical to generator 1.0.0's)
            stats["vocabulary"] = vocabulary
        if styles != "core":
            stats["styles"] = styles
        (tmp / "corpus.json").write_text(json.dumps(stats, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        (tmp / "SYNTH.md").write_text(_readme(stats), encoding="utf-8")
    return stats


def _readme(stats: dict) -> str:
    return (
        "# coamd procedural motion corpus\n\n"
        f"Made by `coamd data synth` (generator {stats['version']}, seed {stats['seed']}"
        + (f", vocabulary {stats['vocabulary']}" if "vocabulary" in stats else "")
        + (f", styles {stats['styles']}" if "styles" in stats else "")
        + f"): {stats['clips']} clips, "
        f"{stats['files']} motion files, {stats['hours']:.2f} hours at 20 fps.\n\n"
        "Every motion is synthetic: parametric actions on the SMPL-22 skeleton (forward kinematics of joint "
        "rotations with per-subject body proportions), 1-3 actions per clip with blended transitions, three "
        "grammar-generated captions per clip and HumanML3D-400 style action labels.\n\n"
        "Layout: HumanML3D (`new_joints/`, `texts/`, `train/val/test.txt`, `annotations_actions_400.json`, "
        "`label_map.txt`). `test_compositional.txt` lists the test clips whose action combinations never occur "
        f"in train or val ({stats['compositional_rule']}). `corpus.json` has the counts.\n"
    )
