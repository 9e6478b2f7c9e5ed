"""The app's guards and error replies: a body-size middleware and handlers that turn every error into
``{"error": "<one line>"}`` with its status (4xx; 503 with Retry-After when busy; 500 only for a bug)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import CoamdError
from .errors import ApiError, one_line

log = logging.getLogger("coamd.serve")


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


def validation_message(exc: RequestValidationError) -> str:
    """pydantic's first problem as ``field: message (and N more problems)``."""
    errors = exc.errors()
    if not errors:
        return "invalid request"
    e = errors[0]
    # drop the location's "body" and pydantic's union-member tags ("constrained-float", "literal['auto']")
    where = ".".join(str(p) for p in e.get("loc", ())
                     if p != "body" and not (isinstance(p, str) and ("[" in p or "-" in p))) or "request"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return one_line(f"{where}: {e.get('msg', 'invalid')}{more}")


def error_reply(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    """The one shape of every error: ``{"error": "<one line>"}``."""
    return JSONResponse({"error": one_line(message)}, status_code=status, headers=headers)


def install(app: FastAPI, max_upload_bytes: int) -> None:
    """Add the body-size middleware and the error handlers to ``app``."""
    app.add_middleware(BodyLimit, limit=max_upload_bytes)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return error_reply(exc.status, exc.message, exc.headers)

    @app.exception_handler(CoamdError)
    async def coamd_error(request: Request, exc: CoamdError):
        return error_reply(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return error_reply(422, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such route: {request.method} {request.url.path[:200]}"
        return error_reply(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return error_reply(500, f"internal error ({type(exc).__name__}: {exc})")

