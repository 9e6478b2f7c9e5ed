"""coamd.evaluation: GloVe/Parquet loading, caption inputs, the two evaluators, the Evaluators
wrapper and its checkpoints, the metric protocol, and training through coamd.train."""

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coamd.config import ConfigError
from coamd.data import Normalizer
from coamd.errors import CoamdError
from coamd.evaluation import (
    EvaluatorModel,
    Evaluators,
    GloveError,
    WordVocab,
    caption_batch,
    evaluate_generation,
    load_evaluator_config,
    load_glove,
    tag_words,
    tiny_evaluator_config,
    word_inputs,
)
from coamd.io.parquet import ParquetError, read_string_column, rle_bitpacked, snappy_decompress
from coamd.metrics import fid, r_precision
from coamd.models import CheckpointError
from coamd.text import build_text_encoder
from coamd.train.task_evaluator import EvaluatorTask, load_evaluator_train_config
from helpers import torch_threads

ACTIONS = ("walks", "jumps", "waves", "squats")


def synth_clip(rng, act: int, side: int, speed: int, count: int, T: int, L: int) -> np.ndarray:
    """(T, 22, 3) joints whose pattern is fixed by the four caption factors; frames >= L are zero."""
    t = np.arange(T) / 20.0
    end = t[L - 1]
    x = 0.05 * rng.standard_normal((T, 22, 3))
    env = np.exp(-((t - end * (0.5 if count == 0 else 0.25)) ** 2) / 0.3)
    if count:
        env += np.exp(-((t - end * 0.75) ** 2) / 0.3)
    wave = np.sin(2 * np.pi * (1.0 if speed == 0 else 2.5) * t) * env   # (T,)
    x[:, np.arange(22) % 4 == act, act % 3] += 1.5 * wave[:, None]
    x[:, :, 0] += (1.0 if side else -1.0) * 0.8 * t[:, None] / end
    x[L:] = 0.0
    return x.astype(np.float32)


def synth_pairs(seed: int = 0, T: int = 64):
    """32 (caption, motion) pairs, one per combination of action x side x speed x count."""
    rng = np.random.default_rng(seed)
    caps, motions, lengths = [], [], []
    for act, side, speed, count in itertools.product(range(4), range(2), range(2), range(2)):
        caps.append(f"a person {ACTIONS[act]} to the {('left', 'right')[side]} {('slowly', 'quickly')[speed]} "
                    f"{('once', 'twice')[count]}")
        L = int(rng.integers(40, T + 1))
        motions.append(synth_clip(rng, act, side, speed, count, T, L).reshape(T, 66))
        lengths.append(L)
    return caps, torch.from_numpy(np.stack(motions)), torch.tensor(lengths)


@pytest.fixture(scope="module")
def glove():
    return load_glove()


@pytest.fixture(scope="module")
def trained(glove):
    """A tiny evaluator pair overfitted on the 32 synthetic pairs (about 5 s on one core)."""
    with torch_threads(1):
        return _overfit_evaluator(glove)


