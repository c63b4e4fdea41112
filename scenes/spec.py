"""SceneSpec: a multi-room scene as plain, JSON-serialisable data.

A scene is data only: backends compile it, tasks judge against it. Rooms are
axis-aligned rectangles of 1 m cells, walls lie on cell boundaries, a door is a
one-cell gap in the wall shared by two rooms, objects sit at cell centres.

Example:
    >>> from scenes.generate import generate_scene
    >>> spec = generate_scene(seed=0)
    >>> SceneSpec.from_json(spec.to_json()) == spec
    True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from scenes.catalog import CATALOG
from scenes.frames import facing_name, to_start_frame

SCHEMA_VERSION = 1


class SceneError(ValueError):
    """A scene file or spec is malformed; the message says which field to fix."""


def parse_json(text: str, what: str = "scene file"):
    """`text` parsed as JSON, or one SceneError saying why not (bad syntax, deep nesting, a number
    too long to convert), for every scene-like loader.

    >>> parse_json('{"seed": 1}')
    {'seed': 1}
    >>> parse_json('[' * 100000, "house file")
    Traceback (most recent call last):
    ...
    scenes.spec.SceneError: house file is nested too deeply to be read
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SceneError(f"{what} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise SceneError(f"{what} is nested too deeply to be read") from None
    except ValueError as e:  # e.g. an integer over Python's 4300-digit conversion limit
        raise SceneError(f"{what} holds a number that cannot be read ({str(e)[:60]})") from None


@dataclass(frozen=True)
class Room:
    id: int
    x0: int  # south-west corner, cells
    y0: int
    width: int
    height: int

    def contains(self, x: float, y: float) -> bool:
        return self.x0 < x < self.x0 + self.width and self.y0 < y < self.y0 + self.height

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.width / 2, self.y0 + self.height / 2)


@dataclass(frozen=True)
class Door:
    """A one-cell opening in a wall. `axis` is the wall's direction: "x" for a wall that
    runs east-west (door passes north-south), "y" for a wall that runs north-south."""

    name: str
    position: tuple[float, float]  # centre of the opening, on the wall line
    axis: str
    rooms: tuple[int, int]
    open: bool = True


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    category: str
    position: tuple[float, float]  # world (x, y) of the footprint centre
    heading: float  # compass degrees; 0 for objects without a facing
    size: tuple[float, float, float]
    has_facing: bool
    room: int
    dynamic: bool = False  # a free body (falls, can be pushed) instead of fixed furniture
    drop_height: float = 0.0  # m above resting on the floor, for dynamic objects


