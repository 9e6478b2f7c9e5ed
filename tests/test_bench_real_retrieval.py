"""bench: text→motion retrieval of labelled real clips from their label names (coamd.bench.recognition.real_retrieval)
and its report table."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from coamd.tasks.bundle import BUNDLE_FILE, default_bundle_path

HAVE_BUNDLE = (default_bundle_path() / BUNDLE_FILE).is_file()


class _Clips:
    """The parts of LabelledClips that real_retrieval reads."""

    def __init__(self, motions, labels, names):
        self._motions, self.labels, self.label_names = motions, np.asarray(labels), names
        self.spec = SimpleNamespace(name="fake")

    def split(self, protocol, part):
        return np.arange(len(self._motions)) if part == "test" else np.arange(0)

    def motion(self, i):
        return self._motions[i]


@pytest.mark.skipif(not HAVE_BUNDLE, reason="no bundled weights")
def test_real_retrieval_rows_and_a_closed_form_case():
    from coamd.bench.recognition import real_retrieval
    from coamd.synth import synthesize_clip
    from coamd.tasks import load_bundle

    bundle = load_bundle(None, parts=["mar"])
    motions = [synthesize_clip(np.random.default_rng(k), [action]).joints
               for k, action in enumerate(["walk", "walk", "squat", "squat"])]
    clips = _Clips(motions, [0, 0, 1, 1], ["walk", "squat"])
    row = real_retrieval(bundle, clips, "any")["text_label"]
    vals = {k: v["mean"] for k, v in row.items()}
    assert vals["clips"] == 4 and vals["queries"] == 2
    for k in ("t2m_R1", "t2m_R3", "m2t_R1", "m2t_R3"):
        assert 0.0 <= vals[k] <= 1.0
    # 2 labels x 2 clips: any 3 of the 4 clips include one of each label, and there are only 2 label texts
    assert vals["t2m_R3"] == 1.0 and vals["m2t_R3"] == 1.0
    assert vals["t2m_R1"] <= vals["t2m_R3"]
    with pytest.raises(Exception, match="no train clips"):
        real_retrieval(bundle, clips, "any", part="train")


def test_report_has_the_real_retrieval_table():
    from coamd.bench.report import _real_retrieval

    def stat(v):
        return {"mean": v, "lo": v, "hi": v, "n": 1}

    sections = {"retrieval": {"rows": {}},
                "retrieval/hdm05": {"rows": {"text_label": {"t2m_R1": stat(0.5), "t2m_R3": stat(0.75),
                                                           "m2t_R1": stat(0.4), "m2t_R3": stat(0.9),
                                                           "clips": stat(99), "queries": stat(11)}}},
                "retrieval/bandai": {"skipped": "no real data"}}
    text = "\n".join(_real_retrieval(sections))
    assert "Text→motion retrieval on real clips" in text
    assert "| hdm05 | actors mm/tr |" in text and "99" in text
    assert "| bandai | – | skipped |" in text
    assert _real_retrieval({"retrieval": {"rows": {}}}) == []
