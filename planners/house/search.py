"""A* over a symbolic house state, with the primitive skills and validated composites as operators.

A state is (the piece the robot is parked at, the item it holds, the open containers,
each planned item's place). Operators are the primitive skills with the preconditions and
effects of `sim.manip.house_skills.HOUSE_PRIMITIVES`:

- ``navigate_to(piece)``: park at a piece (only pieces that matter to the goal: where a
  planned item is, where one must go);
- ``open(c)`` / ``close(c)``: parked at c's piece, hand empty, c closed / open;
- ``pick(i)``: parked at the piece of i's place, hand empty, i on a support or in an open container;
- ``place(i, t)``: holding i, parked at t's piece, t a support or an open container;

plus, when a library is given, composites (`Macro`: a fixed sequence of primitives with
parameters, e.g. ``fetch_from(container, item)`` = navigate_to, open, pick), grounded by
running their steps' primitive operators in order, so a composite applies exactly when
its steps do. ``look_around`` / ``look_at`` change nothing in this state: information
gathering is the belief planner's job (`planners.house.belief_planner`).

Costs are seconds of robot time (`CostModel`): a navigation costs its straight-line
distance over the base speed plus a fixed overhead (turning, parking); a leg to or from a
piece whose position is not known counts `default_leg` metres; every other skill has a
fixed cost. The heuristic is admissible (see `heuristic`). Ties in f go to the deeper
node (larger g), so with a tight heuristic A* walks straight down the optimal path and
node expansions measure how many decisions a plan needs: a composite is one.

Example:
    >>> p = Problem(goal=(("on", "mug_0", "table_0"),), places={"dresser_0_drawer1": "in", "table_0": "on"},
    ...             pieces={"dresser_0_drawer1": "dresser_0", "table_0": "table_0"},
    ...             positions={"dresser_0": (0.0, 0.0), "table_0": (3.0, 4.0)},
    ...             start=State(None, None, frozenset(), (("mug_0", "dresser_0_drawer1"),)), start_xy=(0.0, 0.0))
    >>> r = astar(p)
    >>> [str(c) for c in r.calls], r.cost, r.expansions
    (['navigate_to(dresser_0)', 'open(dresser_0_drawer1)', 'pick(mug_0)', 'navigate_to(table_0)', 'place(mug_0, table_0)'], 44.0, 5)
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache

from perception.house_data import SkillCall


@dataclass(frozen=True)
class CostModel:
    speed: float = 0.5  # m/s of the base
    nav: float = 3.0  # s per navigate_to on top of the driving (turning, parking)
    open: float = 8.0
    close: float = 8.0
    pick: float = 10.0
    place: float = 10.0
    look_around: float = 12.0
    default_leg: float = 5.0  # m: a leg to or from a piece whose position is not known

    def leg(self, a, b) -> float:
        """Seconds to drive from xy `a` to xy `b` (either None: the default leg)."""
        if a is None or b is None:
            return self.default_leg / self.speed
        return math.dist(a, b) / self.speed


@dataclass(frozen=True)
class State:
    at: str | None  # piece the robot is parked at
    holding: str | None
    open: frozenset
    places: tuple  # sorted ((item, place), ...) of the planned items not in the hand

    def place_of(self, item: str) -> str | None:
        return next((p for i, p in self.places if i == item), None)


@dataclass(frozen=True)
class Macro:
    """A composite skill: parameters (named by what they bind: item, container, support,
    target) and steps [(skill, (parameter or constant, ...)), ...]."""

    name: str
    params: tuple[str, ...]
    steps: tuple[tuple[str, tuple[str, ...]], ...]

    def ground(self, binding: dict[str, str]) -> tuple[SkillCall, ...]:
        return _ground(self, tuple(binding.get(p) for p in self.params))


@lru_cache(maxsize=65536)
def _ground(m: Macro, values: tuple) -> tuple[SkillCall, ...]:
    binding = dict(zip(m.params, values))
    return tuple(SkillCall(s, tuple(binding.get(a, a) for a in args)) for s, args in m.steps)


@dataclass
class Problem:
    goal: tuple  # (("on"|"in", item, place) | ("holding", item, _), ...)
    places: dict[str, str]  # place -> "on" | "in"
    pieces: dict[str, str]  # place -> its piece
    positions: dict[str, tuple[float, float]]  # piece -> xy (known ones)
    start: State
    start_xy: tuple[float, float] | None = None  # where the robot is when not parked
    costs: CostModel = field(default_factory=CostModel)
    macros: tuple[Macro, ...] = ()
    blocked: frozenset = frozenset()  # str(call) of calls that failed twice: never planned again

    def xy(self, piece: str | None):
        return self.start_xy if piece is None else self.positions.get(piece)

    def travel(self, a: str | None, b: str) -> float:
        """Seconds for a navigate_to from piece `a` (None: not parked) to piece `b`; 0 when a is b."""
        return 0.0 if a == b else self.costs.nav + self.costs.leg(self.xy(a), self.xy(b))

    def relevant_pieces(self) -> list[str]:
        ps = {self.pieces.get(p, p) for _, p in self.start.places}
        ps |= {self.pieces.get(g[2], g[2]) for g in self.goal if g[0] in ("on", "in")}
        return sorted(ps)


@dataclass
class Result:
    steps: list | None  # [(composite name or None, (SkillCall, ...)), ...]; None: no plan found
    cost: float
    expansions: int

    @property
    def calls(self) -> list[SkillCall]:
        return [c for _, cs in self.steps or () for c in cs]


def apply_call(pb: Problem, s: State, call: SkillCall) -> tuple[State, float] | None:
    """The state after one primitive and its cost, or None when its preconditions fail."""
    if str(call) in pb.blocked:
        return None
    k, a, c = call.skill, call.args, pb.costs
    if k == "navigate_to":
        piece = pb.pieces.get(a[0], a[0])
        if piece == s.at:
            return None
        return State(piece, s.holding, s.open, s.places), pb.travel(s.at, piece)
    if k in ("open", "close"):
        box = a[0]
        if pb.places.get(box) != "in" or pb.pieces.get(box) != s.at or s.holding is not None:
            return None
        if (k == "open") == (box in s.open):
            return None
        opened = s.open | {box} if k == "open" else s.open - {box}
        return State(s.at, s.holding, opened, s.places), c.open if k == "open" else c.close
    if k == "pick":
        item = a[0]
        where = s.place_of(item)
        if s.holding is not None or where is None or pb.pieces.get(where) != s.at:
            return None
        if pb.places.get(where) == "in" and where not in s.open:
            return None
        return State(s.at, item, s.open, tuple(x for x in s.places if x[0] != item)), c.pick
    if k == "place":
        item, target = a
        rel = pb.places.get(target)
        if s.holding != item or rel is None or pb.pieces.get(target) != s.at or (rel == "in" and target not in s.open):
            return None
        return State(s.at, None, s.open, tuple(sorted((*s.places, (item, target))))), c.place
    return None


def primitive_calls(pb: Problem, s: State) -> list[SkillCall]:
    """Every primitive call worth trying in `s` (applicability is checked by `apply_call`)."""
    out = [SkillCall("navigate_to", (p,)) for p in pb.relevant_pieces() if p != s.at]
    here = sorted(p for p, piece in pb.pieces.items() if piece == s.at and p in pb.places)
    for p in here:
        if pb.places[p] == "in":
            out += [SkillCall("open", (p,)), SkillCall("close", (p,))]
    out += [SkillCall("pick", (i,)) for i, _ in s.places]
    if s.holding is not None:
        out += [SkillCall("place", (s.holding, p)) for p in here]
    return out


def _domain(pb: Problem, s: State, role: str) -> list[str]:
    if role == "item":
        return sorted({i for i, _ in s.places} | ({s.holding} if s.holding else set()))
    if role == "container":
        return sorted(p for p, r in pb.places.items() if r == "in")
    if role == "support":
        return sorted(p for p, r in pb.places.items() if r == "on")
    return sorted(pb.places)


def _bindings(pb: Problem, s: State, m: Macro):
    """Parameter bindings worth simulating: an item a step picks is one not in the hand, an
    item a step places is the held one, and a pick right after a navigate_to must be of an
    item at that navigation's piece (anything else fails its preconditions anyway)."""
    picks = {a[0] for k, a in m.steps if k == "pick"}
    placed = {a[0] for k, a in m.steps if k == "place"}
    doms = []
    for p in m.params:
        if p in picks:
            doms.append([i for i, _ in s.places])
        elif p in placed:
            doms.append([s.holding] if s.holding else [])
        else:
            doms.append(_domain(pb, s, p))
    for values in itertools.product(*doms):
        b = dict(zip(m.params, values))
        nav = None
        ok = True
        for k, a in m.steps:
            if k == "navigate_to":
                nav = pb.pieces.get(b.get(a[0], a[0]), b.get(a[0], a[0]))
            elif k == "pick" and nav is not None:
                where = s.place_of(b.get(a[0], a[0]))
                ok = where is not None and pb.pieces.get(where) == nav
            if not ok:
                break
        if ok:
            yield b


