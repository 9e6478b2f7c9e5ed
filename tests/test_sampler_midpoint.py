"""The midpoint ODE sampler and the sampler names the command line offers."""

import math

import pytest
import torch

from coamd.diffusion import DISTILLED, METHODS, SAMPLERS, exact_point_velocity, integrate, midpoint
from test_cli import _sampling_parsers


def test_midpoint_lands_on_a_point_mass_and_counts_two_evaluations_per_step():
    x1 = torch.randn(4, 3)
    for steps in (1, 3):
        x, nfe = midpoint(exact_point_velocity(x1), torch.randn(4, 3), steps)
        torch.testing.assert_close(x, x1, atol=1e-5, rtol=1e-5)
        assert nfe == 2 * steps


def test_midpoint_is_second_order():
    def v(x, t):                                    # dx/dt = -x: x(1) = x0 / e
        return -x

    x0 = torch.ones(1, dtype=torch.float64)
    err = [abs(float(integrate(v, x0, "midpoint", steps=k)[0]) - math.exp(-1)) for k in (4, 8, 16)]
    assert 3.5 < err[0] / err[1] < 4.5 and 3.5 < err[1] / err[2] < 4.5      # halving the step quarters the error
    euler = abs(float(integrate(v, x0, "euler", steps=8)[0]) - math.exp(-1))
    assert err[0] < euler                         # 8 evaluations: midpoint x4 beats Euler x8 on a smooth field


def test_the_command_line_offers_every_sampler():
    from coamd.cli import build_parser

    args = build_parser().parse_args(["generate", "a person waves", "-o", "out", "--sampler", "midpoint"])
    assert args.sampler == "midpoint"
    for prog, actions in _sampling_parsers().items():
        assert tuple(actions["--sampler"].choices) == tuple(SAMPLERS), prog
    assert SAMPLERS == (*METHODS, DISTILLED) and "midpoint" in METHODS


def test_midpoint_generates_through_the_bundle(tiny_bundle, one_torch_thread):
    from coamd.tasks import load_bundle

    bundle = load_bundle(tiny_bundle)
    stats = {}
    lat = bundle.generator.generate(bundle.sentences(["a person waves"]), torch.tensor([4]), decode_steps=2, cfg_scale=2.0,
                                    sampler="midpoint", ode_steps=2, generator=torch.Generator().manual_seed(0),
                                    stats=stats)
    assert lat.shape[:2] == (1, 4) and torch.isfinite(lat).all() and stats["nfe"] == 2 * 2 * 2


@pytest.mark.parametrize("bad", ["rk4", "distilled"])
def test_the_ode_dispatch_rejects_non_solvers(bad):
    with pytest.raises(ValueError, match="unknown ODE method"):
        integrate(lambda x, t: x, torch.zeros(1), bad)
