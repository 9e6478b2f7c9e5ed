"""Verb phrases for every action of the corpus, with synonyms and paraphrases (issue §5).

``PHRASES[name](params, facts)`` returns the candidate phrases of one action instance as
``(template, processed_phrase)`` pairs. Templates mark verbs as ``<lemma>`` (inflected by
`captions` for the sentence frame) and the possessive as ``<poss>``. Every candidate states the
parameters that matter (direction, speed when not normal, hand/leg, counts), so any caption built
from them agrees with the motion.
"""

from __future__ import annotations

from collections.abc import Callable

NUM = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times"}

Phrases = list[tuple[str, str]]


def _speed(sp: str) -> list[str]:
    return {"slow": ["slowly", "at a slow pace", "leisurely", "slowly"],
            "normal": ["", "", "at a normal pace", "steadily"],
            "fast": ["quickly", "briskly", "at a fast pace", "fast"]}[sp]


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _hand(h: str, noun: str = "hand") -> list[str]:
    if h == "both":
        return [f"both {noun}s", f"<poss> {noun}s", f"both of <poss> {noun}s"]
    return [f"<poss> {h} {noun}", f"the {h} {noun}"]


def walk(p, f) -> Phrases:
    sp = p["speed"]
    v = {"slow": ["<walk>", "<stroll>", "<walk>"], "normal": ["<walk>", "<walk>", "<move>"],
         "fast": ["<walk>", "<stride>", "<walk>"]}[sp]
    out = [(_join(verb, d, a), _join("walk forward", "" if sp == "normal" else sp.replace("fast", "quickly")
                                     .replace("slow", "slowly")))
           for verb in v for d in ("forward", "ahead", "straight ahead", "forwards") for a in _speed(sp)]
    n = f.get("steps", 0)
    if 2 <= n <= 8 and sp != "fast":
        out += [(_join("<take>", NUM[n], "steps forward", a), "walk forward") for a in _speed(sp)]
    return out


def walk_backward(p, f) -> Phrases:
    sp = p["speed"]
    return [(_join(verb, d, a), "walk backward") for verb in ("<walk>", "<step>", "<move>")
            for d in ("backward", "backwards", "back") for a in _speed(sp)]


def walk_sideways(p, f) -> Phrases:
    s = p["side"]
    return [(t.format(s=s), f"walk sideways {s}") for t in (
        "<walk> sideways to the {s}", "<sidestep> to the {s}", "<step> sideways to <poss> {s}",
        "<move> sideways to the {s}", "<walk> to the {s} sideways", "<shuffle> sideways to the {s}")]


def walk_circle(p, f) -> Phrases:
    cw = "clockwise" if p["side"] == "right" else "counterclockwise"
    s = p["side"]
    if p["amount"] == "half":
        return [(t.format(s=s, cw=cw), "walk half circle") for t in (
            "<walk> in a half circle to the {s}", "<walk> in a {cw} half circle",
            "<walk> a half circle to the {s}",
            "<walk> around in a half circle turning {s}")]
    return [(t.format(s=s, cw=cw), "walk in a circle") for t in (
        "<walk> in a circle to the {s}", "<walk> in a {cw} circle", "<walk> around in a circle {cw}",
        "<walk> in a full circle turning {s}", "<circle> around {cw}")]


def walk_turn(p, f) -> Phrases:
    s = p["side"]
    if p["angle"] == 180:
        return [(t.format(s=s), "walk and turn around") for t in (
            "<walk> forward, <turn> around to the {s} and <walk> back", "<walk> ahead then <turn> around and <walk> back",
            "<walk> forward and <make> a half turn to the {s}",
            "<walk> forward, <turn> around {s} and <come> back")]
    return [(t.format(s=s), f"walk and turn {s}") for t in (
        "<walk> forward and <turn> {s}", "<walk> forward then <turn> to the {s}", "<walk> and <turn> to <poss> {s}",
        "<walk> ahead, turning {s}", "<walk> forward and <make> a {s} turn", "<walk> forward before turning {s}")]


def jog(p, f) -> Phrases:
    if p["in_place"]:
        return [(t, "jog in place") for t in ("<jog> in place", "<jog> on the spot", "<run> in place lightly",
                                                "<jog> in place")]
    a = ["slowly", "lightly", "at a slow pace"] if p["speed"] == "slow" else ["", "", "steadily"]
    return [(_join(v, d, x), "jog forward") for v in ("<jog>", "<jog>") for d in ("forward", "ahead", "")
            for x in a]


