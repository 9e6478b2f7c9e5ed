"""Zero-shot recognition windows and scores, MAR embeddings, and retrieval galleries at scale."""

import itertools
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coamd.errors import CoamdError
from coamd.tasks import build_gallery, load_bundle, load_gallery, make_random_bundle, recognize
from coamd.tasks.recognize import embed_motions, parse_labels, windows
from coamd.tasks.retrieve import (
    Gallery,
    GalleryError,
    check_model,
    is_gallery_file,
    rank_motions,
    rank_texts,
    top_matches,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return load_bundle(make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny"), parts=("mar",))


def motion(T, seed):
    g = np.random.default_rng(seed)
    base = g.normal(0.0, 0.3, (1, 22, 3))
    drift = np.cumsum(g.normal(0.0, 0.02, (T, 22, 3)), axis=0)
    return (base + drift).astype(np.float32)


def test_windows_cover_long_clips():
    assert windows(50) == [(0, 50)] and windows(196) == [(0, 196)]
    assert windows(300) == [(0, 196), (98, 294), (104, 300)]
    w = windows(1000)
    assert w[0][0] == 0 and w[-1][1] == 1000 and all(e - s == 196 for s, e in w)
    assert all(b[0] - a[0] <= 98 for a, b in itertools.pairwise(w))


def test_long_clips_average_their_window_embeddings(bundle):
    long = motion(300, 0)
    parts = embed_motions(bundle, [long[s:e] for s, e in windows(300)])          # (3, E)
    whole = embed_motions(bundle, [long])[0]
    torch.testing.assert_close(whole, F.normalize(parts.mean(0), dim=0), atol=1e-5, rtol=1e-5)
    assert torch.allclose(embed_motions(bundle, [long[:100]]).norm(dim=-1), torch.ones(1))


def test_recognition_ranks_any_label_list(bundle):
    clips = [motion(60, 1), motion(250, 2)]
    labels = ["walk", "run", "jump", "sit down", "wave"]
    res = recognize(bundle, clips, labels, top_k=3)
    assert len(res) == 2 and all(len(r.labels) == 3 for r in res)
    f = embed_motions(bundle, clips)
    cos = F.normalize(f, dim=-1) @ F.normalize(bundle.mar.encode_labels(bundle.sentences(labels)), dim=-1).T
    for r, row in zip(res, cos):
        order = row.argsort(descending=True)[:3].tolist()
        assert r.labels == [labels[i] for i in order]
        assert np.allclose(r.scores, row[order].tolist(), atol=1e-5)
        assert r.scores == sorted(r.scores, reverse=True) and r.probs == sorted(r.probs, reverse=True)
    full = recognize(bundle, clips[:1], labels, top_k=10)[0]
    assert len(full.labels) == 5 and abs(sum(full.probs) - 1.0) < 1e-5
    assert recognize(bundle, clips[:1])[0].labels[0] in bundle.label_names        # default: the bundle's labels
    assert parse_labels("walk, run,,walk") == ["walk", "run"]
    with pytest.raises(CoamdError, match="no labels"):
        parse_labels(" , ")


def test_top_matches_is_exact_across_chunks():
    g = torch.Generator().manual_seed(0)
    m = F.normalize(torch.randn(70000, 16, generator=g), dim=-1)
    q = F.normalize(torch.randn(3, 16, generator=g), dim=-1)
    s, i = top_matches(q, m, 7)
    ref = (q @ m.T).topk(7, dim=1)
    assert torch.equal(i, ref.indices) and torch.allclose(s, ref.values)
    s, i = top_matches(q, m[:4], 10)
    assert s.shape == (3, 4)


def test_100k_gallery_search_is_fast():
    g = torch.Generator().manual_seed(0)
    emb = F.normalize(torch.randn(100_000, 512, generator=g), dim=-1).half()
    gallery = Gallery(emb, [f"m{i}" for i in range(100_000)], [""] * 100_000, np.full(100_000, 60))
    query = emb[12345:12346].float()
    times = []
    for _ in range(2):                                  # the first search also converts float16 -> float32
        t0 = time.perf_counter()
        scores, idx = gallery.search(query, 10)
        times.append(time.perf_counter() - t0)
    assert idx[0, 0].item() == 12345 and scores.shape == (1, 10)
    assert max(times) < 1.0, f"searching 100k x 512 took {times} s"


def test_gallery_round_trip_and_ranking_mechanics(bundle, tmp_path):
    clips = {f"c{i}.npy": motion(40 + 30 * i, 10 + i) for i in range(4)}
    for name, m in clips.items():
        np.save(tmp_path / name, m)
    (tmp_path / "notes.txt").write_text("not a motion")
    gallery = build_gallery(bundle, [tmp_path])
    assert sorted(p.rsplit("/", 1)[1] for p in gallery.paths) == sorted(clips)
    assert gallery.embeddings.dtype == torch.float16 and len(gallery) == 4
    path = gallery.save(tmp_path / "g.idx")
    assert is_gallery_file(path) and not is_gallery_file(tmp_path / "c0.npy")
    back = load_gallery(path)
    assert back.paths == gallery.paths and torch.equal(back.embeddings, gallery.embeddings)
    assert back.model == bundle.part_id("mar") and list(back.frames) == list(gallery.frames)
    # a gallery motion queried by its own embedding comes first
    i = 2
    s, idx = back.search(back.embeddings[i:i + 1].float(), 4)
    assert idx[0, 0].item() == i and s[0].tolist() == sorted(s[0].tolist(), reverse=True)
    rows = rank_motions(bundle, ["a person walks", "jump"], back, top_k=2)
    assert [len(r) for r in rows] == [2, 2] and rows[0][0]["rank"] == 1 and {"path", "score"} <= set(rows[0][0])
    texts = rank_texts(bundle, [clips["c0.npy"]], ["walk", "run", "jump"], top_k=3)[0]
    assert sorted(r["text"] for r in texts) == ["jump", "run", "walk"]
    back.model = "0" * 16
    with pytest.raises(GalleryError, match="rebuild"):
        check_model(back, bundle)
    with pytest.raises(GalleryError, match="not a gallery index"):
        load_gallery(tmp_path / "notes.txt")


def test_test_time_views_average_scores_and_keep_sides(bundle):
    from coamd.data.augment import mirror_caption_text
    from coamd.skeleton import mirror
    from coamd.tasks.recognize import label_logits, label_scores, tta_views, view

    assert tta_views("none") == [(False, 1.0)]
    assert len(tta_views("mirror+speed")) == 6 and tta_views("mirror+speed")[0] == (False, 1.0)
    with pytest.raises(CoamdError, match="--tta: 'sideways'"):
        tta_views("sideways")
    x = motion(81, 3)
    assert len(view(x, False, 0.8, bundle.skeleton)) == 101 and len(view(x, False, 1.25, bundle.skeleton)) == 65
    np.testing.assert_array_equal(view(x, False, 1.25, bundle.skeleton)[[0, -1]], x[[0, -1]])
    labels = ["kick with the left leg", "kick with the right leg", "wave the left hand", "jump"]
    # "none" is one plain pass
    plain = label_logits(bundle, embed_motions(bundle, [x]), labels)
    torch.testing.assert_close(label_scores(bundle, [x], labels, tta="none"), plain)
    # "mirror": the mirror image of a clip scores each label as the clip scores the label's mirror
    swapped = [mirror_caption_text(n) for n in labels]
    assert swapped[0] == "kick with the right leg"
    for tta in ("mirror", "mirror+speed"):
        a = label_scores(bundle, [mirror(x, bundle.skeleton)], labels, tta=tta)
        b = label_scores(bundle, [x], swapped, tta=tta)
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
        assert not torch.allclose(label_scores(bundle, [x], labels, tta=tta), plain, atol=1e-4)
    # the default is the MAR's setting; recognize() and its API follow it
    bundle.mar.cfg.recog_tta = "speed"
    try:
        res = recognize(bundle, [x], labels, top_k=4)[0]
        s = label_scores(bundle, [x], labels, tta="speed")[0]
        assert res.labels[0] == labels[int(s.argmax())] and abs(res.scores[0] - float(s.max())) < 1e-5
        bundle.mar.cfg.recog_tta = "both"
        with pytest.raises(CoamdError, match="recog_tta: 'both'"):
            recognize(bundle, [x], labels)
    finally:
        bundle.mar.cfg.recog_tta = "none"
