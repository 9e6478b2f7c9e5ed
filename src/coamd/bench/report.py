"""The benchmark report: Markdown tables and PNG plots rendered from ``results.json`` (Evaluation §4).

Everything in the report is computed from the results dict, never typed by hand: the tables show
``mean ± ci95`` of each metric, the sentence comparing the generator with the nearest-neighbour and
unconditional baselines is derived from the numbers (with whether the 95 % intervals overlap),
and the plots draw quality against sampler steps and against the guidance step λ.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..atomic import atomic_open, atomic_path
from ..evaluation.protocol import PHYSICS_HEADERS
from .realref import DISPLAY, REAL_ROW, describe_real, physics_vs_real, ratio_text, real_row_label

PHYSICS_COLUMNS = list(PHYSICS_HEADERS.items())  # the protocol's physics measures, in its order
GEN_COLUMNS = [  # (metric key, header); Top-k = R-precision in pools of 32
    ("fid", "FID ↓"), ("r_precision_top1", "Top-1 ↑"), ("r_precision_top2", "Top-2 ↑"), ("r_precision_top3", "Top-3 ↑"),
    ("matching_distance", "MM-Dist ↓"), ("diversity", "Diversity →"), ("clip_score", "CLIP-score ↑"),
    ("multimodality", "MModality"), *PHYSICS_COLUMNS,
    ("kept_error_mm", "kept frames err. (mm) ↓"), ("seconds_per_motion", "s / motion"),
    ("cleanup_seconds_per_motion", "of which cleanup"),
]
RECON_COLUMNS = [("mpjpe_mm", "MPJPE (mm) ↓"), ("mpjpe_root_aligned_mm", "root-aligned MPJPE (mm) ↓")] + GEN_COLUMNS[:7]
RETRIEVAL_COLUMNS = [("R@1", "R@1 ↑"), ("R@2", "R@2 ↑"), ("R@3", "R@3 ↑"), ("R@5", "R@5 ↑"), ("R@10", "R@10 ↑"),
                     ("MedR", "MedR ↓")]
ROW_NAMES = {"ground_truth": "Ground truth (real, re-cropped)", "generator": "Generator",
             "generator_raw": "Generator (raw)",
             "nearest_neighbour": "Nearest neighbour (training motion)", "unconditional": "Unconditional (null text)",
             "reconstruction": "AE reconstruction", "samples": "Saved samples"}
BASELINES = ("nearest_neighbour", "unconditional")
HEADLINE = (("fid", "FID", "lower"), ("r_precision_top1", "R-precision top-1", "higher"))


def fmt(x: Any) -> str:
    """A number with precision suited to its size (3 decimals below 10); '–' for missing values."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    a = abs(x)
    if a >= 1000:
        return f"{x:.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 10:
        return f"{x:.2f}"
    return f"{x:.3f}"


def fmt_count(x: Any) -> str:
    """A count (clips, labels) without decimals."""
    return "–" if x is None else f"{float(x):.0f}"


def cell(stat: dict | None) -> str:
    """``mean ± ci95`` (just the mean when there was one repeat)."""
    if not stat:
        return "–"
    if stat.get("n", 1) > 1:
        return f"{fmt(stat['mean'])} ± {fmt(stat['ci95'])}"
    return fmt(stat["mean"])


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def metric_table(rows: dict[str, dict], columns: Sequence[tuple[str, str]], label: str = "method",
                 names: dict[str, str] | None = None) -> list[str]:
    """One table row per result row, only the columns some row has."""
    names = {**ROW_NAMES, **(names or {})}
    cols = [(k, h) for k, h in columns if any(k in r for r in rows.values())]
    body = [[names.get(name, name)] + [cell(r.get(k)) for k, _ in cols] for name, r in rows.items()]
    return table([label] + [h for _, h in cols], body)


