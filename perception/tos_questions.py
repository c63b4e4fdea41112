"""The nine Theory-of-Space evaluation questions, generated and checked as ToS does (the `tos` set).

spacelab's own nine multiple-choice types stay in perception.questions (the `spacelab` set);
this module is what the exploitation protocol asks in the `tos` profile. The rules are ToS's,
re-implemented here; only the fixed phrases (templates, labels, answer formats) are ToS's own.

Reference: ToS's published code (mll-lab-nu/Theory-of-Space, vagen/env/spatial/Base/tos_base):
evaluation/direction.py, rotation.py, e2a.py, localization.py, navigation_tasks.py, tasks.py,
task_types.py (its nine text tasks: dir, pov, bwd_pov_text, fwd_fov, bwd_nav_text, e2a, rot,
fwd_loc, bwd_loc_text) and utils/eval_utilities.py (`evaluate_task_answer` and the per-task
evaluators). Every question is open-answer: ToS's current tasks have no choices. (The human-study
fork williamzhangNU/ToS_Human wraps the same nine types as four lettered choices checked by
`multi_choice_eval_fn`; `check_choice` is that rule, for completeness.)

ToS name -> spacelab name (the column order of ToS's results table):
    dir -> direction, pov -> perspective, bwd_pov -> perception ("perc.dec": which object's
    viewpoint gives this view), fwd_fov -> action_view, bwd_nav -> view_action,
    e2a -> allocentric, rot -> mental_rotation, fwd_loc -> location_view, bwd_loc -> view_location.

The ToS world is built from the SceneSpec (`World.from_spec`) in the start frame (origin at the
start, +y = the start heading = "north"): objects (scene order) then doors ("room.all_objects"),
ToS names (`tos_text.tos_name`: "red door"), integer facings, rooms as rectangles. ToS's rules
that depend on its world are applied to it: an entity is visible from a pose when it is not at
the pose, shares a room with it (an agent or door in a doorway is in both rooms) and lies within
45 deg of the facing (cosine >= 0.707 - 1e-3); bins are perception.tos_text's (EgoFrontBins,
StandardDistanceBins, CardinalBinsAllo); bearings are ToS's (clockwise, 0 for a zero vector).

Checking (`check(q, reply)`, a score in [0, 1], never raises): the reply's ``<answer>...</answer>``
(first, case-insensitive) if there is one, else the whole reply, stripped; then the type's rule:
- dir, pov, fwd_fov, fwd_loc (`score_relation`): the reply is split into two labels (a
  bracketed/parenthesised or comma list, else ``;``/newline segments, else words: the last word
  is the distance); labels are compared after lower-casing and removing spaces and hyphens, with
  ToS's aliases ("fl" = front-left, "mid" = mid distance, "ne" = north east, ...), and a label
  also matches a component of the other ("front" matches "front-left"); the score is the share
  of the two that match, in the given or the swapped order, whichever is higher (0, 0.5, 1).
- bwd_pov (`score_viewpoint`): 1 when the name matches the answer (same label rule) or when the
  named entity (lower-cased ToS name) is an object whose own pose sees the described entity with
  the same direction, distance and facing bins; else 0.
- bwd_nav (`score_actions`): the reply must be ``Rotate(d)`` / ``JumpTo(name)`` items separated
  by commas (anything else: 0); it is run from the start facing north: a rotation must be a
  multiple of 90, a JumpTo target must exist and lie within the 45-deg cone (no room rule:
  ToS's evaluator checks the cone only); at the end every described entity must be in the cone
  with the described direction and distance bins. 1 or 0.
- e2a (`score_coordinates`): every ``x, y`` number pair in the reply, in order; their count must
  equal the objects'; score = (pos + dir) / 2 by ToS's map rules (perception.tos_metrics) with
  L = RMS of the true coordinates (1 when 0).
- rot (`score_sequence`): the reply's list (first (...) or [...] if any, comma separated,
  quotes stripped) must equal the answer item by item (case and repeated spaces ignored).
- bwd_loc (`score_location`): the first ``x, y`` number pair; exp(-|p - g| / |g|) (|g| = 0:
  1 if exact else 0).

Where ToS's world cannot be mapped (also in docs/tos-questions.md):
1. Positions are metres, not cells. Objects sit on cell centres, so in a start frame whose
   origin is a cell centre their coordinates are whole; doors sit on wall lines and have a half
   metre in one coordinate. Coordinates are written as ToS writes integers when whole and with
   two decimals otherwise (`tos_text.coord_text`), so a location relative to a door reads
   "(2.50, -1)".
2. Visibility is ToS's room rule above, not physics: questions are about the layout, and the
   same question must not depend on how a robot's camera rays fall.
3. Agent poses for fwd_loc/bwd_loc are the cell centres of a room that hold no object (ToS: free
   grid cells of the room); rooms are all eligible (spacelab room ids start at 0, ToS's at 1).
4. rot and every "You return to your starting position" question use the start pose (ToS reads
   its agent, which it resets to the start for evaluation).
5. Observation facings read "facing forward|backward|left|right" for objects and "on front|back|
   left|right wall" for doors (ToS's ObserveAction words); ToS's evaluation templates prefix a
   further "facing", which with its relationship strings can double the word ("facing facing
   forward"); the doubling is left out.
6. ToS's generator has evolved; where two of its versions disagree the newest rule is used:
   bwd_pov accepts a consistent viewpoint as well as the exact name, bwd_loc is scored by
   coordinate similarity alone (an earlier rule also compared the predicted coordinate, relative
   to the origin, with absolute object positions), a door's facing is its wall.
7. Randomness: a numpy Generator seeded from (seed, 4243, type index), so one type's questions do
   not depend on another's; ToS draws in its own order from one generator. The same seed always
   gives the same questions here, never ToS's exact questions for a ToS room.

Example:
    >>> from scenes.suites import load_suite_scene
    >>> world = World.from_spec(load_suite_scene("tos-3room", 3))
    >>> qs = generate_questions(world, seed=3, per_type=1)
    >>> [q.tos_type for q in qs] == list(TOS_TYPES)
    True
    >>> qs[0].text.splitlines()[1], qs[0].answer
    ('From a Top-Down map, describe where fan is relative to desk.', 'south east, far')
    >>> check(qs[0], "<think>...</think><answer>South-East, far</answer>"), check(qs[0], "south east, near")
    (1.0, 0.5)
    >>> all(check(q, solve(q, world), world) == 1.0 for q in qs)
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from perception.cogmap import CognitiveMap
from perception.tos_metrics import score_map_tos
from perception.tos_text import cardinal_bin, coord_text, direction_bin, distance_bin, tos_name
from scenes.frames import to_start_frame
from scenes.spec import SceneSpec

# -- the nine types ---------------------------------------------------------------------------
TOS_TYPES = ("dir", "pov", "bwd_pov", "fwd_fov", "bwd_nav", "e2a", "rot", "fwd_loc", "bwd_loc")
SPACELAB_NAME = {"dir": "direction", "pov": "perspective", "bwd_pov": "perception", "fwd_fov": "action_view",
                 "bwd_nav": "view_action", "e2a": "allocentric", "rot": "mental_rotation",
                 "fwd_loc": "location_view", "bwd_loc": "view_location"}
TOS_CLASS = {"dir": "DirectionEvaluationTask", "pov": "PovEvaluationTask", "bwd_pov": "BackwardPovTextEvaluationTask",
             "fwd_fov": "Action2ViewEvaluationTask", "bwd_nav": "View2ActionTextEvaluationTask",
             "e2a": "AlloMappingEvaluationTask", "rot": "RotEvaluationTask", "fwd_loc": "Action2LocationEvaluationTask",
             "bwd_loc": "Location2ActionTextEvaluationTask"}

# -- templates (ToS's wording) ----------------------------------------------------------------
DIR_TEMPLATE = ("You return to your starting position and face north.\n"
                "From a Top-Down map, describe where {obj_name} is relative to {anchor_name}.\n"
                "Answer format: cardinal direction-bin, distance-bin\n"
                "Example: north-west, near\n")
POV_TEMPLATE = ("Now you jump to where the {anchor_name} is and face the way it faces.\n"
                "Describe {obj_name}'s egocentric relation.\n"
                "Answer format: direction-bin, distance-bin\n"
                "Example: front, near\n")
BWD_POV_TEMPLATE = ("Now you jump to an oriented object's position, facing its direction.\n"
                    "You observe that {observation}.\n"
                    "Which object are you standing at?\n"
                    "Answer format: <object>\n"
                    "Example: lamp\n")
FWD_FOV_TEMPLATE = ("You return to your starting position and face north.\n"
                    "You will execute the following action sequence:\n"
                    "{actions}\n\n"
                    "After executing the actions, what is the egocentric relation of {target}?\n\n"
                    "Answer format: <direction>, <distance>\n"
                    "Example: front, near\n")
BWD_NAV_TEMPLATE = ("You return to your starting position and face north.\n"
                    "Then you have executed an action sequence and changed to a new location and facing direction.\n"
                    "You observe the following:\n"
                    "{final_obs}\n\n"
                    "What action sequence led to this final view?\n\n"
                    "Answer format: use a valid action sequence\n"
                    "Example: Rotate(90), JumpTo(lamp), JumpTo(chair), Rotate(90)\n")
E2A_TEMPLATE = ("Treat your starting position as the origin (0, 0) while facing north.\n"
                "Report allocentric coordinates using (x right/east, y up/north).\n"
                "Objects: {object_list}.\n"
                "Answer format: (x0, y0); (x1, y1); ... in the same order.\n"
                "Example: (1, 0); (-2, 3); (0, -1)\n")
ROT_TEMPLATE = ("You return to your starting position and face north.\n"
                "You will perform a full 360-degree rotation by continuously turning {turn_direction} in place.\n"
                "Assume all walls are removed (you can see through walls), so every object is visible.\n"
                "Focus on this set of objects: {object_pool}.\n"
                "List them in the exact order they appear directly ahead while you rotate.\n"
                "If two objects share a bearing, place the nearer one first.\n\n"
                "Answer format: <object_name1>, <object_name2>, ...\n"
                "Example: mug, sofa, plant\n")
FWD_LOC_ACTION = ("Treat {origin_name} as the origin (0, 0), and your starting facing direction is north.\n"
                  "You move to {loc} and face {direction}.\n")
FWD_LOC_QUESTION = ("What is the egocentric relation of {target}?\n\n"
                    "Answer format: <direction>, <distance>\n"
                    "Example: front, near\n")
BWD_LOC_ACTION = ("You move to a new location and your current facing direction is {orientation}.\n"
                  "{observations}\n")
BWD_LOC_QUESTION = ("Treat {origin_name} as the origin (0, 0), and your starting facing direction is north.\n"
                    "What is your current 2D coordinate (x, y)?\n\n"
                    "Answer format: (x, y)\n"
                    "Example: (2, -1)\n")
START_ORIGIN = "your starting position"

ORIS = ((0, 1), (1, 0), (0, -1), (-1, 0))  # north, east, south, west (ToS's order)
ORI_NAME = {(0, 1): "north", (1, 0): "east", (0, -1): "south", (-1, 0): "west"}
NAME_ORI = {v: k for k, v in ORI_NAME.items()}
ORI_DEG = {(0, 1): 0, (1, 0): 90, (0, -1): 180, (-1, 0): 270}
DEG_ORI = {v: k for k, v in ORI_DEG.items()}
_EGO_FACING = {0: "forward", 90: "right", 180: "backward", 270: "left"}
_GATE_WALL = {0: "back", 90: "left", 180: "front", 270: "right"}  # door normal relative to your facing
COS_FOV = 0.707 - 1e-3  # BaseAction._is_visible, 90-deg field of view
COS_45 = math.cos(math.radians(45.0)) - 1e-3  # eval_utilities._is_visible_from
MAX_RETRY = 10  # ToS's retry_generate_question
MAX_REPLY = 20_000  # longer replies are cut before parsing (ToS has no limit; this keeps regexes cheap)


# -- the world ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Body:
    """One ToS entity in the start frame: `name` is spacelab's, `label` ToS's ("red door")."""

    name: str
    label: str
    pos: tuple[float, float]
    ori: tuple[int, int] | None  # None: no facing (ToS's has_orientation False)
    rooms: frozenset[int]
    gate: bool = False
    inward: tuple[tuple[int, tuple[int, int]], ...] = ()  # gates: (room, normal into that room)


@dataclass(frozen=True)
class World:
    """Entities (objects in scene order, then doors), rooms as start-frame rectangles
    (id, xmin, ymin, xmax, ymax) and the room(s) of the start."""

    bodies: tuple[Body, ...]
    rooms: tuple[tuple[int, float, float, float, float], ...]
    start_rooms: frozenset[int]

    @classmethod
    def from_spec(cls, spec: SceneSpec) -> "World":
        sp, sh = spec.start_position, spec.start_heading

        def sf(p):
            x, y = to_start_frame(p, sp, sh)
            return (_clean(x), _clean(y))

        rooms = []
        for r in spec.rooms:
            (ax, ay), (bx, by) = sf((r.x0, r.y0)), sf((r.x0 + r.width, r.y0 + r.height))
            rooms.append((r.id, min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
        bodies = []
        for o in spec.objects:
            ori = DEG_ORI[int(round((o.heading - sh) / 90.0)) % 4 * 90] if o.has_facing else None
            bodies.append(Body(o.name, tos_name(o.name), sf(o.position), ori, frozenset({o.room})))
        for d in spec.doors:
            p = sf(d.position)
            normal = (1.0, 0.0) if d.axis == "y" else (0.0, 1.0)  # world normal of the wall
            q = sf((d.position[0] + normal[0], d.position[1] + normal[1]))
            n = (int(round(q[0] - p[0])), int(round(q[1] - p[1])))
            inward = []
            for rid in d.rooms:
                c = next(((x0 + x1) / 2, (y0 + y1) / 2) for i, x0, y0, x1, y1 in rooms if i == rid)
                side = (c[0] - p[0]) * n[0] + (c[1] - p[1]) * n[1]
                inward.append((rid, n if side > 0 else (-n[0], -n[1])))
            bodies.append(Body(d.name, tos_name(d.name), p, inward[0][1], frozenset(d.rooms), True, tuple(inward)))
        return cls(tuple(bodies), tuple(rooms), frozenset(_rooms_at(rooms, (0.0, 0.0))))

    @classmethod
    def from_map(cls, m: CognitiveMap, truth: "World") -> "World":
        """The world an agent believes in: positions and facings from its map (start frame,
        spacelab names), everything else (names, rooms' extent, doors' rooms) from `truth`.
        An object lies in the room whose rectangle holds its believed position (else the
        nearest); entities the map lacks are left out."""
        bodies = []
        for b in truth.bodies:
            e = m.entries.get(b.name)
            if e is None or e.position is None:
                continue
            pos = (float(e.position[0]), float(e.position[1]))
            if b.gate:
                bodies.append(Body(b.name, b.label, pos, b.ori, b.rooms, True, b.inward))
                continue
            ori = NAME_ORI.get(e.facing) if isinstance(e.facing, str) else None
            bodies.append(Body(b.name, b.label, pos, ori, frozenset({_nearest_room(truth.rooms, pos)})))
        return cls(tuple(bodies), truth.rooms, truth.start_rooms)

    # lookups
    @property
    def objects(self) -> list[Body]:
        return [b for b in self.bodies if not b.gate]

    def by_label(self, label: str) -> Body | None:
        return next((b for b in self.bodies if b.label == label), None)

    def in_rooms(self, rooms: Iterable[int]) -> list[Body]:
        """ToS's objects_by_room + gates_by_room of each room, in order, without repeats."""
        out: list[Body] = []
        for rid in rooms:
            for b in [b for b in self.bodies if not b.gate] + [b for b in self.bodies if b.gate]:
                if rid in b.rooms and b not in out:
                    out.append(b)
        return out


