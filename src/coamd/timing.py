"""Per-stage wall-clock timings and thread settings (``coamd generate --timings``): where a command spends its time.

Code marks its stages with ``with stage("sample"): ...``; that costs nothing unless a :class:`Timings`
is recording (``with timings.recording(): ...``). Stages nest: a stage's time excludes the stages
run inside it (loading the text encoder inside "encode text" counts as "load text encoder" only),
so the stages add up to the recorded wall time. Also threads: :func:`configure_threads` applies
the ``--threads`` / ``COAMD_THREADS`` / default thread count.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import TextIO

_STACK: list[list] = []          # open stages of the recording Timings: [name, start, seconds of children]
_ACTIVE: list[Timings] = []

THREADS_ENV = "COAMD_THREADS"
SMALL_WORK = 8                   # motions per call up to which one thread is the default


class Timings:
    """Seconds per stage name, in first-seen order (``stages`` lists names to show even when never run)."""

    def __init__(self, stages: tuple[str, ...] = ()) -> None:
        self.seconds: dict[str, float] = {s: 0.0 for s in stages}
        self.t0 = time.perf_counter()

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    @contextlib.contextmanager
    def recording(self) -> Iterator[Timings]:
        _ACTIVE.append(self)
        try:
            yield self
        finally:
            _ACTIVE.remove(self)

    def total(self) -> float:
        return time.perf_counter() - self.t0

    def format(self, before: float | None = None) -> str:
        """A table: one line per stage, 'other' for what no stage covered, and the total.

        ``before``: seconds spent before ``self`` was created (the interpreter and the CLI start-up)."""
        rows = dict(self.seconds)
        total = self.total()
        rows["other"] = max(0.0, total - sum(self.seconds.values()))
        if before is not None:
            rows = {"python start-up": before, **rows}
            total += before
        width = max(len(k) for k in rows)
        lines = ["timings (wall seconds):"]
        lines += [f"  {k:<{width}}  {v:7.3f}  {100 * v / total if total > 0 else 0:5.1f}%" for k, v in rows.items()]
        lines.append(f"  {'total':<{width}}  {total:7.3f}")
        return "\n".join(lines)

    def print(self, file: TextIO | None = None, before: float | None = None) -> None:
        print(self.format(before), file=file or sys.stderr)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the time spent in the block as ``name`` (minus nested stages) when a Timings is recording."""
    if not _ACTIVE:
        yield
        return
    entry = [name, time.perf_counter(), 0.0]
    _STACK.append(entry)
    try:
        yield
    finally:
        _STACK.pop()
        elapsed = time.perf_counter() - entry[1]
        if _STACK:
            _STACK[-1][2] += elapsed
        if _ACTIVE:
            _ACTIVE[-1].add(name, elapsed - entry[2])


def process_age() -> float | None:
    """Seconds since this process started (Linux /proc; None elsewhere): the interpreter start-up so far."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        with open("/proc/self/stat", encoding="ascii") as f:
            start = int(f.read().rsplit(")", 1)[1].split()[19]) / ticks
        with open("/proc/uptime", encoding="ascii") as f:
            return max(0.0, float(f.read().split()[0]) - start)
    except (OSError, ValueError, IndexError):
        return None


def cpu_cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def busy_cores() -> float:
    """The 1-minute load average (runnable processes), 0 where unknown."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return 0.0


def default_threads(work: int, cores: int | None = None, load: float | None = None) -> int:
    """Intra-op threads for ``work`` motions: one for small work (batch 1 and a few motions: the models are
    small, and a second thread on a busy machine costs far more than it gains: docs/speed.md), else the
    cores that other processes leave idle (1-minute load average), at least one and at most every core.
    OpenMP threads that share a core with other busy processes spin and wait for each other, which is
    what makes an oversubscribed run many times slower than a single-threaded one."""
    cores = cores or cpu_cores()
    if work <= SMALL_WORK:
        return 1
    idle = cores - (busy_cores() if load is None else load)
    return max(1, min(cores, int(idle + 0.5)))


def resolve_threads(flag: int | None, work: int) -> tuple[int, str]:
    """(threads, where the number came from): ``--threads`` > ``$COAMD_THREADS`` > :func:`default_threads`."""
    from .errors import CoamdError

    if flag is not None:
        if flag < 1:
            raise CoamdError(f"--threads: must be at least 1, got {flag}")
        return flag, "--threads"
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise CoamdError(f"${THREADS_ENV}={env!r}: expected a whole number of threads") from None
        if n < 1:
            raise CoamdError(f"${THREADS_ENV}={env}: must be at least 1")
        return n, f"${THREADS_ENV}"
    return default_threads(work), "default"


def configure_threads(flag: int | None, work: int) -> int:
    """Apply the thread count (torch intra-op threads) and return it."""
    import torch

    n, _ = resolve_threads(flag, work)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


__all__ = ["SMALL_WORK", "THREADS_ENV", "Timings", "busy_cores", "configure_threads", "cpu_cores", "default_threads",
           "process_age",
           "resolve_threads", "stage"]