# ---------------------------------------------------------------------------------- the comparison
def compare_to_baselines(rows: dict[str, dict]) -> list[dict[str, Any]]:
    """Generator vs each baseline on FID and R-precision top-1: who wins, and whether the CIs overlap."""
    out = []
    gen = rows.get("generator")
    if gen is None:
        return out
    for base in BASELINES:
        if base not in rows:
            continue
        for key, label, better in HEADLINE:
            g, b = gen.get(key), rows[base].get(key)
            if g is None or b is None:
                continue
            gm, gc, bm, bc = g["mean"], g["ci95"], b["mean"], b["ci95"]
            wins = gm < bm if better == "lower" else gm > bm
            tie = gm == bm
            apart = (gm + gc < bm - bc or bm + bc < gm - gc)
            out.append({"baseline": base, "metric": key, "label": label, "better": better, "generator": gm,
                        "baseline_value": bm, "generator_wins": bool(wins), "tie": bool(tie),
                        "intervals_overlap": not apart})
    return out


def comparison_sentences(items: Sequence[dict[str, Any]], split: str = "standard test split") -> list[str]:
    """Plain-language sentences for ``compare_to_baselines`` results."""
    if not items:
        return [f"No generator/baseline comparison on the {split} (a row is missing)."]
    lines = []
    for base in BASELINES:
        parts = []
        for it in (i for i in items if i["baseline"] == base):
            verb = "beats" if it["generator_wins"] else ("ties with" if it.get("tie") else "does not beat")
            sure = ("the 95% intervals overlap, so the difference is not conclusive" if it["intervals_overlap"]
                    else "the 95% intervals do not overlap")
            parts.append(f"{verb} it on {it['label']} ({fmt(it['generator'])} vs {fmt(it['baseline_value'])}, "
                         f"{it['better']} is better; {sure})")
        if parts:
            lines.append(f"Against the {base.replace('_', '-')} baseline, the generator "
                         + " and ".join(parts) + ".")
    wins = [it for it in items if it["generator_wins"]]
    if len(wins) == len(items):
        lines.append(f"Overall, on the {split} the generator beats both baselines on FID and R-precision top-1.")
    elif not wins:
        lines.append(f"Overall, on the {split} the generator beats neither baseline on FID or R-precision top-1.")
    else:
        lost = ", ".join(f"{i['label']} vs the {i['baseline'].replace('_', '-')} baseline" for i in items
                         if not i["generator_wins"])
        lines.append(f"Overall, on the {split} the generator does not beat the baselines everywhere: it loses on {lost}.")
    return lines


def summary(results: dict) -> dict[str, Any]:
    """The computed comparison stored under ``results["summary"]``."""
    rows = results.get("sections", {}).get("generation/test", {}).get("rows", {})
    items = compare_to_baselines(rows)
    sentences = comparison_sentences(items)
    overlap = results.get("diagnostics", {}).get("caption_overlap")
    if overlap and any(i["baseline"] == "nearest_neighbour" and not i["generator_wins"] for i in items):
        why = (f"Why the nearest-neighbour baseline is hard to beat here: of the {int(overlap['test_captions'])} "
               f"test captions, {int(overlap['seen_in_train'])} ({fmt(overlap['share'])}) also occur verbatim among "
               "the training captions (the procedural corpus writes captions from templates)")
        if "same_actions" in overlap:
            why += (f", and for {int(overlap['same_actions'])} of the {int(overlap['test_clips'])} test clips "
                    f"({fmt(overlap['same_actions_share'])}) the training clip it returns for the first caption "
                    "carries exactly the same action labels")
        sentences.append(why + ". It returns real motion, drawn from the same distribution as the ground truth "
                         "(which is what FID measures), and it matches the caption whenever the nearest caption "
                         "names the same actions; the generator has to synthesise every motion, with the model "
                         "sizes listed under 'Different model sizes' above.")
    comp = results.get("sections", {}).get("generation/test_compositional", {}).get("rows", {})
    if comp:
        sentences += comparison_sentences(compare_to_baselines(comp), "compositional test split (action pairs "
                                          "never seen together in training)")
    sentences += cleanup_sentences(rows)
    if comp:
        sentences += cleanup_sentences(comp, "compositional test split")
    ratios = physics_ratios(results.get("sections", {}))
    sentences += physics_sentences(ratios.get("generation/test", {}), real_rows(results.get("sections", {})))
    return {"comparison": items, "sentences": sentences, "physics_vs_real": ratios}


RATIO_SECTIONS = ("generation/test", "generation/test_compositional", "guidance", "samplers", "edit")  # + real row


