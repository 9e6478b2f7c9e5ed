"""Shapes, finite losses, padding behaviour and the bone definition of every network (tiny sizes)."""

import pytest
import torch
import torch.nn.functional as F

from coamd.errors import CoamdError
from coamd.models import bone_pairs, build_models, centre_joint, tiny_config
from coamd.models.contrastive import description_infonce, recognition_infonce
from coamd.models.layers import Streams
from coamd.skeleton import KIT21, SMPL22

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return build_models(tiny_config())


def test_smpl_bones_reproduce_the_papers_centred_list():
    # upstream t2m_BONES, 1-based (child, parent): spine3 (10) is the centre, its bone is zero
    paper = [(1, 4), (2, 1), (3, 1), (4, 7), (5, 2), (6, 3), (7, 10), (8, 5), (9, 6), (10, 10), (11, 8), (12, 9),
             (13, 10), (14, 10), (15, 10), (16, 13), (17, 14), (18, 15), (19, 17), (20, 18), (21, 19), (22, 20)]
    assert bone_pairs(SMPL22) == [(c - 1, p - 1) for c, p in paper]
    kit = bone_pairs(KIT21)
    assert centre_joint(KIT21) == 3 and kit[3] == (3, 3)
    assert kit[0] == (0, 1) and kit[1] == (1, 2)            # root path reversed towards the centre


def test_streams_centre_bone_and_first_velocity_are_zero():
    x = torch.randn(2, 5, 66, generator=g())
    j, b, m = Streams(SMPL22)(x)
    torch.testing.assert_close(j, x)
    assert torch.all(b.unflatten(-1, (22, 3))[:, :, 9] == 0)
    assert torch.all(m[:, 0] == 0)
    torch.testing.assert_close(m[:, 1:], x[:, 1:] - x[:, :-1])
    torch.testing.assert_close(b.unflatten(-1, (22, 3))[:, :, 15], (x.unflatten(-1, (22, 3))[:, :, 15]
                                                                     - x.unflatten(-1, (22, 3))[:, :, 12]))


@pytest.mark.parametrize("skeleton,dims", [("smpl22", 66), ("kit21", 63)])
def test_autoencoder_shapes_and_loss(skeleton, dims):
    ae = build_models(tiny_config(skeleton), parts=("ae",))["ae"]
    x = torch.randn(3, 24, dims, generator=g())
    z = ae.encode(x)
    assert z.shape == (3, 6, 16)
    assert ae.decode(z).shape == (3, 24, dims)
    loss, logs = ae.loss(x, torch.tensor([24, 16, 8]))
    assert torch.isfinite(loss) and set(logs) == {"loss", "joint", "bone", "velocity"}
    loss.backward()
    assert all(p.grad is not None for p in ae.parameters())
    with pytest.raises(CoamdError, match="multiple of 4"):
        ae.encode(torch.zeros(1, 10, dims))
    with pytest.raises(CoamdError, match=f"{dims}"):
        ae.encode(torch.zeros(1, 8, dims + 3))


def test_autoencoder_loss_ignores_padded_frames(models):
    ae = models["ae"]
    x = torch.randn(2, 16, 66, generator=g(1))
    rec = torch.randn(2, 16, 66, generator=g(2))
    y = x.clone()
    y[0, 10:] = 100.0                     # garbage in the padding of sample 0
    lengths = torch.tensor([10, 16])
    ae.forward = lambda inp: rec          # fix the reconstruction: only the target side changes
    try:
        assert torch.equal(ae.loss(x, lengths)[0], ae.loss(y, lengths)[0])
        assert not torch.equal(ae.loss(x)[0], ae.loss(y)[0])
    finally:
        del ae.forward


