"""SCOUT and STRATEGIST: the Theory-of-Space program proxies.

Both follow ToS's proxies (tos_base/managers/agent_proxy.py, get_agent_proxy): ToS's `scout`
is its StrategistAgentProxy (sweep rotations), its `strategist` an AnalystAgentProxy that
refines each room with the candidate planner and then queries. The rules kept here:

- Sweep where you enter a room: at the start four views (turn 0, +90, +90, +90); at a door,
  facing into the new room, three (front, right, left: ToS's (0, 90, 180) continuous turns
  with a 90 degree field of view; the room behind was seen already).
- Stop as soon as every object and door named at the start has been seen (ToS's
  `_all_nodes_known_globally`, checked before each Observe): ToS's proxies know the names
  because the room description lists them, as spacelab's tos profile does.
- Then through the nearest door not yet stood in, facing into the next room, and sweep again,
  until no door is left; then Term(). Routes only use MoveTo targets known to be in view from
  where the agent stands (from earlier sweeps), as the action rules require.

STRATEGIST adds, in each room after its sweep (CandidatePlannerAgentProxy._explore_room): go
to the room's entity whose feasible positions are most uncertain (grid points consistent with
every binned sighting: ToS's candidate domain), observe facing the cardinal direction that
covers most candidate pairs with the room's entities not yet seen from there, and turn to the
next best direction while some remain; then the next most uncertain entity. After the last
room it queries (QueryAction) the observed entity with the largest domain, one per turn, as
ToS's analyst does greedily (with independent domains the greedy gain is the domain size).

Where ToS has no turn budget and spacelab does, the strategist refines a room only while the
turns left exceed what the doors still to visit need (three each, plus Term), so that its
coverage stays the scout's; ToS's `random.sample` of 30 candidate points is a fixed stride
here (deterministic); ToS's ReturnAction before the queries is not needed (Query replies are
in the start frame wherever the agent stands).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from perception.efficiency import SightingMasks
from planners.agents.base import Agent
from planners.agents.memory import SpatialMemory, rotation
from sim.actions import DEFAULT_MAX_STEPS

HEADINGS = (0.0, 90.0, 180.0, 270.0)
DOOR_SWEEP = (0.0, 90.0, 270.0)  # relative to the heading into the room: front, right, left
CARDINALS = ((0.0, (0.0, 1.0)), (90.0, (1.0, 0.0)), (180.0, (0.0, -1.0)), (270.0, (-1.0, 0.0)))  # ToS's order
DOMAIN_SAMPLES = 30  # ToS's eval_samples: candidate points per entity when scoring directions
TURNS_PER_DOOR = 3  # move + observe front, then right, then left


class Scout(Agent):
    name = "scout"
    stop_when_all_seen = True  # ToS's early stop; an agent whose names come from its own detector turns it off
    door_sweep = DOOR_SWEEP

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self.memory = SpatialMemory()
        self.entity_names: set[str] = set()
        self.restart()

    def restart(self) -> None:
        """Explore again from the start (beliefs about objects are kept)."""
        super().restart()
        self.doors_done: set[str] = set()
        self.unreachable: set[str] = set()
        self.sweeps: dict[tuple, tuple[float, ...]] = {}  # standing position -> headings its sweep covers
        self.arriving: tuple[float, ...] | None = None  # headings to sweep where the last turn's moves end
        self.last_door: str | None = None  # the door the last advance went to
        self.way_back: dict[tuple, tuple[str, float]] = {}  # standing position -> (door, heading that faces it)
        self.started = False

    def act(self, observation: str, info: dict) -> str:
        m = self.memory
        if "entities" in info:
            self.entity_names = set(info["entities"])
        if not self.started:
            self.started = True
            return "Actions: [Observe()]"
        steps_left = info.get("steps_left", 99)
        done = self.all_seen()
        # 1. Finish the sweep where we stand.
        seen_here = () if done else m.headings_seen_here()  # once, not once per heading
        missing = [] if done else [h for h in self.sweeps.get(m.position, HEADINGS) if h not in seen_here]
        if missing:
            target = min(missing, key=lambda h: ((h - m.heading) % 360.0, h))
            return f"Actions: [Rotate({rotation(m.heading, target)}), Observe()]"
        # 2. (strategist) refine this room; 3. advance to the nearest door not yet stood in;
        # 4. (mapper) spend what is left on its own map; 5. (strategist) query.
        turn = (self._refine_room(steps_left) or (None if done else self._advance() or self._look_back())
                or self._refine(steps_left) or self._finish(steps_left))
        return turn or "Actions: [Term()]"

    def observe(self, observation: str, info: dict) -> None:
        super().observe(observation, info)
        if info.get("invalid"):  # a way back that was not in view after all
            self.way_back.pop(self.memory.position, None)
        if self.arriving is not None and (info.get("final") or info.get("invalid")):
            if not info.get("invalid"):  # the last turn moved: what to sweep where it ended
                self.arrived(self.memory.position, self.arriving)
            self.arriving = None

    def arrived(self, position: tuple, sweep: tuple[float, ...]) -> None:
        """Standing at a new place reached by the last turn: `sweep` are the headings to observe there
        (a door's sweep replaces the none of an earlier stop there as a strategist's anchor)."""
        if sweep or position not in self.sweeps:
            self.sweeps[position] = sweep

    def all_seen(self) -> bool:
        """Every entity named at the start seen since the (re)start."""
        if not self.stop_when_all_seen or not self.entity_names:
            return False
        seen = set().union(*(names for view in self.memory.views.values() for names in view.values()))
        return self.entity_names <= seen

    # -- routing -------------------------------------------------------------------
    def _route(self, goal: str) -> list[str] | None:
        """Hops (names of doors) from here to `goal`, each in view from the previous stop."""
        m = self.memory
        if goal in m.items and m.items[goal].position == m.position:
            return []  # standing there already
        vantages = {n for n, it in m.items.items() if it.kind == "door" and it.position in m.views}
        start = m.position
        queue = deque([(start, [])])
        seen = {start}
        while queue:
            pos, hops = queue.popleft()
            for name in sorted(self.views_from(pos)):
                if name == goal:
                    return hops + [name]
                if name in vantages:
                    p = m.items[name].position
                    if p not in seen:
                        seen.add(p)
                        queue.append((p, hops + [name]))
        return None

    def views_from(self, pos) -> dict[str, float]:
        """name -> heading at which it is in view from `pos`: what was seen there, and the way back
        to the door a room was entered by (seen from the other side)."""
        out = self.memory.visible_from(pos)
        back = self.way_back.get(pos)
        if back is not None:
            out.setdefault(*back)
        return out

    def _motions_along(self, hops: list[str]) -> tuple[list[str], float]:
        m = self.memory
        motions, pos, heading = [], m.position, m.heading
        for name in hops:
            h = self.views_from(pos)[name]
            r = rotation(heading, h)
            if r:
                motions.append(f"Rotate({r})")
            motions.append(f"MoveTo({name})")
            pos, heading = m.items[name].position, h
        return motions, heading

    def doors_to_visit(self) -> list[str]:
        m = self.memory
        swept = {p for p in m.views if self.sweeps.get(p, HEADINGS)}  # stood in to look around, not as an anchor
        return [n for n, it in sorted(m.items.items())
                if it.kind == "door" and n not in self.doors_done and n not in self.unreachable and it.position not in swept]

    def _advance(self) -> str | None:
        m = self.memory
        doors = self.doors_to_visit()
        ranked = self.rank_doors(doors)
        best, blind = None, []
        for rank, d in enumerate(ranked):
            hops = self._route(d)
            if hops is None:
                blind.append(d)
                continue
            dist = np.hypot(*np.subtract(m.items[d].position, m.position))
            key = (rank, len(hops), dist, d) if ranked is not doors else (len(hops), dist, d)
            if best is None or key < best[0]:
                best = (key, hops, d)
        if best is None:
            return self._look_towards(blind)
        _key, hops, goal = best
        door = m.items[goal]
        self.doors_done.add(door.name)
        self.last_door = door.name
        motions, heading = self._motions_along(hops)
        into = door.through_heading if door.through_heading is not None else heading
        r = rotation(heading, into)
        if r:
            motions.append(f"Rotate({r})")
        self.arriving = tuple((into + d) % 360.0 for d in self.door_sweep)
        return "Actions: [" + ", ".join(motions + ["Observe()"]) + "]"

    def _look_towards(self, doors: list[str]) -> str | None:
        """No known view holds a route to `doors`: face the nearest one and look, from here or from a
        door we can reach (ToS walks back to a gate it knows from the room graph; MoveTo here needs its
        target in view from where we stand)."""
        m = self.memory
        stands = [([], m.position)] + [(hops, m.items[v].position) for v in sorted(
            (n for n, it in m.items.items() if it.kind == "door" and it.position in m.views and it.position != m.position),
            key=lambda n: (math.dist(m.items[n].position, m.position), n)) if (hops := self._route(v))]
        for d in sorted(doors, key=lambda n: (math.dist(m.items[n].position, m.position), n)):
            for hops, pos in stands:
                h = cardinal_towards(pos, m.items[d].position)
                if h not in m.views.get(pos, {}):
                    motions, heading = self._motions_along(hops)
                    r = rotation(heading, h)
                    return "Actions: [" + ", ".join(motions + ([f"Rotate({r})"] if r else []) + ["Observe()"]) + "]"
            self.unreachable.add(d)
        return None

    def _look_back(self) -> str | None:
        """Named entities still unseen and no door left to go through: take the views a door sweep
        skipped (the room behind), here first, then at the nearest door we can reach. ToS's proxies
        never need this: they know each room's contents; physics occludes what its grid does not."""
        if not self.stop_when_all_seen:
            return None
        m = self.memory
        stands = [(n, it.position) for n, it in sorted(m.items.items()) if it.kind == "door" and n in self.doors_done]
        here = [("", m.position)] if m.position in self.sweeps else []
        for name, pos in here + sorted(stands, key=lambda s: math.dist(s[1], m.position)):
            missing = [h for h in HEADINGS if h not in m.views.get(pos, {})]
            hops = [] if not name else self._route(name) if pos != m.position else []
            if not missing or hops is None:
                continue
            motions, heading = self._motions_along(hops)
            target = min(missing, key=lambda h: ((h - heading) % 360.0, h))
            r = rotation(heading, target)
            return "Actions: [" + ", ".join(motions + ([f"Rotate({r})"] if r else []) + ["Observe()"]) + "]"
        return None

    def rank_doors(self, doors: list[str]) -> list[str]:
        """Order of preference among unvisited doors (the scout has none: nearest route wins)."""
        return doors

    def _refine_room(self, steps_left: int) -> str | None:
        return None

    def _refine(self, steps_left: int) -> str | None:
        return None

    def _finish(self, steps_left: int) -> str | None:
        return None


