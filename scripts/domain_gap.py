#!/usr/bin/env python
"""Measure the gap between the procedural corpus and real captured clips (docs/domain_gap.md).

    python scripts/domain_gap.py stats  --corpus CORPUS --realdata ../shared/realdata --out gap_stats.json
    python scripts/domain_gap.py confusion --realdata ../shared/realdata [--mar RUN_OR_BUNDLE] --out conf.json
    python scripts/domain_gap.py select --corpus CORPUS --mar CKPT [CKPT ...] --out select.json
    python scripts/domain_gap.py coretest --corpus CORPUS --mar CKPT [CKPT ...] --out core.json

``stats``: per-clip statistics of canonical SMPL-22 motion (20 fps), summarised per source (corpus
train split, HDM05 all clips, Bandai-Namco all clips): speeds, jerk/noise, posture, body
proportions and the joint placement of hips/shoulders/spine, durations, idle time at the ends,
heading change. ``confusion``: zero-shot recognition of the test parts (HDM05 actors mm/tr,
Bandai held-out styles) through the bundle's MAR (optionally another MAR run/checkpoint), with
the per-class confusion. ``select``: model selection on the corpus **val** split only (no real
data): each MAR checkpoint x tower-B share of the label scores, scored on three zero-shot val tasks
(label names, shifted clips, labels phrased as sentences). ``coretest``: zero-shot top-1 of MAR
checkpoints on every labelled clip of the corpus **test** split (the corpus floor). ``select``,
``coretest`` and ``confusion`` take ``--tta`` (test-time views, several compared side by side) and
``--canonical`` (joint placement made canonical first, `coamd.data.placement`). Nothing here trains a model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

FPS = 20.0
# SMPL-22 joint indices
PELVIS, LHIP, RHIP, SPINE1, LKNEE, RKNEE, SPINE2, LANK, RANK, SPINE3 = range(10)
LFOOT, RFOOT, NECK, LCOL, RCOL, HEAD, LSH, RSH, LELB, RELB, LWR, RWR = range(10, 22)
PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)


def clip_stats(x: np.ndarray) -> dict[str, float]:
    """Statistics of one canonical clip (T, 22, 3), metres, 20 fps, Y up."""
    x = np.asarray(x, np.float64)
    T = len(x)
    out: dict[str, float] = {"duration_s": T / FPS}
    bones = np.linalg.norm(x[:, 1:] - x[:, list(PARENTS[1:])], axis=-1)          # (T, 21)
    med = np.median(bones, axis=0)                                                 # (21,) bone j -> joint j+1

    def b(j: int) -> float:  # length of the bone ending at joint j
        return float(med[j - 1])

    leg = b(LKNEE) + b(LANK) + b(RKNEE) + b(RANK)
    spine = b(SPINE1) + b(SPINE2) + b(SPINE3) + b(NECK)
    hip_w = float(np.median(np.linalg.norm(x[:, LHIP] - x[:, RHIP], axis=-1)))
    sh_w = float(np.median(np.linalg.norm(x[:, LSH] - x[:, RSH], axis=-1)))
    height = leg / 2 + spine + b(HEAD) + float(np.median(np.abs(x[:, LHIP, 1] - x[:, PELVIS, 1])))
    out.update(
        leg_m=leg / 2, spine_m=spine, hip_width_m=hip_w, shoulder_width_m=sh_w,
        hip_over_shoulder=hip_w / sh_w, hip_width_over_leg=hip_w / (leg / 2), shoulder_over_spine=sh_w / spine,
        spine1_share=b(SPINE1) / spine, spine2_share=b(SPINE2) / spine, spine3_share=b(SPINE3) / spine,
        neck_share=b(NECK) / spine, arm_over_leg=(b(LELB) + b(LWR)) / (b(LKNEE) + b(LANK)),
        # hip joints below the pelvis joint (m): the rig puts the "pelvis" at a different height
        pelvis_minus_hip_y=float(np.median(x[:, PELVIS, 1] - (x[:, LHIP, 1] + x[:, RHIP, 1]) / 2)),
        # shoulders relative to the neck (m): how far the mapped shoulder joints sit below the neck
        neck_minus_shoulder_y=float(np.median(x[:, NECK, 1] - (x[:, LSH, 1] + x[:, RSH, 1]) / 2)),
        height_est_m=height, bone_len_cv=float(np.mean(bones.std(0) / np.maximum(bones.mean(0), 1e-6))),
    )
    # posture
    up = x[:, NECK] - x[:, PELVIS]
    lean = np.degrees(np.arctan2(np.linalg.norm(up[:, [0, 2]], axis=-1), up[:, 1]))
    out["trunk_lean_deg"] = float(np.median(lean))
    out["pelvis_height_over_leg"] = float(np.median(x[:, PELVIS, 1]) / (leg / 2))
    # speeds
    v = np.diff(x, axis=0) * FPS                                                   # (T-1, 22, 3) m/s
    root_v = np.linalg.norm(v[:, PELVIS, [0, 2]], axis=-1)
    out["root_speed_mean"] = float(root_v.mean()) if len(root_v) else 0.0
    out["root_speed_p90"] = float(np.percentile(root_v, 90)) if len(root_v) else 0.0
    rel = x - x[:, PELVIS:PELVIS + 1]
    wr = np.linalg.norm(np.diff(rel[:, [LWR, RWR]], axis=0), axis=-1).mean() * FPS if T > 1 else 0.0
    out["wrist_speed_rel"] = float(wr)
    joint_speed = np.linalg.norm(v, axis=-1)                                        # (T-1, 22)
    out["joint_speed_mean"] = float(joint_speed.mean()) if T > 1 else 0.0
    # jerk and high-frequency noise: residual from a 5-frame moving average (m)
    if T >= 8:
        jerk = np.linalg.norm(np.diff(x, 3, axis=0), axis=-1) * FPS ** 3
        out["jerk_median"] = float(np.median(jerk))
        k = np.ones(5) / 5
        sm = np.apply_along_axis(lambda s: np.convolve(s, k, mode="valid"), 0, x)
        out["hf_residual_mm"] = float(np.sqrt(((x[2:-2] - sm) ** 2).sum(-1)).mean() * 1000)
    # idle time at the start/end: frames where every joint moves slower than 0.25 m/s
    moving = (joint_speed.max(axis=1) > 0.25) if T > 1 else np.zeros(0, bool)
    if moving.any():
        first, last = int(np.argmax(moving)), int(len(moving) - 1 - np.argmax(moving[::-1]))
        out["idle_start_s"], out["idle_end_s"] = first / FPS, (len(moving) - 1 - last) / FPS
    else:
        out["idle_start_s"] = out["idle_end_s"] = T / FPS
    out["still_share"] = float(1 - moving.mean()) if len(moving) else 1.0
    # facing change and path curvature
    across = (x[:, RHIP] - x[:, LHIP]) + (x[:, RSH] - x[:, LSH])
    fwd = np.cross(np.array([0.0, 1.0, 0.0]), across)
    head = np.unwrap(np.arctan2(fwd[:, 0], fwd[:, 2]))
    out["heading_change_deg"] = float(np.degrees(abs(head[-1] - head[0])))
    out["heading_travel_deg"] = float(np.degrees(np.abs(np.diff(head)).sum()))
    path = x[:, PELVIS, [0, 2]]
    length = float(np.linalg.norm(np.diff(path, axis=0), axis=-1).sum())
    out["path_len_m"] = length
    out["path_straightness"] = float(np.linalg.norm(path[-1] - path[0]) / length) if length > 0.5 else float("nan")
    return out


def summarise(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    keys = sorted({k for r in rows for k in r})
    out = {}
    for k in keys:
        v = np.array([r[k] for r in rows if k in r and np.isfinite(r[k])])
        if len(v):
            out[k] = {"p10": float(np.percentile(v, 10)), "median": float(np.median(v)),
                      "p90": float(np.percentile(v, 90)), "mean": float(v.mean()), "n": len(v)}
    return out


def real_sets(realdata: Path, cache: Path):
    from coamd.data import load_bandai, load_hdm05

    cache.mkdir(parents=True, exist_ok=True)
    return {"hdm05": load_hdm05(realdata / "hdm05", cache=cache / "hdm05"),
            "bandai": load_bandai(realdata / "bandai_namco", cache=cache / "bandai")}


def cmd_stats(args) -> None:
    from coamd.data import MotionTextIndex

    idx = MotionTextIndex(Path(args.corpus), "train", dataset="synth")
    rng = np.random.default_rng(0)
    ids = rng.choice(len(idx.motion_ids), size=min(args.corpus_clips, len(idx.motion_ids)), replace=False)
    result = {"corpus": summarise([clip_stats(idx.full_motion(idx.motion_ids[int(i)])) for i in ids])}
    for name, clips in real_sets(Path(args.realdata), Path(args.cache)).items():
        result[name] = summarise([clip_stats(clips.motion(i)) for i in range(len(clips))])
    Path(args.out).write_text(json.dumps(result, indent=1))
    keys = list(result["corpus"])
    print(f"{'statistic':28s} " + " ".join(f"{s:>24s}" for s in result))
    for k in keys:
        cells = []
        for summary in result.values():
            r = summary.get(k)
            cells.append(f"{r['median']:8.3f} [{r['p10']:6.2f},{r['p90']:6.2f}]" if r else " " * 24)
        print(f"{k:28s} " + " ".join(f"{c:>24s}" for c in cells))


def cmd_confusion(args) -> None:
    import torch

    from coamd.tasks import load_bundle
    torch.set_num_threads(args.threads)
    bundle = load_bundle(args.mar or None, parts=["mar"])
    set_text_weight(bundle, args.text_weight)
    out = {}
    for name, clips in real_sets(Path(args.realdata), Path(args.cache)).items():
        protocol = {"hdm05": "actors", "bandai": "styles"}[name]
        idx = clips.split(protocol, "test")
        motions = [clips.motion(int(i)) for i in idx]
        w = float(bundle.mar.cfg.label_text_weight)
        a, b = tower_scores(bundle, motions, list(clips.label_names), args.tta or "none", args.canonical)
        logits = (1 - w) * a + w * b
        truth = np.asarray(clips.labels[idx])
        pred = logits.argmax(1)
        K = len(clips.label_names)
        conf = np.zeros((K, K), int)
        for t, p in zip(truth, pred):
            conf[t, p] += 1
        # the same clips over the 44 corpus label names: does the motion side see the action at all?
        corpus_names = list(bundle.label_names)
        corpus_pred = None
        if corpus_names:
            ca, cb = tower_scores(bundle, motions, corpus_names, args.tta or "none", args.canonical)
            corpus_pred = ((1 - w) * ca + w * cb).argmax(1)

        def corpus_top(k: int, corpus_pred=corpus_pred, truth=truth, corpus_names=corpus_names) -> str:
            if corpus_pred is None:
                return ""
            picks = corpus_pred[truth == k]
            vals, counts = np.unique(picks, return_counts=True)
            order = np.argsort(-counts)[:2]
            return ", ".join(f"{corpus_names[int(vals[o])]} {int(counts[o])}" for o in order)

        per_class = {clips.label_names[k]: {"n": int(conf[k].sum()), "acc": float(conf[k, k] / max(conf[k].sum(), 1)),
                                            "top_pred": clips.label_names[int(conf[k].argmax())],
                                            "corpus_labels": corpus_top(k)}
                     for k in range(K) if conf[k].sum()}
        out[name] = {"top1": float((pred == truth).mean()), "clips": len(idx), "per_class": per_class,
                     "confusion": conf.tolist(), "labels": list(clips.label_names)}
        from coamd.bench.recognition import real_retrieval

        ret = {k: v["mean"] for k, v in real_retrieval(bundle, clips, protocol)["text_label"].items()}
        out[name]["retrieval"] = ret
        print(f"{name}: top-1 {out[name]['top1']:.3f} on {len(idx)} clips; label-name text->motion R@1 "
              f"{ret['t2m_R1']:.3f} R@3 {ret['t2m_R3']:.3f}, motion->text R@1 {ret['m2t_R1']:.3f} R@3 {ret['m2t_R3']:.3f}")
        for lab, r in per_class.items():
            print(f"  {r['acc']:.2f} ({r['n']:2d})  {lab:52s} -> {r['top_pred']:42s} | corpus: {r['corpus_labels']}")
    Path(args.out).write_text(json.dumps(out, indent=1))


RIGS = {  # measured medians (stats): the corpus skeleton re-placed like each real set's name mapping
    "hdm05": {"hip_width": (1.36, 1.36), "shoulder_width": (1.17, 1.17), "shoulder_raise": (0.073, 0.073),
              "pelvis_to_hips": (-0.13, -0.13), "spine1": (0.274, 0.274), "spine2": (0.552, 0.552),
              "spine3": (0.833, 0.833), "head": (1.0, 1.0)},
    "bandai": {"hip_width": (1.0, 1.0), "shoulder_width": (0.5, 0.5), "shoulder_raise": (0.09, 0.09),
               "pelvis_to_hips": (0.74, 0.74), "spine1": (0.383, 0.383), "spine2": (0.552, 0.552),
               "spine3": (0.602, 0.602), "head": (1.0, 1.0)},
}


def cmd_sensitivity(args) -> None:
    """Corpus test top-1 of a MAR when the test clips are changed one way at a time (inference only)."""
    import torch

    from coamd.data import MotionTextIndex
    from coamd.data import augment as A
    from coamd.tasks import load_bundle
    from coamd.tasks.recognize import embed_motions, label_logits

    torch.set_num_threads(args.threads)
    bundle = load_bundle(args.mar or None, parts=["mar"])
    set_text_weight(bundle, args.text_weight)
    idx = MotionTextIndex(Path(args.corpus), "test", dataset="synth")
    rows = [i for i in range(len(idx)) if idx[i].labels]
    rows = [rows[int(i)] for i in np.random.default_rng(0).choice(len(rows), min(args.clips, len(rows)), replace=False)]
    names = list(idx.label_names)
    targets = np.zeros((len(rows), len(names)), bool)
    for n, r in enumerate(rows):
        targets[n, list(idx[r].labels)] = True
    base = [idx.motion(r) for r in rows]

    def single_crop(x, rng):  # a 1.75 s window (HDM05's median clip length), centred
        n = min(len(x), 35)
        s0 = (len(x) - n) // 2
        return x[s0:s0 + n]

    variants = {
        "none": lambda x, r: x,
        "rig hdm05": lambda x, r: A.replace_joints(x, r, A.PlacementRanges(**RIGS["hdm05"])),
        "rig bandai": lambda x, r: A.replace_joints(x, r, A.PlacementRanges(**RIGS["bandai"])),
        "arms x0.88 (real arm/leg)": lambda x, r: A.scale_bones(x, np.where(np.isin(np.arange(22),
                                                                                   A.BONE_GROUPS["arms"]), 0.88, 1.0)),
        "speed x1.25": lambda x, r: A.time_warp(x, r, speed=(1.25, 1.25), wobble=0.0),
        "speed x0.8": lambda x, r: A.time_warp(x, r, speed=(0.8, 0.8), wobble=0.0),
        "crop 1.75 s": single_crop,
        "yaw 20 deg": lambda x, r: A.rotate_yaw_random(x, _Fixed(1.0), 20.0),
        "sensor noise": lambda x, r: A.sensor_noise(x, r, jitter=0.0015, drift=0.01),
        "mirror": lambda x, r: A.mirror_motion(x),
        # added in the fourth pass (section 8): posture and body size of the real sets (section 2)
        "trunk lean 0.3 rad": lambda x, r: A.lean_trunk(x, 0.3),
        "body x0.83 (Bandai height)": lambda x, r: A.scale_bones(x, 0.83),
    }
    out = {}
    for name, f in variants.items():
        motions = [np.asarray(f(x, np.random.default_rng(k)), np.float32) for k, x in enumerate(base)]
        with torch.no_grad():
            emb = embed_motions(bundle, motions)
            logits = label_logits(bundle, emb, names).float().cpu().numpy()
        top1 = float(targets[np.arange(len(rows)), logits.argmax(1)].mean())
        out[name] = top1
        print(f"{name:24s} top-1 {top1:.3f}  ({len(rows)} corpus test clips)", flush=True)
    Path(args.out).write_text(json.dumps(out, indent=1))


def labelled_split(corpus: Path, split: str):
    """(index, labelled rows, label names, multi-hot targets (N, K)) of a corpus split."""
    from coamd.data import MotionTextIndex

    idx = MotionTextIndex(corpus, split, dataset="synth")
    rows = [r for r in range(len(idx)) if idx[r].labels]
    names = list(idx.label_names)
    targets = np.zeros((len(rows), len(names)), bool)
    for i, r in enumerate(rows):
        targets[i, list(idx[r].labels)] = True
    return idx, rows, names, targets


def tower_scores(bundle, motions, names, tta: str = "none", canonical: bool = False):
    """(tower A, tower B) cosine scores (N, K) of motions against names, each averaged over the test-time
    views of ``tta`` (`coamd.tasks.recognize.label_scores` mixes them by the MAR's label_text_weight)."""
    import importlib

    import torch

    from coamd.data.augment import mirror_caption_text
    from coamd.data.placement import canonical_placement

    R = importlib.import_module("coamd.tasks.recognize")
    arrays = [np.asarray(m, np.float32) for m in motions]
    if canonical:
        arrays = [canonical_placement(a) for a in arrays]
    views = R.tta_views(tta)
    a = b = 0.0
    with torch.no_grad():
        for mirrored, speed in views:
            f = R.embed_motions(bundle, [R.view(x, mirrored, speed, bundle.skeleton) for x in arrays])
            nm = [mirror_caption_text(n) for n in names] if mirrored else list(names)
            a = a + f @ torch.nn.functional.normalize(bundle.mar.encode_labels(bundle.sentences(nm)).float(), dim=-1).T
            b = b + f @ R.embed_texts(bundle, nm).T
    return (a / len(views)).numpy(), (b / len(views)).numpy()


def set_text_weight(bundle, weight: float | None) -> None:
    """Override the MAR's tower-B share in label scores (None: keep the checkpoint's)."""
    if weight is not None:
        bundle.mar.cfg.label_text_weight = float(weight)


# the corpus val split under the rig/cut/noise shifts of real capture (coamd.data.augment), fixed seeds
PHRASED_ROUNDS = 3
VAL_SHIFT = "placement=1,bones=0.5,warp=0.5,crop=1,crop_min_share=0.35,idle=0.5,yaw=0.5,noise=0.5,max_frames=2000"


_SUBJECTS = {"person", "man", "woman", "figure", "human", "individual"}
_NUMBERS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twice", "both", "left",
            "right", "a", "an", "the", "of"}


