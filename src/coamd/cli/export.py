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

from ..errors import CoamdError
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
    """The motions in one input file, validated (raises MotionFormatError naming the file).

    Every format goes through the importer (`coamd.io.load_motions`: npy, samples.npz, BVH, AMC,
    NTU), with canonical=False: export what the user gave, not a re-placed copy.
    """
    from ..io import load_motions

    motions = load_motions(path, canonical=False)
    batch = path.suffix.lower() == ".npz" or len(motions) > 1
    names = [f"{path.stem}_{i:03d}.bvh" for i in range(len(motions))] if batch else [f"{path.stem}.bvh"]
    sources = [f"{path}[{i}]" for i in range(len(motions))] if batch else [str(path)]
    return [_Job(name, src, m.joints, float(m.fps), str(m.meta.get("text", "")))
            for name, src, m in zip(names, sources, motions)]
