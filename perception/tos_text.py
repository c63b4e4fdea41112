"""The `tos` text profile: observations, Query replies and map wording as Theory of Space writes them.

The reference is Theory of Space's own code (williamzhangNU/ToS_Base, snapshot 04a4e29 of
tos_base/actions/actions.py, tos_base/core/relationship.py, tos_base/utils/room_utils.py,
tos_base/utils/action_utils.py and tos_base/prompts/*): the rules are re-implemented here, only
the fixed phrases are the same. The `spacelab` profile (perception.text_obs) is untouched;
sim.env.ExplorationEnv(text_profile="tos") switches to this module.

Rules (and the ToS code each mirrors):

- Observe (actions.py ObserveAction.execute / ObserveBase._collect_obj_observations /
  success_message): ``You observe: `` then one ``• name: <direction>, <distance>, <facing>``
  line per entity, objects first then doors, in scene order (ToS lists ``room.all_objects`` =
  objects + gates), then a full stop. Nothing in view: ``You observe: No objects in field of
  view..`` (ToS's answer string already ends in a full stop and success_message adds one: the
  doubled stop is ToS's). An entity at the agent's own position (the door it stands in) is left
  out (ToS's ``neglect_objects``).
- Facing (relationship.py OrientationRel.to_string, 'ego'): ``facing forward|backward|left|
  right``; an object without a facing gets none (ToS's later ``has_orientation`` check; the
  04a4e29 snapshot printed the default facing of such objects, which carries no information).
- Doors (room_utils.py GATE_NAMES, OrientationRel.to_string(if_gate=True)): named by colour and
  placed ``on front|back|left|right wall`` of the room the agent shares with the door, from the
  door's normal pointing into that room (inward normal the way you face: back wall; against you:
  front wall; to your right: left wall; to your left: right wall).
- Direction (relationship.py EgoFrontBins): open intervals with 1e-3 deg slack: front is
  (-1e-3, 1e-3); front-slight-left/right up to +-22.5(+1e-3); front-left/right up to
  +-45(+1e-3); beyond-fov otherwise. Distance (StandardDistanceBins): same distance (|d| < 1e-6),
  then (0,2], (2,4], (4,8], (8,16], (16,32], (32,64] with 1e-6 slack.
- Proximity (actions.py ObserveAction._collect_local_relationships, relationship.py
  ProximityRelationship): every pair (i < j, listing order) of reported entities closer than
  2 m gives ``• A is <cardinal>, <distance> to B``: the 8-way cardinal bin (CardinalBinsAllo:
  north, north east, ..., 45 deg each centred on north) of A seen from B in a frame where your
  current facing is north, and the distance bin of |AB|. The block follows the entity lines
  after ToS's header (kept byte for byte, including its missing space after "north).").
- Query (actions.py QueryAction): ``You query <name>: (x, y), facing <north|east|south|west>``
  with no final full stop; objects without a facing read ``facing north`` (ToS's default
  orientation), doors read the axis of their opening (ToS's Gate.ori: north for a door in a wall
  running east-west, east for one in a wall running north-south).
- Motions (actions.py MoveAction / RotateAction / TermAction / ForcedTermAction success
  messages) and joining (utils/action_utils.py action_results_to_text: one space between
  messages): ``You rotated clockwise 90°.``, ``You moved at <name>.`` plus ``This gate connects
  rooms a and b.`` for a door, or ``You are in room n.`` when leaving a door for an object.
- Room layout (room_utils.py get_room_description): ``Imagine 3 rooms connected by doors:
  room 1, room 2, room 3. You are currently in room 1. You face north.`` then the objects and
  doors.

Door colours: door_i is the i-th colour of ToS's GATE_NAMES list (door_0 red, door_1 blue,
door_2 green, door_3 yellow, door_4 purple, door_5 orange, door_6 black, door_7 white,
door_8 brown, door_9 gray); from door_10 on ToS falls back to ``door_<i>`` and so does this
module. `tos_name` maps our names to ToS's, `resolve_name` maps an agent's ToS name back
("red door", "Red_Door", "door 3" -> door_0, door_0, door_3).

Adaptations to physics (each also in docs/tos-text.md): room numbers are our room ids + 1 (ToS
counts rooms from 1); Query coordinates are metres in the start frame, written as integers when
they are whole (as ToS's int() does) and with two decimals otherwise (doors sit on half metres,
where int() would truncate); the proximity test is |AB| < 2 m - 1e-6 so that float noise cannot
turn ToS's exact "2 is not < 2" around; a door seen from outside both of its rooms (through an
open doorway, which ToS's room-bound vision never allows) is placed on the wall as seen from the
agent's side; the room layout lists objects in scene order (ToS sorts by an image label that
does not exist here).

Example:
    >>> from perception.text_obs import Sighting
    >>> s = [Sighting("box", "object", "front", "near", None, None, (0.0, 1.0)),
    ...      Sighting("door_0", "door", "front", "mid distance", None, "front", (1.0, 2.0))]
    >>> lines = describe_view(s, {"door_0": "front"}).splitlines()
    >>> lines[:3]
    ['You observe: ', '• box: front, near', '• red door: front-right, mid distance, on front wall']
    >>> lines[3] == PROXIMITY_HEADER, lines[4]
    (True, '• box is south west, near to red door.')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from perception.cogmap import TOPOLOGY_KEYS, extract_json, normalise_name
from perception.text_obs import Sighting
from scenes.spec import SceneSpec

# -- names ----------------------------------------------------------------------------------
GATE_COLOURS = ("red", "blue", "green", "yellow", "purple", "orange", "black", "white", "brown", "gray")
_COLOUR_ALIASES = {"grey": "gray"}
_DOOR = re.compile(r"^door_?(\d+)$")


def door_index(name: str) -> int | None:
    """The index i of a spacelab door name ``door_i``; None for anything else."""
    m = _DOOR.match(str(name))
    return int(m.group(1)) if m else None


def tos_name(name: str) -> str:
    """ToS's name for an entity: door_i -> '<colour> door' for i < 10 (ToS's GATE_NAMES order,
    'door_<i>' after that), underscores as spaces for everything else."""
    i = door_index(name)
    if i is not None:
        return f"{GATE_COLOURS[i]} door" if i < len(GATE_COLOURS) else f"door_{i}"
    return str(name).replace("_", " ")


def resolve_name(text: str) -> str:
    """An agent's name for an entity, ToS style or ours, as the spacelab name.

    >>> resolve_name("red door"), resolve_name("Gray_Door"), resolve_name("grey door"), resolve_name("door 12")
    ('door_0', 'door_9', 'door_9', 'door_12')
    >>> resolve_name("Door_0"), resolve_name("tv"), resolve_name("pink door")
    ('door_0', 'tv', 'pink_door')
    """
    n = normalise_name(text)
    m = re.fullmatch(r"([a-z]+)_door", n)
    if m:
        colour = _COLOUR_ALIASES.get(m.group(1), m.group(1))
        if colour in GATE_COLOURS:
            return f"door_{GATE_COLOURS.index(colour)}"
    i = door_index(n)
    return f"door_{i}" if i is not None else n


# -- bins (relationship.py: EgoFrontBins, StandardDistanceBins, CardinalBinsAllo) -----------
ANGLE_SLACK = 1e-3  # deg, EgoFrontBins.EPS
DIST_SLACK = 1e-6  # StandardDistanceBins.EPS
PROXIMITY_M = 2.0  # ProximityRelationship.PROXIMITY_THRESHOLD ("within near distance")

_EGO_BINS = (  # open intervals (lo, hi), checked in order; anything else is beyond-fov
    (-45.0 - ANGLE_SLACK, -22.5 - ANGLE_SLACK, "front-left"),
    (-22.5 - ANGLE_SLACK, -ANGLE_SLACK, "front-slight-left"),
    (-ANGLE_SLACK, ANGLE_SLACK, "front"),
    (ANGLE_SLACK, 22.5 + ANGLE_SLACK, "front-slight-right"),
    (22.5 + ANGLE_SLACK, 45.0 + ANGLE_SLACK, "front-right"),
)
_DIST_BINS = tuple(zip((-DIST_SLACK, *(e + DIST_SLACK for e in (0.0, 2.0, 4.0, 8.0, 16.0, 32.0))),
                       (DIST_SLACK, *(e + DIST_SLACK for e in (2.0, 4.0, 8.0, 16.0, 32.0, 64.0))),
                       ("same distance", "near", "mid distance", "slightly far", "far", "very far", "extremely far")))
CARDINALS = ("north", "north east", "east", "south east", "south", "south west", "west", "north west")


def direction_bin(angle_deg: float) -> str:
    """ToS's egocentric bin of a bearing (deg, clockwise from straight ahead).

    >>> [direction_bin(a) for a in (0.0009, 0.0011, 22.5009, 22.5011, -45.0009, -45.0011)]
    ['front', 'front-slight-right', 'front-slight-right', 'front-right', 'front-left', 'beyond-fov']
    """
    v = float(angle_deg)
    for lo, hi, label in _EGO_BINS:
        if lo < v < hi:
            return label
    return "beyond-fov"


def distance_bin(d: float) -> str:
    """ToS's distance bin; past 64 m (where ToS raises) it stays 'extremely far'."""
    v = float(d)
    for lo, hi, label in _DIST_BINS:
        if lo < v < hi:
            return label
    return "extremely far" if v > 0 else "same distance"