def real_rows(sections: dict) -> dict[str, dict]:
    """The rows of the real captured reference section ({} when it was skipped or not run)."""
    return sections.get("reference/real", {}).get("rows", {}) or {}


def physics_ratios(sections: dict) -> dict[str, dict]:
    """``physics_vs_real`` of every generation/edit table's rows against the real captured row."""
    real = real_rows(sections).get(REAL_ROW)
    if not real:
        return {}
    return {name: physics_vs_real(sections[name]["rows"], real) for name in RATIO_SECTIONS
            if sections.get(name, {}).get("rows")}


def cleanup_sentences(rows: dict[str, dict], split: str = "standard test split") -> list[str]:
    """Raw vs cleaned generator on FID and R-precision top-1, with their intervals."""
    raw, clean = rows.get("generator_raw"), rows.get("generator")
    if not raw or not clean:
        return []
    parts = []
    for key, label, _ in HEADLINE:
        if key in raw and key in clean:
            r, c = raw[key], clean[key]
            apart = r["mean"] + r["ci95"] < c["mean"] - c["ci95"] or c["mean"] + c["ci95"] < r["mean"] - r["ci95"]
            parts.append(f"{label} {cell(r)} raw vs {cell(c)} cleaned (the 95% intervals "
                         f"{'do not overlap' if apart else 'overlap'})")
    lead = ("The generator rows compared with the baselines are the cleaned output (coamd.tasks.cleanup, what users "
            "get by default). " if split == "standard test split" else "")
    return [f"{lead}On the {split}, cleanup changes " + " and ".join(parts) + "."]


def physics_sentences(ratios: dict[str, dict], reals: dict[str, dict]) -> list[str]:
    """"Against real captured motion (…): the cleaned generator's contact sliding is 1.1× real, …"."""
    if not ratios:
        return []
    out = []
    for name, who in (("generator", "cleaned generator" if "generator_raw" in ratios else "generator"),
                      ("generator_raw", "raw generator")):
        if name in ratios:
            out.append(f"the {who}'s " + ", ".join(f"{DISPLAY[k][0]} {ratio_text(v)}" for k, v in ratios[name].items()))
    if not out:
        return []
    label = real_row_label(reals)
    return [f"Against {label[0].lower()}{label[1:]} on the standard test split: " + "; ".join(out) + "."]


# ---------------------------------------------------------------------------------- caveats
def caveats(meta: dict) -> list[str]:
    """What cannot be compared with the paper, in words (sizes and names taken from ``meta``)."""
    bundle = meta.get("bundle", {})
    params = bundle.get("parameters") or {}
    sizes = ", ".join(f"{part} {n / 1e6:.2f} M" for part, n in params.items())
    out = [("**Different data.** Every text-to-motion number comes from coamd's procedural corpus "
            f"(`{meta.get('corpus', {}).get('path', '')}`), not HumanML3D: other motions, captions, lengths "
            "and labels."),
           (f"**Different text encoder.** The models condition on `{bundle.get('text', '?')}` sentence/token "
            "embeddings (coamd's default is all-MiniLM-L6-v2), not CLIP ViT-B/32."),
           ("**Different evaluators.** FID, R-precision, MM-Dist, Diversity and CLIP-score are measured with "
            "coamd's own evaluators (a GloVe-50d text-motion matcher and a MotionCLIP model trained on the "
            "corpus), not the authors' unreleased absolute-coordinate evaluators (`text_mot_match_absolute`). "
            "Values from different evaluators are on different scales and must not be compared."),
           (f"**Different model sizes.** The benchmarked models have {sizes or 'unknown sizes'} parameters "
            "(the bundled cpu-small configuration), not the paper's (AE 19 M, MAR 70 M, generator 114 M plus a "
            "271 M flow head)."),
           (f"**Different protocol settings.** This is the `{meta.get('suite', {}).get('name', '?')}` suite; each "
            "table states its repeats, subset and sampler (the paper uses 20 repeats, the whole test split and "
            "dopri5)."),
           ("**Different recognition sets.** Real-data recognition uses HDM05 and Bandai-Namco with coamd's "
            "readable label names, not NTU RGB+D (run `coamd eval recognition --data ntu60:PATH` where you have "
            "it)."),
           ("What *is* meaningful: comparisons inside this report (generator vs baselines, the λ and sampler "
            "sweeps, zero-shot vs fine-tuned), all measured with the same evaluator checkpoint.")]
    return out


