"""``coamd train distill`` and ``--sampler distilled``: the few-step student of the flow head, on tiny models."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from coamd.cli import main
from coamd.data import resolve_data
from coamd.errors import CoamdError
from coamd.train import DistInfo, TaskContext, Trainer, load_checkpoint, load_train_config
from coamd.train.task_distill import parse_teacher, student_rollout
from helpers import make_tiny_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_tiny_corpus(tmp_path_factory.mktemp("corpus") / "tiny", clips_per_action=4)


pytestmark = pytest.mark.usefixtures("one_torch_thread", "private_cache")


def _distill(bundle, corpus, run_dir, overrides=(), resume=False):
    from coamd.models import load_checkpoint as load_model_checkpoint
    from coamd.train.tasks import build_task

    cfg = load_train_config("distill", None, [f"data={corpus}", f"generator={bundle}", "text=hash", "amp=off",
                                              "batch_size=4", "log_every=1", "val_batches=1", "teacher=midpoint:2",
                                              "warmup_steps=0", *overrides])
    model_cfg, _ = load_model_checkpoint(Path(bundle) / "generator.pt")
    ctx = TaskContext(cfg=cfg, device=torch.device("cpu"), dist=DistInfo(), run_dir=Path(run_dir), progress=False)
    task = build_task("distill", ctx, model_cfg, resolve_data(cfg.data))
    return task, Trainer(task, resume=resume, progress=False).fit()


@pytest.fixture(scope="module")
def distilled_bundle(tiny_bundle, corpus, tmp_path_factory) -> Path:
    """The tiny bundle plus a distilled head trained for 2 steps (then resumed to 3)."""
    runs = tmp_path_factory.mktemp("distill")
    mp = pytest.MonkeyPatch()
    mp.setenv("COAMD_CACHE", str(runs / "cache"))
    try:
        _distill(tiny_bundle, corpus, runs / "run", ["max_steps=2", "val_every=2", "ckpt_every=2"])
        _, result = _distill(tiny_bundle, corpus, runs / "run", ["max_steps=3", "val_every=2", "ckpt_every=2"],
                             resume=True)
    finally:
        mp.undo()
    assert result.status == "done" and result.step == 3
    out = runs / "bundle"
    shutil.copytree(tiny_bundle, out)
    shutil.copy(runs / "run" / "checkpoints" / "latest.pt", out / "flow_head_distilled.pt")
    meta = json.loads((out / "bundle.json").read_text())
    meta["distilled"] = "flow_head_distilled.pt"
    (out / "bundle.json").write_text(json.dumps(meta))
    return out


def test_distill_trains_resumes_and_records_its_sampler(distilled_bundle):
    ckpt = load_checkpoint(distilled_bundle / "flow_head_distilled.pt", kind="distill")
    assert ckpt["train"]["step"] == 3
    assert ckpt["extra"]["student_steps"] == 2 and ckpt["extra"]["cfg_scale"] == 2.5
    assert ckpt["extra"]["teacher"] == "midpoint:2"
    state = ckpt["state"]["distill"]
    assert {k.split(".")[0] for k in state} >= {"time", "cond", "inp", "blocks", "final"}   # a flow head
    assert all(torch.isfinite(v).all() for v in state.values())


def test_distill_starts_from_the_teacher_head_and_learns(tiny_bundle, corpus, tmp_path):
    from coamd.tasks import load_bundle

    task, _ = _distill(tiny_bundle, corpus, tmp_path / "run", ["max_steps=1", "lr=1e-9"])
    teacher = load_bundle(tiny_bundle, parts=["generator"]).generator.head.state_dict()
    student = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")["train"]["model"]
    for k, v in teacher.items():                                    # lr 1e-9: still the teacher's weights
        torch.testing.assert_close(student[k], v, atol=1e-6, rtol=0)
    batch = task.collate([task.train_set[i] for i in range(4)])
    pairs = task._pairs(batch, torch.Generator().manual_seed(0))
    assert pairs["x0"].shape == pairs["x1"].shape and pairs["z_c"].shape[0] == pairs["x0"].shape[0]
    assert torch.isfinite(pairs["x1"]).all()


def test_distilled_sampler_generates_finite_motion_of_the_right_shape(distilled_bundle):
    from coamd.tasks import generate, load_bundle, sampling_settings

    bundle = load_bundle(distilled_bundle)
    assert bundle.generator.distilled is not None and bundle.generator.distilled[1] == 2
    assert "distilled" not in " ".join(bundle.generator.state_dict())           # the checkpoint stays as trained
    stats = {}
    cond = bundle.sentences(["a person walks forward"] * 2)
    lat = bundle.generator.generate(cond, torch.tensor([5, 3]), decode_steps=3, cfg_scale=2.5, sampler="distilled",
                                    generator=torch.Generator().manual_seed(0), stats=stats)
    assert lat.shape[:2] == (2, 5) and torch.isfinite(lat).all() and (lat[1, 3:] == 0).all()
    assert stats["guided"] is False
    assert stats["nfe"] == 2 * 3          # 2 Euler steps of the student per decoding step
    motions = generate(bundle, "a person walks forward", 2.0, num_samples=2, progress=False, cleanup=False,
                       sampling=sampling_settings(bundle, sampler="distilled"))
    frames = round(2.0 * bundle.fps / bundle.unit_length) * bundle.unit_length
    assert len(motions) == 2
    for m in motions:
        assert m.shape == (frames, 22, 3) and np.isfinite(m).all()


def test_distilled_sampler_from_the_command_line(distilled_bundle, tiny_bundle, tmp_path, capsys):
    assert main(["generate", "a person jumps", "--checkpoint", str(distilled_bundle), "--length", "2",
                 "--sampler", "distilled", "--format", "npy", "--raw", "-o", str(tmp_path / "a")]) == 0
    files = sorted((tmp_path / "a").glob("*.npy"))
    assert files and np.isfinite(np.load(files[0])).all()
    assert main(["generate", "a person jumps", "--checkpoint", str(tiny_bundle), "--length", "2",
                 "--sampler", "distilled", "--format", "npy", "-o", str(tmp_path / "b")]) != 0
    err = capsys.readouterr().err
    assert "no distilled flow head" in err and "Traceback" not in err


def test_bench_compare_times_the_distilled_sampler(distilled_bundle, capsys):
    assert main(["bench", "generate", "--checkpoint", str(distilled_bundle), "--batch", "1", "--frames", "16",
                 "--repeats", "1", "--quiet", "--decode-steps", "2", "--ode-steps", "2", "--threads", "1",
                 "--compare", "distilled", "midpoint:1", "euler:1/1"]) == 0
    out = capsys.readouterr().out
    assert "distilled, 2 steps" in out and "midpoint x1, 2 steps" in out and "euler x1, 1 steps" in out
    assert main(["bench", "generate", "--quiet", "--compare", "euler:2/0"]) == 2
    assert "decoding steps" in capsys.readouterr().err


def test_distill_settings_are_checked(tiny_bundle, corpus, tmp_path):
    assert parse_teacher("dopri5") == ("dopri5", 16) and parse_teacher("midpoint:8") == ("midpoint", 8)
    for bad in ("rk4", "euler:x", "euler:0", "distilled"):
        with pytest.raises(CoamdError, match="teacher"):
            parse_teacher(bad)
    with pytest.raises(CoamdError, match="student_steps"):
        _distill(tiny_bundle, corpus, tmp_path / "r", ["student_steps=0", "max_steps=1"])


def test_student_rollout_is_euler_on_the_student():
    def v(x, t, z):
        return z - x                                 # exact straight path to z from t=0 with one Euler step of 1
    z = torch.randn(5, 3)
    out = student_rollout(v, torch.zeros(5, 3), z, 1)
    torch.testing.assert_close(out, z)
    two = student_rollout(v, torch.zeros(5, 3), z, 2)  # two half steps: z/2, then z/2 + (z - z/2)/2
    torch.testing.assert_close(two, 0.75 * z)
