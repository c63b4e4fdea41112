"""Play one house task (fetch, stow, find, rearrange) with a planner agent and measure it.

The loop: the executor (`sim.manip.house_exec`, physics or its symbolic twin) reports what
the robot sees, the agent (`planners.house`) picks the next skill, the executor runs it;
after every call the agent's belief is scored against the truth. The task judges the end
state (`HouseTask.met`), never the agent.

Per-episode record (what `summary.json` rows average):
- success, skill_calls, sim_seconds, wall_s, replans (with reasons), invalid_replies;
- wasted actions: empty containers opened (an open() that revealed nothing) and rooms
  revisited for nothing (entering a room the robot had already been in and left, and doing
  no successful pick, place or open there before leaving it or stopping);
- containment accuracy after every call (share of the house's items whose believed
  relation and place are the true ones; unknown counts as wrong) and its final value;
- belief map: the believed items placed at their believed piece's centre, scored with the
  exploration probes (`perception.belief.score_map`: pos, dir);
- information gain: 1 - final / initial entropy of the agent's belief over item places
  (when the agent exposes its belief's entropy);
- library reuse: skill calls that came from validated composites;
- for the report: the robot's path, the containers opened and the items moved.

The false-belief variant plays the task, moves items while the agent is away
(`false_belief_moves`), and plays a second task on the moved item with the agent's memory
kept; Belief Inertia is the share of moved items the agent still believes at their old place.

Example:
    >>> from planners.agents import make_agent
    >>> from scenes.house import load_house
    >>> rec = run_house_episode(load_house("house-2room", 0), "fetch", make_agent("oracle-planner"), seed=0, executor="symbolic")
    >>> rec["success"], rec["replans"], rec["empty_containers_opened"]
    (True, 0, 0)
"""

from __future__ import annotations

import time

from perception.belief import score_map
from perception.cogmap import CognitiveMap
from perception.house_belief import belief_inertia, containment_accuracy, truth_places
from perception.house_data import HouseTask
from planners.agents import make_agent
from planners.house.base import run_task
from scenes.house import HouseSpec, load_house
from sim.manip.house_exec import make_executor
from sim.manip.house_tasks import HOUSE_MANIP_TASKS, false_belief_moves, make_task
from spacelab.evaluation.jobs import EXECUTORS, HOUSE_PROTOCOLS


def belief_map_score(house: HouseSpec, snapshot: dict, truth, items) -> dict:
    """The exploration probes on items: believed items at their believed piece's centre vs
    the true ones (world frame; held items are left out of both maps)."""
    centre = {}
    for f in house.furniture:
        centre[f.name] = f.position
        for c in f.containers:
            centre[c] = f.position
    true = truth_places(truth)
    gt = {n: list(centre[p]) for n, (r, p) in true.items() if r != "holding" and p in centre}
    pred = {}
    for n in items:
        b = snapshot.get(n) or {}
        if b.get("relation") in ("on", "in") and b.get("place") in centre:
            pred[n] = list(centre[b["place"]])
    if not gt:
        return {"pos": None, "dir": None}
    s = score_map(CognitiveMap.from_dict(pred), CognitiveMap.from_dict(gt))
    return {"pos": round(s["pos"], 4), "dir": round(s["dir"], 4)}


