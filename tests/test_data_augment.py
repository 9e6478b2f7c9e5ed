"""coamd.data.augment: shapes, connected skeletons, bone-length ratios, determinism, mirrored text/labels;
and the MAR training set that applies them (coamd.train.task_mar.AugmentedActionText)."""

from __future__ import annotations

import numpy as np
import pytest

from coamd.data import augment as A
from coamd.skeleton import SMPL22, mirror

PARENTS = np.array(SMPL22.parents)


def _motion(T: int = 60, seed: int = 0) -> np.ndarray:
    """A standing T-pose-ish skeleton that walks forward and swings (T, 22, 3), floor at 0."""
    from coamd.skeleton.trees import SMPL22 as S

    rng = np.random.default_rng(seed)
    offsets = rng.normal(0, 0.08, (22, 3))
    offsets[:, 1] = -np.abs(offsets[:, 1])
    base = np.zeros((22, 3))
    for j, p in enumerate(S.parents):
        if p >= 0:
            base[j] = base[p] + offsets[j] * (1 if j not in (3, 6, 9, 12, 15) else -1)
    t = np.arange(T)[:, None, None] / 20.0
    x = base[None] + np.array([0.0, 0.0, 1.0]) * t + 0.03 * np.sin(3 * t + np.arange(22)[None, :, None])
    x[..., 1] -= x[..., 1].min()
    return x.astype(np.float32)


def _bones(x: np.ndarray) -> np.ndarray:
    return np.linalg.norm(x[:, 1:] - x[:, PARENTS[1:]], axis=-1)      # (T, 21)


RANDOM_FUNCS = {
    "replace_joints": lambda x, r: A.replace_joints(x, r),
    "scale_bones": lambda x, r: A.scale_bones(x, A.bone_scales(r)),
    "time_warp": lambda x, r: A.time_warp(x, r),
    "random_crop": lambda x, r: A.random_crop(x, r),
    "pad_idle": lambda x, r: A.pad_idle(x, r),
    "rotate_yaw_random": lambda x, r: A.rotate_yaw_random(x, r),
    "sensor_noise": lambda x, r: A.sensor_noise(x, r),
    "lean_trunk": lambda x, r: A.lean_trunk(x, float(r.uniform(-0.4, 0.4))),
    "all": lambda x, r: A.MotionAugment.from_string("all=1")(x, r)[0],
}


@pytest.mark.parametrize("name", sorted(RANDOM_FUNCS))
def test_shapes_dtype_and_determinism(name):
    x = _motion()
    f = RANDOM_FUNCS[name]
    a = f(x.copy(), np.random.default_rng(7))
    b = f(x.copy(), np.random.default_rng(7))
    c = f(x.copy(), np.random.default_rng(8))
    assert a.ndim == 3 and a.shape[1:] == (22, 3) and a.dtype == np.float32
    assert np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, b)                                  # same seed, same output
    assert a.shape != c.shape or not np.array_equal(a, c)                # another seed, another draw
    if name in ("replace_joints", "scale_bones", "rotate_yaw_random", "sensor_noise"):
        assert a.shape == x.shape                                        # per-frame functions keep T
    if name in ("replace_joints", "scale_bones"):
        assert abs(float(a[..., 1].min())) < 1e-5                         # floor kept at y = 0


def test_scale_bones_uniform_keeps_ratios_and_directions():
    x = _motion()
    y = A.scale_bones(x, 1.2)
    bx, by = _bones(x), _bones(y)
    np.testing.assert_allclose(by / bx, 1.2, rtol=1e-4)                  # every bone x1.2: all ratios kept
    dx = (x[:, 1:] - x[:, PARENTS[1:]]) / bx[..., None]
    dy = (y[:, 1:] - y[:, PARENTS[1:]]) / by[..., None]
    np.testing.assert_allclose(dx, dy, atol=1e-4)                        # directions unchanged
    np.testing.assert_allclose(y[:, 0, [0, 2]], x[:, 0, [0, 2]], atol=1e-6)  # root path kept


def test_bone_scales_symmetric_and_group_ratios_kept():
    rng = np.random.default_rng(3)
    s = A.bone_scales(rng)
    np.testing.assert_allclose(s, s[list(SMPL22.mirror_map)])            # left and right alike
    x = _motion()
    y = A.scale_bones(x, s)
    ratio = _bones(y) / _bones(x)                                        # (T, 21), constant over time
    np.testing.assert_allclose(ratio, ratio[:1].repeat(len(ratio), 0), rtol=1e-4)
    for joints in A.BONE_GROUPS.values():                                # within a limb group: ratios kept
        r = ratio[0, np.array(joints) - 1]
        np.testing.assert_allclose(r, r[0], rtol=1e-4)
    # bone lengths stay constant over time (a rigid skeleton stays rigid)
    assert _bones(y).std(0).max() < 1e-4 + _bones(x).std(0).max() * 1.5