def _clean(v: float) -> float:
    r = round(float(v), 6)
    return 0.0 if r == 0 else r


def _rooms_at(rooms, p) -> set[int]:
    return {i for i, x0, y0, x1, y1 in rooms if x0 - 1e-6 <= p[0] <= x1 + 1e-6 and y0 - 1e-6 <= p[1] <= y1 + 1e-6}


def _nearest_room(rooms, p) -> int:
    inside = [i for i, x0, y0, x1, y1 in rooms if x0 < p[0] < x1 and y0 < p[1] < y1]
    if inside:
        return inside[0]
    return min(rooms, key=lambda r: math.hypot(p[0] - (r[1] + r[3]) / 2, p[1] - (r[2] + r[4]) / 2))[0]


# -- ToS geometry --------------------------------------------------------------------------------
def bearing(target, origin, ori=(0, 1)) -> float:
    """ToS's bearing of `target` seen from `origin` facing `ori`: degrees, + clockwise; 0 for
    coincident points (DegreeRel.from_positions)."""
    dx, dy = float(target[0]) - float(origin[0]), float(target[1]) - float(origin[1])
    if abs(dx) < 1e-6 and abs(dy) < 1e-6:
        return 0.0
    n = math.hypot(ori[0], ori[1]) or 1.0
    ax, ay = ori[0] / n, ori[1] / n
    return -math.degrees(math.atan2(ax * dy - ay * dx, ax * dx + ay * dy))


