"""A small rule-based part-of-speech tagger for the corpus' caption grammar (issue §5).

HumanML3D stores each caption with ``word/POS`` tokens (Universal POS tags, as produced by
spaCy upstream): nouns and verbs are lemmatised, everything else is kept as written, and
punctuation is dropped. Our captions come from a closed grammar, so a lexicon covers every word;
a few context rules resolve the ambiguous ones ("left hand" ADJ vs "to the left" NOUN vs "turns
left" ADV; "a walk" NOUN vs "walks" VERB; "his back" NOUN vs "steps back" ADV). Unknown words
fall back to suffix rules and are reported by `unknown_words` (the tests keep that list empty).
"""

from __future__ import annotations

import re

# verb lemma -> irregular forms (third person, present participle, past); others are derived
_VERB_IRREGULAR = {
    "be": ("is", "being", "was"), "do": ("does", "doing", "did"), "go": ("goes", "going", "went"),
    "run": ("runs", "running", "ran"), "sit": ("sits", "sitting", "sat"), "get": ("gets", "getting", "got"),
    "lie": ("lies", "lying", "lay"), "take": ("takes", "taking", "took"), "make": ("makes", "making", "made"),
    "throw": ("throws", "throwing", "threw"), "spin": ("spins", "spinning", "spun"),
    "swing": ("swings", "swinging", "swung"), "stand": ("stands", "standing", "stood"),
    "bend": ("bends", "bending", "bent"), "kneel": ("kneels", "kneeling", "knelt"),
    "catch": ("catches", "catching", "caught"), "have": ("has", "having", "had"),
    "hold": ("holds", "holding", "held"), "fall": ("falls", "falling", "fell"),
    "rise": ("rises", "rising", "rose"), "leap": ("leaps", "leaping", "leapt"),
    "put": ("puts", "putting", "put"), "hit": ("hits", "hitting", "hit"),
}
_DOUBLE = {"set", "hop", "skip", "jog", "step", "clap", "trip", "stop", "drop", "flip", "tap", "grab", "squat", "trot"}

VERBS = ["walk", "stroll", "stride", "pace", "march", "move", "step", "go", "run", "jog", "sprint", "dash", "race", "skip", "hop", "jump", "leap", "bounce", "turn", "spin", "rotate", "pivot", "twirl", "squat", "lunge", "sit", "stand", "get", "rise", "kneel", "lie", "crouch", "crawl", "roll", "tumble", "flip", "cartwheel", "wave", "clap", "raise", "lift", "lower", "reach", "stretch", "extend", "bow", "bend", "punch", "jab", "box", "kick", "throw", "toss", "pick", "grab", "swing", "circle", "rotate", "dance", "shuffle", "sway", "twist", "groove", "stumble", "trip", "lose", "regain", "recover", "catch", "do", "perform", "make", "take", "be", "have", "hold", "keep", "wait", "rest", "stay", "put", "drop", "sidestep", "shake", "alternate", "lean", "fall", "straighten", "tap", "return", "come", "bring", "pump", "hit", "flap", "switch", "face", "set", "touch", "sneak", "creep"]

NOUNS = ["person", "man", "woman", "figure", "human", "individual", "hand", "hands", "arm", "arms", "leg", "legs", "foot", "feet", "knee", "knees", "head", "body", "chest", "shoulder", "shoulders", "side", "sides", "ground", "floor", "chair", "seat", "object", "ball", "step", "steps", "time", "times", "circle", "circles", "squat", "squats", "lunge", "lunges", "jack", "jacks", "walk", "run", "jog", "sprint", "pace", "speed", "direction", "way", "kick", "kicks", "punch", "punches", "wave", "cartwheel", "backflip", "flip", "roll", "somersault", "dance", "move", "moves", "turn", "bow", "stretch", "balance", "fist", "fists", "all", "fours", "place", "air", "spot", "degree", "degrees", "position", "stance", "hello", "hip", "hips", "sidestep", "pattern", "toe", "toes", "item", "trip", "motion", "front", "face", "rhythm", "elbow", "elbows", "crunches"]

