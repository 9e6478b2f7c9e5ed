"""Shared fixtures: seeded generators, the real-data location, one torch thread, a private cache, the tiny
corpus and the tiny random-weight bundle (helpers they build on: tests/helpers.py)."""

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


@pytest.fixture
def one_torch_thread():
    """torch on one intra-op thread for the test (the tests' tensors are tiny); modules that want it for
    every test say ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    from helpers import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture
def private_cache(tmp_path, monkeypatch) -> Path:
    """A per-test ``$COAMD_CACHE`` (text embeddings, latents), so tests never share or pollute caches."""
    monkeypatch.setenv("COAMD_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    """The four-action toy corpus of ``helpers.make_tiny_corpus`` (8 clips per action), once per module."""
    from helpers import make_tiny_corpus

    return make_tiny_corpus(tmp_path_factory.mktemp("corpus") / "tiny")


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory) -> str:
    """A random-weight bundle with fast sampling defaults (2 decoding steps, Euler with 2 ODE steps)."""
    from coamd.tasks import make_random_bundle

    return str(make_random_bundle(tmp_path_factory.mktemp("bundle") / "tiny",
                                  defaults={"sampler": "euler", "ode_steps": 2, "decode_steps": 2}))
