"""samples.npz: one writer, one reader, the skeleton recorded (SMPL-22 and KIT), bad files refused."""

import numpy as np
import pytest

from coamd.errors import CoamdError, MotionFormatError
from coamd.io import is_samples, load_motions, read_samples, write_samples
from coamd.skeleton import KIT21, SMPL22


def _motions(skeleton, lengths, seed=0):
    g = np.random.default_rng(seed)
    return [g.normal(0, 0.3, (n, skeleton.num_joints, 3)).astype(np.float32) for n in lengths]


@pytest.mark.parametrize("skeleton", [SMPL22, KIT21], ids=lambda s: s.name)
def test_round_trip_keeps_every_field(tmp_path, skeleton):
    motions = _motions(skeleton, [30, 47, 12])
    path = write_samples(tmp_path / "samples.npz", motions, ["walk", "a person jumps", "wave"], fps=12.5,
                         skeleton=skeleton.name, seeds=[3, 4, 5], segments=[[0], [0, 20], []], cleanup=True,
                         config="sampling: {cfg_scale: 2.5}\n")
    assert is_samples(path)
    s = read_samples(path)
    assert s.skeleton == skeleton.name and s.fps == 12.5 and s.texts == ["walk", "a person jumps", "wave"]
    assert [m.shape for m in s.motions] == [(n, skeleton.num_joints, 3) for n in (30, 47, 12)]
    for a, b in zip(s.motions, motions):
        np.testing.assert_array_equal(a, b)                       # trimmed back to each length, bit-exact
    assert s.seeds == [3, 4, 5] and s.segments == [[0], [0, 20], []] and s.cleanup is True
    assert "cfg_scale" in s.config


def test_generic_loader_reads_samples_through_the_same_reader(tmp_path):
    motions = _motions(SMPL22, [25, 40])
    for m in motions:
        m[..., 1] = np.abs(m[..., 1])
    path = write_samples(tmp_path / "samples.npz", motions, ["a", "b"], fps=20.0, skeleton="smpl22")
    loaded = load_motions(path, canonical=False)
    assert [m.meta["text"] for m in loaded] == ["a", "b"] and [len(m.joints) for m in loaded] == [25, 40]
    kit = write_samples(tmp_path / "kit.npz", _motions(KIT21, [20]), ["k"], fps=20.0, skeleton="kit21")
    with pytest.raises(MotionFormatError, match="kit21"):          # the SMPL-22 importer says what it holds
        load_motions(kit)


def test_bad_samples_files_get_one_line_errors(tmp_path):
    good = _motions(SMPL22, [10, 10])
    def arrays(n=1, T=5, J=22, lengths=(5,), texts=("a",), fill=0.0, **extra):
        return {"motions": np.full((n, T, J, 3), fill, np.float32), "lengths": np.array(lengths),
                "texts": np.array(texts), **extra}

    cases = {
        "missing": ({k: v for k, v in arrays().items() if k != "lengths"}, "lengths"),
        "count": (arrays(n=2, texts=("a", "b")), "2 motions, 1 lengths"),
        "too long": (arrays(lengths=(9,)), "lengths"),
        "shape": (arrays(J=21), "expected 'motions'"),
        "skeleton": (arrays(skeleton=np.array("robot")), "unknown skeleton"),
        "fps": (arrays(fps=np.array(0.0)), "'fps'"),
        "nan": (arrays(fill=np.nan), "NaN"),
    }
    for name, (arrays, message) in cases.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, **arrays)
        with pytest.raises(MotionFormatError, match=message) as err:
            read_samples(path, "--samples")
        assert "\n" not in str(err.value) and str(path) in str(err.value)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(MotionFormatError, match="not a readable"):
        read_samples(tmp_path / "junk.npz")
    with pytest.raises(ValueError, match="texts"):
        write_samples(tmp_path / "w.npz", good, ["only one"], fps=20, skeleton="smpl22")
    with pytest.raises(CoamdError, match="NaN"):
        write_samples(tmp_path / "w.npz", [np.full((5, 22, 3), np.nan, np.float32)], ["x"], fps=20, skeleton="smpl22")
    assert not (tmp_path / "w.npz").exists()
