"""A live ``coamd serve`` in a subprocess on 127.0.0.1 (free port), for the browser and load tests.

Not a test module: ``tests/test_serve_browser.py`` and ``tests/test_serve_load.py`` use it (and the
browser test's ``__main__`` makes the README screenshot with it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path


class LiveServer:
    """``coamd serve --port 0`` started, its URL read from its first line, stopped by ``close``."""

    def __init__(self, checkpoint: str | None, results: Path, *extra: str, timeout: float = 120.0) -> None:
        cmd = [sys.executable, "-m", "coamd", "serve", "--host", "127.0.0.1", "--port", "0",
               "--results", str(results), *extra]
        if checkpoint:
            cmd += ["--checkpoint", checkpoint]
        env = dict(os.environ, COAMD_THREADS=os.environ.get("COAMD_THREADS", "1"), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        self.url = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.url:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip())
            m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if m:
                self.url = m.group(1)
        if not self.url:
            self.close()
            raise RuntimeError("coamd serve did not print its URL:\n" + "\n".join(self.lines))
        self._drainer = threading.Thread(target=self._drain, daemon=True)  # a full pipe would block the server
        self._drainer.start()
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/api/v1/ready", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.close()
        raise RuntimeError(f"coamd serve at {self.url} was not ready within {timeout:.0f} s")

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    @property
    def pid(self) -> int:
        return self.proc.pid

    def get_json(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        drainer = getattr(self, "_drainer", None)
        if drainer is not None:
            drainer.join(timeout=5)                         # the pipe's end is reached once the server is gone
        if self.proc.stdout and (drainer is None or not drainer.is_alive()):
            self.proc.stdout.close()


class RssPeak:
    """Samples a process's resident memory every 50 ms in a thread: ``start_mb`` and ``peak_mb`` (needs psutil)."""

    def __init__(self, pid: int | None = None, every: float = 0.05) -> None:
        import threading

        import psutil

        self.proc = psutil.Process(pid or os.getpid())
        self.start = self.peak = self.proc.memory_info().rss
        self.every, self._stop = every, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def start_mb(self) -> int:
        return round(self.start / 2**20)

    @property
    def peak_mb(self) -> int:
        return round(self.peak / 2**20)
