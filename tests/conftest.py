"""Shared fixtures: seeded generators, a temp output folder, and the real-data location."""

import os
from pathlib import Path

# One intra-op thread for the whole suite (and the CLI subprocesses it starts): the tests' tensors are
# tiny, and two spinning OpenMP threads on a 2-core machine that is busy elsewhere can make a test
# 100x slower. Set before torch is imported by any test module.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def realdata() -> Path:
    """../shared/realdata, or skip with the reason."""
    if not REALDATA.is_dir():
        pytest.skip(f"real motion data not found at {REALDATA} (it lives in the shared/ folder beside the repo)")
    return REALDATA
