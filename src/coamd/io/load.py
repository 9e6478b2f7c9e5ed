"""`load_motion` / `load_motions`: any supported motion file -> canonical SMPL-22 at 20 fps.

Dispatch is on the file extension: ``.npy``/``.npz`` joint arrays (HumanML3D ``new_joints``
layout, or a ``samples.npz`` batch), ``.bvh``, ``.amc`` (+ ``.asf``), NTU RGB+D ``.skeleton``.
Whatever the source, the result follows the canonical convention of paper-brief §2.1
(`coamd.skeleton.canonical`) and ``meta`` records where it came from.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import numpy as np

from ..errors import MotionFormatError
from ..skeleton import CANONICAL_FPS, SMPL22, canonicalize, resample, validate_motion
from .asf_amc import read_asf_amc
from .bvh import read_bvh
from .motion import LoadedMotion
from .ntu import NTU_FPS, main_actor, ntu_to_smpl, read_ntu_bodies
from .retarget import rig_to_smpl, unit_scale
from .rig_names import guess_rig_style
from .rigs import check_mapping, load_mapping_file
from .samples import is_samples, read_samples

# per-format size limits: far above any real clip, far below what would exhaust memory
MAX_FILE_BYTES = {".npy": 2**31, ".npz": 2**31, ".bvh": 2**29, ".amc": 2**29, ".skeleton": 2**29}
MIN_FPS, MAX_FPS = 0.1, 10_000.0  # frame rates a motion file may state
MIN_FRAMES = 2  # one pose is not a motion: velocities, recognition and export all need two
SUPPORTED_EXTENSIONS = (".npy", ".npz", ".bvh", ".amc", ".skeleton")
_ARRAY_KEYS = ("joints", "motion", "motions", "positions")


def regular_file(path: str | Path, what: str = "") -> os.stat_result:
    """``stat`` of a regular file, or a one-line MotionFormatError: missing, a folder, a symlink loop,
    or a pipe/device/socket (reading those would hang or never end). ``what`` prefixes the name."""
    where = f"{what} {path}".strip()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MotionFormatError(f"{where}: file not found") from None
    except OSError as e:  # a symlink loop, no permission, ...
        raise MotionFormatError(f"{where}: cannot open it ({e.strerror or type(e).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise MotionFormatError(f"{where}: is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise MotionFormatError(f"{where}: is not a regular file (a pipe, device or socket is not read)")
    return st


def load_motion(
    path: str | Path,
    *,
    mapping: str | Path | dict | None = None,
    units: str | None = None,
    fps: float = CANONICAL_FPS,
    canonical: bool = True,
    source_fps: float | None = None,
    asf: str | Path | None = None,
) -> LoadedMotion:
    """Load one motion file as SMPL-22 joints (T, 22, 3) float32, metres, Y up, at ``fps``.

    Args:
        mapping: BVH/ASF only: a YAML/JSON file (or dict) ``{smpl_joint: rig_joint}``
            overriding the name-based rig mapping.
        units: length unit of the file ('m', 'cm', 'mm', 'inch'); default: metres for
            arrays and NTU, detected from the body's size for BVH, inches for ASF/AMC (for
            ASF/AMC the unit of the lengths after dividing by the ASF ``:units length``).
        fps: output frame rate (20 = canonical).
        canonical: floor at y=0, first-frame pelvis at the XZ origin, facing +Z. With False the
            motion keeps its world placement (still metres, Y up, SMPL-22).
        source_fps: frame rate of the file when it does not say (arrays: 20, AMC: 120 or the
            ``_NNN`` name suffix, NTU: 30); BVH files state theirs.
        asf: AMC only: the skeleton file, when it is not beside the AMC.
    A batch file (``samples.npz``) yields its first motion; `load_motions` returns all.
    """
    return load_motions(path, mapping=mapping, units=units, fps=fps, canonical=canonical,
                        source_fps=source_fps, asf=asf, first_only=True)[0]


def load_motions(
    path: str | Path,
    *,
    mapping: str | Path | dict | None = None,
    units: str | None = None,
    fps: float = CANONICAL_FPS,
    canonical: bool = True,
    source_fps: float | None = None,
    asf: str | Path | None = None,
    first_only: bool = False,
) -> list[LoadedMotion]:
    """Every motion in a file (one for all formats but batched ``.npy``/``.npz``); see `load_motion`."""
    path = Path(path)
    st = regular_file(path)
    limit = MAX_FILE_BYTES.get(path.suffix.lower())
    if limit is not None and st.st_size > limit:
        raise MotionFormatError(f"{path}: {st.st_size / 2**20:.0f} MiB is over the {limit / 2**20:.0f} MiB limit "
                                f"for {path.suffix.lower()} motion files")
    if fps <= 0 or (source_fps is not None and source_fps <= 0):
        raise MotionFormatError(f"{path}: frame rates must be positive (fps={fps}, source_fps={source_fps})")
    ext = path.suffix.lower()
    try:
        if ext in (".npy", ".npz"):
            return _load_arrays(path, units, fps, canonical, source_fps, first_only)
        if ext == ".skeleton":
            return [_load_ntu(path, units, fps, canonical, source_fps)]
        if ext in (".bvh", ".amc"):
            return [_load_rig(path, ext, mapping, units, fps, canonical, source_fps, asf)]
    except (UnicodeDecodeError, OSError) as e:
        raise MotionFormatError(f"{path}: cannot read the file ({type(e).__name__}: {e})") from None
    hint = " (load the .amc motion; its .asf is found beside it)" if ext == ".asf" else ""
    raise MotionFormatError(f"{path}: unsupported file type {ext or '(none)'!r}{hint}; "
                            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}")


def _finish(joints: np.ndarray, where: str, src_fps: float, fps: float, canonical: bool) -> np.ndarray:
    """Validate (T, 22, 3), resample positions to ``fps`` and canonicalise."""
    try:
        x = validate_motion(joints, SMPL22, where)
    except ValueError as e:
        raise MotionFormatError(str(e)) from None
    if abs(src_fps - fps) > 1e-9:
        x = resample(x, src_fps, fps)
    if x.shape[0] < MIN_FRAMES:
        raise MotionFormatError(f"{where}: {x.shape[0]} frame(s) at {fps:g} fps ({joints.shape[0]} in the file at "
                                f"{src_fps:g} fps); a motion needs at least {MIN_FRAMES}")
    return canonicalize(x, SMPL22) if canonical else x.astype(np.float32)


def _load_samples(path: Path, units: str | None, fps: float, canonical: bool, source_fps: float | None,
                  first_only: bool) -> list[LoadedMotion]:
    """The motions of a ``samples.npz`` (read by `coamd.io.samples.read_samples`, the format's one reader)."""
    samples = read_samples(path)
    if samples.skeleton != SMPL22.name:
        raise MotionFormatError(f"{path}: holds {samples.skeleton!r} motion; only {SMPL22.name} joints load here")
    scale, unit = 1.0, "m"
    if units is not None:
        unit, scale = unit_scale(units, f"{path}: units")
    src_fps = source_fps or samples.fps
    out = []
    for i, (x, text) in enumerate(zip(samples.motions, samples.texts)):
        if first_only and i:
            break
        joints = _finish(np.asarray(x, dtype=np.float64) * scale, f"{path} [motion {i}]", src_fps, fps, canonical)
        meta = {"path": str(path), "format": "npz", "rig": SMPL22.name, "units": unit, "source_fps": src_fps,
                "source_frames": int(x.shape[0]), "index": i, "text": text}
        out.append(LoadedMotion(joints, float(fps), meta))
    return out


def _load_arrays(path: Path, units: str | None, fps: float, canonical: bool, source_fps: float | None,
                 first_only: bool) -> list[LoadedMotion]:
    if path.suffix.lower() == ".npz" and is_samples(path):
        return _load_samples(path, units, fps, canonical, source_fps, first_only)
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise MotionFormatError(f"{path}: not a plain numeric array file ({e})") from None
    except Exception as e:  # noqa: BLE001 - zip/header errors of a damaged file
        raise MotionFormatError(f"{path}: cannot read ({type(e).__name__}: {e})") from None
    lengths = texts = None
    file_fps = None
    fmt = "npy"
    if isinstance(data, np.lib.npyio.NpzFile):
        fmt = "npz"
        with data:
            keys = list(data.files)
            if not keys:
                raise MotionFormatError(f"{path}: the .npz holds no arrays")
            key = next((k for k in _ARRAY_KEYS if k in keys), keys[0])
            array = data[key]
            if "skeleton" in keys:
                skeleton = str(data["skeleton"])
                if skeleton != SMPL22.name:
                    raise MotionFormatError(f"{path}: holds {skeleton!r} motion; only {SMPL22.name} joints load here")
            for k in ("length", "lengths"):
                if k in keys:
                    lengths = np.asarray(data[k]).reshape(-1)
                    if lengths.dtype.kind not in "iuf" or not np.isfinite(lengths).all() \
                            or (lengths < 2).any() or (lengths != np.round(lengths)).any():
                        raise MotionFormatError(f"{path}: '{k}' must hold whole frame counts >= 2, "
                                                f"got {lengths[:8].tolist()}")
            for k in ("text", "texts"):
                if k in keys:
                    texts = [str(t) for t in np.asarray(data[k]).reshape(-1)]
            if "fps" in keys:
                try:
                    file_fps = float(np.asarray(data["fps"]).reshape(-1)[0])
                except (TypeError, ValueError, IndexError):
                    raise MotionFormatError(f"{path}: 'fps' is not a number") from None
                if not (math.isfinite(file_fps) and MIN_FPS <= file_fps <= MAX_FPS):
                    raise MotionFormatError(f"{path}: 'fps' {file_fps:g} is outside {MIN_FPS:g}-{MAX_FPS:g}")
    else:
        array = data
    if array.dtype.kind not in "fiu":
        raise MotionFormatError(f"{path}: expected numbers, got an array of dtype {array.dtype}")
    J = SMPL22.num_joints
    batched = array.ndim == 4 or (array.ndim == 3 and array.shape[1:] != (J, 3) and array.shape[-1] == 3 * J)
    items = list(array) if batched else [array]
    if not items:
        raise MotionFormatError(f"{path}: the batch is empty")
    if first_only:
        items = items[:1]
    scale, unit = 1.0, "m"
    if units is not None:
        unit, scale = unit_scale(units, f"{path}: units")
    src_fps = source_fps or file_fps or CANONICAL_FPS
    out = []
    for i, x in enumerate(items):
        where = f"{path}" + (f" [motion {i}]" if batched else "")
        x = np.asarray(x)
        if lengths is not None and batched and i < len(lengths):
            x = x[: int(lengths[i])]
        joints = _finish(np.asarray(x, dtype=np.float64) * scale, where, src_fps, fps, canonical)
        meta = {"path": str(path), "format": fmt, "rig": SMPL22.name, "units": unit, "source_fps": src_fps,
                "source_frames": int(x.shape[0])}
        if batched:
            meta["index"] = i
        if texts is not None and i < len(texts):
            meta["text"] = texts[i]
        out.append(LoadedMotion(joints, float(fps), meta))
    return out


def _load_ntu(path: Path, units: str | None, fps: float, canonical: bool, source_fps: float | None) -> LoadedMotion:
    bodies = read_ntu_bodies(path)
    body, track = main_actor(bodies)  # (T, 25, 3)
    scale, unit = 1.0, "m"
    if units is not None:
        unit, scale = unit_scale(units, f"{path}: units")
    src_fps = source_fps or NTU_FPS
    joints = _finish(ntu_to_smpl(track) * scale, str(path), src_fps, fps, canonical)
    meta = {"path": str(path), "format": "ntu-skeleton", "rig": "ntu25", "units": unit, "source_fps": src_fps,
            "source_frames": int(track.shape[0]), "body": body, "num_bodies": len(bodies)}
    return LoadedMotion(joints, float(fps), meta)


def _load_rig(path: Path, ext: str, mapping, units: str | None, fps: float, canonical: bool,
              source_fps: float | None, asf: str | Path | None) -> LoadedMotion:
    if isinstance(mapping, (str, Path)):
        mapping = load_mapping_file(mapping)
    elif isinstance(mapping, dict):
        mapping = check_mapping(mapping, "mapping")
    if ext == ".bvh":
        rig = read_bvh(path)
        if source_fps:
            rig.fps = float(source_fps)
        fmt, default_units, detect_up = "bvh", None, True
    else:
        rig = read_asf_amc(path, asf=asf, fps=source_fps)
        fmt, default_units, detect_up = "asf-amc", "inch", False  # Acclaim files are Y-up
    joints, meta = rig_to_smpl(rig, where=str(path), mapping=mapping, units=units, default_units=default_units,
                               detect_up=detect_up, fps=fps, canonical=canonical)
    meta = {"path": str(path), "format": fmt, "rig": guess_rig_style(rig.names), **meta}
    return LoadedMotion(joints, float(fps), meta)
