"""``coamd bench suite``: results.json + the Markdown report (every table number comes from the JSON, the
baseline comparison is computed), cached sections on re-runs, and the comparison wording."""

import copy
import json
import re

import pytest
import torch

from coamd.bench.methods import cleanup_function
from coamd.bench.realref import load_real_sets, real_reference
from coamd.bench.report import compare_to_baselines, comparison_sentences, render, summary
from coamd.bench.suite import suite_config
from coamd.cli import main
from coamd.errors import CoamdError
from coamd.skeleton import SMPL22
from test_bench_physics import write_real_fixture
from test_eval_support import build_world, numeric_leaves

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = ["limit=32", "compositional_limit=32", "guidance_limit=32", "sweep_limit=32", "edit_limit=32", "repeats=2",
        "sweep=[euler:1,euler:2,heun:1]", "edit_tasks=[inpaint,prefix]", "recon_repeats=1", "retrieval_repeats=2",
        "edit_mm_captions=4", "edit_mm_samples=3"]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:           # text-embedding caches go to a temporary folder
        mp.setenv("COAMD_CACHE", str(tmp_path_factory.getbasetemp() / "text_cache"))
        yield build_world(tmp_path_factory.getbasetemp() / "bench_world")


def bench(argv: list[str]) -> int:
    """``coamd bench suite ARGV``."""
    return main(["bench", "suite", *argv])


