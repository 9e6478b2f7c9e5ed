"""The demo's single HTML page (Tasks issue §8): sections, captions, score bars, timings, viewer links.

``OUT/index.html`` is one static file with inline CSS and no script or network use; its images
and links point at ``assets/`` beside it (GIFs, interactive viewers, npy, BVH) and at the corpus
files, so the page works when opened straight from disk.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_open
from .assets import asset_files
from .stages import Shown, clip_shown

if TYPE_CHECKING:                      # the page renders a report; run.py imports this module, not the reverse
    from .run import DemoReport

CSS = """
:root { --ink:#1d2330; --soft:#5d6675; --line:#dfe3ea; --bg:#f6f7f9; --card:#fff; --ok:#1f8a4c; --bad:#b3261e;
        --bar:#5b7fd6; --true:#2fa866; }
* { box-sizing:border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:22px 32px 14px; }
header h1 { margin:0 0 4px; font-size:26px; }
header p { margin:0; color:#c9d0dc; }
nav { margin-top:12px; display:flex; flex-wrap:wrap; gap:6px 16px; }
nav a { color:#9fc0ff; text-decoration:none; font-weight:600; }
main { padding:8px 32px 40px; max-width:1500px; }
section { margin-top:28px; }
h2 { font-size:21px; margin:0 0 4px; border-bottom:2px solid var(--line); padding-bottom:4px; }
p.lead { color:var(--soft); margin:6px 0 12px; max-width:1000px; }
code, .cmd { font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
.cmd { display:block; background:#eef1f6; border:1px solid var(--line); border-radius:6px; padding:6px 10px;
       margin:6px 0 12px; white-space:pre-wrap; word-break:break-word; }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(262px,1fr)); gap:14px; }
.grid.wide { grid-template-columns:repeat(auto-fill,minmax(520px,1fr)); }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px; margin:0; }
.card img { display:block; max-width:100%; height:auto; border-radius:6px; background:#fff; margin:0 auto; }
.card .text { font-weight:600; margin:8px 0 2px; }
.meta { color:var(--soft); font-size:13px; margin:2px 0; }
.links { font-size:13px; margin:6px 0 0; }
.links a { color:#2456c5; margin-right:10px; }
.badge { display:inline-block; font-size:12px; font-weight:700; border-radius:10px; padding:1px 8px; margin-right:4px; }
.badge.ok { background:#e0f3e8; color:var(--ok); } .badge.bad { background:#fbe4e2; color:var(--bad); }
.badge.kind { background:#e6ecfa; color:#2a4da8; }
.bars { display:grid; grid-template-columns:minmax(70px,36%) 1fr auto; gap:3px 6px; align-items:center;
        font-size:13px; margin-top:6px; }
.bars .lab { overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.bars .lab.true { color:var(--ok); font-weight:700; }
.track { background:#edf0f5; border-radius:4px; height:12px; overflow:hidden; }
.fill { background:var(--bar); height:100%; }
.fill.true { background:var(--true); }
.bars .val { color:var(--soft); text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
table { border-collapse:collapse; background:var(--card); font-size:14px; }
td, th { border:1px solid var(--line); padding:4px 10px; text-align:left; vertical-align:top; }
th { background:#eef1f6; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.tables { display:flex; flex-wrap:wrap; gap:20px; align-items:flex-start; }
.timebar { display:inline-block; height:10px; background:var(--bar); border-radius:3px; vertical-align:middle; }
.query { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 12px; margin-bottom:14px; }
.query .q { font-weight:600; margin:0 0 8px; }
.results { display:flex; flex-wrap:wrap; gap:12px; }
.result { width:200px; font-size:13px; border:2px solid transparent; border-radius:8px; padding:4px; }
.result.right { border-color:var(--true); background:#f1faf4; }
.result img { width:192px; height:192px; border-radius:6px; display:block; }
.stats { display:flex; gap:12px; flex-wrap:wrap; margin:4px 0 12px; }
.stat { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:6px 14px; }
.stat b { font-size:20px; display:block; }
footer { color:var(--soft); font-size:13px; padding:20px 32px; border-top:1px solid var(--line); }
"""

SECTIONS = (("overview", "Overview"), ("generation", "Text to motion"), ("sequence", "Long sequence"),
            ("editing", "Editing"), ("recognition", "Recognition"), ("retrieval", "Retrieval"),
            ("corpus", "Corpus gallery"))


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _asset(path: str) -> str:
    return esc(f"assets/{path}")


def links(shown: Shown, extra: list[tuple[str, str]] = ()) -> str:
    files = asset_files(shown)
    names = [("interactive viewer", files["html"])] + [(k, files[k]) for k in ("npy", "bvh") if k in files]
    names += [(f"{k} npy", files[k]) for k in shown.extras]
    items = [f'<a href="{_asset(p)}">{esc(label)}</a>' for label, p in names]
    items += [f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in extra]
    return f'<p class="links">{"".join(items)}</p>'


def preview(shown: Shown, alt: str, width: int | None = None) -> str:
    files = asset_files(shown)
    size = f' width="{width}" height="{width}"' if width else ""
    return (f'<a href="{_asset(files["html"])}" title="open the interactive viewer">'
            f'<img src="{_asset(files["gif"])}" alt="{esc(alt)}"{size}></a>')


def card(shown: Shown, title: str, body: str = "", extra_links: list[tuple[str, str]] = ()) -> str:
    return (f'<figure class="card">{preview(shown, title)}<figcaption><p class="text">{esc(title)}</p>{body}'
            f'{links(shown, extra_links)}</figcaption></figure>')


def _ck(r: DemoReport) -> str:
    """The ``--checkpoint`` flag a command needs to use the demo's weights ("" for the default ones)."""
    return f" --checkpoint {esc(r.checkpoint)}" if r.checkpoint else ""


def _pct(x: float) -> str:
    return f"{100.0 * x:.0f}%"


# ---------------------------------------------------------------------------------- sections
def overview(r: DemoReport) -> str:
    s, c, samp = r.settings, r.corpus, r.sampling
    rows = [("weights", r.weights), ("device", f"{s['device']} ({s['threads']} threads, torch {s['torch']})"),
            ("sampling", (f"{samp['decode_steps']} coarse-to-fine steps, CFG {samp['cfg_scale']}, {samp['sampler']} "
                          f"with {samp['ode_steps']} ODE steps, MAR guidance {samp['guidance']}")),
            ("corpus", f"{c['clips']} procedural clips ({c['hours'] * 60:.1f} min), splits "
                       + ", ".join(f"{k} {v}" for k, v in c["splits"].items() if k != "test_compositional")),
            ("held back", f"{c['held_back']} test-split clips: the edit sources, recognition and retrieval set"),
            ("seed", s["seed"]), ("made", f"{s['date']} by coamd {s['coamd']}")]
    settings = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    longest = max((t for _, t in r.timings), default=1.0) or 1.0
    times = "".join(f'<tr><td>{esc(name)}</td><td class="num">{t:.1f} s</td>'
                    f'<td><span class="timebar" style="width:{max(2, round(160 * t / longest))}px"></span></td></tr>'
                    for name, t in r.timings)
    times += f'<tr><th>total</th><th class="num">{r.total_seconds:.1f} s</th><th></th></tr>'
    return (f'<p class="lead">Each section below shows the command that does the same thing by itself; run '
            f'the commands from this folder.</p>'
            f'<div class="tables"><table>{settings}</table>'
            f'<table><tr><th>stage</th><th>time</th><th></th></tr>{times}</table></div>')


def generation(r: DemoReport) -> str:
    cards = "".join(card(g.shown, g.text, f'<p class="meta">{g.seconds:g} s, seed {r.settings["seed"] + i}</p>')
                    for i, g in enumerate(r.generated))
    first = r.generated[0]
    return (f'<p class="lead">One motion per prompt, generated together in one batch by coarse-to-fine masked '
            f'decoding with classifier-free guidance, then cleaned: fitted to one set of bone lengths, planted '
            f'feet held still, on the floor, without jitter (add <code>--raw</code> for the network output as it '
            f'is). Click a preview for the interactive 3D viewer.</p>'
            f'<code class="cmd">coamd generate "{esc(first.text)}" --length {first.seconds:g} --format npy,bvh,gif '
            f'-o out/{_ck(r)}</code><div class="grid">{cards}</div>')


def sequence(r: DemoReport) -> str:
    q = r.sequence
    parts = "".join(f"<li>{esc(t)} <span class='meta'>({sec:g} s, starts at {st:g} s)</span></li>"
                    for t, sec, st in zip(q.texts, q.seconds, q.starts))
    texts = " ".join(f'"{esc(t)}"' for t in q.texts)
    body = f"<ol>{parts}</ol>"
    return (f'<p class="lead">One long motion performing several prompts in order: each segment after the first '
            f'is generated as a continuation of the last second of the motion so far, the joins are '
            f'cross-faded, and the whole motion is cleaned like the ones above.</p>'
            f'<code class="cmd">coamd generate --sequence {texts} --length '
            f'{",".join(f"{s:g}" for s in q.seconds)} -o out/long{_ck(r)}</code>'
            f'<div class="grid wide">{card(q.shown, "; ".join(q.texts), body)}</div>')


def _report_lines(report: dict) -> str:
    keys = (("kept_frames_error_cm", "kept frames error"), ("joint_drift_cm", "kept joints drift"),
            ("joint_drift_cm_decoded", "kept joints drift before overwrite"),
            ("trajectory_error_cm", "path error"), ("trajectory_error_cm_decoded", "path error before shift"),
            ("ae_error_cm", "AE reconstruction error"))
    items = [f"{label} {report[k]:.1f} cm" for k, label in keys if k in report]
    regen = f"{report.get('regenerated_tokens', 0)}/{report.get('tokens', 0)} tokens regenerated"
    return f'<p class="meta">{esc(regen)}; {esc(", ".join(items))}</p>'


def editing(r: DemoReport) -> str:
    cards = []
    for e in r.edits:
        body = (f'<p class="meta"><span class="badge kind">{esc(e.spec.kind)}</span>{esc(e.spec.kept)}</p>'
                f'<p class="meta">source: held-back clip {esc(e.source.id)}, "{esc(e.source.captions[0])}"</p>'
                f'{_report_lines(e.report)}<code class="cmd">coamd edit corpus/new_joints/{esc(e.source.id)}.npy --text "{esc(e.text)}" '
                f'{esc(e.arguments)} -o out/{_ck(r)}</code>')
        cards.append(card(e.shown, f"{e.spec.title}: {e.text}", body,
                          [("source npy", f"corpus/new_joints/{e.source.id}.npy")]))
    return (f'<p class="lead">Each edit keeps part of a held-back clip (left panel) and regenerates the rest from '
            f'the text (right panel). Temporal edits keep token ranges; the body-part edit keeps joints; the '
            f'trajectory edit makes the pelvis follow a new path.</p><div class="grid wide">{"".join(cards)}</div>')


def bars(preds: list[tuple[str, float, float]], truth: set[str]) -> str:
    """Label rows: name (green when true), a bar of the cosine similarity, the cosine and the probability."""
    rows = []
    for label, score, prob in preds:
        cls = " true" if label in truth else ""
        width = 100.0 * min(1.0, max(0.0, score))
        rows.append(f'<span class="lab{cls}" title="{esc(label)}">{esc(label)}</span>'
                    f'<span class="track"><span class="fill{cls}" style="display:block;width:{width:.0f}%">'
                    f'</span></span><span class="val" title="cosine similarity, probability among the ranked '
                    f'labels">{score:.2f} &middot; {100 * prob:.0f}%</span>')
    return f'<div class="bars">{"".join(rows)}</div>'


def recognition(r: DemoReport) -> str:
    s = r.recognition
    stats = (f'<div class="stats"><div class="stat"><b>{_pct(s.top1)}</b>top-1 over {s.clips} held-back clips</div>'
             f'<div class="stat"><b>{_pct(s.top5)}</b>top-5</div>'
             f'<div class="stat"><b>{s.labels}</b><a href="assets/labels.txt">label names</a> ranked</div></div>')
    cards = []
    for it in s.items:
        truth = set(it.clip.labels)
        badges = (f'<span class="badge {"ok" if it.top1 else "bad"}">top-1 {"hit" if it.top1 else "miss"}</span>'
                  f'<span class="badge {"ok" if it.top5 else "bad"}">top-5 {"hit" if it.top5 else "miss"}</span>')
        body = (f'<p class="meta">{badges} true: {esc(", ".join(it.clip.labels) or "(none)")}</p>'
                f'{bars(it.predictions, truth)}')
        cards.append(card(clip_shown(it.clip), it.clip.captions[0], body))
    return (f'<p class="lead">Zero-shot recognition: each held-back clip\'s motion embedding is compared with the '
            f'embeddings of every label name that occurs in the corpus. The top 5 are listed; bars show the cosine '
            f'similarity, then its probability among all those labels (softmax at MAR\'s recognition temperature); '
            f'green labels are the clip\'s true labels.</p>'
            f'<code class="cmd">coamd recognize corpus/new_joints/{esc(s.items[0].clip.id)}.npy '
            f'--label-file assets/labels.txt --top-k 5{_ck(r)}</code>'
            f'{stats}<div class="grid">{"".join(cards)}</div>')


def retrieval(r: DemoReport) -> str:
    s = r.retrieval
    stats = "".join(f'<div class="stat"><b>{_pct(v)}</b>R@{k}</div>' for k, v in s.recall.items())
    stats = (f'<div class="stats">{stats}<div class="stat"><b>{s.median_rank:g}</b>median rank</div>'
             f'<div class="stat"><b>{s.gallery}</b>gallery clips</div></div>')
    blocks = []
    for it in s.items:
        first = it.results[0][0].id == it.target.id if it.results else False
        badge = ('<span class="badge ok">right clip first</span>' if first else
                 f'<span class="badge bad">right clip at rank {it.rank}</span>')
        res = []
        for rank, (clip, score) in enumerate(it.results, 1):
            right = " right" if clip.id == it.target.id else ""
            res.append(f'<div class="result{right}">{preview(clip_shown(clip), clip.captions[0], 192)}'
                       f'<div>#{rank} score {score:.2f}{" (the right clip)" if right else ""}</div>'
                       f'<div class="meta">{esc(clip.captions[0])}</div></div>')
        if not any(c.id == it.target.id for c, _ in it.results):
            res.append(f'<div class="result right">{preview(clip_shown(it.target), it.query, 192)}'
                       f'<div>the right clip (rank {it.rank})</div></div>')
        blocks.append(f'<div class="query"><p class="q">{badge} "{esc(it.query)}"</p>'
                      f'<div class="results">{"".join(res)}</div></div>')
    return (f'<p class="lead">Text-to-motion retrieval: each held-back clip\'s caption is the query and every '
            f'held-back clip is the gallery. Shown: the top 3 for some queries; the right clip is outlined.</p>'
            f'<code class="cmd">coamd index build corpus/new_joints -o gallery.idx{_ck(r)}\n'
            f'coamd retrieve --text "{esc(s.items[0].query)}" --gallery gallery.idx --top-k 3{_ck(r)}</code>'
            f'{stats}{"".join(blocks)}')


def gallery(r: DemoReport) -> str:
    cards = "".join(card(clip_shown(c), c.captions[0],
                         f'<p class="meta">{c.seconds:.1f} s; labels: {esc(", ".join(c.labels))}</p>',
                         [("npy", f"corpus/new_joints/{c.id}.npy")])
                    for c in r.gallery)
    return (f'<p class="lead">Training clips of the procedural corpus this demo synthesised into '
            f'<a href="corpus/SYNTH.md">corpus/</a>, with their first caption.</p>'
            f'<code class="cmd">coamd data synth --out corpus --clips {r.corpus["clips"]} '
            f'--seed {r.settings["seed"]}</code><div class="grid">{cards}</div>')


def render_page(r: DemoReport) -> str:
    nav = "".join(f'<a href="#{k}">{esc(t)}</a>' for k, t in SECTIONS)
    parts = {"overview": overview, "generation": generation, "sequence": sequence, "editing": editing,
             "recognition": recognition, "retrieval": retrieval, "corpus": gallery}
    body = "".join(f'<section id="{k}"><h2>{esc(t)}</h2>{parts[k](r)}</section>' for k, t in SECTIONS)
    cmd = "coamd demo --out " + esc(r.settings["out"]) + (" --train" if r.settings["train"] else "")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>coamd demo</title>'
            f'<style>{CSS}</style></head><body><header><h1>coamd demo</h1>'
            f'<p>Text-to-motion generation, editing, recognition and retrieval on 3D skeletons '
            f'(SMPL-22 joints, 20 fps), on a corpus made for this run; {r.total_seconds:.0f} s in all.</p>'
            f'<nav>{nav}</nav></header><main>{body}</main>'
            f'<footer>Made by <code>{cmd}</code>. Everything on this page is local: open the viewers for orbit, '
            f'zoom and frame-by-frame playback; <code>.npy</code> files hold canonical (T, 22, 3) joint '
            f'positions in metres, <code>.bvh</code> files open in Blender.</footer></body></html>\n')


def write_page(out: Path, report: DemoReport) -> Path:
    """Write ``out/index.html`` atomically."""
    path = Path(out) / "index.html"
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(render_page(report))
    return path