@dataclass(frozen=True)
class SceneSpec:
    seed: int
    rooms: tuple[Room, ...]
    doors: tuple[Door, ...]
    objects: tuple[ObjectSpec, ...]
    start_position: tuple[float, float]
    start_heading: float
    wall_height: float = 2.5
    wall_thickness: float = 0.1
    suite: str = ""
    version: int = SCHEMA_VERSION

    # -- lookup -------------------------------------------------------------------
    def object(self, name: str) -> ObjectSpec:
        for o in self.objects:
            if o.name == name:
                return o
        raise KeyError(name)

    def door(self, name: str) -> Door:
        for d in self.doors:
            if d.name == name:
                return d
        raise KeyError(name)

    def room_of(self, x: float, y: float) -> int | None:
        for r in self.rooms:
            if r.contains(x, y):
                return r.id
        return None

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """(xmin, ymin, xmax, ymax) over all rooms, in cells."""
        return (
            min(r.x0 for r in self.rooms),
            min(r.y0 for r in self.rooms),
            max(r.x0 + r.width for r in self.rooms),
            max(r.y0 + r.height for r in self.rooms),
        )

    # -- ground truth -----------------------------------------------------------------
    def ground_truth(self) -> dict:
        """Objects and doors in the start frame, in the cognitive-map JSON layout.

        Facing is relative to the start heading ("north" = the agent's initial facing);
        objects without a facing and doors get None.
        """
        gt: dict = {"agent": {"position": [0.0, 0.0], "facing": "north"}}
        for o in self.objects:
            p = to_start_frame(o.position, self.start_position, self.start_heading)
            facing = facing_name(o.heading - self.start_heading) if o.has_facing else None
            gt[o.name] = {"position": _clean(p), "facing": facing}
        for d in self.doors:
            p = to_start_frame(d.position, self.start_position, self.start_heading)
            gt[d.name] = {"position": _clean(p), "facing": None}
        return gt

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "SceneSpec":
        """Read a scene from plain data; any type or range error raises one SceneError naming
        the field (``objects[3].size[0] must be a positive number, got -1``)."""
        r = _Reader()
        r.check(isinstance(d, dict), "scene", "must be a JSON object", d)
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(str(k) for k in d if k not in known)
        r.check(not unknown, "scene", f"has unknown field(s) {unknown}; allowed: {sorted(known)}", None)
        version = d.get("version", SCHEMA_VERSION)
        r.check(version == SCHEMA_VERSION, "version", f"must be {SCHEMA_VERSION}", version)
        rooms = tuple(Room(id=r.int(x, "id", p), x0=r.int(x, "x0", p, lo=-LIMIT), y0=r.int(x, "y0", p, lo=-LIMIT),
                           width=r.int(x, "width", p, lo=1), height=r.int(x, "height", p, lo=1))
                      for p, x in r.items(d, "rooms", MAX_ROOMS))
        doors = tuple(Door(name=r.str(x, "name", p), position=r.vec(x, "position", p, 2), axis=r.str(x, "axis", p),
                           rooms=r.vec(x, "rooms", p, 2, integer=True),
                           open=r.bool(x, "open", p, default=True))
                      for p, x in r.items(d, "doors", MAX_DOORS))
        objects = tuple(ObjectSpec(
            name=r.str(x, "name", p), category=r.str(x, "category", p), position=r.vec(x, "position", p, 2),
            heading=r.num(x, "heading", p, lo=-360.0, hi=360.0), size=r.vec(x, "size", p, 3, positive=True),
            has_facing=r.bool(x, "has_facing", p), room=r.int(x, "room", p),
            dynamic=r.bool(x, "dynamic", p, default=False), drop_height=r.num(x, "drop_height", p, lo=0.0, hi=100.0,
                                                                             default=0.0))
            for p, x in r.items(d, "objects", MAX_OBJECTS))
        spec = cls(seed=r.int(d, "seed", "scene", lo=0, hi=2**63 - 1), rooms=rooms, doors=doors, objects=objects,
                   start_position=r.vec(d, "start_position", "scene", 2),
                   start_heading=r.num(d, "start_heading", "scene", lo=-360.0, hi=360.0),
                   wall_height=r.num(d, "wall_height", "scene", lo=0.5, hi=100.0, default=2.5),
                   wall_thickness=r.num(d, "wall_thickness", "scene", lo=0.01, hi=1.0, default=0.1),
                   suite=r.str(d, "suite", "scene", default=""))
        validate(spec)
        return spec

    @classmethod
    def from_json(cls, text: str) -> "SceneSpec":
        d = parse_json(text, "scene file")
        if isinstance(d, dict) and set(d) == {"scene", "ground_truth"}:  # what `spacelab scene` prints
            d = d["scene"]
        return cls.from_dict(d)

    @classmethod
    def load(cls, path: str) -> "SceneSpec":
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise SceneError(f"cannot read scene file {path}: {e.strerror}") from None
        try:
            return cls.from_json(text)
        except SceneError as e:
            raise SceneError(f"{path}: {e}") from None


LIMIT = 10_000  # cells / metres: coordinates beyond this are mistakes, not scenes
MAX_ROOMS, MAX_DOORS, MAX_OBJECTS = 64, 256, 1024


_REQUIRED = object()  # marks a field without a default in _Reader


