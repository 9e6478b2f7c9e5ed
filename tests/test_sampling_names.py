"""One name per sampling setting: ``decode_steps`` (coarse-to-fine transformer passes), ``cfg_scale``,
``ode_steps``; the former ``steps`` / ``cfg`` are still read from bundle.json, the API and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from coamd.errors import CoamdError


def _with_defaults(src: str, dst: Path, defaults: dict) -> Path:
    shutil.copytree(src, dst)
    meta = json.loads((dst / "bundle.json").read_text())
    meta["defaults"] = defaults
    (dst / "bundle.json").write_text(json.dumps(meta))
    return dst


def test_bundle_defaults_under_former_names_are_read(tiny_bundle, tmp_path):
    from coamd.tasks import load_bundle, sampling_settings

    old = load_bundle(_with_defaults(tiny_bundle, tmp_path / "old", {"sampler": "heun", "steps": 3, "cfg": 1.5}))
    assert old.defaults() == {"sampler": "heun", "decode_steps": 3, "cfg_scale": 1.5}
    s = sampling_settings(old)
    assert (s.sampler, s.decode_steps, s.cfg_scale) == ("heun", 3, 1.5)
    assert sampling_settings(old, cfg=2.0).cfg_scale == 2.0            # a caller's former name still wins

    with pytest.raises(CoamdError, match=r"bundle\.json: defaults: steps=3 and decode_steps=4") as e:
        load_bundle(_with_defaults(tiny_bundle, tmp_path / "both", {"steps": 3, "decode_steps": 4}))
    assert "\n" not in str(e.value)


def test_both_spellings_of_one_setting_must_agree():
    from coamd.tasks import sampling_settings

    assert sampling_settings(None, cfg=3.0, cfg_scale=3.0).cfg_scale == 3.0
    with pytest.raises(CoamdError, match="cfg=3.0 and cfg_scale=2.0 set the same thing; give cfg_scale only"):
        sampling_settings(None, cfg=3.0, cfg_scale=2.0)


def test_cli_accepts_the_former_flags():
    from coamd.cli import build_parser
    from coamd.cli.args import sampling_from_args

    for argv in (["--decode-steps", "5", "--cfg-scale", "2"], ["--steps", "5", "--cfg", "2"]):
        s = sampling_from_args(build_parser().parse_args(["generate", "x", "-o", "o", *argv]))
        assert (s.decode_steps, s.cfg_scale) == (5, 2.0), argv


def test_generation_follows_the_settings_under_either_name(tiny_bundle):
    """The decoded motion depends on the settings, and equally so whichever name set them."""
    import numpy as np

    from coamd.tasks import generate, load_bundle, sampling_settings

    b = load_bundle(tiny_bundle)
    run = lambda s: generate(b, ["a person walks"], 2.0, seed=0, sampling=s, cleanup=False).motions[0]
    new = run(sampling_settings(b, decode_steps=3, cfg_scale=2.0))
    np.testing.assert_array_equal(new, run(sampling_settings(b, steps=3, cfg=2.0)))
    assert not np.array_equal(new, run(sampling_settings(b, decode_steps=1, cfg_scale=2.0)))
