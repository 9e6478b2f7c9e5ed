"""Text encoders (coamd.text): shapes, determinism, caching, MiniLM semantics, CLIP loading/errors."""

import json
import string

import pytest
import torch

from coamd.text import (
    TEXT_ENCODERS,
    EmbeddingCache,
    EmbeddingTable,
    TextEncoderError,
    build_text_encoder,
    encode_cached,
    load_text_encoder,
)

pytestmark = pytest.mark.usefixtures("private_cache")     # never touch the user's ~/.cache during tests


@pytest.fixture(scope="module")
def minilm():
    return load_text_encoder("minilm")


class Counting:
    """Wraps an encoder and counts how many texts reach the real encoder."""

    def __init__(self, enc):
        self.enc, self.seen = enc, []

    def __getattr__(self, name):
        return getattr(self.enc, name)

    def encode_sentences(self, texts, batch_size=256):
        self.seen.extend(texts)
        return self.enc.encode_sentences(texts, batch_size)


def test_registry_names_the_three_backends():
    assert set(TEXT_ENCODERS) == {"minilm", "clip", "hash"}
    with pytest.raises(TextEncoderError, match="unknown"):
        build_text_encoder("bert")


def test_hash_encoder_shapes_norms_and_determinism():
    enc = build_text_encoder("hash", dim=32)
    texts = ["a person walks forward", "jump", "A PERSON walks forward!"]
    s = enc.encode_sentences(texts)
    assert s.shape == (3, 32) and s.dtype == torch.float32
    torch.testing.assert_close(s.norm(dim=-1), torch.ones(3))
    torch.testing.assert_close(s[0], s[2])                      # case and punctuation do not matter
    torch.testing.assert_close(s, build_text_encoder("hash", dim=32).encode_sentences(texts))
    tok, mask = enc.encode_tokens(texts)
    assert tok.shape == (3, 4, 32) and mask.tolist()[1] == [True, False, False, False]
    assert enc.encode_sentences([]).shape == (0, 32)


def test_encoders_reject_a_bare_string():
    with pytest.raises(TextEncoderError, match="single string"):
        build_text_encoder("hash").encode_sentences("a person walks")


def test_minilm_shapes_and_similarity(minilm):
    s = minilm.encode_sentences(["a person walks", "someone is walking", "a person jumps"])
    assert s.shape == (3, 384) and minilm.dim == 384
    torch.testing.assert_close(s.norm(dim=-1), torch.ones(3))
    sim = s @ s.T
    assert sim[0, 1] > sim[0, 2] + 0.2
    tok, mask = minilm.encode_tokens(["a person walks", "jump"])
    assert tok.shape[0] == 2 and tok.shape[2] == 384 and mask.dtype == torch.bool
    assert mask[0].sum() > mask[1].sum()                          # the longer caption has more tokens
    assert not any(p.requires_grad for p in minilm.model.parameters())


def test_minilm_is_deterministic_and_batch_independent(minilm):
    texts = ["a man kicks with his left leg", "a woman waves both hands", "walk in a circle"]
    all_at_once = minilm.encode_sentences(texts)
    one_by_one = torch.cat([minilm.encode_sentences([t]) for t in texts])
    torch.testing.assert_close(all_at_once, one_by_one, atol=1e-5, rtol=1e-4)


def test_cache_hit_avoids_reencoding(tmp_path):
    enc = Counting(build_text_encoder("hash"))
    texts = ["walk", "run fast", "walk", "sit down"]
    first = encode_cached(enc, texts, cache=EmbeddingCache(enc.cache_key, enc.dim, tmp_path))
    assert sorted(enc.seen) == ["run fast", "sit down", "walk"]  # duplicates encoded once
    enc.seen.clear()
    again = encode_cached(enc, texts + ["wave"], cache=EmbeddingCache(enc.cache_key, enc.dim, tmp_path))
    assert enc.seen == ["wave"]                                   # a new process only encodes the new text
    torch.testing.assert_close(again[:4], first)
    assert len(EmbeddingCache(enc.cache_key, enc.dim, tmp_path)) == 4