def _same(a, b) -> bool:
    return abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6


def in_cone(pos, ori, target, cos_min: float = COS_FOV) -> bool:
    """Within the 90-deg field of view (and not at the same place)."""
    dx, dy = target[0] - pos[0], target[1] - pos[1]
    d = math.hypot(dx, dy)
    if d < 1e-6:
        return False
    n = math.hypot(ori[0], ori[1]) or 1.0
    return (dx * ori[0] + dy * ori[1]) / (d * n) >= cos_min


def visible(pos, ori, rooms: Iterable[int], body: Body) -> bool:
    """ToS's BaseAction._is_visible: not at the pose, a room in common, within the cone."""
    return bool(set(rooms) & body.rooms) and in_cone(pos, ori, body.pos)


def relation(target, pos, ori) -> tuple[str, str]:
    """(egocentric direction bin, distance bin) of `target` from a pose."""
    return direction_bin(bearing(target, pos, ori)), distance_bin(math.dist(target, pos))


def _rel_deg(a, b) -> int:
    return (ORI_DEG[tuple(a)] - ORI_DEG[tuple(b)]) % 360


def facing_label(body: Body, ori, rooms: Iterable[int]) -> str | None:
    """What ToS's Observe says of an entity's facing: ``facing forward`` (objects with a
    facing), ``on back wall`` (doors: the wall of the room you share), None otherwise."""
    if body.gate:
        shared = sorted(set(rooms) & body.rooms)
        inward = dict(body.inward)
        normal = inward.get(shared[0]) if len(shared) >= 1 else body.ori
        return f"on {_GATE_WALL[_rel_deg(normal, ori)]} wall"
    if body.ori is None:
        return None
    return f"facing {_EGO_FACING[_rel_deg(body.ori, ori)]}"


@dataclass(frozen=True)
class Sight:
    name: str  # ToS label
    direction: str
    distance: str
    facing: str | None = None
    degree: float = 0.0
    dist: float = 0.0


def observe(world: World, pos, ori, rooms: Iterable[int]) -> list[Sight]:
    """ToS's Observe from a pose: every visible entity (objects, then doors) but those at the pose."""
    rooms = set(rooms)
    out = []
    for b in world.bodies:
        if _same(b.pos, pos) or not visible(pos, ori, rooms, b):
            continue
        d, s = relation(b.pos, pos, ori)
        out.append(Sight(b.label, d, s, facing_label(b, ori, rooms), bearing(b.pos, pos, ori), math.dist(b.pos, pos)))
    return out


def sight_text(s: Sight, at: bool = False) -> str:
    """``lamp is front, near, facing forward`` (``is at`` for the localisation/navigation views)."""
    txt = f"{s.name} is {'at ' if at else ''}{s.direction}, {s.distance}"
    return f"{txt}, {s.facing}" if s.facing else txt


def _sight_dict(s: Sight) -> dict:
    return {"name": s.name, "direction": s.direction, "distance": s.distance, "orientation": s.facing}


