"""Caption words for evaluator (a): a fixed tokenizer and a rule-based part-of-speech tagger.

Guo et al. (2022) feed their text encoder word vectors plus a 15-way one-hot of each word's
part of speech, where motion-relevant words get their own classes (directions, body parts,
objects, actions, manner); their tags come from spaCy (paper-brief §6.1a). coamd has no spaCy, so
:func:`tag_words` assigns the same kind of 15 classes from small hand-written lexicons and suffix
rules. The tokenizer always reads the caption text itself (never a dataset's pre-tokenised
``word/POS`` field), so a caption is embedded identically whether or not it came with tokens.
"""

from __future__ import annotations

import re

POS_TAGS: tuple[str, ...] = (
    "VERB", "NOUN", "DET", "ADP", "NUM", "AUX", "PRON", "ADJ", "ADV",
    "LOC", "BODY", "OBJ", "ACT", "DESC", "OTHER",
)
POS_INDEX = {t: i for i, t in enumerate(POS_TAGS)}

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Motion-specific classes first: they win over the generic ones below.
_LOC = _set("""left right forward forwards backward backwards back front up upward upwards down downward downwards
    clockwise counterclockwise anticlockwise around over under sideways side across inside outside behind ahead
    straight diagonally diagonal north south east west center centre middle away toward towards top bottom
    above below place circle""")
_BODY = _set("""arm arms hand hands leg legs foot feet knee knees head shoulder shoulders elbow elbows wrist wrists
    hip hips waist torso body chest back neck finger fingers toe toes ankle ankles thigh thighs heel heels
    palm palms fist fists face lap spine upper lower limb limbs""")
_OBJ = _set("""ball chair stairs stair step steps table door wall floor ground box cup bottle rope bar object
    bench bed car bike bicycle guitar violin drum phone book bag stick racket bat sword gun window ladder
    stool rail railing beam obstacle hoop""")
_ACT = _set("""walk walks walked walking run runs ran running jog jogs jogging jump jumps jumped jumping hop hops
    hopping skip skips skipping kick kicks kicked kicking throw throws threw throwing catch catches caught
    wave waves waved waving turn turns turned turning spin spins spinning sit sits sat sitting stand stands
    stood standing squat squats squatting crouch crouches crouching kneel kneels kneeling lie lies lying
    crawl crawls crawling climb climbs climbing dance dances danced dancing punch punches punching push
    pushes pushing pull pulls pulling lift lifts lifting raise raises raised raising lower lowers lowering
    bend bends bending stretch stretches stretching swing swings swinging clap claps clapping step stepping
    march marches marching stumble stumbles stumbling fall falls falling bow bows bowing reach reaches
    reaching pick picks picking shake shakes shaking rotate rotates rotating roll rolls rolling lunge
    lunges lunging flap flaps flapping wobble sway sways swaying move moves moving strut struts sneak
    sneaks sneaking tiptoe tiptoes stomp stomps pace paces pacing leap leaps leaping bounce bounces
    shuffle shuffles shuffling slide slides sliding""")
_DESC = _set("""slowly quickly fast slow quick rapidly carefully gently briskly steadily casually happily angrily
    sadly wildly lightly heavily softly hard loosely tightly smoothly energetically aggressively calmly
    confidently cautiously awkwardly gracefully clumsily vigorously repeatedly continuously suddenly
    again twice once thrice several multiple""")
_DET = _set("a an the this that these those each every some any another both either neither all no")
_ADP = _set("""in on at of to from with without into onto by for about like through between while after
    before during until upon against along among beside near off out past since via then""")
_AUX = _set("is are was were be been being am do does did has have had will would can could should may might must")
_PRON = _set("""he she it they him her them his hers its their theirs himself herself itself themselves
    someone somebody person man woman one who which what i you we me us my your our""")
_NUM = _set("one two three four five six seven eight nine ten eleven twelve first second third half")
_CONJ = _set("and or but so as than if because although whilst")


def words_of(text: str) -> list[str]:
    """Lower-cased word tokens of a caption (letters with inner apostrophes, or numbers)."""
    return _WORD.findall(text.lower())


def tag_word(word: str) -> str:
    """One of ``POS_TAGS`` for a lower-cased word (lexicons first, then suffix rules)."""
    for lexicon, tag in ((_ACT, "ACT"), (_BODY, "BODY"), (_LOC, "LOC"), (_OBJ, "OBJ"), (_DESC, "DESC"),
                         (_DET, "DET"), (_AUX, "AUX"), (_PRON, "PRON"), (_ADP, "ADP"), (_NUM, "NUM")):
        if word in lexicon:
            return tag
    if word[0].isdigit():
        return "NUM"
    if word in _CONJ:
        return "OTHER"
    if word.endswith("ly"):
        return "ADV"
    if word.endswith(("ing", "ed", "ize", "ise")):
        return "VERB"
    if word.endswith(("ful", "ous", "ive", "able", "ible", "al", "ic", "less")):
        return "ADJ"
    return "NOUN"


def tag_words(text: str, max_words: int) -> tuple[list[str], list[int]]:
    """The first ``max_words`` words of ``text`` and their POS class indices."""
    ws = words_of(text)[:max_words]
    return ws, [POS_INDEX[tag_word(w)] for w in ws]
