"""``coamd train ae`` decoder fine-tuning: init=, freeze_encoder, geometric terms, generated latents."""

import numpy as np
import pytest
import torch

from coamd.errors import CoamdError
from coamd.train import load_checkpoint
from helpers import read_rows as _rows
from helpers import train_tiny as _train

pytestmark = pytest.mark.usefixtures("one_torch_thread", "private_cache")


@pytest.fixture(scope="module")
def corpus(tiny_corpus):
    return tiny_corpus


BASE = ["batch_size=8", "max_epochs=0", "window_stride=8", "warmup_steps=0"]


def test_decoder_fine_tune_keeps_the_encoder_and_logs_the_new_terms(corpus, tmp_path):
    _train("ae", corpus, tmp_path / "base", [*BASE, "max_steps=3", "val_every=0"])
    base = load_checkpoint(tmp_path / "base", kind="ae")
    C = base["model_config"]["ae"]["latent_dim"]
    g = np.random.default_rng(0)
    lengths = [20, 16, 30]                                                    # tokens; the window needs 16
    np.savez(tmp_path / "gen.npz", latents=g.normal(0, 0.3, (sum(lengths), C)).astype(np.float16),
             offsets=np.concatenate([[0], np.cumsum(lengths)]), texts=np.array(["a", "b", "c"]))
    _, result = _train("ae", corpus, tmp_path / "tuned", [
        *BASE, "max_steps=3", "val_every=3", "lr=1e-3", f"init={tmp_path / 'base'}", "freeze_encoder=true",
        "geo_bone=0.2", "geo_contact=0.2", "geo_accel=0.2", "latent_noise=0.1",
        f"gen_latents={tmp_path / 'gen.npz'}", "gen_batch=2", "gen_jerk=0.05"])
    assert result.status == "done"
    tuned = load_checkpoint(tmp_path / "tuned" / "checkpoints" / "latest.pt", kind="ae")
    enc = [k for k in base["state"]["ae"] if k.startswith("encoder.")]
    dec = [k for k in base["state"]["ae"] if k.startswith("decoder.")]
    assert enc and dec
    for k in enc:                                                             # bit-identical encoder
        assert torch.equal(tuned["state"]["ae"][k], base["state"]["ae"][k]), k
    assert any(not torch.equal(tuned["state"]["ae"][k], base["state"]["ae"][k]) for k in dec)
    torch.testing.assert_close(tuned["extra"]["mean"], base["extra"]["mean"])   # the init's Mean/Std are kept
    log = _rows(tmp_path / "tuned" / "log.csv")[-1]
    assert {"geo_bone", "geo_contact", "geo_accel", "gen_bone", "gen_contact", "gen_jerk", "gen_anchor"} <= set(log)
    val = _rows(tmp_path / "tuned" / "val.csv")[-1]
    assert float(val["bone_var_mm"]) >= 0 and float(val["mpjpe_mm"]) > 0


def test_freezing_without_a_starting_checkpoint_is_a_clear_error(corpus, tmp_path):
    with pytest.raises(CoamdError, match="init="):
        _train("ae", corpus, tmp_path / "x", [*BASE, "max_steps=1", "freeze_encoder=true"])
