"""Coarse-to-fine decoding, editing and batched CFG of the generator (paper-brief §3.4, §3.6, §3.8)."""

import itertools
import math

import pytest
import torch

from coamd.errors import CoamdError
from coamd.models import build_models, tiny_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def gen():
    torch.manual_seed(0)
    m = build_models(tiny_config(), parts=("generator",))["generator"]
    with torch.no_grad():   # give the zero-initialised adaLN/head layers weights so outputs are non-trivial
        for p in m.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g(1)))
    return m.eval()


def cond(b: int = 3, seed: int = 0) -> torch.Tensor:
    return torch.randn(b, 16, generator=g(seed))


def test_generate_respects_token_lengths(gen):
    lengths = torch.tensor([7, 3, 1])
    out = gen.generate(cond(), lengths, decode_steps=4, sampler="euler", ode_steps=3, generator=g())
    assert out.shape == (3, 7, 16)
    assert torch.all(out[1, 3:] == 0) and torch.all(out[2, 1:] == 0)
    assert torch.all(out[0].abs().sum(-1) > 0) and torch.all(out[1, :3].abs().sum(-1) > 0)
    assert torch.isfinite(out).all()


def test_generate_is_deterministic_for_a_seeded_generator(gen):
    lengths = torch.tensor([6, 4, 2])
    kw = {"decode_steps": 3, "sampler": "heun", "ode_steps": 2}
    a = gen.generate(cond(), lengths, generator=g(5), **kw)
    b = gen.generate(cond(), lengths, generator=g(5), **kw)
    c = gen.generate(cond(), lengths, generator=g(6), **kw)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert gen.training is False
    gen.train()
    d = gen.generate(cond(), lengths, generator=g(5), **kw)
    assert gen.training is True        # mode restored; generation itself ran in eval mode
    gen.eval()
    assert torch.equal(a, d)


def test_cosine_schedule_and_frozen_tokens(gen):
    seen = []

    def hook(latents, new, step):
        seen.append((step, new.clone(), latents.clone()))
        return latents

    lengths = torch.tensor([10, 49, 1])
    out = gen.generate(cond(), lengths, decode_steps=12, sampler="euler", ode_steps=1, generator=g(), on_step=hook)
    assert [s for s, _, _ in seen] == list(range(12))
    for b, l in enumerate(lengths.tolist()):
        counts = [int(new[b].sum()) for _, new, _ in seen]
        expect = [max(1, round(math.cos(math.pi / 2 * k / 11) * l)) for k in range(12)]
        assert counts == expect
        for (_, prev, _), (_, new, _) in itertools.pairwise(seen):
            assert torch.all(prev[b] | ~new[b])                # re-masked tokens come from the unfrozen set
        assert not seen[0][1][b, l:].any()                      # padding is never generated
    # every token's final value was written at the last step that selected it, and never after
    for b, l in enumerate(lengths.tolist()):
        for i in range(l):
            last = max(k for k, new, _ in seen if new[b, i])
            assert torch.equal(out[b, i], seen[last][2][b, i])
    frac = [round(math.cos(math.pi / 2 * k / 11), 2) for k in range(11)]
    assert frac == [1.0, 0.99, 0.96, 0.91, 0.84, 0.76, 0.65, 0.54, 0.42, 0.28, 0.14]   # brief §3.6


def test_hook_updates_are_kept_and_can_use_autograd(gen):
    def hook(latents, new, step):
        with torch.enable_grad():
            z = latents.clone().requires_grad_(True)
            (z ** 2).sum().backward()              # e.g. a reward gradient through a decoder
            return latents + 0.0 * z.grad + 100.0 * new[..., None]

    out = gen.generate(cond(2), torch.tensor([5, 3]), decode_steps=3, sampler="euler", ode_steps=1, generator=g(),
                       on_step=hook)
    assert out[0].min() > 50 and out[1, :3].min() > 50 and torch.all(out[1, 3:] == 0)
    with pytest.raises(CoamdError, match="on_step"):
        gen.generate(cond(2), torch.tensor([5, 3]), decode_steps=2, sampler="euler", ode_steps=1,
                     on_step=lambda z, m, k: z[:, :1])


