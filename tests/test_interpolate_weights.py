"""scripts/interpolate_weights.py (WiSE-FT): a MAR and its fine-tune mixed in weight space."""

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from coamd.models.checkpoint import read_payload
from coamd.tasks import load_bundle, make_random_bundle
from helpers import TINY_ACTIONS, make_tiny_corpus, train_tiny

pytestmark = pytest.mark.usefixtures("one_torch_thread", "private_cache")

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _main(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wise")
    corpus = make_tiny_corpus(tmp / "corpus")
    quick = ["max_epochs=0", "val_every=0", "batch_size=4"]
    train_tiny("mar", corpus, tmp / "base", [*quick, "max_steps=2"])
    base = tmp / "base" / "checkpoints" / "latest.pt"
    train_tiny("mar", corpus, tmp / "tuned", [*quick, "max_steps=3", "lr=1e-2", f"init={base}"])
    train_tiny("ae", corpus, tmp / "ae", [*quick, "max_steps=1"])
    return tmp, base, tmp / "tuned" / "checkpoints" / "latest.pt"


def test_the_mixture_lies_between_the_model_and_its_fine_tune(runs):
    tmp, base, tuned = runs
    outs = {}
    for a in (0.0, 0.3, 1.0):
        outs[a] = tmp / f"mix_{a}.pt"
        assert _main("interpolate_weights")([str(base), str(tuned), "--alpha", str(a), "--out", str(outs[a])]) == 0
    wb, wt = (read_payload(p)["state"]["mar"] for p in (base, tuned))
    changed = [k for k in wt if wt[k].is_floating_point() and not torch.equal(wb[k], wt[k])]
    assert changed                                     # the fine-tune moved some weights
    m0, m3, m1 = (read_payload(outs[a]) for a in (0.0, 0.3, 1.0))
    for k in changed:
        assert torch.allclose(m0["state"]["mar"][k], wb[k]) and torch.allclose(m1["state"]["mar"][k], wt[k])
        assert torch.allclose(m3["state"]["mar"][k], 0.7 * wb[k] + 0.3 * wt[k], atol=1e-6)
    assert "train" not in m3 and m3["extra"]["interpolation"]["alpha"] == 0.3
    assert m3["extra"]["interpolation"]["tuned_step"] == 3
    # it loads and ships like any MAR checkpoint; bundle.json records the mixture
    bundle = make_random_bundle(tmp / "bundle", labels=list(TINY_ACTIONS))
    assert _main("ship_mar")([str(outs[0.3]), str(bundle)]) == 0
    src = json.loads((bundle / "bundle.json").read_text())["sources"]["mar"]
    assert src["step"] == 3 and src["interpolation"]["alpha"] == 0.3 and src["interpolation"]["base"] == str(base)
    b = load_bundle(bundle)
    shipped = b.mar.state_dict()
    assert all(torch.allclose(shipped[k].float(), m3["state"]["mar"][k].float(), atol=1e-2) for k in changed)


def test_bad_inputs_are_one_line_errors_and_write_nothing(runs):
    tmp, base, tuned = runs
    out = tmp / "bad.pt"
    ae = tmp / "ae" / "checkpoints" / "latest.pt"
    with pytest.raises(SystemExit, match="kinds differ"):
        _main("interpolate_weights")([str(base), str(ae), "--alpha", "0.5", "--out", str(out)])
    with pytest.raises(SystemExit, match="alpha must be between 0 and 1"):
        _main("interpolate_weights")([str(base), str(tuned), "--alpha", "1.5", "--out", str(out)])
    with pytest.raises(SystemExit, match="checkpoint not found"):
        _main("interpolate_weights")([str(tmp / "nope.pt"), str(tuned), "--alpha", "0.5", "--out", str(out)])
    assert not out.exists()
    out.write_text("keep")
    with pytest.raises(SystemExit, match="exists"):
        _main("interpolate_weights")([str(base), str(tuned), "--alpha", "0.5", "--out", str(out)])
    assert out.read_text() == "keep"
