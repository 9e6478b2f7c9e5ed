"""Editing: temporal masks (§3.8), exact kept frames, body-part constraints, trajectory control.

The bundle is random except for its AE, which is briefly fitted to procedural clips so that
decoded-space constraints have a decoder that can actually move the joints.
"""

import numpy as np
import pytest
import torch

from coamd.data import compute_stats
from coamd.errors import CoamdError
from coamd.skeleton import SMPL22
from coamd.tasks import edit, load_bundle, make_random_bundle
from coamd.tasks.edit import attach_kept_joints, blend_kept, load_trajectory
from coamd.tasks.edit_specs import (
    check_joint_indices,
    frames_to_edit_mask,
    kept_frames,
    parse_joints,
    parse_keep,
    task_edit_mask,
)
from helpers import torch_threads

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST = {"sampler": "euler", "ode_steps": 3}
UPPER = [3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]


def clip(T: int, g: np.random.Generator) -> np.ndarray:
    """A crude walk with a waving arm: rest pose + swinging legs, a moving hand, forward travel."""
    lengths = np.full(22, 0.2)
    offsets = SMPL22.rest_offsets(lengths)
    rest = np.zeros((22, 3))
    for j in SMPL22.topological_order[1:]:
        rest[j] = rest[SMPL22.parents[j]] + offsets[j]
    rest[:, 1] -= rest[:, 1].min()
    t = np.arange(T) / 20.0
    f, a, ph = g.uniform(0.5, 1.5), g.uniform(0.1, 0.4), g.uniform(0, 2 * np.pi)
    x = np.repeat(rest[None], T, 0)
    x[:, [19, 21], 1] += a * np.sin(2 * np.pi * f * t + ph)[:, None]
    x[:, [4, 7, 10], 2] += 0.15 * np.sin(2 * np.pi * f * t)[:, None]
    x[:, [5, 8, 11], 2] -= 0.15 * np.sin(2 * np.pi * f * t)[:, None]
    x[:, :, 2] += g.uniform(0, 1.2) * t[:, None]
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    with torch_threads(1):                       # module fixtures run before the per-test one_thread
        return _fitted_bundle(tmp_path_factory)


