"""JSON request and response models of the API (FastAPI turns them into ``/openapi.json``).

Every number has its range and every list its length here, so a request outside them is refused
(422, one line) before any model runs. Unknown fields are refused too (``extra="forbid"``).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from . import limits as L


def printable(text: str) -> str:
    """Refuse control characters and lone surrogates (they break files, captions and JSON): one line says so."""
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\t\n\r"), None)
    if bad is not None:
        raise ValueError(f"contains the unprintable character U+{ord(bad):04X}")
    return " ".join(text.split())


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=L.MAX_TEXT_CHARS),
                 AfterValidator(printable)]
Seconds = Annotated[float, Field(ge=L.MIN_SECONDS, le=L.MAX_SECONDS, allow_inf_nan=False)]
Length = Seconds | Literal["auto"]
Format = Literal["npy", "bvh", "gif", "mp4", "html"]
Sampler = Literal["euler", "heun", "dopri5"]


class Strict(BaseModel):
    """No unknown fields, no NaN/infinity, no type coercion (``false`` is not 0, ``"3"`` is not 3)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class SamplingIn(Strict):
    """Decoding settings; unset ones take the model bundle's recommended values."""

    decode_steps: Annotated[int, Field(ge=1, le=L.MAX_STEPS)] | None = Field(
        None, description="coarse-to-fine decoding steps (transformer passes)")
    cfg_scale: Annotated[float, Field(ge=0, le=L.MAX_CFG)] | None = Field(
        None, description="classifier-free guidance scale, 1 = off")
    steps: Annotated[int, Field(ge=1, le=L.MAX_STEPS)] | None = Field(
        None, deprecated=True, description="former name of decode_steps (still accepted)")
    cfg: Annotated[float, Field(ge=0, le=L.MAX_CFG)] | None = Field(
        None, deprecated=True, description="former name of cfg_scale (still accepted)")
    sampler: Sampler | None = None
    ode_steps: Annotated[int, Field(ge=1, le=L.MAX_ODE_STEPS)] | None = None
    guidance: Annotated[float, Field(ge=0, le=L.MAX_GUIDANCE)] | None = None


class GenerateIn(SamplingIn):
    texts: Annotated[list[Text], Field(min_length=1, max_length=L.MAX_TEXTS)] = Field(
        examples=[["a person walks forward and waves"]])
    lengths: Length | Annotated[list[Length], Field(min_length=1, max_length=L.MAX_TEXTS)] = Field(
        "auto", description="seconds (one value, or one per text) or 'auto' (the length estimator)")
    samples: Annotated[int, Field(ge=1, le=L.MAX_SAMPLES)] = 1
    seed: Annotated[int, Field(ge=0, le=L.MAX_SEED)] = 0
    cleanup: bool = Field(True, description="fit constant bones, planted feet, no floor penetration (false: raw)")
    formats: Annotated[list[Format], Field(min_length=1, max_length=5)] = ["npy", "bvh", "html"]


class SequenceIn(GenerateIn):
    texts: Annotated[list[Text], Field(min_length=1, max_length=L.MAX_TEXTS)] = Field(
        examples=[["walk forward", "sit down on a chair", "stand up"]], description="one segment per text, in order")


class Progress(BaseModel):
    done: int
    total: int


class JobOut(BaseModel):
    id: str
    kind: Literal["generate", "sequence", "edit"]
    status: Literal["queued", "running", "done", "failed"]
    progress: Progress
    error: str | None = None
    files: list[str] = []
    urls: dict[str, str] = {}
    info: dict = {}


class MotionOut(BaseModel):
    name: str
    frames: int
    seconds: float
    fps: float


class Prediction(BaseModel):
    label: str
    score: float
    prob: float


class Recognized(BaseModel):
    file: str
    frames: int
    predictions: list[Prediction]


class RecognizeOut(BaseModel):
    labels: list[str]
    results: list[Recognized]


class Hit(BaseModel):
    rank: int
    score: float
    text: str | None = None
    name: str | None = None
    caption: str | None = None
    frames: int | None = None


class RetrieveOut(BaseModel):
    mode: Literal["text-to-motion", "motion-to-text"]
    query: str
    gallery: str
    results: list[Hit]


class ErrorOut(BaseModel):
    error: str = Field(description="what was wrong, on one line")


class HealthOut(BaseModel):
    status: Literal["ok", "loading", "failed"]
    ready: bool
    error: str | None = None
    queued: int
    running: int
    queue_size: int


class InfoOut(BaseModel):
    version: str
    bundle: str | None
    device: str
    labels: list[str]
    body_parts: list[str]
    tasks: list[str]
    samplers: list[str]
    defaults: dict
    corpus: int = Field(description="motions in the server's corpus gallery (0: none)")
    limits: dict
