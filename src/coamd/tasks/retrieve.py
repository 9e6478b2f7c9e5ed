"""Text-motion retrieval with MAR embeddings (paper-brief §5.3) and the gallery index format.

GALLERY INDEX (``coamd index build``; an ``.npz`` file whatever its extension, written atomically):

    format      "coamd-gallery"            version   1
    embeddings  (N, E) float16 (or float32), L2-normalised MAR fused motion embeddings
    paths       (N,) str  source file of each motion ("file.npz[3]" for entry 3 of a batch file)
    captions    (N,) str  the file's caption when it has one (samples.npz texts), else ""
    frames      (N,) int  length in frames at 20 fps
    model       str       content hash of the MAR weights that made the embeddings
    text_backend str      the text encoder those weights go with

Ranking is cosine similarity: the query (tower-B text embedding, or a motion embedding) times the
gallery matrix, in chunks of 65,536 rows converted to float32 (one matrix product per chunk,
no per-item Python loop), then ``torch.topk``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..atomic import save_npz
from ..errors import CoamdError
from .bundle import Bundle
from .recognize import embed_motions

GALLERY_FORMAT, GALLERY_VERSION = "coamd-gallery", 1
CHUNK = 65536
F32_CACHE = 1 << 26


class GalleryError(CoamdError):
    """A gallery index that cannot be read or does not match the model."""


@dataclass
class Gallery:
    embeddings: torch.Tensor        # (N, E) float16 or float32, rows L2-normalised
    paths: list[str]
    captions: list[str]
    frames: np.ndarray              # (N,) int
    model: str = ""
    text_backend: str = ""
    _f32: torch.Tensor | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.embeddings.shape[0])

    def search(self, queries: torch.Tensor, top_k: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
        """Cosine scores and indices (Q, k) of the best ``top_k`` rows for L2-normalised queries (Q, E).

        A float16 gallery of up to 2^26 values (e.g. 131k x 512, 256 MB as float32) is converted to
        float32 once and kept, so repeated queries skip the conversion.
        """
        matrix = self.embeddings
        if matrix.dtype != torch.float32 and matrix.numel() <= F32_CACHE:
            if self._f32 is None:
                self._f32 = matrix.float()
            matrix = self._f32
        return top_matches(queries, matrix, top_k)

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        save_npz(path, format=np.array(GALLERY_FORMAT), version=np.array(GALLERY_VERSION),
                 embeddings=self.embeddings.cpu().numpy(), paths=np.array(self.paths, dtype=str),
                 captions=np.array(self.captions, dtype=str), frames=np.asarray(self.frames, np.int64),
                 model=np.array(self.model), text_backend=np.array(self.text_backend))
        return path


def top_matches(queries: torch.Tensor, matrix: torch.Tensor, top_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Best ``top_k`` rows of ``matrix`` (N, E) per query (Q, E) by dot product: (scores, indices), each (Q, k)."""
    if top_k < 1:
        raise CoamdError(f"--top-k: must be at least 1, got {top_k}")
    n = matrix.shape[0]
    if n == 0:
        raise GalleryError("the gallery is empty")
    k = min(top_k, n)
    q = queries.to(matrix.device, torch.float32)
    best_s = best_i = None
    for start in range(0, n, CHUNK):
        block = matrix[start:start + CHUNK].float()                          # (n_c, E)
        s, i = (q @ block.T).topk(min(k, block.shape[0]), dim=1)             # (Q, k_c)
        i = i + start
        if best_s is None:
            best_s, best_i = s, i
        else:
            s, pick = torch.cat([best_s, s], 1).topk(k, dim=1)
            best_s, best_i = s, torch.cat([best_i, i], 1).gather(1, pick)
    return best_s, best_i


def gallery_files(inputs: Sequence[str | os.PathLike]) -> list[Path]:
    """Motion files from files and folders (folders are searched recursively for supported extensions)."""
    from ..io import SUPPORTED_EXTENSIONS

    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not found:
                raise GalleryError(f"{p}: no motion files ({', '.join(SUPPORTED_EXTENSIONS)}) in this folder")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise GalleryError(f"{p}: no such file or folder")
    return files