# -- questions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TosQuestion:
    """One ToS question. `answer` is ToS's answer payload (a label pair, a list, or a dict for
    the types checked by simulation); `params` holds what a map-based solver may use (only what
    the text says); `options` is empty: every ToS question is open-answer."""

    tos_type: str
    text: str
    answer: Any
    params: dict = field(default_factory=dict)
    options: tuple = ()

    @property
    def kind(self) -> str:
        return SPACELAB_NAME[self.tos_type]

    def to_dict(self) -> dict:
        return {**asdict(self), "kind": self.kind}


def generate_questions(world: World | SceneSpec, seed: int, per_type: int = 2,
                       types: Sequence[str] = TOS_TYPES) -> list[TosQuestion]:
    """Up to `per_type` distinct questions of each type (a type whose preconditions fail, e.g.
    no object with a facing sees anything, gives fewer). Same seed, same questions."""
    if isinstance(world, SceneSpec):
        world = World.from_spec(world)
    out: list[TosQuestion] = []
    for t in types:
        rng = np.random.default_rng([int(seed), 4243, TOS_TYPES.index(t)])
        seen: set[str] = set()
        for _ in range(per_type):
            for _ in range(MAX_RETRY):  # ToS: retry_generate_question, de-duplicated by question
                q = GENERATORS[t](world, rng)
                if q is None:
                    break
                if q.text not in seen:
                    seen.add(q.text)
                    out.append(q)
                    break
    return out


def _pick(rng, seq):
    return seq[int(rng.integers(0, len(seq)))]


def _gen_dir(world: World, rng) -> TosQuestion | None:
    objs = list(world.objects)
    if len(objs) < 2:
        return None
    rng.shuffle(objs)
    obj, anchor = objs[0], objs[1]
    b = bearing(obj.pos, anchor.pos)
    answer = f"{cardinal_bin(b)}, {distance_bin(math.dist(obj.pos, anchor.pos))}"
    return TosQuestion("dir", DIR_TEMPLATE.format(obj_name=obj.label, anchor_name=anchor.label), answer,
                       {"obj": obj.label, "anchor": anchor.label})


def _visible_from_anchor(world: World, anchor: Body, rng) -> list[Body]:
    others = [o for o in world.objects if o is not anchor]
    rng.shuffle(others)
    return [o for o in others if not _same(o.pos, anchor.pos) and visible(anchor.pos, anchor.ori, anchor.rooms, o)]


def _gen_pov(world: World, rng) -> TosQuestion | None:
    oriented = [o for o in world.objects if o.ori is not None]
    rng.shuffle(oriented)
    for anchor in oriented:
        vis = _visible_from_anchor(world, anchor, rng)
        if vis:
            target = _pick(rng, vis)
            d, s = relation(target.pos, anchor.pos, anchor.ori)
            return TosQuestion("pov", POV_TEMPLATE.format(anchor_name=anchor.label, obj_name=target.label),
                               f"{d}, {s}", {"anchor": anchor.label, "obj": target.label})
    return None


def _gen_bwd_pov(world: World, rng) -> TosQuestion | None:
    oriented = [o for o in world.objects if o.ori is not None]
    rng.shuffle(oriented)
    for anchor in oriented:
        obs = observe(world, anchor.pos, anchor.ori, anchor.rooms)
        if obs:
            s = _pick(rng, obs)
            text = BWD_POV_TEMPLATE.format(observation=sight_text(s))
            return TosQuestion("bwd_pov", text, {"answer": anchor.label, "final_observation": [_sight_dict(s)]},
                               {"observation": _sight_dict(s)})
    return None


# navigation (fwd_fov, bwd_nav) --------------------------------------------------------------------
@dataclass
class _Pose:
    pos: tuple[float, float]
    ori: tuple[int, int]
    rooms: frozenset[int]


def _start(world: World) -> _Pose:
    return _Pose((0.0, 0.0), (0, 1), world.start_rooms)


def _closest_cardinal(vec) -> tuple[int, int]:
    dots = [vec[0] * b[0] + vec[1] * b[1] for b in ORIS]
    return ORIS[int(np.argmax(dots))]


def _delta(cur, des) -> int:
    return (ORI_DEG[tuple(des)] - ORI_DEG[tuple(cur)] + 540) % 360 - 180


def _turn(ori, deg: int) -> tuple[int, int]:
    return DEG_ORI[(ORI_DEG[tuple(ori)] + int(deg)) % 360]


def _plan(world: World, rng, steps: int):
    """ToS's _generate_plan: `steps` jumps from the start, each to an entity of the current
    room(s) (a door 60% of the time when one is there; after a door, an object of the room
    entered), each preceded by the turn to the nearest cardinal facing it; then a final turn to
    a facing that sees something. Returns the plan and the end pose."""
    a = _start(world)
    plan: list[tuple[str, Any]] = []
    last_gate, other_rooms = False, []
    for _ in range(steps):
        rooms = sorted(a.rooms)
        cand = [b for b in world.in_rooms(rooms) if not _same(b.pos, a.pos)]
        if not cand:
            return None
        gates = [b for b in cand if b.gate]
        non_gate = [b for b in cand if not b.gate]
        if last_gate:
            pool = [b for b in non_gate if b.rooms & set(other_rooms)] or non_gate or gates
            target = _pick(rng, pool)
        elif gates and int(rng.integers(0, 10)) < 6:
            target = _pick(rng, gates)
        else:
            target = _pick(rng, non_gate or cand)
        d = _delta(a.ori, _closest_cardinal((target.pos[0] - a.pos[0], target.pos[1] - a.pos[1])))
        if d:
            plan.append(("rotate", d))
            a.ori = _turn(a.ori, d)
        plan.append(("jumpto", target.label))
        a = _Pose(target.pos, a.ori, target.rooms)
        last_gate = target.gate
        other_rooms = [r for r in target.rooms if r not in rooms] if target.gate else []
    valid = [o for o in ORIS if observe(world, a.pos, o, a.rooms)]
    final = valid[int(rng.integers(0, len(valid)))] if valid else (0, 1)
    d = _delta(a.ori, final)
    if d:
        plan.append(("rotate", d))
        a.ori = _turn(a.ori, d)
    return plan, a


def _sample_plan(world: World, rng, steps: int, attempts: int = 5):
    for _ in range(attempts):
        got = _plan(world, rng, steps)
        if got is None:
            return None
        plan, end = got
        vis = observe(world, end.pos, end.ori, end.rooms)
        if vis:
            return plan, end, vis
    return None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _nearfar(i: int, k: int) -> str:
    return "nearest" if i == 1 else "farthest" if i == k else f"{_ordinal(i)} nearest"


