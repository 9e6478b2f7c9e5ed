"""Bundles: loading rules (bundle / run / folder of runs), make_bundle from real training runs, errors."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from coamd.cli import main
from coamd.errors import CoamdError
from coamd.tasks import (
    BundleError,
    find_checkpoints,
    generate,
    load_bundle,
    make_bundle,
    make_random_bundle,
    recognize,
    sampling_settings,
)
from coamd.tasks.bundle import BUNDLE_ENV
from helpers import torch_threads, train_tiny

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST = {"sampler": "euler", "ode_steps": 2, "decode_steps": 4}


def _train(kind: str, corpus: Path, run: Path, overrides: list[str]) -> None:
    train_tiny(kind, corpus, run, ["max_epochs=0", "val_every=0", *overrides])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Four real (few-step) training runs on a small procedural corpus: runs/{ae,mar,gen,len}."""
    from coamd.synth.corpus import generate_clips, write_corpus

    root = tmp_path_factory.mktemp("runs")
    with torch_threads(1), pytest.MonkeyPatch.context() as mp:
        mp.setenv("COAMD_CACHE", str(root / "cache"))
        corpus = root / "corpus"
        write_corpus(corpus, generate_clips(24, seed=0), seed=0)
        folder = root / "runs"
        _train("ae", corpus, folder / "ae", ["batch_size=8", "max_steps=3", "window_stride=16"])
        _train("mar", corpus, folder / "mar", ["batch_size=4", "max_steps=2"])
        _train("generator", corpus, folder / "gen", ["batch_size=4", "max_steps=2"])
        _train("length", corpus, folder / "len", ["batch_size=4", "max_steps=2"])
        return folder


def test_a_folder_of_runs_loads_and_generates(runs):
    files = find_checkpoints(runs)
    assert sorted(files) == ["ae", "generator", "length", "mar"]
    assert files["generator"] == runs / "gen" / "checkpoints" / files["generator"].name
    b = load_bundle(runs)
    assert b.text_backend == "hash" and b.text_options == {"dim": 16} and len(b.label_names) > 0
    out = generate(b, ["a person walks forward"], 2.0, sampling=sampling_settings(b, **FAST))
    assert out.lengths == [40] and np.isfinite(out[0]).all()
    only_mar = load_bundle(runs / "mar")                       # a single run: that part only
    assert sorted(only_mar.parts) == ["mar"]
    with pytest.raises(BundleError, match=r"no 'generator' model \(needed for generation"):
        generate(only_mar, ["walk"], 2.0)


def test_make_bundle_strips_training_state_and_reproduces_the_runs(runs, tmp_path):
    out = make_bundle(runs, tmp_path / "b32", name="tiny")
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["format"] == "coamd-bundle" and meta["version"] == 1 and meta["name"] == "tiny"
    assert meta["parts"] == {k: f"{k}.pt" for k in ("ae", "generator", "length", "mar")}
    assert meta["text"]["backend"] == "hash" and meta["skeleton"] == "smpl22" and meta["unit_length"] == 4
    assert (out / "Mean.npy").is_file() and (out / "Std.npy").is_file()
    labels = (out / "labels.txt").read_text().splitlines()
    assert labels == load_bundle(runs / "mar").label_names
    payload = torch.load(out / "generator.pt", weights_only=True)
    assert "train" not in payload and payload["kind"] == "generator"
    run_ckpt = find_checkpoints(runs / "gen")["generator"]
    raw = torch.load(run_ckpt, weights_only=True)
    for k, v in raw["state"]["generator"].items():              # the EMA weights the trainer marked for inference
        assert torch.equal(payload["state"]["generator"][k], v)
    assert (out / "generator.pt").stat().st_size < run_ckpt.stat().st_size
    s = sampling_settings(None, **FAST)
    a = generate(load_bundle(runs), ["a person jumps"], 2.0, seed=3, sampling=s)[0]
    b = generate(load_bundle(out), ["a person jumps"], 2.0, seed=3, sampling=s)[0]
    assert np.array_equal(a, b)
    half = make_bundle(runs, tmp_path / "b16", fp16=True, defaults={"sampler": "heun"})
    payload16 = torch.load(half / "ae.pt", weights_only=True)
    assert all(v.dtype == torch.float16 for v in payload16["state"]["ae"].values() if v.is_floating_point())
    b16 = load_bundle(half)
    assert next(b16.ae.parameters()).dtype == torch.float32 and sampling_settings(b16).sampler == "heun"
    c = generate(b16, ["a person jumps"], 2.0, seed=3, sampling=s)[0]
    assert np.abs(c - a).max() < 0.05


def test_recognize_uses_a_mar_runs_own_labels(runs, capsys, tmp_path):
    names = load_bundle(runs / "mar").label_names
    clip = np.zeros((40, 22, 3), np.float32)
    clip[..., 1] = np.linspace(0, 1.7, 22)
    np.save(tmp_path / "clip.npy", clip)
    assert main(["recognize", str(tmp_path / "clip.npy"), "--checkpoint", str(runs / "mar"), "--json",
                 "--top-k", "2"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["file"].endswith("clip.npy") and len(row["predictions"]) == 2
    assert all(p["label"] in names for p in row["predictions"])
    top = recognize(load_bundle(runs / "mar"), [clip], top_k=2)[0]
    assert [p["label"] for p in row["predictions"]] == top.labels


def test_loading_errors(tmp_path, monkeypatch):
    monkeypatch.setenv(BUNDLE_ENV, str(tmp_path / "nothing"))
    with pytest.raises(BundleError, match="no bundled weights in this install"):
        load_bundle()
    with pytest.raises(BundleError, match="no such checkpoint"):
        load_bundle(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError, match="not a bundle"):
        load_bundle(tmp_path / "empty")
    root = make_random_bundle(tmp_path / "r")
    meta = json.loads((root / "bundle.json").read_text())
    meta["version"] = 99
    (root / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="version 99"):
        load_bundle(root)
    with pytest.raises(CoamdError, match="nothing to bundle|not a bundle"):
        make_bundle([tmp_path / "empty"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_two_runs_of_one_kind_are_refused(runs, tmp_path):
    (tmp_path / "a").symlink_to(runs / "mar")
    (tmp_path / "b").symlink_to(runs / "mar")
    with pytest.raises(BundleError, match="two 'mar' runs"):
        find_checkpoints(tmp_path)
