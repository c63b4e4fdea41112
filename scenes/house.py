"""HouseSpec: an exploration house plus furniture built for manipulation, and items to carry.

A house is the exploration generator's scene (`scenes.generate.generate_scene`: rooms,
doors, exploration objects) with manipulation furniture added on free cells:

- ``table`` (0.75 m) and ``counter`` (0.90 m): items stand on their tops;
- ``dresser`` (0.80 m): a cabinet with two full-extension sliding drawers (0.40 m of travel;
  containers ``<name>_drawer1`` (top) and ``<name>_drawer2``); items hide in the top
  drawer, in the part that slides out, near its middle;
- ``cupboard`` (1.10 m): a cabinet with one door on a vertical hinge (the container is
  the cupboard itself; the door hangs on the side with more room beside it, `door_side`);
  items hide near the front of its floor board (0.45 m);
- ``shelf`` (0.95 m): an open shelf unit; items stand on its top board.

Every furniture piece is also an exploration object (category desk, cabinet or bookshelf)
of the house's `SceneSpec`, so exploration runs on houses unchanged. Items are small
(`ITEM_KINDS`); they are not exploration objects.

Each piece faces a free, reachable approach cell. Reachability of an item is checked at
generation with a conservative reach envelope of the mobile Panda parked in front of the
piece (`reachable`): horizontal distance from the arm's shoulder column and height above
its mount. The robots layer's tests verify that envelope with inverse kinematics on every
item of many scenes.

Example:
    >>> h = generate_house(seed=0, n_rooms=2)
    >>> HouseSpec.from_json(h.to_json()) == h
    True
    >>> sorted({f.kind for f in h.furniture})
    ['counter', 'cupboard', 'dresser', 'shelf', 'table']
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import networkx as nx
import numpy as np

from scenes.generate import all_reachable, door_approach_cells, generate_scene
from scenes.grid import room_cells, walkable_graph
from scenes.spec import ObjectSpec, SceneError, SceneSpec, parse_json

HOUSE_SCHEMA = 1


@dataclass(frozen=True)
class FurnitureKind:
    size: tuple[float, float, float]  # width (across the front), depth, height, m
    category: str  # the exploration category it shows as
    surface: float  # height items stand on, m (top, or the drawer / cupboard floor)
    relation: str  # "on" or "in"


FURNITURE_KINDS = {
    "table": FurnitureKind((0.8, 0.6, 0.75), "desk", 0.75, "on"),
    "counter": FurnitureKind((0.8, 0.6, 0.90), "desk", 0.90, "on"),
    "dresser": FurnitureKind((0.7, 0.5, 0.80), "cabinet", 0.52, "in"),  # floor of the top drawer
    "cupboard": FurnitureKind((0.6, 0.45, 1.10), "cabinet", 0.45, "in"),  # floor board behind the door
    "shelf": FurnitureKind((0.8, 0.4, 0.95), "bookshelf", 0.95, "on"),
}
DRAWER_TRAVEL = 0.40  # m a drawer slides out: full extension (0.47 m deep drawers), see docs/house.md
DRAWER_ITEM_DEPTH = (-0.28, -0.16)  # item spots in the top drawer, m from the dresser's front (closed frame)
CUPBOARD_ITEM_DEPTH = (-0.20, -0.12)  # item spots on the cupboard's floor, m from its front
DRAWER_ITEM_LATERAL = 0.12  # m either side of the drawer's middle: the hand (0.2 m across its fingers) clears the sides
DRAWER_Z = (0.64, 0.30)  # centre heights of the drawer fronts (top, bottom)
DRAWER_HALF_H = 0.12


@dataclass(frozen=True)
class ItemKind:
    size: tuple[float, float, float]  # bounding box (x, y, z), m
    shape: str  # "box", "cylinder" or "mesh"
    mass: float
    rgba: tuple[float, float, float, float]


ITEM_KINDS = {
    "block": ItemKind((0.05, 0.05, 0.05), "box", 0.10, (0.85, 0.2, 0.15, 1.0)),
    "can": ItemKind((0.06, 0.06, 0.10), "cylinder", 0.15, (0.15, 0.45, 0.85, 1.0)),
    "mug": ItemKind((0.07, 0.07, 0.08), "mesh", 0.12, (0.9, 0.9, 0.85, 1.0)),  # pybullet_data objects/mug.obj
    "duck": ItemKind((0.05, 0.05, 0.05), "mesh", 0.08, (1.0, 0.85, 0.1, 1.0)),  # pybullet_data duck_vhacd.obj
}


@dataclass(frozen=True)
class Furniture:
    name: str
    kind: str
    room: int
    position: tuple[float, float]  # cell centre, world
    facing: tuple[int, int]  # unit vector from the piece toward its approach cell (its front)
    size: tuple[float, float, float]

    @property
    def containers(self) -> tuple[str, ...]:
        if self.kind == "dresser":
            return (f"{self.name}_drawer1", f"{self.name}_drawer2")
        return (self.name,) if self.kind == "cupboard" else ()

    @property
    def yaw(self) -> float:
        """MuJoCo yaw (rad) of the piece's +x axis, which points out of its front."""
        return math.atan2(self.facing[1], self.facing[0])

    def to_world(self, lateral: float, depth: float) -> tuple[float, float]:
        """World xy of a point `depth` m in front of the centre (negative: toward the back)
        and `lateral` m to the left when facing the front."""
        fx, fy = self.facing
        return (self.position[0] + fx * depth - fy * lateral, self.position[1] + fy * depth + fx * lateral)


