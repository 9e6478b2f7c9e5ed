"""CUDA paths: mixed-precision training of every model, resume, CPU/GPU agreement, the bundle on the GPU.

Marked ``gpu`` (deselected by default; ``pytest -m gpu``) and skipped without CUDA. The device is
``$COAMD_TEST_DEVICE`` (default ``cuda``): ``COAMD_TEST_DEVICE=cpu pytest -m gpu tests/test_gpu.py``
runs the same checks on the CPU, which is how their logic is checked on machines without a GPU.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from coamd.diffusion import integrate
from coamd.models import build_autoencoder, build_generator, build_mar, tiny_config
from coamd.train import load_checkpoint
from helpers import train_tiny

DEVICE = os.environ.get("COAMD_TEST_DEVICE", "cuda")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(DEVICE.startswith("cuda") and not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.fixture(scope="module")
def corpus(tiny_corpus) -> Path:
    return tiny_corpus


@pytest.fixture(autouse=True)
def _private_cache(private_cache):
    return private_cache


def _train(kind, corpus, run_dir, overrides=(), resume=False):
    """The CPU tests' tiny-corpus training on DEVICE (no periodic validation)."""
    return train_tiny(kind, corpus, run_dir, ["val_every=0", *overrides], resume, device=DEVICE)[1]


def _losses(run_dir):
    with open(Path(run_dir) / "log.csv") as f:
        return [(int(r["step"]), float(r["loss"])) for r in csv.DictReader(f)]


@pytest.mark.parametrize("amp", ["bf16", "fp16", "off"])
def test_every_model_trains_on_the_device_with_mixed_precision(corpus, tmp_path, amp):
    runs = tmp_path / "runs"
    common = ["max_epochs=0", "warmup_steps=2", f"amp={amp}", "lr=2e-3"]
    for kind, extra in [("ae", ["batch_size=16", "max_steps=30", "window_stride=8"]),
                        ("mar", ["batch_size=8", "max_steps=30"]),
                        ("generator", ["batch_size=8", "max_steps=30", "ema_decay=0.9"]),
                        ("length", ["batch_size=8", "max_steps=30"])]:
        run = runs / kind                            # the generator finds its AE at runs/ae
        result = _train(kind, corpus, run, [*common, *extra])
        assert result.status == "done" and result.step == 30, kind
        curve = [loss for _, loss in _losses(run)]
        assert np.all(np.isfinite(curve)), kind
        assert np.mean(curve[-5:]) < np.mean(curve[:5]), f"{kind} did not learn under amp={amp}: {curve}"
        ckpt = load_checkpoint(run, kind=kind)   # loads on the CPU
        for name, t in ckpt["state"][kind].items():
            assert t.device.type == "cpu" and torch.isfinite(t.float()).all(), f"{kind}.{name}"


def test_resume_on_the_device_continues_the_run(corpus, tmp_path):
    run = tmp_path / "mar"
    args = ["batch_size=8", "max_epochs=0", "amp=bf16", "ckpt_every=5"]
    _train("mar", corpus, run, [*args, "max_steps=10"])
    again = _train("mar", corpus, run, [*args, "max_steps=16"], resume=True)
    steps = [s for s, _ in _losses(run)]
    assert again.step == 16 and steps == list(range(1, 17))
    full = tmp_path / "full"
    _train("mar", corpus, full, [*args, "max_steps=16", "amp=off"])
    _train("mar", corpus, tmp_path / "part", [*args, "max_steps=10", "amp=off"])
    _train("mar", corpus, tmp_path / "part", [*args, "max_steps=16", "amp=off"], resume=True)
    a, b = np.array(_losses(full))[:, 1], np.array(_losses(tmp_path / "part"))[:, 1]
    np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-4)    # fp32 on the GPU: equal up to kernel order


