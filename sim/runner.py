"""Run one episode of an agent in the exploration env and keep an EpisodeRecord.

An episode that raises is recorded with its error and traceback instead of stopping
the caller, so a sweep never loses the other episodes.
"""

from __future__ import annotations

import time
import traceback

from perception.probing import ProbeTracker
from perception.visibility import ViewConfig
from planners.agents import make_agent
from scenes.suites import load_suite_scene
from sim.env import ExplorationEnv


def run_episode(
    env: ExplorationEnv, agent, seed: int = 0, probe: bool = True, driver=None, fresh: bool = True
) -> dict:
    """Play one episode; returns the per-episode record (JSON-serialisable).

    driver: another agent that chooses the actions while `agent` only observes and is
    probed (the passive protocol). fresh=False keeps the agent's memory (restart()
    instead of reset()), for the second phase of the false-belief protocol.
    """
    t0 = time.perf_counter()
    obs, info = env.reset(seed=seed)
    if fresh:
        agent.reset(seed=seed, max_steps=env.max_steps)
    else:
        agent.restart()
    actor = driver or agent
    if driver is not None:
        driver.reset(seed=seed, max_steps=env.max_steps)
    tracker = ProbeTracker(env) if probe else None
    watchers = [agent] if driver is None else [agent, driver]
    for w in watchers:
        w.observe(obs, info)
    actions, invalid, steps_to_full = [], [], None
    first_seen: dict[str, int] = {}
    n_doors = len(env.scene.doors)
    done = False
    while not done:
        turn = actor.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(turn)
        for w in watchers:
            w.observe(obs, info)
        actions.append(info["turn"])
        for name in info["new"]:
            first_seen.setdefault(name, info["step"])
        if info["invalid"]:
            invalid.append({"step": info["step"], "turn": info["turn"], "reason": info["invalid"]})
        if tracker is not None:
            tracker.after_step(agent, info)
        if steps_to_full is None and info["coverage"] >= 1.0:
            steps_to_full = info["step"]
        done = terminated or truncated
    object_names = {o.name for o in env.scene.objects}
    record = {
        "steps": env.steps,
        "terminated_by_agent": bool(terminated),
        "actions": actions,
        "invalid_actions": invalid,
        "n_invalid": len(invalid),
        "coverage": env.object_coverage,
        "full_coverage": env.object_coverage >= 1.0,
        "steps_to_full_coverage": steps_to_full,
        "doors_observed": sum(1 for n in env.observed if n not in object_names) / n_doors if n_doors else 1.0,
        "observed": sorted(env.observed),
        "first_seen": first_seen,
        "cost": env.cost,
        "physics_steps": env.backend.physics_steps,
        "contact_ticks": env.contact_ticks,
        "sim_time_s": round(env.backend.physics_steps * env.backend.timestep, 3),
        "trajectory": env.trajectory,
        "free_coverage": round(env.free_space_coverage, 4),
        "wall_time_s": round(time.perf_counter() - t0, 4),
    }
    if tracker is not None:
        record["belief"] = tracker.summary()
        record["probes"] = tracker.rows
        record["probe_errors"] = tracker.probe_errors
        record["final_map"] = tracker.last_global.to_dict()
    return record


def run_job(job: dict) -> dict:
    """Run one (suite, index, agent, protocol, seed) job from scratch; never raises."""
    from sim.protocols import run_protocol

    protocol = job.get("protocol", "active")
    record = {k: job[k] for k in ("suite", "index", "agent", "seed")}
    record["protocol"] = protocol
    record["config_hash"] = job.get("config_hash", "")
    record["scene"] = f"{job['suite']}/{job['index']}"
    try:
        scene = load_suite_scene(job["suite"], job["index"])
        env = ExplorationEnv(
            scene,
            backend=job.get("backend", "mujoco"),
            max_steps=job.get("max_steps", 20),
            view=ViewConfig(fov_deg=job.get("fov_deg", 90.0), max_range=job.get("max_range", 32.0)),
        )
        try:
            record.update(run_protocol(protocol, env, make_agent(job["agent"]), seed=job["seed"]))
        finally:
            env.close()
        record["error"] = None
    except Exception as e:  # a crashing episode is data, not the end of the run
        record["error"] = f"{type(e).__name__}: {e}"
        record["traceback"] = traceback.format_exc()
    return record
