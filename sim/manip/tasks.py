"""Manipulation tasks: a scene, a success predicate over the symbolic state, and a scripted
skill sequence that solves it (the reference the planner of issue 5 is measured against).
`TASKS` names them; a new task is one `register_task` call, here or in your own code.

Example:
    >>> task = TASKS.load("pick-and-place")
    >>> run_task(task, 0)["success"]
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from scenes.registry import Registry
from scenes.suites import load_table_scene
from scenes.tabletop import generate_table
from sim.backends.base import BackendError
from sim.manip.base import TabletopWorld
from sim.manip.skills import Skills
from sim.manip.state import symbolic_state
from sim.manip.world import make_world


@dataclass(frozen=True)
class Task:
    name: str
    scene: Callable[[int], object]  # seed -> TableSpec
    goal: Callable[[TabletopWorld], set]  # literals that must hold
    plan: Callable[[TabletopWorld], list[tuple]]  # (skill, args...) steps


TASKS = Registry("task")  # name -> Task (the entry point is the Task itself: TASKS.load(name))


def register_task(task: Task, doc: str = "", replace: bool = False) -> Task:
    """Register `task` under its name, with a one-line `doc` for `spacelab list tasks`."""
    TASKS.register(task.name, task, doc=doc, replace=replace)
    return task


register_task(Task("pick-and-place", lambda s: load_table_scene("table-pick", s),
                   lambda w: {("in", "block_0", "bowl")},
                   lambda w: [("grasp", "block_0"), ("place", "block_0", "bowl")]),
              "put block_0 into the bowl (table-pick scenes)")
register_task(Task("stack-3", lambda s: generate_table(s, n_blocks=3, containers=0, suite="stack-3"),
                   lambda w: {("on", "block_1", "block_0"), ("on", "block_2", "block_1")},
                   lambda w: [("grasp", "block_1"), ("place", "block_1", "block_0"), ("grasp", "block_2"),
                              ("place", "block_2", "block_1")]),
              "stack three blocks: block_2 on block_1 on block_0")
register_task(Task("put-in-drawer", lambda s: generate_table(s, n_blocks=2, containers=0, drawer=True, suite="put-in-drawer"),
                   lambda w: {("in", "block_0", "drawer")},
                   lambda w: [("open", "drawer"), ("grasp", "block_0"), ("place", "block_0", "drawer"), ("close", "drawer")]),
              "open the drawer, put block_0 in and shut it again (MuJoCo only)")
register_task(Task("find-hidden-object", lambda s: load_table_scene("kitchen-drawer", s),
                   lambda w: {("on", "block_0", "table"), ("visible", "block_0")},
                   lambda w: [("look_around",), ("open", "drawer"), ("grasp", "block_0"), ("place", "block_0", "table"),
                              ("look_around",)]),
              "find block_0 hidden in the drawer and put it on the table in view (MuJoCo only)")
register_task(Task("rearrange-to-goal", lambda s: generate_table(s, n_blocks=3, containers=1, suite="rearrange"),
                   lambda w: {("in", "block_0", "bowl"), ("on", "block_2", "block_1")},
                   lambda w: [("grasp", "block_0"), ("place", "block_0", "bowl"), ("grasp", "block_2"),
                              ("place", "block_2", "block_1")]),
              "block_0 into the bowl and block_2 onto block_1")


def needs_drawer(task: Task) -> bool:
    return task.scene(0).drawer is not None


def run_task(task: Task, seed: int, backend: str = "mujoco", robot: str = "floating") -> dict:
    """Play a task's skill plan on a backend; a simulation that diverges is a failed episode, not a crash."""
    w = make_world(task.scene(seed), backend=backend, robot=robot)
    sk = Skills(w)
    log = []
    try:
        for step in task.plan(w):
            out = getattr(sk, step[0])(*step[1:])
            log.append({"skill": step[0], "args": list(step[1:]), "success": out.success, "steps": out.steps,
                        "reason": out.reason})
            if not out.success:
                break
    except BackendError as e:
        return {"task": task.name, "seed": seed, "backend": backend, "success": False, "skills": log, "error": str(e),
                "ticks": sk.ticks, "physics_steps": w.physics_steps, "final_state": []}
    state = symbolic_state(w)
    goal = task.goal(w)
    ok = goal <= state and not (task.name == "put-in-drawer" and ("open", "drawer") in state)  # and shut again
    return {"task": task.name, "seed": seed, "backend": backend, "success": ok, "skills": log, "ticks": sk.ticks,
            "physics_steps": w.physics_steps, "final_state": sorted(map(list, state))}