# ---------------------------------------------------------------------------------- the document
def _sampling_line(samp: dict) -> str:
    steps, cfg = samp.get("decode_steps", samp.get("steps")), samp.get("cfg_scale", samp.get("cfg"))  # or former names
    return (f"{steps} decoding steps, CFG {cfg}, sampler {samp.get('sampler')} "
            f"({samp.get('ode_steps')} ODE steps; dopri5 is adaptive), MAR guidance λ {samp.get('guidance')}")


def _section_header(name: str, sec: dict) -> list[str]:
    s = sec.get("settings", {})
    bits = [f"{k} {v if v else 'all'}" if k == "limit" else f"{k} {v}"
            for k, v in s.items() if k in ("split", "limit", "repeats") and v is not None]
    when = ("skipped" if "skipped" in sec else
            "cached from an earlier run" if sec.get("cached") else "computed in this run")
    out = [f"Settings: {', '.join(bits) or 'defaults'} ({when})."]
    if s.get("sampling"):
        out.append(f"Sampling: {_sampling_line(s['sampling'])}.")
    variants = s.get("variants")
    if variants:
        first = next(iter(variants.values()))
        out.append(f"Each row changes {'λ' if name == 'guidance' else 'the sampler and its steps'} of: "
                   f"{_sampling_line(first)}.")
    if name == "guidance":
        out.append("λ is the guidance step itself (λ = 0: unguided); upstream's step 0.5 + λ_up is our "
                   "λ = 0.5 + λ_up.")
        if any("guidance_reward" in v for v in (variants or {}).values()):
            out.append("Reward weighting (the part after the slash): 'all' is upstream's 0.7·cos(f, e) + 0.1·cos "
                       "of each of the joint, bone and motion stream embeddings (before); 'fused' is cos(f, e) "
                       "only, the one embedding MAR's description loss aligns with its text tower (after).")
    if s.get("output") == "raw":
        out.append("Rows are raw network output (no cleanup).")
    cleanup = s.get("cleanup")
    if isinstance(cleanup, dict):
        if cleanup.get("applied"):
            fn = f"`{cleanup.get('module')}.cleanup_motion` (constant bones, planted feet, floor at 0, smoothing"
            if name.startswith("generation"):
                out.append(f"Cleanup: 'Generator (cleaned)' is 'Generator (raw)' after {fn}), the output users get "
                           "by default; its s / motion includes the cleanup, whose own time is the 'of which "
                           "cleanup' column. The baselines are not cleaned.")
            elif name == "edit" and "protocol" in s:
                out.append(f"Cleanup: the '(copy-back)' rows are after {fn}; kept frames pinned to the source).")
            else:
                out.append(f"Cleanup: '(cleaned)' rows are the '(raw)' edits after {fn}; kept frames pinned to "
                           "the source), the output users get by default. 'kept frames err.' is the largest "
                           "distance of a kept-frame joint from the source, averaged over motions.")
        else:
            out.append(f"Cleanup: not applied ({cleanup.get('why', 'unavailable')}); rows are raw network output.")
    if name == "edit" and "protocol" in s:
        mm = s.get("mm")
        out.append("Protocol: the '<task>' rows are the official one (upstream's edit evaluation): the AE decode of "
                   "the whole edited sequence, kept frames not copied back, so they carry the AE's reconstruction "
                   "error" + (f"; MultiModality: the first {mm[0]} captions × {mm[1]} edits each "
                              f"(official: 96 × 30)" if mm else "") + ". The '(copy-back)' rows are the same "
                   "edits as `coamd edit` hands them out: kept frames copied back from the source with a 4-frame "
                   "fade. 'kept frames err.' is the largest distance of a kept-frame joint from the source, "
                   "averaged over motions.")
    ties = s.get("r_precision_ties")
    if ties:
        out.append("R-precision ties: " + ("the official rule (argsort order: a motion at exactly the same distance "
                                           "as the caption's own ranks ahead of it when it comes earlier in the "
                                           "pool)." if ties == "index" else
                                           "averaged (an exact tie counts half a place)."))
    return out + [""]