def imperative(caption: str) -> str:
    """A corpus caption as the imperative phrase real datasets name their classes with: "Someone does a front
    kick with their right leg twice." -> "do a front kick with the right leg twice" (subject and auxiliary
    dropped, verbs to their base form, possessives to "the"; words of the corpus grammar, coamd.synth.postag)."""
    from coamd.synth.postag import _VERB_LEMMA, words

    w, out, i = words(caption), [], 0
    while i < len(w):
        t = w[i]
        if t in ("a", "an", "the") and i + 1 < len(w) and w[i + 1] in _SUBJECTS:
            i += 2
            continue
        if t == "someone" or (t in ("is", "are") and i + 1 < len(w) and w[i + 1].endswith("ing")):
            i += 1
            continue
        prev = out[-1] if out else None
        lemma = _VERB_LEMMA.get(t)
        if t in ("his", "her", "their", "its"):
            out.append("the")
        elif (lemma and lemma != t and t.endswith(("s", "ing")) and prev not in _NUMBERS
              and not (t.endswith("ing") and prev in ("before", "after", "while", "by", "without"))):
            out.append(lemma)
        else:
            out.append(t)
        i += 1
    return " ".join(out)


def corpus_val_sets(corpus: Path) -> dict[str, tuple[list, list[str], np.ndarray]]:
    """Three zero-shot tasks on the corpus **val** split (model selection; no real data).

    ``names``: labelled val clips against the 44 label names. ``shifted``: the same clips after
    ``VAL_SHIFT`` (one seed per clip). ``phrased1..3``: single-action val clips against label lists
    written as sentences -- in round n, per label, the first caption of its n-th single-action val
    clip (that clip is left out) -- i.e. labels worded as the model never saw them as labels.
    ``imperative1..3``: the same, with each label sentence turned into an imperative phrase
    (:func:`imperative`), the way real datasets word their classes and unlike any corpus caption template.
    """
    from coamd.data.augment import MotionAugment

    idx, rows, names, targets = labelled_split(corpus, "val")
    motions = [idx.motion(r) for r in rows]
    shift = MotionAugment.from_string(VAL_SHIFT)
    shifted = [shift(np.asarray(m, np.float32), np.random.default_rng(1000 + i), allow_short_crop=len(idx[r].labels) == 1)[0]
               for i, (m, r) in enumerate(zip(motions, rows))]
    out = {"names": (motions, names, targets), "shifted": (shifted, names, targets)}
    by_class: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        if len(idx[r].labels) == 1:
            by_class.setdefault(idx[r].labels[0], []).append(i)
    for round_ in range(PHRASED_ROUNDS):        # round n: the n-th clip of each class gives its label text
        reps = {k: idx[rows[m[round_]]].captions[0].text for k, m in by_class.items() if len(m) > round_}
        order = sorted(reps)
        pos = {k: j for j, k in enumerate(order)}
        keep = [i for k, m in by_class.items() if k in pos for n, i in enumerate(m) if n != round_]
        phrased = np.zeros((len(keep), len(order)), bool)
        for j, i in enumerate(keep):
            phrased[j, pos[idx[rows[i]].labels[0]]] = True
        out[f"phrased{round_ + 1}"] = ([motions[i] for i in keep], [reps[k] for k in order], phrased)
        out[f"imperative{round_ + 1}"] = ([motions[i] for i in keep], [imperative(reps[k]) for k in order], phrased)
    return out