_NOUN_LEMMA = {
    "hands": "hand", "arms": "arm", "legs": "leg", "feet": "foot", "knees": "knee", "shoulders": "shoulder",
    "sides": "side", "steps": "step", "times": "time", "circles": "circle", "squats": "squat",
    "lunges": "lunge", "jacks": "jack", "kicks": "kick", "punches": "punch", "moves": "move",
    "fists": "fist", "fours": "four", "degrees": "degree", "hips": "hip", "toes": "toe", "people": "person",
}

_CLOSED = {
    "DET": "a an the this that each every another his her their its both either some",
    "PRON": "someone somebody something he she they it them himself herself themselves one which",
    "ADP": "with on in at to from of into onto over under above across along around by for before after "
           "behind toward towards up down off out through while like about",
    "CCONJ": "and or but",
    "SCONJ": "while as",
    "AUX": "is are",
    "NUM": "two three four five six seven eight nine ten 90 180 360",
    "PART": "not",
    "ADV": "then slowly quickly fast briskly leisurely gently forward forwards backward backwards "
           "sideways back away again twice once finally briefly carefully quick slow high low "
           "together apart overhead repeatedly alternately clockwise counterclockwise anticlockwise "
           "ahead still straight around afterwards next first just also energetically rapidly "
           "steadily calmly lightly hard deeply fully halfway upward upwards downward sharply thrice "
           "continuously rhythmically lastly happily slightly almost",
    "ADJ": "slow fast quick brisk left right small big large deep full slight short long light high "
           "half little low several few front side same other wide happy quick spinning "
           "rhythmic energetic normal steady gentle casual forward backward circular overhand "
           "sideways strong",
}


def _inflect(lemma: str) -> tuple[str, str, str]:
    if lemma in _VERB_IRREGULAR:
        return _VERB_IRREGULAR[lemma]
    if re.search(r"(s|sh|ch|x|z|o)$", lemma):
        third = lemma + "es"
    elif re.search(r"[^aeiou]y$", lemma):
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    if lemma in _DOUBLE and not lemma.endswith("e"):
        ing, past = lemma + lemma[-1] + "ing", lemma + lemma[-1] + "ed"
    elif lemma.endswith("ie"):
        ing, past = lemma[:-2] + "ying", lemma + "d"
    elif lemma.endswith("e") and not lemma.endswith("ee"):
        ing, past = lemma[:-1] + "ing", lemma + "d"
    else:
        ing, past = lemma + "ing", (lemma[:-1] + "ied" if re.search(r"[^aeiou]y$", lemma) else lemma + "ed")
    return third, ing, past


def verb_form(lemma: str, form: str) -> str:
    """``form``: 'base', 's' (third person), 'ing' or 'past'."""
    if form == "base":
        return lemma
    third, ing, past = _inflect(lemma)
    return {"s": third, "ing": ing, "past": past}[form]


def _build_lexicon() -> tuple[dict[str, set[str]], dict[str, str], dict[str, str]]:
    tags: dict[str, set[str]] = {}
    verb_lemma: dict[str, str] = {}
    for pos, words in _CLOSED.items():
        for w in words.split():
            tags.setdefault(w, set()).add(pos)
    for v in VERBS:
        for form in (v, *_inflect(v)):
            tags.setdefault(form, set()).add("VERB")
            verb_lemma.setdefault(form, v)
    for n in NOUNS:
        tags.setdefault(n, set()).add("NOUN")
    return tags, verb_lemma, dict(_NOUN_LEMMA)


LEXICON, _VERB_LEMMA, _NOUN_LEMMA_ALL = _build_lexicon()
_BODY = {"hand", "hands", "arm", "arms", "leg", "legs", "foot", "feet", "knee", "knees", "side", "sides",
         "shoulder", "fist", "hip", "toe", "turn", "kick", "punch", "hook"}