def macro_steps(pb: Problem, s: State):
    """(name, calls, state after, cost) of every composite that applies in `s`."""
    for m in pb.macros:
        for binding in _bindings(pb, s, m):
            calls = m.ground(binding)
            cur, cost = s, 0.0
            for call in calls:
                nxt = apply_call(pb, cur, call)
                if nxt is None:
                    break
                cur, cost = nxt[0], cost + nxt[1]
            else:
                yield m.name, calls, cur, cost


def satisfied(goal, s: State) -> bool:
    return all(s.holding == g[1] if g[0] == "holding" else (g[1], g[2]) in s.places for g in goal)


def heuristic(pb: Problem, s: State) -> float:
    """A lower bound on the cost to the goal. The hand carries one item at a time, so each
    unsatisfied item's carry (its place, or the robot when held, to its target) is a
    separate stretch of driving: the sum of their straight-line legs, plus a pick, a place
    and a navigation overhead each when the two pieces differ; every closed container that
    must be opened (to take a planned item out or put one in) once; and, when the hand
    holds no goal item, the shortest leg from the robot to an item still to be picked."""
    c = pb.costs
    h = 0.0
    to_open: set[str] = set()
    approach = []
    for g in pb.goal:
        rel, item = g[0], g[1]
        if rel == "holding":
            if s.holding == item:
                continue
            where = s.place_of(item)
            if where is None:
                continue
            src = pb.pieces.get(where, where)
            h += c.pick
            approach.append(pb.travel(s.at, src))
            if pb.places.get(where) == "in" and where not in s.open:
                to_open.add(where)
            continue
        target = g[2]
        if (item, target) in s.places:
            continue
        dst = pb.pieces.get(target, target)
        if pb.places.get(target) == "in" and target not in s.open:
            to_open.add(target)
        h += c.place
        if s.holding == item:
            h += pb.travel(s.at, dst)
            continue
        where = s.place_of(item)
        if where is None:
            continue
        src = pb.pieces.get(where, where)
        h += c.pick + pb.travel(src, dst)
        approach.append(pb.travel(s.at, src))
        if pb.places.get(where) == "in" and where not in s.open:
            to_open.add(where)
    h += c.open * len(to_open)
    held_goal = any(g[1] == s.holding for g in pb.goal)
    if approach and not held_goal:
        h += min(approach)
    return h


