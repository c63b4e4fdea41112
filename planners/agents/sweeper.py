"""SCOUT and STRATEGIST: the Theory-of-Space program proxies.

Both follow visit-sweep-advance: a 360 degree sweep (four headings) where they stand,
then through the nearest door not yet stood in, facing into the next room, and sweep
again, until no door is left; then Term(). Routes only use MoveTo targets known to be in
view from where the agent stands (from earlier sweeps), as the action rules require.

STRATEGIST then spends the budget left on uncertainty: it moves to the object whose
feasible positions are most uncertain (the most grid points consistent with every binned
observation of it) and sweeps there, repeatedly. (ToS's strategist refines room by room;
refining after coverage keeps its coverage at least the scout's on a 20-turn budget.)
"""

from __future__ import annotations

from collections import deque

import numpy as np

from perception.efficiency import feasible_mask
from planners.agents.base import Agent
from planners.agents.memory import SpatialMemory, rotation
from sim.actions import DEFAULT_MAX_STEPS

HEADINGS = (0.0, 90.0, 180.0, 270.0)


class Scout(Agent):
    name = "scout"

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self.memory = SpatialMemory()
        self.restart()

    def restart(self) -> None:
        """Explore again from the start (beliefs about objects are kept)."""
        super().restart()
        self.plan: deque[str] = deque()
        self.doors_done: set[str] = set()
        self.unreachable: set[str] = set()
        self.started = False

    def act(self, observation: str, info: dict) -> str:
        m = self.memory
        if info.get("invalid"):
            self.plan.clear()  # something went wrong: re-plan from where we stand
        if not self.started:
            self.started = True
            return "Actions: [Observe()]"
        if self.plan:
            return self.plan.popleft()
        steps_left = info.get("steps_left", 99)
        # 1. Finish the sweep where we stand.
        missing = [h for h in HEADINGS if h not in m.headings_seen_here()]
        if missing:
            target = min(missing, key=lambda h: ((h - m.heading) % 360.0, h))
            return f"Actions: [Rotate({rotation(m.heading, target)}), Observe()]"
        # 2. Advance to the nearest door not yet stood in; 3. then (strategist) refine.
        turn = self._advance() or self._refine(steps_left)
        return turn or "Actions: [Term()]"

    # -- routing -------------------------------------------------------------------
    def _route(self, goal: str) -> list[str] | None:
        """Hops (names of doors) from here to `goal`, each in view from the previous stop."""
        m = self.memory
        vantages = {n for n, it in m.items.items() if it.kind == "door" and it.position in m.views}
        start = m.position
        queue = deque([(start, [])])
        seen = {start}
        while queue:
            pos, hops = queue.popleft()
            for name in sorted(m.visible_from(pos)):
                if name == goal:
                    return hops + [name]
                if name in vantages:
                    p = m.items[name].position
                    if p not in seen:
                        seen.add(p)
                        queue.append((p, hops + [name]))
        return None

    def _motions_along(self, hops: list[str]) -> tuple[list[str], float]:
        m = self.memory
        motions, pos, heading = [], m.position, m.heading
        for name in hops:
            h = m.visible_from(pos)[name]
            r = rotation(heading, h)
            if r:
                motions.append(f"Rotate({r})")
            motions.append(f"MoveTo({name})")
            pos, heading = m.items[name].position, h
        return motions, heading

    def _advance(self) -> str | None:
        m = self.memory
        doors = [
            n for n, it in sorted(m.items.items())
            if it.kind == "door" and n not in self.doors_done and n not in self.unreachable and it.position not in m.views
        ]
        ranked = self.rank_doors(doors)
        best = None
        for rank, d in enumerate(ranked):
            hops = self._route(d)
            if hops is None:
                self.unreachable.add(d)
                continue
            dist = np.hypot(*np.subtract(m.items[d].position, m.position))
            key = (rank, len(hops), dist, d) if ranked is not doors else (len(hops), dist, d)
            if best is None or key < best[0]:
                best = (key, hops)
        if best is None:
            return None
        hops = best[1]
        door = m.items[hops[-1]]
        self.doors_done.add(door.name)
        motions, heading = self._motions_along(hops)
        into = door.through_heading if door.through_heading is not None else heading
        r = rotation(heading, into)
        if r:
            motions.append(f"Rotate({r})")
        return "Actions: [" + ", ".join(motions + ["Observe()"]) + "]"

    def rank_doors(self, doors: list[str]) -> list[str]:
        """Order of preference among unvisited doors (the scout has none: nearest route wins)."""
        return doors

    def _refine(self, steps_left: int) -> str | None:
        return None


class Strategist(Scout):
    name = "strategist"
    extent = 24  # start-frame grid half-width searched for feasible positions

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        super().reset(seed, max_steps)
        g = np.arange(-self.extent, self.extent + 1, dtype=float)
        self.grid = np.stack(np.meshgrid(g, g, indexing="xy"), -1).reshape(-1, 2)

    def restart(self) -> None:
        super().restart()
        self.refined: set[str] = set()

    def domain_size(self, name: str) -> int:
        """Grid points consistent with every binned sighting of `name`."""
        sightings = [(p, h, s["direction"], s["distance"]) for p, h, s in self.memory.sightings if s["name"] == name]
        return int(feasible_mask(self.grid, sightings).sum())

    def _refine(self, steps_left: int) -> str | None:
        """Go to the most uncertain object that can be reached; the sweep there follows."""
        if steps_left < 2:
            return None
        m = self.memory
        objects = [n for n, it in m.items.items() if it.kind == "object" and n not in self.refined]
        sizes = {n: self.domain_size(n) for n in objects}
        for target in sorted((n for n in objects if sizes[n] > 1), key=lambda n: (-sizes[n], n)):
            hops = self._route(target)
            if hops is None:
                continue
            self.refined.add(target)
            motions, _ = self._motions_along(hops)
            return "Actions: [" + ", ".join(motions + ["Observe()"]) + "]"
        return None
