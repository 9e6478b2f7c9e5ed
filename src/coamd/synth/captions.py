"""Caption grammar: three differently worded captions per clip (Foundation issue §5).

A caption is a subject ("a person", "someone", "a man", ...) followed by the clip's action
phrases (`phrases.PHRASES`) joined by connectives ("then", "and then", "before ...ing",
"and finally"), in the simple present ("a person walks forward, then waves") or the present
progressive ("someone is walking forward and then waving"). Each caption also carries the
HumanML3D-400 style annotation of §2.2: its action phrases (``processed_text``) and their labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .phrases import PHRASES
from .postag import tokens_string, verb_form

NEUTRAL = (("a person", "their"), ("someone", "their"), ("the person", "their"), ("a human", "their"),
           ("a figure", "their"), ("a person", "their"))
GENDERED = {"male": (("a man", "his"), ("the man", "his"), ("a person", "his")),
            "female": (("a woman", "her"), ("the woman", "her"), ("a person", "her"))}
SUBJECTS = NEUTRAL + GENDERED["male"] + GENDERED["female"]
# (connective, verb form of the following phrase); forms: s = third person, ing = participle
_CONNECT = ((", then ", "s"), (" and then ", "s"), (" and ", "s"), (", and then ", "s"), (" before ", "ing"),
            (" then ", "s"), (", after which the person ", "s"))
_FINAL = ((", and finally ", "s"), (" and then ", "s"), (", then ", "s"), (" and lastly ", "s"))
_PROGRESSIVE_P = 0.2
_VERB = re.compile(r"<([a-z]+)>")


@dataclass(frozen=True)
class Caption:
    """One caption line and its HumanML3D annotation fields."""

    text: str
    tokens: str  # "word/POS word/POS ..."
    phrases: tuple[str, ...]  # processed_text: one short action phrase per label
    labels: tuple[str, ...]  # processed_label_text: the canonical label of each phrase

    @property
    def short(self) -> str:
        """The annotation's normalised action sentence, e.g. "Walk forward and wave."."""
        s = " and ".join(self.phrases)
        return s[:1].upper() + s[1:] + "."

    def line(self) -> str:
        """``texts/<id>.txt`` line: caption#tokens#0.0#0.0."""
        return f"{self.text}#{self.tokens}#0.0#0.0"


def realise(template: str, form: str, poss: str) -> str:
    """Inflect ``<verb>`` markers and fill ``<poss>``; tidy spaces."""
    out = _VERB.sub(lambda m: verb_form(m.group(1), form), template.replace("<poss>", poss))
    return re.sub(r"\s+", " ", out).strip()


def _split_phrases(processed: str, labels: tuple[str, ...]) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in processed.split(" and "))
    return parts if len(parts) == len(labels) else tuple(processed for _ in labels)


def make_captions(rng: np.random.Generator, instances, n: int = 3) -> list[Caption]:
    """``n`` distinct captions for a clip's action instances (order of the actions is kept)."""
    options = [PHRASES[inst.name](inst.params, inst.facts) for inst in instances]
    seen: set[str] = set()
    out: list[Caption] = []
    # annotators may say "a man" or "a woman", but the captions of one clip agree on it
    subjects = NEUTRAL + GENDERED[("male", "female")[int(rng.integers(2))]]
    for attempt in range(40 * n):
        if len(out) == n:
            break
        subj, poss = subjects[int(rng.integers(len(subjects)))]
        progressive = rng.random() < _PROGRESSIVE_P
        picks = [opts[int(rng.integers(len(opts)))] for opts in options]
        parts = []
        for i, (tpl, _) in enumerate(picks):
            if i == 0:
                form, conn = ("ing", "") if progressive else ("s", "")
            else:
                table = _FINAL if (i == len(picks) - 1 and i >= 2) else _CONNECT
                conn, form = table[int(rng.integers(len(table)))]
                if progressive:
                    conn, form = (" and then ", "ing") if form == "s" else (conn, form)
                if "the person" in conn and ("person" in subj or progressive):
                    conn, form = ", then ", "s"
            parts.append(conn + realise(tpl, form, poss))
        text = subj + (" is " if progressive else " ") + "".join(parts)
        text = re.sub(r"\s+", " ", text).strip().rstrip(",") + "."
        if rng.random() < 0.5:
            text = text[0].upper() + text[1:]
        if text in seen and attempt < 40 * n - n:
            continue
        seen.add(text)
        phrases: list[str] = []
        labels: list[str] = []
        for inst, (_, processed) in zip(instances, picks):
            labs = inst.labels
            phrases.extend(_split_phrases(processed, labs))
            labels.extend(labs)
        out.append(Caption(text, tokens_string(text), tuple(phrases), tuple(labels)))
    return out
