"""Import a Theory of Space (ToS) room layout as a SceneSpec, so a ToS scene replays in physics.

The input is the plain data ToS's own code writes (williamzhangNU/ToS_Base):

- ``Room.to_dict()`` (tos_base/core/room.py): ``mask`` (nested lists), ``objects`` and ``gates``
  (lists of ``Object.to_dict()`` / ``Gate.to_dict()``); its derived keys (``all_objects``,
  ``gates_by_room``, ``rooms_by_gate``, ``adjacent_rooms_by_room``, ``object_map``, ``name``)
  are ignored;
- ``Agent.to_dict()`` (tos_base/core/object.py) under ``agent``; or the pair ToS's managers
  log, ``{"room_state": Room.to_dict(), "agent_state": Agent.to_dict()}``.

ToS's conventions, as its code states them (tos_base/utils/room_utils.py, RoomGenerator, and
tos_base/utils/generate_room_layout.py):

- a position ``pos = [x, y]`` is an integer cell index into the mask, ``mask[x][y]`` (first
  index x = east, second y = north; "up" is y + 1). So ToS points are *cells*, and cell
  ``(x, y)`` becomes our cell centre ``(x + 0.5, y + 0.5)``: every offset between objects and
  the agent is kept exactly;
- mask values: 1..99 a room id, 0 wall, -1 outside, 100 / 101 a door cell. Joined rooms are
  always one wall cell apart and the gate is a door cell in that wall (its two neighbours
  across the wall are the gate's ``room_id`` pair);
- ``ori`` is a cardinal unit vector, ``[0, 1]`` = north (+y), ``[1, 0]`` = east; a number is
  read as ToS's ``Object`` docstring gives degrees (counter-clockwise from east: 0 = east,
  90 = north). ``has_orientation`` (default true, as in ``Object.from_dict``) says whether the
  facing means anything; the agent's start pose is ``init_pos``/``init_ori`` when present,
  else ``pos``/``ori`` (default ``[0, 1]``).

Conversion rules:

- each room id's mask cells must fill their bounding box: spacelab rooms are axis-aligned
  rectangles, so a non-rectangular ToS room raises SceneError naming the room;
- our walls are lines on cell boundaries, not cells: the wall cell row/column between two
  rooms joined by a gate is absorbed into the west (or south) room of the pair, which grows by
  one cell toward the other, and the gate becomes a ``Door`` on the boundary between the
  absorbed cell and the east (north) room: axis ``"y"`` when the rooms lie west/east of the
  gate, ``"x"`` when south/north. A door's position is thus half a cell from ToS's gate
  cell, toward the east/north room; objects and the agent keep ToS's offsets exactly;
- objects get a catalog category: the name itself, a few ToS-name aliases (``television`` ->
  ``tv``, ``refrigerator`` -> ``fridge``, ``trash can`` -> ``trashcan``, ...), else the
  fallback category ``"box"`` (FALLBACK_CATEGORY); the ToS name is always kept. Heading comes
  from ``ori`` (0 for objects without orientation), ``has_facing`` from ``has_orientation``,
  the room from the mask; sizes are the category's;
- every malformed field raises one SceneError naming it (``objects[2].pos must be two
  integers, got [1.5, 2]``), and the result passes ``SceneSpec.from_dict`` and ``validate``.

Example:
    >>> mask = [[0] * 4] + [[0, 1, 1, 0] for _ in range(3)] + [[0] * 4]
    >>> layout = {"mask": mask, "gates": [], "agent": {"pos": [1, 1], "ori": [0, 1]},
    ...           "objects": [{"name": "chair", "pos": [3, 2], "ori": [1, 0], "has_orientation": True}]}
    >>> spec = scene_from_tos(layout)
    >>> spec.rooms[0], spec.object("chair").position, spec.object("chair").heading
    (Room(id=1, x0=1, y0=1, width=3, height=2), (3.5, 2.5), 90.0)
"""

from __future__ import annotations

from scenes.catalog import CATALOG
from scenes.spec import MAX_DOORS, MAX_OBJECTS, MAX_ROOMS, Door, ObjectSpec, Room, SceneError, SceneSpec

