"""``coamd train {ae,mar,generator,length}`` end to end on a tiny corpus (in-process and as a subprocess)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from coamd.cli import main
from helpers import read_rows

# cpu-small shrunk to toy widths, the hash text backend (no model load), short runs
TINY = ["text=hash", "amp=off", "log_every=1", "val_every=0", "ckpt_every=0", "max_epochs=0",
        "model.text.sentence_dim=16", "model.text.token_dim=16",
        "model.ae.width=32", "model.ae.latent_dim=16", "model.ae.depth=1",
        "model.mar.d_model=32", "model.mar.heads=4", "model.mar.ff_dim=64", "model.mar.embed_dim=32", "model.mar.layers=1",
        "model.mar.text_layers=1", "model.generator.hidden=32", "model.generator.mlp_dim=64",
        "model.generator.depth=1", "model.head.width=32", "model.head.depth=1", "model.head.freq_dim=16",
        "model.length.hidden=16"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """40 clips of the procedural corpus, made by `coamd data synth` (the default training data)."""
    out = tmp_path_factory.mktemp("cli") / "corpus"
    assert main(["data", "synth", "--out", str(out), "--clips", "40", "--workers", "1", "--quiet"]) == 0
    return out


pytestmark = pytest.mark.usefixtures("one_torch_thread", "private_cache")


def test_train_each_model_from_the_command_line(corpus, tmp_path, capsys):
    runs = tmp_path / "runs"
    common = ["--config", "cpu-small", "--data", str(corpus), "--no-progress"]
    assert main(["train", "ae", *common, "--out", str(runs / "ae"), *TINY, "batch_size=8", "max_steps=3",
                 "window_stride=16"]) == 0
    assert main(["train", "mar", *common, "--out", str(runs / "mar"), *TINY, "batch_size=8", "max_steps=2"]) == 0
    assert main(["train", "generator", *common, "--out", str(runs / "generator"), *TINY, "batch_size=8",
                 "max_steps=2"]) == 0                                     # finds ../ae by itself
    assert main(["train", "length", *common, "--out", str(runs / "length"), *TINY, "batch_size=8",
                 "max_steps=2"]) == 0
    out = capsys.readouterr().out
    assert "global batch 8 = 8 per process x 1 process(es) x 1 accumulation" in out
    for kind in ("ae", "mar", "generator", "length"):
        run = runs / kind
        ckpt = torch.load(run / "checkpoints" / "latest.pt", weights_only=True)
        assert ckpt["kind"] == kind and kind in ckpt["state"]
        assert (run / "config.yaml").is_file() and len(read_rows(run / "log.csv")) >= 2
        assert (run / "checkpoints" / "best.pt").is_file()
    import yaml

    saved = yaml.safe_load((runs / "generator" / "config.yaml").read_text())
    assert saved["kind"] == "generator" and saved["model"]["ae"]["latent_dim"] == 16
    assert saved["train_generator"]["data"] == f"synth:{corpus.resolve()}"      # what --resume reads back


def test_resume_continues_from_the_saved_config(corpus, tmp_path):
    run = tmp_path / "ae"
    args = ["train", "ae", "--data", str(corpus), "--out", str(run), "--no-progress"]
    assert main([*args, *TINY, "batch_size=8", "max_steps=2", "window_stride=16"]) == 0
    assert main([*args, *TINY, "batch_size=8", "max_steps=2"]) == 2            # refuses to overwrite a run
    assert main(["train", "ae", "--out", str(run), "--resume", "--no-progress", "max_steps=4"]) == 0
    assert [int(r["step"]) for r in read_rows(run / "log.csv")] == [1, 2, 3, 4]
    assert torch.load(run / "checkpoints" / "latest.pt", weights_only=True)["train"]["step"] == 4


def test_missing_data_is_a_one_line_error_with_a_hint(tmp_path, capsys):
    rc = main(["train", "ae", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r"), "text=hash"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err
    assert "not found" in err and "coamd data synth --out" in err


def test_unknown_override_names_the_key(corpus, tmp_path, capsys):
    rc = main(["train", "ae", "--data", str(corpus), "--out", str(tmp_path / "r"), "learning_rate=1"])
    assert rc == 2 and "learning_rate" in capsys.readouterr().err


def test_sigint_saves_exits_130_with_a_resume_hint(corpus, tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "coamd", "train", "ae", "--data", str(corpus), "--out", str(run), "--no-progress",
           *TINY, "batch_size=8", "max_steps=100000", "window_stride=16"]
    env = {**os.environ, "COAMD_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 90
    while not (run / "log.csv").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 130, out
    assert f"resume with: coamd train ae --out {run} --resume" in out
    step = torch.load(run / "checkpoints" / "latest.pt", weights_only=True)["train"]["step"]
    assert step >= 1
    assert main(["train", "ae", "--out", str(run), "--resume", "--no-progress", f"max_steps={step + 2}"]) == 0
    assert torch.load(run / "checkpoints" / "latest.pt", weights_only=True)["train"]["step"] == step + 2


def test_torchrun_two_processes_train_one_model(corpus, tmp_path):
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "coamd", "train", "ae", "--data", str(corpus), "--out", str(run), "--no-progress",
           *TINY, "batch_size=4", "max_steps=3", "window_stride=16"]
    env = {**os.environ, "COAMD_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "global batch 8 = 4 per process x 2 process(es)" in r.stdout + r.stderr
    ckpt = torch.load(run / "checkpoints" / "latest.pt", weights_only=True)
    assert ckpt["train"]["world"] == 2 and len(ckpt["train"]["rng_per_rank"]) == 2
    assert [int(x["step"]) for x in read_rows(run / "log.csv")] == [1, 2, 3]      # rank 0 alone writes the log