def test_replace_joints_is_consistent_over_time_and_moves_only_the_rig_joints():
    x = _motion()
    y = A.replace_joints(x, np.random.default_rng(1))
    moved = np.abs(y - x).max(axis=(0, 2)) > 1e-6
    untouched = [j for j in range(22) if j not in (0, 1, 2, 3, 6, 9, 13, 14, 15, 16, 17)]
    shift = y[..., 1].min() - x[..., 1].min()
    np.testing.assert_allclose(y[:, untouched], x[:, untouched] + np.array([0, shift, 0]), atol=1e-5)
    assert moved[[1, 2, 16, 17]].all()
    # hip width scaled by one factor in every frame
    w = np.linalg.norm(y[:, 1] - y[:, 2], axis=-1) / np.linalg.norm(x[:, 1] - x[:, 2], axis=-1)
    np.testing.assert_allclose(w, w[0], rtol=1e-4)
    assert A.replace_joints(x, np.random.default_rng(1), strength=0.0) == pytest.approx(x, abs=1e-5)


def test_time_warp_speed_and_endpoints():
    x = _motion(T=101)
    y = A.time_warp(x, np.random.default_rng(0), speed=(2.0, 2.0), wobble=0.0)
    assert len(y) == 51
    np.testing.assert_allclose(y[0], x[0], atol=1e-6)
    np.testing.assert_allclose(y[-1], x[-1], atol=1e-6)
    np.testing.assert_allclose(y[10], x[20], atol=1e-5)                  # uniform warp: every 2nd frame
    assert len(A.time_warp(x, np.random.default_rng(0), speed=(0.5, 0.5), max_frames=150)) == 150


def test_crop_pad_and_yaw():
    x = _motion(T=80)
    c = A.random_crop(x, np.random.default_rng(0), min_share=0.5)
    assert 40 <= len(c) <= 80
    p = A.pad_idle(x, np.random.default_rng(0), max_start=5, max_end=5)
    assert 80 <= len(p) <= 90
    r = A.rotate_yaw_random(x, np.random.default_rng(0), max_deg=30)
    np.testing.assert_allclose(_bones(r), _bones(x), atol=1e-5)          # a rigid rotation
    np.testing.assert_allclose(r[..., 1], x[..., 1], atol=1e-6)          # about the vertical axis
    np.testing.assert_allclose(r[0, 0], x[0, 0], atol=1e-6)              # through the first-frame pelvis


def test_mirror_motion_text_and_label():
    x = _motion()
    np.testing.assert_allclose(A.mirror_motion(x), mirror(x), atol=0)
    np.testing.assert_allclose(A.mirror_motion(A.mirror_motion(x)), x, atol=1e-6)
    assert A.mirror_caption_text("A person kicks with the Left foot, then turns right.") == \
        "A person kicks with the Right foot, then turns left."
    names = ["wave the left hand", "wave the right hand", "kick"]
    assert A.mirror_label("wave the left hand", names) == "wave the right hand"
    assert A.mirror_label("kick", names) == "kick"
    assert A.mirror_label("raise the left hand", names) == "raise the left hand"   # no mirror in the map: kept


def test_motion_augment_from_string_and_mirror_flag():
    aug = A.MotionAugment.from_string("placement=0.5, mirror=1")
    assert aug.placement == 0.5 and aug.mirror == 1.0 and aug.bones == 0.0 and aug.active
    assert not A.MotionAugment().active
    y, mirrored = A.MotionAugment(mirror=1.0)(_motion(), np.random.default_rng(0))
    assert mirrored
    np.testing.assert_allclose(y, mirror(_motion()), atol=1e-6)
    y, mirrored = A.MotionAugment()(_motion(), np.random.default_rng(0))
    assert not mirrored
    np.testing.assert_array_equal(y, _motion())                          # all off: unchanged
    with pytest.raises(ValueError, match="unknown key"):
        A.MotionAugment.from_string("warpp=1")


def test_lean_trunk_bends_the_upper_body_forward_only():
    from coamd.synth import synthesize_clip

    x = synthesize_clip(np.random.default_rng(1), [("wave", {"hand": "right"})]).joints  # faces +Z at the start
    y = A.lean_trunk(x, 0.4)
    np.testing.assert_allclose(_bones(y), _bones(x), atol=1e-5)                 # rigid: bone lengths kept
    lower = [j for j in range(22) if j not in A.UPPER_BODY]
    np.testing.assert_allclose(y[:, lower], x[:, lower], atol=1e-5)            # pelvis, spine1, legs stay
    head = 15
    assert y[0, head, 2] - x[0, head, 2] > 0.15                               # the head moves forward ...
    assert y[0, head, 1] < x[0, head, 1] - 0.02                                # ... and down
    back = A.lean_trunk(x, -0.4)
    assert back[0, head, 2] < x[0, head, 2] - 0.15
    np.testing.assert_allclose(A.lean_trunk(x, 0.0), x, atol=1e-6)


