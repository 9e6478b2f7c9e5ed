"""Shared fixtures: seeded generators, a temp output folder, and the real-data location."""

from pathlib import Path

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