def render(results: dict, plots: dict[str, str] | None = None) -> str:
    """The Markdown report of a results dict (``plots``: section -> image path relative to the report)."""
    meta, sections = results.get("meta", {}), results.get("sections", {})
    mach = meta.get("machine", {})
    bundle, ev, corpus = meta.get("bundle", {}), meta.get("evaluator", {}), meta.get("corpus", {})
    lines = ["# coamd benchmark results", "",
             "_Written by `coamd bench` from `results.json`; do not edit by hand._", "",
             f"- Command: `{meta.get('command', '')}`",
             f"- Date: {meta.get('date', '')}; git commit `{meta.get('git_commit', 'unknown')}`",
             (f"- Machine: {mach.get('cpus')} CPUs, torch {mach.get('torch')} ({mach.get('torch_threads')} "
              f"thread{'' if mach.get('torch_threads') == 1 else 's'}), device `{mach.get('device')}`, "
              f"{mach.get('platform', '')}"),
             (f"- Model bundle: `{bundle.get('path')}`; evaluators: `{ev.get('path')}` "
              f"(sha256 {ev.get('sha256')})"),
             (f"- Corpus: `{corpus.get('path')}`; suite `{meta.get('suite', {}).get('name')}`, seed "
              f"{meta.get('seed')}; total wall time {fmt(meta.get('wall_seconds'))} s"), "",
             "## What can and cannot be compared with the paper", ""]
    lines += [f"- {c}" for c in caveats(meta)] + ["", "## Summary", ""]
    lines += results.get("summary", {}).get("sentences", ["(no comparison)"]) + [""]
    plots = plots or {}
    lines += _real_section(sections.get("reference/real"))
    titles = {"generation/test": "Text-to-motion generation: standard test split",
              "generation/test_compositional": "Text-to-motion generation: compositional test split (unseen action pairs)",
              "guidance": "MAR guidance step λ (standard test split)",
              "samplers": "Flow-head sampler and steps (standard test split)",
              "edit": "Temporal editing (standard test split)", "reconstruction": "AE reconstruction (standard test split)"}
    for name, title in titles.items():
        sec = sections.get(name)
        if not sec:
            continue
        lines += [f"## {title}", ""] + _section_header(name, sec)
        if "skipped" in sec:
            lines += [f"Skipped: {sec['skipped']}", ""]
            continue
        cols = RECON_COLUMNS if name == "reconstruction" else GEN_COLUMNS
        label = {"guidance": "guidance", "samplers": "sampler:steps", "edit": "task"}.get(name, "method")
        rows, names = sec["rows"], row_names(sec["rows"])
        real = sections.get("reference/real")
        with_real = name in RATIO_SECTIONS and real is not None
        if with_real and real.get("rows", {}).get(REAL_ROW):
            rows = with_real_row(rows, real["rows"])
            names[REAL_ROW] = real_row_label(real["rows"])
        lines += metric_table(rows, cols, label, names) + [""]
        if with_real:
            lines += _ratio_lines(name, results, sec["rows"], real, names, label)
        if name in plots:
            lines += [f"![{title}]({plots[name]})", ""]
    lines += _retrieval(sections.get("retrieval")) + _recognition(sections) + _real_retrieval(sections)
    lines += _timing(sections)
    return "\n".join(lines).rstrip() + "\n"


def row_names(rows: dict[str, dict]) -> dict[str, str]:
    """Table names of rows: "Generator (cleaned)" / "Generator (raw)", "inpaint (cleaned)" / "inpaint (raw)"."""
    names = {}
    for key in rows:
        if key.endswith("/copy_back"):
            names[key] = f"{key[:-10]} (copy-back)"
            names.setdefault(key[:-10], f"{key[:-10]} (official: AE decode)")
        if key.endswith("/raw"):
            names[key] = f"{key[:-4]} (raw)"
            if key[:-4] in rows:
                names[key[:-4]] = f"{key[:-4]} (cleaned)"
    if "generator_raw" in rows and "generator" in rows:
        names["generator"] = "Generator (cleaned)"
    return names


