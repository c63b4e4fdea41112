"""The interface every house agent implements, and the loop that plays one task (`run_task`).

The episode runner (`spacelab.evaluation.house_episode`) feeds an agent what its
`sensors` say: ``"truth"`` (the oracle: observations plus the executor's true facts),
``"symbolic"`` (observations from the simulator's visibility tests) or ``"rgbd"``
(observations the executor made from head-camera RGB-D). The agent answers one primitive
`SkillCall` per `act()`, or None when it believes the goal holds or has nothing left to try.

Example:
    >>> HouseAgent.parse_arg("")
    {}
"""

from __future__ import annotations

from typing import Callable

from perception.house_data import HouseObservation, HouseTask, Layout, SkillCall
from planners.agents.base import FromSpec


class HouseAgent(FromSpec):
    name: str = "house-agent"
    sensors: str = "symbolic"  # "truth" (oracle), "symbolic" or "rgbd"
    belief = None  # a perception.house_belief.HouseBelief, for agents that keep one

    def reset(self, task: HouseTask, layout: Layout, seed: int, keep_memory: bool = False) -> None:
        raise NotImplementedError

    def observe(self, obs: HouseObservation, truth: frozenset | None = None) -> None:
        raise NotImplementedError

    def act(self) -> SkillCall | None:
        raise NotImplementedError

    def belief_snapshot(self) -> dict:
        """item -> {"relation": "on"|"in"|"holding"|"unknown", "place": str|None, "confidence": float}."""
        return self.belief.snapshot() if self.belief is not None else {}

    def belief_entropy(self) -> float | None:
        """Bits of uncertainty over item places (None when the agent keeps no distribution)."""
        return self.belief.entropy() if self.belief is not None else None

    def stats(self) -> dict:
        return {"replans": [], "node_expansions": 0, "invalid_replies": 0, "library_calls": 0, "skill_calls_planned": 0}


def run_task(agent: HouseAgent, ex, task: HouseTask, seed: int = 0, keep_memory: bool = False,
             on_call: Callable | None = None) -> dict:
    """Play `task` with `agent` on executor `ex` (`ex.reset()` is called: the robot back at the
    start, the world as it is): {"success", "calls" (str of each call), "failed" (calls that
    failed, with the reason), "stats"}. `on_call(call, obs, truth_before, truth_after)` runs
    once at the start (call None, after the agent saw the start) and after every call (the
    episode runner measures there)."""
    truthful = agent.sensors == "truth"
    obs = ex.reset()
    agent.reset(task, ex.layout, seed, keep_memory=keep_memory)
    truth = ex.truth()
    agent.observe(obs, truth if truthful else None)
    if on_call is not None:
        on_call(None, obs, truth, truth)
    calls, failed = [], []
    while len(calls) < task.max_skills:
        call = agent.act()
        if call is None:
            break
        before, obs = truth, ex.execute(call)
        truth = ex.truth()
        calls.append(str(call))
        if not obs.success:
            failed.append(f"{call}: {obs.reason}")
        agent.observe(obs, truth if truthful else None)
        if on_call is not None:
            on_call(call, obs, before, truth)
    return {"success": bool(task.met(truth, ex.item_names())), "calls": calls, "failed": failed, "stats": agent.stats()}


__all__ = ["HouseAgent", "run_task"]
