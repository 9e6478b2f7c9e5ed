"""Multipart form fields shared by the edit / recognize / retrieve / inspect routes, and their checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, UploadFile

from . import limits as L
from .errors import ApiError
from .schemas import printable
from .storage import ID_RE

# form-field types (module level: FastAPI resolves the annotations here)
Id = Annotated[str | None, Form(pattern=ID_RE.pattern, description="id of an earlier result")]
Text = Annotated[str, Form(min_length=1, max_length=L.MAX_TEXT_CHARS)]
Files = Annotated[list[UploadFile], File(description="motion files (.npy .npz .bvh .skeleton)")]
Sample = Annotated[int, Form(ge=0, le=L.MAX_TEXTS * L.MAX_SAMPLES, description="which motion of source_id")]
TopK = Annotated[int, Form(ge=1, le=L.MAX_TOP_K)]


def motion_from(svc, file: UploadFile | None, source_id: str | None, sample: int, field: str):
    """(joints, name) of an upload or of motion ``sample`` of the result ``source_id`` (exactly one of them)."""
    if (file is None) == (source_id is None):
        raise ApiError(422, f"{field}: give an uploaded motion file or the source_id of an earlier result "
                            f"(one of them)")
    if file is not None:
        return read(svc, file, field)
    motions, _ = svc.result_motions(source_id)
    if sample >= len(motions):
        raise ApiError(422, f"source_sample: result {source_id} has {len(motions)} motion(s) "
                            f"(0-{len(motions) - 1}), got {sample}")
    return motions[sample], f"{source_id}/{sample}"


def read(svc, file: UploadFile, field: str):
    """An uploaded motion: (joints, display name), parsed by load_motion; the file is not kept."""
    from .uploads import read_motion

    return read_motion(file, svc.store.uploads, svc.limits.max_upload_bytes, field)


def clean(text: str, field: str) -> str:
    """The text on one line, or 422 when it holds unprintable characters."""
    try:
        return printable(text)
    except ValueError as e:
        raise ApiError(422, f"{field}: {e}") from None


def text_list(text: str | None, field: str, limit: int) -> list[str] | None:
    """Labels (comma or newline separated, de-duplicated) or texts (one per line); None stays None."""
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
    """``"npy,bvh"`` -> the distinct formats, or 422 naming one that is not served."""
    items = [f.strip().lower() for f in spec.split(",") if f.strip()]
    bad = [f for f in items if f not in ("npy", "bvh", "gif", "mp4", "html")]
    if bad or not items:
        raise ApiError(422, f"formats: {bad[0] if bad else '(empty)'!r} is not one of npy, bvh, gif, mp4, html")
    return list(dict.fromkeys(items))