@dataclass(frozen=True)
class Item:
    name: str
    kind: str
    relation: str  # "on" or "in"
    support: str  # a furniture name, or a container name (drawer / cupboard)
    furniture: str  # the piece it belongs to
    lateral: float  # offset in the piece frame, m (see Furniture.to_world)
    depth: float
    yaw: float  # deg about z, relative to the piece


@dataclass(frozen=True)
class HouseSpec:
    seed: int
    suite: str
    scene: SceneSpec
    furniture: tuple[Furniture, ...]
    items: tuple[Item, ...]
    version: int = HOUSE_SCHEMA

    def piece(self, name: str) -> Furniture:
        for f in self.furniture:
            if f.name == name or name in f.containers:
                return f
        raise SceneError(f"unknown furniture or container {name!r}; known: {', '.join(self.names('container'))}")

    def item(self, name: str) -> Item:
        for i in self.items:
            if i.name == name:
                return i
        raise SceneError(f"unknown item {name!r}; known: {', '.join(i.name for i in self.items) or 'none'}")

    def names(self, what: str) -> list[str]:
        if what == "container":
            return [c for f in self.furniture for c in f.containers]
        if what == "support":
            return [f.name for f in self.furniture if FURNITURE_KINDS[f.kind].relation == "on"]
        return [i.name for i in self.items]

    def item_position(self, item: Item) -> tuple[float, float, float]:
        """World (x, y, z of the item's base) where the item was generated (containers closed;
        a drawer item moves with its drawer)."""
        f = self.piece(item.furniture)
        x, y = f.to_world(item.lateral, item.depth)
        return (x, y, FURNITURE_KINDS[f.kind].surface)

    def ground_truth(self) -> dict:
        """Exploration ground truth plus `relations`: [relation, item, support] triples and the
        containers (closed at the start)."""
        gt = self.scene.ground_truth()
        gt["relations"] = [[i.relation, i.name, i.support] for i in self.items]
        gt["containers"] = {c: {"open": False, "furniture": f.name} for f in self.furniture for c in f.containers}
        return gt

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["scene"] = self.scene.to_dict()
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, d) -> "HouseSpec":
        """Read a house from plain data; a malformed field raises one SceneError naming it."""
        if not isinstance(d, dict):
            raise SceneError(f"house must be a JSON object, got {type(d).__name__}")
        known = set(cls.__dataclass_fields__)
        if set(d) - known or {"seed", "scene", "furniture", "items"} - set(d):
            raise SceneError(f"house fields must be {sorted(known)}, got {sorted(map(str, d))}")
        if d.get("version", HOUSE_SCHEMA) != HOUSE_SCHEMA:
            raise SceneError(f"house version must be {HOUSE_SCHEMA}, got {d.get('version')!r}")
        scene = SceneSpec.from_dict(d["scene"])
        furniture = tuple(_furniture(x, f"furniture[{k}]") for k, x in enumerate(_list(d, "furniture")))
        items = tuple(_item(x, f"items[{k}]") for k, x in enumerate(_list(d, "items")))
        seed = d["seed"]
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise SceneError(f"seed must be a non-negative integer, got {seed!r}")
        suite = d.get("suite", "")
        if not isinstance(suite, str):
            raise SceneError(f"suite must be a string, got {suite!r}")
        house = cls(seed, suite, scene, furniture, items)
        validate_house(house)
        return house

    @classmethod
    def from_json(cls, text: str) -> "HouseSpec":
        return cls.from_dict(parse_json(text, "house file"))


