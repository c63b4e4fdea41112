"""House-task executors' common ground: the interface (`HouseExecutor`), the floor plan an
agent starts with (`layout_of`), and the precondition checks both executors share
(`precondition_failure`, so that both give the same reason for the same mistake).
`sim.manip.house_exec.make_executor` builds one: `sim.manip.house_symbolic.SymbolicHouse`
(the rule-based twin) or `sim.manip.house_exec.PhysicsHouse` (MuJoCo).
Skills and what they need (HOUSE_PRIMITIVES' preconditions, checked in this order):

- ``navigate_to(target)``: a piece, a container (its piece), an item (the piece it rests
  on now; not a held item, not one hidden in a closed container) or a room ``room_<k>``
  (a Layout room: the robot drives to the free cell nearest its centre and parks at no
  piece). The target's room must be reachable through open doors.
- ``look_at(target)`` / ``look_around()``: no preconditions.
- ``open(c)`` / ``close(c)``: parked at c's piece, c closed (open), hand empty.
- ``pick(item)``: parked at the item's piece, the item not in a closed container, hand empty.
- ``place(item, target)``: holding the item, parked at the target's piece, the target a
  support (table, counter, shelf) or a container, open.

What the robot sees (the observation's pieces, items, opened, closed):

- symbolic twin: arriving at a piece (navigate_to) or looking at it shows the piece, the
  items on it and in its open containers, and which of its containers are closed;
  look_around shows every piece of the current room that way; open() shows what is inside;
  reset() shows nothing (look around first). Only the robot's own room is ever seen.
- physics, sensors="symbolic": after every call, what the head camera sees from where the
  robot stands (`HouseWorld.in_view`: view cone and a ray; look_around: at its six stops);
  an item in an open container counts as seen when the container's moving part is.
- physics, sensors="rgbd": the head camera's depth and segmentation rendered by MuJoCo,
  back-projected (`perception.mapping.back_project`) and turned into pieces, items and
  relations by `perception.house_vision` (see its notes on occlusion). Open or closed is
  read from the container's joint. look_around renders at each of six 60-degree stops.

Names an agent never saw are not refused (the executor does not know the agent's map):
``navigate_to(mug_0)`` goes to where mug_0 is. Belief agents should only use names from
their observations; the oracle may use any. Failure reasons do not give away where an item
is: a pick at the wrong piece says "mug_0 is not at table_0".

Example:
    >>> from scenes.house import load_house
    >>> layout_of(load_house("house-2room", 0)).rooms
    (0, 1)
"""

from __future__ import annotations

from collections import deque

from perception.house_data import HouseObservation, Layout, PieceSeen, SkillCall, parse_call
from scenes.house import Furniture, HouseSpec

EXECUTOR_KINDS = ("physics", "symbolic")
SENSORS = ("symbolic", "rgbd")
ROOM = "room_"  # navigate_to(room_<k>): a Layout room


# -- the house as every agent knows it -----------------------------------------------------------
def layout_of(house: HouseSpec) -> Layout:
    """The floor plan: rooms, their centres, doors (open ones), the start room."""
    s = house.scene
    return Layout(tuple(r.id for r in s.rooms), tuple(tuple(map(float, r.center)) for r in s.rooms),
                  tuple(tuple(d.rooms) for d in s.doors if d.open), int(s.room_of(*s.start_position)))


def reachable_rooms(layout: Layout, room: int) -> set[int]:
    """Rooms joined to `room` through open doors (itself included)."""
    seen, todo = {room}, deque([room])
    while todo:
        r = todo.popleft()
        for a, b in layout.doors:
            for x, y in ((a, b), (b, a)):
                if x == r and y not in seen:
                    seen.add(y)
                    todo.append(y)
    return seen


def room_target(name: str, layout: Layout) -> int | None:
    """The room id of ``room_<k>`` when k is a Layout room, else None."""
    if name.startswith(ROOM) and name[len(ROOM):].isdigit() and int(name[len(ROOM):]) in layout.rooms:
        return int(name[len(ROOM):])
    return None


def piece_or_none(house: HouseSpec, name: str) -> Furniture | None:
    for f in house.furniture:
        if name == f.name or name in f.containers:
            return f
    return None


def is_cupboard(house: HouseSpec, container: str) -> bool:
    f = piece_or_none(house, container)
    return f is not None and f.kind == "cupboard"


