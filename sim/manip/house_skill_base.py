"""What the house skills on MuJoCo (`sim.manip.house_skills.HouseSkills`) and on PyBullet
(`sim.manip.pybullet_house.PyBulletHouseSkills`) share: the bookkeeping around a world
(where the base is parked, which piece a target is at, outcomes with the symbolic state),
so that a rule such as "an item is at the piece it rests on now" is written once.

A house world here is anything with `house`, `items` (names), `containers` (names),
`physics_steps`, `holding(item)`, `relation_of(item)` (("on" | "in", piece or container) or
None) and `is_open(container)`.
"""

from __future__ import annotations

import math

import numpy as np

from scenes.grid import walkable_graph
from scenes.house import park_distance
from sim.manip.skills import Outcome
from sim.navigation import BaseDrive, DriveConfig, drive_path, nearest_node, plan_path, rotate_to


def symbolic_state(world) -> set:
    """The world as facts: ("open", c), ("holding", item), (relation, item, place) and
    ("visible", item) for every item not held and not shut in a closed container."""
    s: set = set()
    for c in world.containers:
        if world.is_open(c):
            s.add(("open", c))
    for name in world.items:
        if world.holding(name):
            s.add(("holding", name))
            continue
        rel = world.relation_of(name)
        if rel:
            s.add((rel[0], name, rel[1]))
            if rel[0] == "in" and not world.is_open(rel[1]):
                continue  # hidden in a closed container
        s.add(("visible", name))
    return s


class HouseSkillsBase:
    """Skills over a house world: the parking bookkeeping, the outcome helpers and `navigate_to`
    (the world's base is driven through `sim.navigation.BaseDrive`). A subclass says how the arm
    is tucked before the base drives (`_tuck_to_drive`)."""

    def __init__(self, world, seed: int = 0) -> None:
        self.w = world
        self.rng = np.random.default_rng(seed)
        self.parked_at: str | None = None  # the furniture piece the base is parked at
        self.graph = walkable_graph(world.house.scene)

    def _out(self, ok: bool, t0: int, reason: str = "") -> Outcome:
        return Outcome(bool(ok), self.w.physics_steps - t0, "" if ok else reason, symbolic_state(self.w))

    def _fail(self, reason: str) -> Outcome:
        return Outcome(False, 0, reason, symbolic_state(self.w))

    def _piece_of(self, target: str):
        """The piece a target is at: an item's is where it rests now (placed or moved since),
        else where the house put it; a container's is its piece."""
        h = self.w.house
        if target in self.w.items:
            rel = self.w.relation_of(target)
            return h.piece(rel[1] if rel else h.item(target).furniture)
        return h.piece(target)

    def _known(self, target: str) -> bool:
        return target in self.w.items or any(target == f.name or target in f.containers for f in self.w.house.furniture)

    def _holding_any(self) -> str | None:
        return next((n for n in self.w.items if self.w.holding(n)), None)

    def _at(self, target: str) -> bool:
        return self.parked_at == self._piece_of(target).name

    def _tuck_to_drive(self) -> str:
        """Tuck the arm for driving; the reason when it could not ("" when it is tucked)."""
        raise NotImplementedError

    def navigate_to(self, target: str) -> Outcome:
        """Drive through rooms and doors (A* on the walkable grid) and park facing the
        target's piece at `park_distance` from it, within 3 cm of that pose."""
        t0 = self.w.physics_steps
        if not self._known(target):
            return self._fail(f"unknown target {target!r}")
        f = self._piece_of(target)
        park = np.array(f.position) + np.array(f.facing) * park_distance(f)
        heading = (90.0 - math.degrees(math.atan2(-f.facing[1], -f.facing[0]))) % 360.0  # compass, facing the piece
        path = plan_path(self.graph, nearest_node(self.graph, self.w.base_pose()[:2]),
                         (f.position[0] + f.facing[0], f.position[1] + f.facing[1]))
        if path is None:
            return self._out(False, t0, f"no path to {f.name}")
        if self._tuck_to_drive():
            return self._out(False, t0, "could not tuck the arm")
        drive = BaseDrive(self.w)
        rotate_to(drive, heading)
        r = drive_path(drive, [tuple(map(float, q)) for q in path] + [tuple(park)], heading, DriveConfig(goal_tol=0.01))
        if not r.success:
            return self._out(False, t0, r.reason)
        r = rotate_to(drive, heading)
        err = float(np.linalg.norm(self.w.base_pose()[:2] - park))
        ok = r.success and err < 0.03
        self.parked_at = f.name if ok else None
        return self._out(ok, t0, f"parked {err:.3f} m from the pose")


__all__ = ["HouseSkillsBase", "symbolic_state"]