def test_motion_augment_body_size_range_and_lean():
    x = _motion()
    small = A.MotionAugment.from_string("bones=1,scale_min=0.7,scale_max=0.72")
    heights = [small(x, np.random.default_rng(s))[0][:, :, 1].max() for s in range(5)]
    assert max(heights) < 0.72 * 1.1 * 1.1 * x[:, :, 1].max() + 1e-6
    lean = A.MotionAugment.from_string("lean=1,lean_max=0.3")
    assert lean.active and lean.lean_max == 0.3
    a, _ = lean(x, np.random.default_rng(4))
    b, _ = lean(x, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)                                       # deterministic for a seed
    # a recipe without the new keys augments exactly as before (no extra random draws)
    old = A.MotionAugment.from_string("placement=1,bones=1,warp=1,mirror=0.5")
    ref = np.random.default_rng(9)
    y, m = old(x, np.random.default_rng(9))
    z = A.replace_joints(x, ref) if ref.random() < 1 else x
    z = A.scale_bones(z, A.bone_scales(ref)) if ref.random() < 1 else z
    z = A.time_warp(z, ref, max_frames=None) if ref.random() < 1 else z
    ref.random(size=4)                                                        # crop, idle, yaw, noise: off
    flip = ref.random() < 0.5
    assert m == flip
    np.testing.assert_allclose(y, A.mirror_motion(z) if flip else z, atol=1e-6)


# ------------------------------------------------------------------------ the MAR training set
@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    from coamd.synth import generate_clips, write_corpus

    out = tmp_path_factory.mktemp("synth") / "corpus"
    write_corpus(out, generate_clips(24, seed=3), seed=3)
    return out


def _index_and_normalizer(root):
    from coamd.data import MotionTextIndex, Normalizer

    index = MotionTextIndex(root, "train", dataset="synth")
    return index, Normalizer(np.zeros(66, np.float32), np.ones(66, np.float32))


def test_augmented_dataset_mirrors_caption_and_label(tiny_corpus):
    from coamd.data.augment import MotionAugment, mirror_caption_text
    from coamd.train.task_mar import AugmentedActionText

    index, norm = _index_and_normalizer(tiny_corpus)
    plain = AugmentedActionText(index, norm, seed=0)
    mirrored = AugmentedActionText(index, norm, seed=0, augment=MotionAugment(mirror=1.0))
    sided = 0
    for i in range(len(plain)):
        a, b = plain[i], mirrored[i]
        assert b["caption"] == mirror_caption_text(a["caption"])
        assert b["label_text"] == A.mirror_label(a["label_text"], plain.label_names)
        assert b["motion"].shape[1] == a["motion"].shape[1] == 66
        sided += ("left" in a["caption"].lower()) or ("right" in a["caption"].lower())
    assert sided > 0, "the tiny corpus should have captions that name a side"
    # a label map with sided names: the label follows the mirror
    mirrored.label_names = list(mirrored.label_names) + ["wave the left hand", "wave the right hand"]
    mirrored._label_index = {n: k for k, n in enumerate(mirrored.label_names)}
    k = mirrored._label_index["wave the left hand"]
    swap = mirrored._label_index.get(mirror_caption_text(mirrored.label_names[k]), k)
    assert mirrored.label_names[swap] == "wave the right hand"


def test_augmented_dataset_label_captions_and_determinism(tiny_corpus):
    from coamd.data.augment import MotionAugment
    from coamd.train.task_mar import AugmentedActionText

    index, norm = _index_and_normalizer(tiny_corpus)
    ds = AugmentedActionText(index, norm, seed=1, augment=MotionAugment.from_string("all=0.7"),
                             label_captions=1.0, recog_captions=1.0)
    for i in range(len(ds)):
        item = ds[i]
        assert item["caption"] == item["label_text"]                     # the plain label name as caption
        assert not bool(item["recog_caption"])                           # a label name is no caption prototype
        again = ds[i]
        np.testing.assert_array_equal(item["motion"].numpy(), again["motion"].numpy())
        assert item["length"] == again["length"] and item["length"] % 4 == 0 and item["length"] <= 196
    assert set(ds.label_names) <= set(ds.extra_texts())


def test_augment_options_defaults_off():
    from coamd.train import MARTrainConfig
    from coamd.train.task_mar import augment_options

    aug, lc, rc = augment_options(MARTrainConfig())
    assert not aug.active and lc == 0.0 and rc == 0.0


def test_recipe_keys_reach_the_mar_task():
    from coamd.errors import CoamdError
    from coamd.train import load_train_config
    from coamd.train.task_mar import augment_options

    cfg = load_train_config("mar", "cpu-small", ["augment=placement=0.7,mirror=0.5", "label_captions=0.15",
                                                 "recog_captions=0.3"])
    aug, lc, rc = augment_options(cfg)
    assert (aug.placement, aug.mirror, aug.bones, lc, rc) == (0.7, 0.5, 0.0, 0.15, 0.3)
    cfg.label_captions = 1.5
    with pytest.raises(CoamdError, match="label_captions"):
        augment_options(cfg)
