"""Each network can fit a tiny training batch: the losses, masks and samplers are wired correctly."""

import math

import pytest
import torch

from coamd.models import build_models, tiny_config


def g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(autouse=True)
def _seeded(one_torch_thread):
    """One thread (the tiny models run fastest so) and a fixed global seed for every test."""
    torch.manual_seed(0)


def test_autoencoder_reconstructs_a_small_batch():
    ae = build_models(tiny_config(), parts=("ae",))["ae"]
    t = torch.linspace(0, 1, 16)[None, :, None]
    freq = torch.rand(4, 1, 66, generator=g(1)) * 3 + 0.5
    x = torch.sin(2 * math.pi * freq * t + torch.rand(4, 1, 66, generator=g(2)) * 6.28)   # (4, 16, 66)
    lengths = torch.tensor([16, 16, 12, 8])
    opt = torch.optim.Adam(ae.parameters(), lr=3e-3)
    first = ae.loss(x, lengths)[0].item()
    for _ in range(100):
        loss, _ = ae.loss(x, lengths)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first / 10


def test_mar_separates_synthetic_action_classes():
    mar = build_models(tiny_config(), parts=("mar",))["mar"]
    labels = torch.arange(3).repeat_interleave(4)                                         # 3 classes x 4
    t = torch.linspace(0, 1, 16)[None, :, None]
    x = (torch.sin(2 * math.pi * (labels[:, None, None] + 1) * t + torch.rand(12, 1, 66, generator=g(1)) * 6.28)
         + 0.1 * torch.randn(12, 16, 66, generator=g(2)))                                 # class = frequency
    lengths = torch.tensor([16, 12] * 6)
    label_emb = torch.nn.functional.normalize(torch.randn(3, 16, generator=g(3)), dim=-1)
    tokens = torch.randn(3, 4, 16, generator=g(4))[labels]                                # one caption per class
    mask = torch.ones(12, 4, dtype=torch.bool)

    def accuracy() -> float:
        mar.eval()
        with torch.no_grad():
            f = mar.encode(x, lengths)[0]
            pred = mar.recognition_logits(f, label_emb).argmax(dim=1)
        mar.train()
        return (pred == labels).float().mean().item()

    opt = torch.optim.Adam(mar.parameters(), lr=1e-3)
    for _ in range(100):
        loss, logs = mar.loss(x, lengths, label_emb=label_emb[labels], label_ids=labels, text_tokens=tokens,
                              text_mask=mask, text_sentence=label_emb[labels])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert accuracy() == 1.0
    assert logs["desc_top1"] == 1.0


def test_generator_and_head_reproduce_training_latents_for_their_conditions():
    gen = build_models(tiny_config(), parts=("generator",))["generator"]
    latents = torch.randn(4, 4, 16, generator=g(5))                  # 4 sequences of 4 tokens, unit variance
    lengths = torch.tensor([4, 4, 3, 4])
    latents[2, 3:] = 0
    cond = torch.randn(4, 16, generator=g(6))
    opt = torch.optim.AdamW(gen.parameters(), lr=2e-3)
    rng = g(7)
    for _ in range(1000):
        loss, _ = gen.loss(latents, lengths, cond, generator=rng)
        opt.zero_grad()
        loss.backward()
        opt.step()
    valid = torch.arange(4)[None] < lengths[:, None]
    for sampler in ("euler", "dopri5"):
        out = gen.generate(cond, lengths, decode_steps=4, cfg_scale=1.0, sampler=sampler, ode_steps=16, generator=g(8))
        rms = (out - latents).pow(2).mean(-1).sqrt()[valid]          # per-token RMS error
        # different training sequences are ~1.4 apart per token: require 4x closer than that
        assert rms.max() < 0.35 and rms.mean() < 0.2, (sampler, rms)
        assert torch.equal(torch.cdist(out.flatten(1), latents.flatten(1)).argmin(1), torch.arange(4))
        assert torch.all(out[2, 3:] == 0)