@pytest.fixture(scope="module")
def suite_run(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("suite")
    argv = ["--suite", "quick", "-o", str(out / "results"), "--data", world["corpus"], "--checkpoint",
            world["bundle"], "--evaluator", world["evaluator"], "--report", str(out / "docs" / "results.md"),
            "--realdata", str(out / "no-real-data"), "--no-progress", "--set", *TINY]
    assert bench(argv) == 0
    return {"out": out, "argv": argv, "results": json.loads((out / "results" / "results.json").read_text()),
            "report": (out / "docs" / "results.md").read_text()}


def table_numbers(markdown: str) -> list[str]:
    """Number tokens of every table body cell except the first (label) column."""
    found, in_table = [], False
    for line in markdown.splitlines():
        is_row = line.startswith("|")
        header, in_table = is_row and not in_table, is_row
        if not is_row or header or set(line) <= set("|-"):
            continue
        for cell in line.strip("|").split("|")[1:]:
            found += NUMBER.findall(cell)
    return found


def test_report_numbers_all_come_from_results_json(suite_run):
    assert_numbers_from(suite_run["results"], suite_run["report"])


def assert_numbers_from(results: dict, report: str) -> None:
    leaves = numeric_leaves(results)
    tokens = table_numbers(report)
    assert len(tokens) > 200
    missing = []
    for tok in tokens:
        decimals = len(tok.split(".")[1]) if "." in tok else 0
        tol = 0.5 * 10 ** -decimals + 1e-9
        if not any(abs(v - float(tok)) <= tol for v in leaves):
            missing.append(tok)
    assert not missing, f"numbers in the report but not in results.json: {missing[:10]}"


def test_results_cover_every_section_and_the_report_says_what_it_is(suite_run):
    res, report = suite_run["results"], suite_run["report"]
    sec = res["sections"]
    gen = sec["generation/test"]["rows"]
    cleaned = cleanup_function()[0] is not None                       # coamd.tasks.cleanup: raw + cleaned rows
    ours = ["generator_raw", "generator"] if cleaned else ["generator"]
    assert list(gen) == ["ground_truth", *ours, "nearest_neighbour", "unconditional"]
    assert gen["generator"]["fid"]["n"] == 2
    for key in ("contact_sliding", "bone_variation", "foot_skating", "floor_penetration", "jitter"):
        assert all(key in row for row in gen.values()), key
    if cleaned:
        assert gen["generator"]["bone_variation"]["mean"] < 0.1                                 # mm
        assert gen["generator"]["seconds_per_motion"]["mean"] > gen["generator"]["cleanup_seconds_per_motion"]["mean"]
        assert "Generator (cleaned)" in report and "Generator (raw)" in report
        assert any(s.startswith("The generator rows compared with the baselines are the cleaned output") for s in res["summary"]["sentences"])
    assert "no-real-data" in sec["reference/real"]["skipped"]                # the real row says why it is missing
    assert "## Real captured motion (physics reference)\n\nSkipped: --realdata" in report
    # under the standard generation table, the λ and sampler sweeps and the edit table (compositional: skipped)
    assert report.count("Real captured reference row: skipped (--realdata") == 4
    assert "skipped" in sec["generation/test_compositional"]            # 17 samples < one pool of 32
    # the λ sweep before (upstream's reward weights) and after (the aligned fused embedding only)
    assert list(sec["guidance"]["rows"]) == ["ground_truth", "λ=0", "λ=1/all", "λ=1/fused", "λ=2/all", "λ=2/fused"]
    variants = sec["guidance"]["settings"]["variants"]
    assert variants["λ=2/all"]["guidance_reward"] == "all" and variants["λ=2/fused"]["guidance_reward"] == "fused"
    assert "Reward weighting (the part after the slash)" in report
    assert list(sec["samplers"]["rows"]) == ["ground_truth", "euler:1", "euler:2", "heun:1"]
    # editing: the official protocol (whole AE decode, with MultiModality) and the copy-back rows
    edit = sec["edit"]["rows"]
    assert list(edit) == ["ground_truth", "inpaint", "inpaint/copy_back", "prefix", "prefix/copy_back"]
    for task in ("inpaint", "prefix"):
        assert edit[f"{task}/copy_back"]["kept_error_mm"]["mean"] < 10                 # kept frames copied back
        assert edit[task]["kept_error_mm"]["mean"] > edit[f"{task}/copy_back"]["kept_error_mm"]["mean"]
        assert "multimodality" in edit[task] and "multimodality" not in edit[f"{task}/copy_back"]
    assert sec["edit"]["settings"]["mm"] == [4, 3]
    assert "| inpaint (official: AE decode) |" in report and "| inpaint (copy-back) |" in report
    for name in ("generation/test", "guidance", "samplers", "edit", "reconstruction"):     # the tie rule is stated
        assert sec[name]["settings"]["r_precision_ties"] == "index", name
    assert "R-precision ties: the official rule (argsort order" in report
    assert sec["reconstruction"]["rows"]["reconstruction"]["mpjpe_mm"]["mean"] > 0
    assert set(sec["retrieval"]["rows"]) == {"full/t2m", "full/m2t", "batch32/t2m", "batch32/m2t"}
    assert "zero_shot" in sec["recognition/corpus"]["rows"]
    assert "no-real-data" in sec["recognition/hdm05"]["skipped"]
    meta = res["meta"]
    assert meta["machine"]["cpus"] >= 1 and meta["machine"]["torch"] == torch.__version__
    assert meta["git_commit"] and meta["date"] and meta["command"].startswith("coamd bench suite --suite quick")
    for text in ("HumanML3D", "MiniLM", "text_mot_match_absolute", "cpu-small", "Wall time per section",
                 "## Text-motion retrieval", "## Action recognition", "Machine: "):
        assert text in report, text
    # the comparison sentence, computed from the numbers
    items = compare_to_baselines(gen)
    sentences = res["summary"]["sentences"]
    assert sentences[: len(comparison_sentences(items))] == comparison_sentences(items)
    overlap = res["diagnostics"]["caption_overlap"]                   # test captions also in training
    assert 0 < overlap["test_captions"] and 0 <= overlap["seen_in_train"] <= overlap["test_captions"]
    assert 0 <= overlap["same_actions"] <= overlap["test_clips"]
    lost_to_nn = any(i["baseline"] == "nearest_neighbour" and not i["generator_wins"] for i in items)
    why = [s for s in sentences if s.startswith("Why the nearest-neighbour baseline")]
    assert len(why) == int(lost_to_nn)
    if why:
        assert f"of the {int(overlap['test_captions'])} test captions, {int(overlap['seen_in_train'])} (" in why[0]
    assert "Overall, on the standard test split the generator" in report
    for s in res["summary"]["sentences"]:
        assert s in report
    plots = suite_run["out"] / "docs" / "results"
    assert (plots / "samplers.png").read_bytes()[:4] == b"\x89PNG" and (plots / "guidance.png").is_file()


def test_report_shows_the_real_captured_row_and_the_ratios(suite_run, tmp_path):
    """With real clips (two tiny BVH files here): the reference section, the row in the generation and edit
    tables (FID/R-precision '–'), the generated ÷ real table under them and the summary sentence."""
    root = write_real_fixture(tmp_path / "realdata")
    sets, _ = load_real_sets(root, None)
    results = copy.deepcopy(suite_run["results"])
    results["sections"]["reference/real"] = {"settings": {"realdata": str(root)}, "cached": False,
                                             "rows": real_reference(sets, SMPL22, 20.0, samples=100)}
    results["summary"] = summary(json.loads(json.dumps(results)))
    results = json.loads(json.dumps(results))                          # as read back from results.json
    report = render(results)
    label = "Real captured (Bandai-Namco, 2 clips)"
    chapters = {c.split("\n", 1)[0]: c for c in report.split("\n## ")}
    assert "2 Bandai-Namco clips (`bandai_namco/**/*.bvh`)" in chapters["Real captured motion (physics reference)"]
    for title in ("Text-to-motion generation: standard test split", "Temporal editing (standard test split)",
                  "Flow-head sampler and steps (standard test split)"):
        text = chapters[title]
        assert f"| {label} | – | – |" in text, title                       # no FID / R-precision
        assert "Physics ÷ the real captured" in text and "× real" in text, title
        assert "mm vs 0.000 mm" in text, title                              # bone variation: real is 0
    ratios = results["summary"]["physics_vs_real"]["generation/test"]
    assert set(ratios) == set(results["sections"]["generation/test"]["rows"])
    assert ratios["generator"]["bone_variation"]["ratio"] is None
    slide = ratios["generator"]["contact_sliding"]
    assert slide["ratio"] == pytest.approx(slide["value"] / slide["real"])
    physics = [s for s in results["summary"]["sentences"] if s.startswith(f"Against {label[0].lower()}{label[1:]}")]
    assert len(physics) == 1 and "contact sliding" in physics[0] and "× real" in physics[0]
    assert physics[0] in report
    assert_numbers_from(results, report)


def test_rerun_reuses_cached_sections_unless_forced_or_changed(suite_run, capsys):
    capsys.readouterr()
    assert suite_run["argv"][0] == "--suite"
    assert main(["bench", *suite_run["argv"]]) == 0                       # `coamd bench --suite quick ...` = bench suite
    res = json.loads((suite_run["out"] / "results" / "results.json").read_text())
    done = {k: v for k, v in res["sections"].items() if "rows" in v}
    assert done and all(v["cached"] for v in done.values())
    assert done["generation/test"]["rows"] == suite_run["results"]["sections"]["generation/test"]["rows"]
    # a changed setting reruns only the sections it affects
    argv = suite_run["argv"] + ["retrieval_repeats=1"]
    assert bench(argv) == 0
    res = json.loads((suite_run["out"] / "results" / "results.json").read_text())
    assert res["sections"]["retrieval"]["cached"] is False and res["sections"]["edit"]["cached"] is True
    assert res["sections"]["retrieval"]["rows"]["full/t2m"]["R@1"]["n"] == 1
    # sections=[...] runs (here: reuses) only the named sections; a prefix names a group
    assert bench(argv + ["sections=[retrieval,recognition]"]) == 0
    res = json.loads((suite_run["out"] / "results" / "results.json").read_text())
    assert list(res["sections"]) == ["retrieval", "recognition/corpus", "recognition/hdm05", "recognition/bandai",
                                     "retrieval/hdm05", "retrieval/bandai"]
    assert res["sections"]["retrieval"]["cached"] is True


def _row(fid, top1, ci=0.01):
    return {"fid": {"mean": fid, "ci95": ci, "n": 3}, "r_precision_top1": {"mean": top1, "ci95": ci, "n": 3}}


def test_comparison_sentences_follow_the_numbers():
    rows = {"generator": _row(0.5, 0.40), "nearest_neighbour": _row(2.0, 0.30), "unconditional": _row(5.0, 0.05)}
    items = compare_to_baselines(rows)
    assert len(items) == 4 and all(i["generator_wins"] and not i["intervals_overlap"] for i in items)
    assert comparison_sentences(items)[-1].startswith("Overall, on the standard test split the generator beats both")
    rows["nearest_neighbour"] = _row(0.45, 0.41, ci=0.2)
    items = compare_to_baselines(rows)
    lost = [i for i in items if not i["generator_wins"]]
    assert {(i["baseline"], i["metric"]) for i in lost} == {("nearest_neighbour", "fid"),
                                                            ("nearest_neighbour", "r_precision_top1")}
    assert all(i["intervals_overlap"] for i in lost)
    text = " ".join(comparison_sentences(items))
    assert "does not beat it on FID (0.500 vs 0.450" in text and "not conclusive" in text
    assert "loses on FID vs the nearest-neighbour baseline" in text
    worse = {"generator": _row(9.0, 0.01), "nearest_neighbour": _row(1.0, 0.3), "unconditional": _row(2.0, 0.2)}
    assert "beats neither" in comparison_sentences(compare_to_baselines(worse))[-1]


def test_suite_settings_are_strict():
    cfg = suite_config("full")
    assert cfg.repeats == 20 and cfg.limit == 0 and "dopri5" in cfg.sweep and cfg.mm
    assert (cfg.edit_mm_captions, cfg.edit_mm_samples) == (96, 30)                # official MultiModality 3 x 32 x 30
    quick = suite_config("quick")
    assert quick.guidance_lambdas == [0.0, 1.0, 2.0] and quick.guidance_limit == 64 and quick.guidance_repeats == 1
    assert quick.r_precision_ties == "index" and quick.guidance_rewards == ["all", "fused"]
    for bad, match in (({"guidance_rewards": ["stream"]}, "guidance_rewards"), ({"r_precision_ties": "min"}, "ties"),
                       ({"sections": ["guidence"]}, "sections"), ({"edit_mm_samples": 1}, "edit_mm")):
        with pytest.raises(CoamdError, match=match):
            suite_config("quick", bad)
    assert suite_config("quick", {"repeats": 5}).repeats == 5
    with pytest.raises(CoamdError, match="repet"):
        suite_config("quick", {"repetitions": 5})
    with pytest.raises(CoamdError, match="sweep"):
        suite_config("quick", {"sweep": ["rk4:3"]})
    with pytest.raises(CoamdError, match="--suite"):
        suite_config("medium")


def test_cli_errors_are_one_line(world, tmp_path, capsys):
    code = bench(["-o", str(tmp_path / "r"), "--data", world["corpus"], "--checkpoint", world["bundle"],
                  "--evaluator", str(tmp_path / "missing"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--evaluator" in err[0] and "error:" in err[0]
    code = bench(["-o", str(tmp_path / "r"), "--data", world["corpus"], "--checkpoint", world["bundle"],
                  "--evaluator", world["evaluator"], "--set", "nonsense=1", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "nonsense" in err[0]
