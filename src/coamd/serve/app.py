"""The FastAPI app: the page at ``/``, the JSON API under ``/api/v1``, OpenAPI at ``/openapi.json`` and ``/docs``.

Every error is ``{"error": "<one line>"}`` with a 4xx status (5xx only for "not ready / busy" 503s,
which carry Retry-After, and for a genuine server bug): :mod:`.handlers`. Routes that take files are
multipart forms (:mod:`.forms`); generate and sequence take JSON. Long work returns 202 and a job to poll
at ``/api/v1/results/{id}`` (:mod:`.routes_jobs`); recognise / retrieve / inspect answer at once
(:mod:`.routes_search`).
"""

from __future__ import annotations

import contextlib
from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import coamd

from . import API_PREFIX, handlers, routes_jobs, routes_search
from . import limits as L
from .schemas import ErrorOut, HealthOut, InfoOut
from .service import Service

STATIC = resources.files(__package__).joinpath("static")
COMMON_ERRORS = {code: {"model": ErrorOut} for code in (400, 411, 413, 503)}    # any route (body checks, busy)


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
                  docs_url=None, redoc_url=None,                    # /docs below: Swagger UI from the package
                  description="Generate, edit, recognise and retrieve human motion on 3D skeletons. "
                              "Every error is a JSON object with one `error` line.")
    app.state.service = svc
    handlers.install(app, svc.limits.max_upload_bytes)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(STATIC.joinpath("index.html").read_text(encoding="utf-8"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        """Interactive API docs with the Swagger UI shipped in the package (no CDN)."""
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="coamd API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")

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


    app.include_router(routes_jobs.router(svc))
    app.include_router(routes_search.router(svc))
    return app