def _describe_jump(world: World, a: _Pose, target: Body) -> tuple[str, dict]:
    """ToS's _describe_target: the jump as the target's bins, with its rank among the visible
    entities sharing its direction bin (by bearing, from the left) and its distance bin (by
    distance) when it is not alone there. Returns the text and its parameters."""
    d, s = relation(target.pos, a.pos, a.ori)
    vis = observe(world, a.pos, a.ori, a.rooms)
    dir_group = sorted((v for v in vis if v.direction == d), key=lambda v: v.degree)
    dist_group = sorted((v for v in vis if v.distance == s), key=lambda v: v.dist)
    step = {"direction": d, "distance": s, "dir_rank": None, "dist_rank": None, "dist_count": len(dist_group)}
    phrases = []
    if len(dir_group) > 1:
        step["dir_rank"] = 1 + next(i for i, v in enumerate(dir_group) if v.name == target.label)
        phrases.append(f"{_ordinal(step['dir_rank'])} from left")
    if len(dist_group) > 1:
        step["dist_rank"] = 1 + next(i for i, v in enumerate(dist_group) if v.name == target.label)
        phrases.append(f"{_nearfar(step['dist_rank'], len(dist_group))} one")
    if phrases:
        return f"Among objects which are {d}, {s}, you jump to the " + " also ".join(phrases) + ".", step
    return f"Jump to the object at {d}, {s}.", step


def _plan_text(world: World, plan) -> tuple[str, list]:
    a = _start(world)
    lines, steps = [], []
    for i, (act, v) in enumerate(plan, start=1):
        if act == "rotate":
            a.ori = _turn(a.ori, v)
            lines.append(f"{i}. Rotate({int(v)})")
            steps.append({"rotate": int(v)})
        else:
            target = world.by_label(v)
            text, step = _describe_jump(world, a, target)
            lines.append(f"{i}. {text}")
            steps.append(step)
            a = _Pose(target.pos, a.ori, target.rooms)
    return "\n".join(lines), steps


def _gen_fwd_fov(world: World, rng, steps: int = 2) -> TosQuestion | None:
    got = _sample_plan(world, rng, steps)
    if got is None:
        return None
    plan, end, vis = got
    actions, described = _plan_text(world, plan)
    vis = list(vis)
    rng.shuffle(vis)
    t = vis[0]
    text = FWD_FOV_TEMPLATE.format(actions=actions, target=t.name)
    return TosQuestion("fwd_fov", text, f"{t.direction}, {t.distance}", {"steps": described, "target": t.name})


def _gen_bwd_nav(world: World, rng, steps: int = 3) -> TosQuestion | None:
    got = _sample_plan(world, rng, steps)
    if got is None:
        return None
    plan, end, vis = got
    vis = list(vis)
    rng.shuffle(vis)
    vis = vis[:3]
    final_obs = "; ".join(f"{v.name} is at {v.direction}, {v.distance}" for v in vis)
    answer = {"init_pos": [0.0, 0.0], "init_ori": [0, 1], "final_pos": list(end.pos), "final_ori": list(end.ori),
              "plan": [f"Rotate({v})" if a == "rotate" else f"JumpTo({v})" for a, v in plan],
              "final_observation": [{"name": v.name, "direction": v.direction, "distance": v.distance} for v in vis]}
    return TosQuestion("bwd_nav", BWD_NAV_TEMPLATE.format(final_obs=final_obs), answer,
                       {"final_observation": answer["final_observation"]})


def _gen_e2a(world: World, rng) -> TosQuestion | None:
    pool = list(world.objects)
    if len(pool) < 3:
        return None
    rng.shuffle(pool)
    chosen = pool[:int(rng.integers(3, min(5, len(pool)) + 1))]
    text = E2A_TEMPLATE.format(object_list=", ".join(o.label for o in chosen))
    return TosQuestion("e2a", text, [list(o.pos) for o in chosen], {"objects": [o.label for o in chosen]})


def _rot_sequence(world: World, turn: str, names: Iterable[str] | None = None) -> list[tuple[str, float, float]]:
    pts = []
    for o in world.objects:
        if names is not None and o.label not in names:
            continue
        if _same(o.pos, (0.0, 0.0)):
            continue
        b = bearing(o.pos, (0.0, 0.0), (0, 1))
        ang = b % 360.0 if turn == "clockwise" else (-b) % 360.0
        pts.append((o.label, ang, math.dist(o.pos, (0.0, 0.0))))
    return pts


def _gen_rot(world: World, rng, start_eps: float = 30.0) -> TosQuestion | None:
    turn = str(rng.choice(["clockwise", "counterclockwise"]))
    cands = [p for p in _rot_sequence(world, turn) if 1e-3 <= p[1] <= 360.0 - 1e-3]
    if len(cands) < 3:
        return None
    for eps in dict.fromkeys(max(v, 1) for v in (start_eps, start_eps / 2, start_eps / 4, 1.0)):
        for _ in range(5):
            rng.shuffle(cands)
            sel: list = []
            for item in cands:
                if all(abs(item[1] - s[1]) > eps for s in sel):
                    sel.append(item)
            if len(sel) >= 3:
                sel.sort(key=lambda x: (x[1], x[2]))
                seq = [x[0] for x in sel[:int(rng.integers(3, min(len(sel), 5) + 1))]]
                text = ROT_TEMPLATE.format(turn_direction=turn, object_pool=", ".join(sorted(set(seq))))
                return TosQuestion("rot", text, seq, {"turn": turn, "objects": sorted(set(seq))})
    return None


# localisation (fwd_loc, bwd_loc) ---------------------------------------------------------------
def _room_cells(world: World, rid: int) -> list[tuple[float, float]]:
    """Cell centres of a room that hold no object (ToS: free cells of the room's boundary box)."""
    _, x0, y0, x1, y1 = next(r for r in world.rooms if r[0] == rid)
    cells = [(_clean(x0 + i + 0.5), _clean(y0 + j + 0.5)) for i in range(int(round(x1 - x0))) for j in range(int(round(y1 - y0)))]
    return [c for c in cells if not any(_same(c, o.pos) for o in world.objects)]


def _pick_room(world: World, rng) -> int:
    rids = sorted(r[0] for r in world.rooms)
    rng.shuffle(rids)
    for rid in rids:
        objs = [o for o in world.objects if rid in o.rooms]
        if any(math.dist(a.pos, b.pos) > 1.0 + 1e-6 for i, a in enumerate(objs) for b in objs[i + 1:]):
            return rid
    return min(r[0] for r in world.rooms)


def _sample_pose(world: World, rng):
    """ToS's _sample_valid_agent_pose: a free cell and facing of one room that sees at least one
    of the room's objects and leaves at least one unseen (preferably within 5 m)."""
    rid = _pick_room(world, rng)
    cells = _room_cells(world, rid)
    rng.shuffle(cells)
    in_room = [o for o in world.objects if rid in o.rooms]
    for pos in cells:
        for k in rng.permutation(4):
            ori = ORIS[int(k)]
            vis = [o for o in in_room if visible(pos, ori, {rid}, o) and not _same(o.pos, pos)]
            hid = [o for o in in_room if o not in vis and not _same(o.pos, pos)]
            near = [o for o in hid if math.dist(o.pos, pos) <= 5]
            if vis and (near or hid):
                return _Pose(pos, ori, frozenset({rid})), rid
    return None


