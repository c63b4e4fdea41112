"""Play one episode of an agent in the exploration env, probing it every turn.

Example:
    >>> from planners.agents import make_agent
    >>> from scenes.suites import load_suite_scene
    >>> from sim.env import ExplorationEnv
    >>> env = ExplorationEnv(load_suite_scene("tos-2room", 0))
    >>> run_episode(env, make_agent("scout"), seed=0)["coverage"]
    1.0
"""

from __future__ import annotations

from sim.env import ExplorationEnv
from spacelab.evaluation.session import EpisodeSession


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
