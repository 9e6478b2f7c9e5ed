"""``coamd export``: motion files or generated samples -> BVH files (Tasks §5).

Joint rotations come from inverse kinematics on SMPL-22 (`coamd.io.ik`); the file follows
Blender's BVH conventions (`coamd.io.bvh_write`). Every written file is read back and its
round-trip MPJPE printed. All inputs are loaded and checked before anything is written, and each
file is written atomically, so a bad input leaves no partial output behind.
"""

from __future__ import annotations

import argparse
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CoamdError, MotionFormatError
from . import new_parser
from .args import number


@dataclass
class _Job:
    name: str  # output file name
    source: str  # where the motion came from (path, or path[index] for samples)
    joints: np.ndarray  # (T, 22, 3) float32, canonical metres
    fps: float
    text: str = ""


def register(sub) -> None:
    p = new_parser(
        sub, "export", "export motions to BVH (joint rotations by inverse kinematics on SMPL-22)",
        ["coamd export walk.npy -o walk.bvh",
         "coamd export out/samples.npz -o out/bvh --units cm --order ZYX --fps 30"],
    )
    p.add_argument("motions", nargs="+", metavar="MOTION",
                   help="motion files (canonical (T, 22, 3) .npy, or any format 'coamd.io.load_motion' "
                        "reads) or a samples.npz with 'motions', 'lengths' and 'texts'")
    p.add_argument("-o", "--out", required=True, metavar="OUT",
                   help="output .bvh file (one motion) or folder (several motions / samples.npz)")
    p.add_argument("--order", default="ZXY", metavar="ORDER",
                   help="rotation channel order, a permutation of XYZ (default: ZXY)")
    p.add_argument("--units", choices=["m", "cm"], default="m", help="length units in the file (default: m)")
    p.add_argument("--fps", type=number(1, 1000), default=None, metavar="F",
                   help="frame rate of the written file; the motion is resampled (default: its own, 20)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..io.bvh_write import round_trip_error, save_bvh

    order = str(args.order).upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise CoamdError(f"--order: expected a permutation of XYZ such as ZXY or ZYX, got {args.order!r}")
    if args.fps is not None and not (np.isfinite(args.fps) and args.fps > 0):
        raise CoamdError(f"--fps: expected a positive number, got {args.fps}")

    jobs = [job for path in args.motions for job in _load(Path(path))]
    out = Path(args.out)
    single_file = out.suffix.lower() == ".bvh"
    if single_file and len(jobs) > 1:
        raise CoamdError(f"-o {out}: one .bvh file, but there are {len(jobs)} motions to export; give a folder")
    if not single_file and out.exists() and not out.is_dir():
        raise CoamdError(f"-o {out}: exists and is not a folder")
    names = [job.name for job in jobs]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise CoamdError(f"two inputs would both be written to {clash[0]}; export them to separate folders")

    rows = []
    for job in tqdm(jobs, desc="export", unit="motion", disable=len(jobs) < 2):
        joints, fps = job.joints, job.fps
        if args.fps is not None and abs(args.fps - fps) > 1e-9:
            from ..skeleton import resample

            joints, fps = resample(joints, fps, args.fps), float(args.fps)
        target = out if single_file else out / job.name
        save_bvh(target, joints, fps, order=order, units=args.units)
        err = round_trip_error(target, joints, units=args.units)
        tqdm.write(f"{target}: {len(joints)} frames at {fps:g} fps, {order} {args.units}; "
                   f"round-trip MPJPE {err * 1000:.3f} mm")
        rows.append([target.name, job.source, len(joints), f"{fps:g}", f"{err * 1000:.4f}", job.text])

    if not single_file:
        from ..atomic import atomic_open

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["file", "source", "frames", "fps", "roundtrip_mpjpe_mm", "text"])
        writer.writerows(rows)
        with atomic_open(out / "index.csv", "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
        print(f"{out / 'index.csv'}: {len(rows)} file(s) listed")
    return 0


# ---------------------------------------------------------------------------------- inputs
def _load(path: Path) -> list[_Job]:
    """The motions in one input file, validated (raises MotionFormatError naming the file)."""
    from ..skeleton import validate_motion

    if not path.is_file():
        raise MotionFormatError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    if path.suffix.lower() == ".npz":
        return _load_samples(path)
    try:
        from ..io import load_motions  # the full importer (BVH, AMC, NTU skeleton, npy) when present
    except ImportError:
        load_motions = None
    if load_motions is not None:
        # keep the motion where it is (canonical=False): export what the user gave, not a re-placed copy
        motions = load_motions(path, canonical=False)
        names = [f"{path.stem}.bvh"] if len(motions) == 1 else [f"{path.stem}_{i:03d}.bvh" for i in range(len(motions))]
        return [_Job(name, str(path), m.joints, float(m.fps), str(m.meta.get("text", "")))
                for name, m in zip(names, motions)]
    if path.suffix.lower() != ".npy":
        raise MotionFormatError(f"{path}: unsupported motion file (expected .npy joints or a samples .npz)")
    try:
        raw = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise MotionFormatError(f"{path}: not a readable .npy file ({e})") from None
    try:
        joints = validate_motion(raw, what=str(path))
    except ValueError as e:
        raise MotionFormatError(str(e)) from None
    return [_Job(f"{path.stem}.bvh", str(path), joints, 20.0)]


def _load_samples(path: Path) -> list[_Job]:
    """samples.npz: motions (N, T, 22, 3) or (N, T, 66), optional lengths (N,) and texts (N,)."""
    from ..skeleton import CANONICAL_FPS, validate_motion

    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise MotionFormatError(f"{path}: not a readable .npz file ({e})") from None
    key = next((k for k in ("motions", "motion") if k in data), None)
    if key is None:
        raise MotionFormatError(f"{path}: no 'motions' array (keys: {sorted(data)})")
    motions = data[key]
    if motions.ndim not in (3, 4):
        raise MotionFormatError(f"{path}: '{key}' should be (N, T, 22, 3) or (N, T, 66), got {motions.shape}")
    n, t_max = motions.shape[:2]
    lengths = next((data[k] for k in ("lengths", "length") if k in data), np.full(n, t_max))
    texts = next((data[k] for k in ("texts", "text") if k in data), np.full(n, ""))
    if len(lengths) != n or len(texts) != n:
        raise MotionFormatError(f"{path}: {n} motions but {len(lengths)} lengths and {len(texts)} texts")
    jobs = []
    for i in range(n):
        length = int(lengths[i])
        if not 1 <= length <= t_max:
            raise MotionFormatError(f"{path}: length {length} of sample {i} is outside 1..{t_max}")
        try:
            joints = validate_motion(motions[i, :length], what=f"{path}[{i}]")
        except ValueError as e:
            raise MotionFormatError(str(e)) from None
        jobs.append(_Job(f"{path.stem}_{i:03d}.bvh", f"{path}[{i}]", joints, CANONICAL_FPS, str(texts[i])))
    return jobs