class _Reader:
    """Typed field access for `SceneSpec.from_dict`: each method returns the value of field
    `key` of `d` (whose own path is `where`) or raises a SceneError naming the field path,
    what it must be, and what it was."""

    @staticmethod
    def check(ok: bool, path: str, must: str, got) -> None:
        if not ok:
            raise SceneError(f"{path} {must}" + ("" if got is None else f", got {repr(got)[:60]}"))

    def get(self, d: dict, key: str, where: str, default):
        path = key if where == "scene" else f"{where}.{key}"
        if key not in d:
            self.check(default is not _REQUIRED, where, f"is missing field {key!r}", None)
            return path, default
        return path, d[key]

    def items(self, d: dict, key: str, limit: int):
        path, value = self.get(d, key, "scene", _REQUIRED)
        self.check(isinstance(value, (list, tuple)), path, "must be a list", value)
        self.check(len(value) <= limit, path, f"has {len(value)} entries, more than the limit of {limit}", None)
        for i, x in enumerate(value):
            self.check(isinstance(x, dict), f"{path}[{i}]", "must be a JSON object", x)
            yield f"{path}[{i}]", x

    def _int(self, v, path: str, lo: int, hi: int) -> int:
        self.check(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi, path,
                   f"must be an integer in [{lo}, {hi}]", v)
        return v

    def _num(self, v, path: str, lo: float, hi: float) -> float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi  # NaN fails both comparisons
        self.check(ok, path, f"must be a number in [{lo:g}, {hi:g}]", v)
        return float(v)

    def int(self, d, key, where, lo=-(2**31), hi=2**31 - 1, default=_REQUIRED) -> int:
        path, v = self.get(d, key, where, default)
        return self._int(v, path, lo, hi)

    def num(self, d, key, where, lo, hi, default=_REQUIRED) -> float:
        path, v = self.get(d, key, where, default)
        return self._num(v, path, lo, hi)

    def str(self, d, key, where, default=_REQUIRED) -> str:
        path, v = self.get(d, key, where, default)
        self.check(isinstance(v, str) and len(v) <= 100, path, "must be a string of at most 100 characters", v)
        return v

    def bool(self, d, key, where, default=_REQUIRED) -> bool:
        path, v = self.get(d, key, where, default)
        self.check(isinstance(v, bool), path, "must be true or false", v)
        return v

    def vec(self, d, key, where, n, positive=False, integer=False) -> tuple:
        path, v = self.get(d, key, where, _REQUIRED)
        self.check(isinstance(v, (list, tuple)) and len(v) == n, path, f"must be a list of {n} {'integers' if integer else 'numbers'}", v)
        if integer:
            return tuple(self._int(x, f"{path}[{i}]", -(2**31), 2**31 - 1) for i, x in enumerate(v))
        lo = 1e-6 if positive else -LIMIT
        return tuple(self._num(x, f"{path}[{i}]", lo, LIMIT) for i, x in enumerate(v))


def _clean(p) -> list[float]:
    # Round away float noise from rotations so JSON is byte-stable and readable.
    return [float(round(v, 6)) + 0.0 for v in np.asarray(p).tolist()]


def validate(spec: SceneSpec) -> None:
    """Raise SceneError naming the first inconsistency in a spec."""
    if not spec.rooms:
        raise SceneError("scene has no rooms")
    room_ids = {r.id for r in spec.rooms}
    for r in spec.rooms:
        if r.width <= 0 or r.height <= 0:
            raise SceneError(f"room {r.id} has non-positive size {r.width}x{r.height}")
    names = [o.name for o in spec.objects] + [d.name for d in spec.doors]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SceneError(f"duplicate names in scene: {sorted(dup)}")
    if "agent" in names:
        raise SceneError("'agent' is reserved and cannot name an object")
    for d in spec.doors:
        if d.axis not in ("x", "y"):
            raise SceneError(f"door {d.name}: axis must be 'x' or 'y', got {d.axis!r}")
        if not set(d.rooms) <= room_ids:
            raise SceneError(f"door {d.name} joins unknown rooms {d.rooms}")
        if "door" not in d.name:
            raise SceneError(f"door name {d.name!r} must contain 'door'")
    for o in spec.objects:
        if o.category not in CATALOG:
            raise SceneError(f"object {o.name}: unknown category {o.category!r}; known: {', '.join(sorted(CATALOG))}")
        if not all(isinstance(s, (int, float)) and 0 < s <= LIMIT for s in o.size):
            raise SceneError(f"object {o.name}: size must be three positive finite numbers, got {list(o.size)}")
        if o.room not in room_ids:
            raise SceneError(f"object {o.name} is in unknown room {o.room}")
        if spec.room_of(*o.position) != o.room:
            raise SceneError(f"object {o.name} at {list(o.position)} is not inside room {o.room}")
        if "door" in o.name:
            raise SceneError(f"object name {o.name!r} must not contain 'door' (reserved for doors)")
    if spec.room_of(*spec.start_position) is None:
        raise SceneError(f"start_position {list(spec.start_position)} is not inside any room")
    if spec.start_heading % 90 != 0:
        raise SceneError(f"start_heading must be a multiple of 90 degrees, got {spec.start_heading}")
