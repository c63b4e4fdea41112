"""Skill-composition benchmark: CALVIN-style chains of 5 subtasks, library on vs off.

Each chain is a kitchen scene (3 blocks, a tray, a drawer) and 5 goals generated from the
operators' preconditions and effects (each reachable from the state the previous ones
leave). The agent plans and executes each goal in turn in the same physics; the chain
stops at the first failure. Reported: success for 1..5 in a row, average chain length,
planner node expansions, simulator steps and wall time per solved subtask, primitive
execution success, and the reuse factor of learned skills (executions per created skill).
"""

from __future__ import annotations

import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from planners.skills.compose import Planner, execute, scene_objects
from planners.skills.domain import abstract, apply
from planners.skills.library import SkillLibrary
from scenes.tabletop import generate_table

CHAIN = 5
SCENE_FAMILY = "chains"  # the scene family composites are learned and validated on


def make_world(seed: int, backend: str = "mujoco"):
    from sim.manip.world import make_world as world_on

    return world_on(generate_table(seed, n_blocks=3, containers=1, drawer=True, suite=SCENE_FAMILY), backend=backend)


def chain_goals(world, seed: int, n: int = CHAIN) -> list[set]:
    """n goals, each true after the previous ones and not already true when it is set."""
    from sim.manip.state import symbolic_state

    rng = np.random.default_rng([seed, 5])
    objects = scene_objects(world)
    state = abstract(symbolic_state(world))
    planner = Planner()
    goals = []
    for _ in range(n * 5):
        if len(goals) == n:
            break
        b = objects["blocks"]
        candidates = [("in", x, "bowl") for x in b] + [("in", x, "drawer") for x in b] + \
                     [("on", x, y) for x in b for y in b if x != y] + [("on", x, "table") for x in b]
        goal = candidates[rng.integers(len(candidates))]
        if goal in state:
            continue
        plan = planner.plan(state, {goal}, objects)
        if plan is None or len(plan.actions) > 8:
            continue
        for op, args in plan.actions:
            state = apply(state, op, args)
        goals.append({goal})
    return goals


def run_chain(seed: int, library_dir: str | None) -> dict:
    from sim.manip.skills import Skills

    world = make_world(seed)
    goals = chain_goals(world, seed)
    lib = SkillLibrary(library_dir) if library_dir else None
    planner = Planner(lib)
    sk = Skills(world)
    done, rows = 0, []
    t0 = time.perf_counter()
    for g in goals:
        ex = execute(world, sk, planner, g, library=lib)
        rows.append({"goal": sorted(map(list, g)), "success": ex.success, "expansions": ex.expansions,
                     "physics_steps": ex.physics_steps, "skill_calls": ex.skill_calls, "primitive_calls": ex.primitive_calls,
                     "replans": ex.replans, "primitive_successes": sum(t["success"] for t in ex.trace),
                     "composite_calls": sum(1 for t in ex.trace if t["via"] and t["starts"])})
        if not ex.success:
            break
        done += 1
    return {"seed": seed, "length": done, "subtasks": rows, "wall_s": time.perf_counter() - t0}


def _run(args):
    return run_chain(*args)


def evaluate(seeds, library_dir: str | None, workers: int = 2) -> dict:
    jobs = [(s, library_dir) for s in seeds]
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            chains = list(pool.map(_run, jobs))
    else:
        chains = [_run(j) for j in jobs]
    return summarise(chains)


def summarise(chains: list[dict]) -> dict:
    lengths = np.array([c["length"] for c in chains])
    solved = [r for c in chains for r in c["subtasks"] if r["success"]]
    allsub = [r for c in chains for r in c["subtasks"]]
    prim = sum(r["primitive_calls"] for r in allsub)
    return {
        "chains": len(chains),
        "avg_chain_length": round(float(lengths.mean()), 3),
        "in_a_row": {str(i): round(float((lengths >= i).mean()), 3) for i in range(1, CHAIN + 1)},
        "expansions_per_solved": round(float(np.mean([r["expansions"] for r in solved])), 1) if solved else None,
        "physics_steps_per_solved": round(float(np.mean([r["physics_steps"] for r in solved])), 1) if solved else None,
        "wall_s_per_chain": round(float(np.mean([c["wall_s"] for c in chains])), 3),
        "primitive_success_rate": round(sum(r["primitive_successes"] for r in allsub) / prim, 3) if prim else None,
        "composite_calls": sum(r["composite_calls"] for r in allsub),
        "per_chain": chains,
    }


def plot_chains(results: dict, path: str) -> None:
    """Bars of i-in-a-row success, library off vs on."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.38
    for k, (name, res) in enumerate(results.items()):
        xs = np.arange(1, CHAIN + 1) + (k - 0.5) * width
        ax.bar(xs, [res["in_a_row"][str(i)] for i in range(1, CHAIN + 1)], width,
               label=f"{name} (avg len {res['avg_chain_length']:.2f}, {res['expansions_per_solved']} exp./task)")
    ax.set_xlabel("tasks completed in a row")
    ax.set_ylabel("share of chains")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    ax.set_title("skill-composition chains (CALVIN-style, 5 subtasks)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