def with_real_row(rows: dict[str, dict], reals: dict[str, dict]) -> dict[str, dict]:
    """``rows`` with the combined real captured row after the ground-truth row."""
    out = {k: v for k, v in rows.items() if k == "ground_truth"}
    out[REAL_ROW] = reals[REAL_ROW]
    return {**out, **{k: v for k, v in rows.items() if k != "ground_truth"}}


def _real_section(sec: dict | None) -> list[str]:
    if not sec:
        return []
    out = ["## Real captured motion (physics reference)", ""]
    if "skipped" in sec:
        return out + [f"Skipped: {sec['skipped']}", ""]
    rows = sec["rows"]
    names = {k: real_row_label(rows, k) for k in rows}
    out += [describe_real(rows, sec.get("settings", {}).get("realdata")) + " " + (
        "It is the reference row of every generation and edit table below; the corpus ground-truth row stays "
        "beside it."), ""]
    return out + metric_table(rows, PHYSICS_COLUMNS, "clips", names) + [""]


def _ratio_lines(name: str, results: dict, rows: dict, real: dict, names: dict[str, str], label: str) -> list[str]:
    """The generated ÷ real table under a generation/edit table (or why the real row is missing)."""
    if "skipped" in real:
        return [f"Real captured reference row: skipped ({real['skipped']}).", ""]
    ratios = results.get("summary", {}).get("physics_vs_real", {}).get(name)
    if ratios is None:
        ratios = physics_vs_real(rows, real["rows"][REAL_ROW])
    if not ratios:
        return []
    keys = [k for k in DISPLAY if any(k in r for r in ratios.values())]
    body = [[{**ROW_NAMES, **names}.get(row, row)] + [ratio_text(r[k]) if k in r else "–" for k in keys]
            for row, r in ratios.items()]
    intro = (f"Physics ÷ the {real_row_label(real['rows'])[0].lower()}{real_row_label(real['rows'])[1:]} row: "
             "each measure divided by its real value, or both absolute values where the real value is zero.")
    return [intro, ""] + table([label] + [DISPLAY[k][0] for k in keys], body) + [""]


def _retrieval(sec: dict | None) -> list[str]:
    if not sec:
        return []
    out = ["## Text-motion retrieval (MAR: motion embedding vs tower B)", ""] + _section_header("retrieval", sec)
    if "skipped" in sec:
        return out + [f"Skipped: {sec['skipped']}", ""]
    names = {"full/t2m": "full gallery, text → motion", "full/m2t": "full gallery, motion → text",
             "batch32/t2m": "batches of 32, text → motion", "batch32/m2t": "batches of 32, motion → text"}
    return out + metric_table(sec["rows"], RETRIEVAL_COLUMNS, "protocol", names) + [
        "", "Recalls are fractions (×100 for percentages); identical captions count as the same text.", ""]


def _recognition(sections: dict) -> list[str]:
    body = []
    for name, sec in sections.items():
        if not name.startswith("recognition/"):
            continue
        dataset = name.split("/", 1)[1]
        if "skipped" in sec:
            body.append([dataset, "–", "skipped", "–", "–", "–", "–"])
            continue
        split = {"corpus": "test (any label)", "hdm05": "actors mm/tr", "bandai": "held-out styles"}.get(dataset, "test")
        for mode, row in sec["rows"].items():
            body.append([dataset, split, mode.replace("_", "-"), cell(row.get("top1")), cell(row.get("top5")),
                         fmt_count(row.get("clips", {}).get("mean")), fmt_count(row.get("labels", {}).get("mean"))])
    if not body:
        return []
    out = ["## Action recognition (MAR prototypes)", ""]
    out += table(["dataset", "test split", "mode", "top-1 ↑", "top-5 ↑", "clips", "labels"], body)
    skipped = [f"{n.split('/', 1)[1]}: {s['skipped']}" for n, s in sections.items()
               if n.startswith("recognition/") and "skipped" in s]
    return out + [""] + ([f"Skipped: {'; '.join(skipped)}", ""] if skipped else [])


