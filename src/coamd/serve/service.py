"""The running service: the model bundle (loaded once, in the background), the job queue, the results store.

Start-up loads every model part, the text encoder and the optional corpus gallery on a thread, so the
server answers at once; ``/api/v1/ready`` says 503 until that is finished (and the task routes answer
503 with Retry-After meanwhile). The text encoder's tokenizer is not safe to call from two threads at
once, so its calls are serialised; the torch models are only read. Recognise/retrieve run inside the
request on one of ``workers`` model slots; generate/sequence/edit go through the job queue.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CoamdError
from .errors import ApiError, one_line
from .jobs import Job, JobQueue, QueueFull
from .limits import Limits
from .storage import ResultStore, is_id

log = logging.getLogger("coamd.serve")


class _Serialised:
    """Calls to the wrapped object's methods one at a time (the text encoder's tokenizer is not thread-safe)."""

    def __init__(self, obj: Any, lock: threading.Lock) -> None:
        self._obj, self._lock = obj, lock

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._obj, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            with self._lock:
                return value(*args, **kwargs)
        return call


class Service:
    def __init__(self, checkpoint: str | None = None, device: str = "cpu", workers: int = 1,
                 limits: Limits | None = None, results: str | Path | None = None, gallery: str | None = None,
                 threads: int | None = None) -> None:
        self.checkpoint, self.device, self.gallery_spec, self.threads = checkpoint, device, gallery, threads
        self.limits = limits or Limits()
        self.store = ResultStore(results)
        self.queue = JobQueue(workers, self.limits.queue_size, on_finish=lambda job: self.prune())
        self.slots = threading.BoundedSemaphore(workers)
        self.state, self.error, self.load_seconds = "loading", None, None
        self.bundle = self.gallery = None
        self._ready = threading.Event()
        self._prune_lock = threading.Lock()
        self._started = self._stopped = False
        self._stop = threading.Event()

    # ------------------------------------------------------------------ life cycle
    def start(self, wait: bool = False) -> None:
        """Load the models (in the background) and start the workers; a second call only waits."""
        with self._prune_lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._load, name="coamd-serve-load", daemon=True).start()
                threading.Thread(target=self._janitor, name="coamd-serve-janitor", daemon=True).start()
                self.queue.start()
        if wait:
            self._ready.wait()

    def stop(self) -> None:
        with self._prune_lock:
            if self._stopped or not self._started:
                return
            self._stopped = True
        self._stop.set()
        self.queue.stop()
        self.store.close()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout) and self.state == "ready"

    def _load(self) -> None:
        t0 = time.perf_counter()
        try:
            from ..device import resolve_device
            from ..tasks import load_bundle
            from ..timing import configure_threads

            configure_threads(self.threads, 1)
            bundle = load_bundle(self.checkpoint, device=resolve_device(self.device))
            bundle.sentences(["a person walks forward"])                 # loads the text encoder now
            bundle._encoder = _Serialised(bundle._encoder, threading.Lock())
            if self.gallery_spec:
                from ..tasks.retrieve import check_model, open_gallery

                self.gallery = open_gallery(bundle, self.gallery_spec, progress=False)
                check_model(self.gallery, bundle, f"--gallery {self.gallery_spec}")
            self.bundle, self.state = bundle, "ready"
        except CoamdError as e:                 # a bad checkpoint/gallery/device: the message says it all
            self.state, self.error = "failed", one_line(e)
        except Exception as e:
            log.exception("loading the models failed")
            self.state, self.error = "failed", one_line(f"{type(e).__name__}: {e}")
        self.load_seconds = time.perf_counter() - t0
        self._ready.set()

    def require_ready(self) -> None:
        if self.state == "loading":
            raise ApiError(503, "the models are still loading; retry in a few seconds", {"Retry-After": "2"})
        if self.state == "failed":
            raise ApiError(503, f"the models failed to load: {self.error}")

    # ------------------------------------------------------------------ jobs and results
    def submit(self, kind: str, total: int, run, info: dict | None = None) -> Job:
        self.require_ready()
        job = Job(self.store.new_id(), kind, run, total=total + 1, info=dict(info or {}))   # + writing the files
        try:
            return self.queue.submit(job)
        except QueueFull as e:
            raise ApiError(503, str(e), {"Retry-After": "5"}) from None

    def job(self, rid: str) -> Job:
        job = self.queue.get(rid) if is_id(rid) else None
        if job is None:
            raise ApiError(404, f"no result with id {rid[:40]!r} (unknown, or deleted by the size/age limit)")
        return job

    def result_motions(self, rid: str, field: str = "source_id") -> tuple[list[np.ndarray], list[str]]:
        """The motions of a finished result and their titles (what its ``samples.npz`` holds)."""
        from ..io import SAMPLES_FILE, read_samples

        job = self.queue.get(rid) if is_id(rid) else None
        if job is None:
            raise ApiError(422, f"{field}: no result with id {rid[:40]!r}")
        if job.status != "done":
            raise ApiError(422, f"{field}: result {rid} is {job.status}, not done")
        path = self.store.file(rid, SAMPLES_FILE)
        if path is None:
            raise ApiError(422, f"{field}: result {rid} has no motions (deleted by the size/age limit)")
        try:
            samples = read_samples(path)
        except CoamdError as e:                       # damaged, or deleted by the cap meanwhile: no server path shown
            raise ApiError(422, f"{field}: result {rid}: {str(e).replace(str(path), '').lstrip(': ')}") from None
        return samples.motions, samples.texts

    def _janitor(self) -> None:
        """Apply the age limit on an idle server too (finishing jobs prune as well)."""
        while not self._stop.wait(self.limits.prune_every_s):
            try:
                self.prune()
            except Exception:
                log.exception("pruning the results folder failed")

    def prune(self) -> None:
        with self._prune_lock:
            gone = self.store.prune(self.queue.finished(), time.time(), self.limits.results_age_s,
                                    int(self.limits.results_mb * 2**20))
            finished = sorted(self.queue.finished())
            extra = len(self.queue.jobs) - self.limits.max_jobs
            gone += [rid for _, rid in finished[:max(0, extra)] if rid not in gone]
            for rid in gone:
                self.store.remove(rid)
            self.queue.forget(gone)

    # ------------------------------------------------------------------ synchronous model calls
    def model_slot(self):
        """A context manager holding one of the model slots (503 when none frees up in time)."""
        svc = self

        class _Slot:
            def __enter__(self):
                svc.require_ready()
                if not svc.slots.acquire(timeout=svc.limits.busy_wait_s):
                    raise ApiError(503, "the server is busy; retry later", {"Retry-After": "5"})

            def __exit__(self, *exc):
                svc.slots.release()
        return _Slot()
