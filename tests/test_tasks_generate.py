"""Text-to-motion generation, MAR guidance and long-motion chaining on a tiny random-weight bundle."""

import numpy as np
import pytest
import torch

from coamd.errors import CoamdError
from coamd.tasks import generate, generate_sequence, load_bundle, make_random_bundle, sampling_settings
from coamd.tasks.generate import generate_tokens, read_prompts
from coamd.tasks.guidance import reward, text_targets
from coamd.tasks.long_motion import plan_chunks, stitch

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST = {"sampler": "euler", "ode_steps": 3}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny", defaults=FAST)
    return load_bundle(root)


def test_lengths_shapes_and_seeds(bundle):
    out = generate(bundle, ["a person walks forward", "someone jumps"], [3.0, 1.0], num_samples=2, seed=7)
    assert len(out) == 4 and out.lengths == [60, 60, 20, 20]
    assert all(m.shape[1:] == (22, 3) and m.dtype == np.float32 and np.isfinite(m).all() for m in out)
    assert out.texts == ["a person walks forward"] * 2 + ["someone jumps"] * 2 and out.seeds == [7, 8, 9, 10]
    assert out.padded().shape == (4, 60, 22, 3) and not out.padded()[2, 20:].any()
    again = generate(bundle, ["a person walks forward", "someone jumps"], [3.0, 1.0], num_samples=2, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(out, again))                       # seeded: reproducible
    other = generate(bundle, ["a person walks forward"], 3.0, seed=8)
    assert not np.array_equal(other[0], out[0])
    assert generate(bundle, ["a never seen sentence about zorbing"], 2.0)[0].shape == (40, 22, 3)


def test_auto_length_comes_from_the_estimator(bundle):
    head = bundle.length.net[-1]
    saved = head.bias.detach().clone()
    try:
        with torch.no_grad():
            head.weight.mul_(0.0)
            head.bias.fill_(-50.0)
            head.bias[16] = 50.0                               # class 16 = 17 tokens = 68 frames
        out = generate(bundle, ["walk", "wave"], None, num_samples=2)
        assert out.lengths == [68] * 4
        assert out.config["lengths_seconds"] == [None, None]
    finally:
        bundle.length.load_state_dict(torch.load(bundle.files["length"], weights_only=True)["state"]["length"])
        assert torch.equal(head.bias, saved)


def test_bad_inputs_are_one_line_errors(bundle, tmp_path):
    with pytest.raises(CoamdError, match="text 2 is empty"):
        generate(bundle, ["walk", "  "], 2.0)
    with pytest.raises(CoamdError, match="outside 1-60 s"):
        generate(bundle, ["walk"], 61)
    with pytest.raises(CoamdError, match="sampler"):
        sampling_settings(bundle, sampler="rk4")
    p = tmp_path / "prompts.txt"
    p.write_text("# comment\na person runs#3.5\nsit down#auto\nwave\n\n")
    assert read_prompts(p) == [("a person runs", 3.5), ("sit down", None), ("wave", None)]
    p.write_text("walk#2\nrun#fast\n")
    with pytest.raises(CoamdError, match=r"prompts.txt:2: expected seconds"):
        read_prompts(p)
    p.write_text("# only a comment\n")
    with pytest.raises(CoamdError, match="no prompts"):
        read_prompts(p)


def test_guidance_changes_the_result_and_raises_the_reward(bundle):
    texts = ["a person walks forward", "someone jumps high", "a man waves", "kick"] * 2
    lengths = [15, 20, 10, 30] * 2
    e = text_targets(bundle, texts)
    rewards = {}
    for lam in (0.0, 3.0):
        z = generate_tokens(bundle, texts, lengths, 0, sampling_settings(bundle, guidance=lam))
        with torch.no_grad():
            rewards[lam] = (z, reward(bundle, z, torch.tensor(lengths), e))
    z0, r0 = rewards[0.0]
    z1, r1 = rewards[3.0]
    assert not torch.equal(z0, z1)
    assert r1.mean() > r0.mean() and (r1 > r0).float().mean() >= 0.75
    # lambda = 0 is exactly the unguided decoder (no hook at all)
    plain = bundle.generator.generate(bundle.sentences(texts), torch.tensor(lengths), decode_steps=12, cfg_scale=4.5,
                                      generator=torch.Generator().manual_seed(0), **FAST)
    assert torch.equal(plain, z0)


def test_guidance_reward_sees_every_decoded_frame(bundle):
    """§9.2: MAR gets 4 x token lengths; frames past a quarter of the motion change the reward."""
    texts, lengths = ["walk"], torch.tensor([12])
    e = text_targets(bundle, texts)
    z = torch.randn(1, 12, bundle.generator.latent_dim, generator=torch.Generator().manual_seed(0))
    z2 = z.clone()
    z2[0, 9:] += 3.0                                            # only the last quarter differs
    with torch.no_grad():
        assert not torch.isclose(reward(bundle, z, lengths, e), reward(bundle, z2, lengths, e))


