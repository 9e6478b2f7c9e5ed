"""``coamd eval``: every protocol's JSON (metrics with mean/ci95/n), the ground-truth row, the baselines,
saved samples, editing, retrieval, recognition and reconstruction, and one-line CLI errors."""

import json

import numpy as np
import pytest

from coamd.bench.evalset import EvalSet
from coamd.bench.methods import GeneratorMethod, NearestNeighbour, cleanup_function, copy_back
from coamd.cli import main
from coamd.errors import CoamdError
from coamd.tasks import load_bundle, sampling_settings
from coamd.tasks.edit import edit, edit_batch
from test_bench_physics import write_real_fixture
from test_eval_support import build_world

pytestmark = pytest.mark.usefixtures("one_torch_thread")

GEN_METRICS = {"fid", "r_precision_top1", "r_precision_top2", "r_precision_top3", "matching_distance", "diversity",
               "clip_score", "foot_skating", "contact_sliding", "floor_penetration", "jitter", "bone_variation"}
CLEANED = cleanup_function()[0] is not None         # coamd.tasks.cleanup exists: cleaned rows beside the raw ones
OURS = ["generator_raw", "generator"] if CLEANED else ["generator"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:           # text-embedding caches go to a temporary folder
        mp.setenv("COAMD_CACHE", str(tmp_path_factory.getbasetemp() / "text_cache"))
        yield build_world(tmp_path_factory.getbasetemp() / "bench_world")


def run_json(capsys, *argv) -> dict:
    assert main(["eval", *argv, "--json", "--no-progress"]) == 0
    return json.loads(capsys.readouterr().out)


def common(world, evaluator=True):
    out = ["--checkpoint", world["bundle"], "--data", world["corpus"]]
    return out + (["--evaluator", world["evaluator"]] if evaluator else [])


def made(world):
    """``common`` for generation/edit without the real captured reference row (tested on its own below)."""
    return common(world) + ["--no-realdata"]


def test_generation_json_has_every_metric_with_ci_gt_row_and_baselines(world, capsys, tmp_path):
    out_file = tmp_path / "gen.json"
    res = run_json(capsys, "generation", *made(world), "--repeats", "2", "--baselines", "--out", str(out_file))
    rows = res["rows"]
    assert list(rows) == ["ground_truth", *OURS, "nearest_neighbour", "unconditional"]
    assert res["settings"]["cleanup"]["applied"] == CLEANED
    assert res["real_reference"] == {"skipped": "--no-realdata"}
    for name, row in rows.items():
        assert GEN_METRICS <= set(row), name
        for stat in row.values():
            assert set(stat) == {"mean", "ci95", "n"} and stat["n"] == 2 and stat["ci95"] >= 0
    assert "seconds_per_motion" in rows["generator"] and "seconds_per_motion" not in rows["ground_truth"]
    # real vs re-cropped real: FID is the noise floor, far below any generated set's
    assert rows["ground_truth"]["fid"]["mean"] < 0.05 * rows["generator"]["fid"]["mean"]
    s = res["settings"]
    assert s["repeats"] == 2 and s["evalset"]["per_draw"] == 32 and s["sampling"]["sampler"] == "euler"
    assert json.loads(out_file.read_text()) == res                       # --out writes the same JSON


def test_generation_is_reproducible_and_flags_reach_the_sampler(world, capsys):
    argv = ["generation", *made(world), "--repeats", "1", "--ode-steps", "1", "--guidance", "0.5",
            "--mm", "--mm-captions", "4", "--mm-samples", "3"]
    a, b = run_json(capsys, *argv), run_json(capsys, *argv)
    assert a["rows"]["generator"]["fid"] == b["rows"]["generator"]["fid"]
    assert a["settings"]["sampling"]["ode_steps"] == 1 and a["settings"]["sampling"]["guidance"] == 0.5
    assert a["rows"]["generator"]["multimodality"]["mean"] > 0 and "multimodality" not in a["rows"]["ground_truth"]


def test_nearest_neighbour_returns_the_training_motion_of_the_caption(world):
    bundle = load_bundle(world["bundle"])
    train = EvalSet(world["corpus"], "train").index
    nn = NearestNeighbour(bundle, train)
    sample = train[5]
    out = nn.generate([sample.captions[0].text], [40], seed=0)[0]
    assert out.shape == (40, 22, 3)
    np.testing.assert_array_equal(out, train.motion(5)[:40])             # cropped to the requested length
    longer = nn.generate([sample.captions[0].text], [sample.length + 8], seed=0)[0]
    np.testing.assert_array_equal(longer[-9:], np.repeat(train.motion(5)[-1:], 9, axis=0))   # last pose held


def test_unconditional_ignores_the_text_and_generator_uses_gt_lengths(world):
    bundle = load_bundle(world["bundle"])
    s = sampling_settings(bundle)
    unc = GeneratorMethod(bundle, s, unconditional=True)
    a = unc.generate(["a person walks", "a person jumps"], [40, 48], seed=3)
    b = unc.generate(["someone waves", "a dance"], [40, 48], seed=3)
    assert [len(m) for m in a] == [40, 48]
    np.testing.assert_array_equal(a[0], b[0])
    gen = GeneratorMethod(bundle, s).generate(["a person walks", "a person jumps"], [40, 48], seed=3)
    assert not np.array_equal(gen[0], a[0])


def test_saved_samples_of_real_motion_beat_noise(world, capsys, tmp_path):
    draw = EvalSet(world["corpus"], "test").draw(7)
    T = int(draw.lengths.max())
    real = np.zeros((len(draw), T, 22, 3), np.float32)
    for i, m in enumerate(draw.joints):
        real[i, : len(m)] = m
    noise = real + np.random.default_rng(0).normal(0, 0.3, real.shape).astype(np.float32)
    fids = []
    for name, motions in (("real", real), ("noise", noise)):
        path = tmp_path / f"{name}.npz"
        np.savez(path, motions=motions, lengths=draw.lengths, texts=np.array(draw.captions))
        res = run_json(capsys, "generation", *made(world), "--repeats", "2", "--samples", str(path))
        assert list(res["rows"]) == ["ground_truth", "samples"]
        fids.append(res["rows"]["samples"]["fid"]["mean"])
    assert fids[0] < fids[1]


def test_edit_keeps_the_unedited_frames_and_reports_each_task(world, capsys):
    bundle = load_bundle(world["bundle"])
    draw = EvalSet(world["corpus"], "test").draw(0)
    src = [m[:48] for m in draw.joints[:3]]
    out, _ = edit_batch(bundle, draw.captions[:3], src, "prefix", seed=0, sampling=sampling_settings(bundle))
    for o, s in zip(out, src):
        assert o.shape == s.shape
        np.testing.assert_array_equal(o[:24], s[:24])                    # prefix keeps the first half
        assert not np.allclose(o[30:], s[30:])
    res = run_json(capsys, "edit", *made(world), "--repeats", "1", "--task", "inpaint,suffix", "--mm",
                   "--mm-captions", "3", "--mm-samples", "2")
    edits = [n for t in ("inpaint", "suffix") for n in (t, f"{t}/copy_back")]
    assert list(res["rows"]) == ["ground_truth", *edits]
    assert GEN_METRICS <= set(res["rows"]["inpaint"]) and res["settings"]["r_precision_ties"] == "index"
    for task in ("inpaint", "suffix"):
        official, copied = res["rows"][task], res["rows"][f"{task}/copy_back"]
        assert copied["kept_error_mm"]["mean"] < 10                      # kept frames stay at the source
        assert official["kept_error_mm"]["mean"] > copied["kept_error_mm"]["mean"]   # the AE decode, not copied
        assert "multimodality" in official and "multimodality" not in copied
    raw = run_json(capsys, "edit", *made(world), "--repeats", "1", "--task", "inpaint", "--raw")
    assert list(raw["rows"]) == ["ground_truth", "inpaint", "inpaint/copy_back"]
    assert raw["settings"]["cleanup"]["applied"] is False


def test_official_edit_protocol_scores_the_decode_without_copying_kept_frames(world):
    """Issue 16: upstream's edit evaluation scores the AE decode of the edited latents; the copy-back output
    (what `coamd edit` hands out) is the same edit with the kept frames replaced by the source's."""
    bundle = load_bundle(world["bundle"])
    draw = EvalSet(world["corpus"], "test").draw(0)
    src = [m[:48] for m in draw.joints[:3]]
    sampling = sampling_settings(bundle)
    decoded, keeps = edit_batch(bundle, draw.captions[:3], src, "inpaint", seed=0, sampling=sampling, copy_back=False)
    copied = copy_back(decoded, src, keeps)
    direct, _ = edit_batch(bundle, draw.captions[:3], src, "inpaint", seed=0, sampling=sampling)
    for d, c, e, s, k in zip(decoded, copied, direct, src, keeps):
        assert k.sum() == 24 and k[:12].all() and k[-12:].all()           # inpaint keeps the first and last 25 %
        np.testing.assert_array_equal(c[k], s[k])                        # copy-back: exactly the source
        np.testing.assert_array_equal(c, e)                              # = edit_batch, one generation for both rows
        assert np.abs(d[k] - s[k]).max() > 1e-3                          # official: the decode, kept frames not copied
        far = ~np.convolve(k, np.ones(9), mode="same").astype(bool)      # beyond the 4-frame fade of every seam
        np.testing.assert_array_equal(d[far], c[far])                    # the edited frames are the same


def test_batch_edit_is_the_single_edit_with_its_token_rounding(world):
    """Issue 15.6: the benchmark's edits are coamd.tasks.edit.edit_batch; one source gives exactly what
    ``edit`` (no cleanup) gives, also for a length that is not a multiple of 4 (ceil tokens, last frame held)."""
    bundle = load_bundle(world["bundle"])
    draw = EvalSet(world["corpus"], "test").draw(0)
    sampling = sampling_settings(bundle)
    for frames in (48, 46):
        src = draw.joints[0][:frames]
        one = edit(bundle, src, draw.captions[0], task="prefix", seed=5, sampling=sampling, cleanup=False)
        (motion,), (keep,) = edit_batch(bundle, [draw.captions[0]], [src], "prefix", seed=5, sampling=sampling)
        assert motion.shape == src.shape and len(one.edit_mask) == 12
        np.testing.assert_array_equal(motion, one.motion)
        np.testing.assert_array_equal(keep, one.kept_frames)
    with pytest.raises(CoamdError, match="2 texts for 1 source"):
        edit_batch(bundle, draw.captions[:2], [src], "prefix", sampling=sampling)


def test_generation_and_edit_show_the_real_captured_row_and_ratios(world, capsys, tmp_path):
    root = write_real_fixture(tmp_path / "realdata")
    res = run_json(capsys, "generation", *common(world), "--repeats", "1", "--realdata", str(root))
    real = res["real_reference"]
    assert real["realdata"] == str(root) and list(real["rows"]) == ["real_captured", "bandai"]
    assert real["rows"]["real_captured"]["contact_sliding"]["mean"] == pytest.approx((0.9 + 0.45) / 2, abs=1e-3)
    ratios = res["physics_vs_real"]["generator"]
    assert ratios["bone_variation"]["ratio"] is None and ratios["contact_sliding"]["ratio"] > 0
    assert main(["eval", "edit", *common(world), "--repeats", "1", "--task", "prefix", "--realdata", str(root),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "| Real captured (Bandai-Namco, 2 clips) | – |" in out
    assert "prefix (official: AE decode) vs real captured: " in out and "prefix (copy-back) vs real captured: " in out
    assert "× real" in out and "mm vs 0.000 mm" in out
    missing = run_json(capsys, "generation", *common(world), "--repeats", "1", "--realdata", str(tmp_path / "none"))
    assert "no such folder" in missing["real_reference"]["skipped"] and "physics_vs_real" not in missing


def test_retrieval_both_directions_and_protocols(world, capsys):
    res = run_json(capsys, "retrieval", "--checkpoint", world["bundle"], "--data", world["corpus"], "--repeats", "2")
    assert set(res["rows"]) == {"full/t2m", "full/m2t", "batch32/t2m", "batch32/m2t"}
    for row in res["rows"].values():
        r = [row[f"R@{k}"]["mean"] for k in (1, 2, 3, 5, 10)]
        assert all(0 <= x <= 1 for x in r) and r == sorted(r) and row["MedR"]["mean"] >= 1
        assert row["R@1"]["n"] == 2
    one = run_json(capsys, "retrieval", "--checkpoint", world["bundle"], "--data", world["corpus"],
                   "--repeats", "1", "--protocol", "full")
    assert set(one["rows"]) == {"full/t2m", "full/m2t"}


def test_recognition_on_the_corpus_is_any_label_zero_shot(world, capsys):
    res = run_json(capsys, "recognition", "--checkpoint", world["bundle"], "--data", world["corpus"])
    row = res["rows"]["zero_shot"]
    assert 0 <= row["top1"]["mean"] <= row["top5"]["mean"] <= 1
    index = EvalSet(world["corpus"], "test").index
    assert row["clips"]["mean"] == sum(1 for s in index.samples if s.labels)
    assert row["labels"]["mean"] == len(index.label_names)


@pytest.mark.slow          # converting the 288 HDM05 clips takes 10-30 s on 2 busy cores
@pytest.mark.realdata
def test_recognition_on_hdm05_zero_shot_and_fine_tuned(world, capsys, realdata, tmp_path):
    res = run_json(capsys, "recognition", "--checkpoint", world["bundle"], "--data",
                   f"hdm05:{realdata / 'hdm05'}", "--cache", str(tmp_path / "cache"), "--finetune-steps", "4",
                   "--finetune-dir", str(tmp_path / "ft"))
    assert set(res["rows"]) == {"zero_shot", "supervised"} and res["settings"]["protocol"] == "actors"
    for row in res["rows"].values():
        assert row["clips"]["mean"] == 99 and row["labels"]["mean"] == 11     # actors mm/tr, 11 classes
        assert 0 <= row["top1"]["mean"] <= row["top5"]["mean"] <= 1
    assert (tmp_path / "ft" / "checkpoints" / "best.pt").is_file()


def test_reconstruction_reports_mpjpe_in_millimetres(world, capsys):
    res = run_json(capsys, "reconstruction", *common(world), "--repeats", "2", "--limit", "40")
    rec = res["rows"]["reconstruction"]
    assert rec["mpjpe_mm"]["n"] == 2 and rec["mpjpe_mm"]["mean"] > 0 and rec["mpjpe_root_aligned_mm"]["mean"] > 0
    assert {"fid", "r_precision_top1"} <= set(rec) and res["settings"]["evalset"]["used"] == 40


@pytest.mark.parametrize("argv, message", [
    (["generation", "--data", "/nonexistent/corpus"], "/nonexistent/corpus"),
    (["generation", "--repeats", "0"], "--repeats"),
    (["generation", "--samples", "/nonexistent.npz"], "--samples"),
    (["edit", "--task", "sideways"], "--task"),
    (["generation", "--evaluator", "/nonexistent/ev"], "--evaluator"),
    (["generation", "--sampler", "rk9"], "--sampler"),
    (["retrieval", "--split", "nosuchsplit"], "nosuchsplit"),
])
def test_errors_are_one_line(world, capsys, argv, message):
    base = ["--checkpoint", world["bundle"], "--no-progress"]
    if "--data" not in argv:
        base += ["--data", world["corpus"]]
    if "--evaluator" not in argv and argv[0] != "retrieval":
        base += ["--evaluator", world["evaluator"]]
    assert main(["eval", *argv, *base]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("coamd eval: error:") and message in err[0]


def test_fine_tuning_reuses_a_run_only_for_the_same_base_mar(tmp_path):
    """A cached fine-tune made from another MAR (e.g. before the bundled weights changed) is not reused."""
    from coamd.bench.recognition import finetune_mar
    from coamd.data import load_ntu, resolve_data
    from coamd.tasks import make_random_bundle
    from test_data_ntu import kinect_pose, skeleton_text

    rng = np.random.default_rng(0)
    root = tmp_path / "ntu"
    root.mkdir()
    for p in (1, 2, 4, 5):                                   # xsub training subjects
        for a in (1, 2, 3):
            pose = kinect_pose(rng, 30) + (0.02 * a, 0, 0)
            (root / f"S001C001P{p:03d}R001A{a:03d}.skeleton").write_text(skeleton_text([[f] for f in pose]))
    clips = load_ntu(root, cache=None)
    source = resolve_data(f"ntu60:{root}")
    bundles = [load_bundle(make_random_bundle(tmp_path / f"b{s}", seed=s)) for s in (0, 1)]
    run = tmp_path / "ft"

    def tune(bundle):
        finetune_mar(bundle, clips, source, "xsub", run, steps=2, batch_size=4)
        return (run / "checkpoints" / "best.pt").stat().st_mtime_ns, json.loads((run / "finetune.json").read_text())

    first, stamp = tune(bundles[0])
    assert stamp["base_mar"] == bundles[0].part_id("mar") and stamp["steps"] == 2
    assert tune(bundles[0])[0] == first                      # same base and recipe: reused
    again, stamp = tune(bundles[1])                          # another base MAR: trained again
    assert again != first and stamp["base_mar"] == bundles[1].part_id("mar")
