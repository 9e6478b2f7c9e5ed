"""A bounded load test of a live ``coamd serve`` on 127.0.0.1 (tiny random-weight bundle).

50 concurrent clients, each a few requests mixing generate, recognise (an upload), bad inputs and result
look-ups. Zero 5xx except the queue's 503 refusals (which must carry Retry-After); every accepted job
completes; the server's RSS (sampled every 50 ms) stays under a bound. Run with ``-s`` for the figures
(docs/serve.md quotes them); ``COAMD_LOAD_CLIENTS`` / ``COAMD_LOAD_REQUESTS`` change the size and
``COAMD_LOAD_CHECKPOINT=bundled`` (or a bundle folder) serves real weights instead of the tiny bundle.
"""

from __future__ import annotations

import collections
import io
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("psutil")
pytest.importorskip("fastapi")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_live import LiveServer, RssPeak  # the helpers beside this file

CLIENTS = int(os.environ.get("COAMD_LOAD_CLIENTS", "50"))
REQUESTS = int(os.environ.get("COAMD_LOAD_REQUESTS", "4"))
RSS_GROWTH_MB = 400          # the bound: peak RSS at most this much over the RSS before the load


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array, np.float32))
    return buf.getvalue()


def _motion(frames: int) -> np.ndarray:
    rng = np.random.default_rng(frames)
    base = rng.normal(0, 0.3, (1, 22, 3)) + np.array([0, 1.0, 0])
    return base + np.cumsum(rng.normal(0, 0.005, (frames, 22, 3)), axis=0)


BAD = [
    ("POST", "/api/v1/generate", {"json": {"texts": [""]}}),
    ("POST", "/api/v1/generate", {"json": {"texts": ["walk"], "lengths": 500}}),
    ("POST", "/api/v1/generate", {"json": {"texts": ["walk"], "samples": 99}}),
    ("POST", "/api/v1/recognize", {"files": {"files": ("x.exe", b"MZ")}}),
    ("POST", "/api/v1/recognize", {"files": {"files": ("nan.npy", _npy(np.full((20, 22, 3), np.nan)))}}),
    ("POST", "/api/v1/recognize", {"files": {"files": ("bad.bvh", b"HIERARCHY\nROOT Hips\n{")}}),
    ("GET", "/api/v1/results/..%2F..%2Fetc%2Fpasswd", {}),
    ("GET", "/api/v1/results/" + "a" * 32, {}),
    ("POST", "/api/v1/edit", {"data": {"text": "jump", "source_id": "../x"}}),
]


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.status: collections.Counter = collections.Counter()
        self.problems: list[str] = []
        self.jobs: list[str] = []
        self.refused = 0

    def add(self, r, what: str) -> None:
        with self.lock:
            self.status[r.status_code] += 1
            if r.status_code >= 500:
                if r.status_code == 503 and r.headers.get("retry-after") and "error" in r.json():
                    self.refused += 1
                else:
                    self.problems.append(f"{what}: {r.status_code} {r.text[:200]}")
            elif r.status_code >= 400 and "\n" in r.json().get("error", "\n"):
                self.problems.append(f"{what}: {r.status_code} without a one-line error: {r.text[:200]}")


def client_run(url: str, i: int, tally: Tally) -> None:
    with httpx.Client(base_url=url, timeout=120) as c:
        for j in range(REQUESTS):
            kind = (i + j) % 4
            if kind == 0:
                r = c.post("/api/v1/generate", json={"texts": [f"a person walks {i}"], "lengths": 1 + (i % 2),
                                                     "seed": i, "formats": ["npy", "bvh"]})
                tally.add(r, "generate")
                if r.status_code == 202:
                    with tally.lock:
                        tally.jobs.append(r.json()["id"])
            elif kind == 1:
                r = c.post("/api/v1/recognize", files={"files": (f"m{i}.npy", _npy(_motion(20 + i)))},
                           data={"labels": "walk,run,jump"})
                tally.add(r, "recognize")
                if r.status_code == 200 and len(r.json()["results"][0]["predictions"]) != 3:
                    tally.problems.append(f"recognize: {r.text[:200]}")
            elif kind == 2:
                method, path, kw = BAD[(i * REQUESTS + j) % len(BAD)]
                r = c.request(method, path, **kw)
                tally.add(r, f"bad {method} {path}")
                if r.status_code < 400:
                    tally.problems.append(f"bad input accepted: {method} {path} -> {r.status_code}")
            else:
                r = c.get("/api/v1/health")
                tally.add(r, "health")


