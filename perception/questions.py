"""Exploitation questions (the nine Theory-of-Space types), generated from a map.

Every question is multiple choice and is computed by one function of a cognitive map:
applied to the ground truth it gives the correct option, applied to an agent's map it
gives the option that agent's beliefs imply. Language agents answer the text instead.

Route (egocentric): direction, perspective, perception, action_view, view_action.
Survey (allocentric): allocentric, mental_rotation, location_view, view_location.

Example:
    >>> from perception.cogmap import CognitiveMap
    >>> m = CognitiveMap.from_dict({"chair": [0, 2], "table": [2, 0], "lamp": [-3, 1], "vase": [1, 5], "sofa": [4, 4]})
    >>> qs = generate_questions(m, seed=0, per_type=1)
    >>> all(answer_from_map(q, m) == q.answer for q in qs)
    True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from perception.belief import direction_bin8, is_door
from perception.cogmap import CognitiveMap

COMPASS8 = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
SIDES = ("front", "right", "behind", "left")
QUESTION_TYPES = ("direction", "perspective", "perception", "action_view", "view_action",
                  "allocentric", "mental_rotation", "location_view", "view_location")
_FACING_DEG = {"north": 0.0, "east": 90.0, "south": 180.0, "west": 270.0}


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    options: tuple[str, ...]
    answer: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _objects(m: CognitiveMap) -> dict[str, tuple[float, float]]:
    return {n: e.position for n, e in m.entries.items() if n != "agent" and not is_door(n) and e.position is not None}


def _compass(v) -> float:
    return math.degrees(math.atan2(v[0], v[1])) % 360.0


def _rel(angle: float) -> float:
    return (angle + 180.0) % 360.0 - 180.0


# -- one function per type: (map, params) -> option or None ------------------------------
def _direction(m, p):
    o = _objects(m)
    if p["a"] not in o or p["b"] not in o:
        return None
    a, b = o[p["a"]], o[p["b"]]
    k = direction_bin8(b[0] - a[0], b[1] - a[1])
    return COMPASS8[(k + p.get("turn", 0)) % 8] if k < 8 else None


def _perspective(m, p):
    o = _objects(m)
    if p["a"] not in o or p["b"] not in o:
        return None
    a, b = o[p["a"]], o[p["b"]]
    ang = _rel(_compass((b[0] - a[0], b[1] - a[1])) - p["heading"])
    return SIDES[int(((ang + 45.0) % 360.0) // 90.0)]


def _closest_to(m, p):
    o = _objects(m)
    if p["a"] not in o or not all(x in o for x in p["options"]):
        return None
    return min(p["options"], key=lambda x: math.dist(o[x], o[p["a"]]))


def _most_ahead(m, p):
    o = _objects(m)
    origin = o.get(p["from"], (0.0, 0.0)) if p.get("from") else (0.0, 0.0)
    if (p.get("from") and p["from"] not in o) or not all(x in o for x in p["options"]):
        return None
    return min(p["options"], key=lambda x: abs(_rel(_compass((o[x][0] - origin[0], o[x][1] - origin[1])) - p["heading"])))


def _turn_to_face(m, p):
    o = _objects(m)
    if p["b"] not in o:
        return None
    return str(int(round(_compass(o[p["b"]]) / 90.0)) % 4 * 90)


def _furthest_north(m, p):
    o = _objects(m)
    if not all(x in o for x in p["options"]):
        return None
    return max(p["options"], key=lambda x: o[x][1])


def _from_which(m, p):
    o = _objects(m)
    if p["b"] not in o:
        return None
    hits = [x for x in p["options"] if x in o and _direction(m, {"a": x, "b": p["b"]}) == p["dir"]]
    return hits[0] if len(hits) == 1 else None


SOLVERS = {
    "direction": _direction, "perspective": _perspective, "perception": _closest_to, "action_view": _most_ahead,
    "view_action": _turn_to_face, "allocentric": _furthest_north, "mental_rotation": _direction,
    "location_view": _most_ahead, "view_location": _from_which,
}


def answer_from_map(q: Question, m: CognitiveMap) -> str | None:
    """The option that map `m` implies for question `q` (None if the map lacks what is needed)."""
    return SOLVERS[q.kind](m, q.params)


def generate_questions(truth: CognitiveMap, seed: int, per_type: int = 2) -> list[Question]:
    """Up to `per_type` unambiguous questions of each type about the objects in `truth`."""
    rng = np.random.default_rng([seed, 4242])
    o = _objects(truth)
    names = sorted(o)
    out: list[Question] = []
    if len(names) < 4:
        return out
    for kind in QUESTION_TYPES:
        made = 0
        for _ in range(60):
            if made == per_type:
                break
            q = _make(kind, truth, o, names, rng)
            if q is not None and answer_from_map(q, truth) == q.answer:
                out.append(q)
                made += 1
    return out


def _pick(rng, names, k):
    return [names[i] for i in rng.choice(len(names), size=k, replace=False)]


def _make(kind, truth, o, names, rng) -> Question | None:
    if kind in ("direction", "mental_rotation"):
        a, b = _pick(rng, names, 2)
        v = (o[b][0] - o[a][0], o[b][1] - o[a][1])
        if abs(_rel(_compass(v) % 45.0 - 22.5)) < 5:  # too close to a bin edge
            return None
        turn = 2 if kind == "mental_rotation" else 0
        params = {"a": a, "b": b, "turn": turn}
        text = (f"From the {a}, in which direction is the {b}?" if not turn else
                f"Imagine the whole layout turned 90 degrees clockwise about your start point. "
                f"In which direction from the {a} would the {b} then be?")
        return Question(kind, text, COMPASS8, _direction(truth, params), params)
    if kind == "perspective":
        a, b = _pick(rng, names, 2)
        facing = truth.entries[a].facing or "north"
        params = {"a": a, "b": b, "heading": _FACING_DEG[facing]}
        ang = _rel(_compass((o[b][0] - o[a][0], o[b][1] - o[a][1])) - params["heading"])
        if abs(abs(ang) % 90.0 - 45.0) < 5:
            return None
        text = f"Imagine you stand at the {a} facing {facing}. Is the {b} in front of you, to your right, behind you or to your left?"
        return Question(kind, text, SIDES, _perspective(truth, params), params)
    if kind == "perception":
        a, *opts = _pick(rng, names, 5)
        d = sorted(math.dist(o[x], o[a]) for x in opts)
        if d[1] - d[0] < 0.5:
            return None
        params = {"a": a, "options": opts}
        return Question(kind, f"Which of these is closest to the {a}?", tuple(opts), _closest_to(truth, params), params)
    if kind in ("action_view", "location_view"):
        opts = _pick(rng, names, 4)
        heading = float(rng.choice([0.0, 90.0, 180.0, 270.0]))
        frm = None
        if kind == "location_view":
            frm = _pick(rng, [n for n in names if n not in opts], 1)[0]
        params = {"options": opts, "heading": heading, "from": frm}
        origin = o[frm] if frm else (0.0, 0.0)
        angles = sorted(abs(_rel(_compass((o[x][0] - origin[0], o[x][1] - origin[1])) - heading)) for x in opts)
        if angles[1] - angles[0] < 5:
            return None
        if kind == "action_view":
            text = f"At your start, facing north, you turn {int(heading)} degrees clockwise. Which of these is most nearly straight ahead?"
        else:
            text = f"Standing at the {frm} facing {_name_of(heading)}, which of these would be most nearly straight ahead?"
        return Question(kind, text, tuple(opts), _most_ahead(truth, params), params)
    if kind == "view_action":
        b = _pick(rng, names, 1)[0]
        if abs(_compass(o[b]) % 90.0 - 45.0) < 5:
            return None
        params = {"b": b}
        text = f"At your start, facing north: how many degrees must you turn clockwise to face the {b} most directly?"
        return Question(kind, text, ("0", "90", "180", "270"), _turn_to_face(truth, params), params)
    if kind == "allocentric":
        opts = _pick(rng, names, 4)
        ys = sorted((o[x][1] for x in opts), reverse=True)
        if ys[0] - ys[1] < 0.5:
            return None
        params = {"options": opts}
        return Question(kind, "Which of these objects is furthest north?", tuple(opts), _furthest_north(truth, params), params)
    if kind == "view_location":
        b, x = _pick(rng, names, 2)
        d = _direction(truth, {"a": x, "b": b})
        if d is None:
            return None
        others = [y for y in names if y not in (b, x) and _direction(truth, {"a": y, "b": b}) != d]
        if len(others) < 3:
            return None
        opts = sorted([x] + _pick(rng, others, 3))
        params = {"b": b, "dir": d, "options": opts}
        text = f"You see the {b} to your {d} (8-way compass). Next to which of these objects are you standing?"
        return Question(kind, text, tuple(opts), x, params)
    return None


def _name_of(heading: float) -> str:
    return {0.0: "north", 90.0: "east", 180.0: "south", 270.0: "west"}[heading]