def _overfit_evaluator(glove) -> dict:
    caps, x, n = synth_pairs()
    cfg = tiny_evaluator_config()
    vocab = WordVocab.build(glove, caps, top_k=200)
    torch.manual_seed(1)
    model = EvaluatorModel(cfg, torch.from_numpy(vocab.vectors))
    encoder = build_text_encoder("hash", dim=cfg.text_dim, max_tokens=cfg.text_max_tokens)
    batch = {"motion": x, "length": n, **caption_batch(caps, vocab, cfg.max_words, encoder)}
    before = _matcher_top1(model, batch)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        loss, logs = model.loss(batch, g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    ev = Evaluators(model, vocab, "hash", encoder=encoder)
    return {"ev": ev, "caps": caps, "x": x, "n": n, "before": before, "logs": logs}


def _matcher_top1(model, batch) -> float:
    model.eval()
    with torch.no_grad():
        t = model.matcher.encode_text(batch["word_ids"], batch["pos_ids"], batch["word_lengths"])
        m = model.matcher.encode_motion(batch["motion"], batch["length"])
    model.train()
    return float(r_precision(t.numpy(), m.numpy())[0])


# ---------------------------------------------------------------------------- GloVe and words
def test_snappy_and_rle_decoders_follow_the_format():
    # literal "abc", then a 1-byte-offset copy of length 7 at offset 3 (overlapping): "abcabcabca"
    block = bytes([10, (3 - 1) << 2]) + b"abc" + bytes([0b001 | ((7 - 4) << 2), 3])
    assert snappy_decompress(block) == b"abcabcabca"
    with pytest.raises(ParquetError):
        snappy_decompress(bytes([10, 0b001 | (3 << 2), 9]))          # copy before the start
    # RLE run: 3 x value 5 (header 3<<1, 1 byte value); bit-packed run: 8 values of width 3
    packed = np.packbits(np.array([[(v >> b) & 1 for b in range(3)] for v in range(8)], np.uint8).reshape(-1),
                         bitorder="little").tobytes()
    buf = bytes([3 << 1, 5, (1 << 1) | 1]) + packed
    assert rle_bitpacked(buf, 3, 11).tolist() == [5, 5, 5, 0, 1, 2, 3, 4, 5, 6, 7]


def test_glove_loads_offline_from_the_package(glove, monkeypatch, tmp_path):
    assert glove.dim == 50 and len(glove.words) == 400000 and glove.words[0] == "the"

    def cos(a, b):
        u, v = glove.vectors[glove.index[a]], glove.vectors[glove.index[b]]
        return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))

    assert cos("walk", "walking") > 0.8 > cos("walk", "banana")
    assert read_string_column(Path(glove.source) / "glove_6B_index.parquet", "index")[:3] == ["the", ",", "."]
    with pytest.raises(ParquetError, match="no column"):
        read_string_column(Path(glove.source) / "glove_6B_index.parquet", "word")
    # a plain glove.*.txt file through the environment variable
    txt = tmp_path / "glove.tiny.3d.txt"
    txt.write_text("walk 1 0 0\nrun 0 1 0\n")
    monkeypatch.setenv("COAMD_GLOVE_PATH", str(txt))
    small = load_glove()
    assert small.words == ("walk", "run") and small.dim == 3
    with pytest.raises(GloveError, match="not found"):
        load_glove(str(tmp_path / "missing.txt"))


def test_vocab_keeps_frequent_and_caption_words_and_maps_the_rest_to_unk(glove):
    vocab = WordVocab.build(glove, ["a person cartwheels counterclockwise"], top_k=100)
    assert vocab.words[:4] == ["<pad>", "<sos>", "<eos>", "<unk>"]
    assert "cartwheels" in vocab.row and "the" in vocab.row and len(vocab) == 4 + 100 + 3  # + person, cartwheels, counterclockwise
    np.testing.assert_array_equal(vocab.vectors[vocab.row["cartwheels"]], glove.vectors[glove.index["cartwheels"]])
    ids, pos, n = word_inputs(["The person cartwheels zzqqx", "walks"], vocab, max_words=20)
    assert n.tolist() == [6, 3] and ids[0, 0] == 1 and ids[0, 5] == 2 and ids[0, 4] == 3  # <sos> ... <unk> <eos>
    assert ids.shape == pos.shape == (2, 6) and ids[1, 3:].eq(0).all()


def test_rule_based_pos_tags_mark_motion_words():
    words, tags = tag_words("A man walks forward slowly, then waves his left hand twice.", 20)
    from coamd.evaluation import POS_TAGS

    named = dict(zip(words, [POS_TAGS[t] for t in tags]))
    assert named == {"a": "DET", "man": "PRON", "walks": "ACT", "forward": "LOC", "slowly": "DESC",
                     "then": "ADP", "waves": "ACT", "his": "PRON", "left": "LOC", "hand": "BODY", "twice": "DESC"}
    assert len(tag_words(" ".join(["walk"] * 30), 20)[0]) == 20