def _list(d: dict, key: str) -> list:
    v = d[key]
    if not isinstance(v, list) or len(v) > 256:
        raise SceneError(f"{key} must be a list of at most 256 entries, got {repr(v)[:60]}")
    return v


def _num(x, key: str, where: str, lo: float = -1e4, hi: float = 1e4) -> float:
    v = x.get(key) if isinstance(x, dict) else None
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
        raise SceneError(f"{where}.{key} must be a number in [{lo:g}, {hi:g}], got {repr(v)[:60]}")
    return float(v)


def _str(x, key: str, where: str, choices=None) -> str:
    v = x.get(key) if isinstance(x, dict) else None
    if not isinstance(v, str) or not v or len(v) > 100 or (choices is not None and v not in choices):
        want = f"one of {sorted(choices)}" if choices is not None else "a non-empty string"
        raise SceneError(f"{where}.{key} must be {want}, got {repr(v)[:60]}")
    return v


def _vec(x, key: str, where: str, n: int, lo: float = -1e4, hi: float = 1e4) -> tuple:
    v = x.get(key) if isinstance(x, dict) else None
    if not isinstance(v, (list, tuple)) or len(v) != n:
        raise SceneError(f"{where}.{key} must be a list of {n} numbers, got {repr(v)[:60]}")
    return tuple(_num({"v": e}, "v", f"{where}.{key}[{i}]".replace(".v", ""), lo, hi) for i, e in enumerate(v))


def _furniture(x, where: str) -> Furniture:
    if not isinstance(x, dict):
        raise SceneError(f"{where} must be a JSON object, got {repr(x)[:60]}")
    facing = _vec(x, "facing", where, 2, -1, 1)
    if sorted(map(abs, facing)) != [0.0, 1.0]:
        raise SceneError(f"{where}.facing must be a unit grid direction like [1, 0], got {list(facing)}")
    return Furniture(_str(x, "name", where), _str(x, "kind", where, FURNITURE_KINDS), int(_num(x, "room", where, 0, 1e4)),
                     _vec(x, "position", where, 2), (int(facing[0]), int(facing[1])), _vec(x, "size", where, 3, 1e-3, 10))


def _item(x, where: str) -> Item:
    if not isinstance(x, dict):
        raise SceneError(f"{where} must be a JSON object, got {repr(x)[:60]}")
    return Item(_str(x, "name", where), _str(x, "kind", where, ITEM_KINDS), _str(x, "relation", where, {"on", "in"}),
                _str(x, "support", where), _str(x, "furniture", where), _num(x, "lateral", where, -1, 1),
                _num(x, "depth", where, -1, 1), _num(x, "yaw", where, -360, 360))


def validate_house(h: HouseSpec) -> None:
    """Raise SceneError naming the first inconsistency (unknown support, item off its piece, ...)."""
    names = [f.name for f in h.furniture] + [i.name for i in h.items]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SceneError(f"duplicate names in house: {dup}")
    pieces = {f.name: f for f in h.furniture}
    for f in h.furniture:
        if h.scene.room_of(*f.position) != f.room:
            raise SceneError(f"furniture {f.name} at {list(f.position)} is not inside room {f.room}")
    for i in h.items:
        f = pieces.get(i.furniture)
        if f is None:
            raise SceneError(f"item {i.name}: unknown furniture {i.furniture!r}")
        if i.support not in (f.name, *f.containers):
            raise SceneError(f"item {i.name}: support {i.support!r} is not {f.name} or one of its containers")
        want = "in" if i.support in f.containers else "on"
        if i.relation != want:
            raise SceneError(f"item {i.name}: relation must be {want!r} for support {i.support}, got {i.relation!r}")
        w, dep, _ = f.size
        if abs(i.lateral) > w / 2 or abs(i.depth) > dep / 2:
            raise SceneError(f"item {i.name} at ({i.lateral}, {i.depth}) lies off {f.name}")


# -- reach envelope of the parked mobile Panda (see the module docstring) ----------------------
PARK_GAP = 0.04  # m between the base and the piece's front
BASE_RADIUS = 0.28
ARM_FORWARD = 0.12  # the arm's mount ahead of the base centre
MOUNT_HEIGHT = 0.42
REACH_XY = (0.30, 0.72)  # shoulder-column distance of a top-down grasp point, m
REACH_Z = (-0.05, 0.62)  # grasp height above the mount, m


