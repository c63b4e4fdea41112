"""Seeded procedural generator of multi-room layouts.

Rooms are placed on a lattice of room slots and grown as a random tree: each new room
attaches to a free side of an existing room and gets one door in the shared wall, so the
rooms form a tree (as in Theory of Space). Rooms that touch without a tree edge share a
solid wall. Objects sit at cell centres, keep a minimum spacing, keep door approaches and
the start cell clear, and get a cardinal facing when their category has one.

Example:
    >>> spec = generate_scene(seed=3, n_rooms=2)
    >>> len(spec.rooms), len(spec.doors), len(spec.objects)
    (2, 1, 8)
"""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np

from scenes.catalog import CATALOG
from scenes.grid import door_sides, neighbours_of_object, room_cells, walkable_graph
from scenes.spec import Door, ObjectSpec, Room, SceneError, SceneSpec, validate

_SIDES = ((1, 0), (0, 1), (-1, 0), (0, -1))  # east, north, west, south


def generate_scene(
    seed: int,
    n_rooms: int = 3,
    room_size: int = 6,
    objects_per_room: int = 4,
    min_spacing: float = 2.0,
    suite: str = "",
) -> SceneSpec:
    """Generate a scene; the same arguments always give the same scene."""
    if n_rooms < 1:
        raise SceneError(f"n_rooms must be >= 1, got {n_rooms}")
    if room_size < 4:
        raise SceneError(f"room_size must be >= 4 cells so doors and objects fit, got {room_size}")
    rng = np.random.default_rng(seed)
    for _attempt in range(100):
        rooms, doors = _layout(rng, n_rooms, room_size)
        start, heading = _start(rng, rooms[0], doors)
        objects = _objects(rng, rooms, doors, start, objects_per_room, min_spacing)
        if objects is None:
            continue
        spec = SceneSpec(
            seed=int(seed),
            rooms=tuple(rooms),
            doors=tuple(doors),
            objects=tuple(objects),
            start_position=start,
            start_heading=heading,
            suite=suite,
        )
        if all_reachable(spec):
            validate(spec)
            return spec
    raise SceneError(f"could not place {objects_per_room} objects per room with spacing {min_spacing} m; lower them")


def _layout(rng, n_rooms: int, size: int) -> tuple[list[Room], list[Door]]:
    slots = {(0, 0): 0}
    rooms = [Room(0, 0, 0, size, size)]
    doors: list[Door] = []
    for rid in range(1, n_rooms):
        frontier = sorted(
            {(sx + dx, sy + dy, parent) for (sx, sy), parent in slots.items() for dx, dy in _SIDES}
        )
        frontier = [f for f in frontier if (f[0], f[1]) not in slots]
        sx, sy, parent = frontier[rng.integers(len(frontier))]
        slots[(sx, sy)] = rid
        rooms.append(Room(rid, sx * size, sy * size, size, size))
        px, py = rooms[parent].x0 // size, rooms[parent].y0 // size
        offset = int(rng.integers(1, size - 1))  # never in a corner cell
        if sx != px:  # side by side: shared wall runs north-south
            wall_x = max(sx, px) * size
            doors.append(Door(f"door_{rid - 1}", (float(wall_x), sy * size + offset + 0.5), "y", (parent, rid)))
        else:
            wall_y = max(sy, py) * size
            doors.append(Door(f"door_{rid - 1}", (sx * size + offset + 0.5, float(wall_y)), "x", (parent, rid)))
    return rooms, doors


def door_approach_cells(doors) -> set:
    """Grid cells on either side of every door: kept free so that doors stay passable."""
    return {c for d in doors for c in door_sides(d)}


def _start(rng, room: Room, doors) -> tuple[tuple[float, float], float]:
    blocked = door_approach_cells(doors)
    cells = [c for c in room_cells(room) if c not in blocked]
    start = cells[rng.integers(len(cells))]
    heading = float(rng.choice([0.0, 90.0, 180.0, 270.0]))
    return (float(start[0]), float(start[1])), heading


def _objects(rng, rooms, doors, start, per_room: int, min_spacing: float):
    n = per_room * len(rooms)
    names = sorted(CATALOG)
    picks = rng.choice(len(names), size=n, replace=n > len(names))
    counts: Counter = Counter()
    blocked = door_approach_cells(doors) | {start}
    placed: list[ObjectSpec] = []
    for k, room in enumerate(rooms):
        cells = [c for c in room_cells(room) if c not in blocked]
        order = rng.permutation(len(cells))
        chosen: list[tuple[float, float]] = []
        for i in order:
            c = cells[i]
            if all(np.hypot(c[0] - p[0], c[1] - p[1]) >= min_spacing - 1e-9 for p in chosen):
                chosen.append(c)
            if len(chosen) == per_room:
                break
        if len(chosen) < per_room:
            return None
        for j, c in enumerate(chosen):
            cat = CATALOG[names[picks[k * per_room + j]]]
            counts[cat.name] += 1
            name = cat.name if counts[cat.name] == 1 else f"{cat.name}_{counts[cat.name]}"
            heading = float(rng.choice([0.0, 90.0, 180.0, 270.0])) if cat.has_facing else 0.0
            placed.append(ObjectSpec(name, cat.name, (float(c[0]), float(c[1])), heading, cat.size, cat.has_facing, room.id))
    return placed


def all_reachable(spec: SceneSpec) -> bool:
    """Whether the robot can reach every door, and a cell next to every object, from the start."""
    g = walkable_graph(spec)
    reach = nx.node_connected_component(g, tuple(spec.start_position))
    if any(d.position not in reach for d in spec.doors):
        return False
    return all(any(c in reach for c in neighbours_of_object(g, o.position)) for o in spec.objects)