# ---------------------------------------------------------------------------- networks
def test_shapes_finite_losses_and_padding_invariance(glove):
    caps, x, n = synth_pairs(seed=3)
    cfg = tiny_evaluator_config()
    vocab = WordVocab.build(glove, caps, top_k=0)
    model = EvaluatorModel(cfg, torch.from_numpy(vocab.vectors)).eval()
    enc = build_text_encoder("hash", dim=cfg.text_dim)
    batch = {"motion": x, "length": n, **caption_batch(caps, vocab, cfg.max_words, enc)}
    loss, logs = model.loss(batch, torch.Generator().manual_seed(0))
    assert loss.dim() == 0 and torch.isfinite(loss) and {"match_loss", "clip_loss", "loss"} <= set(logs)
    with torch.no_grad():
        m = model.matcher.encode_motion(x, n)
        c = model.clip.encode_motion(x, n)
        # the same motions cut to their own length, one at a time, or padded with 40 more frames
        single = torch.cat([model.matcher.encode_motion(x[i:i + 1, : n[i]], n[i:i + 1]) for i in range(4)])
        padded = model.matcher.encode_motion(F.pad(x, (0, 0, 0, 40)), n)
        clip_single = torch.cat([model.clip.encode_motion(x[i:i + 1, : n[i]], n[i:i + 1]) for i in range(4)])
    assert m.shape == (32, cfg.matcher.embed_dim) and c.shape == (32, cfg.clip.embed_dim)
    torch.testing.assert_close(single, m[:4], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(padded, m, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(clip_single, c[:4], atol=1e-4, rtol=1e-4)
    with pytest.raises(CoamdError, match="lengths"):
        model.matcher.encode_motion(x[:2], torch.tensor([3, 40]))        # under one 4-frame step
    with pytest.raises(CoamdError, match="expected shape"):
        model.clip.encode_motion(x[..., :63], n)


def test_margin_loss_modes_and_false_negatives():
    from coamd.evaluation import margin_loss

    text = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    motion = text.clone()
    caps = ["walk", "run", "walk"]                       # rows 0 and 2 share a caption: never negatives
    loss, logs = margin_loss(text, motion, caps, margin=10.0, negatives="all")
    # positives at distance 0; negatives (0,1), (1,0), (1,2), (2,1) at distances 3, 3, 5, 5
    assert float(loss) == pytest.approx(logs["match_neg"]) and logs["match_pos"] == 0 and logs["match_neg"] == pytest.approx((49 + 49 + 25 + 25) / 4)
    g = torch.Generator().manual_seed(0)
    _, shifted = margin_loss(text, motion, caps, margin=10.0, generator=g, negatives="shift")
    assert shifted["match_neg"] == pytest.approx((49 + 25) / 2)   # either shift: one 3-away and one 5-away pair
    with pytest.raises(CoamdError, match="negatives"):
        margin_loss(text, motion, caps, 10.0, negatives="some")


def test_overfitting_32_pairs_lifts_r_precision_far_above_chance(trained):
    ev, caps, x, n = trained["ev"], trained["caps"], trained["x"], trained["n"]
    assert trained["before"] < 0.3                                   # chance is 1/32
    t, m = ev.embed_texts(caps).numpy(), ev.embed_motions(x, n).numpy()
    assert r_precision(t, m)[0] > 0.8
    fresh = Evaluators(ev.model, ev.vocab, "hash", encoder=ev.encoder)                # empty caption cache
    torch.testing.assert_close(fresh.embed_texts(caps[::-1] + caps[:2], batch_size=5)[:32],
                               torch.from_numpy(t[::-1].copy()), atol=1e-5, rtol=1e-5)
    ct, cm = ev.clip_embed_texts(caps), ev.clip_embed_motions(x, n)
    assert ((ct @ cm.T).argmax(dim=1) == torch.arange(32)).float().mean() > 0.8
    torch.testing.assert_close(cm.norm(dim=-1), torch.ones(32))
    # FID of the real embeddings against themselves is zero; against other motions it is not
    assert abs(fid(m, m)) < 1e-6
    other = ev.embed_motions(torch.roll(x, 12, dims=1), n).numpy()
    assert fid(m, other) > 10 * abs(fid(m, m)) + 1e-3


def test_evaluate_generation_scores_matched_above_mismatched(trained):
    ev, caps, x, n = trained["ev"], trained["caps"], trained["x"], trained["n"]
    # the fixture's motions are already in the evaluators' space: identity Mean/Std, joints = features
    ev = Evaluators(ev.model, ev.vocab, "hash", normalizer=Normalizer(np.zeros(66), np.ones(66)), encoder=ev.encoder)
    joints = [x[i, : n[i]].numpy().reshape(-1, 22, 3) for i in range(32)]
    caps2, gt = caps * 2, joints * 2                                  # 64 pairs = two pools of 32
    wrong = [gt[i] for i in np.roll(np.arange(64), 5)]
    mm = [[joints[(i + k * 7) % 32] for k in range(4)] for i in range(8)]   # G=8 captions, R=4 different motions
    out = evaluate_generation(ev, caps2, gt, wrong, mm_motions=mm)
    real = evaluate_generation(ev, caps2, gt, gt)
    assert real["r_precision_top1"] > 0.7 and out["r_precision_top1"] < 0.3
    assert real["r_precision_top1"] <= real["r_precision_top2"] <= real["r_precision_top3"]
    assert out["matching_distance"] > real["matching_distance"]
    assert real["clip_score"] > out["clip_score"]
    assert abs(out["fid"]) < 1e-6 and abs(real["fid"]) < 1e-6       # the same motion set, re-paired
    assert out["multimodality"] > 0 and out["diversity"] > 0 and "multimodality" not in real
    assert evaluate_generation(ev, caps2, gt, wrong, mm_motions=mm) == out      # seeded: the same pairs again
    assert {"foot_skating", "jitter", "bone_variation"} <= set(out) and all(np.isfinite(list(out.values())))
    # the one R-precision: the metrics function on the pooled embeddings, in the order given
    t, m = ev.embed_texts(caps2).numpy(), ev.embed_motions(torch.cat([x, x]), torch.cat([n, n])).numpy()
    assert real["r_precision_top1"] == pytest.approx(r_precision(t, m)[0])
    with pytest.raises(CoamdError, match="at least 32"):
        evaluate_generation(ev, caps[:16], joints[:16], joints[:16])
    with pytest.raises(CoamdError, match="without Mean/Std"):
        evaluate_generation(trained["ev"], caps2, gt, gt)


# ---------------------------------------------------------------------------- checkpoints
def test_checkpoint_round_trip_is_exact_and_strict(trained, tmp_path):
    ev, caps, x, n = trained["ev"], trained["caps"], trained["x"], trained["n"]
    path = ev.save(tmp_path / "ev")
    assert path.name == "evaluators.pt"
    assert isinstance(torch.load(path, weights_only=True), dict)            # plain dicts only
    back = Evaluators.load(tmp_path / "ev")
    assert back.text_backend == "hash" and back.vocab.words == ev.vocab.words
    torch.testing.assert_close(back.embed_motions(x, n), ev.embed_motions(x, n))
    torch.testing.assert_close(back.embed_texts(caps), ev.embed_texts(caps))
    torch.testing.assert_close(back.clip_embed_texts(caps), ev.clip_embed_texts(caps))
    half = Evaluators.load(ev.save(tmp_path / "half.pt", fp16=True))           # the bundled evaluators' storage
    assert (tmp_path / "half.pt").stat().st_size < 0.6 * path.stat().st_size
    assert next(half.model.parameters()).dtype == torch.float32
    torch.testing.assert_close(half.embed_motions(x, n), ev.embed_motions(x, n), rtol=2e-2, atol=2e-2)
    payload = ev.payload()
    state = payload["state"]["evaluator"]
    key = next(k for k in state if k.startswith("clip."))
    for broken, match in (({**payload, "state": {"evaluator": {k: v for k, v in state.items() if k != key}}},
                           "missing"),
                          ({**payload, "state": {"evaluator": {**state, "extra.weight": torch.zeros(1)}}},
                           "unexpected"),
                          ({**payload, "kind": "mar"}, "expected evaluators"),
                          ({**payload, "model_config": {**payload["model_config"], "bogus": 1}}, "bad evaluator")):
        torch.save(broken, tmp_path / "bad.pt")
        with pytest.raises(CheckpointError, match=match):
            Evaluators.load(tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="not found"):
        Evaluators.load(tmp_path / "nowhere")


def test_configs_presets_yaml_sections_and_overrides(tmp_path):
    assert load_evaluator_config().matcher.motion_hidden == 1024                   # Guo's sizes
    assert load_evaluator_config("kit-cpu-small").feature_dim == 63
    assert load_evaluator_config("tiny", ["matcher.embed_dim=24"]).matcher.embed_dim == 24
    yaml = tmp_path / "ev.yaml"
    yaml.write_text("evaluator:\n  clip: {layers: 3}\ntrain_evaluator:\n  batch_size: 8\n")
    assert load_evaluator_config(yaml).clip.layers == 3
    assert load_evaluator_train_config(yaml).batch_size == 8 and load_evaluator_train_config().seed != 0
    with pytest.raises(ConfigError, match="bogus"):
        load_evaluator_config("tiny", ["matcher.bogus=1"])
    with pytest.raises(ConfigError, match="not found"):
        load_evaluator_config("no-such-config")


# ---------------------------------------------------------------------------- training via coamd.train
def _write_corpus(root: Path, per_split: dict[str, int]) -> None:
    rng = np.random.default_rng(5)
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    combos = list(itertools.product(range(4), range(2), range(2), range(2)))
    k = 0
    for split, count in per_split.items():
        ids = []
        for _ in range(count):
            act, side, speed, times = combos[k % len(combos)]
            name = f"{k:05d}"
            np.save(root / "new_joints" / f"{name}.npy", synth_clip(rng, act, side, speed, times, 60, 60))
            cap = f"a person {ACTIONS[act]} to the {('left', 'right')[side]} {('slowly', 'quickly')[speed]}"
            (root / "texts" / f"{name}.txt").write_text(f"{cap}#a/DET#0.0#0.0\n")
            ids.append(name)
            k += 1
        (root / f"{split}.txt").write_text("\n".join(ids) + "\n")


def test_trains_through_the_generic_trainer_and_loads_as_evaluators(tmp_path, one_torch_thread):
    from coamd.data import resolve_data
    from coamd.train import DistInfo, TaskContext, Trainer

    _write_corpus(tmp_path / "corpus", {"train": 48, "val": 32, "test": 8})
    cfg = load_evaluator_train_config(None, ["text=hash", "max_steps=6", "val_every=0", "batch_size=16",
                                             "vocab_size=50", "log_every=2"])
    source = resolve_data(str(tmp_path / "corpus"))
    ctx = TaskContext(cfg=cfg, device=torch.device("cpu"), dist=DistInfo(), run_dir=tmp_path / "run",
                      progress=False)
    task = EvaluatorTask(ctx, tiny_evaluator_config(), source)
    result = Trainer(task, progress=False).fit()
    assert result.status == "done" and result.step == 6 and np.isfinite(result.last_loss)
    assert result.best["metric"] == "top1" and 0.0 <= result.best["value"] <= 1.0
    ev = Evaluators.load(tmp_path / "run")
    assert ev.info["dataset"] == source.name and ev.normalizer is not None and len(ev.vocab) > 4 + 50
    joints = np.load(tmp_path / "corpus" / "new_joints" / "00000.npy")          # (60, 22, 3)
    emb = ev.embed_motions(ev.normalize(joints)[None], [60])
    assert emb.shape == (1, 16) and torch.isfinite(emb).all()
    assert ev.clip_embed_texts(["a person waves"]).shape == (1, 16)


def test_real_clip_embeds_the_same_alone_or_in_a_padded_batch(trained, realdata):
    from coamd.data import compute_stats

    joints = np.load(realdata / "humanml3d_sample" / "new_joints" / "012314.npy")      # (170, 22, 3) metres
    x = compute_stats([joints]).normalize(joints.reshape(len(joints), 66)).astype(np.float32)
    ev, synth = trained["ev"], trained["x"][0].numpy()                                # (64, 66)
    batch = np.zeros((2, 196, 66), np.float32)
    batch[0, :170], batch[1, :64] = x, synth
    alone = ev.embed_motions(x[None], [170])
    padded = ev.embed_motions(batch, [170, 64])
    torch.testing.assert_close(padded[:1], alone, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ev.clip_embed_motions(batch, [170, 64])[:1], ev.clip_embed_motions(x[None], [170]),
                               atol=1e-4, rtol=1e-4)
    assert not torch.allclose(padded[0], padded[1])
