"""NTU RGB+D 60/120 skeleton folders: class names, official split protocols, missing samples.

Files are named ``SsssCcccPpppRrrrAaaa.skeleton`` (setup, camera, performer, replication, action;
Shahroudy et al. 2016, Liu et al. 2019). NTU-60 is setups 1-17 with actions 1-60; NTU-120 adds
setups 18-32 and actions 61-120. Protocols:

- xsub (cross-subject): the listed training performers train, all others test (60 and 120 lists);
- xview (cross-view, NTU-60): cameras 2 and 3 train, camera 1 tests;
- xset (cross-setup, NTU-120): even setup ids train, odd ones test.

Missing skeletons: the official release lists 302 (NTU-60) / 535 (NTU-120) samples whose skeleton
data is missing or empty. That list cannot be reproduced offline here, so instead every file that
has no frames or no body is skipped and counted ("empty skeleton"), and an optional user-supplied
list (one sample name per line, with or without ``.skeleton``) skips the named files up front
("listed missing"). Parsing and the Kinect-25 -> SMPL-22 mapping (30 -> 20 fps, main actor,
Y-up, floor at 0) are `coamd.io.load_motion`'s; this module only labels and splits.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CoamdError
from .labelled import ClipRecord, LabelledClips, load_labelled
from .registry import get_spec
from .store import BadFiles

NAME_PATTERN = re.compile(r"^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$")

NTU60_CLASSES: tuple[str, ...] = (
    "drink water", "eat meal/snack", "brushing teeth", "brushing hair", "drop", "pickup", "throw",
    "sitting down", "standing up (from sitting position)", "clapping", "reading", "writing",
    "tear up paper", "wear jacket", "take off jacket", "wear a shoe", "take off a shoe", "wear on glasses",
    "take off glasses", "put on a hat/cap", "take off a hat/cap", "cheer up", "hand waving",
    "kicking something", "reach into pocket", "hopping (one foot jumping)", "jump up",
    "make a phone call/answer phone", "playing with phone/tablet", "typing on a keyboard",
    "pointing to something with finger", "taking a selfie", "check time (from watch)",
    "rub two hands together", "nod head/bow", "shake head", "wipe face", "salute", "put the palms together",
    "cross hands in front (say stop)", "sneeze/cough", "staggering", "falling", "touch head (headache)",
    "touch chest (stomachache/heart pain)", "touch back (backache)", "touch neck (neckache)",
    "nausea or vomiting condition", "use a fan (with hand or paper)/feeling warm",
    "punching/slapping other person", "kicking other person", "pushing other person",
    "pat on back of other person", "point finger at the other person", "hugging other person",
    "giving something to other person", "touch other person's pocket", "handshaking",
    "walking towards each other", "walking apart from each other",
)

NTU120_CLASSES: tuple[str, ...] = NTU60_CLASSES + (
    "put on headphone", "take off headphone", "shoot at the basket", "bounce ball", "tennis bat swing",
    "juggling table tennis balls", "hush (quiet)", "flick hair", "thumb up", "thumb down", "make ok sign",
    "make victory sign", "staple book", "counting money", "cutting nails", "cutting paper (using scissors)",
    "snapping fingers", "open bottle", "sniff (smell)", "squat down", "toss a coin", "fold paper",
    "ball up paper", "play magic cube", "apply cream on face", "apply cream on hand back", "put on bag",
    "take off bag", "put something into a bag", "take something out of a bag", "open a box",
    "move heavy objects", "shake fist", "throw up cap/hat", "hands up (both hands)", "cross arms",
    "arm circles", "arm swings", "running on the spot", "butt kicks (kick backward)", "cross toe touch",
    "side kick", "yawn", "stretch oneself", "blow nose", "hit other person with something",
    "wield knife towards other person", "knock over other person (hit with body)",
    "grab other person's stuff", "shoot at other person with a gun", "step on foot", "high-five",
    "cheers and drink", "carry something with other person", "take a photo of other person",
    "follow other person", "whisper in other person's ear", "exchange things with other person",
    "support somebody with hand", "finger-guessing game (playing rock-paper-scissors)",
)

XSUB60_TRAIN_SUBJECTS = frozenset(
    (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
)
XSUB120_TRAIN_SUBJECTS = XSUB60_TRAIN_SUBJECTS | frozenset((
    45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92,
    93, 94, 95, 97, 98, 100, 103,
))
XVIEW_TRAIN_CAMERAS = frozenset((2, 3))
NTU60_MAX_SETUP = 17


def parse_name(stem: str) -> dict[str, int] | None:
    """``S001C002P003R002A013`` -> {setup, camera, subject, replication, action} (1-based), else None."""
    m = NAME_PATTERN.match(stem)
    if m is None:
        return None
    return dict(zip(("setup", "camera", "subject", "replication", "action"), (int(g) for g in m.groups())))


def split_parts(info: dict[str, int], num_classes: int) -> dict[str, str]:
    """Train/test part of one sample under each official protocol of NTU-60 or NTU-120."""
    if num_classes == 60:
        return {"xsub": "train" if info["subject"] in XSUB60_TRAIN_SUBJECTS else "test",
                "xview": "train" if info["camera"] in XVIEW_TRAIN_CAMERAS else "test"}
    return {"xsub": "train" if info["subject"] in XSUB120_TRAIN_SUBJECTS else "test",
            "xset": "train" if info["setup"] % 2 == 0 else "test"}


def read_missing_list(path: str | Path) -> set[str]:
    """Sample names from a missing-skeleton list file (blank lines and '#' comments ignored)."""
    path = Path(path).expanduser()
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise CoamdError(f"--missing-list {path}: {e.strerror or e}") from None
    names = {ln.split("#", 1)[0].strip().removesuffix(".skeleton") for ln in lines}
    return {n for n in names if n}


def scan_ntu(root: str | Path, num_classes: int = 60,
             missing: set[str] | frozenset[str] = frozenset()) -> tuple[list[ClipRecord], BadFiles]:
    """Records of the NTU-60 or NTU-120 samples under ``root`` (searched recursively) and the scan's problems."""
    if num_classes not in (60, 120):
        raise CoamdError(f"NTU has 60 or 120 classes, not {num_classes}")
    root = Path(root)
    report = BadFiles()
    records = []
    for path in sorted(root.rglob("*.skeleton")):
        info = parse_name(path.stem)
        rel = path.relative_to(root).as_posix()
        if info is None:
            report.add("bad name", rel, "expected SsssCcccPpppRrrrAaaa.skeleton")
            continue
        if num_classes == 60 and (info["action"] > 60 or info["setup"] > NTU60_MAX_SETUP):
            continue  # an NTU-120 sample in a mixed folder: not part of NTU-60
        if not 1 <= info["action"] <= num_classes:
            report.add("bad name", rel, f"action {info['action']} outside 1..{num_classes}")
            continue
        if path.stem in missing:
            report.add("listed missing", rel)
            continue
        records.append(ClipRecord(path, path.stem, info["action"] - 1, info, split_parts(info, num_classes)))
    return records, report


def load_ntu(root: str | Path, num_classes: int = 60, cache: str | Path | None = "auto", workers: int = 1,
             missing_list: str | Path | None = None, rebuild: bool = False) -> LabelledClips:
    """NTU RGB+D 60/120 as canonical SMPL-22 clips with labels 0..num_classes-1 and xsub/xview|xset splits."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CoamdError(f"{root}: no such folder")
    missing = read_missing_list(missing_list) if missing_list is not None else set()
    records, report = scan_ntu(root, num_classes, missing)
    spec = get_spec(f"ntu{num_classes}")
    names = list(NTU60_CLASSES if num_classes == 60 else NTU120_CLASSES)
    return load_labelled(spec, root, records, names, report, cache=cache, workers=workers,
                         stats_protocol="xsub", rebuild=rebuild)
