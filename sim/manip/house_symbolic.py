"""`SymbolicHouse`: a rule-based twin of a house for house tasks, fast and deterministic, no
physics (``sim_seconds`` stays 0.0). State: each item on/in a place or in the hand,
containers open or closed (all closed at the start), the robot's room and the piece it is
parked at. Preconditions and failure reasons are `sim.manip.house_rules`' (the same as the
physics executor's).

Example:
    >>> from scenes.house import load_house
    >>> ex = SymbolicHouse(load_house("house-2room", 0))
    >>> ex.reset().room
    0
    >>> ex.execute(SkillCall("pick", ("mug_0",))).reason
    'not parked at any piece'
    >>> ex.execute(SkillCall("navigate_to", ("dresser_0",))).to_text().splitlines()[:2]
    ['navigate_to(dresser_0): ok', 'You are in room 0, at dresser_0.']
    >>> ex.execute(SkillCall("pick", ("mug_0",))).reason
    'mug_0 is inside the closed dresser_0_drawer1'
"""

from __future__ import annotations

import math

import numpy as np

from perception.house_data import HouseObservation, PieceSeen, SkillCall
from scenes.grid import walkable_graph
from scenes.house import Furniture, HouseSpec, park_distance
from sim.manip.house_rules import HouseExecutor, precondition_failure, room_target


class SymbolicHouse(HouseExecutor):
    """Rule-based twin of the house: same preconditions as the physics, no physics."""

    kind = "symbolic"

    def __init__(self, house: HouseSpec, sensors: str = "symbolic", seed: int = 0) -> None:
        if sensors != "symbolic":
            raise ValueError(f"the symbolic executor has symbolic sensors only, not {sensors!r}; use kind='physics' for rgbd")
        super().__init__(house, sensors, seed)
        self.place: dict[str, tuple[str, str]] = {i.name: (i.relation, i.support) for i in house.items}
        self.open: set[str] = set()
        self.holding: str | None = None
        self.room = self.layout.start_room
        self.at: str | None = None
        self.xy = tuple(map(float, house.scene.start_position))
        self._graph = walkable_graph(house.scene)

    def reset(self) -> HouseObservation:
        """The robot back at the start pose (items and containers stay as they are; a held
        item goes back to where the house had it)."""
        if self.holding is not None:
            it = self.house.item(self.holding)
            self.place[self.holding] = (it.relation, it.support)
            self.holding = None
        self.room, self.at = self.layout.start_room, None
        self.xy = tuple(map(float, self.house.scene.start_position))
        return HouseObservation(None, True, "", self.room, None, None)

    def _room(self) -> int:
        return self.room

    def _at(self) -> str | None:
        return self.at

    def _holding(self) -> str | None:
        return self.holding

    def _place_of(self, item: str):
        return self.place.get(item)

    def _why(self, call: SkillCall) -> str:
        return precondition_failure(self.house, self.layout, call, room=self.room, at=self.at, holding=self.holding,
                                    place_of=self._place_of, is_open=lambda c: c in self.open)

    def _show(self, f: Furniture) -> tuple[PieceSeen, list, list, list]:
        """What is seen of piece f: the piece, items on it and in its open containers, containers."""
        items = [(r, n, p) for n, (r, p) in sorted(self.place.items())
                 if (r == "on" and p == f.name) or (r == "in" and p in f.containers and p in self.open)]
        opened = [(c, tuple(n for _, n, p in items if p == c)) for c in f.containers if c in self.open]
        closed = [c for c in f.containers if c not in self.open]
        return self._piece_seen(f), items, opened, closed

    def _observe(self, call, pieces: list[Furniture]) -> HouseObservation:
        seen, items, opened, closed = [], [], [], []
        for f in pieces:
            p, i, o, c = self._show(f)
            seen.append(p)
            items += i
            opened += o
            closed += c
        return HouseObservation(call, True, "", self.room, self.at, self.holding, tuple(seen), tuple(items),
                                tuple(opened), tuple(closed))

    def _execute(self, call: SkillCall) -> HouseObservation:
        why = self._why(call)
        if why:
            return self._failed(call, why)
        h, s, a = self.house, call.skill, call.args
        if s == "navigate_to":
            k = room_target(a[0], self.layout)
            if k is not None:
                self.room, self.at = k, None
                nodes = [n for n, d in self._graph.nodes(data=True) if d.get("room") == k]
                centre = self.layout.room_centres[self.layout.rooms.index(k)]
                self.xy = tuple(map(float, min(nodes, key=lambda n: (math.dist(n, centre), n))))
                return self._observe(call, [])
            f = self._target_piece(a[0])
            self.room, self.at = f.room, f.name
            self.xy = tuple(float(v) for v in np.asarray(f.position) + np.asarray(f.facing) * park_distance(f))
            return self._observe(call, [f])
        if s == "look_at":
            f = self._target_piece(a[0])
            if f.room != self.room:
                return self._failed(call, f"{a[0]}: not in view from room {self.room}")
            if self.at != f.name:
                self.at = None  # the base turned away from the piece it was parked at
            return self._observe(call, [f])
        if s == "look_around":
            return self._observe(call, [f for f in h.furniture if f.room == self.room])
        if s in ("open", "close"):
            (self.open.add if s == "open" else self.open.discard)(a[0])
            return self._observe(call, [h.piece(a[0])])
        if s == "pick":
            del self.place[a[0]]
            self.holding = a[0]
            return self._observe(call, [h.piece(self.at)])
        # place
        self.place[a[0]] = ("in" if a[1] in h.names("container") else "on", a[1])
        self.holding = None
        return self._observe(call, [h.piece(a[1])])

    def _target_piece(self, target: str) -> Furniture:
        if target in self.place:
            return self.house.piece(self.place[target][1])
        return self.house.piece(target)

    def truth(self) -> frozenset:
        facts = {(r, n, p) for n, (r, p) in self.place.items()} | {("open", c) for c in self.open} | {("room", self.room)}
        if self.holding:
            facts.add(("holding", self.holding))
        if self.at:
            facts.add(("at", self.at))
        return frozenset(facts)

    def robot_xy(self) -> tuple[float, float]:
        return self.xy

    def move_items(self, moves: list[tuple[str, str]]) -> None:
        for item, rel, place in self._check_moves(moves):
            if self.holding == item:
                self.holding = None
            self.place[item] = (rel, place)


# -- the physics ----------------------------------------------------------------------------------------


__all__ = ["SymbolicHouse"]
