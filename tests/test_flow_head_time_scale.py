"""The flow head's time input (issue 16, item 2): ``HeadConfig.time_scale``.

* The paper config feeds raw t ∈ [0, 1] to the time embedder, as the official SiT head does, so an
  official-layout state dict copied into a coamd head gives the official head's outputs.
* The bundled cpu-small weights were trained with 1000·t: their stored config has no ``time_scale``
  and loads as 1000, and their output is bit-for-bit what it was before the field existed.
"""

import math

import pytest
import torch
from torch import nn

from coamd.config import to_dict
from coamd.models import HeadConfig, load_checkpoint, load_model_config
from coamd.models.checkpoint import save_checkpoint
from coamd.models.config import LEGACY_TIME_SCALE, tiny_config
from coamd.models.flow_head import FlowHead, convert_official_state
from coamd.models.layers import timestep_embedding
from coamd.tasks.bundle import BUNDLE_FILE, DEFAULT_BUNDLE


# ---------------------------------------------------------------------------------- official reference
class OfficialTimestepEmbedder(nn.Module):
    """SiT/DiT ``TimestepEmbedder`` as upstream's head uses it (paper-brief §3.4-§3.5): the raw t (the
    SiT transport's t ∈ [0, 1]) -> [cos | sin] features of ``frequency_embedding_size`` -> MLP with SiLU."""

    def __init__(self, hidden_size: int, frequency_embedding_size: int = 256) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(frequency_embedding_size, hidden_size), nn.SiLU(),
                                 nn.Linear(hidden_size, hidden_size))
        self.frequency_embedding_size = frequency_embedding_size

    @staticmethod
    def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000) -> torch.Tensor:
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half)
        args = t[:, None].float() * freqs[None]
        return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.timestep_embedding(t, self.frequency_embedding_size))


def modulate(x, shift, scale):
    return x * (1 + scale) + shift


class OfficialResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.in_ln = nn.LayerNorm(channels, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(channels, channels), nn.SiLU(), nn.Linear(channels, channels))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(channels, 3 * channels))

    def forward(self, x, y):
        shift, scale, gate = self.adaLN_modulation(y).chunk(3, dim=-1)
        return x + gate * self.mlp(modulate(self.in_ln(x), shift, scale))


