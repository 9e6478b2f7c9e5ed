"""``coamd convert``: motion files (BVH, ASF/AMC, NTU .skeleton, .npy/.npz) -> canonical SMPL-22 .npy.

Each input becomes one (T, 22, 3) float32 array in metres at 20 fps, Y up, floor at 0, facing
+Z (the HumanML3D ``new_joints`` convention the models read, paper-brief §2.1). Outputs are
written atomically; a file that fails is reported on one line and the rest still convert.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from . import new_parser
from .args import number


def register(sub) -> None:
    p = new_parser(sub, "convert", "convert motion files to canonical SMPL-22 joint arrays (.npy)",
                   ["coamd convert walk.bvh -o walk.npy",
                    "coamd convert mocap/ -o converted/ --units cm",
                    "coamd convert HDM_bd_kick_001_120.amc --asf HDM_bd.asf -o kick.npy"])
    p.add_argument("inputs", nargs="+", metavar="IN",
                   help="motion files or folders (searched recursively for .bvh .amc .skeleton .npy .npz)")
    p.add_argument("-o", "--out", required=True,
                   help="output .npy file (one input file) or folder (several inputs, or a folder input)")
    p.add_argument("--mapping", help="YAML/JSON file {smpl_joint: rig_joint} for BVH/ASF rigs the names "
                                     "do not identify")
    p.add_argument("--units", choices=["m", "cm", "mm", "inch"],
                   help="length unit of the files (default: detected for BVH, inches for ASF, metres otherwise)")
    p.add_argument("--source-fps", type=number(0.1, 10_000), help="frame rate of files that do not state one "
                                                    "(default: .npy 20, AMC 120, NTU 30)")
    p.add_argument("--asf", help="ASF skeleton for AMC inputs (default: the .asf beside each .amc)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.set_defaults(func=run)


def collect_inputs(names: list[str]) -> list[tuple[Path, Path]]:
    """(file, path relative to its input root) for every motion file named or found under a folder."""
    from ..errors import CoamdError
    from ..io import SUPPORTED_EXTENSIONS
    from ..io.load import regular_file

    found: list[tuple[Path, Path]] = []
    for name in names:
        path = Path(name)
        if not path.exists():
            raise CoamdError(f"{path}: no such file or folder")
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not files:
                raise CoamdError(f"{path}: no motion files ({' '.join(SUPPORTED_EXTENSIONS)}) in this folder")
            found.extend((f, f.relative_to(path)) for f in files)
        else:
            regular_file(path)  # a pipe or a device named on the command line: one line, not a hang
            found.append((path, Path(path.name)))
    return found


def plan_outputs(inputs: list[tuple[Path, Path]], out: Path, single_file: bool) -> list[Path]:
    """Output path per input: ``out`` itself in single-file mode, else out/<relative path>.npy;
    names that would collide (walk.bvh and walk.amc) keep their source extension (walk_bvh.npy),
    and the same file name from two input folders gets a number (walk_2.npy)."""
    if single_file:
        return [out]
    plain = [out / rel.with_suffix(".npy") for _, rel in inputs]
    groups: dict[Path, list[int]] = {}
    for i, p in enumerate(plain):
        groups.setdefault(p, []).append(i)
    named = list(plain)
    for p, members in groups.items():
        if len(members) == 1:
            continue
        exts = [inputs[i][1].suffix.lstrip(".").lower() for i in members]
        for k, i in enumerate(members):
            base = p if len(set(exts)) == 1 else p.with_name(f"{p.stem}_{exts[k]}.npy")
            n = exts[:k].count(exts[k]) + 1  # the same name and type under two input folders
            named[i] = base if n == 1 else base.with_name(f"{base.stem}_{n}.npy")
    return named


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..atomic import save_npy
    from ..errors import CoamdError
    from ..io import load_motions
    from ..io.rigs import load_mapping_file

    inputs = collect_inputs(args.inputs)
    out = Path(args.out)
    single_file = (len(inputs) == 1 and Path(args.inputs[0]).is_file() and not out.is_dir()
                   and out.suffix.lower() == ".npy")
    if len(inputs) > 1 and out.exists() and not out.is_dir():
        raise CoamdError(f"{out}: is a file; with several inputs -o must be a folder")
    if not single_file and out.suffix.lower() == ".npy" and not out.is_dir():
        raise CoamdError(f"{out}: several motions need an output folder, not a .npy file")
    if single_file and out.exists() and out.is_dir():
        raise CoamdError(f"{out}: is a folder")
    mapping = load_mapping_file(args.mapping) if args.mapping else None
    if args.source_fps is not None and args.source_fps <= 0:
        raise CoamdError(f"--source-fps: must be positive, got {args.source_fps}")
    targets = plan_outputs(inputs, out, single_file)
    input_set = {p.resolve() for p, _ in inputs}

    errors: list[tuple[str, str]] = []  # (kind of problem, one line naming the file)
    written, same, frames, seconds = 0, 0, 0, 0.0
    bar = tqdm(list(zip(inputs, targets)), desc="convert", unit="file", disable=len(inputs) < 2, file=sys.stderr)
    for (src, _), target in bar:
        try:
            motions = load_motions(src, mapping=mapping, units=args.units, source_fps=args.source_fps, asf=args.asf)
            names = [target] if len(motions) == 1 else [
                target.with_name(f"{target.stem}_{i:03d}.npy") for i in range(len(motions))]
            todo = []
            for name, motion in zip(names, motions):
                if name.resolve() in input_set:
                    raise CoamdError(f"{name}: would overwrite an input file; choose another -o")
                if name.exists() and not args.overwrite:
                    if _same_file(name, motion.joints):
                        same += 1  # a re-run over a partly converted folder: already done
                        continue
                    raise CoamdError(f"{name}: exists with other content (pass --overwrite to replace it)")
                todo.append((name, motion))
            for name, motion in todo:
                save_npy(name, motion.joints)
                written += 1
                frames += motion.num_frames
                seconds += motion.seconds
        except KeyboardInterrupt:
            raise
        except Exception as e:  # one bad file, of any kind, must not stop the batch
            if getattr(args, "debug", False):
                raise
            errors.append((type(e).__name__, _one_line(e, src)))
    bar.close()

    if errors and len(inputs) == 1:
        raise CoamdError(errors[0][1])
    where = out if single_file else f"{out}/"
    kept = f", {same} already there and identical" if same else ""
    print(f"converted {len(inputs) - len(errors)} of {len(inputs)} file(s) -> {written} motion(s) written{kept}, "
          f"{frames} frames, {seconds:.1f} s at 20 fps -> {where}")
    if errors:
        kinds = Counter(k for k, _ in errors)
        summary = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
        print(f"coamd convert: {len(errors)} file(s) failed ({summary}):", file=sys.stderr)
        for _, line in errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def _same_file(path: Path, joints) -> bool:
    """Whether ``path`` already holds exactly ``joints`` (an unreadable file is not the same)."""
    import numpy as np

    try:
        old = np.load(path, allow_pickle=False)
    except Exception:  # noqa: BLE001 - any unreadable file simply differs
        return False
    return old.shape == joints.shape and old.dtype == joints.dtype and np.array_equal(old, joints)


def _one_line(e: BaseException, src: Path) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        text = f"{e.filename}: {e.strerror}"
    return text if str(src) in text else f"{src}: {text}"