def test_models_agree_between_cpu_and_the_device():
    cfg = tiny_config(text_dim=16)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 48, 66, generator=g)
    lengths = torch.tensor([48, 40, 32])
    ae, mar, gen = build_autoencoder(cfg).eval(), build_mar(cfg).eval(), build_generator(cfg).eval()
    dev = torch.device(DEVICE)
    with torch.no_grad():
        z = ae.encode(x)
        np.testing.assert_allclose(ae.to(dev).encode(x.to(dev)).cpu(), z, rtol=1e-3, atol=1e-4)
        f = mar.encode(x, lengths)[0]
        np.testing.assert_allclose(mar.to(dev).encode(x.to(dev), lengths.to(dev))[0].cpu(), f, rtol=1e-3, atol=1e-4)
        tokens = torch.randn(3, 12, cfg.ae.latent_dim, generator=g)
        valid = torch.ones(3, 12, dtype=torch.bool)
        cond = torch.randn(3, 16, generator=g)
        h = gen(tokens, valid, cond)
        h_dev = gen.to(dev)(tokens.to(dev), valid.to(dev), cond.to(dev)).cpu()
        np.testing.assert_allclose(h_dev, h, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("method", ["euler", "heun", "dopri5"])
def test_samplers_integrate_on_the_device(method):
    x0 = torch.linspace(-2.0, 2.0, 64, device=DEVICE)
    x1, _ = integrate(lambda x, t: -x, x0, method=method, steps=64, atol=1e-7, rtol=1e-5)
    tol = {"euler": 1e-2, "heun": 1e-4, "dopri5": 1e-4}[method]
    assert x1.device.type == torch.device(DEVICE).type
    np.testing.assert_allclose(x1.cpu(), (x0 * np.exp(-1.0)).cpu(), atol=tol)


def _bundled():
    from coamd.tasks import load_bundle
    from coamd.tasks.bundle import default_bundle_path
    from coamd.text.base import TextEncoderError
    from coamd.text.minilm import minilm_folder

    if not (default_bundle_path() / "bundle.json").is_file():
        pytest.skip(f"no bundled weights in {default_bundle_path()}")
    try:
        minilm_folder()
    except TextEncoderError as e:
        pytest.skip(str(e))
    return load_bundle(None, device="cpu"), load_bundle(None, device=DEVICE)


def test_the_bundled_models_run_on_the_device_and_agree_with_the_cpu():
    from coamd.tasks import CoAMD

    cpu, dev = (CoAMD(b) for b in _bundled())
    texts = ["a person walks forward", "someone jumps up and down"]
    out = dev.generate(texts, lengths=[3.0, 2.0], seed=0)
    assert [m.shape for m in out] == [(60, 22, 3), (40, 22, 3)]
    assert all(np.isfinite(m).all() for m in out)
    # recognition and the embeddings are deterministic: the GPU ranks like the CPU
    clip = cpu.generate(texts[:1], lengths=[3.0], seed=1).motions[0]
    r_cpu, r_dev = cpu.recognize([clip])[0], dev.recognize([clip])[0]
    assert r_cpu.labels[0] == r_dev.labels[0]
    np.testing.assert_allclose(r_dev.scores, r_cpu.scores, atol=2e-3)
    np.testing.assert_allclose(dev.embed_text(texts), cpu.embed_text(texts), atol=2e-3)


def test_generate_command_runs_on_the_device(tmp_path):
    _bundled()
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "coamd", "generate", "a person walks forward", "--length", "2",
                          "--format", "npy", "--device", DEVICE, "-o", str(out)], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    files = sorted(out.glob("*.npy"))
    assert len(files) == 1
    motion = np.load(files[0])
    assert motion.shape == (40, 22, 3) and np.isfinite(motion).all()


def test_evaluation_and_the_benchmark_suite_run_on_the_device(tmp_path, monkeypatch):
    """``coamd eval`` and ``coamd bench suite --device`` on a tiny world (random bundle and evaluators)."""
    import json

    from coamd.cli import main
    from test_bench_suite import TINY
    from test_eval_support import build_world

    monkeypatch.setenv("COAMD_CACHE", str(tmp_path / "cache"))
    world = build_world(tmp_path / "world")
    common = ["--data", world["corpus"], "--checkpoint", world["bundle"], "--evaluator", world["evaluator"],
              "--no-progress", "--device", DEVICE]
    assert main(["eval", "generation", *common, "--repeats", "1", "--limit", "32", "--json"]) == 0
    out = tmp_path / "results"
    assert main(["bench", "suite", "--suite", "quick", "-o", str(out), *common, "--report", str(tmp_path / "r.md"),
                 "--realdata", str(tmp_path / "none"), "--set", *TINY]) == 0
    sections = json.loads((out / "results.json").read_text())["sections"]
    assert all("rows" in s or "skipped" in s for s in sections.values())
    assert "rows" in sections["generation/test"] and "rows" in sections["retrieval"]