def _origin(world: World, rid: int, rng) -> tuple[tuple[float, float], str]:
    """ToS's _get_origin: the start in the start room, else a door of the agent's room."""
    if rid in world.start_rooms:
        return (0.0, 0.0), START_ORIGIN
    gates = [b for b in world.in_rooms([rid]) if b.gate]
    if gates:
        g = _pick(rng, gates)
        return g.pos, f"the {g.label}"
    return (0.0, 0.0), START_ORIGIN


def _xy(p) -> str:
    return f"({coord_text(p[0])}, {coord_text(p[1])})"


def _gen_fwd_loc(world: World, rng) -> TosQuestion | None:
    got = _sample_pose(world, rng)
    if got is None:
        return None
    pose, rid = got
    origin, origin_name = _origin(world, rid, rng)
    loc = (_clean(pose.pos[0] - origin[0]), _clean(pose.pos[1] - origin[1]))
    rels = observe(world, pose.pos, pose.ori, pose.rooms)
    rng.shuffle(rels)
    if not rels:
        return None
    t = rels[0]
    text = FWD_LOC_ACTION.format(origin_name=origin_name, loc=_xy(loc), direction=ORI_NAME[pose.ori]) + \
        FWD_LOC_QUESTION.format(target=t.name)
    return TosQuestion("fwd_loc", text, f"{t.direction}, {t.distance}",
                       {"origin": origin_name, "loc": list(loc), "facing": ORI_NAME[pose.ori], "target": t.name})


def _gen_bwd_loc(world: World, rng) -> TosQuestion | None:
    got = _sample_pose(world, rng)
    if got is None:
        return None
    pose, rid = got
    origin, origin_name = _origin(world, rid, rng)
    obs = observe(world, pose.pos, pose.ori, pose.rooms)
    coord = [_clean(pose.pos[0] - origin[0]), _clean(pose.pos[1] - origin[1])]
    text = BWD_LOC_ACTION.format(orientation=ORI_NAME[pose.ori], observations="; ".join(sight_text(s, at=True) for s in obs)) + \
        BWD_LOC_QUESTION.format(origin_name=origin_name)
    return TosQuestion("bwd_loc", text, {"coord": coord, "final_pos": list(pose.pos), "final_ori": list(pose.ori),
                                         "final_observation": [_sight_dict(s) for s in obs]},
                       {"origin": origin_name, "facing": ORI_NAME[pose.ori], "observations": [_sight_dict(s) for s in obs]})


GENERATORS = {"dir": _gen_dir, "pov": _gen_pov, "bwd_pov": _gen_bwd_pov, "fwd_fov": _gen_fwd_fov,
              "bwd_nav": _gen_bwd_nav, "e2a": _gen_e2a, "rot": _gen_rot, "fwd_loc": _gen_fwd_loc,
              "bwd_loc": _gen_bwd_loc}


# -- reading replies (eval_utilities.py) -----------------------------------------------------------
_ALIASES: dict[str, tuple[str, ...]] = {
    "front-left": ("front-left", "left-front", "front left", "left front", "frontleft", "leftfront", "fl"),
    "front-right": ("front-right", "right-front", "front right", "right front", "frontright", "rightfront", "fr"),
    "front-slight-left": ("front-slight-left", "front slightly left", "slightly front left", "frontslightleft",
                          "slight front left"),
    "front-slight-right": ("front-slight-right", "front slightly right", "slightly front right", "frontslightright",
                           "slight front right"),
    "mid distance": ("mid distance", "mid-distance", "mid", "medium", "medium distance"),
    "same distance": ("same distance", "same", "same-distance"),
    "slightly far": ("slightly far", "slightly-far"),
    "very far": ("very far", "very-far"),
    "extremely far": ("extremely far", "extremely-far", "extreme", "extreme far"),
    "north": ("north", "n"), "south": ("south", "s"), "east": ("east", "e"), "west": ("west", "w"),
    "north-east": ("north-east", "north east", "northeast", "ne"),
    "north-west": ("north-west", "north west", "northwest", "nw"),
    "south-east": ("south-east", "south east", "southeast", "se"),
    "south-west": ("south-west", "south west", "southwest", "sw"),
}


def _joined(text: str) -> str:
    return re.sub(r"[\s-]+", "", text.lower())


_LOOKUP: dict[str, str] = {}
_PARTS: dict[str, set[str]] = {}
for _canon, _variants in _ALIASES.items():
    _c = _joined(_canon)
    _LOOKUP[_c] = _c
    _PARTS[_c] = {_joined(t) for t in re.split(r"[-\s]+", _canon) if t} | {_c}
    for _v in _variants:
        _LOOKUP[_joined(_v)] = _c


def canonical_label(label) -> str:
    """ToS's _canonicalize_label: lower case, no spaces or hyphens, aliases resolved.

    >>> canonical_label("North East"), canonical_label("FL"), canonical_label("mid")
    ('northeast', 'frontleft', 'middistance')
    """
    norm = _joined(str(label)) if label is not None else ""
    return _LOOKUP.get(norm, norm)


def labels_match(pred, target) -> bool:
    """ToS's _labels_match: equal after `canonical_label`, or one is a component of the other.

    >>> labels_match("front", "front-left"), labels_match("left", "front-right"), labels_match("", "x")
    (True, False, False)
    """
    p, t = canonical_label(pred), canonical_label(target)
    if not p or not t:
        return False
    if p == t:
        return True
    return p in _PARTS.get(t, {t}) or t in _PARTS.get(p, {p})


def extract_answer(reply) -> str:
    """The answer part of a reply: the first ``<answer>...</answer>`` (any case) stripped, else
    the whole reply stripped; "" for anything that is not text."""
    if not isinstance(reply, str):
        return ""
    text = reply[:MAX_REPLY]
    m = re.search(r"<answer>\s*(.*?)\s*</answer>", text, re.DOTALL | re.IGNORECASE)
    return m.group(1).strip() if m else text.strip()


def split_list(text: str) -> list[str] | None:
    """ToS's extract_sequence on text: the first (...) (or else [...]) if the text has both
    brackets, split at commas, items stripped of spaces and quotes, empty ones dropped."""
    text = str(text)
    content = text
    if "(" in text and ")" in text:
        m = re.search(r"\((.*?)\)", text)
        if m:
            content = m.group(1)
    elif "[" in text and "]" in text:
        m = re.search(r"\[(.*?)\]", text)
        if m:
            content = m.group(1)
    items = [t.strip().strip("'\"") for t in content.split(",")]
    items = [t for t in items if t]
    return items or None


def parse_relation(text: str) -> tuple[str, str] | None:
    """ToS's _parse_direction_distance: a list of two or more, else two ``;``/newline segments,
    else words (the last word is the second label)."""
    items = split_list(text)
    if items and len(items) >= 2:
        return items[0], items[1]
    segments = [s.strip() for s in re.split(r"[;\n]", str(text)) if s.strip()]
    if len(segments) >= 2:
        return segments[0], segments[1]
    words = [w.strip() for w in re.split(r"[ ,]", str(text)) if w.strip()]
    if len(words) >= 2:
        return (" ".join(words[:-1]), words[-1]) if len(words) > 2 else (words[0], words[1])
    return None


