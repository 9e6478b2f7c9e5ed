"""Training precision (issue 16, item 5): ``--config paper`` trains in fp32 (TF32 allowed) on CUDA like the
official code; bf16 autocast only when asked. Resolved on the CPU for a CUDA device, no GPU needed."""

import pytest
import torch

from coamd.config import ConfigError
from coamd.train.config import load_train_config
from coamd.train.precision import BF16_NOTE, resolve_precision

KINDS = ("ae", "mar", "generator", "length")


@pytest.mark.parametrize("config", ["paper", "kit-paper"])
def test_paper_config_resolves_to_fp32_with_tf32_on_cuda(config):
    for kind in KINDS:
        cfg = load_train_config(kind, config)
        p = resolve_precision(cfg.amp, "cuda", bf16_supported=True, tf32=cfg.tf32)
        assert (p.autocast, p.dtype, p.tf32) == (False, torch.float32, True), kind
        assert p.name == "fp32 (TF32 allowed)" and not p.note


def test_bf16_only_when_asked_and_with_a_note():
    cfg = load_train_config("generator", "paper", ["amp=bf16"])
    p = resolve_precision(cfg.amp, "cuda", bf16_supported=True, tf32=cfg.tf32)
    assert (p.autocast, p.dtype) == (True, torch.bfloat16) and p.note == BF16_NOTE
    off = load_train_config("generator", "paper", ["tf32=false"])
    assert resolve_precision(off.amp, "cuda", tf32=off.tf32).name == "fp32"


def test_small_configs_keep_auto_mixed_precision():
    cfg = load_train_config("mar", "cpu-small")
    assert cfg.amp == "auto"
    assert resolve_precision(cfg.amp, "cuda", bf16_supported=True).dtype == torch.bfloat16
    assert resolve_precision(cfg.amp, "cuda", bf16_supported=False).dtype == torch.float16


def test_cpu_trains_in_fp32_unless_bf16_is_asked_for():
    for amp in ("auto", "fp32", "off", "fp16", True, False):
        p = resolve_precision(amp, "cpu")
        assert (p.autocast, p.dtype, p.tf32) == (False, torch.float32, False), amp
    assert "CUDA only" in resolve_precision("fp16", "cpu").note
    p = resolve_precision("bf16", "cpu")
    assert (p.autocast, p.dtype, p.tf32) == (True, torch.bfloat16, False) and p.note.startswith(BF16_NOTE)


def test_unknown_amp_is_a_config_error():
    with pytest.raises(ConfigError, match="amp"):
        load_train_config("generator", "paper", ["amp=fp8"])