def play(ex, task: HouseTask, agent, seed: int, keep_memory: bool = False) -> dict:
    """One task from the executor's current world (the robot back at the start); returns the
    measurements (see the module doc)."""
    items = ex.item_names()
    t0, sim0, calls0 = time.perf_counter(), ex.sim_seconds, ex.skill_calls
    m = _Measure(ex, agent)
    out = run_task(agent, ex, task, seed, keep_memory=keep_memory, on_call=m.after)
    truth = ex.truth()
    stats, snapshot, entropy1 = out["stats"], agent.belief_snapshot(), _entropy(agent)
    replans = stats.get("replans") or []
    return {
        "task": task.kind, "goal": [list(g) for g in task.expand(items)], "text": task.text,
        "success": out["success"],
        "skill_calls": ex.skill_calls - calls0, "sim_seconds": round(ex.sim_seconds - sim0, 3),
        "wall_s": round(time.perf_counter() - t0, 3),
        "replans": len(replans), "replan_reasons": [r.get("reason", "") for r in replans][:20],
        "invalid_replies": int(stats.get("invalid_replies", 0)),
        "node_expansions": stats.get("node_expansions"), "library_calls": stats.get("library_calls"),
        "empty_containers_opened": m.empty_opened, "rooms_revisited": m.wasted_revisits(),
        "wasted_actions": m.empty_opened + m.wasted_revisits(),
        "containment_accuracy": m.acc[-1], "containment_curve": m.acc,
        "belief_map": belief_map_score(ex.house, snapshot, truth, items),
        "info_gain": round(1.0 - entropy1 / m.entropy0, 4) if m.entropy0 and entropy1 is not None else None,
        "calls": m.log, "path": m.path, "containers_opened": m.opened, "items_moved": m.moved,
        "final_belief": snapshot,
    }


class _Measure:
    """What `play` records after every skill call (`run_task`'s on_call hook)."""

    def __init__(self, ex, agent) -> None:
        self.ex, self.agent = ex, agent
        self.entropy0: float | None = None
        self.log: list[dict] = []
        self.path: list[list[float]] = []
        self.opened: list[dict] = []
        self.moved: list[dict] = []
        self.acc: list[float] = []
        self.rooms_left: set[int] = set()
        self.room: int | None = None
        self.empty_opened = self.revisits = 0
        self.again = self.useful = False  # this stay in the room: a revisit? did anything there?
        self.held_from: dict[str, str | None] = {}

    def after(self, call, obs, before, truth) -> None:
        if call is None:  # the start
            self.entropy0, self.room = _entropy(self.agent), obs.room
            self.path.append(list(map(float, self.ex.robot_xy())))
            self.acc.append(round(containment_accuracy(self.agent.belief_snapshot(), truth), 4))
            return
        self.log.append({"call": str(call), "success": obs.success, "reason": obs.reason})
        self.path.append(list(map(float, self.ex.robot_xy())))
        if obs.room != self.room:
            self.rooms_left.add(self.room)
            self.revisits += self.again and not self.useful
            self.again, self.useful, self.room = obs.room in self.rooms_left, False, obs.room
        self.useful |= obs.success and call.skill in ("pick", "place", "open")
        if call.skill == "open" and obs.success:
            inside = dict(obs.opened).get(call.args[0])
            self.opened.append({"container": call.args[0], "items": list(inside or ())})
            self.empty_opened += inside is not None and len(inside) == 0
        if call.skill == "pick" and obs.success:
            self.held_from[call.args[0]] = truth_places(before).get(call.args[0], ("", None))[1]
        if call.skill == "place" and obs.success:
            self.moved.append({"item": call.args[0], "from": self.held_from.pop(call.args[0], None), "to": call.args[1]})
        self.acc.append(round(containment_accuracy(self.agent.belief_snapshot(), truth), 4))

    def wasted_revisits(self) -> int:
        return self.revisits + (self.again and not self.useful)  # the stay the episode ended in


def _entropy(agent) -> float | None:
    f = getattr(agent, "belief_entropy", None)
    return float(f()) if callable(f) else None


def run_house_episode(house: HouseSpec, task_kind: str, agent, seed: int = 0, executor: str = "physics") -> dict:
    """Play `task_kind` in `house` once (a fresh executor); never leaves the executor open."""
    ex = _executor(house, agent, executor, seed)
    try:
        rec = play(ex, make_task(task_kind, house, seed), agent, seed)
    finally:
        ex.close()
    rec["executor"] = executor
    return rec