def build_gallery(bundle: Bundle, inputs: Sequence[str | os.PathLike], dtype: torch.dtype = torch.float16,
                  batch_size: int = 64, progress: bool | None = None) -> Gallery:
    """Embed every motion in ``inputs`` (files or folders) once."""
    from ..io import load_motions

    files = gallery_files(inputs)
    motions, paths, captions = [], [], []
    for f in tqdm(files, desc="load motions", unit="file", disable=progress is False or (progress is None and len(files) < 50)):
        items = load_motions(f)
        texts = _npz_texts(f, len(items))
        for i, m in enumerate(items):
            motions.append(m.joints)
            paths.append(str(f) if len(items) == 1 else f"{f}[{i}]")
            captions.append(str(m.meta.get("text") or texts[i]))
    emb = embed_motions(bundle, motions, batch_size=batch_size, progress=progress)
    return Gallery(emb.to(dtype).cpu(), paths, captions, np.array([len(m) for m in motions], np.int64),
                   model=bundle.part_id("mar"), text_backend=bundle.text_backend)


def _npz_texts(path: Path, n: int) -> list[str]:
    """Captions of a ``samples.npz`` batch (its ``texts`` array), else empty strings."""
    if path.suffix.lower() == ".npz":
        with np.load(path, allow_pickle=False) as z:
            if "texts" in z.files and z["texts"].shape == (n,):
                return [str(t) for t in z["texts"]]
    return [""] * n


def load_gallery(path: str | os.PathLike) -> Gallery:
    """Read a gallery index written by :meth:`Gallery.save` (one-line errors for anything else)."""
    path = Path(path)
    if not path.is_file():
        raise GalleryError(f"{path}: no such gallery file")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as e:  # noqa: BLE001 - zip/header errors of a damaged or foreign file
        raise GalleryError(f"{path}: not a gallery index ({type(e).__name__}: {e})") from None
    if str(data.get("format", "")) != GALLERY_FORMAT:
        raise GalleryError(f"{path}: not a coamd gallery index (build one with 'coamd index build')")
    if int(data.get("version", -1)) != GALLERY_VERSION:
        raise GalleryError(f"{path}: gallery version {data.get('version')} is not supported")
    emb = torch.from_numpy(data["embeddings"])
    return Gallery(emb, [str(p) for p in data["paths"]], [str(c) for c in data["captions"]],
                   data["frames"].astype(np.int64), str(data["model"]), str(data["text_backend"]))


def is_gallery_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a gallery index (an npz archive with the gallery format marker)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return isinstance(z, np.lib.npyio.NpzFile) and "format" in z.files and str(z["format"]) == GALLERY_FORMAT
    except Exception:  # noqa: BLE001 - anything unreadable as npz is not a gallery index
        return False


def open_gallery(bundle: Bundle, spec, progress: bool | None = None) -> Gallery:
    """A Gallery from a Gallery, an index file, or motion files/folders (indexed on the fly)."""
    if isinstance(spec, Gallery):
        return spec
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    if len(items) == 1 and Path(items[0]).is_file() and is_gallery_file(items[0]):
        return load_gallery(items[0])
    return build_gallery(bundle, items, progress=progress)


def check_model(gallery: Gallery, bundle: Bundle, where: str = "gallery") -> None:
    """The gallery must come from the same MAR weights as the query side."""
    if gallery.model and gallery.model != bundle.part_id("mar"):
        raise GalleryError(f"{where}: built with another recognizer (model {gallery.model}); rebuild it with "
                           f"'coamd index build' and this checkpoint")
    if gallery.embeddings.shape[1] != bundle.mar.embed_dim:
        raise GalleryError(f"{where}: {gallery.embeddings.shape[1]}-d embeddings, the model makes "
                           f"{bundle.mar.embed_dim}-d ones")


def rank_motions(bundle: Bundle, texts: Sequence[str], gallery: Gallery, top_k: int = 10) -> list[list[dict]]:
    """Per text query, the ``top_k`` gallery motions: [{"rank", "path", "caption", "frames", "score"}]."""
    from .recognize import embed_texts

    check_model(gallery, bundle)
    scores, idx = gallery.search(embed_texts(bundle, texts), top_k)
    return [[{"rank": r + 1, "path": gallery.paths[i], "caption": gallery.captions[i],
              "frames": int(gallery.frames[i]), "score": round(float(s), 6)}
             for r, (s, i) in enumerate(zip(srow, irow))] for srow, irow in zip(scores.tolist(), idx.tolist())]


def rank_texts(bundle: Bundle, motions: Sequence, texts: Sequence[str], top_k: int = 10) -> list[list[dict]]:
    """Per motion, the ``top_k`` texts: [{"rank", "text", "score"}]."""
    from .recognize import embed_texts

    if not texts:
        raise CoamdError("no texts to rank")
    t = F.normalize(embed_texts(bundle, texts), dim=-1)
    scores, idx = top_matches(embed_motions(bundle, motions), t, top_k)
    return [[{"rank": r + 1, "text": texts[i], "score": round(float(s), 6)}
             for r, (s, i) in enumerate(zip(srow, irow))] for srow, irow in zip(scores.tolist(), idx.tolist())]