FALLBACK_CATEGORY = "box"  # category of a ToS object whose name is not in the catalog
ALIASES = {
    "television": "tv", "refrigerator": "fridge", "computer": "monitor", "trash can": "trashcan",
    "coffee table": "table", "nightstand": "cabinet", "dresser": "cabinet", "ottoman": "stool",
    "microwave": "oven", "book shelf": "bookshelf",
}
MAX_MASK = 256  # cells per mask side; ToS's layouts are about 20
ROOM_IDS = range(1, 100)
DOOR_CELLS = (100, 101)
_MASK_VALUES = "-1, 0, a room id 1..99, 100 or 101"
_CARDINAL = {(0, 1): 0.0, (1, 0): 90.0, (0, -1): 180.0, (-1, 0): 270.0}  # ToS ori -> compass heading
_NOTHING = object()


def category_for(name: str) -> str:
    """Catalog category of a ToS object name: itself, an alias, or FALLBACK_CATEGORY."""
    key = " ".join(name.strip().lower().replace("_", " ").split())
    for k in (key, ALIASES.get(key, ""), key.replace(" ", "")):
        if k in CATALOG:
            return k
    return FALLBACK_CATEGORY


def _fail(path: str, must: str, got=_NOTHING):
    raise SceneError(f"{path} {must}" + ("" if got is _NOTHING else f", got {repr(got)[:60]}"))


def _is_int(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return abs(v) <= 10_000
    return isinstance(v, float) and v.is_integer() and abs(v) <= 10_000


def _pair(v, path: str) -> tuple[int, int]:
    if not (isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_int(c) for c in v)):
        _fail(path, "must be two integers", v)
    return int(v[0]), int(v[1])


def _heading(v, path: str) -> float:
    """Compass heading of a ToS orientation: a cardinal vector, or ToS degrees (0 = east, CCW)."""
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_int(c) for c in v):
        h = _CARDINAL.get((int(v[0]), int(v[1])))
        if h is not None:
            return h
    elif _is_int(v) and int(v) % 90 == 0:
        return float((90 - int(v)) % 360)
    _fail(path, "must be a cardinal unit vector ([0, 1], [1, 0], [0, -1] or [-1, 0]) "
                "or degrees that are a multiple of 90", v)


def _name_and_cell(item, path: str) -> tuple[str, tuple[int, int]]:
    """The `name` and grid `pos` of a ToS object or gate entry at `path`."""
    if not isinstance(item, dict):
        _fail(path, "must be a JSON object", item)
    name = _field(item, "name", path)
    if not (isinstance(name, str) and 0 < len(name) <= 100):
        _fail(f"{path}.name", "must be a non-empty string of at most 100 characters", name)
    return name, _pair(_field(item, "pos", path), f"{path}.pos")


def _field(d: dict, key: str, where: str, default=_NOTHING):
    if key in d:
        return d[key]
    if default is _NOTHING:
        _fail(where, f"is missing field {key!r}")
    return default


def _mask(v, path: str) -> list[list[int]]:
    if not (isinstance(v, (list, tuple)) and 0 < len(v) <= MAX_MASK):
        _fail(path, f"must be a non-empty list of at most {MAX_MASK} lists (ToS indexes it mask[x][y])", v)
    rows = []
    for x, col in enumerate(v):
        if not (isinstance(col, (list, tuple)) and 0 < len(col) <= MAX_MASK):
            _fail(f"{path}[{x}]", f"must be a non-empty list of at most {MAX_MASK} integers", col)
        if len(col) != len(v[0]):
            _fail(f"{path}[{x}]", f"must have {len(v[0])} entries like {path}[0], got {len(col)}")
        for y, c in enumerate(col):
            if not (_is_int(c) and (int(c) in (-1, 0, *DOOR_CELLS) or int(c) in ROOM_IDS)):
                _fail(f"{path}[{x}][{y}]", f"must be {_MASK_VALUES}", c)
        rows.append([int(c) for c in col])
    return rows


