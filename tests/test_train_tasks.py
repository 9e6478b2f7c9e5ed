"""The four training tasks (AE, MAR, generator, length) through the trainer on a tiny corpus."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from coamd.models import build_mar, load_module, tiny_config
from coamd.models import load_checkpoint as load_model_checkpoint
from coamd.train import load_checkpoint
from helpers import TINY_ACTIONS as ACTIONS
from helpers import loss_curve as _curve
from helpers import read_rows as _rows
from helpers import train_tiny as _train

pytestmark = pytest.mark.usefixtures("one_torch_thread", "private_cache")


@pytest.fixture(scope="module")
def corpus(tiny_corpus) -> Path:
    return tiny_corpus


def test_ae_trains_and_its_checkpoint_loads_as_a_model(corpus, tmp_path):
    run = tmp_path / "runs" / "ae"
    task, result = _train("ae", corpus, run, ["batch_size=16", "max_steps=30", "max_epochs=0", "lr=2e-3",
                                              "warmup_steps=5", "window_stride=8", "val_every=15"])
    curve = _curve(run)
    assert result.status == "done" and np.mean(curve[-5:]) < 0.7 * np.mean(curve[:5])
    cfg, payload = load_model_checkpoint(run / "checkpoints" / "best.pt")           # the models' loader reads it
    ae = load_module(task.build_model(), payload, "ae")
    assert payload["extra"]["mean"].shape == (66,) and payload["extra"]["text_backend"] == "hash"
    rows = _rows(run / "val.csv")
    assert [int(r["step"]) for r in rows] == [15, 30] and float(rows[-1]["mpjpe_mm"]) > 0
    assert ae.encode(torch.zeros(1, 8, 66)).shape == (1, 2, cfg.ae.latent_dim)


def test_mar_trains_both_towers_and_reports_recognition_and_retrieval(corpus, tmp_path):
    run = tmp_path / "mar"
    task, _ = _train("mar", corpus, run, ["batch_size=8", "max_steps=12", "max_epochs=0", "lr=1e-3",
                                          "val_every=12"])
    row = _rows(run / "val.csv")[-1]
    assert {"recog_acc", "t2m_R1", "m2t_R1"} <= set(row)
    assert 0.0 <= float(row["recog_acc"]) <= 1.0
    log = _rows(run / "log.csv")
    assert {"desc_nce", "recog"} <= set(log[0])                              # L_desc and L_recog both train
    ckpt = load_checkpoint(run / "checkpoints" / "latest.pt", kind="mar")
    assert ckpt["extra"]["label_names"] == list(ACTIONS)
    assert ckpt["extra"]["label_embeddings"].shape == (4, 16)
    assert ckpt["train"]["best"]["metric"] == "recog_acc"                   # best.pt is chosen by recognition
    first = task.build_model().state_dict()
    trained = ckpt["state"]["mar"]
    assert any(not torch.equal(first[k], trained[k]) for k in trained if k.startswith("text."))  # tower B learns


def test_mar_label_text_weight_trains_tower_b_on_names_and_mixes_scores(corpus, tmp_path):
    _train("mar", corpus, tmp_path / "base", ["batch_size=8", "max_steps=2", "max_epochs=0", "val_every=0"])
    run = tmp_path / "mixed"                             # a fine-tune switches the mix on (init= keeps its config)
    _train("mar", corpus, run, ["batch_size=8", "max_steps=3", "max_epochs=0", "val_every=3",
                                f"init={tmp_path / 'base'}", "label_text_weight=0.5"])
    log = _rows(run / "log.csv")
    assert "recog_text" in log[0] and np.isfinite(float(log[0]["recog_text"]))     # tower B's label term trains
    assert 0.0 <= float(_rows(run / "val.csv")[-1]["recog_acc"]) <= 1.0
    cfg, payload = load_model_checkpoint(run / "checkpoints" / "latest.pt")
    assert cfg.mar.label_text_weight == 0.5                                          # stored with the model
    mar = load_module(build_mar(cfg), payload, "mar").eval()
    g = torch.Generator().manual_seed(0)
    f, sent, text = torch.randn(5, cfg.mar.embed_dim, generator=g), torch.randn(3, 16, generator=g), \
        torch.randn(3, cfg.mar.embed_dim, generator=g)
    a = mar.recognition_logits(f, sent)                                              # tower A only
    mixed = mar.recognition_logits(f, sent, text)
    b = torch.nn.functional.normalize(f, dim=-1) @ torch.nn.functional.normalize(text, dim=-1).T
    torch.testing.assert_close(mixed, 0.5 * a + 0.5 * b)
    with pytest.raises(Exception, match="label_text_weight"):
        _train("mar", corpus, tmp_path / "bad", ["max_steps=1", "label_text_weight=1.5"])


def test_mar_fine_tunes_from_a_checkpoint(corpus, tmp_path):
    _train("mar", corpus, tmp_path / "base", ["batch_size=8", "max_steps=4", "max_epochs=0", "val_every=0"])
    base = load_checkpoint(tmp_path / "base", kind="mar")
    _train("mar", corpus, tmp_path / "tuned", ["batch_size=8", "max_steps=1", "max_epochs=0", "val_every=0",
                                               "lr=1e-12", f"init={tmp_path / 'base'}"])
    tuned = load_checkpoint(tmp_path / "tuned" / "checkpoints" / "latest.pt", kind="mar")
    for k, v in base["state"]["mar"].items():                                 # lr ~ 0: weights stay the init's
        torch.testing.assert_close(tuned["state"]["mar"][k], v, atol=1e-6, rtol=0)
    torch.testing.assert_close(tuned["extra"]["mean"], base["extra"]["mean"])


def test_generator_trains_on_cached_latents_of_the_sibling_ae(corpus, tmp_path):
    runs = tmp_path / "runs"
    _train("ae", corpus, runs / "ae", ["batch_size=16", "max_steps=4", "max_epochs=0", "window_stride=16",
                                       "val_every=0"])
    task, _ = _train("generator", corpus, runs / "gen",
                          ["batch_size=8", "max_steps=20", "max_epochs=0", "lr=1e-3", "warmup_steps=2",
                           "val_every=10", "ema_decay=0.9"])
    ae_hash = task.ae_hash
    assert sorted(p.name for p in (runs / "gen" / "latents").iterdir()) == [f"{ae_hash}-train.npz",
                                                                             f"{ae_hash}-val.npz"]
    curve = _curve(runs / "gen")
    assert all(np.isfinite(curve)) and np.mean(curve[-5:]) < np.mean(curve[:5])
    ckpt = load_checkpoint(runs / "gen" / "checkpoints" / "latest.pt", kind="generator")
    assert ckpt["extra"]["ae_hash"] == ae_hash
    torch.testing.assert_close(ckpt["state"]["generator"]["mask_latent"], ckpt["train"]["ema"]["mask_latent"])
    ae_mean = load_checkpoint(runs / "ae", kind="ae")["extra"]["mean"]
    torch.testing.assert_close(ckpt["extra"]["mean"], ae_mean)             # one normalised space
    # resuming the run reuses its latents (no re-encoding) and continues from step 20
    stamp = (runs / "gen" / "latents" / f"{ae_hash}-train.npz").stat().st_mtime_ns
    _, again = _train("generator", corpus, runs / "gen", ["batch_size=8", "max_steps=22", "max_epochs=0",
                                                          "val_every=0", "ema_decay=0.9"], resume=True)
    assert again.step == 22
    assert (runs / "gen" / "latents" / f"{ae_hash}-train.npz").stat().st_mtime_ns == stamp


def test_generator_without_an_ae_says_how_to_get_one(corpus, tmp_path, monkeypatch):
    from coamd.errors import CoamdError

    monkeypatch.setenv("COAMD_BUNDLE", str(tmp_path / "no-bundle"))        # whatever weights are installed

    with pytest.raises(CoamdError, match="coamd train ae --out"):
        _train("generator", corpus, tmp_path / "lonely" / "gen", ["max_steps=1"])


def test_length_estimator_learns_token_counts(corpus, tmp_path):
    run = tmp_path / "len"
    _train("length", corpus, run, ["batch_size=8", "max_steps=40", "max_epochs=0", "lr=3e-3", "warmup_steps=0",
                                   "val_every=20"])
    rows = _rows(run / "val.csv")
    assert {"loss", "acc", "mae_tokens"} <= set(rows[0])
    curve = _curve(run)
    assert np.mean(curve[-5:]) < np.mean(curve[:5])


def test_generator_resume_matches_the_straight_run_exactly(corpus, tmp_path):
    """Random masks, condition dropout, noise and dropout all replay after a resume (CPU)."""
    runs = tmp_path / "runs"
    _train("ae", corpus, runs / "ae", ["batch_size=16", "max_steps=2", "max_epochs=0", "window_stride=16",
                                       "val_every=0"])
    over = ["batch_size=4", "max_epochs=0", "val_every=2", "ckpt_every=2", "ema_decay=0.9", "accumulation=2",
            "grad_clip=1.0", "lr=1e-3", "warmup_steps=1", f"ae_checkpoint={runs / 'ae'}"]
    tiny = tiny_config(text_dim=16)
    cfg = dataclasses.replace(tiny, generator=dataclasses.replace(tiny.generator, dropout=0.2))  # global-RNG use
    _train("generator", corpus, runs / "straight", over + ["max_steps=6"], model_cfg=cfg)
    _train("generator", corpus, runs / "split", over + ["max_steps=3"], model_cfg=cfg)   # ends mid-epoch
    _train("generator", corpus, runs / "split", over + ["max_steps=6"], resume=True, model_cfg=cfg)
    assert _curve(runs / "straight") == _curve(runs / "split")
    a = load_checkpoint(runs / "straight" / "checkpoints" / "latest.pt")
    b = load_checkpoint(runs / "split" / "checkpoints" / "latest.pt")
    for k, v in a["train"]["model"].items():
        assert torch.equal(v, b["train"]["model"][k]), k
    assert a["train"]["step"] == b["train"]["step"] == 6 and a["train"]["epoch"] == b["train"]["epoch"]
    first = load_checkpoint(runs / "split" / "checkpoints" / "step_4.pt")
    assert not torch.equal(first["train"]["model"]["mask_latent"], a["train"]["model"]["mask_latent"])


def test_generator_falls_back_to_the_bundled_ae(corpus, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    _train("ae", corpus, runs / "ae", ["batch_size=16", "max_steps=1", "max_epochs=0", "window_stride=16",
                                       "val_every=0"])
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (runs / "ae" / "checkpoints" / "latest.pt").rename(bundle / "ae.pt")
    (bundle / "bundle.json").write_text(json.dumps({"format": "coamd-bundle", "version": 1, "parts": {"ae": "ae.pt"}}))
    monkeypatch.setenv("COAMD_BUNDLE", str(bundle))
    task, _ = _train("generator", corpus, tmp_path / "alone" / "gen", ["batch_size=8", "max_steps=1",
                                                                        "max_epochs=0", "val_every=0"])
    assert task.ae_path == bundle / "ae.pt"


def test_generator_with_upstream_frame_offset_crops(corpus, tmp_path):
    """crop=frames (issue 16): T2M crops at any frame offset, encoded by the frozen AE every step."""
    from coamd.train.latents import FrameCropDataset

    runs = tmp_path / "runs"
    _train("ae", corpus, runs / "ae", ["batch_size=16", "max_steps=2", "max_epochs=0", "window_stride=16",
                                       "val_every=0"])
    task, result = _train("generator", corpus, runs / "gen", ["batch_size=8", "max_steps=12", "max_epochs=0",
                                                              "lr=1e-3", "warmup_steps=2", "val_every=6",
                                                              "crop=frames"])
    ds = task.train_set
    assert isinstance(ds, FrameCropDataset) and task.frame_ae is not None
    assert not any(p.requires_grad for p in task.frame_ae.parameters())
    starts, unit = set(), task.model_cfg.unit_length
    for k in range(len(ds)):
        item = ds[k]
        T = item["frames"].shape[0]
        assert T == item["length"] * unit and T <= ds.max_length
        full = np.asarray(ds.index.motion(ds.items[k]), np.float32).reshape(len(ds.index.motion(ds.items[k])), -1)
        norm = ds.normalizer.normalize(full).astype(np.float32)
        hits = [s for s in range(len(full) - T + 1) if np.array_equal(norm[s:s + T], item["frames"].numpy())]
        starts.update(s % unit for s in hits[:1])
    assert len(starts) > 1                                      # offsets that are not whole tokens occur
    assert result.step == 12 and all(np.isfinite(_curve(runs / "gen")))


def test_mar_tower_b_name_loss_weight_is_separate_from_the_mix():
    """``label_text_loss`` (MAR.loss's label_text_loss_weight) scales only tower B's name term; the mixing
    weight stays label_text_weight; the recipe rejects weights outside [0, 1]."""
    cfg = tiny_config()
    cfg.mar.label_text_weight = 0.75
    mar = build_mar(cfg).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 40, cfg.feature_dim, generator=g)
    kw = {"label_emb": torch.randn(4, 16, generator=g), "label_ids": torch.tensor([0, 1, 2, 1]),
          "label_text_tokens": torch.randn(4, 3, 16, generator=g),
          "label_text_mask": torch.ones(4, 3, dtype=torch.bool)}
    lengths = torch.full((4,), 40)
    total = {w: mar.loss(x, lengths, **kw, label_text_loss_weight=w)[0].item() for w in (None, 0.0, 0.2, 1.0)}
    recog_b = mar.loss(x, lengths, **kw)[1]["recog_text"]
    r = cfg.mar.recog_weight
    assert total[1.0] - total[0.0] == pytest.approx(r * recog_b, rel=1e-4)
    assert total[0.2] - total[0.0] == pytest.approx(0.2 * r * recog_b, rel=1e-4)
    assert total[None] - total[0.0] == pytest.approx(0.75 * r * recog_b, rel=1e-4)   # default: the mixing weight


def test_mar_recipe_rejects_a_bad_tower_b_loss_weight(corpus, tmp_path):
    with pytest.raises(Exception, match="label_text_loss"):
        _train("mar", corpus, tmp_path / "bad", ["max_steps=1", "label_text_loss=2"])


def test_bf16_training_on_the_cpu_when_asked(corpus, tmp_path):
    """``amp=bf16`` autocasts the forward passes on the CPU too (issue 16's bf16 measurement needs no GPU):
    the same steps as fp32 give a different but close loss curve; every other mode keeps the CPU in fp32."""
    curves = {}
    for amp in ("off", "bf16"):
        run = tmp_path / amp
        _, result = _train("ae", corpus, run, ["batch_size=8", "max_steps=6", "max_epochs=0", "lr=2e-3",
                                                  "warmup_steps=0", "window_stride=8", "val_every=0", f"amp={amp}"])
        assert result.status == "done"
        curves[amp] = _curve(run)
    assert np.all(np.isfinite(curves["bf16"])) and not np.array_equal(curves["bf16"], curves["off"])
    assert curves["bf16"][-1] == pytest.approx(curves["off"][-1], rel=0.1)
