"""Run one episode of an agent in the exploration env and keep an EpisodeRecord.

An episode that raises is recorded with its error and traceback instead of stopping
the caller, so a sweep never loses the other episodes.
"""

from __future__ import annotations

import traceback

from perception.visibility import ViewConfig
from planners.agents import make_agent
from scenes.suites import load_suite_scene
from sim.env import ExplorationEnv
from sim.session import EpisodeSession


def run_episode(
    env: ExplorationEnv, agent, seed: int = 0, probe: bool = True, driver=None, fresh: bool = True
) -> dict:
    """Play one episode; returns the per-episode record (JSON-serialisable).

    driver: another agent that chooses the actions while `agent` only observes and is
    probed (the passive protocol). fresh=False keeps the agent's memory (restart()
    instead of reset()), for the second phase of the false-belief protocol.
    """
    session = EpisodeSession(env, probe=probe)
    obs, info = session.reset(seed=seed)
    if fresh:
        agent.reset(seed=seed, max_steps=env.max_steps)
    else:
        agent.restart()
    actor = driver or agent
    if driver is not None:
        driver.reset(seed=seed, max_steps=env.max_steps)
    watchers = [agent] if driver is None else [agent, driver]
    for w in watchers:
        w.observe(obs, info)
    while not session.done:
        obs, reward, terminated, truncated, info = session.step(actor.act(obs, info))
        for w in watchers:
            w.observe(obs, info)
        session.after_step(agent)
    record = session.record()
    stats = getattr(agent, "stats", None)
    if callable(stats):
        record["agent_stats"] = stats()
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
            obs_mode=job.get("obs_mode", "text"),
            image_format=job.get("image_format", "png"),
            view=ViewConfig(fov_deg=job.get("fov_deg", 90.0), max_range=job.get("max_range", 32.0)),
        )
        try:
            agent = make_agent(job["agent"], (job.get("agent_options") or {}).get(job["agent"].partition("@")[0]))
            record.update(run_protocol(protocol, env, agent, seed=job["seed"], proxy=job.get("proxy", "scout")))
        finally:
            env.close()
        record["error"] = None
    except Exception as e:  # a crashing episode is data, not the end of the run
        record["error"] = f"{type(e).__name__}: {e}"
        record["traceback"] = traceback.format_exc()
    return record
