"""``coamd serve``'s JSON API through FastAPI's test client, on the tiny random-weight bundle.

Every route's success path and response schema, and every class of bad input (oversize, wrong extension,
corrupt BVH, NaN npy, empty/huge text, out-of-range numbers, unknown and path-like ids) -> a 4xx with a
one-line JSON error, the server still healthy after each. Also: the bounded queue's 503 + Retry-After,
a failing job (one-line error, no half-written result, the worker goes on), loading/failed models, and
the results folder's size/age cap.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from coamd.serve import create_app
from coamd.serve.limits import Limits
from coamd.serve.service import Service
from coamd.serve.storage import ResultStore

API = "/api/v1"


def wait_ready(c: TestClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if c.get(f"{API}/ready").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError("the service did not become ready")


def wait_job(c: TestClient, rid: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = c.get(f"{API}/results/{rid}").json()
        if j["status"] in ("done", "failed"):
            return j
        time.sleep(0.05)
    raise AssertionError(f"job {rid} did not finish")


def npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array))
    return buf.getvalue()


def walk(frames: int = 40) -> np.ndarray:
    """A plausible (T, 22, 3) motion: the tiny bundle's rest pose drifting forward."""
    from coamd.skeleton import SMPL22

    pose = SMPL22.rest_offsets(np.full(SMPL22.num_joints, 0.2))
    pos = np.zeros((SMPL22.num_joints, 3))
    for j in SMPL22.topological_order:
        p = SMPL22.parents[j]
        pos[j] = pose[j] if p < 0 else pos[p] + pose[j]
    pos[:, 1] -= pos[:, 1].min()
    t = np.arange(frames)[:, None, None] * np.array([0.0, 0.0, 0.03])
    return (pos[None] + t).astype(np.float32)


@pytest.fixture(scope="module")
def client(tiny_bundle, tmp_path_factory):
    app = create_app(checkpoint=tiny_bundle, results=tmp_path_factory.mktemp("serve") / "results")
    with TestClient(app) as c:
        wait_ready(c)
        yield c


@pytest.fixture(scope="module")
def done(client) -> dict:
    """One finished generate job with two samples of 2 s (npy, bvh, html)."""
    r = client.post(f"{API}/generate", json={"texts": ["a person walks forward"], "lengths": 2, "samples": 2})
    assert r.status_code == 202, r.text
    j = wait_job(client, r.json()["id"])
    assert j["status"] == "done", j
    return j