def test_default_cache_lives_under_coamd_cache(tmp_path):
    enc = Counting(build_text_encoder("hash"))
    encode_cached(enc, ["turn left"])
    assert list((tmp_path / "cache" / "text").glob("*.sqlite"))
    enc.seen.clear()
    encode_cached(enc, ["turn left"])
    assert enc.seen == []


def test_embedding_table_encodes_each_caption_once_and_gathers_rows():
    enc = Counting(build_text_encoder("hash"))
    captions = ["walk", "a person jumps high", "walk", "wave"]
    table = EmbeddingTable.build(enc, captions, cache=False, tokens=True, progress=False)
    assert len(table) == 3 and len(enc.seen) == 3
    got = table.sentences(["wave", "walk"])
    torch.testing.assert_close(got, enc.enc.encode_sentences(["wave", "walk"]))
    tok, mask = table.tokens(["walk", "a person jumps high"])
    ref_tok, ref_mask = enc.enc.encode_tokens(["walk", "a person jumps high"])
    assert torch.equal(mask, ref_mask)
    torch.testing.assert_close(tok, ref_tok, atol=1e-2, rtol=1e-2)   # stored as float16
    torch.testing.assert_close(table.sentences(["never seen"]), enc.enc.encode_sentences(["never seen"]))


def test_embedding_table_skips_tokens_that_do_not_fit():
    enc = build_text_encoder("hash")
    table = EmbeddingTable.build(enc, ["walk", "run"], cache=False, tokens=True, max_token_bytes=10,
                                 progress=False)
    assert table.token_rows is None
    tok, mask = table.tokens(["walk", "run"])                         # computed on the fly instead
    assert tok.shape == (2, 1, enc.token_dim) and mask.all()


def test_clip_without_weights_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.delenv("COAMD_CLIP_PATH", raising=False)
    with pytest.raises(TextEncoderError, match="COAMD_CLIP_PATH") as e:
        build_text_encoder("clip")
    assert "\n" not in str(e.value) and "never downloads" in str(e.value)
    monkeypatch.setenv("COAMD_CLIP_PATH", str(tmp_path / "nope"))
    with pytest.raises(TextEncoderError, match="not found"):
        build_text_encoder("clip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TextEncoderError, match="config.json"):
        build_text_encoder("clip", path=tmp_path / "empty")


def _tiny_clip_folder(folder):
    """A randomly initialised 2-layer CLIP with a character-level tokenizer, saved like a real one."""
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

    vocab = {}
    for c in string.ascii_lowercase + string.digits + ".,'!?":
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    bos, eos = len(vocab), len(vocab) + 1
    vocab.update({"<|startoftext|>": bos, "<|endoftext|>": eos})
    CLIPTokenizer(vocab=vocab, merges=[]).save_pretrained(folder)
    torch.manual_seed(0)
    cfg = CLIPConfig(
        text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                     "num_attention_heads": 2, "max_position_embeddings": 77, "bos_token_id": bos,
                     "eos_token_id": eos, "pad_token_id": eos},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 16},
        projection_dim=24)
    CLIPModel(cfg).save_pretrained(folder)
    assert json.loads((folder / "config.json").read_text())["model_type"] == "clip"


def test_clip_loads_a_local_folder_from_the_environment(monkeypatch, tmp_path):
    _tiny_clip_folder(tmp_path / "clip")
    monkeypatch.setenv("COAMD_CLIP_PATH", str(tmp_path / "clip"))
    enc = build_text_encoder("clip")
    assert (enc.dim, enc.token_dim) == (24, 32)
    s = enc.encode_sentences(["a person walks", "jump"])
    assert s.shape == (2, 24)
    torch.testing.assert_close(s.norm(dim=-1), torch.ones(2))
    tok, mask = enc.encode_tokens(["a person walks", "jump"])
    assert tok.shape[:2] == mask.shape and mask[0].all() and not mask[1].all()