class Strategist(Scout):
    name = "strategist"
    extent = 24  # start-frame grid half-width searched for feasible positions

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        super().reset(seed, max_steps)
        self.n_rooms = 1
        g = np.arange(-self.extent, self.extent + 1, dtype=float)
        self.grid = np.stack(np.meshgrid(g, g, indexing="xy"), -1).reshape(-1, 2)
        self._sighting_masks = SightingMasks(self.grid)  # feasible_mask over the grid, each pose's bins kept
        self._domains: dict[str, tuple[list, int, np.ndarray]] = {}  # name -> (its sightings list, its length, candidates)

    def restart(self) -> None:
        super().restart()
        self.room_entry: tuple = (0.0, 0.0)  # where the current room's sweep stood
        self.entry_anchor = "initial"  # ToS: initial_pos in the start room, the door entered by elsewhere
        self.moved: set[str] = set()  # anchors of this room already refined from
        self.known_edges: set[frozenset] = set()
        self.anchor: str | None = None  # the entity we stand at while refining
        self.used_dirs: set[float] = set()
        self.seen_from_anchor: set[str] = set()

    def act(self, observation: str, info: dict) -> str:
        self.n_rooms = int(info.get("n_rooms", self.n_rooms))
        return super().act(observation, info)

    def arrived(self, position: tuple, sweep: tuple[float, ...]) -> None:
        super().arrived(position, sweep)
        if self.anchor is None:  # a door: a new room
            self.room_entry, self.moved, self.entry_anchor = position, set(), self.last_door or "initial"
        elif self.entry_anchor != "initial":  # at an anchor: the door we came in by is back that way
            h = cardinal_towards(position, self.memory.items[self.entry_anchor].position)
            self.way_back[position] = (self.entry_anchor, h)

    def observe(self, observation: str, info: dict) -> None:
        super().observe(observation, info)  # moves the room entry first when the turn reached a door
        if info.get("final") == "Observe":
            here = self.anchor if self.anchor is not None else (self.entry_anchor if self.memory.position == self.room_entry else None)
            for s in info["sightings"]:
                if here is not None and s["name"] != here:
                    self.known_edges.add(frozenset((here, s["name"])))
                if self.anchor is not None and s["name"] != self.anchor:
                    self.seen_from_anchor.add(s["name"])

    # -- candidate domains (ToS's SpatialSolver domains, from our own binned sightings) ---------------
    def candidates(self, name: str) -> np.ndarray:
        """Grid points (n, 2) consistent with every binned sighting of `name`; one point once queried.
        Kept per name until its sightings change: a turn's planning asks for the same domains many times."""
        item = self.memory.items.get(name)
        if item is not None and item.queried:
            return np.asarray([item.position], float)
        seen = self.memory.sightings_of(name)  # grows in place; a new list after the memory's restart
        got = self._domains.get(name)
        if got is None or got[0] is not seen or got[1] != len(seen):
            sightings = [(p, h, s["direction"], s["distance"]) for p, h, s in seen]
            got = self._domains[name] = (seen, len(seen), self.grid[self._sighting_masks.mask(sightings)])
        return got[2]

    def domain_size(self, name: str) -> int:
        return len(self.candidates(name))

    def room_nodes(self) -> set[str]:
        """The current room's entities: what its sweep saw, less what it saw through a door (the
        line of sight passes within half a door width of a door nearer than the entity), plus the
        door it was entered by. ToS's proxies read room membership off the room; ours is seen."""
        m = self.memory
        sweep = self.sweeps.get(self.room_entry, HEADINGS)
        names = set().union(*(v for h, v in m.views.get(self.room_entry, {}).items() if h in sweep))
        doors = [np.asarray(it.position, float) for n, it in m.items.items() if it.kind == "door" and n != self.entry_anchor]
        p = np.asarray(self.room_entry, float)
        inside = {n for n in names if not any(through_doorway(p, np.asarray(m.items[n].position, float), d) for d in doors)}
        return inside | ({self.entry_anchor} if self.entry_anchor != "initial" else set())

    def unknown_edges(self) -> set[frozenset]:
        nodes = sorted(self.room_nodes())
        edges = {frozenset((a, b)) for i, a in enumerate(nodes) for b in nodes[i + 1:]}
        if self.entry_anchor == "initial":  # ToS links initial_pos to the start room's objects
            edges |= {frozenset(("initial", n)) for n in nodes if self.memory.items[n].kind == "object"}
        return edges - self.known_edges

    def best_direction(self, anchor: str, exclude_others: set[str]) -> float | None:
        """The cardinal heading at `anchor` that covers most candidate pairs with entities of unknown edge."""
        unknown = self.unknown_edges()
        others = [o for o in sorted(self.room_nodes()) if o != anchor and frozenset((anchor, o)) in unknown
                  and o not in exclude_others]
        dirs = [(h, v) for h, v in CARDINALS if h not in self.used_dirs]
        if not dirs or not others:
            return None
        basis = np.array([v for _h, v in CARDINALS])
        pa = _subsample(self.candidates(anchor))
        totals = dict.fromkeys((h for h, _v in dirs), 0)
        for o in others:
            d = (_subsample(self.candidates(o))[None, :, :] - pa[:, None, :]).reshape(-1, 2)
            closest = np.argmax(d @ basis.T, axis=1)  # ToS's _closest_cardinal: first of equal dot products
            for k, (h, _v) in enumerate(CARDINALS):
                if h in totals:
                    totals[h] += int((closest == k).sum())
        best = max(totals.items(), key=lambda kv: kv[1])
        return best[0] if best[1] > 0 else None

    def _refine_room(self, steps_left: int) -> str | None:
        """CandidatePlanner: observe from the room's most uncertain entity, facing where most pairs lie."""
        m = self.memory
        rooms_left = max(self.n_rooms - 1 - len(self.doors_done), len(self.doors_to_visit()))
        reserve = (TURNS_PER_DOOR + 1) * rooms_left + 1  # each: move and three views, perhaps a look back; then Term
        if steps_left <= reserve or not self.unknown_edges():
            self.anchor = None
            return None
        if self.anchor is not None:  # the local loop at the anchor: the next best direction
            h = self.best_direction(self.anchor, self.seen_from_anchor | self.moved)
            if h is not None:
                self.used_dirs.add(h)
                r = rotation(m.heading, h)
                return f"Actions: [{f'Rotate({r}), ' if r else ''}Observe()]"
            self.moved.add(self.anchor)
            self.anchor = None
        unknown = self.unknown_edges()
        nodes = self.room_nodes()
        pending = sorted(n for n in nodes - self.moved if any(n in e and len(e & nodes) == 2 for e in unknown))
        while pending:
            anchor = max(pending, key=self.domain_size)  # ToS: the node with most candidates (first on ties)
            pending.remove(anchor)
            self.used_dirs, self.seen_from_anchor = set(), set()
            h = self.best_direction(anchor, self.moved)
            hops = self._route(anchor) if h is not None else None
            if hops is None:
                self.moved.add(anchor)
                continue
            self.anchor = anchor
            self.used_dirs.add(h)
            motions, heading = self._motions_along(hops)
            r = rotation(heading, h)
            self.arriving = ()  # no sweep at an anchor: the directions are chosen one by one
            return "Actions: [" + ", ".join(motions + ([f"Rotate({r})"] if r else []) + ["Observe()"]) + "]"
        return None

    def _finish(self, steps_left: int) -> str | None:
        """ToS's analyst: query the observed entity whose position is least certain, one per turn."""
        m = self.memory
        sizes = {n: self.domain_size(n) for n in sorted(m.items) if not m.items[n].queried}
        target = max(sizes, key=sizes.get, default=None)  # first on ties (sorted names)
        if target is None or sizes[target] <= 1:
            return None
        return f"Actions: [Query({target})]"


