"""Joint placement of a rig mapped to SMPL-22 by name: measured, and made canonical (issue 11)."""

import numpy as np

from coamd.data import augment as A
from coamd.data.placement import KEYS, canonical_placement, measure_placement, reference_placement
from coamd.synth import synthesize_clip

MOVED = [0, 1, 2, 3, 6, 9, 13, 14, 15, 16, 17]      # pelvis, hips, spine1-3, collars, head, shoulders
KEPT = [j for j in range(22) if j not in MOVED]


def corpus_clip(seed=0):
    return synthesize_clip(np.random.default_rng(seed), ["walk"]).joints


def test_a_corpus_clip_is_already_canonical():
    ref = reference_placement()
    assert set(ref) == set(KEYS) and 0.1 < ref["hip_width"] < 0.2 and ref["spine1"] < ref["spine2"] < ref["spine3"]
    x = corpus_clip()
    assert np.abs(canonical_placement(x) - x).max() < 0.02             # metres: proportions differ a little per body


def test_a_foreign_rig_is_placed_back_like_the_corpus():
    x = corpus_clip(1)
    rig = A.PlacementRanges(hip_width=(1.4, 1.4), shoulder_width=(0.5, 0.5), shoulder_raise=(0.08, 0.08),
                            pelvis_to_hips=(0.75, 0.75), spine1=(0.38, 0.38), spine2=(0.55, 0.55),
                            spine3=(0.6, 0.6), head=(0.8, 0.8))
    foreign = A.replace_joints(x, np.random.default_rng(0), rig)
    before, after = measure_placement(foreign), measure_placement(canonical_placement(foreign))
    ref = measure_placement(x)
    for k in KEYS:
        assert abs(after[k] - ref[k]) < abs(before[k] - ref[k]) + 1e-6, k
        assert abs(after[k] - reference_placement()[k]) < 0.01, k
    y = canonical_placement(foreign)
    # limbs stay where they were (up to the floor shift), the placed joints come back near the original ones
    shift = y[:, KEPT] - foreign[:, KEPT]
    assert np.abs(shift - shift[:1, :1]).max() < 1e-5
    assert np.abs((y - y[:, :1]) - (x - x[:, :1]))[:, MOVED].max() < 0.03
    np.testing.assert_array_equal(canonical_placement(foreign), y)   # deterministic
    assert y.dtype == np.float32 and y.shape == x.shape and abs(float(y[..., 1].min())) < 1e-6