def cmd_select(args) -> None:
    """Pick the MAR checkpoint and tower-B weight by the mean top-1 of the three corpus-val tasks
    (with ``--extra-corpus``: the mean of that criterion on both corpora's val splits)."""
    import torch

    from coamd.tasks import load_bundle

    torch.set_num_threads(args.threads)
    sets = corpus_val_sets(Path(args.corpus))
    if args.extra_corpus:
        sets.update({f"x:{k}": v for k, v in corpus_val_sets(Path(args.extra_corpus)).items()})
    weights = [float(w) for w in args.weights.split(",")]
    table = {}
    ttas = args.tta or ["none"]
    for ck in args.mar:
        bundle = load_bundle(ck, parts=["mar"])
        for tta in ttas:
            key = ck if len(ttas) == 1 else f"{ck} tta={tta}"
            row = {}
            for name, (motions, names, targets) in sets.items():
                a, b = tower_scores(bundle, motions, names, tta, args.canonical)
                for w in weights:
                    hit = targets[np.arange(len(targets)), ((1 - w) * a + w * b).argmax(1)]
                    row.setdefault(w, {})[name] = float(hit.mean())
            for w in weights:   # names, shifted and the labels-as-phrases task (rounds averaged) count equally
                r = row[w]
                crit = [float(np.mean([r[f"{x}names"], r[f"{x}shifted"],
                                       np.mean([v for n, v in r.items() if n.startswith(x + args.phrases)])]))
                        for x in ("", "x:") if f"{x}names" in r]
                if len(crit) == 2:
                    r["mean_corpus"], r["mean_extra"] = crit
                r["mean"] = float(np.mean(crit))
                print(f"{key}  w={w:.2f}  " + "  ".join(f"{n} {v:.3f}" for n, v in row[w].items()), flush=True)
            table[key] = row
    best = max(((ck, w) for ck in table for w in weights), key=lambda cw: table[cw[0]][cw[1]]["mean"])
    print(f"selected: {best[0]}  label_text_weight={best[1]}  (corpus val mean top-1 {table[best[0]][best[1]]['mean']:.3f})")
    Path(args.out).write_text(json.dumps({"table": {ck: {str(w): v for w, v in r.items()} for ck, r in table.items()},
                                          "selected": {"mar": best[0], "label_text_weight": best[1]}}, indent=1))