def run(p, f) -> Phrases:
    a = ["quickly", "fast", "at a fast pace"] if p["speed"] == "fast" else ["", "", "steadily"]
    return [(_join(v, d, x), "run forward") for v in ("<run>", "<run>", "<dash>") for d in ("forward", "ahead", "")
            for x in a]


def sprint(p, f) -> Phrases:
    return [(t, "sprint forward") for t in (
        "<sprint> forward", "<sprint> ahead", "<run> forward at full speed",
        "<sprint> forward at full speed", "<dash> forward at full speed", "<race> forward")]


def turn(p, f) -> Phrases:
    s = p["side"]
    if p["angle"] == 180:
        return [(t.format(s=s), "turn around") for t in (
            "<turn> around to the {s}", "<turn> around", "<turn> 180 degrees to the {s}", "<turn> around in place",
            "<turn> to face the other way", "<pivot> around to the {s}")]
    return [(t.format(s=s), f"turn {s}") for t in (
        "<turn> {s}", "<turn> to the {s}", "<turn> 90 degrees to the {s}", "<turn> to <poss> {s}",
        "<turn> {s} in place", "<rotate> to the {s}")]


def spin(p, f) -> Phrases:
    s, n = p["side"], p["turns"]
    cw = "clockwise" if s == "right" else "counterclockwise"
    if n == 1:
        return [(t.format(s=s, cw=cw), "spin") for t in (
            "<spin> around", "<spin> around to the {s}", "<spin> in a full circle", "<do> a full turn {cw}",
            "<spin> once to the {s}", "<turn> a full circle to the {s}", "<twirl> around {cw}")]
    return [(t.format(s=s, cw=cw), "spin") for t in (
        "<spin> around twice", "<spin> twice to the {s}", "<do> two full turns {cw}", "<spin> around two times")]


def march(p, f) -> Phrases:
    if p["in_place"]:
        return [(t, "march in place") for t in ("<march> in place", "<march> on the spot",
                                                 "<march> in place lifting <poss> knees high")]
    return [(t, "march forward") for t in ("<march> forward", "<march> ahead", "<march> forward lifting <poss> knees")]


def skip(p, f) -> Phrases:
    return [(t, "skip forward") for t in ("<skip> forward", "<skip> ahead", "<skip> forward happily", "<skip> along")]


def hop(p, f) -> Phrases:
    leg, n = p["leg"], p["count"]
    d = "forward" if p["forward"] else "in place"
    out = [(f"<hop> {d} on <poss> {leg} foot", f"hop {d}"), (f"<hop> {d} on the {leg} leg", f"hop {d}"),
           (f"<hop> on <poss> {leg} leg {TIMES.get(n, '')}".strip(), "hop on one leg")]
    if n in NUM and n > 1:
        out.append((f"<hop> {NUM[n]} times on <poss> {leg} foot", "hop on one leg"))
    return out


def stumble(p, f) -> Phrases:
    return [(t, "stumble") for t in (
        "<stumble> forward and <regain> <poss> balance", "<trip> and <catch> <poss> balance", "<stumble> while walking",
        "<walk> forward and <stumble>", "<trip> over something and <recover>", "<stumble> and almost <fall>")]


def crawl(p, f) -> Phrases:
    return [(t, "crawl forward") for t in (
        "<crawl> forward on <poss> hands and knees", "<get> down and <crawl> forward", "<crawl> on all fours",
        "<crawl> forward on all fours", "<get> on <poss> hands and knees and <crawl>")]


def jump(p, f) -> Phrases:
    k, n = p["kind"], p["count"]
    d = {"up": ["up and down", "in place", "straight up", "on the spot"], "forward": ["forward", "ahead"],
         "backward": ["backward", "backwards"]}[k]
    times = [TIMES[n]] if n > 1 else ["", "once"]
    verbs = ["<jump>", "<jump>", "<hop>"] if k == "up" else ["<jump>", "<leap>"]
    out = [(_join(v, x, tm), f"jump {k}") for v in verbs for x in d for tm in times]
    if n > 1:
        out.append((f"<do> {NUM[n]} jumps {d[0]}", f"jump {k}"))
    return out


