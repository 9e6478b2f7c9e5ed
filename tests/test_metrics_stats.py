"""95% confidence intervals over repeats (mean ± 1.96·std(ddof=0)/√n) and the per-repeat aggregator."""

import json

import numpy as np
import pytest
import torch

from coamd.errors import CoamdError
from coamd.metrics import aggregate_repeats, mean_ci


def test_mean_ci_on_known_values():
    mean, half = mean_ci([1.0, 2.0, 3.0, 4.0])
    # population std of 1..4 is sqrt(1.25)
    assert mean == 2.5
    assert half == pytest.approx(1.96 * np.sqrt(1.25) / 2.0)
    assert mean_ci([7.0]) == (7.0, 0.0)
    assert mean_ci(np.full(20, 0.3)) == (pytest.approx(0.3), pytest.approx(0.0, abs=1e-12))
    assert isinstance(mean_ci(torch.tensor([1.0, 3.0]))[0], float)


def test_mean_ci_of_array_repeats_is_elementwise():
    mean, half = mean_ci([[0.5, 0.7, 0.8], [0.5, 0.9, 0.8]])
    np.testing.assert_allclose(mean, [0.5, 0.8, 0.8])
    np.testing.assert_allclose(half, [0.0, 1.96 * 0.1 / np.sqrt(2), 0.0])
    with pytest.raises(CoamdError, match="values"):
        mean_ci([])


def test_aggregate_repeats_gives_json_ready_mean_ci_n():
    repeats = [{"fid": 0.1, "top": np.array([0.5, 0.7])}, {"fid": 0.3, "top": np.array([0.5, 0.9])}]
    out = aggregate_repeats(repeats)
    assert out["fid"]["mean"] == pytest.approx(0.2)
    assert out["fid"]["ci95"] == pytest.approx(1.96 * 0.1 / np.sqrt(2))
    assert out["fid"]["n"] == 2
    assert out["top"]["mean"] == pytest.approx([0.5, 0.8])
    json.dumps(out)  # plain floats and lists only
    with pytest.raises(CoamdError, match=r"repeats\[1\].*missing \['top'\]"):
        aggregate_repeats([{"fid": 1.0, "top": 2.0}, {"fid": 1.0}])
    with pytest.raises(CoamdError, match="no per-repeat"):
        aggregate_repeats([])