def load(url: str, pid: int) -> dict:
    tally = Tally()
    with RssPeak(pid) as rss:
        out = _load(url, tally)
    return {**out, "rss_start_mb": rss.start_mb, "rss_peak_mb": rss.peak_mb}


def _load(url: str, tally: Tally) -> dict:
    t0 = time.monotonic()
    threads = [threading.Thread(target=client_run, args=(url, i, tally)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "clients still running after 300 s"
    states = collections.Counter()
    with httpx.Client(base_url=url, timeout=60) as c:
        deadline = time.monotonic() + 300
        for rid in tally.jobs:
            while True:
                j = c.get(f"/api/v1/results/{rid}").json()
                if j["status"] in ("done", "failed") or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            states[j["status"]] += 1
            if j["status"] == "done":
                assert c.get(j["urls"]["sample_00.bvh"]).status_code == 200
        health = c.get("/api/v1/health").json()
    seconds = time.monotonic() - t0
    return {"clients": CLIENTS, "requests": sum(tally.status.values()), "status": dict(sorted(tally.status.items())),
            "refused_503": tally.refused, "other_5xx": sum(v for k, v in tally.status.items() if k >= 500)
            - tally.refused, "problems": tally.problems, "jobs": dict(states), "accepted_jobs": len(tally.jobs),
            "seconds": round(seconds, 1), "health": health}


def test_fifty_concurrent_clients(tiny_bundle, tmp_path):
    checkpoint = os.environ.get("COAMD_LOAD_CHECKPOINT") or tiny_bundle
    server = LiveServer(None if checkpoint == "bundled" else checkpoint, tmp_path / "results", timeout=300)
    try:
        out = load(server.url, server.pid)
    finally:
        server.close()
    print(f"\nload: {out}")
    assert out["problems"] == [] and out["other_5xx"] == 0
    assert out["requests"] == CLIENTS * REQUESTS
    assert out["jobs"] == {"done": out["accepted_jobs"]} and out["accepted_jobs"] > 0
    assert out["health"]["ready"] and out["health"]["queued"] == out["health"]["running"] == 0
    assert out["rss_peak_mb"] - out["rss_start_mb"] < RSS_GROWTH_MB, out


@pytest.mark.slow
def test_load_while_the_size_cap_deletes_results(tiny_bundle, tmp_path):
    """The same load with a 0.2 MB results cap: results are deleted while clients poll and download them;
    still no 5xx but the 503 refusals, and a deleted result is a 404, not an error."""
    server = LiveServer(tiny_bundle, tmp_path / "results", "--results-mb", "0.2")
    try:
        tally = Tally()
        threads = [threading.Thread(target=client_run, args=(server.url, i, tally)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        gone = 0
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for rid in tally.jobs:
                for _ in range(600):
                    r = c.get(f"/api/v1/results/{rid}")
                    tally.add(r, "poll")
                    if r.status_code == 404 or r.json()["status"] in ("done", "failed"):
                        break
                    time.sleep(0.05)
                if r.status_code == 404:
                    gone += 1
                    continue
                assert r.json()["status"] == "done", r.text
                for url in r.json()["urls"].values():
                    tally.add(c.get(url), "download")
        print(f"\nload with a 0.2 MB cap: {sum(tally.status.values())} requests, status {dict(sorted(tally.status.items()))},"
              f" {len(tally.jobs)} jobs accepted, {gone} deleted by the cap before they were read")
        assert tally.problems == [] and not any(s >= 500 and s != 503 for s in tally.status)
    finally:
        server.close()
