"""The "extended" corpus vocabulary (issue 11): actions of real captured motion that the core corpus
lacks — putting something down, elbow-to-knee crunches, sneaking — drawn only when asked for, with
the core corpus unchanged."""

import json

import numpy as np
import pytest

from coamd.cli import main
from coamd.synth import ACTIONS, LABELS, generate_clips, synthesize_clip, write_corpus
from coamd.synth.corpus import mirror_caption
from coamd.synth.labels import ALL_LABELS, EXTENDED_LABELS, LABEL_INDEX, LABEL_KEYWORDS

EXTENDED = sorted(n for n, a in ACTIONS.items() if a.vocabulary == "extended")
PELVIS, L_KNEE, R_KNEE, L_ELBOW, R_ELBOW, R_WRIST = 0, 4, 5, 18, 19, 21


def clip(spec, seed=0, **kw):
    return synthesize_clip(np.random.default_rng(seed), spec, **kw)


def test_extended_actions_and_labels_come_after_the_core_ones():
    assert EXTENDED == ["elbow_to_knee", "put_down", "sneak"]
    assert ALL_LABELS[:len(LABELS)] == LABELS and len(ALL_LABELS) == len(LABELS) + len(EXTENDED_LABELS)
    assert [LABEL_INDEX[n] for n in LABELS] == list(range(len(LABELS)))  # core indices kept
    for name in EXTENDED:
        assert set(ACTIONS[name].labels(ACTIONS[name].sample(np.random.default_rng(0), 8.0, {}))) <= set(EXTENDED_LABELS)


def test_the_core_vocabulary_never_draws_an_extended_action():
    seen = set()
    for clip_ in generate_clips(300, seed=3):
        seen.update(a.name for a in clip_.actions)
        assert not set(clip_.labels) & set(EXTENDED_LABELS)
    assert not seen & set(EXTENDED) and len(seen) > 30
    # the default is the core vocabulary, draw for draw
    a, b = clip(None, seed=11), clip(None, seed=11, vocabulary="core")
    assert np.array_equal(a.joints, b.joints) and a.captions == b.captions


def test_the_extended_vocabulary_draws_every_action():
    names = set()
    for clip_ in generate_clips(400, seed=3, vocabulary="extended"):
        names.update(a.name for a in clip_.actions)
    assert set(EXTENDED) <= names
    with pytest.raises(ValueError, match="vocabulary 'huge'"):
        clip(None, vocabulary="huge")


@pytest.mark.parametrize("name", EXTENDED)
def test_extended_captions_name_their_label(name):
    for seed in range(6):
        c = clip([name], seed)
        label = ACTIONS[name].labels(c.actions[0].params)[0]
        assert c.labels == [label]
        for cap in c.caption_info:
            assert cap.labels == (label,)
            assert any(k in cap.text.lower() for k in LABEL_KEYWORDS[label]), cap.text


def test_elbow_to_knee_alternates_from_the_named_elbow():
    for first, elbow, knee, other_elbow, other_knee in (("left", L_ELBOW, R_KNEE, R_ELBOW, L_KNEE),
                                                          ("right", R_ELBOW, L_KNEE, L_ELBOW, R_KNEE)):
        c = clip([("elbow_to_knee", {"first": first, "count": 2})], seed=2)
        j = c.joints.astype(np.float64)
        d1 = np.linalg.norm(j[:, elbow] - j[:, knee], axis=-1)
        d2 = np.linalg.norm(j[:, other_elbow] - j[:, other_knee], axis=-1)
        assert d1.min() < 0.3 and d2.min() < 0.3  # each elbow comes down to the opposite knee ...
        assert d1.min() < 0.5 * d1[0] and d2.min() < 0.5 * d2[0]
        assert d1.argmin() < d2.argmin()  # ... the named one first
        assert any(f"{first} elbow" in t for t in c.captions) or all("each elbow" in t or "opposite" in t for t in c.captions)
        mirrored = [mirror_caption(x).text for x in c.caption_info]
        other = "right" if first == "left" else "left"
        assert [t.replace(f"{other} elbow", "X").replace(f"{first} elbow", f"{other} elbow").replace("X", f"{first} elbow")
                for t in mirrored] == c.captions


def test_putting_down_carries_the_hand_before_and_picking_up_after():
    for seed in range(3):
        put = clip([("put_down", {"hand": "right"})], seed).joints
        pick = clip([("pick_up", {"hand": "right"})], seed).joints

        def wrist(j, i):  # right wrist height above the pelvis
            return float(j[i, R_WRIST, 1] - j[i, PELVIS, 1])
        assert wrist(put, 8) > wrist(put, -14) + 0.15  # carried, then let go
        assert wrist(pick, -14) > wrist(pick, 8) + 0.15  # empty-handed, then carrying
        for j in (put, pick):  # both reach down towards the floor
            assert j[:, R_WRIST, 1].min() < 0.5 * j[0, R_WRIST, 1]