def cmd_coretest(args) -> None:
    """Zero-shot top-1 on every labelled clip of the corpus test split (any-label hit), per checkpoint x w x tta."""
    import torch

    from coamd.tasks import load_bundle

    torch.set_num_threads(args.threads)
    idx, rows, names, targets = labelled_split(Path(args.corpus), "test")
    motions = [idx.motion(r) for r in rows]
    out = {}
    for ck in args.mar:
        bundle = load_bundle(ck, parts=["mar"])
        for tta in args.tta or ["none"]:
            a, b = tower_scores(bundle, motions, names, tta, args.canonical)
            for w in [float(x) for x in args.weights.split(",")]:
                hits = targets[np.arange(len(rows)), ((1 - w) * a + w * b).argmax(1)]
                out[f"{ck} w={w} tta={tta}"] = {"top1": float(hits.mean()), "hits": int(hits.sum()), "clips": len(rows)}
                print(f"{ck}  w={w:.2f}  tta={tta}  core test top-1 {hits.mean():.4f} ({int(hits.sum())}/{len(rows)})",
                      flush=True)
    Path(args.out).write_text(json.dumps(out, indent=1))


class _Fixed:
    """A stand-in generator whose ``uniform`` returns the top of the range times ``q``."""

    def __init__(self, q: float) -> None:
        self.q = q

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self.q


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stats")
    s.add_argument("--corpus", required=True)
    s.add_argument("--corpus-clips", type=int, default=800)
    c = sub.add_parser("confusion")
    c.add_argument("--mar", default="", help="a MAR run folder or checkpoint instead of the bundled one")
    c.add_argument("--threads", type=int, default=1)
    v = sub.add_parser("sensitivity")
    v.add_argument("--corpus", required=True)
    v.add_argument("--clips", type=int, default=300)
    v.add_argument("--mar", default="")
    v.add_argument("--threads", type=int, default=1)
    e = sub.add_parser("select")
    e.add_argument("--corpus", required=True)
    e.add_argument("--mar", nargs="+", required=True, help="MAR checkpoints or bundles to compare")
    e.add_argument("--weights", default="0,0.25,0.5,0.75,1", help="tower-B shares to try")
    e.add_argument("--phrases", choices=("imperative", "phrased"), default="imperative",
                   help="the labels-as-phrases task of the criterion: imperative phrases (default, since the "
                        "second pass showed caption-sentence labels saturate) or the caption sentences (first pass)")
    e.add_argument("--extra-corpus", default=None,
                   help="a second corpus whose val split counts equally in the criterion (e.g. a varied-styles corpus)")
    e.add_argument("--threads", type=int, default=1)
    e.add_argument("--out", required=True)
    t = sub.add_parser("coretest")
    t.add_argument("--corpus", required=True)
    t.add_argument("--mar", nargs="+", required=True, help="MAR checkpoints or bundles")
    t.add_argument("--weights", default="1", help="tower-B shares (default: 1)")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--out", required=True)
    ttas = ("none", "mirror", "speed", "mirror+speed")
    for q in (e, t):
        q.add_argument("--tta", nargs="+", choices=ttas, default=None, help="test-time views (default: none)")
    c.add_argument("--tta", choices=ttas, default=None, help="test-time views (default: none)")
    for q in (c, e, t):
        q.add_argument("--canonical", action="store_true", help="make the joint placement canonical first")
    for q in (c, v):
        q.add_argument("--text-weight", type=float, default=None,
                       help="override the MAR's label_text_weight (tower-B share of label scores)")
    for q in (s, c, v):
        q.add_argument("--realdata", default="../shared/realdata")
        q.add_argument("--cache", default="/tmp/coamd_realcache", help="conversion cache (outside the repo)")
        q.add_argument("--out", required=True)
    args = p.parse_args(argv)
    {"stats": cmd_stats, "confusion": cmd_confusion, "sensitivity": cmd_sensitivity, "select": cmd_select,
     "coretest": cmd_coretest}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