def _fitted_bundle(tmp_path_factory):
    b = load_bundle(make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny", defaults=FAST))
    g = np.random.default_rng(0)
    clips = [clip(96, g) for _ in range(32)]
    stats = compute_stats(clips)
    for part in b.normalizers:
        b.normalizers[part] = stats
    torch.manual_seed(0)
    ae = b.ae.train().requires_grad_(True)
    x = torch.from_numpy(np.stack([stats.normalize(c.reshape(96, -1)) for c in clips]))   # (32, 96, 66)
    opt = torch.optim.Adam(ae.parameters(), 3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(200):
        idx = torch.randint(0, 32, (16,), generator=gen)
        s = int(torch.randint(0, 9, (), generator=gen)) * 4
        loss, _ = ae.loss(x[idx, s:s + 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
    ae.eval().requires_grad_(False)
    return b


@pytest.fixture
def source():
    return clip(60, np.random.default_rng(5))


def test_task_masks_follow_the_token_definitions():
    l = 20                                                              # q = 5, h = 10
    assert np.flatnonzero(task_edit_mask("inpaint", l)).tolist() == list(range(5, 15))
    assert np.flatnonzero(task_edit_mask("outpaint", l)).tolist() == [*range(5), *range(15, 20)]
    assert np.flatnonzero(task_edit_mask("prefix", l)).tolist() == list(range(10, 20))
    assert np.flatnonzero(task_edit_mask("suffix", l)).tolist() == list(range(10))
    with pytest.raises(CoamdError, match="--task"):
        task_edit_mask("middle", l)


def test_keep_ranges_become_token_masks():
    assert parse_keep("0:2.5,7:", 9.0) == [(0.0, 2.5), (7.0, 9.0)]
    keep = kept_frames([(0.0, 1.0), (2.1, 3.0)], 60, 20.0)              # frames 0-19 and 42-59
    assert keep.sum() == 20 + 18 and keep[19] and not keep[20] and keep[42] and not keep[41]
    mask = frames_to_edit_mask(keep, 4)                                 # tokens 0-4 and 11-14 fully kept
    assert np.flatnonzero(~mask).tolist() == [0, 1, 2, 3, 4, 11, 12, 13, 14]
    for bad, msg in (("1-2", "START:END"), ("3:1", "START < END"), ("a:b", "START:END"), ("", "empty"),
                     ("12:14", "after the motion ends")):
        with pytest.raises(CoamdError, match=msg):
            parse_keep(bad, 9.0)


def test_joint_specs():
    assert parse_joints("upper", SMPL22) == UPPER
    assert parse_joints("left_arm, R_WRIST", SMPL22) == [13, 16, 18, 20, 21]
    with pytest.raises(CoamdError, match="unknown joint or body part 'elbowz'"):
        parse_joints("elbowz", SMPL22)
    with pytest.raises(CoamdError, match="nothing would be regenerated"):
        parse_joints("upper,lower", SMPL22)
    assert check_joint_indices([21, 0, 0], SMPL22) == [0, 21]
    with pytest.raises(CoamdError, match="outside 0..21"):
        check_joint_indices([3, 22], SMPL22)


def test_blend_copies_kept_frames_and_keeps_velocities_continuous():
    T = 40
    src = np.cumsum(np.full((T, 22, 3), 0.01, np.float32), axis=0)
    dec = src + 0.05                                                   # a decoder with a constant 5 cm offset
    keep = np.zeros(T, bool)
    keep[:20] = True
    out = blend_kept(dec, src, keep, fade=4)
    assert np.array_equal(out[:20], src[:20])
    naive = np.where(keep[:, None, None], src, dec)                    # copy-back alone jumps at frame 20
    step = np.linalg.norm(np.diff(out, axis=0), axis=-1).max()
    assert step < 0.5 * np.linalg.norm(np.diff(naive, axis=0), axis=-1).max()
    assert np.allclose(out[25:], dec[25:])


def test_temporal_edit_keeps_frames_exactly_and_reports_the_ae_error(bundle, source):
    res = edit(bundle, source, "a person jumps", task="inpaint", seed=1)
    keep = res.kept_frames
    assert res.motion.shape == source.shape and keep.sum() == 4 * 6   # 15 tokens: q = 3 kept at each end
    assert np.array_equal(res.motion[keep], source[keep])
    assert not np.allclose(res.motion[~keep], source[~keep])
    r = res.report
    assert r["kept_frames_error_cm"] == 0.0 and r["ae_error_cm"] > 0 and r["kept_frames_error_cm_decoded"] > 0
    assert r["cleanup"] is True                                        # kept exactly although the result is cleaned
    again = edit(bundle, source, "a person jumps", task="inpaint", seed=1)
    assert np.array_equal(again.motion, res.motion)


def test_body_part_edit_keeps_the_joints_and_the_constraint_pulls_the_decoder(bundle, source):
    free = edit(bundle, source, "a person waves", joints="upper", seed=0, constraint_iters=0, refine_iters=0)
    held = edit(bundle, source, "a person waves", joints="upper", seed=0)
    assert held.report["joint_drift_cm"] < 3.0
    assert np.allclose(held.motion[:, UPPER], source[:, UPPER])
    assert held.report["joint_drift_cm_decoded"] < 0.25 * free.report["joint_drift_cm_decoded"]
    assert held.report["joint_drift_cm_decoded"] < 2.0 * held.report["ae_error_cm"]
    assert held.report["join_bone_change_cm"] < 0.01                  # pelvis-spine1 keeps its source length
    raw = edit(bundle, source, "a person waves", joints="upper", seed=0, exact=False, cleanup=False)
    assert raw.report["joint_drift_cm"] == raw.report["joint_drift_cm_decoded"] > 0


def test_attach_moves_regenerated_parts_with_their_anchor():
    T = 5
    src = np.random.default_rng(0).normal(size=(T, 22, 3)).astype(np.float32)
    dec = src.copy()
    dec += np.array([0.0, 0.0, 0.3], np.float32)                       # the decoder put the body 30 cm ahead
    dec[:, 4] += 0.1                                                   # and bent the left knee
    out = attach_kept_joints(dec, src, UPPER, SMPL22)
    assert np.array_equal(out[:, UPPER], src[:, UPPER])
    expect = src.copy()
    expect[:, 4] += 0.1                                                # regenerated pose kept, moved with the body
    assert np.allclose(out, expect, atol=1e-6)
    dec[:, [0, 1, 2, 4, 5, 7, 8, 10, 11]] -= np.array([0.0, 0.12, 0.0], np.float32)   # lower body sagged 12 cm
    out = attach_kept_joints(dec, src, UPPER, SMPL22)
    spine = np.linalg.norm(out[:, 3] - out[:, 0], axis=-1)             # pelvis-spine1 bone length
    assert np.allclose(spine, np.linalg.norm(src[:, 3] - src[:, 0], axis=-1), atol=1e-5)
    legs = out[:, [1, 2, 4, 5, 7, 8, 10, 11]] - out[:, :1]
    ref = dec[:, [1, 2, 4, 5, 7, 8, 10, 11]] - dec[:, :1]
    assert np.allclose(legs, ref, atol=1e-5)                           # the lower body moved rigidly


def test_trajectory_control(bundle, source, tmp_path):
    t = np.arange(60) / 20.0
    path = np.stack([0.3 * np.sin(t), 0.5 * t], axis=1).astype(np.float32)
    free = edit(bundle, source, "walk", trajectory=np.zeros((1, 2)), seed=0, constraint_iters=0, refine_iters=0,
                exact=False)
    res = edit(bundle, source, "walk", trajectory=path, seed=0, exact=False)
    base = np.linalg.norm(free.motion[:, 0, [0, 2]] - path, axis=-1).mean() * 100
    assert res.report["trajectory_error_cm_decoded"] < 0.5 * base
    snapped = edit(bundle, source, "walk", trajectory=path, seed=0)
    assert snapped.report["trajectory_error_cm"] < 0.01
    np.save(tmp_path / "p3.npy", np.stack([path[:, 0], np.zeros(60), path[:, 1]], 1))
    np.testing.assert_array_equal(load_trajectory(tmp_path / "p3.npy"), path)
    with pytest.raises(CoamdError, match=r"\(T, 2\)"):
        load_trajectory(np.zeros((10, 4)))
    with pytest.raises(CoamdError, match="keeps"):
        edit(bundle, source, "walk", trajectory=path, joints="lower")


def test_edit_argument_errors(bundle, source):
    with pytest.raises(CoamdError, match="nothing to edit"):
        edit(bundle, source, "walk")
    with pytest.raises(CoamdError, match="give one of them"):
        edit(bundle, source, "walk", task="prefix", keep="0:1")
    with pytest.raises(CoamdError, match="longer than"):
        edit(bundle, np.zeros((400, 22, 3), np.float32), "walk", task="prefix")
    with pytest.raises(CoamdError, match="keeps every token"):
        edit(bundle, source, "walk", keep="0:3")
    with pytest.raises(CoamdError, match="empty"):
        edit(bundle, source, " ", task="prefix")