def jump_one_leg(p, f) -> Phrases:
    leg, n = p["leg"], p["count"]
    tm = TIMES[n] if n > 1 else "once"
    return [(f"<jump> on <poss> {leg} leg {tm}", "jump on one leg"), (f"<jump> {tm} on the {leg} foot", "jump on one leg"),
            (f"<jump> on one leg, the {leg} one, {tm}", "jump on one leg")]


def jumping_jacks(p, f) -> Phrases:
    n = p["count"]
    return [(f"<do> {NUM[n]} jumping jacks", "do jumping jacks"), ("<do> jumping jacks", "do jumping jacks"),
            (f"<perform> {NUM[n]} jumping jacks", "do jumping jacks")]


def squat(p, f) -> Phrases:
    n = p["count"]
    if p.get("depth") == "deep":   # styles="varied"
        deep = ("<do> a deep squat", "<squat> all the way down and <stand> back up", "<squat> down low once") if n == 1 \
            else (f"<do> {NUM[n]} deep squats", f"<squat> all the way down {TIMES[n]}")
        return [(t, "squat") for t in deep]
    if n == 1:
        return [(t, "squat") for t in ("<squat> down and <stand> back up", "<do> a squat", "<squat> once",
                                        "<crouch> down into a squat and <rise> again")]
    return [(t, "squat") for t in (f"<do> {NUM[n]} squats", f"<squat> {TIMES[n]}", f"<squat> down {TIMES[n]}",
                                    f"<perform> {NUM[n]} squats")]


def lunge(p, f) -> Phrases:
    leg, n = p["leg"], p["count"]
    if leg == "alternate":
        return [(t, "lunge") for t in (
            f"<do> {NUM[n]} lunges alternating legs",
            f"<lunge> forward {TIMES[n]} switching legs",
            f"<do> {NUM[n]} forward lunges, alternating legs",
        )]
    if n == 1:
        return [(t.format(l=leg), "lunge") for t in (
            "<lunge> forward with the {l} leg", "<do> a lunge with <poss> {l} leg", "<step> into a lunge with the {l} foot")]
    return [(t.format(l=leg), "lunge") for t in (
        f"<do> {NUM[n]} lunges with the {{l}} leg", f"<lunge> forward {TIMES[n]} with <poss> {{l}} leg")]


def sit_down(p, f) -> Phrases:
    return [(t, "sit down") for t in ("<sit> down", "<sit> down on a chair", "<take> a seat", "<sit> down on a seat",
                                       "<sit> down onto a chair")]


def stand_up(p, f) -> Phrases:
    return [(t, "stand up") for t in ("<stand> up", "<get> up from the chair", "<rise> from the seat", "<stand> back up",
                                       "<get> up")]


def kneel(p, f) -> Phrases:
    k = p["knee"]
    if k == "both":
        return [(t, "kneel") for t in (
            "<kneel> down on both knees and <get> back up", "<kneel> on both knees briefly",
            "<go> down on <poss> knees and <stand> up again")]
    return [(t.format(k=k), "kneel") for t in (
        "<kneel> down on <poss> {k} knee and <stand> back up",
        "<kneel> on the {k} knee briefly",
        "<go> down on one knee, the {k} one, and <get> up again",
        "<kneel> on one knee, the {k} one",
    )]


def lie_down(p, f) -> Phrases:
    return [(t, "lie down") for t in ("<lie> down on the ground", "<lie> down on <poss> back", "<lie> down on the floor",
                                       "<get> down and <lie> on <poss> back")]


def get_up(p, f) -> Phrases:
    return [(t, "get up") for t in ("<get> up from the ground", "<stand> up from the floor", "<get> up off the ground",
                                     "<rise> to <poss> feet from the floor")]


def pick_up(p, f) -> Phrases:
    h = p["hand"]
    return [(_join(t, w), "pick up") for t in ("<pick> something up from the floor", "<bend> down and <pick> up an object",
                                               "<reach> down to the ground and <pick> something up",
                                               "<pick> up an item from the ground")
            for w in [f"with {x}" for x in _hand(h)]]


def put_down(p, f) -> Phrases:
    h = p["hand"]
    return [(_join(t, w), "put down") for t in ("<put> something down on the floor", "<bend> down and <put> an object on the ground",
                                                "<set> an item down on the ground", "<lower> something to the floor and <put> it down")
            for w in [f"with {x}" for x in _hand(h)]]