def assert_error(r, status: int | tuple, c: TestClient | None = None) -> str:
    """A 4xx (``status``) with a one-line JSON ``error``, and the server still answers health checks."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"], str) and body["error"] and "\n" not in body["error"]
    if c is not None:
        h = c.get(f"{API}/health")
        assert h.status_code == 200 and h.json()["ready"] is True
    return body["error"]


# ------------------------------------------------------------------------------------------------ success paths
def test_health_ready_info_page_and_schema(client):
    h = client.get(f"{API}/health").json()
    assert h == {"status": "ok", "ready": True, "error": None, "queued": 0, "running": 0, "queue_size": 16} \
        or h["ready"] is True
    info = client.get(f"{API}/info").json()
    assert info["labels"] == ["walk", "run", "jump", "sit", "wave"] and info["bundle"] == "random"
    assert "lower" in info["body_parts"] and info["limits"]["max_upload_mb"] == 20.0
    schema = client.get("/openapi.json").json()
    for path in ("generate", "sequence", "edit", "recognize", "retrieve", "inspect", "results/{rid}",
                 "results/{rid}/{name}", "health", "ready", "info"):
        assert f"{API}/{path}" in schema["paths"], path
    gen = schema["components"]["schemas"]["GenerateIn"]["properties"]
    assert gen["samples"]["maximum"] == 8 and gen["texts"]["maxItems"] == 8
    docs = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in docs and "https://" not in docs      # offline API docs
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert_error(client.get("/redoc"), 404)
    page = client.get("/")
    assert page.status_code == 200 and 'id="prompt"' in page.text and "/static/app.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "/api/v1" in js.text


def test_generate_files_and_downloads(client, done):
    from coamd import load_motion

    assert done["kind"] == "generate" and done["progress"]["done"] == done["progress"]["total"] == 2
    assert done["files"] == ["sample_00.bvh", "sample_00.npy", "sample_01.bvh", "sample_01.npy", "samples.npz",
                             "viewer.html"]
    assert done["info"]["seeds"] == [0, 1] and [s["frames"] for s in done["info"]["samples"]] == [40, 40]
    r = client.get(done["urls"]["sample_01.npy"])
    assert r.status_code == 200 and np.load(io.BytesIO(r.content)).shape == (40, 22, 3)
    bvh = client.get(done["urls"]["sample_00.bvh"])
    assert "attachment" in bvh.headers["content-disposition"] and bvh.text.startswith("HIERARCHY")
    viewer = client.get(done["urls"]["viewer.html"])
    assert viewer.headers["content-type"].startswith("text/html") and "coamd-data" in viewer.text
    r = client.post(f"{API}/recognize", files=[("files", ("again.bvh", bvh.content))])
    assert r.status_code == 200 and r.json()["results"][0]["frames"] == 40
    path = client.app.state.service.store.file(done["id"], "sample_00.bvh")
    assert load_motion(path).joints.shape == (40, 22, 3)


def test_generate_auto_length_several_texts_previews(client):
    r = client.post(f"{API}/generate", json={"texts": ["walk", "jump"], "lengths": [1, "auto"], "seed": 7,
                                              "decode_steps": 1, "cfg_scale": 1.5, "sampler": "heun", "ode_steps": 1,
                                              "guidance": 0.5, "cleanup": False, "formats": ["npy"]})
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running", "done")
    j = wait_job(client, r.json()["id"])
    assert j["status"] == "done", j
    assert j["progress"] == {"done": 3, "total": 3} and j["info"]["seeds"] == [7, 8]
    assert j["info"]["samples"][0]["frames"] == 20 and j["info"]["cleanup"] is False
    assert j["files"] == ["sample_00.npy", "sample_01.npy", "samples.npz"]
    r = client.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1, "formats": ["gif", "mp4", "gif"]})
    j = wait_job(client, r.json()["id"])
    assert j["files"] == ["sample_00.gif", "sample_00.mp4", "samples.npz"], j
    assert client.get(j["urls"]["sample_00.gif"]).content[:3] == b"GIF"
    assert client.get(j["urls"]["sample_00.mp4"]).headers["content-type"] == "video/mp4"


def test_sequence(client):
    r = client.post(f"{API}/sequence", json={"texts": ["walk forward", "sit down"], "lengths": 2})
    j = wait_job(client, r.json()["id"])
    assert j["status"] == "done" and j["kind"] == "sequence", j
    assert j["info"]["samples"][0]["frames"] >= 60 and len(j["info"]["segments"][0]) == 2


def test_edit_upload_and_earlier_result(client, done):
    r = client.post(f"{API}/edit", data={"text": "a person jumps", "keep": "0:0.5", "joints": "lower"},
                    files={"file": ("walk.npy", npy_bytes(walk()))})
    assert r.status_code == 202, r.text
    j = wait_job(client, r.json()["id"])
    assert j["status"] == "done", j
    assert j["info"]["source"] == "walk.npy" and j["info"]["report"]["kept_joints"][0] == "pelvis"
    assert {"edited.npy", "edited.bvh", "viewer.html", "report.json"} <= set(j["files"])
    assert client.get(j["urls"]["report.json"]).json()["kept_frames"] == 10
    r = client.post(f"{API}/edit", data={"text": "a person waves", "task": "inpaint", "source_id": done["id"],
                                         "source_sample": "1", "formats": "npy", "decode_steps": "2",
                                         "cfg_scale": "2"})
    j = wait_job(client, r.json()["id"])
    assert j["status"] == "done" and j["files"] == ["edited.npy", "report.json", "samples.npz"], j
    path = np.c_[np.linspace(0, 1, 40), np.zeros(40)].astype(np.float32)
    r = client.post(f"{API}/edit", data={"text": "walk", "source_id": j["id"]},
                    files={"trajectory": ("path.npy", npy_bytes(path))})
    j2 = wait_job(client, r.json()["id"])
    assert j2["status"] == "done" and j2["info"]["report"]["trajectory_frames"] == 40, j2


def test_recognize_and_inspect(client, done):
    r = client.post(f"{API}/recognize", data={"labels": "walk, run\njump", "top_k": "2", "source_id": done["id"]},
                    files=[("files", ("a.npy", npy_bytes(walk()))), ("files", ("b.npy", npy_bytes(walk(30))))])
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["labels"] == ["walk", "run", "jump"]
    assert [x["file"] for x in out["results"]] == ["a.npy", "b.npy", f"{done['id']}/0", f"{done['id']}/1"]
    for x in out["results"]:
        assert len(x["predictions"]) == 2 and 0 <= x["predictions"][0]["prob"] <= 1
    r = client.post(f"{API}/inspect", files={"file": ("x.npy", npy_bytes(walk(30)))})
    assert r.json() == {"name": "x.npy", "frames": 30, "seconds": 1.5, "fps": 20.0}


def test_retrieve_both_ways(client, done):
    files = [("files", (f"m{i}.npy", npy_bytes(walk(20 + 10 * i)))) for i in range(3)]
    r = client.post(f"{API}/retrieve", data={"text": "a person walks", "top_k": "2"}, files=files)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["mode"] == "text-to-motion" and out["gallery"] == "uploads (3)" and len(out["results"]) == 2
    assert {h["name"] for h in out["results"]} <= {"m0.npy", "m1.npy", "m2.npy"}
    r = client.post(f"{API}/retrieve", data={"text": "a person walks", "gallery": "results", "top_k": "50"})
    names = [h["name"] for h in r.json()["results"]]
    assert f"{done['id']}/0" in names and f"{done['id']}/1" in names
    r = client.post(f"{API}/retrieve", data={"texts": "walk\njump\n\nsit", "source_id": done["id"]})
    out = r.json()
    assert out["mode"] == "motion-to-text" and sorted(h["text"] for h in out["results"]) == ["jump", "sit", "walk"]
    assert out["results"][0]["score"] >= out["results"][-1]["score"]


def test_corpus_gallery(tiny_bundle, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(3):
        np.save(folder / f"clip{i}.npy", walk(20 + 5 * i))
    with TestClient(create_app(checkpoint=tiny_bundle, results=tmp_path / "r", gallery=str(folder))) as c:
        wait_ready(c)
        assert c.get(f"{API}/info").json()["corpus"] == 3
        r = c.post(f"{API}/retrieve", data={"text": "walk", "gallery": "corpus", "top_k": "3"})
        assert r.status_code == 200 and {h["name"] for h in r.json()["results"]} == {"clip0.npy", "clip1.npy",
                                                                                     "clip2.npy"}


# ------------------------------------------------------------------------------------------------ bad inputs
BAD_JSON = [
    ({"texts": []}, "texts"), ({"texts": [""]}, "texts.0"), ({"texts": ["   "]}, "texts.0"),
    ({"texts": ["x" * 301]}, "texts.0"), ({"texts": ["walk"] * 9}, "texts"), ({"texts": "walk"}, "texts"),
    ({"texts": ["walk"], "lengths": 0.5}, "lengths"), ({"texts": ["walk"], "lengths": 100}, "lengths"),
    ({"texts": ["walk"], "lengths": [1, 2]}, "lengths"), ({"texts": ["walk"], "lengths": "soon"}, "lengths"),
    ({"texts": ["walk"], "samples": 0}, "samples"), ({"texts": ["walk"], "samples": 9}, "samples"),
    ({"texts": ["walk"], "steps": 0}, "steps"), ({"texts": ["walk"], "steps": 51}, "steps"),
    ({"texts": ["walk"], "cfg": -1}, "cfg"), ({"texts": ["walk"], "cfg": 1e9}, "cfg"),
    ({"texts": ["walk"], "decode_steps": 0}, "decode_steps"), ({"texts": ["walk"], "cfg_scale": -1}, "cfg_scale"),
    ({"texts": ["walk"], "sampler": "rk4"}, "sampler"), ({"texts": ["walk"], "seed": -1}, "seed"),
    ({"texts": ["walk"], "seed": 2**40}, "seed"), ({"texts": ["walk"], "ode_steps": 65}, "ode_steps"),
    ({"texts": ["walk"], "guidance": 11}, "guidance"), ({"texts": ["walk"], "formats": ["exe"]}, "formats"),
    ({"texts": ["walk"], "formats": []}, "formats"), ({"texts": ["walk"], "out": "/etc"}, "out"),
    ({"texts": ["walk"], "guidance": False}, "guidance"), ({"texts": ["walk"], "samples": "2"}, "samples"),
    ({"texts": ["a\u0000b"]}, "texts.0"), ({"texts": ["a\u001b[31m"]}, "texts.0"),
]


@pytest.mark.parametrize("route", ["generate", "sequence"])
def test_bad_json_requests(client, route):
    for body, field in BAD_JSON:
        msg = assert_error(client.post(f"{API}/{route}", json=body), 422, client)
        assert msg.startswith(field), (body, msg)
    for raw in ('{"texts": ["walk"], "lengths": NaN}', '{"texts": ["walk"], "cfg": Infinity}', "{not json",
                "", "[]"):
        assert_error(client.post(f"{API}/{route}", content=raw, headers={"content-type": "application/json"}),
                     422, client)
    assert_error(client.post(f"{API}/{route}", data={"texts": "walk"}), 422, client)


def test_bad_uploads(client):
    cases = [
        (("a.txt", b"hello"), 415, "file type '.txt'"),
        (("noext", b"hello"), 415, "file type '(none)'"),
        (("../../etc/passwd.bvh", b"HIERARCHY\nROOT Hips\n{"), 422, "'passwd.bvh'"),
        (("corrupt.bvh", b"HIERARCHY\nROOT Hips\n{\n OFFSET 0 0\n"), 422, "'corrupt.bvh'"),
        (("binary.bvh", bytes(range(256)) * 10), 422, "'binary.bvh'"),
        (("nan.npy", npy_bytes(np.full((30, 22, 3), np.nan, np.float32))), 422, "NaN"),
        (("inf.npy", npy_bytes(np.full((30, 22, 3), np.inf))), 422, "'inf.npy'"),
        (("shape.npy", npy_bytes(np.zeros((30, 5)))), 422, "'shape.npy'"),
        (("one.npy", npy_bytes(walk(1))), 422, "'one.npy'"),
        (("text.npy", npy_bytes(np.array(["a", "b"]))), 422, "'text.npy'"),
        (("pickle.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }" + b" " * 60
          + b"\n"), 422, "'pickle.npy'"),
        (("broken.npz", b"PK\x03\x04garbage"), 422, "'broken.npz'"),
        (("empty.bvh", b""), 422, "empty"),
        (("x.skeleton", b"not a skeleton file"), 422, "'x.skeleton'"),
    ]
    for (name, content), status, needle in cases:
        for route, field in (("recognize", "files"), ("inspect", "file")):
            msg = assert_error(client.post(f"{API}/{route}", files=[(field, (name, content))]), status, client)
            assert needle in msg and "/tmp" not in msg and ".uploads" not in msg, (route, name, msg)
    leftovers = list(client.app.state.service.store.uploads.iterdir())
    assert leftovers == [], leftovers


def test_oversize_and_unbounded_bodies(client):
    limit = 20 * 2**20
    big = b"0" * (limit + 100 * 1024)
    msg = assert_error(client.post(f"{API}/recognize", files=[("files", ("big.npy", big))]), 413, client)
    assert "20 MB" in msg
    near = b"0" * (limit + 1000)          # under the body limit (limit + 64 KiB), over the file limit
    assert "upload limit" in assert_error(client.post(f"{API}/inspect", files={"file": ("near.bvh", near)}), 413,
                                          client)
    chunks = (b"x" * 1000 for _ in range(5))
    assert_error(client.post(f"{API}/generate", content=chunks, headers={"content-type": "application/json"}), 411,
                 client)
    assert list(client.app.state.service.store.uploads.iterdir()) == []


def test_bad_edit_recognize_retrieve_forms(client, done):
    motion = ("w.npy", npy_bytes(walk()))
    rid = done["id"]
    edits = [
        ({"text": "jump"}, {"file": motion}, "nothing to edit"),
        ({"text": "jump", "task": "inpaint"}, {}, "file: give"),
        ({"text": "jump", "task": "inpaint", "source_id": rid}, {"file": motion}, "file: give"),
        ({"text": "", "task": "inpaint"}, {"file": motion}, "text"),
        ({"text": "   ", "task": "inpaint"}, {"file": motion}, "text"),
        ({"text": "x" * 301, "task": "inpaint"}, {"file": motion}, "text"),
        ({"text": "ju\u0007mp", "task": "inpaint"}, {"file": motion}, "unprintable"),
        ({"text": "jump", "task": "middle"}, {"file": motion}, "task"),
        ({"text": "jump", "task": "inpaint", "keep": "0:1"}, {"file": motion}, "task and keep"),
        ({"text": "jump", "keep": "5:9"}, {"file": motion}, "keep"),
        ({"text": "jump", "keep": "soon"}, {"file": motion}, "keep"),
        ({"text": "jump", "joints": "tail"}, {"file": motion}, "joints"),
        ({"text": "jump", "task": "inpaint", "seed": "-3"}, {"file": motion}, "seed"),
        ({"text": "jump", "task": "inpaint", "steps": "500"}, {"file": motion}, "steps"),
        ({"text": "jump", "task": "inpaint", "decode_steps": "500"}, {"file": motion}, "decode_steps"),
        ({"text": "jump", "task": "inpaint", "cfg": "nan"}, {"file": motion}, "cfg"),
        ({"text": "jump", "task": "inpaint", "formats": "npy,exe"}, {"file": motion}, "formats"),
        ({"text": "jump", "task": "inpaint", "source_id": "0" * 32}, {}, "source_id: no result"),
        ({"text": "jump", "task": "inpaint", "source_id": "../../etc/passwd"}, {}, "source_id"),
        ({"text": "jump", "task": "inpaint", "source_id": rid, "source_sample": "5"}, {}, "source_sample"),
        ({"text": "jump", "task": "inpaint"}, {"file": ("long.npy", npy_bytes(walk(400)))}, "longer than"),
        ({"text": "jump"}, {"file": motion, "trajectory": ("p.npy", npy_bytes(np.zeros((5, 4))))}, "trajectory"),
        ({"text": "jump"}, {"file": motion, "trajectory": ("p.bvh", b"x")}, "trajectory"),
    ]
    for data, files, needle in edits:
        r = client.post(f"{API}/edit", data=data, files=files or None)
        msg = assert_error(r, (415, 422), client)
        assert needle in msg, (data, msg)
    recs = [
        ({}, {}, "files"),
        ({"labels": " , ,"}, {"files": motion}, "labels"),
        ({"labels": ",".join(f"l{i}" for i in range(201))}, {"files": motion}, "labels"),
        ({"labels": "x" * 400}, {"files": motion}, "labels"),
        ({"top_k": "0"}, {"files": motion}, "top_k"),
        ({"top_k": "51"}, {"files": motion}, "top_k"),
        ({"source_id": "f" * 32}, {}, "source_id"),
    ]
    for data, files, needle in recs:
        msg = assert_error(client.post(f"{API}/recognize", data=data, files=files or None), 422, client)
        assert needle in msg, (data, msg)
    many = [("files", (f"{i}.npy", npy_bytes(walk()))) for i in range(9)]
    assert "at most 8" in assert_error(client.post(f"{API}/recognize", files=many), 422, client)
    rets = [
        ({}, {}, "give text"),
        ({"text": "walk"}, {}, "files"),
        ({"text": "   "}, {}, "text"),
        ({"text": "walk", "gallery": "corpus"}, {}, "corpus"),
        ({"text": "walk", "gallery": "/etc"}, {}, "gallery"),
        ({"texts": "walk"}, {}, "give an uploaded motion"),
        ({"texts": "\n\n"}, {"files": motion}, "texts"),
        ({"texts": "walk"}, {"files": [motion, motion]}, "one file"),
    ]
    for data, files, needle in rets:
        f = [("files", m) for m in files["files"]] if isinstance(files.get("files"), list) else files or None
        msg = assert_error(client.post(f"{API}/retrieve", data=data, files=f), 422, client)
        assert needle in msg, (data, msg)


def test_unknown_and_path_like_ids(client, done, tmp_path):
    rid = done["id"]
    store = client.app.state.service.store
    for path in (f"results/{'0' * 32}", "results/not-an-id", "results/..%2F..%2Fetc%2Fpasswd",
                 f"results/{rid}/sample_09.npy", f"results/{rid}/..%2F..%2Fetc%2Fpasswd", f"results/{rid}/.coamd-serve",
                 f"results/{rid}/SAMPLE_00.NPY", f"results/{'0' * 32}/sample_00.npy", f"results/{rid}%2F..",
                 "nowhere", f"results/{rid}/sample_00.npy%00.html"):
        msg = assert_error(client.get(f"{API}/{path}"), 404, client)
        assert "/tmp" not in msg
    secret = tmp_path / "secret.json"
    secret.write_text('{"secret": 1}')
    (store.root / rid / "evil.json").symlink_to(secret)
    assert_error(client.get(f"{API}/results/{rid}/evil.json"), 404, client)
    (store.root / rid / "evil.json").unlink()
    assert_error(client.post(f"{API}/results/{rid}"), 405, client)
    other = client.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1, "formats": ["npy"]}).json()["id"]
    assert wait_job(client, other)["status"] == "done"
    (store.root / other / "samples.npz").write_bytes(b"PK\x03\x04 damaged")
    msg = assert_error(client.post(f"{API}/edit", data={"text": "x", "task": "inpaint", "source_id": other}), 422,
                       client)
    assert msg.startswith(f"source_id: result {other}: ") and str(store.root) not in msg, msg


# ------------------------------------------------------------------------------------------------ queue and jobs
def test_queue_full_is_503_with_retry_after(tiny_bundle, tmp_path, monkeypatch):
    import threading

    from coamd.serve import work

    gate = threading.Event()
    real = work.run_generate

    def slow(*args, **kwargs):
        assert gate.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(work, "run_generate", slow)
    svc = Service(checkpoint=tiny_bundle, results=tmp_path / "r", limits=Limits(queue_size=2))
    with TestClient(create_app(svc)) as c:
        wait_ready(c)
        ids = [c.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1}).json()["id"] for _ in range(2)]
        r = c.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1})
        assert r.status_code == 503 and r.headers["retry-after"] == "5" and "queue is full" in r.json()["error"]
        assert c.get(f"{API}/health").json()["queued"] + c.get(f"{API}/health").json()["running"] == 2
        gate.set()
        assert [wait_job(c, i)["status"] for i in ids] == ["done", "done"]
        assert c.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1}).status_code == 202


def test_failing_job_leaves_nothing_and_worker_goes_on(tiny_bundle, tmp_path, monkeypatch):
    from coamd.serve import work

    real = work.write_result
    calls = {"n": 0}

    def broken(folder, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            (folder / "sample_00.npy").write_bytes(b"half")
            raise RuntimeError("disk on fire\nsecond line")
        return real(folder, *args, **kwargs)

    monkeypatch.setattr(work, "write_result", broken)
    with TestClient(create_app(checkpoint=tiny_bundle, results=tmp_path / "r")) as c:
        wait_ready(c)
        store = c.app.state.service.store
        bad = wait_job(c, c.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1}).json()["id"])
        assert bad["status"] == "failed" and bad["files"] == [] and "\n" not in bad["error"]
        assert bad["error"] == "internal error (RuntimeError: disk on fire second line)"
        assert not (store.root / bad["id"]).exists() and not list(store.root.glob(".*.tmp"))
        assert_error(c.get(f"{API}/results/{bad['id']}/sample_00.npy"), 404, c)
        assert_error(c.post(f"{API}/edit", data={"text": "x", "task": "inpaint", "source_id": bad["id"]}), 422, c)
        good = wait_job(c, c.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1}).json()["id"])
        assert good["status"] == "done"


def test_loading_and_failed_models(tiny_bundle, tmp_path, monkeypatch):
    import threading

    gate = threading.Event()
    real = Service._load

    def slow_load(self):
        assert gate.wait(60)
        real(self)

    monkeypatch.setattr(Service, "_load", slow_load)
    with TestClient(create_app(checkpoint=tiny_bundle, results=tmp_path / "a")) as c:
        r = c.get(f"{API}/ready")
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert c.get(f"{API}/health").json()["status"] == "loading"
        r = c.post(f"{API}/generate", json={"texts": ["walk"]})
        assert r.status_code == 503 and "loading" in r.json()["error"]
        assert c.get("/").status_code == 200
        gate.set()
        wait_ready(c)
    monkeypatch.setattr(Service, "_load", real)
    with TestClient(create_app(checkpoint=str(tmp_path / "no-such-bundle"), results=tmp_path / "b")) as c:
        c.app.state.service.wait_ready(60)
        h = c.get(f"{API}/health").json()
        assert h["status"] == "failed" and h["ready"] is False and "no-such-bundle" in h["error"]
        r = c.post(f"{API}/generate", json={"texts": ["walk"]})
        assert r.status_code == 503 and "failed to load" in r.json()["error"]


def test_store_prunes_by_age_and_size(tmp_path):
    store = ResultStore(tmp_path / "r")
    ids = [store.new_id() for _ in range(4)]
    for i, rid in enumerate(ids):
        with store.build(rid) as tmp:
            (tmp / "sample_00.npy").write_bytes(b"x" * 1000)
    finished = [(100.0 + i, rid) for i, rid in enumerate(ids)]
    assert store.prune(finished, now=200.0, max_age_s=99.5, max_bytes=10_000) == [ids[0]]
    assert store.prune(finished[1:], now=200.0, max_age_s=1e9, max_bytes=1_500) == ids[1:3]
    assert store.files(ids[3]) == ["sample_00.npy"] and not (store.root / ids[1]).exists()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(Exception, match="not made by coamd serve"):
        ResultStore(tmp_path / "other")
    again = ResultStore(tmp_path / "r")                   # a restart empties its own folder
    assert [p.name for p in again.root.iterdir()] == [".coamd-serve", ".uploads"] or \
        sorted(p.name for p in again.root.iterdir()) == [".coamd-serve", ".uploads"]


def test_idle_service_prunes_by_age(tiny_bundle, tmp_path):
    svc = Service(checkpoint=tiny_bundle, results=tmp_path / "r", limits=Limits(results_age_s=1.0, prune_every_s=0.05))
    with TestClient(create_app(svc)) as c:
        wait_ready(c)
        rid = wait_job(c, c.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1}).json()["id"])["id"]
        assert c.get(f"{API}/results/{rid}").status_code == 200 and (svc.store.root / rid).is_dir()
        deadline = time.monotonic() + 30                  # no job finishes after it: the janitor must delete it
        while c.get(f"{API}/results/{rid}").status_code != 404 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert_error(c.get(f"{API}/results/{rid}"), 404, c)
        assert not (svc.store.root / rid).exists()


def test_service_prunes_results_over_the_cap(tiny_bundle, tmp_path):
    limits = Limits(results_mb=0.001)                     # ~1 KB: every finished result is over it
    with TestClient(create_app(Service(checkpoint=tiny_bundle, results=tmp_path / "r", limits=limits))) as c:
        wait_ready(c)
        rid = c.post(f"{API}/generate", json={"texts": ["walk"], "lengths": 1}).json()["id"]
        deadline = time.monotonic() + 60
        while c.get(f"{API}/results/{rid}").status_code != 404 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "deleted by the size/age limit" in assert_error(c.get(f"{API}/results/{rid}"), 404, c)
        assert not (c.app.state.service.store.root / rid).exists()


def test_cli_serve_arguments(capsys, tmp_path):
    import socket
    import subprocess
    import sys

    from coamd.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--results", str(tmp_path / "a")]) == 2
        err = capsys.readouterr().err.strip()
        assert err == f"coamd serve: error: --host 127.0.0.1 --port {port}: cannot listen there (Address already in use)"
    r = subprocess.run([sys.executable, "-m", "coamd", "serve", "--port", "0", "--checkpoint", str(tmp_path / "none"),
                        "--results", str(tmp_path / "b")], check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout.startswith("coamd serve: http://127.0.0.1:")
    want = f"coamd serve: error: the models failed to load: {tmp_path / 'none'}: no such checkpoint file or folder"
    assert r.stderr.strip().splitlines() == [want]

    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--port" in err and "65535" in err
    assert main(["serve", "--device", "cuda:7"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("coamd serve: error: --device cuda:7") and "\n" not in err


def test_sampling_fields_and_their_former_names(client):
    """decode_steps / cfg_scale, and the former steps / cfg (deprecated in the schema), are accepted; both
    spellings of one setting with different values are a one-line 422."""
    for body in ({"decode_steps": 2, "cfg_scale": 2.0}, {"steps": 2, "cfg": 2.0}):
        r = client.post(f"{API}/generate", json={"texts": ["a person walks"], "lengths": 1, "formats": ["npy"], **body})
        assert r.status_code == 202, r.text
        assert wait_job(client, r.json()["id"])["status"] == "done", body
    msg = assert_error(client.post(f"{API}/generate", json={"texts": ["walk"], "steps": 2, "decode_steps": 3}), 422,
                       client)
    assert "steps=2 and decode_steps=3" in msg
    props = client.get("/openapi.json").json()["components"]["schemas"]["GenerateIn"]["properties"]
    assert props["steps"].get("deprecated") is True and "deprecated" not in props["decode_steps"]