def _rooms(mask: list[list[int]], path: str) -> dict[int, tuple[int, int, int, int]]:
    """Room id -> (x0, y0, x1, y1) inclusive cell box; each room must fill its box."""
    cells: dict[int, list[tuple[int, int]]] = {}
    for x, col in enumerate(mask):
        for y, c in enumerate(col):
            if c in ROOM_IDS:
                cells.setdefault(c, []).append((x, y))
    if not cells:
        _fail(path, "has no room cells (room ids are 1..99)")
    if len(cells) > MAX_ROOMS:
        _fail(path, f"has {len(cells)} rooms, more than the limit of {MAX_ROOMS}")
    boxes = {}
    for rid, cs in sorted(cells.items()):
        xs, ys = [c[0] for c in cs], [c[1] for c in cs]
        box = (min(xs), min(ys), max(xs), max(ys))
        if len(cs) != (box[2] - box[0] + 1) * (box[3] - box[1] + 1):
            _fail(f"{path}: room {rid}", f"is not a rectangle (its {len(cs)} cells do not fill the box x {box[0]}..{box[2]}, "
                                         f"y {box[1]}..{box[3]}); spacelab rooms are axis-aligned rectangles")
        boxes[rid] = box
    return boxes


def _at(mask, x: int, y: int) -> int | None:
    return mask[x][y] if 0 <= x < len(mask) and 0 <= y < len(mask[0]) else None