_PAIR = re.compile(r"-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?")


def parse_points(text: str) -> list[tuple[float, float]] | None:
    """ToS's _parse_coordinate_list: every ``x, y`` number pair, in order."""
    pts = []
    for pair in _PAIR.findall(str(text)):
        x, y = pair.split(",")
        pts.append((float(x), float(y)))
    return pts or None


def parse_actions(text: str) -> list[tuple[str, Any]]:
    """ToS's _parse_action_sequence: ``JumpTo(name)`` / ``Rotate(int)`` items between commas;
    [] when any item is neither."""
    out: list[tuple[str, Any]] = []
    for tok in [p.strip() for p in str(text).split(",") if p.strip()]:
        j = re.match(r"JumpTo\s*\(\s*(.+?)\s*\)", tok, re.IGNORECASE)
        if j:
            out.append(("jumpto", j.group(1).strip()))
            continue
        r = re.match(r"Rotate\s*\(\s*(-?\d+)\s*\)", tok, re.IGNORECASE)
        if r:
            out.append(("rotate", int(r.group(1))))
            continue
        return []
    return out


# -- scoring (one rule per type) -------------------------------------------------------------------
def score_relation(pred: str, answer: str) -> float:
    """dir, pov, fwd_fov, fwd_loc: ToS's _eval_direction_text (0, 0.5 or 1)."""
    p, a = parse_relation(pred), parse_relation(answer)
    if not p or not a:
        return 0.0
    normal = (labels_match(p[0], a[0]) + labels_match(p[1], a[1])) / 2
    swapped = (labels_match(p[1], a[0]) + labels_match(p[0], a[1])) / 2
    return float(max(normal, swapped))


def _by_name(world: World, name) -> Body | None:
    key = str(name).strip().lower()
    return next((b for b in world.bodies if b.label.lower() == key), None)


def _view_matches(world: World, pos, ori, rooms, items: Sequence[dict], rooms_rule: bool, cos_min: float) -> bool:
    """Every described entity is seen from the pose with the described bins (and facing)."""
    for it in items:
        b = _by_name(world, it.get("name", ""))
        if b is None:
            return False
        if rooms_rule and not set(rooms) & b.rooms:
            return False
        if not in_cone(pos, ori, b.pos, cos_min):
            return False
        if relation(b.pos, pos, ori) != (it["direction"], it["distance"]):
            return False
        if it.get("orientation") and facing_label(b, ori, rooms) != it["orientation"]:
            return False
    return True


def score_viewpoint(pred: str, answer: dict, world: World) -> float:
    """bwd_pov: the name, or an object whose own view matches the described one."""
    name = str(pred).strip()
    if labels_match(name, answer["answer"]):
        return 1.0
    b = _by_name(world, name)
    if b is None:
        return 0.0
    ori = b.ori or (0, 1)  # ToS: an entity without a facing is taken as facing north
    return float(_view_matches(world, b.pos, ori, b.rooms, answer["final_observation"], True, COS_FOV))


def simulate(world: World, actions: Sequence[tuple[str, Any]]) -> tuple[tuple[float, float], tuple[int, int]] | None:
    """Run parsed actions from the start facing north by ToS's evaluator rules; None when an
    action fails (a rotation not a multiple of 90, an unknown or out-of-cone JumpTo target)."""
    pos, ori = (0.0, 0.0), (0, 1)
    names = {b.label.lower(): b for b in world.bodies}
    for act, v in actions:
        if act == "rotate":
            if int(v) % 90:
                return None
            ori = _turn(ori, int(v))
        else:
            b = names.get(str(v).lower())
            if b is None or not in_cone(pos, ori, b.pos, COS_45):
                return None
            pos = b.pos
    return pos, ori


def score_actions(pred: str, answer: dict, world: World) -> float:
    """bwd_nav: ToS's _eval_backward_nav (1 when the simulated end view shows what was described)."""
    acts = parse_actions(pred)
    if not acts:
        return 0.0
    end = simulate(world, acts)
    if end is None:
        return 0.0
    return float(_view_matches(world, end[0], end[1], (), answer["final_observation"], False, COS_45))


def score_coordinates(pred: str, answer: Sequence[Sequence[float]]) -> float:
    """e2a: ToS's e2a_eval_fn: (pos + dir) / 2 of the listed points against the true ones."""
    pts = parse_points(pred)
    if not pts or len(pts) != len(answer):
        return 0.0
    gt = {str(i): tuple(map(float, p)) for i, p in enumerate(answer)}
    L = math.sqrt(sum(x * x + y * y for x, y in gt.values()) / len(gt)) or 1.0
    s = score_map_tos(CognitiveMap.from_dict({str(i): list(p) for i, p in enumerate(pts)}),
                      CognitiveMap.from_dict({k: list(v) for k, v in gt.items()}), scale=L)
    return float((s["pos"] + s["dir"]) / 2)


def score_sequence(pred: str, answer: Sequence[str]) -> float:
    """rot: ToS's _eval_token_sequence (the exact list, case and repeated spaces aside)."""
    items = split_list(pred)
    if not items or len(items) != len(answer):
        return 0.0
    norm = [re.sub(r"\s+", " ", str(t).strip()).lower() for t in items]
    return float(norm == [re.sub(r"\s+", " ", str(t).strip()).lower() for t in answer])


def score_location(pred: str, answer: dict) -> float:
    """bwd_loc: exp(-|p - g| / |g|) of the first number pair (|g| = 0: exact or nothing)."""
    pts = parse_points(pred)
    if not pts:
        return 0.0
    p, g = pts[0], tuple(map(float, answer["coord"]))
    d, L = math.dist(p, g), math.hypot(*g)
    if L == 0:
        return 1.0 if d == 0 else 0.0
    return float(math.exp(-d / L))


def check(q: TosQuestion, reply, world: World | None = None) -> float:
    """The score of a reply in [0, 1] by the type's rule (module docstring); never raises.
    bwd_pov and bwd_nav need the true `world`."""
    try:
        text = extract_answer(reply)
        if not text:
            return 0.0
        t = q.tos_type
        if t in ("dir", "pov", "fwd_fov", "fwd_loc"):
            return score_relation(text, q.answer)
        if t == "bwd_pov":
            return score_viewpoint(text, q.answer, world) if world is not None else float(labels_match(text, q.answer["answer"]))
        if t == "bwd_nav":
            return score_actions(text, q.answer, world) if world is not None else 0.0
        if t == "e2a":
            return score_coordinates(text, q.answer)
        if t == "rot":
            return score_sequence(text, q.answer)
        if t == "bwd_loc":
            return score_location(text, q.answer)
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
        return 0.0
    return 0.0