def cardinal_towards(frm, to) -> float:
    """The cardinal heading (0 = +y, clockwise) nearest the bearing frm -> to (ToS's _closest_cardinal:
    the first of equal dot products, so a tie between north and east is north).

    >>> cardinal_towards((0, 0), (3, 1)), cardinal_towards((0, 0), (1, 1)), cardinal_towards((0, 0), (-1, -3))
    (90.0, 0.0, 180.0)
    """
    dx, dy = float(to[0]) - float(frm[0]), float(to[1]) - float(frm[1])
    return CARDINALS[int(np.argmax([dx * v[0] + dy * v[1] for _h, v in CARDINALS]))][0]


def through_doorway(eye: np.ndarray, target: np.ndarray, door: np.ndarray, half_width: float = 0.6) -> bool:
    """Whether the sight line eye -> target passes through the doorway at `door` before reaching target."""
    seg = target - eye
    length2 = float(seg @ seg)
    if length2 == 0.0:
        return False
    t = float((door - eye) @ seg) / length2
    return 0.0 < t < 1.0 and float(np.linalg.norm(eye + t * seg - door)) < half_width and \
        float(np.linalg.norm(target - door)) > 0.3


def _subsample(points: np.ndarray, k: int = DOMAIN_SAMPLES) -> np.ndarray:
    """At most `k` of `points`, evenly strided (ToS samples at random; a stride keeps runs reproducible)."""
    return points if len(points) <= k else points[np.linspace(0, len(points) - 1, k).astype(int)]
