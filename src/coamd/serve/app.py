"""The FastAPI app: the page at ``/``, the JSON API under ``/api/v1``, OpenAPI at ``/openapi.json`` and ``/docs``.

Every error is ``{"error": "<one line>"}`` with a 4xx status (5xx only for "not ready / busy" 503s,
which carry Retry-After, and for a genuine server bug). Routes that take files are multipart forms;
generate and sequence take JSON. Long work returns 202 and a job to poll at ``/api/v1/results/{id}``.
"""

from __future__ import annotations

import contextlib
import logging
from importlib import resources
from typing import Annotated, Literal

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import coamd

from ..errors import CoamdError
from . import API_PREFIX
from . import limits as L
from .errors import ApiError, one_line
from .schemas import (
    ErrorOut,
    GenerateIn,
    HealthOut,
    InfoOut,
    JobOut,
    MotionOut,
    RecognizeOut,
    RetrieveOut,
    SamplingIn,
    SequenceIn,
    printable,
)
from .service import Service
from .storage import ID_RE, MEDIA_TYPES

log = logging.getLogger("coamd.serve")
STATIC = resources.files(__package__).joinpath("static")
ERRORS = {code: {"model": ErrorOut} for code in (404, 415, 422)}
COMMON_ERRORS = {code: {"model": ErrorOut} for code in (400, 411, 413, 503)}    # any route (body checks, busy)
# form-field types (module level: the annotations are resolved here)
Id = Annotated[str | None, Form(pattern=ID_RE.pattern, description="id of an earlier result")]
Text = Annotated[str, Form(min_length=1, max_length=L.MAX_TEXT_CHARS)]
Files = Annotated[list[UploadFile], File(description="motion files (.npy .npz .bvh .skeleton)")]


