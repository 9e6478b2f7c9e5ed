"""Captions of the procedural corpus: grammar, agreement with the motion's parameters, POS tokens."""

import re

import numpy as np
import pytest

from coamd.synth import synthesize_clip
from coamd.synth.corpus import clip_rng, mirror_text
from coamd.synth.labels import LABEL_INDEX, LABEL_KEYWORDS, LABELS, annotation
from coamd.synth.postag import tag, tokens_string, unknown_words, verb_form

NUMBER_WORDS = {"one": 1, "once": 1, "two": 2, "twice": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8}


@pytest.fixture(scope="module")
def clips():
    return [synthesize_clip(clip_rng(11, i)) for i in range(150)]


def test_every_caption_word_is_in_the_lexicon_and_tokens_follow_humanml3d(clips):
    for c in clips:
        for cap in c.caption_info:
            assert unknown_words(cap.text) == [], cap.text
            assert cap.tokens == tokens_string(cap.text)
            for tok in cap.tokens.split():
                word, pos = tok.rsplit("/", 1)
                assert word and pos in {"NOUN", "VERB", "ADJ", "ADV", "ADP", "DET", "NUM", "PRON", "CCONJ", "SCONJ", "PART",
                               "AUX"}
            assert cap.line().count("#") == 3 and cap.line().endswith("#0.0#0.0")


def test_tagger_lemmatises_nouns_and_verbs_and_resolves_ambiguous_words():
    assert tag("A man walks forward and waves his left hand.") == [
        ("a", "DET"), ("man", "NOUN"), ("walk", "VERB"), ("forward", "ADV"), ("and", "CCONJ"), ("wave", "VERB"),
        ("his", "DET"), ("left", "ADJ"), ("hand", "NOUN")]
    assert ("left", "NOUN") in tag("someone turns to the left")
    assert ("left", "ADV") in tag("someone turns left")
    assert ("squat", "NOUN") in tag("a person does three squats")
    assert ("squat", "VERB") in tag("a person squats")
    assert [verb_form(v, "ing") for v in ("run", "sit", "lie", "dance", "squat", "walk")] == [
        "running", "sitting", "lying", "dancing", "squatting", "walking"]
    assert [verb_form(v, "s") for v in ("do", "catch", "carry", "wave")] == ["does", "catches", "carries", "waves"]


def test_three_distinct_captions_and_labels_named_in_them(clips):
    for c in clips:
        assert len(c.captions) == 3 and len(set(c.captions)) == 3
        text = " ".join(c.captions).lower()
        words = set(_words(text))
        assert not ({"man", "his"} & words and {"woman", "her"} & words), c.captions  # one subject per clip
        for lab in c.labels:
            assert lab in LABELS
            assert any(k in text for k in LABEL_KEYWORDS[lab]), (lab, c.captions)
        for cap in c.caption_info:  # the annotation phrases line up with the labels
            assert len(cap.phrases) == len(cap.labels)
            assert sorted(set(cap.labels)) == c.labels


def _words(text):
    return re.findall(r"[a-z]+", text.lower())


def _pronoun_one(ws, i):
    """'one' that is not a count: 'on one leg', 'the left one'."""
    return ws[i] == "one" and ((i + 1 < len(ws) and ws[i + 1] in ("leg", "knee", "foot", "hand"))
                               or (i > 0 and ws[i - 1] in ("left", "right")))


@pytest.mark.parametrize("spec, must, must_not", [
    (("walk_backward", {}), ["back"], ["forward"]),
    (("wave", {"hand": "left"}), ["left"], ["right"]),
    (("wave", {"hand": "right"}), ["right"], ["left"]),
    (("walk", {"speed": "slow"}), ["slow|leisurely|stroll"], ["fast|quick|brisk"]),
    (("walk", {"speed": "fast"}), ["quick|fast|brisk"], ["slow|leisurely|stroll"]),
    (("walk_sideways", {"side": "right"}), ["right", "side"], ["left"]),
    (("kick", {"leg": "left", "kind": "side", "count": 1}), ["left", "kick"], ["right"]),
    (("walk_circle", {"side": "left", "amount": "full"}), ["circle"], ["right", "clockwise"]),
])
def test_captions_state_the_parameters(spec, must, must_not):
    for seed in range(6):
        c = synthesize_clip(np.random.default_rng(seed), [spec])
        for cap in c.captions:
            low = cap.lower()
            for pattern in must:
                assert re.search(pattern, low), (pattern, cap)
            for pattern in must_not:
                assert not re.search(rf"\b({pattern})", low), (pattern, cap)


@pytest.mark.parametrize("spec, count", [
    (("jump", {"kind": "up", "count": 3}), 3), (("squat", {"count": 2}), 2), (("clap", {"count": 4}), 4),
    (("punch", {"hand": "right", "count": 1}), 1), (("hop", {"leg": "left", "forward": True, "count": 5}), 5),
    (("jumping_jacks", {"count": 6}), 6),
])
def test_counts_in_captions_are_never_wrong(spec, count):
    seen = False
    for seed in range(8):
        c = synthesize_clip(np.random.default_rng(seed), [spec])
        for cap in c.captions:
            ws = _words(cap)
            nums = {NUMBER_WORDS[w] for i, w in enumerate(ws) if w in NUMBER_WORDS and not _pronoun_one(ws, i)}
            assert nums <= {count}, cap
            seen |= count in nums
    assert seen  # the count is stated in at least some captions


def test_annotation_schema_matches_humanml3d400():
    c = synthesize_clip(np.random.default_rng(3), ["walk", "wave"])
    entry = annotation(c.caption_info, c.num_frames)
    assert entry["duration"] == pytest.approx(c.num_frames / 20.0)
    assert len(entry["annotations"]) == 3
    for i, line in enumerate(entry["annotations"]):
        assert set(line) >= {"text", "processed_text", "processed_label_text", "label", "seg_id"}
        assert line["seg_id"] == i
        assert [LABELS[k] for k in line["label"]] == line["processed_label_text"]
    assert entry["labels"] == sorted({LABEL_INDEX[n] for n in c.labels})


def test_mirror_text_swaps_sides_and_rotation_sense():
    assert mirror_text("A man waves his Left hand, turns right, then circles clockwise.") == \
        "A man waves his Right hand, turns left, then circles counterclockwise."