_DETLIKE = {"DET", "ADJ", "NUM"}
# fixed two-word compounds of the grammar: (first, second) -> their tags
_COMPOUNDS = {
    ("arm", "circles"): ("NOUN", "NOUN"), ("front", "kick"): ("ADJ", "NOUN"), ("side", "kick"): ("ADJ", "NOUN"),
    ("side", "stretch"): ("ADJ", "NOUN"), ("spin", "kick"): ("NOUN", "NOUN"), ("jumping", "jacks"): ("VERB", "NOUN"),
    ("overhead", "stretch"): ("ADJ", "NOUN"), ("forward", "lunges"): ("ADJ", "NOUN"),
    ("forward", "roll"): ("ADJ", "NOUN"), ("back", "flip"): ("ADJ", "NOUN"), ("spinning", "kick"): ("ADJ", "NOUN"),
}
_BODY_VERBS = {"step", "steps", "turn", "turns", "walk", "walks"}  # "moves forward steps" is rare; keep ADV


def words(text: str) -> list[str]:
    """Lower-case word tokens (punctuation dropped; 'all-fours' style hyphens split)."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _guess(w: str) -> str:
    if w.isdigit():
        return "NUM"
    if w.endswith("ly"):
        return "ADV"
    if w.endswith(("ing", "ed")):
        return "VERB"
    return "NOUN"


def tag(text: str) -> list[tuple[str, str]]:
    """(token, POS) pairs; VERB and NOUN tokens are lemmatised as HumanML3D does."""
    ws = words(text)
    forced: dict[int, str] = {}
    for i in range(len(ws) - 1):
        pair = _COMPOUNDS.get((ws[i], ws[i + 1]))
        if pair and i not in forced:
            forced[i], forced[i + 1] = pair
    out: list[tuple[str, str]] = []
    prev = None
    for i, w in enumerate(ws):
        nxt = ws[i + 1] if i + 1 < len(ws) else None
        cands = LEXICON.get(w, {_guess(w)})
        if i in forced:
            pos = forced[i]
        elif w in ("left", "right"):
            pos = "ADJ" if nxt in _BODY else ("NOUN" if prev == "DET" else "ADV")
        elif w == "back" and prev in ("DET",):
            pos = "NOUN"
        elif w in ("around", "up", "down", "out", "over") and not (nxt and "DET" in LEXICON.get(nxt, ())):
            pos = "ADV" if w in ("around",) else "ADP"
        elif w == "one" and nxt in _BODY | {"leg", "foot", "knee", "hand", "arm"}:
            pos = "NUM"
        elif w == "to" and nxt is not None and "VERB" in LEXICON.get(nxt, ()) and nxt in _VERB_LEMMA \
                and _VERB_LEMMA[nxt] == nxt:
            pos = "PART"
        elif "ADV" in cands and "ADJ" in cands:
            pos = "ADJ" if nxt is not None and "NOUN" in LEXICON.get(nxt, ()) and nxt not in _BODY_VERBS else "ADV"
        elif "VERB" in cands and "NOUN" in cands:
            pos = "NOUN" if prev in _DETLIKE else "VERB"
        elif len(cands) == 1:
            pos = next(iter(cands))
        else:
            order = ("VERB", "NOUN", "ADJ", "ADV", "ADP", "DET", "PRON", "NUM", "CCONJ", "SCONJ", "AUX", "PART")
            pos = next(p for p in order if p in cands)
        if pos == "VERB":
            lemma = _VERB_LEMMA.get(w, w)
        elif pos == "NOUN":
            lemma = _NOUN_LEMMA_ALL.get(w, w)
        else:
            lemma = w
        out.append((lemma, pos))
        prev = pos
    return out


def tokens_string(text: str) -> str:
    """HumanML3D token field: ``word/POS`` pairs separated by spaces."""
    return " ".join(f"{w}/{p}" for w, p in tag(text))


def unknown_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in LEXICON]
