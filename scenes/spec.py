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

from scenes.frames import facing_name, to_start_frame

SCHEMA_VERSION = 1


class SceneError(ValueError):
    """A scene file or spec is malformed; the message says which field to fix."""


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
        if not isinstance(d, dict):
            raise SceneError("scene must be a JSON object")
        try:
            if d.get("version", SCHEMA_VERSION) != SCHEMA_VERSION:
                raise SceneError(f"scene version {d.get('version')} is not supported (expected {SCHEMA_VERSION})")
            spec = cls(
                seed=int(d["seed"]),
                rooms=tuple(Room(**r) for r in d["rooms"]),
                doors=tuple(
                    Door(**{**x, "position": tuple(x["position"]), "rooms": tuple(x["rooms"])}) for x in d["doors"]
                ),
                objects=tuple(
                    ObjectSpec(**{**o, "position": tuple(o["position"]), "size": tuple(o["size"])})
                    for o in d["objects"]
                ),
                start_position=tuple(d["start_position"]),
                start_heading=float(d["start_heading"]),
                wall_height=float(d.get("wall_height", 2.5)),
                wall_thickness=float(d.get("wall_thickness", 0.1)),
                suite=str(d.get("suite", "")),
            )
        except KeyError as e:
            raise SceneError(f"scene is missing field {e.args[0]!r}") from None
        except TypeError as e:
            raise SceneError(f"scene has a malformed entry: {e}") from None
        validate(spec)
        return spec

    @classmethod
    def from_json(cls, text: str) -> "SceneSpec":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise SceneError(f"scene file is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
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