class OfficialFinalLayer(nn.Module):
    def __init__(self, model_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm_final = nn.LayerNorm(model_channels, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(model_channels, out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(model_channels, 2 * model_channels))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=-1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class OfficialSimpleMLPAdaLN(nn.Module):
    """A faithful small reference of upstream's ``SimpleMLPAdaLN`` velocity head (paper-brief §3.4):
    y = time_embed(t) + cond_embed(z); x -> input_proj -> ResBlocks(adaLN from y) -> FinalLayer.
    Parameter names are the official ones; init is random everywhere (no adaLN-zero), so every weight
    matters for the comparison."""

    def __init__(self, in_channels: int, model_channels: int, z_channels: int, num_res_blocks: int,
                 freq_dim: int) -> None:
        super().__init__()
        self.time_embed = OfficialTimestepEmbedder(model_channels, freq_dim)
        self.cond_embed = nn.Linear(z_channels, model_channels)
        self.input_proj = nn.Linear(in_channels, model_channels)
        self.res_blocks = nn.ModuleList([OfficialResBlock(model_channels) for _ in range(num_res_blocks)])
        self.final_layer = OfficialFinalLayer(model_channels, in_channels)

    def forward(self, x, t, c):
        x = self.input_proj(x)
        y = self.time_embed(t) + self.cond_embed(c)
        for block in self.res_blocks:
            x = block(x, y)
        return self.final_layer(x, y)


def _official_and_ours(time_scale: float):
    torch.manual_seed(0)
    official = OfficialSimpleMLPAdaLN(in_channels=16, model_channels=48, z_channels=24, num_res_blocks=3, freq_dim=32)
    with torch.no_grad():
        for p in official.parameters():
            p.normal_(0, 0.2)
    ours = FlowHead(16, 24, HeadConfig(width=48, depth=3, freq_dim=32, batch_mul=1, time_scale=time_scale))
    ours.load_state_dict(convert_official_state(official.state_dict()), strict=True)
    return official.eval(), ours.eval()


def test_paper_config_feeds_raw_t_like_the_official_head():
    assert load_model_config("paper").head.time_scale == 1.0
    assert HeadConfig().time_scale == 1.0
    assert load_model_config("cpu-small").head.time_scale == LEGACY_TIME_SCALE == 1000.0


def test_an_official_layout_state_dict_gives_the_official_outputs():
    official, ours = _official_and_ours(time_scale=1.0)
    g = torch.Generator().manual_seed(1)
    x, z = torch.randn(40, 16, generator=g), torch.randn(40, 24, generator=g)
    t = torch.rand(40, generator=g)
    with torch.no_grad():
        ref, out = official(x, t, z), ours(x, t, z)
        torch.testing.assert_close(out, ref, rtol=0, atol=1e-6)
        _, scaled = _official_and_ours(time_scale=1000.0)       # the old convention on the same weights differs
        assert (scaled(x, t, z) - ref).abs().max() > 1e-2


def test_checkpoints_without_the_field_load_as_1000(tmp_path):
    cfg = tiny_config()
    cfg.head.time_scale = 1.0
    path = tmp_path / "gen.pt"
    save_checkpoint(path, {}, cfg)
    assert load_checkpoint(path)[0].head.time_scale == 1.0                  # stored: kept
    payload = torch.load(path, weights_only=True)
    del payload["model_config"]["head"]["time_scale"]                        # a checkpoint from before the field
    torch.save(payload, path)
    assert load_checkpoint(path)[0].head.time_scale == 1000.0
    assert "time_scale" in to_dict(cfg)["head"]


def test_time_scale_must_be_positive():
    from coamd.config import ConfigError

    with pytest.raises(ConfigError, match="time_scale"):
        load_model_config("paper", ["head.time_scale=0"])


# ---------------------------------------------------------------------------------- the bundled weights
class PreFieldTimeEmbedder(nn.Module):
    """The time embedder as it was before ``time_scale`` existed: t·1000, hard-coded."""

    def __init__(self, mlp: nn.Sequential, freq_dim: int) -> None:
        super().__init__()
        self.mlp, self.freq_dim = mlp, freq_dim

    def forward(self, t):
        emb = timestep_embedding(t * 1000.0, self.freq_dim)
        return self.mlp(emb.to(self.mlp[0].weight.dtype))


@pytest.mark.skipif(not (DEFAULT_BUNDLE / BUNDLE_FILE).is_file(), reason=f"no bundled weights at {DEFAULT_BUNDLE}")
def test_bundled_generator_output_is_bit_for_bit_unchanged():
    from coamd.tasks import load_bundle

    stored = torch.load(DEFAULT_BUNDLE / "generator.pt", weights_only=True)["model_config"]["head"]
    assert "time_scale" not in stored                                        # the bundle is not rewritten
    now, before = load_bundle(parts=("generator",)), load_bundle(parts=("generator",))
    assert now.config("generator").head.time_scale == 1000.0
    head = before.generator.head
    head.time = PreFieldTimeEmbedder(head.time.mlp, head.time.freq_dim)
    cond = torch.randn(3, now.config("generator").text.sentence_dim, generator=torch.Generator().manual_seed(0))
    lengths = torch.tensor([5, 9, 12])
    def run(b):
        return b.generator.generate(cond, lengths, decode_steps=4, cfg_scale=2.5, sampler="euler", ode_steps=4,
                                    generator=torch.Generator().manual_seed(3))

    assert now.generator is not before.generator
    assert torch.equal(run(now), run(before))
    now.generator.head.time.scale = 1.0                                      # the paper convention differs
    assert not torch.equal(run(now), run(before))
