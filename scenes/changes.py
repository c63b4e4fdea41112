"""Scene changes for the false-belief protocol: objects moved far or turned, never both.

Example:
    >>> from scenes import load_suite_scene
    >>> spec = load_suite_scene("tos-3room", 0)
    >>> changes = plan_changes(spec, seed=0)
    >>> len(changes), sorted({c.kind for c in changes}) <= ["moved", "rotated"]
    (4, True)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from scenes.generate import all_reachable, door_approach_cells
from scenes.grid import room_cells
from scenes.spec import SceneError, SceneSpec


@dataclass(frozen=True)
class Change:
    name: str
    kind: str  # "moved" | "rotated"
    old_position: tuple[float, float]
    new_position: tuple[float, float]
    old_heading: float
    new_heading: float
    new_room: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


FALSE_BELIEF_CHANGES = 4  # objects moved or turned in the false-belief protocol (ToS: 4)


def plan_changes(spec: SceneSpec, seed: int, k: int = FALSE_BELIEF_CHANGES, min_move: float = 6.0, min_spacing: float = 2.0) -> list[Change]:
    """Pick k objects; each is moved at least `min_move` metres to a free cell (scene stays
    navigable, spacing kept) or, if it has a facing, turned to a new facing."""
    rng = np.random.default_rng([seed, 7919])
    if k > len(spec.objects):
        raise SceneError(f"cannot change {k} objects in a scene with {len(spec.objects)}")
    order = rng.permutation(len(spec.objects))
    changes: list[Change] = []
    current = spec
    for i in order:
        if len(changes) == k:
            break
        o = current.objects[i]
        rotate = o.has_facing and rng.random() < 0.5
        if rotate:
            new_heading = float((o.heading + rng.choice([90.0, 180.0, 270.0])) % 360.0)
            c = Change(o.name, "rotated", o.position, o.position, o.heading, new_heading, o.room)
        else:
            cell = _far_free_cell(current, i, rng, min_move, min_spacing)
            if cell is None:
                continue
            c = Change(o.name, "moved", o.position, cell[0], o.heading, o.heading, cell[1])
        nxt = apply_changes(current, [c])
        if all_reachable(nxt):
            changes.append(c)
            current = nxt
    if len(changes) < k:
        raise SceneError(f"could only plan {len(changes)} of {k} changes in scene {spec.suite}#{spec.seed}")
    return changes


def _far_free_cell(spec: SceneSpec, idx: int, rng, min_move: float, min_spacing: float):
    o = spec.objects[idx]
    blocked = door_approach_cells(spec.doors) | {tuple(spec.start_position)}
    others = [p for j, p in enumerate(spec.objects) if j != idx]
    options = []
    for r in spec.rooms:
        for c in room_cells(r):
            if c in blocked or math.dist(c, o.position) < min_move:
                continue
            if all(p.room != r.id or math.dist(c, p.position) >= min_spacing for p in others):
                if all(math.dist(c, p.position) >= 1.0 for p in others):
                    options.append((c, r.id))
    if not options:
        return None
    return options[int(rng.integers(len(options)))]


def apply_changes(spec: SceneSpec, changes: list[Change]) -> SceneSpec:
    by_name = {c.name: c for c in changes}
    objects = tuple(
        dataclasses.replace(o, position=by_name[o.name].new_position, heading=by_name[o.name].new_heading,
                            room=by_name[o.name].new_room) if o.name in by_name else o
        for o in spec.objects
    )
    return dataclasses.replace(spec, objects=objects)