class BodyLimit:
    """ASGI middleware: a POST must state its Content-Length (411) and stay under the upload limit (413)."""

    def __init__(self, app, limit: int, slack: int = 64 * 1024) -> None:
        self.app, self.limit, self.max_bytes = app, limit, limit + slack   # slack: the multipart framing

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            status, msg = None, ""
            if length is None:
                status, msg = 411, "send a Content-Length header (chunked uploads are not accepted)"
            elif not length.isdigit():
                status, msg = 400, "Content-Length is not a number"
            elif int(length) > self.max_bytes:
                status, msg = 413, (f"request body of {int(length) / 2**20:.1f} MB is over the "
                                    f"{self.limit / 2**20:g} MB upload limit")
            if status is not None:
                await JSONResponse({"error": msg}, status_code=status, headers={"Connection": "close"})(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    e = errors[0]
    # drop the location's "body" and pydantic's union-member tags ("constrained-float", "literal['auto']")
    where = ".".join(str(p) for p in e.get("loc", ())
                     if p != "body" and not (isinstance(p, str) and ("[" in p or "-" in p))) or "request"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return one_line(f"{where}: {e.get('msg', 'invalid')}{more}")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": one_line(message)}, status_code=status, headers=headers)


def create_app(service: Service | None = None, **service_args) -> FastAPI:
    """The app over ``service`` (or a new ``Service(**service_args)``); models load when the app starts."""
    svc = service or Service(**service_args)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        svc.start()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(title="coamd", version=coamd.__version__, lifespan=lifespan, responses=COMMON_ERRORS,
                  description="Generate, edit, recognise and retrieve human motion on 3D skeletons. "
                              "Every error is a JSON object with one `error` line.")
    app.state.service = svc
    app.add_middleware(BodyLimit, limit=svc.limits.max_upload_bytes)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(CoamdError)
    async def coamd_error(request: Request, exc: CoamdError):
        return _error(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return _error(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such route: {request.method} {request.url.path[:200]}"
        return _error(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}: {exc})")

    # ------------------------------------------------------------------ the page
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(STATIC.joinpath("index.html").read_text(encoding="utf-8"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # ------------------------------------------------------------------ state
    @app.get(f"{API_PREFIX}/health", response_model=HealthOut, tags=["service"])
    def health() -> HealthOut:
        """Liveness: always 200 while the process serves; says whether the models are loaded."""
        queued, running = svc.queue.counts()
        return HealthOut(status="ok" if svc.state == "ready" else svc.state, ready=svc.state == "ready",
                         error=svc.error, queued=queued, running=running, queue_size=svc.limits.queue_size)

    @app.get(f"{API_PREFIX}/ready", response_model=HealthOut, tags=["service"], responses={503: {"model": ErrorOut}})
    def ready() -> HealthOut:
        """Readiness: 200 once the models are loaded, 503 (with Retry-After) before."""
        svc.require_ready()
        return health()

    @app.get(f"{API_PREFIX}/info", response_model=InfoOut, tags=["service"], responses={503: {"model": ErrorOut}})
    def info() -> InfoOut:
        """The loaded bundle, its labels and defaults, the body parts for edits, and the limits."""
        svc.require_ready()
        from ..tasks.edit_specs import JOINT_GROUPS, TASKS

        b = svc.bundle
        return InfoOut(version=coamd.__version__, bundle=b.meta.get("name"), device=str(b.device),
                       labels=list(b.label_names or []), body_parts=list(JOINT_GROUPS), tasks=list(TASKS),
                       samplers=["euler", "heun", "dopri5"], defaults=dict(b.defaults()),
                       corpus=len(svc.gallery) if svc.gallery is not None else 0,
                       limits={"max_upload_mb": svc.limits.max_upload_mb, "upload_extensions": list(L.UPLOAD_EXTENSIONS),
                               "max_texts": L.MAX_TEXTS, "max_text_chars": L.MAX_TEXT_CHARS,
                               "seconds": [L.MIN_SECONDS, L.MAX_SECONDS], "max_samples": L.MAX_SAMPLES,
                               "max_steps": L.MAX_STEPS, "max_ode_steps": L.MAX_ODE_STEPS, "max_cfg": L.MAX_CFG,
                               "max_guidance": L.MAX_GUIDANCE, "max_files": L.MAX_FILES, "max_labels": L.MAX_LABELS,
                               "max_top_k": L.MAX_TOP_K, "queue_size": svc.limits.queue_size,
                               "results_mb": svc.limits.results_mb, "results_age_s": svc.limits.results_age_s})

    # ------------------------------------------------------------------ jobs
    def job_out(job) -> JobOut:
        files = svc.store.files(job.id) if job.status == "done" else []
        base = f"{API_PREFIX}/results/{job.id}"
        return JobOut(id=job.id, kind=job.kind, status=job.status, progress={"done": job.done, "total": job.total},
                      error=job.error, files=files, urls={f: f"{base}/{f}" for f in files}, info=job.info)

    def sampling(req: SamplingIn):
        from ..tasks import sampling_settings

        return sampling_settings(svc.bundle, steps=req.steps, cfg=req.cfg, sampler=req.sampler,
                                 ode_steps=req.ode_steps, guidance=req.guidance)

    def seconds(req: GenerateIn) -> list[float | None]:
        values = req.lengths if isinstance(req.lengths, list) else [req.lengths]
        if len(values) not in (1, len(req.texts)):
            raise ApiError(422, f"lengths: {len(values)} values for {len(req.texts)} texts (give one, or one per text)")
        values = values * len(req.texts) if len(values) == 1 else values
        return [None if v == "auto" else float(v) for v in values]

    @app.post(f"{API_PREFIX}/generate", status_code=202, response_model=JobOut, tags=["tasks"], responses=ERRORS)
    def generate(req: GenerateIn) -> JobOut:
        """Text -> motion: ``samples`` motions per text, as a job (poll ``/results/{id}``)."""
        from .work import run_generate

        svc.require_ready()
        secs, s = seconds(req), sampling(req)
        args = (req.texts, secs, req.samples, req.seed, s, req.cleanup, list(dict.fromkeys(req.formats)))
        return job_out(svc.submit("generate", len(req.texts), lambda job: run_generate(svc, job, *args)))

    @app.post(f"{API_PREFIX}/sequence", status_code=202, response_model=JobOut, tags=["tasks"], responses=ERRORS)
    def sequence(req: SequenceIn) -> JobOut:
        """Texts -> one long motion per sample performing them in order (chained segments), as a job."""
        from .work import run_sequence

        svc.require_ready()
        secs, s = seconds(req), sampling(req)
        args = (req.texts, secs, req.samples, req.seed, s, req.cleanup, list(dict.fromkeys(req.formats)))
        return job_out(svc.submit("sequence", 1, lambda job: run_sequence(svc, job, *args)))

    @app.get(f"{API_PREFIX}/results/{{rid}}", response_model=JobOut, tags=["results"], responses=ERRORS)
    def result(rid: str) -> JobOut:
        """A job's status, progress (``done``/``total`` steps), its one-line error, and its files when done."""
        return job_out(svc.job(rid))

    @app.get(f"{API_PREFIX}/results/{{rid}}/{{name}}", tags=["results"], responses=ERRORS,
             response_class=FileResponse)
    def result_file(rid: str, name: str):
        """One file of a finished result: ``sample_NN`` / ``edited`` .npy .bvh .gif .mp4, ``viewer.html``,
        ``samples.npz``, ``report.json``."""
        job = svc.job(rid)
        path = svc.store.file(rid, name) if job.status == "done" else None
        if path is None:
            raise ApiError(404, f"result {rid} has no file {name[:80]!r}")
        ext = path.suffix[1:]
        inline = ext in ("html", "gif", "mp4", "json")
        return FileResponse(path, media_type=MEDIA_TYPES[ext], filename=None if inline else name)

    # ------------------------------------------------------------------ multipart helpers
    def motion_from(file: UploadFile | None, source_id: str | None, sample: int, field: str):
        if (file is None) == (source_id is None):
            raise ApiError(422, f"{field}: give an uploaded motion file or the source_id of an earlier result "
                                f"(one of them)")
        if file is not None:
            return svc_read(file, field)
        motions, _ = svc.result_motions(source_id)
        if sample >= len(motions):
            raise ApiError(422, f"source_sample: result {source_id} has {len(motions)} motion(s) "
                                f"(0-{len(motions) - 1}), got {sample}")
        return motions[sample], f"{source_id}/{sample}"

    def svc_read(file: UploadFile, field: str):
        from .uploads import read_motion

        return read_motion(file, svc.store.uploads, svc.limits.max_upload_bytes, field)

    def clean(text: str, field: str) -> str:
        try:
            return printable(text)
        except ValueError as e:
            raise ApiError(422, f"{field}: {e}") from None

    def text_list(text: str | None, field: str, limit: int) -> list[str] | None:
        if text is None:
            return None
        clean(text, field)
        items = list(dict.fromkeys(" ".join(t.split()) for t in text.replace("\n", ",").split(",") if t.strip())
                     ) if field == "labels" else [" ".join(t.split()) for t in text.splitlines() if t.strip()]
        if not items:
            raise ApiError(422, f"{field}: empty; give at least one")
        if len(items) > limit:
            raise ApiError(422, f"{field}: {len(items)} given, at most {limit}")
        long = next((t for t in items if len(t) > L.MAX_TEXT_CHARS), None)
        if long is not None:
            raise ApiError(422, f"{field}: {long[:30]!r}... is over {L.MAX_TEXT_CHARS} characters")
        return items

    def formats_list(spec: str) -> list[str]:
        items = [f.strip().lower() for f in spec.split(",") if f.strip()]
        bad = [f for f in items if f not in ("npy", "bvh", "gif", "mp4", "html")]
        if bad or not items:
            raise ApiError(422, f"formats: {bad[0] if bad else '(empty)'!r} is not one of npy, bvh, gif, mp4, html")
        return list(dict.fromkeys(items))

    # ------------------------------------------------------------------ edit
    @app.post(f"{API_PREFIX}/edit", status_code=202, response_model=JobOut, tags=["tasks"], responses=ERRORS)
    def edit(text: Text,
             file: Annotated[UploadFile | None, File(description="motion to edit (.npy .npz .bvh .skeleton)")] = None,
             source_id: Id = None,
             source_sample: Annotated[int, Form(ge=0, le=L.MAX_TEXTS * L.MAX_SAMPLES)] = 0,
             task: Annotated[Literal["inpaint", "outpaint", "prefix", "suffix"] | None, Form()] = None,
             keep: Annotated[str | None, Form(max_length=200, description="seconds to keep, e.g. 0:1.5,3:4")] = None,
             joints: Annotated[str | None, Form(max_length=300, description="kept body parts, e.g. lower")] = None,
             trajectory: Annotated[UploadFile | None, File(description="pelvis path .npy (T,2)/(T,3) m")] = None,
             seed: Annotated[int, Form(ge=0, le=L.MAX_SEED)] = 0,
             steps: Annotated[int | None, Form(ge=1, le=L.MAX_STEPS)] = None,
             cfg: Annotated[float | None, Form(ge=0, le=L.MAX_CFG, allow_inf_nan=False)] = None,
             sampler: Annotated[Literal["euler", "heun", "dopri5"] | None, Form()] = None,
             ode_steps: Annotated[int | None, Form(ge=1, le=L.MAX_ODE_STEPS)] = None,
             guidance: Annotated[float | None, Form(ge=0, le=L.MAX_GUIDANCE, allow_inf_nan=False)] = None,
             cleanup: Annotated[bool, Form()] = True,
             exact: Annotated[bool, Form()] = True,
             formats: Annotated[str, Form(max_length=40)] = "npy,bvh,html") -> JobOut:
        """Regenerate time ranges (``task`` or ``keep``) and/or body parts (``joints`` kept) of a motion, or make it
        follow a ``trajectory``; the source is an upload or ``source_id`` (+ ``source_sample``) of a result."""
        from ..skeleton import SMPL22
        from ..tasks.edit_specs import parse_joints, parse_keep
        from .uploads import read_trajectory
        from .work import run_edit

        svc.require_ready()
        text = clean(text, "text")
        if not text:
            raise ApiError(422, "text: empty; describe the motion, e.g. \"a person jumps\"")
        fmts = formats_list(formats)
        if task is not None and keep is not None:
            raise ApiError(422, "task and keep both say what to keep; give one of them")
        if not (task or keep or joints or trajectory):
            raise ApiError(422, "nothing to edit: give task, keep, joints or trajectory")
        src, name = motion_from(file, source_id, source_sample, "file")
        b = svc.bundle
        if len(src) > b.max_tokens * b.unit_length:
            raise ApiError(422, f"file {name!r}: {len(src) / b.fps:.1f} s is longer than the "
                                f"{b.max_tokens * b.unit_length / b.fps:.1f} s the editor handles; cut it first")
        if keep is not None:
            parse_keep(keep, len(src) / b.fps)
        if joints is not None:
            parse_joints(joints, SMPL22)
        path = read_trajectory(trajectory, svc.store.uploads, svc.limits.max_upload_bytes) if trajectory else None
        s = sampling(SamplingIn(steps=steps, cfg=cfg, sampler=sampler, ode_steps=ode_steps, guidance=guidance))
        job = svc.submit("edit", 1, lambda job: run_edit(svc, job, src, text, task, keep, joints, path, seed, s,
                                                         cleanup, exact, fmts))
        job.info["source"] = name
        return job_out(job)

    # ------------------------------------------------------------------ recognise
    @app.post(f"{API_PREFIX}/recognize", response_model=RecognizeOut, tags=["tasks"], responses=ERRORS)
    def recognize(files: Files = [],  # noqa: B006 - FastAPI reads the default, never mutates it
                  source_id: Id = None,
                  labels: Annotated[str | None, Form(max_length=20_000, description="comma/newline separated; "
                                                     "default: the bundle's labels")] = None,
                  top_k: Annotated[int, Form(ge=1, le=L.MAX_TOP_K)] = 5) -> RecognizeOut:
        """Zero-shot action recognition: ranked labels per uploaded motion (or per motion of a result)."""
        from ..tasks import recognize as recognise

        svc.require_ready()
        if not files and source_id is None:
            raise ApiError(422, "files: upload at least one motion file (or give source_id)")
        if len(files) > L.MAX_FILES:
            raise ApiError(422, f"files: {len(files)} uploaded, at most {L.MAX_FILES}")
        names = text_list(labels, "labels", L.MAX_LABELS) or list(svc.bundle.label_names or [])
        if not names:
            raise ApiError(422, "labels: this model has no label list; give labels")
        motions, shown = [], []
        for i, f in enumerate(files):
            m, n = svc_read(f, f"files[{i}]")
            motions.append(m)
            shown.append(n)
        if source_id is not None:
            ms, _ = svc.result_motions(source_id)
            motions += ms
            shown += [f"{source_id}/{i}" for i in range(len(ms))]
        with svc.model_slot():
            out = recognise(svc.bundle, motions, names, top_k)
        return RecognizeOut(labels=names, results=[{"file": n, "frames": len(m), "predictions": r.as_dict()}
                                                   for n, m, r in zip(shown, motions, out)])

    # ------------------------------------------------------------------ retrieve
    @app.post(f"{API_PREFIX}/inspect", response_model=MotionOut, tags=["tasks"], responses=ERRORS)
    def inspect(file: Annotated[UploadFile, File(description="a motion file (.npy .npz .bvh .skeleton)")]) -> MotionOut:
        """Parse an uploaded motion file (``coamd.io.load_motion``) and say how long it is; nothing is kept."""
        svc.require_ready()
        m, name = svc_read(file, "file")
        return MotionOut(name=name, frames=len(m), seconds=round(len(m) / svc.bundle.fps, 3), fps=svc.bundle.fps)

    @app.post(f"{API_PREFIX}/retrieve", response_model=RetrieveOut, tags=["tasks"], responses=ERRORS,
              response_model_exclude_none=True)
    def retrieve(text: Annotated[str | None, Form(max_length=L.MAX_TEXT_CHARS,
                                                  description="text query: rank the gallery's motions")] = None,
                 gallery: Annotated[Literal["uploads", "results", "corpus"], Form(
                     description="text query over: the uploaded files, this server's finished results, or the "
                                 "corpus given to coamd serve --gallery")] = "uploads",
                 files: Files = [],  # noqa: B006
                 source_id: Id = None,
                 source_sample: Annotated[int, Form(ge=0, le=L.MAX_TEXTS * L.MAX_SAMPLES)] = 0,
                 texts: Annotated[str | None, Form(max_length=60_000, description="motion query: candidate texts, "
                                                   "one per line")] = None,
                 top_k: Annotated[int, Form(ge=1, le=L.MAX_TOP_K)] = 5) -> RetrieveOut:
        """Text -> motion over a gallery (uploads, results or corpus), or motion (one upload or ``source_id``)
        -> the best of ``texts``."""
        from ..tasks.recognize import embed_motions, embed_texts
        from ..tasks.retrieve import rank_motions, rank_texts, top_matches

        svc.require_ready()
        if len(files) > L.MAX_FILES:
            raise ApiError(422, f"files: {len(files)} uploaded, at most {L.MAX_FILES}")
        if text is not None:
            query = clean(text, "text")
            if not query:
                raise ApiError(422, "text: empty; describe the motion to find")
            if gallery == "corpus":
                if svc.gallery is None:
                    raise ApiError(422, "gallery: this server has no corpus (start coamd serve with --gallery "
                                        "INDEX|DIR), use uploads or results")
                with svc.model_slot():
                    rows = rank_motions(svc.bundle, [query], svc.gallery, top_k)[0]
                hits = [{"rank": r["rank"], "score": r["score"], "name": r["path"].replace("\\", "/").split("/")[-1],
                         "caption": r["caption"] or None, "frames": r["frames"]} for r in rows]
                return RetrieveOut(mode="text-to-motion", query=query, gallery=f"corpus ({len(svc.gallery)})",
                                   results=hits)
            if gallery == "uploads":
                if not files:
                    raise ApiError(422, "files: upload the motions to search (or use gallery=results)")
                motions, names = zip(*[svc_read(f, f"files[{i}]") for i, f in enumerate(files)])
            else:
                motions, names = _results_gallery(svc)
            with svc.model_slot():
                scores, idx = top_matches(embed_texts(svc.bundle, [query]), embed_motions(svc.bundle, list(motions)),
                                          top_k)
            hits = [{"rank": r + 1, "score": round(float(s), 6), "name": names[i], "frames": len(motions[i])}
                    for r, (s, i) in enumerate(zip(scores[0].tolist(), idx[0].tolist()))]
            return RetrieveOut(mode="text-to-motion", query=query, gallery=f"{gallery} ({len(motions)})", results=hits)
        candidates = text_list(texts, "texts", L.MAX_LABELS)
        if candidates is None:
            raise ApiError(422, "give text (find motions) or a motion with texts (rank the texts)")
        if len(files) > 1:
            raise ApiError(422, "files: a motion query takes one file")
        motion, name = motion_from(files[0] if files else None, source_id, source_sample, "files[0]")
        with svc.model_slot():
            rows = rank_texts(svc.bundle, [motion], candidates, top_k)[0]
        return RetrieveOut(mode="motion-to-text", query=name, gallery=f"texts ({len(candidates)})",
                           results=[{"rank": r["rank"], "score": r["score"], "text": r["text"]} for r in rows])

    return app


def _results_gallery(svc: Service, limit: int = 256):
    """The motions of this server's finished results, newest first, at most ``limit``."""
    motions, names = [], []
    for _, rid in sorted(svc.queue.finished(), reverse=True):
        job = svc.queue.get(rid)
        if job is None or job.status != "done":
            continue
        try:
            ms, _ = svc.result_motions(rid)
        except ApiError:
            continue
        for i, m in enumerate(ms):
            motions.append(m)
            names.append(f"{rid}/{i}")
        if len(motions) >= limit:
            break
    if not motions:
        raise ApiError(422, "gallery: this server has no finished results yet; generate some or upload files")
    return motions[:limit], names[:limit]
