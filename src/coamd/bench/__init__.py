"""Benchmarks (Tasks issue §7, Evaluation issue): generation speed (:mod:`.speed`, ``coamd bench generate``)
and the evaluation suite (``coamd bench suite``).

Submodules are imported where they are used, so ``import coamd.bench`` stays light.
"""