def astar(pb: Problem, max_expansions: int = 20000, h=heuristic) -> Result:
    """The cheapest sequence of operators from `pb.start` to a state meeting `pb.goal`
    (`Result.steps` None when there is none, or after `max_expansions` node expansions).
    `h(pb, state)`: the heuristic (``lambda pb, s: 0.0`` gives uniform-cost search)."""
    tie = itertools.count()
    start = pb.start
    frontier = [(h(pb, start), 0.0, next(tie), start)]
    best = {start: 0.0}
    parent: dict[State, tuple] = {start: None}
    expansions = 0
    while frontier:
        _f, neg_g, _, s = heapq.heappop(frontier)
        g = -neg_g
        if g > best.get(s, math.inf):
            continue
        if satisfied(pb.goal, s):
            steps = []
            while parent[s] is not None:
                prev, name, calls = parent[s]
                steps.append((name, calls))
                s = prev
            return Result(steps[::-1], round(g, 6), expansions)
        if expansions >= max_expansions:
            return Result(None, math.inf, expansions)
        expansions += 1
        moves = []
        for call in primitive_calls(pb, s):
            nxt = apply_call(pb, s, call)
            if nxt is not None:
                moves.append((None, (call,), nxt[0], nxt[1]))
        moves += list(macro_steps(pb, s))
        for name, calls, nxt, cost in moves:
            g2 = g + cost
            if g2 < best.get(nxt, math.inf) - 1e-9:
                best[nxt] = g2
                parent[nxt] = (s, name, calls)
                heapq.heappush(frontier, (g2 + h(pb, nxt), -g2, next(tie), nxt))
    return Result(None, math.inf, expansions)


__all__ = ["CostModel", "Macro", "Problem", "Result", "State", "apply_call", "astar", "heuristic", "macro_steps",
           "primitive_calls", "satisfied"]
