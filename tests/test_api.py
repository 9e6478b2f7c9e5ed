"""The Python API: the documented example runs, ``import coamd`` stays light, results have the right shapes."""

import re
import subprocess
import sys

import numpy as np
import pytest

import coamd
from coamd.tasks import api, make_random_bundle
from coamd.tasks.bundle import BUNDLE_ENV

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    return make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny",
                              defaults={"sampler": "euler", "ode_steps": 2, "decode_steps": 4})


def _example() -> str:
    doc = api.__doc__
    block = doc.split("::\n", 1)[1].split("\n\n", 2)
    lines = "\n\n".join(block[:2]).splitlines()
    return "\n".join(ln[4:] for ln in lines)


def test_the_documented_example_runs(bundle_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(BUNDLE_ENV, str(bundle_dir))
    monkeypatch.chdir(tmp_path)
    code = _example()
    assert "m = coamd.load()" in code and "save_bvh" in code
    scope: dict = {}
    exec(compile(code, "coamd.tasks.api example", "exec"), scope)  # noqa: S102 - runs the documented example
    out, walk, long_, legs, mid = (scope[k] for k in ("out", "walk", "long", "legs", "mid"))
    assert len(out) == 4 and walk.shape == (60, 22, 3) and walk.dtype == np.float32
    assert (tmp_path / "samples" / "samples.npz").is_file()
    assert len(list((tmp_path / "samples").glob("*.bvh"))) == 4
    assert scope["auto"][0].shape[1:] == (22, 3)
    assert len(long_.segments[0]) == 3
    assert legs.report["joint_drift_cm"] < 3.0 and mid.report["kept_frames_error_cm"] == 0.0
    assert scope["again"].shape == walk.shape
    printed = capsys.readouterr().out.splitlines()
    assert re.match(r"\[('(walk|run|jump)'(, )?){3}\]", printed[1])
    assert "'rank': 1" in printed[2] and "someone" in printed[3]


def test_import_is_light_and_attributes_are_lazy():
    code = ("import sys, coamd; assert 'torch' not in sys.modules; "
            "f = coamd.load; assert 'torch' in sys.modules; print(coamd.io.load_motion.__name__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "load_motion"
    assert coamd.save_bvh is coamd.io.save_bvh and coamd.CoAMD is api.CoAMD
    assert not hasattr(coamd, "not_a_thing")


def test_api_methods(bundle_dir, tmp_path):
    m = coamd.load(bundle_dir)
    assert "generator" in repr(m)
    res = m.generate(["walk", "run"], lengths=[1.0, 2.0], seed=0)
    assert res.lengths == [20, 40]
    np.save(tmp_path / "walk.npy", res[0])
    e_text = m.embed_text(["walk", "run"])
    e_mot = m.embed_motion([res[0], tmp_path / "walk.npy"])
    assert e_text.shape == e_mot.shape == (2, 32)
    assert np.allclose(np.linalg.norm(e_mot, axis=1), 1.0, atol=1e-5)
    gallery = m.index([tmp_path], tmp_path / "g.idx")
    assert len(gallery) == 1
    assert m.retrieve("walk", gallery=tmp_path / "g.idx")[0]["path"].endswith("walk.npy")
    edited = m.edit(tmp_path / "walk.npy", "jump", keep="0:0.5")
    assert edited.motion.shape == (20, 22, 3) and edited.report["kept_frames"] == 10
    with pytest.raises(coamd.errors.CoamdError, match="either text"):
        m.retrieve()
