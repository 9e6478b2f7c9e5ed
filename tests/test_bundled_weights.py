"""Behaviour of the bundled cpu-small weights on fresh corpus clips (clips the models never saw).

Skipped with the reason when the install carries no bundled weights.
"""

import numpy as np
import pytest

from coamd.bench.context import DEFAULT_EVALUATOR
from coamd.tasks.bundle import BUNDLE_FILE, DEFAULT_BUNDLE

pytestmark = pytest.mark.skipif(not (DEFAULT_BUNDLE / BUNDLE_FILE).is_file(),
                                reason=f"no bundled weights at {DEFAULT_BUNDLE}")

# A seed the bundled corpus (seed 0) did not use, so these clips are new to every model.
SEED, N = 777, 32


@pytest.fixture(scope="module")
def model_and_clips():
    import coamd
    from coamd.synth import generate_clips

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


def test_zero_shot_recognition_over_the_corpus_labels_is_near_the_test_split_figure(model_and_clips):
    m, clips = model_and_clips
    labels = list(m.bundle.label_names)
    results = m.recognize([c.joints for c in clips], labels=labels, top_k=5)
    top1 = np.mean([r.labels[0] in c.labels for r, c in zip(results, clips)])
    assert top1 >= 0.8, top1  # chance is about 1.5 / 44; 0.93 on the corpus test split, 0.97 on these 32 clips


def test_bundled_autoencoder_reconstructs_unseen_clips_within_3cm(model_and_clips):
    from coamd.tasks.codec import decode_list, encode_joints, pad_to_unit

    m, clips = model_and_clips
    errs = []
    for c in clips[:8]:
        z = encode_joints(m.bundle, pad_to_unit(c.joints, m.bundle.unit_length))
        rec = decode_list(m.bundle, z, [z.shape[1]])[0][: len(c.joints)]
        errs.append(np.linalg.norm(rec - c.joints, axis=-1).mean())
    assert 1000 * float(np.mean(errs)) < 30.0, errs          # the Models issue's target (mm)


EVALUATOR = DEFAULT_EVALUATOR / "evaluators.pt"


@pytest.mark.skipif(not EVALUATOR.is_file(), reason=f"no bundled evaluators at {EVALUATOR}")
def test_bundled_evaluators_match_unseen_clips_to_their_captions(model_and_clips):
    from coamd.bench.evalset import pad_motions
    from coamd.evaluation import Evaluators

    _, clips = model_and_clips
    ev = Evaluators.load(EVALUATOR)
    joints, lengths = pad_motions([c.joints for c in clips])              # (N, T, J, 3), padding ignored
    t = ev.embed_texts([c.captions[0] for c in clips]).numpy()
    mo = ev.embed_motions(ev.normalize(joints).reshape(N, joints.shape[1], -1), lengths).numpy()
    d = np.linalg.norm(t[:, None] - mo[None], axis=-1)       # text x motion Euclidean, one pool of 32
    top1 = float(np.mean(d.argmin(axis=1) == np.arange(N)))
    assert top1 > 0.4, top1                                  # chance is 1/32