def cardinal_bin(angle_deg: float) -> str:
    """ToS's 8-way cardinal bin of a bearing (deg clockwise from north): 45 deg each, centred."""
    w = (float(angle_deg) + 360.0) % 360.0
    return CARDINALS[int(((w + 22.5) // 45.0) % 8)]


def _bearing(right: float, forward: float) -> float:
    """Bearing in degrees, clockwise from ahead (ToS's DegreeRel.from_positions)."""
    if abs(right) < 1e-6 and abs(forward) < 1e-6:
        return 0.0
    return math.degrees(math.atan2(right, forward))


# -- doors: which wall -------------------------------------------------------------------------
_GATE_WALL = {0: "back", 1: "left", 2: "front", 3: "right"}  # inward normal relative to you: same way, right, against, left


def _rooms_at(spec: SceneSpec, xy, eps: float = 1e-6) -> set[int]:
    x, y = xy
    return {r.id for r in spec.rooms
            if r.x0 - eps <= x <= r.x0 + r.width + eps and r.y0 - eps <= y <= r.y0 + r.height + eps}


def _room_centre(spec: SceneSpec, rid: int) -> tuple[float, float] | None:
    for r in spec.rooms:
        if r.id == rid:
            return r.x0 + r.width / 2.0, r.y0 + r.height / 2.0
    return None


def _inward_heading(spec: SceneSpec, door, rid: int) -> float:
    """World heading (deg, 0 = +y) of the door's normal pointing into room `rid` (ToS's ori_by_room)."""
    c = _room_centre(spec, rid)
    axis = 0 if door.axis == "y" else 1  # a wall along y has its normal along x
    side = (c[axis] - door.position[axis]) if c is not None else 1.0
    if door.axis == "y":
        return 90.0 if side > 0 else 270.0
    return 0.0 if side > 0 else 180.0


def door_wall(spec: SceneSpec, door, agent_xy, agent_heading: float) -> str:
    """'front' | 'back' | 'left' | 'right': the wall of the room you share with `door` it is on."""
    shared = [r for r in door.rooms if r in _rooms_at(spec, agent_xy)]
    if len(shared) == 1:
        rid = shared[0]
    else:  # seen from outside both rooms (through a doorway): the room on your side of the wall
        axis = 0 if door.axis == "y" else 1
        mine = agent_xy[axis] - door.position[axis]
        rid = next((r for r in door.rooms
                    if (c := _room_centre(spec, r)) is not None and (c[axis] - door.position[axis]) * mine > 0),
                   door.rooms[0])
    rel = (_inward_heading(spec, door, rid) - agent_heading) % 360.0
    return _GATE_WALL[int(round(rel / 90.0)) % 4]


def door_walls(spec: SceneSpec, sightings: Iterable[Sighting], agent_xy, agent_heading: float) -> dict[str, str]:
    doors = {d.name: d for d in spec.doors}
    return {s.name: door_wall(spec, doors[s.name], agent_xy, agent_heading)
            for s in sightings if s.kind == "door" and s.name in doors}


# -- observations ----------------------------------------------------------------------------
NOTHING = "No objects in field of view."
PROXIMITY_HEADER = ('Assume your current facing direction is called "north" (a relative reference frame, '
                    'not true north).Based on this orientation, mutually close object relations in your FOV:')
_WALL_WORDS = {"front", "back", "left", "right"}


def _at_agent(s: Sighting) -> bool:
    return abs(s.offset[0]) < 1e-6 and abs(s.offset[1]) < 1e-6


def entity_line(s: Sighting, wall: str | None = None) -> str:
    """One ``name: direction, distance[, facing | wall]`` relation (no bullet)."""
    right, fwd = s.offset
    head = f"{tos_name(s.name)}: {direction_bin(_bearing(right, fwd))}, {distance_bin(math.hypot(right, fwd))}"
    if s.kind == "door":
        wall = wall or s.wall
        return f"{head}, on {wall} wall" if wall in _WALL_WORDS else head
    return f"{head}, facing {s.facing}" if s.facing else head


def proximity_lines(sightings: Sequence[Sighting]) -> list[str]:
    """``A is <cardinal>, <distance> to B`` for every listed pair closer than 2 m (ToS order)."""
    out = []
    for i, a in enumerate(sightings):
        for b in sightings[i + 1:]:
            dr, df = a.offset[0] - b.offset[0], a.offset[1] - b.offset[1]
            d = math.hypot(dr, df)
            if d < PROXIMITY_M - DIST_SLACK:
                out.append(f"{tos_name(a.name)} is {cardinal_bin(_bearing(dr, df))}, {distance_bin(d)} to {tos_name(b.name)}")
    return out


def _ordered(sightings: Iterable[Sighting], order: Sequence[str] | None) -> list[Sighting]:
    rank = {n: i for i, n in enumerate(order or ())}
    key = (lambda s: (rank.get(s.name, len(rank)), s.kind == "door", s.name)) if order else \
        (lambda s: (s.kind == "door",))
    return sorted(sightings, key=key)


def describe_view(sightings: Iterable[Sighting], walls: dict[str, str] | None = None,
                  order: Sequence[str] | None = None) -> str:
    """The text of one Observe in ToS's words.

    `walls` gives each door's wall by ToS's room rule (`door_walls`); without it a sighting's own
    `wall` is used. `order` is the scene's entity order (objects, then doors); without it objects
    come before doors, each group in the order given.
    """
    shown = [s for s in _ordered(sightings, order) if not _at_agent(s)]
    if not shown:
        return f"You observe: {NOTHING}."
    walls = walls or {}
    answer = "\n" + "\n".join(f"• {entity_line(s, walls.get(s.name))}" for s in shown)
    close = proximity_lines(shown)
    if close:
        answer += "\n" + PROXIMITY_HEADER + "\n" + "\n".join(f"• {c}" for c in close)
    return f"You observe: {answer}."


def entity_order(spec: SceneSpec) -> list[str]:
    """ToS's listing order: objects, then doors (``room.all_objects``)."""
    return [o.name for o in spec.objects] + [d.name for d in spec.doors]


def observation(spec: SceneSpec, sightings: Sequence[Sighting], agent_xy, agent_heading: float) -> str:
    """`describe_view` with the walls and order taken from the scene (what the env calls)."""
    return describe_view(sightings, door_walls(spec, sightings, agent_xy, agent_heading), entity_order(spec))


# -- Query, motions, joining -----------------------------------------------------------------
def coord_text(v: float) -> str:
    """A start-frame coordinate as ToS writes it: an integer when whole, else two decimals.

    >>> coord_text(2.0), coord_text(-0.5)
    ('2', '-0.50')
    """
    v = float(v)
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


def door_facing(spec: SceneSpec, door) -> str:
    """ToS's Gate.ori in the start frame: 'north' for a door in a wall running east-west (you go
    through it north-south), 'east' for one in a wall running north-south."""
    normal = 0.0 if door.axis == "x" else 90.0  # world heading of the passage
    rel = (normal - spec.start_heading) % 180.0
    return "north" if int(round(rel / 90.0)) % 2 == 0 else "east"


def query_reply(spec: SceneSpec, name: str, position, facing: str | None) -> str:
    """``You query <name>: (x, y), facing <dir>`` (start frame; no full stop, as in ToS)."""
    if facing is None:
        door = next((d for d in spec.doors if d.name == name), None)
        facing = door_facing(spec, door) if door is not None else "north"
    x, y = position
    return f"You query {tos_name(name)}: ({coord_text(x)}, {coord_text(y)}), facing {facing}"


def rotated(degrees: int) -> str:
    if degrees == 0:
        return "You rotated 0°."
    return f"You rotated {'clockwise' if degrees > 0 else 'counterclockwise'} {abs(int(degrees))}°."


def _door_rooms(spec: SceneSpec, door) -> list[int]:
    """The door's two rooms as ToS lists them (west then east, or south then north, in the start
    frame), numbered from 1."""
    def along(rid):
        c = _room_centre(spec, rid) or door.position
        h = math.radians(spec.start_heading)
        dx, dy = c[0] - spec.start_position[0], c[1] - spec.start_position[1]
        return (dx * math.cos(h) - dy * math.sin(h), dx * math.sin(h) + dy * math.cos(h))  # (right, forward)

    axis = 0 if door_facing(spec, door) == "east" else 1
    return [r + 1 for r in sorted(door.rooms, key=lambda r: along(r)[axis])]


def moved(spec: SceneSpec, target: str, from_xy) -> str:
    """ToS's MoveAction message for a completed MoveTo (from `from_xy`, world frame)."""
    doors = {d.name: d for d in spec.doors}
    text = f"You moved at {tos_name(target)}."
    if target in doors:
        a, b = _door_rooms(spec, doors[target])
        return f"{text} This gate connects rooms {a} and {b}."
    at_door = any(math.dist(from_xy, d.position) < 1e-6 for d in spec.doors)
    obj = next((o for o in spec.objects if o.name == target), None)
    if at_door and obj is not None:
        return f"{text} You are in room {obj.room + 1}."
    return text


TERMINATED = "Exploration terminated."
BUDGET_SPENT = "Exploration ended. No further exploration actions are allowed."  # ForcedTermAction
SEPARATOR = " "  # action_results_to_text joins the action messages with one space


def join(messages: Iterable[str]) -> str:
    return SEPARATOR.join(messages)


def room_description(spec: SceneSpec) -> str:
    """ToS's room layout and initial state (room_utils.get_room_description)."""
    ids = sorted(r.id for r in spec.rooms)
    kind = f"{len(ids)} rooms connected by doors" if spec.doors else "a single room"
    here = sorted(_rooms_at(spec, spec.start_position)) or ids[:1]
    text = (f"Imagine {kind}: {', '.join(f'room {i + 1}' for i in ids)}. "
            f"You are currently in room {here[0] + 1}. You face north.")
    if spec.objects:
        text += "\nObjects: " + ", ".join(tos_name(o.name) for o in spec.objects)
    if spec.doors:
        text += "\nDoors: " + ", ".join(tos_name(d.name) for d in spec.doors)
    return text


# -- maps: local facings, reading ToS-shaped replies ---------------------------------------------
LOCAL_FACINGS = {"forward": "+y", "right": "+x", "backward": "-y", "left": "-x"}  # cogmap_prompts: local axes
GLOBAL_FACINGS = ("north", "east", "south", "west")


def local_facing(relative: str | None) -> str | None:
    """A relative facing (forward/right/backward/left) as a ToS local-map axis (+y/+x/-y/-x)."""
    return LOCAL_FACINGS.get(relative) if relative else None


def local_map(sightings: Iterable[Sighting]) -> dict:
    """What a perfect ToS local-map answer holds for these sightings (+x right, +y ahead)."""
    objects = {}
    for s in sightings:
        entry = {"position": [s.offset[0], s.offset[1]]}
        if s.facing:
            entry["facing"] = local_facing(s.facing)
        objects[tos_name(s.name)] = entry
    return {"origin": "agent", "objects": objects}


def normalise_map_reply(reply):
    """A map reply in ToS's shape as the flat map spacelab's parser reads.

    Unwraps ``{"origin": "agent", "objects": {...}}`` and renames ToS names ("red door") to ours;
    +x/-x/+y/-y facings are already understood by perception.cogmap. A reply without JSON is
    returned unchanged (the parser then records it as unreadable).
    """
    obj, _ = extract_json(reply)
    if obj is None:
        return reply
    inner = obj.get("objects") if isinstance(obj.get("objects"), dict) else None
    flat = dict(inner) if inner is not None else {k: v for k, v in obj.items() if k != "objects"}
    for key in TOPOLOGY_KEYS:
        if key in obj and key not in flat:
            flat[key] = obj[key]
    flat.pop("origin", None)
    return {(k if k in TOPOLOGY_KEYS else resolve_name(k)): v for k, v in flat.items()}


_POS_WORDS = ("position", "location", "moved", "pos")
_ORI_WORDS = ("orientation", "rotation", "rotated", "ori", "facing")


def parse_changes(reply) -> dict:
    """ToS's false-belief answer (``apple: position, chair: orientation``, optionally inside
    ``Term(changes="...")``) as spacelab's ``{"changes": [{"name", "change"}]}``.

    >>> parse_changes('Term(changes="red door: position, tv: orientation")')
    {'changes': [{'name': 'door_0', 'change': 'moved'}, {'name': 'tv', 'change': 'rotated'}]}
    """
    obj, _ = extract_json(reply) if not isinstance(reply, str) or "{" in reply else (None, None)
    if isinstance(obj, dict) and isinstance(obj.get("changes"), list):
        items = obj["changes"]
        return {"changes": [dict(c, name=resolve_name(c["name"])) if isinstance(c, dict) and "name" in c else c
                            for c in items]}
    text = obj.get("changes") if isinstance(obj, dict) and isinstance(obj.get("changes"), str) else str(reply or "")
    m = re.search(r'changes\s*=\s*"([^"]*)"', text)
    body = m.group(1) if m else text
    out: list[dict] = []
    for part in body.split(","):
        part = part.strip().strip("\"'")
        if ":" in part:
            name, kind = part.split(":", 1)
        elif " " in part:
            name, kind = part.rsplit(" ", 1)
        else:
            continue
        kind = kind.lower()
        if any(w in kind for w in _POS_WORDS):
            out.append({"name": resolve_name(name), "change": "moved"})
        elif any(w in kind for w in _ORI_WORDS):
            out.append({"name": resolve_name(name), "change": "rotated"})
    return {"changes": out}


def normalise_reply(kind: str, reply):
    """A probe reply written to the tos prompts (planners.agents.prompts_tos) as the reply the
    spacelab probe readers expect: maps flattened and renamed, door lists renamed, the
    false-belief answer as ``{"changes": [...]}``. `kind` is the probe name."""
    if kind in ("global", "local"):
        return normalise_map_reply(reply)
    if kind == "unexplored":
        obj, _ = extract_json(reply)
        if isinstance(obj, dict) and isinstance(obj.get("unexplored"), list):
            return {"unexplored": [resolve_name(n) if isinstance(n, str) else n for n in obj["unexplored"]]}
        return reply
    if kind == "changes":
        return parse_changes(reply)
    return reply


__all__ = [
    "GATE_COLOURS", "CARDINALS", "LOCAL_FACINGS", "GLOBAL_FACINGS", "NOTHING", "PROXIMITY_HEADER",
    "TERMINATED", "BUDGET_SPENT", "cardinal_bin", "coord_text", "describe_view", "direction_bin", "distance_bin",
    "door_facing", "door_index", "door_wall", "door_walls", "entity_order", "join", "local_facing",
    "local_map", "moved", "normalise_map_reply", "normalise_reply", "observation", "parse_changes", "query_reply",
    "resolve_name", "room_description", "rotated", "tos_name",
]
