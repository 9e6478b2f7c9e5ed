"""Acclaim ASF/AMC reader (CMU mocap, HDM05) -> `RigMotion`.

ASF gives the skeleton: per bone a rest ``direction`` (world axes), a ``length``, an ``axis``
(the bone's local frame, Euler angles in the given order) and its ``dof`` list; AMC gives one
line per bone per frame. Forward kinematics follows the CMU convention (HDM05 SOURCE.md):
C = Euler(axis), local rotation L = C · R_dof · C⁻¹, bone end = bone start + R_global ·
(direction · length). Rotations are applied in the order written (``axis ... XYZ`` and
``dof rx ry rz`` both mean x first, i.e. R = Rz · Ry · Rx).

In the returned `RigMotion` each bone becomes a joint at the bone's *start* (its pivot), so
``lfemur`` is the hip, ``ltibia`` the knee, ``lfoot`` the ankle and ``ltoes`` the toe base, like
BVH joint names; leaf bones get an end site. Lengths stay in ASF units divided by the ASF
``:units length`` value (inches for CMU/HDM05: (1/0.45) · 2.54 / 100 m per raw unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MotionFormatError
from ..skeleton.rotations import axis_rotation
from .rigmotion import RigMotion

DEFAULT_AMC_FPS = 120.0  # CMU and HDM05 capture rate; HDM05 file names end in _120


@dataclass
class _Bone:
    name: str
    direction: np.ndarray = field(default_factory=lambda: np.zeros(3))
    length: float = 0.0
    axis: np.ndarray = field(default_factory=lambda: np.zeros(3))
    axis_order: str = "XYZ"
    dof: list[str] = field(default_factory=list)


@dataclass
class AsfSkeleton:
    """Parsed ASF: bones by name, parent of each bone, units and the root's channel layout."""

    bones: dict[str, _Bone]
    parent: dict[str, str]
    length_scale: float
    degrees: bool
    root_order: list[str]
    root_axis: str
    root_orientation: np.ndarray


def _rotation(angles: np.ndarray, axes: str) -> np.ndarray:
    """Rotations applied in the order of ``axes`` ('XYZ': x first): angles (T, k) radians -> (T, 3, 3)."""
    m = np.broadcast_to(np.eye(3), (angles.shape[0], 3, 3)).copy()
    for k, a in enumerate(axes):
        m = axis_rotation(a, angles[:, k]) @ m
    return m