def test_guidance_reward_weightings(bundle):
    """Issue 16: "fused" rewards only cos(f, e) (the embedding MAR aligns with text), "all" is upstream's
    0.7·cos(f, e) + 0.1 per stream; both are sampling options and steer differently."""
    import torch.nn.functional as F

    from coamd.tasks.codec import ae_to_mar

    texts, lengths = ["a person walks forward", "someone jumps high"], torch.tensor([12, 8])
    e = text_targets(bundle, texts)
    z = torch.randn(2, 12, bundle.generator.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        valid = (torch.arange(12)[None] < lengths[:, None]).float()[..., None]
        f, fj, fb, fm = bundle.mar.encode(ae_to_mar(bundle, bundle.ae.decode(z * valid)), lengths * bundle.unit_length)
        cos = [F.cosine_similarity(x, e, dim=-1) for x in (f, fj, fb, fm)]
        torch.testing.assert_close(reward(bundle, z, lengths, e, "fused"), cos[0])
        torch.testing.assert_close(reward(bundle, z, lengths, e, "all"),
                                   0.7 * cos[0] + 0.1 * cos[1] + 0.1 * cos[2] + 0.1 * cos[3])
    assert sampling_settings(bundle).guidance_reward == "fused"
    runs = {w: generate_tokens(bundle, texts, [12, 8], 0, sampling_settings(bundle, guidance=3.0, guidance_reward=w))
            for w in ("fused", "all")}
    assert not torch.equal(runs["fused"], runs["all"])
    with pytest.raises(CoamdError, match="--guidance-reward"):
        sampling_settings(bundle, guidance_reward="streams")


def test_chunk_plans_respect_the_segment_limit():
    for n in (1, 49, 50, 97, 300):
        plan = plan_chunks([("a", n)], 49, 5)
        assert sum(c for _, c in plan) == n and plan[0][1] <= 49 and all(c <= 44 for _, c in plan[1:])
    assert plan_chunks([("a", 10), ("b", 100)], 49, 5) == [("a", 10), ("b", 34), ("b", 33), ("b", 33)]


def _walk(T, speed=1.0, phase=0.0):
    t = np.arange(T) / 20.0
    x = np.zeros((T, 22, 3), np.float32)
    x[..., 1] = np.linspace(0.0, 1.6, 22)[None]
    x[..., 2] += (speed * t)[:, None]
    x[:, 20, 1] += 0.1 * np.sin(2 * np.pi * t + phase)
    return x


def _seam_ratio(m, starts, overlap):
    step = np.linalg.norm(np.diff(m, axis=0), axis=-1).max(axis=-1)          # (T-1,) max joint displacement
    seam = np.zeros(len(step), bool)
    for s in starts[1:]:
        seam[max(0, s - 2): s + overlap + 2] = True
    return step[seam].max() / np.percentile(step[~seam], 99)


def test_stitch_aligns_the_root_and_crossfades():
    prev = _walk(80, speed=0.5)
    new = _walk(100, speed=0.5, phase=2 * np.pi * 60 / 20.0)
    new[..., 2] += 0.5 * 60 / 20.0                            # the prefix re-creates prev's last 20 frames ...
    new = new + np.array([0.12, 0.02, -0.08], np.float32)     # ... up to an AE-like offset error
    out = stitch(prev, new, 20)
    assert out.shape == (160, 22, 3)
    assert np.array_equal(out[:60], prev[:60])
    assert _seam_ratio(out, [0, 60], 20) < 2.0
    naive = np.concatenate([prev, new[20:]])                  # plain concatenation jumps at the seam
    assert _seam_ratio(naive, [0, 80], 0) > 2.0


def test_long_lengths_and_sequences_are_chained_without_jumps(bundle):
    notes = []
    out = generate(bundle, ["a person walks in a long line"], 15.0, num_samples=2, notes=notes)
    assert out.lengths == [300, 300] and "chained segments" in notes[0]
    assert all(len(s) == 2 for s in out.segments)               # 15 s = 75 tokens -> chunks of 38 + 37
    for m, s in zip(out, out.segments):
        assert _seam_ratio(m, s, 20) < 2.0
    seq = generate_sequence(bundle, ["walk forward", "sit down on a chair", "stand up"], [3.0, 2.0, 2.5],
                            num_samples=1, seed=3)
    assert seq.lengths == [60 + 40 + 52] and seq.texts == ["walk forward; sit down on a chair; stand up"]
    assert seq.segments[0] == [0, 40, 80]                       # each overlap starts 20 frames before the join
    assert _seam_ratio(seq[0], seq.segments[0], 20) < 2.0


def test_save_writes_npy_and_samples_npz_atomically(bundle, tmp_path):
    out = generate(bundle, ["walk", "jump"], [2.0, 1.5], seed=1)
    folder = out.save(tmp_path / "gen", formats=["npy"])
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["000_walk.npy", "001_jump.npy", "samples.npz"]
    np.testing.assert_array_equal(np.load(folder / "001_jump.npy"), out[1])
    with np.load(folder / "samples.npz") as z:
        assert z["motions"].shape == (2, 40, 22, 3) and list(z["lengths"]) == [40, 32]
        assert list(z["texts"]) == ["walk", "jump"] and list(z["seeds"]) == [1, 2]
        assert "sampler: euler" in str(z["config"])
    with pytest.raises(FileExistsError):
        out.save(tmp_path / "gen", formats=["npy"])
    with pytest.raises(CoamdError, match="--format"):
        out.save(tmp_path / "gen2", formats=["npy", "avi"])
    assert not (tmp_path / "gen2").exists()
