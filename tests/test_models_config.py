"""Model configs, paper parameter counts (meta device), checkpoints and ``coamd info``."""

import json
import time

import pytest
import torch

from coamd.cli import main
from coamd.config import ConfigError
from coamd.models import (
    CheckpointError,
    build_models,
    cpu_small_config,
    load_checkpoint,
    load_model_config,
    load_module,
    paper_config,
    parameter_counts,
    save_checkpoint,
    tiny_config,
)

# analytic counts of the upstream code (paper-brief §3.1-§3.4, §7.2), in millions
PAPER = {"ae": 19.0, "mar": 70.4, "generator": 114.4, "head": 270.9}


def test_paper_parameter_counts_within_one_percent_on_meta():
    t = time.perf_counter()
    pc = parameter_counts(load_model_config("paper"))
    assert time.perf_counter() - t < 20
    for part, ref in PAPER.items():
        got = getattr(pc, part) / 1e6
        assert abs(got - ref) / ref < 0.01, f"{part}: {got:.2f}M vs paper {ref}M"
    assert abs(pc.mar_stream / 1e6 - 17.5) < 0.1 and abs(pc.mar_text_tower / 1e6 - 17.1) < 0.1
    assert abs(pc.ae_encoder / 1e6 - 9.49) < 0.01 and abs(pc.ae_decoder / 1e6 - 9.55) < 0.01
    deep = parameter_counts(load_model_config("paper", ["generator.depth=8"]))
    assert abs(deep.generator / 1e6 - 152.2) / 152.2 < 0.01


def test_meta_build_allocates_nothing():
    m = build_models(paper_config(), parts=("generator",), device="meta")["generator"]
    assert all(p.device.type == "meta" for p in m.parameters())


def test_minilm_text_dims_add_projections():
    cfg = paper_config()
    cfg.text.sentence_dim = cfg.text.token_dim = 384
    pc, ref = parameter_counts(cfg), parameter_counts(paper_config())
    assert pc.mar_label_proj == 384 * 512 and ref.mar_label_proj == 0
    assert pc.mar_text_tower - ref.mar_text_tower == 384 * 512 + 512
    assert pc.generator - ref.generator == (384 - 512) * 1024


def test_yaml_configs_match_the_factories():
    assert load_model_config("paper") == paper_config()
    assert load_model_config("cpu-small") == cpu_small_config()
    assert load_model_config("kit-paper") == paper_config("kit21")
    kit = load_model_config("kit-cpu-small")
    assert kit == cpu_small_config("kit21") and kit.feature_dim == 63


def test_cpu_small_bundle_fits_30_megabytes_in_fp16():
    pc = parameter_counts(cpu_small_config())
    assert 2e6 < pc.total < 15e6
    assert pc.total * 2 / 2**20 < 30


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="generator.dpth"):
        load_model_config("paper", ["generator.dpth=3"])
    with pytest.raises(ConfigError, match="divisible"):
        load_model_config("paper", ["generator.heads=7"])
    with pytest.raises(ConfigError, match="skeleton"):
        load_model_config("paper", ["skeleton=smpl24"])


def test_checkpoint_roundtrip_is_strict_and_plain(tmp_path):
    cfg = tiny_config()
    torch.manual_seed(0)
    models = build_models(cfg)
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, models, cfg, step=12)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]          # no temp file left behind
    raw = torch.load(path, weights_only=True)                           # plain dicts only
    assert raw["step"] == 12 and raw["model_config"]["skeleton"] == "smpl22"
    cfg2, payload = load_checkpoint(path)
    assert cfg2 == cfg
    torch.manual_seed(1)
    fresh = build_models(cfg2)
    for part, module in fresh.items():
        load_module(module, payload, part, path)
        for (k, a), b in zip(models[part].state_dict().items(), module.state_dict().values()):
            assert torch.equal(a, b), k
    deeper = tiny_config()
    deeper.generator.depth = 3
    with pytest.raises(CheckpointError, match="unexpected|missing"):
        load_module(build_models(deeper, parts=("generator",))["generator"], payload, "generator", path)
    with pytest.raises(CheckpointError, match="no 'nope' weights"):
        load_module(fresh["ae"], payload, "nope", path)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_checkpoint(tmp_path / "junk.pt")


def test_info_cli_json_reports_paper_counts(capsys):
    assert main(["info", "--config", "paper", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for part, ref in PAPER.items():
        assert abs(out["params"][part] / 1e6 - ref) / ref < 0.01
    assert out["feature_dim"] == 66 and out["text"] == {"sentence_dim": 512, "token_dim": 512}


def test_info_cli_table_and_checkpoint(capsys, tmp_path):
    assert main(["info", "--config", "kit-cpu-small", "generator.depth=2"]) == 0
    text = capsys.readouterr().out
    assert "kit21 (63 input dims)" in text and "generator transformer (depth 2)" in text and "total" in text
    cfg = tiny_config()
    save_checkpoint(tmp_path / "c.pt", build_models(cfg, parts=("ae",)), cfg)
    assert main(["info", "--checkpoint", str(tmp_path / "c.pt")]) == 0
    assert "checkpoint holds: ae" in capsys.readouterr().out
    assert main(["info", "--config", "paper", "generator.depth=x"]) == 2
    assert "generator.depth" in capsys.readouterr().err
