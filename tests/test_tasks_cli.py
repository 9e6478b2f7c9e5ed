"""The task verbs end to end on a tiny random bundle: outputs, JSON, one-line errors, help examples."""

import json
import shlex

import numpy as np
import pytest

from coamd.cli import build_parser, main
from coamd.io import load_motion
from coamd.tasks import make_random_bundle

pytestmark = pytest.mark.usefixtures("one_torch_thread")

VERBS = ("generate", "edit", "recognize", "retrieve", "index")


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return str(make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny",
                                  defaults={"sampler": "euler", "ode_steps": 2, "steps": 4}))  # former name


@pytest.fixture
def clip(tmp_path):
    t = np.arange(60) / 20.0
    x = np.zeros((60, 22, 3), np.float32)
    x[..., 1] = np.linspace(0.0, 1.7, 22)[None]
    x[..., 0] = np.linspace(-0.2, 0.2, 22)[None]
    x[..., 2] += 0.5 * t[:, None]
    path = tmp_path / "clip.npy"
    np.save(path, x)
    return path


def one_line_error(capsys, verb: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [ln for ln in err if ln.startswith(f"coamd {verb}: error:")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    return errors[0]


def test_generate_writes_samples(ckpt, tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["generate", "a person walks", "a person jumps", "--length", "2,3", "--num-samples", "2",
                 "--checkpoint", ckpt, "--format", "npy", "-o", str(out), "--seed", "4"]) == 0
    assert "4 motion(s)" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert names == ["000_a_person_walks.npy", "001_a_person_walks.npy", "002_a_person_jumps.npy",
                     "003_a_person_jumps.npy", "samples.npz"]
    with np.load(out / "samples.npz") as z:
        assert list(z["lengths"]) == [40, 40, 60, 60] and list(z["seeds"]) == [4, 5, 6, 7]
        np.testing.assert_array_equal(z["motions"][2, :60], np.load(out / "002_a_person_jumps.npy"))
        assert bool(z["cleanup"])                                     # cleaned by default
        cleaned = z["motions"][2, :60]
    assert main(["generate", "a person walks", "a person jumps", "--length", "2,3", "--num-samples", "2", "--raw",
                 "--checkpoint", ckpt, "--format", "npy", "-o", str(tmp_path / "raw"), "--seed", "4"]) == 0
    assert "raw network output" in capsys.readouterr().out
    with np.load(tmp_path / "raw" / "samples.npz") as z:
        assert not bool(z["cleanup"]) and not np.allclose(z["motions"][2, :60], cleaned)
    prompts = tmp_path / "p.txt"
    prompts.write_text("walk forward#2\nsit down#auto\n")
    assert main(["generate", "--prompts", str(prompts), "--sequence", "--checkpoint", ckpt, "--format", "npy,html",
                 "-o", str(tmp_path / "seq")]) == 0
    with np.load(tmp_path / "seq" / "samples.npz") as z:
        assert list(z["texts"]) == ["walk forward; sit down"] and z["segments"][0, 0] == 0
    assert (tmp_path / "seq" / "000_walk_forward_sit_down.html").is_file()


@pytest.mark.parametrize("argv, message", [
    (["generate", "", "-o", "{out}"], "text 1 is empty"),
    (["generate", "walk", "--length", "0.2", "-o", "{out}"], "outside 1-60 s"),
    (["generate", "walk", "--length", "2,3", "-o", "{out}"], "2 values for 1 texts"),
    (["generate", "--prompts", "{tmp}/none.txt", "-o", "{out}"], "none.txt: no such file"),
    (["generate", "walk", "--format", "npy,avi", "-o", "{out}"], "'avi' is not one of"),
    (["edit", "{tmp}/missing.npy", "--text", "jump", "--task", "prefix", "-o", "{out}"], "missing.npy: file not found"),
    (["edit", "{clip}", "--text", "jump", "--keep", "2-3", "-o", "{out}"], "--keep: '2-3' is not a START:END"),
    (["edit", "{clip}", "--text", "jump", "--joints", "upper,tail", "-o", "{out}"], "unknown joint or body part 'tail'"),
    (["edit", "{clip}", "--text", "jump", "-o", "{out}"], "nothing to edit"),
    (["recognize", "{tmp}/missing.bvh"], "missing.bvh: file not found"),
    (["retrieve", "--text", "jump", "--gallery", "{tmp}/nowhere"], "nowhere: no such file or folder"),
])
def test_errors_are_one_line_and_leave_no_output(argv, message, ckpt, clip, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [a.format(out=out, tmp=tmp_path, clip=clip) for a in argv] + ["--checkpoint", ckpt]
    assert main(argv) == 2
    assert message in one_line_error(capsys, argv[0])
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_existing_output_is_refused_before_any_work(ckpt, tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["generate", "walk", "-o", str(out), "--checkpoint", ckpt]) == 2
    assert "--overwrite" in one_line_error(capsys, "generate")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert main(["generate", "walk", "--length", "1", "-o", str(out), "--checkpoint", ckpt, "--format", "npy",
                 "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["000_walk.npy", "samples.npz"]


def test_edit_writes_the_result_compare_and_report(ckpt, clip, tmp_path, capsys):
    out = tmp_path / "ed"
    assert main(["edit", str(clip), "--text", "a person jumps", "--task", "prefix", "--joints", "head",
                 "--checkpoint", ckpt, "--format", "npy,html", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["compare.html", "edited.html", "edited.npy", "report.json"]
    report = json.loads((out / "report.json").read_text())
    assert report["kept_frames_error_cm"] == 0.0 and report["joint_drift_cm"] < 3.0
    edited = np.load(out / "edited.npy")
    src = load_motion(clip).joints                      # the verb edits the canonicalised source
    assert edited.shape == (60, 22, 3) and np.allclose(edited[:28], src[:28], atol=1e-5)   # first 7 tokens kept


def test_recognize_index_and_retrieve(ckpt, clip, tmp_path, capsys):
    assert main(["recognize", str(clip), "--labels", "walk,run,jump", "--json", "--top-k", "2",
                 "--checkpoint", ckpt]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["file"] == str(clip) and [set(p) for p in row["predictions"]] == [{"label", "score", "prob"}] * 2
    assert {p["label"] for p in row["predictions"]} <= {"walk", "run", "jump"}
    assert main(["recognize", str(clip), "--checkpoint", ckpt]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == str(clip) and len(table) == 6 and table[1].strip().startswith("1.")
    gallery = tmp_path / "g.idx"
    assert main(["index", "build", str(tmp_path), "-o", str(gallery), "--checkpoint", ckpt]) == 0
    assert main(["index", "info", str(gallery)]) == 0
    assert "1 motion(s)" in capsys.readouterr().out
    assert main(["retrieve", "--text", "walk", "--text", "jump", "--gallery", str(gallery), "--json",
                 "--checkpoint", ckpt]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["text"] for r in rows] == ["walk", "jump"] and rows[0]["results"][0]["path"] == str(clip)
    texts = tmp_path / "t.txt"
    texts.write_text("a person walks\n\na person sits\n")
    assert main(["retrieve", "--motion", str(clip), "--texts", str(texts), "--checkpoint", ckpt, "--json"]) == 0
    (res,) = json.loads(capsys.readouterr().out)
    assert sorted(r["text"] for r in res["results"]) == ["a person sits", "a person walks"]


@pytest.mark.parametrize("verb", VERBS)
def test_help_examples_parse(verb, capsys):
    with pytest.raises(SystemExit):
        main([verb, "--help"])
    text = capsys.readouterr().out
    examples = [ln.strip() for ln in text.split("example:", 1)[1].splitlines() if ln.strip().startswith("coamd ")]
    assert examples
    parser = build_parser()
    for line in examples:
        args = parser.parse_args(shlex.split(line)[1:])
        assert args.func is not None


def test_generate_records_bundle_defaults_overridden_by_flags(ckpt, tmp_path, capsys):
    import yaml

    def sampling(out, *flags):
        assert main(["generate", "a person walks", "--length", "1", "--checkpoint", ckpt, "--format", "npy",
                     "--raw", "-o", str(tmp_path / out), *flags]) == 0
        with np.load(tmp_path / out / "samples.npz") as z:
            return yaml.safe_load(str(z["config"]))["sampling"]

    assert sampling("d") == {"decode_steps": 4, "cfg_scale": 4.5, "sampler": "euler", "ode_steps": 2, "guidance": 0.0,
                             "guidance_reward": "fused", "batch_size": 32}        # the bundle's, else the library's
    assert sampling("f", "--decode-steps", "2", "--cfg-scale", "1", "--sampler", "heun", "--ode-steps", "1",
                    "--batch-size", "3") == {"decode_steps": 2, "cfg_scale": 1.0, "sampler": "heun", "ode_steps": 1,
                                             "guidance": 0.0, "guidance_reward": "fused", "batch_size": 3}
    capsys.readouterr()
