"""Bandai-Namco and HDM05 folders as labelled real-motion recognition sets.

Labels come from file and folder names (a manifest is not needed):

- Bandai-Namco (Kobayashi et al. 2023, arXiv 2306.08861): ``dataset-{1|2}_{CONTENT}_{STYLE}_{TAKE}.bvh``.
  Contents map to readable action names; ``walk-left``/``walk-right`` are forward walks whose
  world heading is +X/-X (realdata/bandai_namco/SOURCE.md), so they are labelled plain "walk".
  (Measured on the canonicalised clips, their path runs about 30 degrees left/right of the
  first-frame facing, a diagonal forward walk, while ``walk-turn-*`` turn by about 90 degrees;
  the raw content tag stays in the metadata.) Style is metadata; the "styles" protocol holds out
  a set of styles for testing (content recognition under unseen styles).
- HDM05 (Müller et al. 2007): ``<class_id>/HDM_<actor>_<cut>_<take>_120.amc`` with the actor's
  ASF beside it. Label = the cut name, as a readable phrase; the "actors" protocol trains on
  bd/bk/dg and tests on mm/tr (the cross-subject split of the folders).

Conversion to canonical SMPL-22 at 20 fps is `coamd.io.load_motion`'s; results are cached.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import CoamdError
from .labelled import ClipRecord, LabelledClips, load_labelled
from .registry import get_spec
from .store import BadFiles

# ---------------------------------------------------------------------------- Bandai-Namco
BANDAI_PATTERN = re.compile(r"^dataset-([12])_([a-z-]+)_([a-z-]+)_(\d+)$", re.IGNORECASE)

# content (as in the file name) -> action name; dataset-1 first, then dataset-2's new contents.
# Hand use checked on the converted clips: "bye" waves the right hand above the head, "byebye"
# both hands, "respond" raises the left hand.
BANDAI_CONTENTS: dict[str, str] = {
    "walk": "walk", "run": "run", "dash": "sprint", "walk-back": "walk backwards",
    "walk-left": "walk", "walk-right": "walk", "bow": "bow", "bye": "wave goodbye with the right hand",
    "guide": "gesture to guide the way", "byebye": "wave bye-bye with both hands",
    "respond": "raise a hand to respond", "call": "call out to someone", "punch": "punch", "kick": "kick",
    "slash": "slash with a sword",
    "dance-long": "dance", "dance-short": "dance",
    "walk-turn-left": "walk and turn left", "walk-turn-right": "walk and turn right",
    "wave-both-hands": "wave both hands", "wave-left-hand": "wave the left hand",
    "wave-right-hand": "wave the right hand", "raise-up-both-hands": "raise both hands",
    "raise-up-left-hand": "raise the left hand", "raise-up-right-hand": "raise the right hand",
}
BANDAI_LABELS: tuple[str, ...] = tuple(dict.fromkeys(BANDAI_CONTENTS.values()))
# Held out by the default "styles" protocol: one style shared by both parts of the dataset and one
# of each part's own (ours; the dataset defines no split).
DEFAULT_BANDAI_TEST_STYLES = ("feminine", "childish", "elderly")


def parse_bandai_name(stem: str) -> dict[str, str] | None:
    """``dataset-1_walk-back_happy_001`` -> {part, content, style, take}, else None."""
    m = BANDAI_PATTERN.match(stem)
    if m is None:
        return None
    part, content, style, take = m.groups()
    return {"part": f"dataset-{part}", "content": content.lower(), "style": style.lower(), "take": take}


def bandai_label(content: str) -> str:
    """Readable action name of a content tag (unknown tags: hyphens become spaces)."""
    return BANDAI_CONTENTS.get(content, content.replace("-", " "))


def scan_bandai(root: str | Path, test_styles: Sequence[str] = DEFAULT_BANDAI_TEST_STYLES
                ) -> tuple[list[ClipRecord], list[str], BadFiles]:
    """Records, label names and scan problems for a Bandai-Namco folder (BVH files searched recursively)."""
    root = Path(root)
    report, parsed = BadFiles(), []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() == ".bvh"):
        info = parse_bandai_name(path.stem)
        if info is None:
            report.add("bad name", path.relative_to(root).as_posix(), "expected dataset-N_CONTENT_STYLE_TAKE.bvh")
        else:
            parsed.append((path, info))
    extra = sorted({bandai_label(i["content"]) for _, i in parsed} - set(BANDAI_LABELS))
    names = list(BANDAI_LABELS) + extra
    index = {n: k for k, n in enumerate(names)}
    held_out = {s.lower() for s in test_styles}
    records = [
        ClipRecord(path, path.stem, index[bandai_label(info["content"])], info,
                   {"styles": "test" if info["style"] in held_out else "train", "all": "train"})
        for path, info in parsed
    ]
    return records, names, report


def load_bandai(root: str | Path, cache: str | Path | None = "auto", workers: int = 1,
                test_styles: Sequence[str] = DEFAULT_BANDAI_TEST_STYLES, rebuild: bool = False) -> LabelledClips:
    """Bandai-Namco clips (canonical SMPL-22) with action labels; style, take and part as metadata."""
    root = _folder(root)
    records, names, report = scan_bandai(root, test_styles)
    return load_labelled(get_spec("bandai"), root, records, names, report, cache=cache, workers=workers,
                         stats_protocol="styles", rebuild=rebuild)


# ---------------------------------------------------------------------------- HDM05
HDM05_PATTERN = re.compile(r"^HDM_([a-z]{2})_(.+)_(\d{3})_(\d+)$", re.IGNORECASE)
HDM05_TRAIN_ACTORS = frozenset(("bd", "bk", "dg"))
HDM05_TEST_ACTORS = frozenset(("mm", "tr"))

# HDM05 cut name -> readable label (ours), in the class-folder order of the 11-class subset
HDM05_LABELS: dict[str, str] = {
    "depositFloorR": "put something down on the floor with the right hand",
    "elbowToKnee1RepsLelbowStart": "touch elbow to the opposite knee, left elbow first",
    "grabHighR": "reach up high and grab with the right hand",
    "hopBothLegs1hops": "hop once on both legs",
    "jogLeftCircle4StepsRstart": "jog along a circle to the left",
    "kickLFront1Reps": "kick with the left leg to the front",
    "lieDownFloor": "lie down on the floor",
    "rotateArmsBothBackward1Reps": "circle both arms backwards",
    "sneak2StepsLStart": "sneak two steps, left foot first",
    "squat1Reps": "squat",
    "throwBasketball": "throw a basketball",
}
_SIDES = {"R": "right", "L": "left"}


def parse_hdm05_name(stem: str) -> dict[str, str] | None:
    """``HDM_bd_kickLFront1Reps_001_120`` -> {actor, cut, take, rate}, else None."""
    m = HDM05_PATTERN.match(stem)
    if m is None:
        return None
    actor, cut, take, rate = m.groups()
    return {"actor": actor.lower(), "cut": cut, "take": take, "rate": rate}


def hdm05_label(cut: str) -> str:
    """Readable label of an HDM05 cut name; unknown cuts are split at case changes (R/L -> right/left)."""
    if cut in HDM05_LABELS:
        return HDM05_LABELS[cut]
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z](?![a-z])|\d+", cut)
    return " ".join(_SIDES.get(w, w.lower()) for w in words if not w.isdigit() and w.lower() != "reps")


def scan_hdm05(root: str | Path) -> tuple[list[ClipRecord], list[str], BadFiles, list[Path]]:
    """Records, label names, scan problems and the ASF files of an HDM05 folder (searched recursively)."""
    root = Path(root)
    report, parsed = BadFiles(), []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() == ".amc"):
        info = parse_hdm05_name(path.stem)
        rel = path.relative_to(root).as_posix()
        if info is None:
            report.add("bad name", rel, "expected HDM_<actor>_<cut>_<take>_<fps>.amc")
        elif info["actor"] not in HDM05_TRAIN_ACTORS | HDM05_TEST_ACTORS:
            report.add("unknown actor", rel, f"actor {info['actor']!r} is none of bd bk dg mm tr")
        else:
            info["class_folder"] = path.parent.name
            parsed.append((path, info))
    extra = sorted({hdm05_label(i["cut"]) for _, i in parsed} - set(HDM05_LABELS.values()))
    names = list(HDM05_LABELS.values()) + extra
    index = {n: k for k, n in enumerate(names)}
    records = [
        ClipRecord(path, path.stem, index[hdm05_label(info["cut"])], info,
                   {"actors": "train" if info["actor"] in HDM05_TRAIN_ACTORS else "test", "all": "train"})
        for path, info in parsed
    ]
    asf = sorted({p for p in root.rglob("*") if p.suffix.lower() == ".asf"})
    return records, names, report, asf


def load_hdm05(root: str | Path, cache: str | Path | None = "auto", workers: int = 1,
               rebuild: bool = False) -> LabelledClips:
    """HDM05 cuts (canonical SMPL-22) with readable labels; actor, cut, take as metadata."""
    root = _folder(root)
    records, names, report, asf = scan_hdm05(root)
    return load_labelled(get_spec("hdm05"), root, records, names, report, cache=cache, workers=workers,
                         extra_files=asf, stats_protocol="actors", rebuild=rebuild)


def _folder(root: str | Path) -> Path:
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CoamdError(f"{root}: no such folder")
    return root
