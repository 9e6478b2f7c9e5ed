"""Dataset facts in one place: a `DatasetSpec` per dataset (style.md rule 4, paper-brief §2.1–2.4).

Joint count, frame rate, the text-to-motion length rules (40 <= T < 200, KIT >= 24; crop to a
multiple of the unit length 4; at most 196 frames), the AE window and the class count live here.
No other module tests a dataset name to learn one of these numbers.

``fps`` and ``skeleton`` describe the motions *as this library serves them*: HumanML3D-layout
folders keep their own rig and rate (KIT-ML: 21 joints at 12.5 fps), while recognition sets
(NTU, Bandai-Namco, HDM05) are converted on load to canonical SMPL-22 at 20 fps;
``source_fps`` records the capture rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CoamdError
from ..skeleton import KIT21, SMPL22, Skeleton


@dataclass(frozen=True)
class DatasetSpec:
    """Facts about one dataset; lengths are in frames at ``fps``."""

    name: str
    layout: str  # "humanml3d" (new_joints + texts + splits), "ntu", "bandai" or "hdm05"
    skeleton: Skeleton
    fps: float
    source_fps: float
    description: str
    min_length: int = 40  # text-to-motion filter: min_length <= T ...
    length_limit: int = 200  # ... and T < length_limit (HumanML3D's rule)
    max_length: int = 196  # max_motion_length: crops never exceed it; padding target
    unit_length: int = 4  # the AE's temporal down-sampling; crops are multiples of it
    window: int = 64  # AE training window
    max_text_tokens: int = 20
    num_classes: int = 0  # recognition sets: size of the fixed label vocabulary (0 = open/derived)
    splits: tuple[str, ...] = ("train", "val", "test")  # standard split names or protocols
    units: str = "m"  # "m", or "auto": a clip whose body spans more than 10 units is millimetres

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    @property
    def feature_dim(self) -> int:
        """Flat per-frame size J*3 (66 for SMPL-22, 63 for KIT-21)."""
        return 3 * self.skeleton.num_joints

    @property
    def has_captions(self) -> bool:
        return self.layout == "humanml3d"


_HML = {"layout": "humanml3d", "skeleton": SMPL22, "fps": 20.0, "source_fps": 20.0}
_CANON = {"skeleton": SMPL22, "fps": 20.0, "min_length": 1, "length_limit": 10**9}

DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        DatasetSpec(name="humanml3d", description="HumanML3D new_joints (SMPL-22, 20 fps, metres)", **_HML),
        DatasetSpec(name="synth", description="coamd procedural corpus in the HumanML3D layout", **_HML),
        DatasetSpec(
            name="kitml", layout="humanml3d", skeleton=KIT21, fps=12.5, source_fps=12.5, min_length=24, units="auto",
            description="KIT-ML new_joints (KIT 21 joints, 12.5 fps; millimetres converted to metres)",
        ),
        DatasetSpec(
            name="ntu60", layout="ntu", source_fps=30.0, num_classes=60, splits=("xsub", "xview"),
            description="NTU RGB+D 60 .skeleton files (Kinect v2 -> SMPL-22)", **_CANON,
        ),
        DatasetSpec(
            name="ntu120", layout="ntu", source_fps=30.0, num_classes=120, splits=("xsub", "xset"),
            description="NTU RGB+D 120 .skeleton files (Kinect v2 -> SMPL-22)", **_CANON,
        ),
        DatasetSpec(
            name="bandai", layout="bandai", source_fps=30.0, splits=("styles", "all"),
            description="Bandai-Namco Research motion dataset 1/2 (BVH, content x style labels)", **_CANON,
        ),
        DatasetSpec(
            name="hdm05", layout="hdm05", source_fps=120.0, splits=("actors", "all"),
            description="HDM05 ASF/AMC cuts (class folders, actor split bd/bk/dg vs mm/tr)", **_CANON,
        ),
    )
}


def get_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name; a CoamdError lists the known names."""
    try:
        return DATASETS[name]
    except KeyError:
        raise CoamdError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


def default_cache_dir(root: str | Path) -> Path:
    """``<root>.coamd_cache`` beside (never inside) the source folder."""
    root = Path(root).expanduser().resolve()
    return root.parent / f"{root.name}.coamd_cache"