def scene_from_tos(layout: dict, suite: str = "tos-import", seed: int = 0) -> SceneSpec:
    """A SceneSpec from a ToS layout (see the module docstring for the format and the rules).

    Raises SceneError, naming the field, for any malformed field; also when a room's mask cells
    are not a full rectangle (spacelab rooms are axis-aligned rectangles), when a gate is not a
    door cell between its two rooms, or when the result fails `validate`.
    """
    if not isinstance(layout, dict):
        _fail("layout", "must be a JSON object", layout)
    if "room_state" in layout:  # what ToS's exploration/evaluation managers log
        room, where, p = layout["room_state"], "room_state", "room_state."
        if not isinstance(room, dict):
            _fail("room_state", "must be a JSON object", room)
        agent_where = "agent_state"
        agent = _field(layout, "agent_state", "layout")
    else:
        room, where, p = layout, "layout", ""
        agent_where = "agent"
        agent = _field(layout, "agent", "layout")

    mask = _mask(_field(room, "mask", where), f"{p}mask")
    boxes = _rooms(mask, f"{p}mask")

    # -- gates -> doors on the boundary; the wall cell goes to the west/south room ------------
    gates = _field(room, "gates", where)
    if not (isinstance(gates, (list, tuple)) and len(gates) <= MAX_DOORS):
        _fail(f"{p}gates", f"must be a list of at most {MAX_DOORS} gates", gates)
    grow: dict[int, set[str]] = {rid: set() for rid in boxes}
    doors, gate_at = [], {}
    for i, g in enumerate(gates):
        gp = f"{p}gates[{i}]"
        name, (x, y) = _name_and_cell(g, gp)
        v = _at(mask, x, y)
        if v not in DOOR_CELLS:
            _fail(f"{gp}.pos", f"{[x, y]} is not a door cell of the mask (value {v}; ToS marks doors 100 or 101)")
        if (x, y) in gate_at:
            _fail(f"{gp}.pos", f"{[x, y]} is already the place of gate {gate_at[(x, y)]!r}")
        gate_at[(x, y)] = name
        rid = _field(g, "room_id", gp)
        if not (isinstance(rid, (list, tuple)) and len(rid) == 2 and all(_is_int(r) and int(r) in boxes for r in rid)
                and int(rid[0]) != int(rid[1])):
            _fail(f"{gp}.room_id", "must be two different room ids from the mask", rid)
        a, b = int(rid[0]), int(rid[1])
        west, east, south, north = _at(mask, x - 1, y), _at(mask, x + 1, y), _at(mask, x, y - 1), _at(mask, x, y + 1)
        if {west, east} == {a, b}:  # passage runs east-west: the wall runs north-south
            grow[west].add("east")
            doors.append(Door(name, (float(x + 1), y + 0.5), "y", (a, b)))
        elif {south, north} == {a, b}:  # passage runs north-south: the wall runs east-west
            grow[south].add("north")
            doors.append(Door(name, (x + 0.5, float(y + 1)), "x", (a, b)))
        else:
            _fail(gp, f"at {[x, y]} does not lie between rooms {a} and {b} (they must be the cells on either side of it)")
    for x, col in enumerate(mask):
        for y, c in enumerate(col):
            if c in DOOR_CELLS and (x, y) not in gate_at:
                _fail(f"{p}mask[{x}][{y}]", f"is a door cell ({c}) but no gate stands there")

    rooms = []
    for rid, (x0, y0, x1, y1) in sorted(boxes.items()):
        rooms.append(Room(rid, x0, y0, x1 - x0 + 1 + ("east" in grow[rid]), y1 - y0 + 1 + ("north" in grow[rid])))
    for i, r in enumerate(rooms):
        for s in rooms[i + 1:]:
            if r.x0 < s.x0 + s.width and s.x0 < r.x0 + r.width and r.y0 < s.y0 + s.height and s.y0 < r.y0 + r.height:
                _fail(f"{p}mask: rooms {r.id} and {s.id}", "overlap once the wall cells of their gates are given to the "
                                                          "west/south rooms (ToS keeps rooms one wall cell apart)")

    # -- objects ----------------------------------------------------------------------------
    objs = _field(room, "objects", where)
    if not (isinstance(objs, (list, tuple)) and len(objs) <= MAX_OBJECTS):
        _fail(f"{p}objects", f"must be a list of at most {MAX_OBJECTS} objects", objs)
    objects, taken = [], {}
    for i, o in enumerate(objs):
        op = f"{p}objects[{i}]"
        name, (x, y) = _name_and_cell(o, op)
        rid = _at(mask, x, y)
        if rid not in boxes:
            _fail(f"{op}.pos", f"{[x, y]} is not inside a room (mask value {rid})")
        if (x, y) in taken:
            _fail(f"{op}.pos", f"{[x, y]} is already taken by {taken[(x, y)]!r}")
        taken[(x, y)] = name
        declared = o.get("room_id")
        if declared is not None and not (_is_int(declared) and int(declared) == rid):
            _fail(f"{op}.room_id", f"is {declared!r} but the mask puts {op}.pos in room {rid}")
        has = _field(o, "has_orientation", op, True)
        if not isinstance(has, bool):
            _fail(f"{op}.has_orientation", "must be true or false", has)
        heading = _heading(_field(o, "ori", op), f"{op}.ori") if has else 0.0
        cat = category_for(name)
        objects.append(ObjectSpec(name, cat, (x + 0.5, y + 0.5), heading, CATALOG[cat].size, has, rid))

    # -- agent: the start pose --------------------------------------------------------------
    if not isinstance(agent, dict):
        _fail(agent_where, "must be a JSON object", agent)
    pos_key = "init_pos" if agent.get("init_pos") is not None else "pos"
    ori_key = "init_ori" if agent.get("init_ori") is not None else "ori"
    ax, ay = _pair(_field(agent, pos_key, agent_where), f"{agent_where}.{pos_key}")
    if _at(mask, ax, ay) not in boxes:
        _fail(f"{agent_where}.{pos_key}", f"{[ax, ay]} is not inside a room (mask value {_at(mask, ax, ay)})")
    if (ax, ay) in taken:
        _fail(f"{agent_where}.{pos_key}", f"{[ax, ay]} is taken by object {taken[(ax, ay)]!r}")
    heading = _heading(agent.get(ori_key, [0, 1]), f"{agent_where}.{ori_key}")

    spec = SceneSpec(seed=seed, rooms=tuple(rooms), doors=tuple(doors), objects=tuple(objects),
                     start_position=(ax + 0.5, ay + 0.5), start_heading=heading, suite=suite)
    try:
        return SceneSpec.from_dict(spec.to_dict())  # the strict reader's checks, then validate
    except SceneError:
        raise
    except (TypeError, ValueError, RecursionError) as e:  # seed/suite of a foreign type
        raise SceneError(f"scene_from_tos arguments are malformed: {e}") from None
