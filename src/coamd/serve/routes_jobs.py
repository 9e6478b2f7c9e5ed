"""The routes that start jobs (generate, sequence, edit) and the ones that report them (results, files)."""

from __future__ import annotations

import os
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from . import API_PREFIX
from . import limits as L
from .errors import ApiError
from .forms import Id, Sample, Text, clean, formats_list, motion_from
from .schemas import ErrorOut, GenerateIn, JobOut, SamplingIn, SequenceIn
from .storage import MEDIA_TYPES

ERRORS = {code: {"model": ErrorOut} for code in (404, 415, 422)}


def router(svc) -> APIRouter:
    api = APIRouter(prefix=API_PREFIX, responses=ERRORS)

    def job_out(job) -> JobOut:
        files = svc.store.files(job.id) if job.status == "done" else []
        base = f"{API_PREFIX}/results/{job.id}"
        return JobOut(id=job.id, kind=job.kind, status=job.status, progress={"done": job.done, "total": job.total},
                      error=job.error, files=files, urls={f: f"{base}/{f}" for f in files}, info=job.info)

    def sampling(req: SamplingIn):
        from ..tasks import sampling_settings

        return sampling_settings(svc.bundle, decode_steps=req.decode_steps, cfg_scale=req.cfg_scale, steps=req.steps,
                                 cfg=req.cfg, sampler=req.sampler, ode_steps=req.ode_steps, guidance=req.guidance)

    def seconds(req: GenerateIn) -> list[float | None]:
        values = req.lengths if isinstance(req.lengths, list) else [req.lengths]
        if len(values) not in (1, len(req.texts)):
            raise ApiError(422, f"lengths: {len(values)} values for {len(req.texts)} texts (give one, or one per text)")
        values = values * len(req.texts) if len(values) == 1 else values
        return [None if v == "auto" else float(v) for v in values]

    @api.post("/generate", status_code=202, response_model=JobOut, tags=["tasks"])
    def generate(req: GenerateIn) -> JobOut:
        """Text -> motion: ``samples`` motions per text, as a job (poll ``/results/{id}``)."""
        from .work import run_generate

        svc.require_ready()
        secs, s = seconds(req), sampling(req)
        args = (req.texts, secs, req.samples, req.seed, s, req.cleanup, list(dict.fromkeys(req.formats)))
        return job_out(svc.submit("generate", len(req.texts), lambda job: run_generate(svc, job, *args)))

    @api.post("/sequence", status_code=202, response_model=JobOut, tags=["tasks"])
    def sequence(req: SequenceIn) -> JobOut:
        """Texts -> one long motion per sample performing them in order (chained segments), as a job."""
        from .work import run_sequence

        svc.require_ready()
        secs, s = seconds(req), sampling(req)
        args = (req.texts, secs, req.samples, req.seed, s, req.cleanup, list(dict.fromkeys(req.formats)))
        return job_out(svc.submit("sequence", 1, lambda job: run_sequence(svc, job, *args)))

    @api.post("/edit", status_code=202, response_model=JobOut, tags=["tasks"])
    def edit(text: Text,
             file: Annotated[UploadFile | None, File(description="motion to edit (.npy .npz .bvh .skeleton)")] = None,
             source_id: Id = None,
             source_sample: Sample = 0,
             task: Annotated[Literal["inpaint", "outpaint", "prefix", "suffix"] | None, Form()] = None,
             keep: Annotated[str | None, Form(max_length=200, description="seconds to keep, e.g. 0:1.5,3:4")] = None,
             joints: Annotated[str | None, Form(max_length=300, description="kept body parts, e.g. lower")] = None,
             trajectory: Annotated[UploadFile | None, File(description="pelvis path .npy (T,2)/(T,3) m")] = None,
             seed: Annotated[int, Form(ge=0, le=L.MAX_SEED)] = 0,
             decode_steps: Annotated[int | None, Form(ge=1, le=L.MAX_STEPS)] = None,
             cfg_scale: Annotated[float | None, Form(ge=0, le=L.MAX_CFG, allow_inf_nan=False)] = None,
             steps: Annotated[int | None, Form(ge=1, le=L.MAX_STEPS, deprecated=True,
                                               description="former name of decode_steps")] = None,
             cfg: Annotated[float | None, Form(ge=0, le=L.MAX_CFG, allow_inf_nan=False, deprecated=True,
                                               description="former name of cfg_scale")] = None,
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
        src, name = motion_from(svc, file, source_id, source_sample, "file")
        b = svc.bundle
        if len(src) > b.max_tokens * b.unit_length:
            raise ApiError(422, f"file {name!r}: {len(src) / b.fps:.1f} s is longer than the "
                                f"{b.max_tokens * b.unit_length / b.fps:.1f} s the editor handles; cut it first")
        if keep is not None:
            parse_keep(keep, len(src) / b.fps)
        if joints is not None:
            parse_joints(joints, SMPL22)
        path = read_trajectory(trajectory, svc.store.uploads, svc.limits.max_upload_bytes) if trajectory else None
        s = sampling(SamplingIn(decode_steps=decode_steps, cfg_scale=cfg_scale, steps=steps, cfg=cfg, sampler=sampler,
                                ode_steps=ode_steps, guidance=guidance))
        job = svc.submit("edit", 1, lambda job: run_edit(svc, job, src, text, task, keep, joints, path, seed, s,
                                                         cleanup, exact, fmts), info={"source": name})
        return job_out(job)

    @api.get("/results/{rid}", response_model=JobOut, tags=["results"])
    def result(rid: str) -> JobOut:
        """A job's status, progress (``done``/``total`` steps), its one-line error, and its files when done."""
        return job_out(svc.job(rid))

    @api.get("/results/{rid}/{name}", tags=["results"], response_class=FileResponse)
    def result_file(rid: str, name: str):
        """One file of a finished result: ``sample_NN`` / ``edited`` .npy .bvh .gif .mp4, ``viewer.html``,
        ``samples.npz``, ``report.json``."""
        job = svc.job(rid)
        path = svc.store.file(rid, name) if job.status == "done" else None
        if path is None:
            raise ApiError(404, f"result {rid} has no file {name[:80]!r}")
        try:                    # an open file survives the size/age cap deleting its folder meanwhile
            f = open(path, "rb")  # noqa: SIM115 - closed by the generator below
        except OSError:
            raise ApiError(404, f"result {rid} has no file {name[:80]!r} (deleted by the size/age limit)") from None
        headers = {"content-length": str(os.fstat(f.fileno()).st_size)}
        ext = path.suffix[1:]
        if ext not in ("html", "gif", "mp4", "json"):
            headers["content-disposition"] = f'attachment; filename="{name}"'

        def chunks():
            with f:
                while data := f.read(1 << 16):
                    yield data
        return StreamingResponse(chunks(), media_type=MEDIA_TYPES[ext], headers=headers)

    return api