def check_choice(pred, answer: str | Sequence[str]) -> bool:
    """ToS_Human's multi_choice_eval_fn for its lettered variant: the stripped reply equals an
    answer, case aside ("b" for "B" yes; "B.", "Answer: B", "A, B" no).

    >>> check_choice(" b ", "B"), check_choice("B.", "B"), check_choice("Answer: B", "B")
    (True, False, False)
    """
    if not isinstance(pred, str) or not pred.strip():
        return False
    answers = [answer] if isinstance(answer, str) else list(answer)
    return pred.strip().lower() in {str(a).strip().lower() for a in answers}


# -- answering from a map (program agents) ---------------------------------------------------------
def _rel_text(world: World, label: str, pos, ori) -> str:
    b = world.by_label(label)
    if b is None:
        return ""
    d, s = relation(b.pos, pos, ori)
    return f"{d}, {s}"


def _resolve_jump(world: World, a: _Pose, step: dict) -> Body | None:
    vis = [v for v in observe(world, a.pos, a.ori, a.rooms)]
    dir_group = sorted((v for v in vis if v.direction == step["direction"]), key=lambda v: v.degree)
    dist_group = sorted((v for v in vis if v.distance == step["distance"]), key=lambda v: v.dist)
    both = [v for v in dir_group if v in dist_group]
    pick = None
    by_dir = dir_group[step["dir_rank"] - 1] if step.get("dir_rank") and step["dir_rank"] <= len(dir_group) else None
    by_dist = None
    if step.get("dist_rank"):
        k = step["dist_rank"] if step["dist_rank"] < step.get("dist_count", 0) else len(dist_group)  # "farthest" is last
        by_dist = dist_group[k - 1] if 0 < k <= len(dist_group) else None
    if by_dir is not None and by_dir == by_dist:
        pick = by_dir
    else:
        pick = next((v for v in (by_dir, by_dist) if v is not None and v in both), None) or (both[0] if both else None) \
            or by_dir or by_dist
    return world.by_label(pick.name) if pick is not None else None


def _consistent_poses(world: World, items: Sequence[dict], oris, cells, rooms_rule: bool, cos_min: float):
    for pos in cells:
        rooms = _rooms_at(world.rooms, pos)
        for ori in oris:
            if _view_matches(world, pos, ori, rooms, items, rooms_rule, cos_min):
                yield pos, ori


def _plan_to(world: World, goal_pos, goal_ori, max_depth: int = 8) -> list[str] | None:
    """Shortest Rotate/JumpTo sequence (cone-only jumps, ToS's evaluator) from the start to a pose."""
    start = ((0.0, 0.0), (0, 1))
    frontier, seen = [(start, [])], {start}
    for _ in range(max_depth + 1):
        nxt = []
        for (pos, ori), path in frontier:
            if _same(pos, goal_pos) and ori == tuple(goal_ori):
                return path
            moves = [((pos, _turn(ori, d)), f"Rotate({d})") for d in (90, -90, 180)]
            moves += [((b.pos, ori), f"JumpTo({b.label})") for b in world.bodies if in_cone(pos, ori, b.pos, COS_45)]
            for state, act in moves:
                key = ((round(state[0][0], 6), round(state[0][1], 6)), state[1])
                if key not in seen:
                    seen.add(key)
                    nxt.append(((state[0], state[1]), path + [act]))
        frontier = nxt
    return None


def solve(q: TosQuestion, world: World) -> str:
    """The reply a question gets from `world` (the truth, or an agent's believed World.from_map):
    computed from what the question text gives (its `params`), in the answer format it asks."""
    p, t = q.params, q.tos_type
    if t == "dir":
        a, o = world.by_label(p["anchor"]), world.by_label(p["obj"])
        if a is None or o is None:
            return ""
        return f"{cardinal_bin(bearing(o.pos, a.pos))}, {distance_bin(math.dist(o.pos, a.pos))}"
    if t == "pov":
        a = world.by_label(p["anchor"])
        return _rel_text(world, p["obj"], a.pos, a.ori) if a is not None and a.ori is not None else ""
    if t == "bwd_pov":
        for b in world.objects:
            if b.ori is not None and _view_matches(world, b.pos, b.ori, b.rooms, [p["observation"]], True, COS_FOV):
                return b.label
        return ""
    if t == "fwd_fov":
        a = _start(world)
        for step in p["steps"]:
            if "rotate" in step:
                a.ori = _turn(a.ori, step["rotate"])
                continue
            b = _resolve_jump(world, a, step)
            if b is None:
                return ""
            a = _Pose(b.pos, a.ori, b.rooms)
        return _rel_text(world, p["target"], a.pos, a.ori)
    if t == "bwd_nav":
        cells = [(0.0, 0.0)] + [b.pos for b in world.bodies]
        for pos, ori in _consistent_poses(world, p["final_observation"], ORIS, cells, False, COS_45):
            path = _plan_to(world, pos, ori)
            if path:
                return ", ".join(path)
        return ""
    if t == "e2a":
        out = []
        for name in p["objects"]:
            b = world.by_label(name)
            out.append(_xy((round(b.pos[0]), round(b.pos[1]))) if b is not None else "(0, 0)")
        return "; ".join(out)
    if t == "rot":
        pts = _rot_sequence(world, p["turn"], set(p["objects"]))
        return ", ".join(x[0] for x in sorted(pts, key=lambda x: (x[1], x[2])))
    if t in ("fwd_loc", "bwd_loc"):
        if p["origin"] == START_ORIGIN:
            origin = (0.0, 0.0)
        else:
            g = world.by_label(p["origin"][len("the "):])
            if g is None:
                return ""
            origin = g.pos
        ori = NAME_ORI[p["facing"]]
        if t == "fwd_loc":
            return _rel_text(world, p["target"], (origin[0] + p["loc"][0], origin[1] + p["loc"][1]), ori)
        cells = [c for r in world.rooms for c in _room_cells(world, r[0])]
        for pos, _ in _consistent_poses(world, p["observations"], [ori], cells, True, COS_FOV):
            return _xy((_clean(pos[0] - origin[0]), _clean(pos[1] - origin[1])))
        return ""
    return ""


def answer_from_map(q: TosQuestion, m: CognitiveMap, truth: World) -> str:
    """The reply an agent's cognitive map implies (program agents have no language)."""
    return solve(q, World.from_map(m, truth))


__all__ = ["TOS_TYPES", "SPACELAB_NAME", "TOS_CLASS", "Body", "World", "TosQuestion", "Sight", "generate_questions",
           "check", "check_choice", "solve", "answer_from_map", "extract_answer", "split_list", "parse_relation",
           "parse_points", "parse_actions", "canonical_label", "labels_match", "score_relation", "score_viewpoint",
           "score_actions", "score_coordinates", "score_sequence", "score_location", "simulate", "observe", "bearing",
           "relation", "visible", "in_cone", "facing_label", "sight_text"]
