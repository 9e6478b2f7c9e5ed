"""``coamd serve``: a local web app and versioned JSON API for the four tasks (FastAPI + uvicorn).

The pieces, one small module each:

* :mod:`.limits`  -- every bound the service enforces (upload size, text and number ranges, queue, storage cap);
* :mod:`.schemas` -- the JSON request/response models (what ``/openapi.json`` and ``/docs`` show);
* :mod:`.uploads` -- uploaded motion files: size/extension checks, parsed by ``coamd.io.load_motion``;
* :mod:`.jobs`    -- the bounded job queue and its worker threads (queued -> running n/N -> done/failed);
* :mod:`.storage` -- the results folder: server-made ids, atomic result folders, size/age cap;
* :mod:`.work`    -- what a generate / sequence / edit job does and the files it writes;
* :mod:`.service` -- the loaded models, the queue and the store, shared by the routes;
* :mod:`.handlers` -- the body-size guard and the one-line JSON error replies;
* :mod:`.forms`   -- the multipart form fields and their checks;
* :mod:`.routes_jobs` / :mod:`.routes_search` -- generate, sequence, edit, results / recognize, retrieve, inspect;
* :mod:`.app`     -- the FastAPI app factory: the page at ``/``, health/ready/info, the routers under ``/api/v1``.

Needs the ``serve`` extra: ``pip install 'coamd[serve]'``.
"""

from __future__ import annotations

API_PREFIX = "/api/v1"


def create_app(*args, **kwargs):
    """The FastAPI app (see :func:`coamd.serve.app.create_app`)."""
    from .app import create_app as make

    return make(*args, **kwargs)


__all__ = ["API_PREFIX", "create_app"]