def reach_up(p, f) -> Phrases:
    h = p["hand"]
    out = [(f"<reach> up high with {x}", "reach up") for x in _hand(h)]
    out += [(f"<reach> up with {x}", "reach up") for x in _hand(h, "arm")]
    out += [(f"<stretch> {x} up to reach something high", "reach up") for x in _hand(h, "arm")]
    return out


def bow(p, f) -> Phrases:
    if p["depth"] == "deep":
        return [(t, "bow") for t in ("<bow> deeply", "<take> a deep bow", "<bend> forward into a deep bow",
                                      "<bow> down low")]
    return [(t, "bow") for t in ("<bow>", "<bow> slightly", "<take> a small bow", "<bow> <poss> head and chest")]


def stretch(p, f) -> Phrases:
    if p["kind"] == "side":
        return [(t, "side stretch") for t in ("<do> a side stretch", "<stretch> from side to side with arms overhead",
                                               "<lean> to each side to stretch", "<stretch> <poss> sides")]
    return [(t, "stretch arms") for t in ("<stretch> <poss> arms above <poss> head", "<stretch> <poss> arms overhead",
                                           "<stretch> up with both arms", "<do> an overhead stretch")]


def wave(p, f) -> Phrases:
    h = p["hand"]
    out = [(f"<wave> with {x}", "wave") for x in _hand(h)]
    out += [(f"<wave> {x}", "wave") for x in _hand(h)]
    out += [(f"<raise> {x} and <wave>", "wave") for x in _hand(h)]
    if p.get("high"):
        out += [(f"<wave> {x} above <poss> head", "wave") for x in _hand(h, "arm")]
    else:
        out += [(f"<wave> hello with {x}", "wave") for x in _hand(h)]
    return out


def clap(p, f) -> Phrases:
    n = p["count"]
    where = " above <poss> head" if p["overhead"] else ""
    return [(f"<clap> <poss> hands{where} {TIMES[n]}", "clap"), (f"<clap> {TIMES[n]}{where}", "clap"),
            (f"<clap>{where}", "clap"), (f"<clap> <poss> hands together{where}", "clap")]


def raise_arms(p, f) -> Phrases:
    w, plane = p["which"], p["plane"]
    lab = "raise arms" if w == "both" else "raise arm"
    if plane == "hand":   # styles="varied": a bent-elbow hand raise
        out = [(f"<raise> {x} {y}".strip(), lab) for x in _hand(w) for y in ("", "up", "above <poss> head")]
        out += [(f"<put> {x} up", lab) for x in _hand(w)]
        return out
    how = {"forward": ["forward", "in front of <poss> body", "to the front"], "side": ["out to the side" + ("s" if w == "both" else ""),
                                                                                     "sideways"],
           "up": ["up", "above <poss> head", "overhead"]}[plane]
    out = [(f"<raise> {x} {y}", "raise arms" if w == "both" else "raise arm") for x in _hand(w, "arm") for y in how]
    out += [(f"<lift> {x} {y}", "raise arms" if w == "both" else "raise arm") for x in _hand(w, "arm") for y in how[:1]]
    return out


def arm_circles(p, f) -> Phrases:
    d = p["direction"]
    size = "big" if p["size"] == "big" else "small"
    return [(t.format(d=d, s=size), "arm circles") for t in (
        "<do> {s} arm circles {d}", "<circle> <poss> arms {d}", "<make> {s} circles with both arms, going {d}",
        "<rotate> <poss> arms in {s} {d} circles", "<swing> <poss> arms in circles {d}")]


def punch(p, f) -> Phrases:
    h, n = p["hand"], p["count"]
    if h == "alternate":
        return [(t, "punch") for t in (
            f"<punch> {TIMES[n]} alternating fists",
            f"<throw> {NUM[n]} punches with both fists",
            f"<box>, throwing {NUM[n]} punches",
            f"<punch> forward {TIMES[n]}, alternating hands",
        )]
    tm = TIMES[n] if n > 1 else "once"
    thrown = f"a {h} punch" if n == 1 else f"{NUM[n]} {h} punches"
    return [(t, "punch") for t in (
        f"<punch> with the {h} hand {tm}",
        f"<punch> forward {tm} with <poss> {h} fist",
        f"<throw> {thrown}",
        f"<punch> {tm} with <poss> {h} arm",
    )]