def test_mar_embeddings_ignore_padding_and_losses_are_finite(models):
    mar = models["mar"].eval()
    x = torch.randn(3, 20, 66, generator=g())
    lengths = torch.tensor([20, 12, 5])
    f, fj, fb, fm = mar.encode(x, lengths)
    assert f.shape == fj.shape == fb.shape == fm.shape == (3, 32)
    y = x.clone()
    y[1, 12:] = 7.0
    y[2, 5:] = -3.0
    torch.testing.assert_close(mar.encode(y, lengths)[0], f)
    tokens = torch.randn(3, 6, 16, generator=g(3))
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]]).bool()
    e = mar.encode_text(tokens, mask)
    tokens2 = tokens.clone()
    tokens2[~mask] = 5.0
    torch.testing.assert_close(mar.encode_text(tokens2, mask), e)
    assert mar.recognition_logits(f, torch.randn(7, 16, generator=g(4))).shape == (3, 7)
    mar.train()
    loss, logs = mar.loss(x, lengths, label_emb=torch.randn(3, 16, generator=g(5)), label_ids=torch.tensor([4, 4, 1]),
                          text_tokens=tokens, text_mask=mask, text_sentence=torch.randn(3, 16, generator=g(6)))
    assert torch.isfinite(loss) and {"recog", "desc_nce", "desc_latent"} <= set(logs)
    loss.backward()
    assert mar.text.out.weight.grad is not None and mar.joint.inp.weight.grad is not None   # both towers train
    with pytest.raises(CoamdError, match="needs"):
        mar.loss(x, lengths)


def test_recognition_loss_does_not_count_a_repeated_label_as_its_own_negative():
    protos = torch.eye(3)
    ids = torch.tensor([0, 0, 1, 2])
    f = protos[ids]                                   # each motion sits exactly on its label
    ours, acc = recognition_infonce(f, protos[ids], ids, tau=0.05)
    assert ours < 1e-3 and acc == 1.0
    naive_logits = F.normalize(f, dim=-1) @ F.normalize(protos[ids], dim=-1).T / 0.05   # upstream: B x B
    naive = F.cross_entropy(naive_logits, torch.arange(4))
    assert naive > 0.3                                # the duplicate pair is pushed apart upstream
    multi = torch.zeros(4, 3, dtype=torch.bool)
    multi[2, 2] = True                                # motion 2 also shows label 2: not a negative
    f2 = f.clone()
    f2[2] = F.normalize(protos[1] + protos[2], dim=0)
    with_multi, _ = recognition_infonce(f2, protos[ids], ids, tau=0.05, multi_hot=multi)
    without, _ = recognition_infonce(f2, protos[ids], ids, tau=0.05)
    assert with_multi < without


def test_description_loss_filters_near_duplicate_captions():
    e = torch.eye(4)[[0, 0, 1, 2]]                    # samples 0 and 1 have the same caption
    f = e.clone()
    sent = e.clone()
    filtered, acc = description_infonce(f, e, sent, tau=0.05, threshold=0.8)
    unfiltered, _ = description_infonce(f, e, None, tau=0.05)
    assert filtered < 1e-3 and unfiltered > 0.3
    assert acc == 1.0


def test_generator_loss_trains_transformer_head_and_mask_token(models):
    gen = models["generator"].train()
    lat = torch.randn(4, 6, 16, generator=g())
    loss, logs = gen.loss(lat, torch.tensor([6, 3, 1, 5]), torch.randn(4, 16, generator=g(1)), generator=g(2))
    assert torch.isfinite(loss) and 0 < logs["masked_frac"] <= 1
    loss.backward()
    assert gen.head.final.linear.weight.grad.abs().sum() > 0
    assert gen.input.weight.grad is not None and gen.cond.weight.grad is not None
    gen.zero_grad()
    with pytest.raises(CoamdError, match="lengths"):
        gen.loss(lat, torch.tensor([7, 3, 1, 5]), torch.randn(4, 16))


def test_generator_loss_ignores_tokens_past_the_length(models):
    gen = models["generator"].eval()
    lat = torch.randn(2, 5, 16, generator=g())
    other = lat.clone()
    other[0, 3:] = 50.0
    lengths, cond = torch.tensor([3, 5]), torch.randn(2, 16, generator=g(1))
    a = gen.loss(lat, lengths, cond, generator=g(7))[0]
    b = gen.loss(other, lengths, cond, generator=g(7))[0]
    torch.testing.assert_close(a, b)


def test_length_estimator_loss_and_samples(models):
    le = models["length"]
    emb = torch.randn(5, 16, generator=g())
    loss, logs = le.loss(emb, torch.tensor([1, 10, 49, 20, 3]))
    assert torch.isfinite(loss) and 0 <= logs["acc"] <= 1
    s = le.sample(emb, generator=g(1), min_tokens=10)
    assert s.shape == (5,) and s.min() >= 10 and s.max() <= 49
    a = le.argmax(emb)
    assert a.min() >= 1 and a.max() <= 49
    with pytest.raises(CoamdError, match="lengths"):
        le.loss(emb, torch.tensor([0, 10, 49, 20, 3]))
