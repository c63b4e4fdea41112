"""The belief-space planner: find what is not located, plan with A*, monitor, revise, replan.

One primitive per `act()`. When a plan is needed:

1. The goal is the task's relations, patterns (``block_*``) expanded over the items the
   belief knows. If it holds in the belief (and, for a pattern, no place with unseen
   contents is left that could hide another match), `act()` returns None; when it holds
   only in a memory from an earlier episode (stale), the robot first goes and looks.
2. Every goal item the belief has not located gets a *determinisation*: its best
   candidate place in the **p/c order** (probability that it is there over the cost of
   looking there from where the robot is: driving + opening a container, or driving to a
   room + a look_around). For one searcher looking in boxes with known costs and
   certain detection, checking in decreasing p_i / c_i minimises the expected cost of
   finding the item (the classic optimal search order); here costs depend on where the
   robot is, so the order is recomputed greedily after every look.
   If the best candidate is an unexplored room (``room_<k>``), the plan is to gather
   information: navigate_to(room_<k>) and look_around. Otherwise the item is assumed to
   be there and A* (`planners.house.search`) plans the whole task on that determinised
   state (its first steps, driving there and opening, are the look).
3. After every observation the belief is updated (`perception.house_belief.HouseBelief`)
   and the plan monitored: a contradiction that concerns the plan (an item not where it
   was believed or assumed, a container empty, a grasp that found nothing) drops the plan
   and appends ``{"call": n, "reason": ...}`` to ``stats()["replans"]`` (n = skill calls
   issued so far). A failed skill that is not such a contradiction is retried once; a
   second failure (or a first one whose reason says a retry cannot help: an unknown name,
   no path, no IK solution from this parking pose) blocks that call for the episode and replans. A plan that simply ran to its end
   (information gathered) is followed by a fresh plan, not counted as a replan.

Agents: ``oracle-planner`` (sensors "truth": the belief is replaced by the true state
after every observation, so it never searches), ``belief-planner`` (its own belief from
symbolic observations), ``perception-planner`` (the same from RGB-D). ``@nolib`` turns
the composite library off (``belief-planner@nolib``); option ``library`` does the same.
Option ``miss`` (default 0.1; 0 = trust every look_around) is the belief's chance that a
look_around overlooks an item on a support it shows: such a support stays a candidate
with that weight, so a camera that overlooked the item does not lose it for good.

Example:
    >>> BeliefPlanner.parse_arg("nolib"), BeliefPlanner().library
    ({'library': False}, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from perception.house_belief import NOT_THERE, HouseBelief, room_of_place, room_place
from perception.house_data import HouseObservation, HouseTask, Layout, SkillCall
from planners.agents.base import AgentSpecError
from planners.house.base import HouseAgent
from planners.house.search import CostModel, Problem, State, astar

# failure reasons a retry cannot change: unknown names, no path, no arm pose from this parking pose
NO_RETRY = ("unknown", "no path", "no IK solution")


@dataclass
class Plan:
    steps: list  # [(SkillCall, composite name or None), ...] still to issue
    kind: str  # "solve" (A*), "gather" (look for an item), "explore" (look for more items of a pattern)
    assumptions: dict = field(default_factory=dict)  # item -> place it was assumed to be in


class BeliefPlanner(HouseAgent):
    name = "belief-planner"
    sensors = "symbolic"

    @classmethod
    def parse_arg(cls, arg: str) -> dict:
        if arg in ("", "lib"):
            return {}
        if arg == "nolib":
            return {"library": False}
        raise AgentSpecError(f"agent {cls.name!r} takes @lib or @nolib, got {cls.name}@{arg}")

    def __init__(self, library: bool = True, library_dir: str = "", library_suite: str = "house-3room",
                 library_cases: int = 5, costs: dict | None = None, max_expansions: int = 20000, macros=None,
                 miss: float = 0.1) -> None:
        HouseBelief(Layout((0,), ((0.0, 0.0),), (), 0), miss)  # a bad miss is refused here, not mid-episode
        self.miss = miss
        self.library = bool(library)
        self.library_dir = library_dir
        self.library_suite = library_suite
        self.library_cases = int(library_cases)
        self.costs = CostModel(**(costs or {}))
        self.max_expansions = int(max_expansions)
        self._macros = tuple(macros) if macros is not None else None
        self.belief: HouseBelief | None = None
        self.task: HouseTask | None = None
        self.plan: Plan | None = None
        self.blocked: set[str] = set()
        self.unsearchable: set[tuple[str, str]] = set()
        self._stats = self._fresh_stats()

    def macros(self) -> tuple:
        """The validated composites the search may use (none with the library off)."""
        if not self.library:
            return ()
        if self._macros is None:
            from planners.house.library import default_macros, load_macros

            self._macros = load_macros(self.library_dir) if self.library_dir else \
                default_macros(self.library_suite, self.library_cases)
        return self._macros

    @staticmethod
    def _fresh_stats() -> dict:
        return {"replans": [], "node_expansions": 0, "invalid_replies": 0, "library_calls": 0, "skill_calls_planned": 0,
                "searches": 0, "retries": 0, "blocked": [], "contradictions": []}

    # -- the interface -------------------------------------------------------------------------
    def reset(self, task: HouseTask, layout: Layout, seed: int, keep_memory: bool = False) -> None:
        if keep_memory and self.belief is not None:
            self.belief.restart(layout)
        else:
            self.belief = HouseBelief(layout, self.miss)
        self.belief.add_items(g[1] for g in task.goal)
        self.task, self.seed = task, seed
        self.plan, self.last, self.calls, self.done = None, None, 0, False
        self.retried: set[str] = set()
        self.blocked: set[str] = set()
        self.unsearchable: set[tuple[str, str]] = set()  # (item, place): no plan looks for item there
        self._stats = self._fresh_stats()
        self.macros()

    def observe(self, obs: HouseObservation, truth: frozenset | None = None) -> None:
        found = self.belief.update(obs)
        if truth is not None:
            self.belief.set_truth(truth)
        self._stats["contradictions"] += [{"call": self.calls, "what": c} for c in found]
        if obs.call is not None and self.plan is not None:
            self._monitor(obs, found)

    def act(self) -> SkillCall | None:
        for _ in range(8):  # a finished plan (or one whose steps all hold already) is followed by a fresh one
            if self.done:
                return None
            if self.plan is None or not self.plan.steps:
                self.plan = self._make_plan()
                if self.plan is None:
                    self.done = True
                    return None
            self._skip_done_steps()
            if self.plan.steps:
                break
            self.plan = None
        else:
            self.done = True
            return None
        call, label = self.plan.steps.pop(0)
        self.calls += 1
        self.last = (call, label)
        self._stats["library_calls"] += label is not None
        return call

    def stats(self) -> dict:
        return {**self._stats, "replans": list(self._stats["replans"]), "blocked": sorted(self.blocked)}

    # -- monitoring ----------------------------------------------------------------------------
    def _skip_done_steps(self) -> None:
        """Drop leading steps whose effect already holds in the belief (a container seen
        open on arrival needs no open(); parked at the target already needs no navigate_to)."""
        b = self.belief
        while self.plan.steps:
            call = self.plan.steps[0][0]
            a = call.args[0] if call.args else ""
            if (call.skill == "open" and a in b.open) or (call.skill == "close" and a in b.places and a not in b.open) \
                    or (call.skill == "navigate_to" and room_of_place(a) is None and b.at == b.piece(a)):
                self.plan.steps.pop(0)
                continue
            break

    def _replan(self, reason: str) -> None:
        self._stats["replans"].append({"call": self.calls, "reason": reason})
        self.plan = None

    def _monitor(self, obs: HouseObservation, found: list[str]) -> None:
        call = obs.call
        plan = self.plan
        if not obs.success:
            label = self.last[1] if self.last and self.last[0] == call else None
            if "already" in obs.reason and call.skill in ("open", "close"):
                return  # the belief was wrong about the container, and now knows: its effect holds, go on
            if found or any(w in obs.reason for w in NOT_THERE):  # the belief was wrong, and is revised
                self._replan("; ".join([f"{call} failed: {obs.reason}", *found]))
            elif any(w in obs.reason for w in NO_RETRY):  # retrying from the same pose cannot help
                self.blocked.add(str(call))
                self._replan(f"{call} failed: {obs.reason}")
            elif str(call) not in self.retried:
                self.retried.add(str(call))
                self._stats["retries"] += 1
                plan.steps.insert(0, (call, label))
            else:
                self.blocked.add(str(call))
                self._replan(f"{call} failed twice: {obs.reason}")
            return
        broken = self._broken(plan)
        words = self._plan_words(plan)
        relevant = [c for c in found if words & set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", c))]
        if broken or relevant:
            self._replan("; ".join(relevant) if relevant else broken)

    def _plan_words(self, plan: Plan) -> set[str]:
        """The items the plan is about: goal items, assumed ones, those it picks or places."""
        words = {g[1] for g in self._goal()} | set(plan.assumptions)
        for call, _ in plan.steps:
            if call.skill in ("pick", "place"):
                words.add(call.args[0])
        return words

    def _broken(self, plan: Plan) -> str:
        """Why the plan's assumptions no longer hold in the belief ("" when they do)."""
        b = self.belief
        for item, place in sorted(plan.assumptions.items()):
            where = b.located.get(item)
            rel = b.place_relation(place)
            if where is not None:
                if where[0] == "holding" or where[1] == place:
                    del plan.assumptions[item]  # confirmed
                    continue
                return f"{item} is {where[0]} {where[1]}, not {rel} {place} as assumed"
            if place in b.contents or place in b.excluded.get(item, ()):
                inside = sorted(b.contents.get(place, ()))
                return f"{place} is empty: {item} is not there" if not inside and rel == "in" else \
                    f"{item} is not {rel} {place}" + (f" (it holds {', '.join(inside)})" if inside else "")
        return ""

    # -- planning ------------------------------------------------------------------------------
    def _goal(self) -> tuple:
        return self.task.expand(self.belief.items) if self.task is not None else ()

    def _holds(self, g) -> bool:
        b = self.belief
        if g[0] == "holding":
            return b.holding == g[1]
        return b.located.get(g[1]) == (g[0], g[2])

    def search_order(self, item: str | None) -> list[tuple[str, float, float]]:
        """(place, probability, cost of looking) of the item's candidates, best p/c first
        (ties: cheaper, then by name). `item` None: every place whose contents are unseen,
        p = 1 each (looking for more items of a pattern)."""
        b, c = self.belief, self.costs
        dist = b.distribution(item) if item is not None else {p: 1.0 for p in b.unknown_places()}
        here = b.robot_xy()
        out = []
        for place, p in dist.items():
            if place == "holding" or not self._lookable(place, item):
                continue
            k = room_of_place(place)
            if k is not None:
                cost = (0.0 if b.room == k and b.at is None else c.nav + c.leg(here, b.room_centre(k))) + c.look_around
            else:
                piece = b.piece(place)
                cost = 0.0 if b.at == piece else c.nav + c.leg(here, b.position(piece))
                cost += c.open if b.place_relation(place) == "in" and place not in b.open else 0.0
                cost = max(cost, 1e-6)
            out.append((place, p, cost))
        return sorted(out, key=lambda x: (-x[1] / x[2], x[2], x[0]))

    def _lookable(self, place: str, item: str | None) -> bool:
        """Whether the robot can still look at `place` (for `item`): not when the call it
        takes failed twice (blocked), nor when no plan through it was found."""
        if (item, place) in self.unsearchable:
            return False
        k = room_of_place(place)
        if k is not None:
            return f"navigate_to({place})" not in self.blocked
        b = self.belief
        if f"navigate_to({b.piece(place)})" in self.blocked or f"navigate_to({place})" in self.blocked:
            return False
        return not (b.place_relation(place) == "in" and place not in b.open and f"open({place})" in self.blocked)

    def _look_plan(self, place: str, kind: str) -> Plan:
        """Go and look at one place: a room (drive there, look around), a container (drive
        there, open it; look_at it when it is open already) or a support (drive there; look_at
        it when parked there already)."""
        b = self.belief
        k = room_of_place(place)
        steps = []
        if k is not None:  # from the room's middle: a look from beside a piece may hide some of the room
            if b.room != k or b.at is not None:
                steps.append(SkillCall("navigate_to", (room_place(k),)))
            steps.append(SkillCall("look_around"))
        else:
            if b.at != b.piece(place):
                steps.append(SkillCall("navigate_to", (b.piece(place),)))
            if b.place_relation(place) == "in" and place not in b.open:
                steps.append(SkillCall("open", (place,)))
            elif not steps:  # parked there already (its last view showed nothing of it): look at it
                steps.append(SkillCall("look_at", (b.piece(place),)))
        steps = [s for s in steps if str(s) not in self.blocked]
        self._stats["skill_calls_planned"] += len(steps)
        return Plan([(s, None) for s in steps], kind)

    def _make_plan(self) -> Plan | None:
        b, task = self.belief, self.task
        if len(self._stats["replans"]) > 4 * task.max_skills:
            return None
        goal = self._goal()
        todo = [g for g in goal if not self._holds(g)]
        pattern = any(g[1].endswith("_*") for g in task.goal)
        stale = sorted(g[1] for g in goal if g[1] in b.stale)
        if not todo and stale:  # the goal holds only in an old memory: go and check
            item = stale[0]
            plan = self._look_plan(b.located[item][1], "gather")
            plan.assumptions = {item: b.located[item][1]}
            return plan
        if not todo:
            if not pattern or b.holding is not None:
                return None
            order = self.search_order(None)  # more items of the pattern may hide in unseen places
            return self._look_plan(order[0][0], "explore") if order else None
        for _ in range(12):  # a determinisation A* cannot solve (a blocked call on the way): the next candidate
            assumptions = {}
            for item in sorted({g[1] for g in todo if g[1] not in b.located}):
                order = self.search_order(item)
                if not order:
                    return None  # nowhere left to look: nothing left to try
                place = order[0][0]
                if room_of_place(place) is not None:
                    return self._look_plan(place, "gather")
                assumptions[item] = place
            plan = self._solve(goal, assumptions)
            if plan is not None or not assumptions:
                return plan
            self.unsearchable |= set(assumptions.items())
        return None

    def _solve(self, goal, assumptions: dict) -> Plan | None:
        b = self.belief
        items = sorted({g[1] for g in goal})
        placed = []
        for i in items:
            where = b.located.get(i)
            if where is not None and where[0] != "holding":
                placed.append((i, where[1]))
            elif where is None:
                placed.append((i, assumptions[i]))
        start = State(b.at, b.holding, frozenset(b.open), tuple(sorted(placed)))
        pieces = {b.piece(p) for _, p in placed} | {b.piece(g[2]) for g in goal if g[0] in ("on", "in")}
        if b.at is not None:
            pieces.add(b.at)
        names = {p for p in b.places if b.places[p].piece in pieces} | {p for _, p in placed} | \
            {g[2] for g in goal if g[0] in ("on", "in")}
        places = {p: b.place_relation(p) for p in sorted(names)}
        for g in goal:  # a goal's relation says what its place is
            if g[0] in ("on", "in"):
                places[g[2]] = g[0]
        pb = Problem(goal=tuple(goal), places=places, pieces={p: b.piece(p) for p in places},
                     positions={n: b.pieces[n].position for n in pieces if n in b.pieces}, start=start,
                     start_xy=b.robot_xy(), costs=self.costs, macros=self.macros(), blocked=frozenset(self.blocked))
        res = astar(pb, self.max_expansions)
        self._stats["searches"] += 1
        self._stats["node_expansions"] += res.expansions
        todo = [g for g in goal if not self._holds(g)]
        if res.steps is None and len(todo) > 1:  # too many items at once: one goal relation at a time
            pb.goal = (todo[0],)
            res = astar(pb, self.max_expansions)
            self._stats["searches"] += 1
            self._stats["node_expansions"] += res.expansions
        if res.steps is None:
            return None
        steps = [(c, name) for name, calls in res.steps for c in calls]
        if not steps and assumptions:  # the goal holds if an item is where it is assumed: go and look
            item, place = min(assumptions.items())
            plan = self._look_plan(place, "gather")
            plan.assumptions = {item: place}
            return plan
        self._stats["skill_calls_planned"] += len(steps)
        return Plan(steps, "solve", dict(assumptions))


class OraclePlanner(BeliefPlanner):
    """Plans on the true state (sensors "truth"): it never has to look for anything."""

    name = "oracle-planner"
    sensors = "truth"



class PerceptionPlanner(BeliefPlanner):
    """The belief planner fed from head-camera RGB-D (the executor's perception stack)."""

    name = "perception-planner"
    sensors = "rgbd"


__all__ = ["BeliefPlanner", "OraclePlanner", "PerceptionPlanner", "Plan"]
