"""``coamd serve``: the local web app and JSON API (FastAPI + uvicorn; ``pip install 'coamd[serve]'``).

Binds to 127.0.0.1 by default and prints the URL; the models load once at start-up, in the
background (``GET /api/v1/ready`` answers 200 when they are loaded). See :mod:`coamd.serve`.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time

from ..errors import CoamdError
from . import add_common, new_parser
from .args import number, whole
from .generate import add_checkpoint


def register(sub) -> None:
    p = new_parser(
        sub, "serve", "run the web app and JSON API (generate, edit, recognise, retrieve in a browser)",
        ["coamd serve                       # then open http://127.0.0.1:8000/",
         "coamd serve --port 8080 --checkpoint runs/ --workers 2 --results serve_results/",
         """curl -s localhost:8000/api/v1/generate -H 'content-type: application/json' -d '{"texts": ["a person waves"]}'"""],
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: 127.0.0.1, this machine only; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=whole(0, 65535), default=8000, help="TCP port (default: 8000; 0 = any free port)")
    p.add_argument("--workers", type=whole(1, 64), default=1, metavar="N",
                   help="jobs run at once (and recognise/retrieve calls served at once) (default: 1)")
    p.add_argument("--queue", type=whole(1, 10_000), default=16, metavar="N",
                   help="jobs waiting or running before new ones get 503 + Retry-After (default: 16)")
    p.add_argument("--max-upload-mb", type=number(0.01, 2048), default=20.0, metavar="MB",
                   help="largest request body, uploads included (default: 20)")
    p.add_argument("--results", metavar="DIR", default=None,
                   help="folder for results (default: a temporary folder removed at exit); emptied at start-up")
    p.add_argument("--results-mb", type=number(0.1, 10**7), default=500.0, metavar="MB",
                   help="results folder size cap; the oldest results are deleted past it (default: 500)")
    p.add_argument("--results-hours", type=number(0.001, 10**5), default=24.0, metavar="H",
                   help="finished results are deleted after this many hours (default: 24)")
    p.add_argument("--gallery", metavar="INDEX|DIR", default=None,
                   help="corpus for text->motion search: a 'coamd index build' file or a folder of motions")
    add_checkpoint(p)
    add_common(p, device=True, threads=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..serve.app import create_app
        from ..serve.limits import Limits
        from ..serve.service import Service
    except ImportError as e:
        raise CoamdError(f"coamd serve needs the 'serve' extra ({e.name} is missing): "
                         f"pip install 'coamd[serve]'") from None
    from ..device import resolve_device

    resolve_device(args.device)
    limits = Limits(max_upload_mb=args.max_upload_mb, queue_size=args.queue, results_mb=args.results_mb,
                    results_age_s=args.results_hours * 3600.0)
    svc = Service(checkpoint=args.checkpoint, device=args.device, workers=args.workers, limits=limits,
                  results=args.results, gallery=args.gallery, threads=args.threads)
    sock = _bind(args.host, args.port)                  # a taken port is a one-line error, before anything loads
    app = create_app(svc)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5))
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if not server.started:
            return
        print(f"coamd serve: http://{shown}:{port}/  (API: /api/v1, docs: /docs; Ctrl-C stops)", flush=True)
        if svc.wait_ready():
            print(f"coamd serve: models ready ({svc.load_seconds:.1f} s)", flush=True)
        else:
            server.should_exit = True                   # a server without models only answers 503s: stop

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    if svc.state == "failed":
        raise CoamdError(f"the models failed to load: {svc.error}")
    return 0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise CoamdError(f"--host {host} --port {port}: cannot listen there ({e.strerror or e})") from None
    sock.set_inheritable(True)
    return sock