def precondition_failure(house: HouseSpec, layout: Layout, call: SkillCall, *, room: int, at: str | None,
                         holding: str | None, place_of, is_open) -> str:
    """Why `call` cannot run in this state ("" when its preconditions hold). `place_of(item)`
    gives the item's (relation, place) or None (held, or resting on no piece); `is_open(c)`
    whether container c is open.

    >>> from scenes.house import load_house
    >>> h = load_house("house-2room", 0)
    >>> precondition_failure(h, layout_of(h), SkillCall("open", ("dresser_0_drawer1",)), room=0, at="dresser_0",
    ...                      holding="block_1", place_of=lambda i: None, is_open=lambda c: False)
    'holding block_1'
    """
    supports = set(house.names("support"))
    containers = set(house.names("container"))
    items = {i.name for i in house.items}
    skill, args = call.skill, call.args

    def piece_name(x):
        return piece_or_none(house, x).name

    def where(item):
        return place_of(item) if item in items else None

    if skill in ("navigate_to", "look_at"):
        t = args[0]
        k = room_target(t, layout) if skill == "navigate_to" else None
        if k is not None:
            return "" if k in reachable_rooms(layout, room) else f"no path to room {k}"
        if t not in items and piece_or_none(house, t) is None:
            return f"unknown target {t!r}"
        if t in items:
            if holding == t:
                return f"{t} is in the hand"
            p = where(t)
            if p is None:
                return f"{t} rests on no piece"
            if p[0] == "in" and not is_open(p[1]):
                return f"{t} is hidden in the closed {p[1]}" if skill == "look_at" else \
                    f"{t} is hidden in a closed container: navigate to a piece or container instead"
            f = piece_or_none(house, p[1])
        else:
            f = piece_or_none(house, t)
        if skill == "navigate_to" and f.room not in reachable_rooms(layout, room):
            return f"no path to {f.name}"
        return ""
    if skill in ("open", "close"):
        c = args[0]
        if c not in containers:
            return f"unknown container {c!r}; containers: {', '.join(sorted(containers))}"
        if at != piece_name(c):
            return f"not parked at {piece_name(c)}"
        if skill == "open" and is_open(c):
            return f"{c} is already open"
        if skill == "close" and not is_open(c):
            return f"{c} is already closed"
        return f"holding {holding}" if holding else ""
    if skill == "pick":
        i = args[0]
        if i not in items:
            return f"unknown item {i!r}"
        if holding == i:
            return f"already holding {i}"
        if at is None:
            return "not parked at any piece"
        p = where(i)
        if p is None or piece_name(p[1]) != at:
            return f"{i} is not at {at}"  # says nothing about where it is
        if p[0] == "in" and not is_open(p[1]):
            return f"{i} is inside the closed {p[1]}"
        return f"already holding {holding}" if holding else ""
    if skill == "place":
        i, t = args
        if i not in items:
            return f"unknown item {i!r}"
        if t not in supports and t not in containers:
            return f"{t!r} is not a support or a container; supports: {', '.join(sorted(supports))}"
        if holding != i:
            return f"not holding {i}"
        if at != piece_name(t):
            return f"not parked at {piece_name(t)}"
        if t in containers and not is_open(t):
            return f"{t} is closed"
        return ""
    return ""  # look_around


def as_call(call) -> tuple[SkillCall | None, str]:
    if isinstance(call, SkillCall):
        return call, ""
    try:
        return parse_call(call), ""
    except ValueError as e:
        return None, str(e)


class HouseExecutor:
    """The interface every house executor offers (see the module docstring)."""

    kind = ""

    def __init__(self, house: HouseSpec, sensors: str = "symbolic", seed: int = 0) -> None:
        self.house = house
        self.layout = layout_of(house)
        self.sensors = sensors
        self.seed = seed
        self.sim_seconds = 0.0
        self.skill_calls = 0
        self._items = [i.name for i in house.items]

    def item_names(self) -> list[str]:
        return list(self._items)

    def reset(self) -> HouseObservation:
        raise NotImplementedError

    def execute(self, call: SkillCall) -> HouseObservation:
        """Run one skill; a failure (unknown names, unmet preconditions, the world) is an
        observation with success False and a one-line reason, never an exception."""
        self.skill_calls += 1
        parsed, why = as_call(call)
        if parsed is None:
            return self._failed(None, why)
        try:
            return self._execute(parsed)
        except Exception as e:  # noqa: BLE001  (a skill that raises inside the world: should not happen, never a crash)
            return self._failed(parsed, f"{type(e).__name__}: {e}".splitlines()[0])

    def truth(self) -> frozenset:
        raise NotImplementedError

    def robot_xy(self) -> tuple[float, float]:
        raise NotImplementedError

    def move_items(self, moves: list[tuple[str, str]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    # -- shared helpers ----------------------------------------------------------------------
    def _execute(self, call: SkillCall) -> HouseObservation:
        raise NotImplementedError

    def _failed(self, call, reason: str) -> HouseObservation:
        return HouseObservation(call, False, reason, self._room(), self._at(), self._holding())

    def _room(self) -> int:
        raise NotImplementedError

    def _at(self) -> str | None:
        raise NotImplementedError

    def _holding(self) -> str | None:
        raise NotImplementedError

    def _check_moves(self, moves) -> list[tuple[str, str, str]]:
        """(item, relation, place) per move; one ValueError naming a bad entry."""
        supports, containers = set(self.house.names("support")), set(self.house.names("container"))
        out = []
        for m in moves:
            if not (isinstance(m, (tuple, list)) and len(m) == 2):
                raise ValueError(f"a move must be (item, place), got {m!r}")
            item, place = m
            if item not in self._items:
                raise ValueError(f"move: unknown item {item!r}")
            if place not in supports and place not in containers:
                raise ValueError(f"move: {place!r} is not a support or a container")
            out.append((item, "in" if place in containers else "on", place))
        return out

    def _piece_seen(self, f: Furniture, position=None) -> PieceSeen:
        return PieceSeen(f.name, f.kind, f.room, tuple(map(float, position if position is not None else f.position)),
                         f.containers)


# -- the symbolic twin ------------------------------------------------------------------------------

__all__ = ["EXECUTOR_KINDS", "SENSORS", "HouseExecutor", "as_call", "is_cupboard", "layout_of", "piece_or_none", "precondition_failure", "reachable_rooms", "room_target"]