def kick(p, f) -> Phrases:
    leg, kind, n = p["leg"], p["kind"], p["count"]
    tm = TIMES[n] if n > 1 else "once"
    if kind == "side":
        return [(t, "side kick") for t in (
            f"<do> a side kick with the {leg} leg {tm}",
            f"<kick> sideways with <poss> {leg} leg {tm}",
            f"<kick> out to the side with the {leg} foot {tm}",
        )]
    return [(t, "kick") for t in (
        f"<kick> forward with <poss> {leg} leg {tm}",
        f"<kick> with the {leg} foot {tm}",
        f"<kick> <poss> {leg} leg forward {tm}",
        f"<do> a front kick with the {leg} leg {tm}",
    )]


def spin_kick(p, f) -> Phrases:
    leg = p["leg"]
    return [(t, "spin and kick") for t in (
        f"<do> a spinning kick with the {leg} leg",
        f"<spin> around and <kick> with <poss> {leg} leg",
        f"<perform> a spin kick with the {leg} foot",
        f"<turn> around quickly and <kick> with the {leg} leg",
    )]


def throw(p, f) -> Phrases:
    h = p["hand"]
    return [(t, "throw") for t in (
        f"<throw> something with <poss> {h} hand",
        f"<throw> a ball overhand with the {h} hand",
        f"<throw> an object forward with <poss> {h} arm",
        f"<throw> with the {h} hand",
        f"<toss> something forward with the {h} hand",
    )]


def cartwheel(p, f) -> Phrases:
    s = p["side"]
    return [(t, "cartwheel") for t in (
        f"<do> a cartwheel to the {s}", f"<cartwheel> to the {s}", f"<perform> a cartwheel towards <poss> {s}",
        f"<do> a cartwheel moving {s}")]


def backflip(p, f) -> Phrases:
    return [(t, "backflip") for t in ("<do> a backflip", "<flip> backward", "<perform> a backflip",
                                       "<jump> up and <do> a backflip", "<do> a back flip")]


def roll(p, f) -> Phrases:
    return [(t, "forward roll") for t in ("<do> a forward roll", "<roll> forward on the ground", "<do> a somersault",
                                           "<tumble> forward into a roll", "<crouch> down and <roll> forward")]


def dance(p, f) -> Phrases:
    st = p["style"]
    extra = {"step_touch": ["stepping from side to side", "with side steps"],
             "twist": ["twisting <poss> hips", "doing the twist"],
             "sway": ["swaying <poss> arms overhead", "swaying from side to side"],
             "bounce": ["bouncing and pumping <poss> arms", "bouncing to the rhythm"]}[st]
    out = [(f"<dance> {e}", "dance") for e in extra]
    out += [("<dance>", "dance"), ("<do> a little dance", "dance"), (f"<do> a dance {extra[0]}", "dance")]
    return out


def sneak(p, f) -> Phrases:
    first = p["first"]
    return [(t, "sneak forward") for t in (
        "<sneak> forward", "<sneak> forward quietly", "<creep> forward carefully with bent knees",
        "<sneak> forward on <poss> toes", f"<sneak> forward, leading with the {first} foot",
        f"<creep> forward on <poss> toes, {first} foot first", "<walk> forward stealthily in a crouch")]


def elbow_to_knee(p, f) -> Phrases:
    first, other = p["first"], "right" if p["first"] == "left" else "left"
    tm = TIMES.get(p["count"], f"{p['count']} times")
    return [(t, "elbow to knee") for t in (
        f"<touch> <poss> {first} elbow to <poss> {other} knee, then <alternate> sides",
        "<bring> each elbow to the opposite knee, alternating sides",
        f"<do> standing cross crunches {tm}, {first} elbow first",
        f"<touch> each elbow to the opposite knee {tm}",
        "<lift> <poss> knees and <twist> to touch them with the opposite elbow")]


def stand(p, f) -> Phrases:
    return [(t, "stand still") for t in ("<stand> still", "<stand> in place", "<wait> in place", "<stand> and <wait>",
                                          "<stay> still")]


PHRASES: dict[str, Callable[[dict, dict], Phrases]] = {
    name: fn for name, fn in globals().items()
    if callable(fn) and not name.startswith("_") and name not in ("Callable",)
    and getattr(fn, "__module__", None) == __name__
}