def test_edit_keeps_unmasked_tokens_bit_exact(gen):
    source = torch.randn(3, 8, 16, generator=g(2))
    lengths = torch.tensor([8, 6, 4])
    mask = torch.zeros(3, 8, dtype=torch.bool)
    mask[0, 2:6] = True                       # in-betweening
    mask[1, 3:] = True                        # prefix kept, suffix regenerated (past the length too)
    out = gen.edit(cond(), source, lengths, mask, decode_steps=5, sampler="euler", ode_steps=2, generator=g(),
                   on_step=lambda z, m, k: z + 1.0)   # a hook that touches every token
    assert torch.equal(out[0, :2], source[0, :2]) and torch.equal(out[0, 6:], source[0, 6:])
    assert torch.equal(out[1, :3], source[1, :3]) and torch.all(out[1, 6:] == 0)
    assert torch.equal(out[2, :4], source[2, :4]) and torch.all(out[2, 4:] == 0)   # nothing to edit
    assert not torch.equal(out[0, 2:6], source[0, 2:6]) and not torch.equal(out[1, 3:6], source[1, 3:6])
    refined = gen.edit(cond(), source, lengths, None, decode_steps=3, sampler="euler", ode_steps=1, generator=g())
    changed = (refined != torch.where((torch.arange(8) < lengths[:, None])[..., None], source, 0)).any(-1)
    assert changed[0].any() and not changed[0].all()           # mask-free mode re-samples a subset


def test_cfg_velocity_uses_one_batched_forward_equal_to_two(gen):
    head = gen.head
    x, t = torch.randn(5, 16, generator=g(3)), torch.rand(5, generator=g(4))
    zc, zu = torch.randn(5, 64, generator=g(5)), torch.randn(5, 64, generator=g(6))
    with torch.no_grad():
        ref = head(x, t, zu) + 3.0 * (head(x, t, zc) - head(x, t, zu))
        torch.testing.assert_close(head.guided_velocity(x, t, zc, zu, 3.0), ref, rtol=1e-5, atol=1e-6)


def test_generate_batches_cond_and_uncond(gen, monkeypatch):
    calls = {"transformer": [], "head": []}
    orig_t, orig_h = type(gen).forward, type(gen.head).forward

    def t_fwd(self, tokens, valid, c):
        calls["transformer"].append(tokens.shape[0])
        return orig_t(self, tokens, valid, c)

    def h_fwd(self, x, t, z):
        calls["head"].append(x.shape[0])
        return orig_h(self, x, t, z)

    monkeypatch.setattr(type(gen), "forward", t_fwd)
    monkeypatch.setattr(type(gen.head), "forward", h_fwd)
    gen.generate(cond(), torch.tensor([4, 4, 2]), decode_steps=3, cfg_scale=2.5, sampler="euler", ode_steps=4, generator=g())
    assert calls["transformer"] == [6, 6, 6]                   # one forward of 2B rows per step
    assert len(calls["head"]) == 3 * 4                         # one head call per ODE evaluation
    calls["transformer"].clear()
    gen.generate(cond(), torch.tensor([4, 4, 2]), decode_steps=2, cfg_scale=1.0, sampler="euler", ode_steps=1, generator=g())
    assert calls["transformer"] == [3, 3]                      # no guidance, no uncond rows


def test_generate_stats_and_bad_inputs(gen):
    stats = {}
    gen.generate(cond(), torch.tensor([3, 2, 1]), decode_steps=2, sampler="dopri5", generator=g(), stats=stats)
    assert stats["nfe"] > 0 and stats["decode_steps"] == 2
    with pytest.raises(CoamdError, match="token lengths"):
        gen.generate(cond(), torch.tensor([0, 2, 1]))
    with pytest.raises(CoamdError, match="text embedding"):
        gen.generate(torch.zeros(3, 5), torch.tensor([1, 2, 1]))
    with pytest.raises(CoamdError, match="sampler"):
        gen.generate(cond(), torch.tensor([1, 2, 1]), sampler="rk4")
