"""``coamd bench generate``: JSON output, network-evaluation counts, trained-weight runs and errors."""

import json

import pytest
import torch

from coamd.bench.speed import bench_generate, format_report
from coamd.cli import main
from coamd.tasks import Sampling, make_random_bundle

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_cli_json_has_times_settings_and_nfe(capsys):
    assert main(["bench", "generate", "--config", "cpu-small", "--batch", "1", "--json", "--decode-steps", "3",
                 "--ode-steps", "2", "--repeats", "2", "--frames", "40"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["weights"] == "random weights" and doc["config"] == "cpu-small"
    assert doc["device"] == "cpu" and doc["threads"] == 1 and doc["torch"] == torch.__version__
    assert doc["frames"] == 40 and doc["tokens"] == 10 and doc["cfg_batched"] is True
    assert doc["sampling"] == {"decode_steps": 3, "cfg_scale": 4.5, "sampler": "euler", "ode_steps": 2, "guidance": 0.0,
                               "guidance_reward": "fused", "batch_size": 32}
    (run,) = doc["runs"]
    assert run["batch"] == 1 and len(run["seconds_per_batch"]) == 2
    assert run["seconds_per_motion"] == pytest.approx(sum(run["seconds_per_batch"]) / 2) and run["seconds_per_motion"] > 0
    # one transformer forward per decoding step over cond + uncond together; euler: ode_steps head evals per step
    assert run["transformer_forwards"] == 3 and run["sequences_per_forward"] == 2
    assert run["head_evaluations"] == 3 * 2
    # the default cleanup (coamd.tasks.cleanup) is timed on its own, with its share of the generation time
    if run["cleanup_seconds_per_motion"] is not None:
        assert run["cleanup_seconds_per_motion"] > 0
        assert run["cleanup_share"] == pytest.approx(run["cleanup_seconds_per_motion"] / run["seconds_per_motion"])


def test_nfe_follows_the_sampler_and_cfg_off_halves_the_batch():
    heun = bench_generate("cpu-small", batches=(2,), sampling=Sampling(decode_steps=2, sampler="heun", ode_steps=3, cfg_scale=1.0),
                          repeats=1, frames=24, progress=False)
    run = heun.runs[0]
    assert not heun.cfg_batched and run.sequences_per_forward == 2 and run.transformer_forwards == 2
    assert run.head_evaluations > 2 * 3                     # heun: more than one evaluation per step
    text = format_report(heun)
    assert "random weights" in text and "heun x 3 ODE steps" in text and "2 x 2 seq" in text
    assert "cleanup s/motion" in text and "with cleanup" in text


def test_trained_weights_encode_the_prompt_once(tmp_path):
    ckpt = make_random_bundle(tmp_path / "b", defaults={"sampler": "dopri5"})
    r = bench_generate("ignored", ckpt, batches=(1,), sampling=Sampling(decode_steps=2, sampler="euler", ode_steps=2),
                       repeats=1, frames=16, progress=False)
    assert r.weights.startswith("trained weights from") and r.text_encoding.startswith("cached")
    assert set(r.parameters) == {"ae", "generator"} and r.runs[0].head_evaluations == 4


@pytest.mark.parametrize("argv, message", [
    (["--batch", "0"], "argument --batch: must be from 1 to 4096, got 0"),
    (["--repeats", "0"], "argument --repeats: must be from 1 to 1000, got 0"),
    (["--frames", "400", "--batch", "1"], "--frames 400: must lie in 4-196"),
    (["--ode-steps", "0"], "argument --ode-steps: must be from 1 to 10000, got 0"),
    (["--checkpoint", "{tmp}/none"], "none: no such checkpoint file or folder"),
    (["--config", "{tmp}/missing.yaml"], "missing.yaml"),
    pytest.param(["--device", "cuda:0"], "CUDA is not available",
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")),
])
def test_errors_are_one_line(argv, message, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["bench", "generate", "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("coamd bench: error:") and message in err[0], err
