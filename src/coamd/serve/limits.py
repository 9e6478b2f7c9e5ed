"""Every bound the service enforces, in one place (the README's ``coamd serve`` limits list these)."""

from __future__ import annotations

from dataclasses import dataclass

# Request bounds: fixed, so the OpenAPI schema states them.
MAX_TEXTS = 8                   # prompts per generate request, segments per sequence request
MAX_TEXT_CHARS = 300            # characters per prompt / label / candidate text
MAX_LABELS = 200                # labels per recognize request, candidate texts per retrieve request
MAX_FILES = 8                   # motion files per recognize / retrieve request
MIN_SECONDS, MAX_SECONDS = 1.0, 20.0    # requested motion length (per text / segment)
MAX_SAMPLES = 8                 # samples per text
MAX_STEPS = 50                  # coarse-to-fine decoding steps
MAX_ODE_STEPS = 64              # euler/heun steps per token
MAX_CFG = 20.0                  # classifier-free guidance scale
MAX_GUIDANCE = 10.0             # MAR gradient-guidance step
MAX_TOP_K = 50
MAX_SEED = 2**31 - 1
UPLOAD_EXTENSIONS = (".npy", ".npz", ".bvh", ".skeleton")   # .amc needs its .asf beside it: not uploadable


@dataclass
class Limits:
    """Server-side limits a deployment may change (``coamd serve`` flags)."""

    max_upload_mb: float = 20.0         # one request's body (all its files together)
    queue_size: int = 16                # jobs waiting or running; more -> 503 with Retry-After
    results_mb: float = 500.0           # the results folder is pruned (oldest first) past this size
    results_age_s: float = 24 * 3600.0  # finished results older than this are deleted
    prune_every_s: float = 60.0         # how often an idle server applies the age limit
    max_jobs: int = 1000                # job records kept (oldest finished ones are forgotten first)
    busy_wait_s: float = 30.0           # a recognize/retrieve call waits this long for a free model slot

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)
