"""The compositional planner: A* over symbolic states, and execution with monitoring.

Edges are grounded skills whose preconditions hold: the four primitive operators and, with
a library, every validated composite grounded over the scene's objects. Edge cost is
-log(estimated success) + lambda * expected steps / 100, from the library's statistics
(measured by validation rollouts and executions). A skill without statistics is a coin flip
with no step estimate: no success rate or step count is assumed for it.
The search graph is kept as a networkx DiGraph for inspection; `expansions` counts the
states popped from the open list.

Execution runs each grounded skill in physics; after every primitive the observed state is
compared with the predicted one and, on a mismatch, the planner replans from what it sees,
within a budget of skill calls.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass, field

import networkx as nx

from planners.skills.domain import (
    PRIMITIVE_OPS,
    abstract,
    applicable,
    apply,
    composite_groundings,
    expand_composite,
    groundings,
)
from planners.skills.library import SkillLibrary
from planners.skills.record import SkillRecord, laplace

LAMBDA = 0.2


@dataclass
class Plan:
    actions: list[tuple]  # (skill id, args)
    cost: float
    expansions: int
    graph: nx.DiGraph = field(repr=False, default_factory=nx.DiGraph)


def scene_objects(world) -> dict:
    spec = world.spec
    return {"blocks": sorted(world.blocks), "containers": [c.name for c in spec.containers],
            "drawers": [spec.drawer.name] if spec.drawer else []}


class Planner:
    def __init__(self, library: SkillLibrary | None = None, use_composites: bool = True, max_expansions: int = 20000,
                 weight: float = 3.0) -> None:
        self.library = library
        self.weight = weight
        self.use_composites = use_composites and library is not None
        self.max_expansions = max_expansions

    def _cost(self, skill_id: str) -> float:
        """-log(success estimate) + lambda * expected steps / 100. A composite with no
        step statistics of its own expects the sum of its children's steps, so a macro is
        never cheaper than the primitives it stands for: it only shortens the search."""
        rec = self.library.latest(skill_id) if self.library else None
        p = self._success(skill_id)
        if rec is not None and rec.kind == "composite":  # few own trials: lean on the children's record
            p = max(p, math.prod(self._success(st["skill"]) for st in rec.steps))
        return -math.log(max(p, 1e-3)) + LAMBDA * self._steps(skill_id) / 100.0

    def _success(self, skill_id: str) -> float:
        rec = self.library.latest(skill_id) if self.library else None
        return rec.success_rate if rec else laplace(0, 0)

    def _steps(self, skill_id: str, depth: int = 0) -> float:
        """Measured mean control ticks; a composite without its own: its children's sum; 0 when unmeasured."""
        rec = self.library.latest(skill_id) if self.library else None
        if rec is None or depth > 16:
            return 0.0
        steps = rec.stats.get("mean_steps") or 0.0
        if not steps and rec.kind == "composite":
            steps = sum(self._steps(st["skill"], depth + 1) for st in rec.steps)
        return float(steps)

    def _composites(self) -> list[SkillRecord]:
        if not self.use_composites:
            return []
        return [r for r in self.library.skills.values() if r.kind == "composite" and r.status == "validated"]

    def successors(self, s: frozenset, objects: dict):
        for op in PRIMITIVE_OPS:
            for args in groundings(op, objects):
                if applicable(s, op, args, objects):
                    yield (op, args), apply(s, op, args), self._cost(op)
        for rec in self._composites():
            for combo, _binding, t in composite_groundings(rec.params, rec.steps, s, objects):
                yield (rec.id, tuple(combo)), t, self._cost(rec.id)

    @staticmethod
    def _plan_to(s, parent, cost, expansions, g) -> Plan:
        actions = []
        while parent[s] is not None:
            prev, act = parent[s]
            actions.append(act)
            s = prev
        return Plan(actions[::-1], cost, expansions, g)

    def plan(self, start, goal: set, objects: dict) -> Plan | None:
        start = abstract(start)
        goal = {tuple(g) for g in goal}
        min_cost = min(self._cost(op) for op in PRIMITIVE_OPS)

        def h(s):
            return len(goal - s) * min_cost * self.weight  # weighted A*: bounded-suboptimal, far fewer expansions

        g = nx.DiGraph()
        tie = itertools.count()
        # ties on f go to states reached in fewer skill calls: a macro that does the job wins
        frontier = [(h(start), 0, next(tie), 0.0, start)]
        best = {start: 0.0}
        parent: dict = {start: None}
        calls = {start: 0}
        expansions = 0
        while frontier and expansions < self.max_expansions:
            _, _, _, cost, s = heapq.heappop(frontier)
            if cost > best.get(s, math.inf):
                continue
            if goal <= s:
                return self._plan_to(s, parent, cost, expansions, g)
            expansions += 1
            for act, t, c in self.successors(s, objects):
                nc = cost + c
                if nc < best.get(t, math.inf) - 1e-12:
                    best[t] = nc
                    parent[t] = (s, act)
                    calls[t] = calls[s] + 1
                    g.add_edge(s, t, action=act)
                    if goal <= t:  # goal test on generation: a skill that finishes the job ends the search
                        return self._plan_to(t, parent, nc, expansions, g)
                    heapq.heappush(frontier, (round(nc + h(t), 9), calls[t], next(tie), nc, t))
        return None