def park_distance(f: Furniture) -> float:
    """Base centre to piece centre, along the piece's facing, when parked in front of it."""
    if f.kind == "dresser":  # far enough back that the drawer knob can be pulled toward the arm
        return f.size[1] / 2 + 0.77
    return f.size[1] / 2 + BASE_RADIUS + PARK_GAP


def reachable(f: Furniture, lateral: float, depth: float, z: float) -> bool:
    """Whether a top-down grasp at the piece-frame point lies in the reach envelope."""
    forward = park_distance(f) - ARM_FORWARD - depth  # arm mount to point, along the facing
    return REACH_XY[0] <= math.hypot(forward, lateral) <= REACH_XY[1] and REACH_Z[0] <= z - MOUNT_HEIGHT <= REACH_Z[1]


def door_side(house: HouseSpec, f: Furniture) -> int:
    """Which edge of a cupboard's front its door hangs on: +1 the left one (+lateral, seen
    from the front), -1 the right one. The door swings open toward its hinge's side and, past
    90 degrees, lies along that side with its knob facing outward: the side whose neighbour
    cells (beside the piece and beside its approach cell) hold less (a wall counts twice an
    object) leaves room for the hand on the knob. Ties go to the left."""
    def blocked(lat: int) -> int:
        score = 0
        for dep in (0, 1):
            x, y = f.to_world(lat, dep)
            if house.scene.room_of(x, y) != f.room:
                score += 2
            elif any(abs(o.position[0] - x) < 0.5 and abs(o.position[1] - y) < 0.5 for o in house.scene.objects):
                score += 1
        return score

    return 1 if blocked(1) <= blocked(-1) else -1


# -- generation ---------------------------------------------------------------------------------
ORDER = ("dresser", "cupboard", "table", "counter", "shelf")
_DIRS = ((1, 0), (0, 1), (-1, 0), (0, -1))


def generate_house(seed: int, n_rooms: int = 3, suite: str = "", items_per_piece: int = 1) -> HouseSpec:
    """A seeded house: the exploration scene, one of each furniture kind (more in bigger
    houses), items on/in them. The same arguments always give the same house."""
    if n_rooms < 1:
        raise SceneError(f"n_rooms must be >= 1, got {n_rooms}")
    rng = np.random.default_rng([seed, 16])
    for _attempt in range(50):
        scene = generate_scene(seed=int(seed) + 100_003 * _attempt, n_rooms=n_rooms, room_size=6, objects_per_room=2,
                               suite=suite)
        scene = SceneSpec(**{**scene.__dict__, "seed": int(seed)})
        kinds = list(ORDER) + [ORDER[int(k)] for k in rng.integers(0, len(ORDER), size=max(0, n_rooms - 2))]
        placed = _place_furniture(rng, scene, kinds)
        if placed is None:
            continue
        scene2, furniture = placed
        items = _items(rng, furniture, items_per_piece)
        house = HouseSpec(int(seed), suite, scene2, tuple(furniture), tuple(items))
        validate_house(house)
        return house
    raise SceneError(f"could not furnish house seed {seed} with {n_rooms} rooms")


def _place_furniture(rng, scene: SceneSpec, kinds: list[str]):
    blocked = door_approach_cells(scene.doors) | {tuple(scene.start_position)} | {tuple(o.position) for o in scene.objects}
    objects = list(scene.objects)
    furniture: list[Furniture] = []
    counts: dict[str, int] = {}
    approach_cells: set = set()
    for k, kind in enumerate(kinds):
        room = scene.rooms[k % len(scene.rooms)]
        cells = [c for c in room_cells(room) if c not in blocked and c not in approach_cells]
        done = False
        for i in rng.permutation(len(cells)):
            c = cells[i]
            dirs = [d for d in _DIRS if scene.room_of(c[0] + d[0], c[1] + d[1]) == room.id
                    and (c[0] + d[0], c[1] + d[1]) not in blocked]
            if not dirs:
                continue
            d = dirs[int(rng.integers(len(dirs)))]
            fk = FURNITURE_KINDS[kind]
            name = f"{kind}_{counts.get(kind, 0)}"
            heading = {(0, 1): 0.0, (1, 0): 90.0, (0, -1): 180.0, (-1, 0): 270.0}[d]  # compass: north = +y
            obj = ObjectSpec(name, fk.category, c, heading, (fk.size[0], fk.size[1], fk.size[2]), True, room.id)
            trial = SceneSpec(**{**scene.__dict__, "objects": tuple(objects + [obj])})
            approach = (c[0] + d[0], c[1] + d[1])
            g = walkable_graph(trial)
            if not all_reachable(trial) or approach not in nx.node_connected_component(g, tuple(scene.start_position)):
                continue
            objects.append(obj)
            blocked |= {c}
            approach_cells.add(approach)
            counts[kind] = counts.get(kind, 0) + 1
            furniture.append(Furniture(name, kind, room.id, c, d, fk.size))
            done = True
            break
        if not done:
            return None
    return SceneSpec(**{**scene.__dict__, "objects": tuple(objects)}), furniture


