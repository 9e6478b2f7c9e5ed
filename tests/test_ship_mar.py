"""scripts/ship_mar.py: a MAR training checkpoint into a bundle (label-list check, --labels-from-checkpoint)."""

import importlib.util
import json
from pathlib import Path

import pytest

from coamd.tasks import load_bundle, make_random_bundle
from helpers import TINY_ACTIONS, make_tiny_corpus, train_tiny

pytestmark = pytest.mark.usefixtures("one_torch_thread", "private_cache")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ship_mar.py"


def _ship():
    spec = importlib.util.spec_from_file_location("ship_mar", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def test_ship_a_mar_with_a_longer_label_list(tmp_path):
    corpus = make_tiny_corpus(tmp_path / "corpus")
    train_tiny("mar", corpus, tmp_path / "mar", ["max_epochs=0", "val_every=0", "batch_size=4", "max_steps=2"])
    ckpt = tmp_path / "mar" / "checkpoints" / "latest.pt"
    names = list(TINY_ACTIONS)
    bundle = make_random_bundle(tmp_path / "bundle", labels=names[:-1])   # the checkpoint's list minus its last
    with pytest.raises(SystemExit, match="differs"):
        _ship()([str(ckpt), str(bundle)])
    assert (bundle / "labels.txt").read_text().splitlines() == names[:-1]   # nothing changed
    assert _ship()([str(ckpt), str(bundle), "--labels-from-checkpoint", "--label-text-weight", "0.5",
                    "--recog-tta", "mirror+speed"]) == 0
    assert (bundle / "labels.txt").read_text().splitlines() == names
    b = load_bundle(bundle)
    assert b.label_names == names and b.mar.cfg.label_text_weight == 0.5 and b.mar.cfg.recog_tta == "mirror+speed"
    assert json.loads((bundle / "bundle.json").read_text())["sources"]["mar"]["step"] == 2
    other = make_random_bundle(tmp_path / "other", labels=["fly", "swim"])
    with pytest.raises(SystemExit, match="does not start with"):
        _ship()([str(ckpt), str(other), "--labels-from-checkpoint"])


def test_a_fine_tune_reads_clips_once_unless_told(tmp_path):
    """Test-time views are chosen per model on its own val data: a fine-tune does not inherit its init's."""
    from coamd.errors import CoamdError
    from coamd.models import load_checkpoint

    corpus = make_tiny_corpus(tmp_path / "corpus")
    base = ["max_epochs=0", "val_every=0", "batch_size=4", "max_steps=1"]
    train_tiny("mar", corpus, tmp_path / "a", [*base, "recog_tta=mirror+speed"])
    a = tmp_path / "a" / "checkpoints" / "latest.pt"
    assert load_checkpoint(a)[0].mar.recog_tta == "mirror+speed"
    train_tiny("mar", corpus, tmp_path / "b", [*base, f"init={a}"])
    assert load_checkpoint(tmp_path / "b" / "checkpoints" / "latest.pt")[0].mar.recog_tta == "none"
    with pytest.raises(CoamdError, match="recog_tta=both"):
        train_tiny("mar", corpus, tmp_path / "c", [*base, "recog_tta=both"])