@dataclass
class Execution:
    success: bool
    skill_calls: int
    primitive_calls: int
    replans: int
    expansions: int
    physics_steps: int
    wall_s: float
    trace: list[dict]


def execute(world, skills, planner: Planner, goal: set, budget: int = 12, library: SkillLibrary | None = None) -> Execution:
    """Plan, run, watch, replan. `skills` is a sim.manip.skills.Skills over `world`."""
    from sim.manip.state import symbolic_state

    t0, steps0 = time.perf_counter(), world.physics_steps
    objects = scene_objects(world)
    goal = {tuple(g) for g in goal}
    calls = prims = replans = expansions = 0
    trace: list[dict] = []
    state = symbolic_state(world)
    while calls < budget:
        if goal <= abstract(state):
            break
        plan = planner.plan(state, goal, objects)
        if plan is None:
            break
        expansions += plan.expansions
        diverged = False
        for skill_id, args in plan.actions:
            if calls >= budget:
                break
            calls += 1
            children = [(skill_id, args)]
            rec = library.latest(skill_id) if library else None
            if rec is not None and rec.kind == "composite":
                children = expand_composite(rec.steps, {f"?{n}": v for n, v in zip(rec.params, args)})
            ok_all, n_steps = True, 0
            for k, (op, op_args) in enumerate(children):
                predicted = apply(abstract(state), op, op_args)
                out = getattr(skills, op)(*op_args)
                prims += 1
                n_steps += out.steps
                state = out.state
                trace.append({"skill": op, "args": list(op_args), "success": out.success, "reason": out.reason,
                              "via": skill_id if skill_id != op else None, "starts": k == 0})
                if not out.success or not _agrees(predicted, abstract(state)):
                    ok_all = False
                    break
            if library is not None and rec is not None:
                library.update_stats(rec.key, ok_all, n_steps)
            if not ok_all:
                diverged = True
                replans += 1
                break
        if not diverged:
            state = symbolic_state(world)
            if not goal <= abstract(state):
                replans += 1
    ok = goal <= abstract(symbolic_state(world))
    return Execution(ok, calls, prims, replans, expansions, world.physics_steps - steps0, time.perf_counter() - t0, trace)


def _agrees(predicted: frozenset, observed: frozenset) -> bool:
    """The effects that matter (what is held, on, in, open) came true."""
    key = ("holding", "on", "in", "open")
    return {x for x in predicted if x[0] in key} == {x for x in observed if x[0] in key}