def _items(rng, furniture: list[Furniture], per_piece: int) -> list[Item]:
    kinds = sorted(ITEM_KINDS)
    items: list[Item] = []
    counts: dict[str, int] = {}
    for f in furniture:
        fk = FURNITURE_KINDS[f.kind]
        support = f.containers[0] if f.containers else f.name
        spots: list[tuple[float, float]] = []
        for _ in range(per_piece):
            kind = kinds[int(rng.integers(len(kinds)))]
            for _try in range(50):
                lat, dep = _spot(rng, f)
                open_dep = dep + (0.96 * DRAWER_TRAVEL if f.kind == "dresser" else 0.0)  # grasped from the open drawer
                if all(math.dist((lat, dep), s) > 0.12 for s in spots) and reachable(f, lat, open_dep, fk.surface + 0.03):
                    break
            else:
                raise SceneError(f"no reachable spot on {f.name}")
            spots.append((lat, dep))
            n = counts.get(kind, 0)
            counts[kind] = n + 1
            items.append(Item(f"{kind}_{n}", kind, fk.relation, support, f.name, round(lat, 3), round(dep, 3),
                              float(rng.choice([0.0, 30.0, 60.0, -30.0]))))
    return items


def _spot(rng, f: Furniture) -> tuple[float, float]:
    """A random item spot in the piece frame (lateral, depth), inside its support area."""
    w, d, _ = f.size
    if f.kind == "dresser":  # in the top drawer (closed-drawer frame), in the part that slides out of the cabinet,
        # at least 0.1 m out from the carcass when open, so that the wrist clears its top
        lo, hi = DRAWER_ITEM_DEPTH
        return float(rng.uniform(-DRAWER_ITEM_LATERAL, DRAWER_ITEM_LATERAL)), float(rng.uniform(d / 2 + lo, d / 2 + hi))
    if f.kind == "cupboard":  # near the front of its floor: the hand comes in tilted down from the front
        lo, hi = CUPBOARD_ITEM_DEPTH
        return float(rng.uniform(-DRAWER_ITEM_LATERAL, DRAWER_ITEM_LATERAL)), float(rng.uniform(d / 2 + lo, d / 2 + hi))
    return float(rng.uniform(-w / 2 + 0.1, w / 2 - 0.1)), float(rng.uniform(0.0, d / 2 - 0.08))


def house_scene(seed: int, suite: str = "", n_rooms: int = 3) -> SceneSpec:
    """The exploration view of a house (what `SUITES` returns for the house suites)."""
    return generate_house(seed, n_rooms=n_rooms, suite=suite).scene


__all__ = [
    "CUPBOARD_ITEM_DEPTH",
    "DRAWER_ITEM_DEPTH",
    "DRAWER_ITEM_LATERAL",
    "DRAWER_TRAVEL",
    "FURNITURE_KINDS",
    "HOUSE_SUITES",
    "ITEM_KINDS",
    "Furniture",
    "HouseSpec",
    "Item",
    "door_side",
    "generate_house",
    "house_scene",
    "load_house",
    "park_distance",
    "reachable",
    "validate_house",
]


HOUSE_SUITES = {f"house-{n}room": n for n in (2, 3, 4)}


def load_house(suite: str, index: int) -> HouseSpec:
    """Scene `index` (= seed) of a house suite, with furniture and items."""
    if suite not in HOUSE_SUITES:
        raise SceneError(f"unknown house suite {suite!r}; choose one of: {', '.join(HOUSE_SUITES)}")
    if not isinstance(index, int) or not 0 <= index < 100:
        raise SceneError(f"index {index!r} is out of range for suite {suite!r} (0..99)")
    return generate_house(index, n_rooms=HOUSE_SUITES[suite], suite=suite)
