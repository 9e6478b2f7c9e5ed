"""The one checkpoint format and the one bundle.json reader (issue 15 item 1): every reader goes through
``coamd.models.checkpoint.read_payload`` / ``coamd.models.bundle_meta.read_bundle_meta``, and every format
problem -- wrong format, wrong version, wrong kind, truncated or garbage file, missing file -- is a
one-line error naming the file, whichever public entry point reads it."""

import ast
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from coamd.cli import main
from coamd.models import bundle_meta, tiny_config
from coamd.models import checkpoint as ckpt
from coamd.models.checkpoint import CheckpointError, read_payload, save_checkpoint, save_payload, stamp

SRC = Path(__file__).resolve().parents[1] / "src" / "coamd"


def _good(tmp_path: Path, kind: str = "ae") -> Path:
    path = tmp_path / "good.pt"
    save_checkpoint(path, {kind: nn.Linear(2, 3)}, tiny_config(), kind=kind, train={"step": 1})
    return path


def _broken(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """{case: (file, what its error says)} for every way a checkpoint file can be wrong."""
    good = _good(tmp_path)
    payload = torch.load(good, weights_only=True)
    cases = {}
    for name, value, says in (("wrong format", {**payload, "format": "other"}, "not a coamd checkpoint"),
                              ("not a dict", [1, 2, 3], "not a coamd checkpoint"),
                              ("wrong version", {**payload, "version": 99}, "version 99 is not supported")):
        torch.save(value, tmp_path / f"{name}.pt")
        cases[name] = (tmp_path / f"{name}.pt", says)
    data = good.read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    cases["truncated"] = (tmp_path / "truncated.pt", "not a readable coamd checkpoint")
    (tmp_path / "garbage.pt").write_bytes(b"\x00not a zip\n\nat all\n")
    cases["garbage"] = (tmp_path / "garbage.pt", "not a readable coamd checkpoint")
    cases["missing"] = (tmp_path / "absent.pt", "not found")
    return cases


def _one_line(err: Exception, path: Path, says: str) -> None:
    msg = str(err)
    assert "\n" not in msg, msg
    assert str(path) in msg and says in msg, msg


def test_the_floor_reads_good_files_and_stamps_format_and_version(tmp_path):
    path = _good(tmp_path)
    payload = read_payload(path, kind="ae")
    assert (payload["format"], payload["version"], payload["kind"]) == (ckpt.FORMAT, ckpt.VERSION, "ae")
    assert stamp({"kind": "x"}) == {"format": "coamd-checkpoint", "version": 1, "kind": "x"}
    out = save_payload(tmp_path / "sub.pt", {"kind": "mar", "state": {}})
    assert read_payload(out, kind="mar")["format"] == "coamd-checkpoint"
    assert not list(tmp_path.glob("*.tmp*"))                     # atomic: no temporary file left behind


def test_every_format_problem_is_one_line_through_the_one_reader(tmp_path):
    for path, says in _broken(tmp_path).values():
        with pytest.raises(CheckpointError) as e:
            read_payload(path)
        _one_line(e.value, path, says)
    with pytest.raises(CheckpointError) as e:
        read_payload(_good(tmp_path), kind="mar")
    _one_line(e.value, tmp_path / "good.pt", "a 'ae' checkpoint, expected 'mar'")


def test_every_public_reader_reports_the_same_one_line_errors(tmp_path):
    """models.load_checkpoint, train.load_checkpoint, the bundle loader and the evaluators all read
    through the floor: the same message, the same error class (CheckpointError is one class)."""
    from coamd import train
    from coamd.evaluation.evaluators import Evaluators
    from coamd.models import load_checkpoint as load_model_checkpoint
    from coamd.tasks.bundle import find_checkpoints

    assert train.CheckpointError is CheckpointError and train.checkpoint.CheckpointError is CheckpointError
    readers = {"models.load_checkpoint": load_model_checkpoint, "train.load_checkpoint": train.load_checkpoint,
               "tasks.find_checkpoints": find_checkpoints, "Evaluators.load": Evaluators.load}
    for name, (path, says) in _broken(tmp_path).items():
        for who, reader in readers.items():
            if name == "missing" and who in ("tasks.find_checkpoints", "Evaluators.load"):
                continue                                          # they say so in their own words (a BundleError etc.)
            with pytest.raises(CheckpointError) as e:
                reader(path)
            _one_line(e.value, path, says)
    good = _good(tmp_path)
    with pytest.raises(CheckpointError) as e:
        train.load_checkpoint(good, kind="generator")
    _one_line(e.value, good, "a 'ae' checkpoint, expected 'generator'")
    with pytest.raises(CheckpointError) as e:
        Evaluators.load(good)
    _one_line(e.value, good, "a 'ae' checkpoint, expected evaluators ('evaluator')")
    save_payload(tmp_path / "no_train.pt", {"kind": "ae", "state": {}})
    with pytest.raises(CheckpointError, match="not a coamd training checkpoint"):
        train.load_checkpoint(tmp_path / "no_train.pt")


def test_cli_reports_a_truncated_checkpoint_on_one_line(tmp_path, capsys):
    path, says = _broken(tmp_path)["truncated"]
    assert main(["info", "--checkpoint", str(path)]) != 0
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_bundle_meta_reader_validates_and_writer_round_trips(tmp_path):
    from coamd.tasks.bundle import BundleError, bundle_part_path, read_bundle_meta

    assert BundleError is bundle_meta.BundleError and read_bundle_meta is bundle_meta.read_bundle_meta
    folder = tmp_path / "b"
    folder.mkdir()
    assert bundle_part_path(folder, "ae") is None                        # not a bundle
    bundle_meta.write_bundle_meta(folder, {"name": "b", "parts": {"ae": "ae.pt", "mar": "mar.pt"}})
    (folder / "ae.pt").write_bytes(b"")
    meta = read_bundle_meta(folder)
    assert (meta["format"], meta["version"], meta["name"]) == ("coamd-bundle", 1, "b")
    assert bundle_part_path(folder, "ae") == folder / "ae.pt"
    assert bundle_part_path(folder, "mar") is None and bundle_part_path(folder, "length") is None
    with pytest.raises(BundleError, match="mar.pt, which is missing"):
        bundle_meta.bundle_part_files(folder, meta)
    file = folder / "bundle.json"
    for text, says in (("{not json", "unreadable"),
                       (json.dumps({"format": "x", "version": 1}), "not a coamd bundle description"),
                       (json.dumps({"format": "coamd-bundle", "version": 7}), "bundle version 7 is not supported"),
                       (json.dumps({"format": "coamd-bundle", "version": 1, "parts": ["ae.pt"]}), "'parts' must map")):
        file.write_text(text)
        for reader in (read_bundle_meta, lambda f: bundle_part_path(f, "ae")):
            with pytest.raises(BundleError) as e:
                reader(folder)
            _one_line(e.value, file, says)


def _code_strings(path: Path) -> set[str]:
    """String constants of a module's code (docstrings are whole paragraphs, so they never equal a marker)."""
    return {n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def test_each_format_marker_is_defined_once():
    owners = {"coamd-checkpoint": "models/checkpoint.py", "coamd-bundle": "models/bundle_meta.py"}
    for marker, owner in owners.items():
        users = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py") if marker in _code_strings(p))
        assert users == [owner], f"{marker!r} spelled out in {users}; use the constants of {owner}"
    assert not [p for p in SRC.rglob("*.py") if p.name != "bundle_meta.py"
                and "bundle.json" in _code_strings(p)], "bundle.json is named by coamd.models.bundle_meta only"
