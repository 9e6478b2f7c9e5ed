"""The AE's geometric fine-tuning terms (metres) and decoder-only fine-tuning."""

import numpy as np
import pytest
import torch

from coamd.models import build_autoencoder, tiny_config
from coamd.models.autoencoder import (
    GeometricLoss,
    GeometricWeights,
    accel_loss,
    bone_length_loss,
    contact_velocity_loss,
)
from coamd.skeleton import SMPL22

FEET = list(SMPL22.foot_joints)
CHILD = torch.tensor([j for j, p in enumerate(SMPL22.parents) if p >= 0])
PARENT = torch.tensor([p for p in SMPL22.parents if p >= 0])


def _rest() -> np.ndarray:
    offsets = SMPL22.rest_offsets(np.full(22, 0.2))
    rest = np.zeros((22, 3))
    for j in SMPL22.topological_order[1:]:
        rest[j] = rest[SMPL22.parents[j]] + offsets[j]
    rest[:, 1] -= rest[:, 1].min()                           # feet on the floor
    return rest


def _rigid(T: int = 24, walk: float = 0.0) -> torch.Tensor:
    """(1, T, 22, 3): the rest pose moved rigidly (root translation only), so bones are constant."""
    x = np.repeat(_rest()[None], T, 0)
    x[:, :, 2] += walk * np.arange(T)[:, None]
    x[:, :, 1] += 0.1 * np.sin(np.arange(T) / 3.0)[:, None] * (walk == 0)
    return torch.tensor(x[None], dtype=torch.float32)


def _valid(x: torch.Tensor) -> torch.Tensor:
    return torch.ones(x.shape[:2], dtype=torch.bool)


def test_bone_term_is_zero_for_a_rigid_motion_and_positive_for_a_stretched_one():
    x = _rigid()
    assert bone_length_loss(x, _valid(x), CHILD, PARENT, target=x).item() == pytest.approx(0.0, abs=1e-6)
    assert bone_length_loss(x, _valid(x), CHILD, PARENT).item() == pytest.approx(0.0, abs=1e-6)
    stretched = x.clone()
    stretched[:, ::2, 21] += torch.tensor([0.0, 0.05, 0.0])   # the right wrist bone grows every other frame
    assert bone_length_loss(stretched, _valid(x), CHILD, PARENT).item() > 1e-4
    assert bone_length_loss(stretched, _valid(x), CHILD, PARENT, target=x).item() > 1e-4


def test_contact_term_is_zero_for_planted_feet_and_measures_sliding():
    still = torch.tensor(np.repeat(_rest()[None, None], 24, 1), dtype=torch.float32)   # standing still
    assert contact_velocity_loss(still, _valid(still), FEET, 1, target=still).item() == pytest.approx(0.0, abs=1e-3)
    assert contact_velocity_loss(still, _valid(still), FEET, 1).item() == pytest.approx(0.0, abs=1e-3)
    sliding = _rigid(walk=0.02)                              # whole body glides 2 cm per frame
    got = contact_velocity_loss(sliding, _valid(sliding), FEET, 1, target=still).item()
    assert got == pytest.approx(0.02, rel=0.05)              # m/frame of slide against a planted target
    assert contact_velocity_loss(sliding, _valid(sliding), FEET, 1).item() == pytest.approx(0.02, rel=0.05)
    # the ground truth's own sliding is not penalised, and fast low feet can be excluded by speed
    assert contact_velocity_loss(sliding, _valid(sliding), FEET, 1, target=sliding).item() < 1e-3
    assert contact_velocity_loss(sliding, _valid(sliding), FEET, 1, speed=0.01).item() == 0.0


def test_accel_and_jerk_terms():
    x = _rigid(walk=0.03)                                    # constant velocity: no acceleration, no jerk
    assert accel_loss(x, _valid(x)).item() < 1e-3
    assert accel_loss(x, _valid(x), order=3).item() < 1e-3
    noisy = x + 0.01 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    assert accel_loss(noisy, _valid(x), target=x).item() > 0.005
    assert accel_loss(x, _valid(x), target=x).item() < 1e-3


def test_geometric_loss_adds_weighted_terms_in_metres_and_keeps_the_original_loss_when_off():
    torch.manual_seed(0)
    cfg = tiny_config(text_dim=16)
    ae = build_autoencoder(cfg)
    mean, std = torch.zeros(66), torch.full((66,), 0.5)
    x = (_rigid(T=16).flatten(-2) - mean) / std
    base, logs = ae.loss(x)
    off = GeometricLoss(SMPL22, mean, std, GeometricWeights())
    assert not off.active
    same, _ = ae.loss(x, geometry=off)
    assert same.item() == base.item()
    on = GeometricLoss(SMPL22, mean, std, GeometricWeights(bone=1.0, contact=1.0, accel=1.0, jerk=1.0))
    total, logs = ae.loss(x, geometry=on)
    assert {"geo_bone", "geo_contact", "geo_accel"} <= set(logs) and total.item() > base.item()
    assert on.to_metres(x).shape == (1, 16, 22, 3)
    torch.testing.assert_close(on.to_metres(x), _rigid(T=16))
    ss, ss_logs = on.self_supervised(on.to_metres(ae(x)), _valid(x))
    assert set(ss_logs) == {"gen_bone", "gen_contact", "gen_jerk"} and ss.dim() == 0
    noisy, _ = ae.loss(x, latent_noise=0.5, generator=torch.Generator().manual_seed(0))
    assert noisy.item() != base.item()


def test_freezing_keeps_the_encoder_bit_identical_after_a_training_step():
    torch.manual_seed(0)
    ae = build_autoencoder(tiny_config(text_dim=16))
    ae.freeze_encoder()
    ae.train()
    assert not ae.encoder.training and ae.decoder.training
    before = {k: v.clone() for k, v in ae.encoder.state_dict().items()}
    dec_before = {k: v.clone() for k, v in ae.decoder.state_dict().items()}
    opt = torch.optim.AdamW([p for p in ae.parameters() if p.requires_grad], lr=1e-2)
    x = torch.randn(2, 16, 66)
    loss, _ = ae.loss(x, geometry=GeometricLoss(SMPL22, torch.zeros(66), torch.ones(66), GeometricWeights(bone=1.0)))
    loss.backward()
    opt.step()
    for k, v in ae.encoder.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert any(not torch.equal(v, dec_before[k]) for k, v in ae.decoder.state_dict().items())
