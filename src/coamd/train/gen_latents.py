"""Reading the generated latents that ``coamd train ae ... gen_latents=FILE`` fine-tunes the decoder on.

``python -m coamd.tasks.gen_latents`` writes FILE (it runs the generator, so it lives in
`coamd.tasks`): ``latents`` (sum of lengths, C) float16, ``offsets`` (N + 1,) and ``texts``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def load_latents(path: str | os.PathLike) -> list[np.ndarray]:
    """The sequences of a ``gen_latents`` file: [(L_i, C) float32]."""
    with np.load(Path(path)) as f:
        z, off = f["latents"].astype(np.float32), f["offsets"]
    return [z[off[i]: off[i + 1]] for i in range(len(off) - 1)]