def test_sneaking_is_a_lower_slower_walk():
    for seed in range(3):
        sneak = clip([("sneak", {"first": "left"})], seed).joints
        walk = clip([("walk", {"speed": "slow"})], seed).joints  # same body and style for the same seed
        assert np.median(sneak[:, PELVIS, 1]) < np.median(walk[:, PELVIS, 1]) - 0.03
        travel = np.linalg.norm(sneak[-1, PELVIS, [0, 2]] - sneak[0, PELVIS, [0, 2]])
        assert 0.3 < travel and travel / (len(sneak) / 20.0) < 0.6  # forward, under 0.6 m/s on average


def test_extended_corpus_files_and_cli(tmp_path):
    out = tmp_path / "ext"
    assert main(["data", "synth", "--out", str(out), "--clips", "120", "--seed", "4", "--workers", "1",
                 "--vocabulary", "extended", "--quiet"]) == 0
    assert (out / "label_map.txt").read_text().splitlines() == list(ALL_LABELS)
    stats = json.loads((out / "corpus.json").read_text())
    assert stats["vocabulary"] == "extended" and set(stats["clips_per_label"]) == set(ALL_LABELS)
    ann = json.loads((out / "annotations_actions_400.json").read_text())
    used = {ALL_LABELS[k] for entry in ann.values() for k in entry["labels"]}
    assert used & set(EXTENDED_LABELS)
    # a core corpus keeps the 44 labels and does not record a vocabulary (its files are those of 1.0.0)
    core = write_corpus(tmp_path / "core", generate_clips(20, seed=4), seed=4)
    assert "vocabulary" not in core and (tmp_path / "core" / "label_map.txt").read_text().splitlines() == list(LABELS)


def test_broad_styles_widen_bodies_and_postures_but_not_the_core_corpus(tmp_path):
    from coamd.synth import sample_body, sample_style

    core = [sample_style(np.random.default_rng(s)) for s in range(200)]
    broad = [sample_style(np.random.default_rng(s), "broad") for s in range(200)]
    assert max(s.posture for s in core) <= 0.08 and max(s.posture for s in broad) > 0.3
    assert max(s.knee for s in broad) > 0.25 and min(s.tempo for s in broad) < 0.8
    heights = [sample_body(np.random.default_rng(s), "broad").height for s in range(200)]
    assert min(heights) < 1.4 and min(sample_body(np.random.default_rng(s)).height for s in range(200)) >= 1.5
    a, b = clip(None, seed=7), clip(None, seed=7, styles="broad")
    assert not np.array_equal(a.joints[:5], b.joints[:5])
    with pytest.raises(ValueError, match="styles 'wild'"):
        clip(None, styles="wild")
    out = tmp_path / "broad"
    assert main(["data", "synth", "--out", str(out), "--clips", "30", "--workers", "1", "--styles", "broad",
                 "--quiet"]) == 0
    stats = json.loads((out / "corpus.json").read_text())
    assert stats["styles"] == "broad" and "vocabulary" not in stats
    assert "styles broad" in (out / "SYNTH.md").read_text()
    # mixed: each clip is a core or a broad clip (one extra draw decides), about half each
    broad_count = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        chosen = "broad" if rng.random() < 0.5 else "core"
        broad_count += chosen == "broad"
        expected = synthesize_clip(rng, None, styles=chosen)
        assert np.array_equal(clip(None, seed=seed, styles="mixed").joints, expected.joints)
    assert 7 < broad_count < 23


def test_varied_styles_add_deep_squats_and_hand_raises_only_when_asked_for():
    def variants(styles, n=160):
        found = {"deep": 0, "hand": 0}
        for seed in range(n):
            c = clip(["squat"] if seed % 2 else ["raise_arms"], seed=seed, styles=styles)
            p = c.actions[0].params
            found["deep"] += p.get("depth") == "deep"
            found["hand"] += p.get("plane") == "hand"
        return found

    assert variants("broad", 80) == {"deep": 0, "hand": 0}
    found = variants("varied")
    assert 20 < found["deep"] < 60 and 20 < found["hand"] < 60           # about half of each
    # a deep squat drops the pelvis further than a full one; a hand raise bends the elbow, hand above the head
    def drop(c):
        y = c.joints[:, PELVIS, 1]
        return (y.max() - y.min()) / y.max()
    deep = clip([("squat", {"depth": "deep", "count": 1})], seed=3)
    full = clip([("squat", {"depth": "full", "count": 1})], seed=3)
    assert drop(deep) > drop(full) + 0.08 and drop(deep) > 0.5
    assert any("deep squat" in t or "all the way down" in t or "down low" in t for t in deep.captions)
    hand = clip([("raise_arms", {"which": "right", "plane": "hand"})], seed=4)
    t = int(hand.joints[:, R_WRIST, 1].argmax())
    upper, fore = hand.joints[t, R_ELBOW] - hand.joints[t, 17], hand.joints[t, R_WRIST] - hand.joints[t, R_ELBOW]
    bend = np.degrees(np.arccos(upper @ fore / np.linalg.norm(upper) / np.linalg.norm(fore)))
    assert bend > 30 and hand.joints[t, R_WRIST, 1] > hand.joints[t, 15, 1]
    assert hand.labels == ["arm raise"] and all("right hand" in c for c in hand.captions)
