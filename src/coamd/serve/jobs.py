"""The job queue: long work (generate, sequence, edit) runs on worker threads with visible progress.

A job goes queued -> running (``done``/``total`` steps) -> done, or failed with a one-line error.
The queue is bounded: when ``size`` jobs are already waiting or running, :meth:`JobQueue.submit`
raises :class:`QueueFull` (the API answers 503 with Retry-After). A job's exception never ends its
worker: a ``CoamdError`` becomes its message, anything else "internal error (Type: message)" with the
traceback logged on the server.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import CoamdError
from .errors import ApiError, one_line

log = logging.getLogger("coamd.serve")


class QueueFull(Exception):
    pass


@dataclass
class Job:
    id: str
    kind: str
    run: Callable[[Job], dict] = field(repr=False)
    total: int = 1
    done: int = 0
    status: str = "queued"
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def step(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)


class JobQueue:
    def __init__(self, workers: int, size: int, on_finish: Callable[[Job], None] | None = None) -> None:
        self.size = size
        self.jobs: dict[str, Job] = {}
        self._q: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._on_finish = on_finish
        self._threads = [threading.Thread(target=self._work, name=f"coamd-serve-worker-{i}", daemon=True)
                         for i in range(workers)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        for _ in self._threads:
            self._q.put(None)
        for t in self._threads:
            t.join(timeout=30)

    def counts(self) -> tuple[int, int]:
        """(queued, running)."""
        with self._lock:
            states = [j.status for j in self.jobs.values()]
        return states.count("queued"), states.count("running")

    def submit(self, job: Job) -> Job:
        with self._lock:
            active = sum(j.status in ("queued", "running") for j in self.jobs.values())
            if active >= self.size:
                raise QueueFull(f"the job queue is full ({active} jobs waiting or running); retry later")
            self.jobs[job.id] = job
        self._q.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self.jobs.get(job_id)

    def finished(self) -> list[tuple[float, str]]:
        with self._lock:
            return [(j.finished, j.id) for j in self.jobs.values() if j.finished is not None]

    def forget(self, ids: list[str]) -> None:
        with self._lock:
            for i in ids:
                self.jobs.pop(i, None)

    def _work(self) -> None:
        while (job := self._q.get()) is not None:
            job.status = "running"
            try:
                job.info = {**job.info, **(job.run(job) or {})}     # replaced, never mutated: readers see one
                job.done = job.total
                job.status = "done"
            except (CoamdError, ApiError) as e:
                job.error, job.status = one_line(getattr(e, "message", e)), "failed"
            except Exception as e:
                log.exception("job %s (%s) failed", job.id, job.kind)
                job.error, job.status = one_line(f"internal error ({type(e).__name__}: {e})"), "failed"
            job.finished = time.time()
            if self._on_finish is not None:
                try:
                    self._on_finish(job)
                except Exception:
                    log.exception("after job %s", job.id)