def _real_retrieval(sections: dict) -> list[str]:
    body = []
    for name, sec in sections.items():
        if not name.startswith("retrieval/"):
            continue
        dataset = name.split("/", 1)[1]
        if "skipped" in sec:
            body.append([dataset, "–", "skipped", "–", "–", "–", "–", "–"])
            continue
        split = {"hdm05": "actors mm/tr", "bandai": "held-out styles"}.get(dataset, "test")
        row = sec["rows"].get("text_label", {})
        body.append([dataset, split, cell(row.get("t2m_R1")), cell(row.get("t2m_R3")), cell(row.get("m2t_R1")),
                     cell(row.get("m2t_R3")), fmt_count(row.get("clips", {}).get("mean")),
                     fmt_count(row.get("queries", {}).get("mean"))])
    if not body:
        return []
    out = ["## Text→motion retrieval on real clips (label names as captions)", ""]
    out += table(["dataset", "test split", "t2m R@1 ↑", "t2m R@3 ↑", "m2t R@1 ↑", "m2t R@3 ↑", "clips", "labels"],
                 body)
    note = ("Each test clip is retrieved from its label name (e.g. \"kick with the left leg to the front\") among all "
            "test clips (full gallery, tower B); a clip with the same label counts as a hit.")
    return [*out, "", note, ""]


def _timing(sections: dict) -> list[str]:
    body = [[name, f"{float(sec['seconds']):.1f}", "yes" if sec.get("cached") else "no"]
            for name, sec in sections.items() if "seconds" in sec]
    return ["## Wall time per section", ""] + table(["section", "seconds", "cached"], body) + [""]


# ---------------------------------------------------------------------------------- plots
def make_plots(results: dict, folder: str | os.PathLike) -> dict[str, Path]:
    """PNG plots of the sampler and guidance sweeps into ``folder``; section -> file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder, out = Path(folder), {}
    sections = results.get("sections", {})
    for name, xkey, xlabel in (("samplers", "ode_steps", "flow-head ODE steps"), ("guidance", "guidance", "λ")):
        sec = sections.get(name)
        if not sec or "rows" not in sec:
            continue
        variants = sec["settings"].get("variants", {})
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        for ax, (key, label, _) in zip(axes, HEADLINE):
            groups: dict[str, list[tuple[float, float, float]]] = {}
            for row, stats in sec["rows"].items():
                if row == "ground_truth" or key not in stats or row not in variants:
                    continue
                v = variants[row]
                group = v["sampler"] if name == "samplers" else f"reward {v.get('guidance_reward', 'all')}"
                if name == "guidance" and float(v[xkey]) == 0:      # unguided: the start of every curve
                    for r in {f"reward {w.get('guidance_reward', 'all')}" for w in variants.values()}:
                        groups.setdefault(r, []).append((0.0, stats[key]["mean"], stats[key]["ci95"]))
                    continue
                groups.setdefault(group, []).append((float(v[xkey]), stats[key]["mean"], stats[key]["ci95"]))
            for group, pts in sorted(groups.items()):
                pts.sort()
                xs, ys, es = zip(*pts)
                if group == "dopri5":
                    ax.axhline(ys[0], ls="--", color="k", label="dopri5 (adaptive)")
                else:
                    ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=group)
            gt = sec["rows"].get("ground_truth", {}).get(key)
            if gt is not None:
                ax.axhline(gt["mean"], ls=":", color="g", label="ground truth")
            if name == "samplers":
                ax.set_xscale("log", base=2)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(label)
            ax.legend(fontsize=7)
        fig.tight_layout()
        path = folder / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
        out[name] = path
    return out


def write_report(results: dict, path: str | os.PathLike, plot_dir: str | os.PathLike | None = None) -> Path:
    """Plots into ``plot_dir`` (default: ``results/`` beside the report) and the Markdown report at ``path``."""
    path = Path(path)
    plot_dir = Path(plot_dir) if plot_dir is not None else path.parent / "results"
    files = make_plots(results, plot_dir)
    rel = {k: os.path.relpath(v, path.parent) for k, v in files.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(render(results, rel))
    return path


__all__ = ["compare_to_baselines", "comparison_sentences", "fmt", "make_plots", "render", "summary", "write_report"]
