"""The routes that answer at once: recognise, retrieve (text -> motion, motion -> text) and inspect an upload."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile

from ..errors import CoamdError
from . import API_PREFIX
from . import limits as L
from .errors import ApiError
from .forms import Files, Id, Sample, TopK, clean, motion_from, read, text_list
from .schemas import ErrorOut, MotionOut, RecognizeOut, RetrieveOut

ERRORS = {code: {"model": ErrorOut} for code in (404, 415, 422)}


def router(svc) -> APIRouter:
    api = APIRouter(prefix=API_PREFIX, responses=ERRORS)

    @api.post("/recognize", response_model=RecognizeOut, tags=["tasks"])
    def recognize(files: Files = [],  # noqa: B006 - FastAPI reads the default, never mutates it
                  source_id: Id = None,
                  labels: Annotated[str | None, Form(max_length=20_000, description="comma/newline separated; "
                                                     "default: the bundle's labels")] = None,
                  top_k: TopK = 5) -> RecognizeOut:
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
            m, n = read(svc, f, f"files[{i}]")
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

    @api.post("/inspect", response_model=MotionOut, tags=["tasks"])
    def inspect(file: Annotated[UploadFile, File(description="a motion file (.npy .npz .bvh .skeleton)")]) -> MotionOut:
        """Parse an uploaded motion file (``coamd.io.load_motion``) and say how long it is; nothing is kept."""
        svc.require_ready()
        m, name = read(svc, file, "file")
        return MotionOut(name=name, frames=len(m), seconds=round(len(m) / svc.bundle.fps, 3), fps=svc.bundle.fps)

    @api.post("/retrieve", response_model=RetrieveOut, tags=["tasks"],
              response_model_exclude_none=True)
    def retrieve(text: Annotated[str | None, Form(max_length=L.MAX_TEXT_CHARS,
                                                  description="text query: rank the gallery's motions")] = None,
                 gallery: Annotated[Literal["uploads", "results", "corpus"], Form(
                     description="text query over: the uploaded files, this server's finished results, or the "
                                 "corpus given to coamd serve --gallery")] = "uploads",
                 files: Files = [],  # noqa: B006
                 source_id: Id = None,
                 source_sample: Sample = 0,
                 texts: Annotated[str | None, Form(max_length=60_000, description="motion query: candidate texts, "
                                                   "one per line")] = None,
                 top_k: TopK = 5) -> RetrieveOut:
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
                motions, names = zip(*[read(svc, f, f"files[{i}]") for i, f in enumerate(files)])
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
        motion, name = motion_from(svc, files[0] if files else None, source_id, source_sample, "files[0]")
        with svc.model_slot():
            rows = rank_texts(svc.bundle, [motion], candidates, top_k)[0]
        return RetrieveOut(mode="motion-to-text", query=name, gallery=f"texts ({len(candidates)})",
                           results=[{"rank": r["rank"], "score": r["score"], "text": r["text"]} for r in rows])

    return api


def _results_gallery(svc, limit: int = 256):
    """The motions of this server's finished results, newest first, at most ``limit``."""
    motions, names = [], []
    for _, rid in sorted(svc.queue.finished(), reverse=True):
        job = svc.queue.get(rid)
        if job is None or job.status != "done":
            continue
        try:
            ms, _ = svc.result_motions(rid)
        except (ApiError, CoamdError):      # deleted by the size/age cap meanwhile
            continue
        for i, m in enumerate(ms):
            motions.append(m)
            names.append(f"{rid}/{i}")
        if len(motions) >= limit:
            break
    if not motions:
        raise ApiError(422, "gallery: this server has no finished results yet; generate some or upload files")
    return motions[:limit], names[:limit]
