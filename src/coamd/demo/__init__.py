"""``coamd demo``: the library end to end on a corpus made on the spot (Tasks issue §8, paper-brief §5).

``run_demo(DemoSettings(out=...))`` synthesises a procedural corpus, optionally retrains the small
models on it, then generates, chains, edits, recognises and retrieves with the loaded weights and
writes one self-contained HTML page (``OUT/index.html``) with previews, scores and timings.
"""

from .run import DemoReport, DemoSettings, Stopwatch, run_demo

__all__ = ["DemoReport", "DemoSettings", "Stopwatch", "run_demo"]
