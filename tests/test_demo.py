"""``coamd demo`` end to end on a tiny random bundle and a 40-clip corpus: the page, its assets, errors."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from coamd.cli import main
from coamd.demo import DemoSettings, run_demo
from coamd.demo.corpus import CorpusClip, pick_sources, pick_walker
from coamd.demo.plan import EDITS, curved_path, keep_spec
from coamd.tasks import make_random_bundle

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SECTIONS = ("overview", "generation", "sequence", "editing", "recognition", "retrieval", "corpus")


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return str(make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny"))


@pytest.fixture(scope="module")
def demo(ckpt, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["demo", "--out", str(out), "--checkpoint", ckpt, "--clips", "40", "--quiet"]) == 0
    return out


def page_links(index: Path) -> set[str]:
    text = index.read_text(encoding="utf-8")
    return set(re.findall(r'(?:src|href)="([^"#]+)"', text))


def test_page_has_every_section_and_edit_kind(demo):
    text = (demo / "index.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in text
    for spec in EDITS:
        assert f'<span class="badge kind">{spec.kind}</span>' in text
    assert text.count('class="bars"') >= 1 and "top-1" in text and "R@1" in text
    assert "http://" not in text and "https://" not in text          # opens from disk, no network


def test_page_links_every_asset_and_every_link_exists(demo):
    links = page_links(demo / "index.html")
    missing = [ln for ln in links if not (demo / ln).is_file()]
    assert not missing, missing
    files = {p.relative_to(demo).as_posix() for p in (demo / "assets").rglob("*") if p.is_file()}
    assert files and files <= links, sorted(files - links)
    kinds = {Path(f).suffix for f in files}
    assert {".gif", ".html", ".npy", ".bvh"} <= kinds
    assert not [p for p in demo.rglob(".*tmp*")]                      # no temporary leftovers


def test_exports_are_canonical_motions_and_report_is_complete(demo):
    report = json.loads((demo / "demo.json").read_text())
    assert report["status"] == "done" and report["settings"]["clips"] == 40
    stages = report["timings"]
    assert any(k.startswith("generate") for k in stages) and "render previews" in stages
    assert all(v >= 0 for v in stages.values())
    for f in (demo / "assets" / "generate").glob("*.npy"):
        x = np.load(f)
        assert x.ndim == 3 and x.shape[1:] == (22, 3) and x.dtype == np.float32 and np.isfinite(x).all()
    seq = np.load(next((demo / "assets" / "sequence").glob("*.npy")))
    assert len(seq) > 196                                        # longer than one generator segment
    (path,) = (demo / "assets" / "edit").glob("*_path.npy")     # the --trajectory file the page's command uses
    assert np.load(path).shape[1] == 2
    assert f"--trajectory assets/edit/{path.name}" in (demo / "index.html").read_text(encoding="utf-8")


def test_rerun_into_the_same_folder_replaces_it(ckpt, tmp_path, monkeypatch):
    from coamd.demo import assets

    def quick(items, folder, **kw):                  # the task stages run for real; skip the slow GIFs
        (folder / "rendered.txt").write_text("\n".join(s.stem for s in items))
        return 1

    monkeypatch.setattr(assets, "write_assets", quick)
    out = tmp_path / "again"
    settings = DemoSettings(out=out, clips=12, checkpoint=ckpt, show=2, gallery=1, progress=False)
    first = run_demo(settings).read_text(encoding="utf-8")
    (out / "assets" / "stale.gif").write_bytes(b"old")
    again = run_demo(settings).read_text(encoding="utf-8")
    assert first.count("<figure") == again.count("<figure") > 0
    assert not (out / "assets" / "stale.gif").exists() and (out / "assets" / "rendered.txt").is_file()


def test_interrupted_run_leaves_no_page(ckpt, tmp_path, monkeypatch):
    from coamd.demo import assets

    def boom(items, folder, **kw):
        (folder / "half.gif").write_bytes(b"GIF8")
        raise KeyboardInterrupt

    monkeypatch.setattr(assets, "write_assets", boom)
    out = tmp_path / "cut"
    out.mkdir()
    (out / "demo.json").write_text("{}")                  # an earlier demo's folder, with its page
    (out / "index.html").write_text("<html>old</html>")
    with pytest.raises(KeyboardInterrupt):
        run_demo(DemoSettings(out=out, clips=12, checkpoint=ckpt, show=2, gallery=1, progress=False))
    assert not (out / "index.html").exists() and not (out / "assets").exists()
    assert json.loads((out / "demo.json").read_text())["status"] == "running"


@pytest.mark.parametrize("argv, message", [
    (["--clips", "5"], "--clips 5: the demo needs at least 10 clips"),
    (["--train", "--checkpoint", "{ckpt}"], "--train makes its own weights"),
    (["--checkpoint", "{tmp}/nothing"], "nothing: no such checkpoint file or folder"),
    (["--ode-steps", "0"], "argument --ode-steps: must be from 1 to 10000, got 0"),
    (["--train", "--train-scale", "0"], "argument --train-scale: must be a finite number from 0.001 to 1000, got 0"),
])
def test_errors_are_one_line(argv, message, ckpt, tmp_path, capsys):
    argv = [a.replace("{ckpt}", ckpt).replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["demo", "--out", str(tmp_path / "o"), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("coamd demo: error:") and message in err[0], err


def test_without_weights_it_says_how_to_get_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COAMD_BUNDLE", str(tmp_path / "no_bundle"))
    assert main(["demo", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "run 'coamd demo --train'" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 2
    assert "is not a coamd demo output" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def _clip(i: int, frames: int, actions: list[str], speed: float = 0.0) -> CorpusClip:
    x = np.zeros((frames, 22, 3), np.float32)
    x[:, :, 1] = np.linspace(0.0, 1.7, 22)
    x[:, :, 2] += speed * np.arange(frames)[:, None] / 20.0
    return CorpusClip(f"{i:06d}", x, [f"clip {i}"], ["walk"], actions)


def test_edit_sources_prefer_varied_long_clips_and_a_walker():
    clips = [_clip(0, 50, ["wave"]), _clip(1, 120, ["jump"]), _clip(2, 150, ["jump"]), _clip(3, 100, ["walk"], 1.2),
             _clip(4, 300, ["run"])]
    picked = pick_sources(clips, 4, max_frames=196)
    assert [c.id for c in picked] == ["000002", "000003", "000001", "000000"]   # one per action first, too long out
    assert pick_walker(clips, 196).id == "000003"
    assert pick_walker([_clip(0, 80, ["wave"]), _clip(1, 80, ["jump"], 0.5)], 196).id == "000001"


def test_curved_path_keeps_the_distance_and_turns_left():
    src = _clip(0, 100, ["walk"], speed=1.0).joints
    path = curved_path(src, turn_deg=90.0)
    travelled = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
    assert travelled == pytest.approx(99 / 20.0, rel=1e-2)
    heading = path[-1] - path[-2]
    assert heading[0] > 0 and abs(heading[1]) < 0.02 * np.linalg.norm(heading)   # ends heading +X (left)
    assert keep_spec(8.0) == "0:1.50,6.50:" and keep_spec(2.0) == "0:0.50,1.50:"
