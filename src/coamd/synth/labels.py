"""Action labels of the corpus in the HumanML3D-400 annotation schema (paper-brief §2.2).

`LABELS` is the label map (index = position; written to ``label_map.txt``). Names follow the
HumanML3D-400 vocabulary where it has one ("walk", "backwards walk", "circle walk", "arms raise",
"jumping jacks", ...). `annotation` builds one ``annotations_actions_400.json`` entry: per caption
line its action phrases, their labels and label indices, plus the motion-level sorted union.
`LABEL_KEYWORDS` lists words a caption uses when it names a label (used by the corpus tests).
"""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "walk", "backwards walk", "sideways walk", "circle walk", "turn", "jog", "jog in place", "run", "sprint",
    "spin", "march", "skip", "hop", "stumble", "crawl", "jump", "jump on one leg", "jumping jacks", "squat",
    "lunge", "sit", "stand up", "kneel", "lie down", "get up", "pick up", "reach", "bow", "stretch",
    "side stretch", "wave", "clap", "arms raise", "arm raise", "arm circles", "punch", "kick", "side kick",
    "throw", "cartwheel", "backflip", "roll", "dance", "stand",
)
# labels of the "extended" vocabulary's actions (`act_extended`), after the 44 so every core index is kept
EXTENDED_LABELS: tuple[str, ...] = ("put down", "elbow to knee", "sneak")
ALL_LABELS: tuple[str, ...] = LABELS + EXTENDED_LABELS
LABEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(ALL_LABELS)}

# label -> words (lower case, matched as word prefixes) of which a caption naming it uses one
LABEL_KEYWORDS: dict[str, tuple[str, ...]] = {
    "walk": ("walk", "stroll", "strid", "step", "mov", "take"),
    "backwards walk": ("back",),
    "sideways walk": ("sideways", "sidestep"),
    "circle walk": ("circle",),
    "turn": ("turn",),
    "jog": ("jog",),
    "jog in place": ("jog", "run"),
    "run": ("run", "dash"),
    "sprint": ("sprint", "full speed", "dash", "race"),
    "spin": ("spin", "turn", "twirl"),
    "march": ("march",),
    "skip": ("skip",),
    "hop": ("hop",),
    "stumble": ("stumbl", "trip"),
    "crawl": ("crawl",),
    "jump": ("jump", "leap", "hop"),
    "jump on one leg": ("jump",),
    "jumping jacks": ("jumping jack",),
    "squat": ("squat",),
    "lunge": ("lunge",),
    "sit": ("sit", "seat"),
    "stand up": ("stand", "get", "ris"),
    "kneel": ("kneel", "knee"),
    "lie down": ("lie",),
    "get up": ("get", "stand", "ris"),
    "pick up": ("pick",),
    "reach": ("reach",),
    "bow": ("bow",),
    "stretch": ("stretch",),
    "side stretch": ("stretch",),
    "wave": ("wave",),
    "clap": ("clap",),
    "arms raise": ("raise", "lift"),
    "arm raise": ("raise", "lift"),
    "arm circles": ("circle",),
    "punch": ("punch", "box"),
    "kick": ("kick",),
    "side kick": ("kick",),
    "throw": ("throw", "toss"),
    "cartwheel": ("cartwheel",),
    "backflip": ("backflip", "back flip", "flip"),
    "roll": ("roll", "somersault"),
    "dance": ("danc",),
    "stand": ("stand", "wait", "stay"),
    "put down": ("put", "set", "lower"),
    "elbow to knee": ("elbow", "crunch"),
    "sneak": ("sneak", "creep", "stealth"),
}


def labels_of(vocabulary: str = "core") -> tuple[str, ...]:
    """The label map of a corpus made with ``vocabulary`` ("core": the 44 labels; "extended": 47)."""
    return ALL_LABELS if vocabulary == "extended" else LABELS


def label_map_text(vocabulary: str = "core") -> str:
    """``label_map.txt`` contents: one label per line."""
    return "".join(f"{name}\n" for name in labels_of(vocabulary))


def annotation(captions, num_frames: int, fps: float = 20.0, source: str = "coamd-synth") -> dict:
    """One ``annotations_actions_400.json`` entry for a clip's captions (aligned line by line)."""
    duration = round(num_frames / fps, 4)
    lines = []
    union: set[int] = set()
    for i, cap in enumerate(captions):
        idx = [LABEL_INDEX[name] for name in cap.labels]
        union.update(idx)
        lines.append({
            "seg_id": i, "text": cap.short, "start": 0.0, "end": duration,
            "processed_text": list(cap.phrases), "processed_label_text": list(cap.labels), "label": idx,
        })
    return {"path": source, "duration": duration, "annotations": lines, "labels": sorted(union)}
