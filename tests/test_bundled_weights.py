"""Behaviour of the bundled cpu-small weights on fresh corpus clips (clips the models never saw).

Skipped with the reason when the install carries no bundled weights.
"""

import numpy as np
import pytest

from coamd.tasks.bundle import DEFAULT_BUNDLE, BUNDLE_FILE

pytestmark = pytest.mark.skipif(not (DEFAULT_BUNDLE / BUNDLE_FILE).is_file(),
                                reason=f"no bundled weights at {DEFAULT_BUNDLE}")

# A seed the bundled corpus (seed 0) did not use, so these clips are new to every model.
SEED, N = 777, 32


@pytest.fixture(scope="module")
def model_and_clips():
    import coamd
    from coamd.data.synth import generate_clips

    clips = list(generate_clips(N, seed=SEED))
    return coamd.load(), clips


def test_retrieval_ranks_a_clips_own_caption_first_far_more_often_than_chance(model_and_clips):
    m, clips = model_and_clips
    motions = [c.joints for c in clips]
    captions = [c.captions[0] for c in clips]
    f = m.embed_motion(motions)                              # (N, E), L2-normalised
    e = m.embed_text(captions)                               # (N, E)
    sim = np.asarray(e) @ np.asarray(f).T                    # text x motion cosine
    t2m_top1 = float(np.mean(sim.argmax(axis=1) == np.arange(N)))
    m2t_top1 = float(np.mean(sim.argmax(axis=0) == np.arange(N)))
    chance = 1.0 / N
    assert t2m_top1 > 5 * chance and m2t_top1 > 5 * chance, (t2m_top1, m2t_top1)


def test_zero_shot_recognition_beats_chance_over_the_corpus_labels(model_and_clips):
    m, clips = model_and_clips
    labels = list(m.bundle.label_names)
    results = m.recognize([c.joints for c in clips], labels=labels, top_k=5)
    top1 = np.mean([r.labels[0] in c.labels for r, c in zip(results, clips)])
    assert top1 > 0.4, top1   # chance is about 1.5 / 44 labels per clip