def run_house_false_belief(house: HouseSpec, task_kind: str, agent, seed: int = 0, executor: str = "physics") -> dict:
    """The task, then items moved while the agent is away, then a second task on a moved
    item with the agent's memory kept. The top level is the second episode."""
    ex = _executor(house, agent, executor, seed)
    try:
        first = play(ex, make_task(task_kind, house, seed), agent, seed)
        moves = false_belief_moves(house, ex.truth(), make_task(task_kind, house, seed), seed)
        old = truth_places(ex.truth())
        ex.move_items(moves)
        new = truth_places(ex.truth())
        second_task = revisit_task(house, old, new, moves, task_kind)
        second = play(ex, second_task, agent, seed + 1, keep_memory=True)
        ex_truth = ex.truth()
    finally:
        ex.close()
    inertia = belief_inertia(old, moves, second["final_belief"], final=truth_places(ex_truth))
    rec = dict(second)
    rec["executor"] = executor
    rec["first_episode"] = {k: first[k] for k in ("success", "skill_calls", "sim_seconds", "replans", "containment_accuracy")}
    rec["false_belief"] = {"moves": [list(m) for m in moves],
                           "belief_inertia": None if inertia is None else round(inertia, 4)}
    return rec


def revisit_task(house: HouseSpec, old: dict, new: dict, moves, kind: str) -> HouseTask:
    """The second episode's task: bring the first moved item onto a support other than the
    one it sits on now (its first support when that is one), so the agent must find it."""
    item = moves[0][0]
    supports = house.names("support")
    first = house.item(item).support
    target = first if first in supports and new.get(item, ("", ""))[1] != first else \
        next(s for s in supports if s != new.get(item, ("", ""))[1])
    return HouseTask("fetch", (("on", item, target),), f"Bring {item} to {target}.", extra={"after": kind})


def run_house_job(job) -> dict:
    """An `EpisodeJob` with a task: its house, its agent, its protocol."""
    house = load_house(job.suite, job.index)
    agent = make_agent(job.agent, job.options)
    if job.protocol not in HOUSE_PROTOCOLS:
        raise ValueError(f"protocol {job.protocol!r} does not apply to house tasks; choose from: {', '.join(HOUSE_PROTOCOLS)}")
    run = run_house_false_belief if job.protocol == "false-belief" else run_house_episode
    return run(house, job.task, agent, seed=job.seed, executor=job.executor)


def run_house_manip_task(name: str, suite: str, index: int, executor: str = "physics") -> dict:
    """One of issue 16's house tasks (`sim.manip.house_tasks.HOUSE_MANIP_TASKS`: pick-and-place
    across rooms, fetch from a closed drawer) played by the oracle planner on house `index`;
    the record says why it failed (the first failed skill, or the goal not met)."""
    house = load_house(suite, index)
    task = HOUSE_MANIP_TASKS[name](house, index)
    agent = make_agent("oracle-planner")
    ex = _executor(house, agent, executor, index)
    try:
        rec = play(ex, task, agent, index)
    finally:
        ex.close()
    failed = next((c for c in rec["calls"] if not c["success"]), None)
    rec["failure"] = "" if rec["success"] else (f"{failed['call']}: {failed['reason']}" if failed else "goal not met")
    return {"task": name, "suite": suite, "index": index, **{k: rec[k] for k in (
        "success", "skill_calls", "sim_seconds", "replans", "calls", "goal")}, "failure": rec["failure"]}


def _executor(house: HouseSpec, agent, kind: str, seed: int):
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    sensors = "symbolic" if agent.sensors == "truth" else agent.sensors
    if kind == "symbolic" and sensors == "rgbd":
        raise ValueError(f"agent {agent.name!r} sees through the RGB-D camera: it needs executor=physics")
    return make_executor(house, kind, sensors=sensors, seed=seed)


__all__ = ["belief_map_score", "play", "revisit_task", "run_house_episode",
           "run_house_false_belief", "run_house_job", "run_house_manip_task"]
