"""ODE samplers and the linear flow path against closed-form solutions (paper-brief §3.5)."""

import math

import pytest
import torch

from coamd.diffusion import dopri5, euler, exact_point_velocity, heun, integrate, interpolate


def linear_field(a: float):
    return lambda x, t: a * x


@pytest.fixture
def x0() -> torch.Tensor:
    return torch.randn(5, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def test_euler_is_exact_for_the_point_mass_flow_field(x0):
    x1 = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64).expand(5, 3)
    for steps in (1, 3, 8, 50):
        out, nfe = euler(exact_point_velocity(x1), x0, steps)
        torch.testing.assert_close(out, x1, rtol=0, atol=1e-12)
        assert nfe == steps


def test_linear_field_solutions_approach_exp(x0):
    exact = x0 * math.exp(-1.5)
    err_euler = (euler(linear_field(-1.5), x0, 400)[0] - exact).abs().max()
    err_heun = (heun(linear_field(-1.5), x0, 400)[0] - exact).abs().max()
    assert err_euler < 5e-3
    assert err_heun < 1e-5 < err_euler


def test_convergence_orders_euler_one_heun_two(x0):
    exact = x0 * math.exp(1.0)

    def err(method, n):
        return float((method(linear_field(1.0), x0, n)[0] - exact).abs().max())

    euler_ratio = err(euler, 64) / err(euler, 128)
    heun_ratio = err(heun, 64) / err(heun, 128)
    assert 1.8 < euler_ratio < 2.2      # first order: halving h halves the error
    assert 3.6 < heun_ratio < 4.4       # second order: halving h quarters it


def test_dopri5_meets_its_tolerance_and_counts_evaluations(x0):
    calls = 0

    def v(x, t):
        nonlocal calls
        calls += 1
        return 2.0 * x

    out, nfe = dopri5(v, x0, atol=1e-8, rtol=1e-6)
    exact = x0 * math.exp(2.0)
    assert ((out - exact).abs() / exact.abs()).max() < 1e-5
    assert nfe == calls and 6 <= nfe < 200
    loose, loose_nfe = dopri5(linear_field(2.0), x0, atol=1e-3, rtol=1e-2)
    assert loose_nfe < nfe                       # looser tolerance -> fewer evaluations
    assert ((loose - exact).abs() / exact.abs()).max() < 5e-2


def test_heun_nfe_and_time_dependent_field(x0):
    # dx/dt = 2t x -> x0 * e^{t^2}; Heun with 100 steps is close, at 2 evaluations per step
    out, nfe = heun(lambda x, t: 2 * t * x, x0, 100)
    assert nfe == 200
    torch.testing.assert_close(out, x0 * math.e, rtol=1e-4, atol=1e-6)


def test_integrate_dispatches_and_rejects_unknown_methods(x0):
    for method in ("euler", "heun", "dopri5"):
        out, nfe = integrate(linear_field(0.0), x0, method, steps=4)
        torch.testing.assert_close(out, x0)
        assert nfe > 0
    with pytest.raises(ValueError, match="unknown ODE method"):
        integrate(linear_field(0.0), x0, "rk4")
    with pytest.raises(ValueError, match="steps"):
        euler(linear_field(0.0), x0, 0)


def test_linear_path_endpoints_and_velocity(x0):
    x1 = torch.randn_like(x0)
    t = torch.tensor([0.0, 1.0, 0.25, 0.5, 0.75], dtype=torch.float64)
    xt, u = interpolate(x0, x1, t)
    torch.testing.assert_close(xt[0], x0[0])
    torch.testing.assert_close(xt[1], x1[1])
    torch.testing.assert_close(u, x1 - x0)
    h = 1e-6
    xt2, _ = interpolate(x0, x1, t + h)
    torch.testing.assert_close((xt2 - xt) / h, u, rtol=1e-5, atol=1e-5)   # dx_t/dt = u