def parse_asf(path: str | Path) -> AsfSkeleton:
    """Parse an ASF skeleton file; problems raise MotionFormatError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise MotionFormatError(f"{path}: ASF skeleton file not found")
    lines = path.read_text(encoding="latin-1").splitlines()
    section = ""
    bones: dict[str, _Bone] = {"root": _Bone("root")}
    parent: dict[str, str] = {}
    length_scale, degrees = 1.0, True
    root_order = ["TX", "TY", "TZ", "RX", "RY", "RZ"]
    root_axis, root_orientation = "XYZ", np.zeros(3)
    current: _Bone | None = None
    try:
        for raw in lines:
            tokens = raw.split()
            if not tokens or tokens[0].startswith("#"):
                continue
            if tokens[0].startswith(":"):
                section = tokens[0][1:].lower()
                continue
            key = tokens[0].lower()
            if section == "units":
                if key == "length":
                    length_scale = float(tokens[1])
                elif key == "angle":
                    degrees = tokens[1].lower().startswith("deg")
            elif section == "root":
                if key == "order":
                    root_order = [t.upper() for t in tokens[1:]]
                elif key == "axis":
                    root_axis = tokens[1].upper()
                elif key == "orientation":
                    root_orientation = np.array([float(v) for v in tokens[1:4]])
            elif section == "bonedata":
                if key == "begin":
                    current = _Bone("")
                elif key == "end":
                    if current is None or not current.name:
                        raise MotionFormatError(f"{path}: a bonedata block without a name")
                    bones[current.name] = current
                    current = None
                elif current is not None:
                    if key == "name":
                        current.name = tokens[1]
                    elif key == "direction":
                        current.direction = np.array([float(v) for v in tokens[1:4]])
                    elif key == "length":
                        current.length = float(tokens[1])
                    elif key == "axis":
                        current.axis = np.array([float(v) for v in tokens[1:4]])
                        current.axis_order = tokens[4].upper() if len(tokens) > 4 else "XYZ"
                    elif key == "dof":
                        current.dof = [t.lower() for t in tokens[1:]]
            elif section == "hierarchy":
                if key in ("begin", "end"):
                    continue
                for child in tokens[1:]:
                    parent[child] = tokens[0]
    except (ValueError, IndexError):
        raise MotionFormatError(f"{path}: malformed ASF line {raw.strip()[:60]!r}") from None
    if current is not None:
        raise MotionFormatError(f"{path}: truncated ASF (a bonedata block is not closed)")
    if len(bones) < 2 or not parent:
        raise MotionFormatError(f"{path}: not an ASF skeleton (no :bonedata / :hierarchy)")
    for child, par in parent.items():
        if child not in bones or par not in bones:
            missing = child if child not in bones else par
            raise MotionFormatError(f"{path}: :hierarchy names bone {missing!r} that :bonedata does not define")
    for b in bones.values():
        bad = [d for d in b.dof if d not in ("rx", "ry", "rz")]
        if bad:
            raise MotionFormatError(f"{path}: bone {b.name!r} has unsupported dof {bad} (only rx ry rz)")
    if length_scale <= 0:
        raise MotionFormatError(f"{path}: :units length must be positive, got {length_scale}")
    return AsfSkeleton(bones, parent, length_scale, degrees, root_order, root_axis, root_orientation)


def parse_amc(path: str | Path, asf: AsfSkeleton) -> tuple[dict[str, np.ndarray], bool]:
    """Read AMC frames -> ({bone: (T, k) values}, degrees). Truncation raises MotionFormatError."""
    path = Path(path)
    text = path.read_text(encoding="latin-1")
    degrees = asf.degrees
    frames: list[dict[str, list[float]]] = []
    current: dict[str, list[float]] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        tokens = raw.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        head = tokens[0]
        if head.startswith(":"):
            if head.upper() == ":RADIANS":
                degrees = False
            elif head.upper() == ":DEGREES":
                degrees = True
            continue
        if len(tokens) == 1 and head.isdigit():
            current = {}
            frames.append(current)
            continue
        if current is None:
            raise MotionFormatError(f"{path}: line {lineno}: bone values before the first frame number")
        try:
            current[head] = [float(v) for v in tokens[1:]]
        except ValueError:
            raise MotionFormatError(f"{path}: line {lineno}: {head} has a value that is not a number") from None
    if not frames:
        raise MotionFormatError(f"{path}: has no frames")
    expected = {"root": len(asf.root_order)}
    expected.update({b.name: len(b.dof) for b in asf.bones.values() if b.dof})
    out: dict[str, np.ndarray] = {}
    for name, count in expected.items():
        rows = []
        for t, frame in enumerate(frames):
            values = frame.get(name)
            if values is None or len(values) != count:
                what = "is missing" if values is None else f"has {len(values)} values, expected {count}"
                raise MotionFormatError(f"{path}: frame {t + 1} of {len(frames)}: bone {name!r} {what} "
                                        f"(truncated or does not match the ASF)")
            rows.append(values)
        out[name] = np.asarray(rows, dtype=np.float64)
    return out, degrees


def find_asf(amc: Path) -> Path:
    """The ASF beside an AMC: the longest ``<stem>.asf`` whose stem prefixes the AMC name (HDM_bd.asf
    for HDM_bd_kick_001_120.amc, 07.asf for 07_01.amc), else the only ASF in the folder."""
    candidates = sorted(p for p in amc.parent.iterdir() if p.suffix.lower() == ".asf")
    prefixed = [p for p in candidates if amc.stem.lower().startswith(p.stem.lower())]
    if prefixed:
        return max(prefixed, key=lambda p: len(p.stem))
    if len(candidates) == 1:
        return candidates[0]
    found = f"{len(candidates)} .asf files" if candidates else "no .asf file"
    raise MotionFormatError(f"{amc}: cannot tell which skeleton to use ({found} beside it); pass the ASF "
                            f"explicitly (asf= / --asf)")


_CAPTURE_RATES = {24, 25, 30, 50, 60, 100, 120, 240, 480}


def amc_fps(amc: Path) -> float:
    """Frame rate from an HDM05-style name (``HDM_bd_kick_001_120``: last of 3+ parts, a capture
    rate), else the CMU/HDM05 default of 120. CMU ``86_12`` names a trial, not a rate."""
    parts = amc.stem.split("_")
    if len(parts) >= 3 and parts[-1].isdigit() and int(parts[-1]) in _CAPTURE_RATES:
        return float(parts[-1])
    return DEFAULT_AMC_FPS


def read_asf_amc(amc: str | Path, asf: str | Path | None = None, fps: float | None = None) -> RigMotion:
    """Parse an AMC (and its ASF) into a `RigMotion` in ASF units / length-scale (see module doc)."""
    amc = Path(amc)
    if not amc.is_file():
        raise MotionFormatError(f"{amc}: file not found")
    skel = parse_asf(Path(asf) if asf is not None else find_asf(amc))
    values, degrees = parse_amc(amc, skel)
    to_rad = np.pi / 180.0 if degrees else 1.0
    T = values["root"].shape[0]

    # Bones in tree order (parents first); each bone is a joint at its start.
    order = ["root"]
    children: dict[str, list[str]] = {}
    for child, par in skel.parent.items():
        children.setdefault(par, []).append(child)
    k = 0
    while k < len(order):
        order.extend(children.get(order[k], []))
        k += 1
    index = {name: i for i, name in enumerate(order)}
    names, parents, is_end, offsets = list(order), [-1], [False] * len(order), [np.zeros(3)]
    for name in order[1:]:
        par = skel.bones[skel.parent[name]]
        parents.append(index[par.name])
        offsets.append(par.direction * par.length)  # the parent bone's vector, rest pose = world axes
    for name in order:
        if name != "root" and not children.get(name):
            bone = skel.bones[name]
            names.append(f"{name}/end")
            parents.append(index[name])
            is_end.append(True)
            offsets.append(bone.direction * bone.length)

    J = len(names)
    rot = np.broadcast_to(np.eye(3), (T, J, 3, 3)).copy()  # (T, J, 3, 3)
    root_vals = values["root"]
    channel = {c: root_vals[:, i] for i, c in enumerate(skel.root_order)}
    try:
        root_pos = np.stack([channel[c] for c in ("TX", "TY", "TZ")], axis=-1)  # (T, 3)
        root_angles = np.stack([channel["R" + a] for a in skel.root_axis], axis=-1) * to_rad
    except KeyError as e:
        raise MotionFormatError(f"{amc}: the ASF root order {skel.root_order} lacks {e.args[0]}") from None
    c_root = _rotation(np.deg2rad(skel.root_orientation)[None] if skel.degrees else skel.root_orientation[None],
                       skel.root_axis)[0]
    rot[:, 0] = c_root @ _rotation(root_angles, skel.root_axis) @ c_root.T
    for name in order[1:]:
        bone = skel.bones[name]
        if not bone.dof:
            continue
        axis = np.deg2rad(bone.axis) if skel.degrees else bone.axis
        c = _rotation(axis[None], bone.axis_order)[0]
        r = _rotation(values[name] * to_rad, "".join(d[1].upper() for d in bone.dof))
        rot[:, index[name]] = c @ r @ c.T
    scale = 1.0 / skel.length_scale
    return RigMotion(names, parents, is_end, np.asarray(offsets) * scale, rot, root_pos * scale,
                     float(fps) if fps else amc_fps(amc))
