"""Exploration agents behind one interface (planners.agents.base.Agent), by name.

A name may carry a parameter after '@' ("noisy-oracle@0.5", "replay@runs/x/episodes.jsonl");
options (a mapping, e.g. the LLM endpoint) go to the agent's constructor. A new agent is one
module plus one `register_agent` line, here or in your own code.

Example:
    >>> make_agent("scout").name
    'scout'
    >>> make_agent("noisy-oracle@0.5").noise
    0.5
"""

from __future__ import annotations

from planners.agents.base import Agent, AgentSpecError
from scenes.registry import Registry

AGENTS = Registry("agent")


def register_agent(name: str, entry_point, doc: str = "", replace: bool = False) -> None:
    """Register an Agent subclass (or "module:Class") under `name`."""
    AGENTS.register(name, entry_point, doc=doc, replace=replace)


register_agent("random", "planners.agents.random_agent:RandomAgent", "random valid turns (lower bound)")
register_agent("scout", "planners.agents.sweeper:Scout", "ToS's scout proxy: sweep each room (4 views at the start, 3 at a door), stop once all named entities are seen")
register_agent("strategist", "planners.agents.sweeper:Strategist", "ToS's strategist proxy: the scout's sweeps, per-room candidate refinement, then queries")
register_agent("oracle", "planners.agents.oracle:Oracle", "the scout's route, reporting the true map (upper bound)")
register_agent("noisy-oracle", "planners.agents.oracle:NoisyOracle", "oracle with position noise: noisy-oracle@SIGMA (m)")
register_agent("mapper", "planners.agents.mapper:Mapper", "perception stack: RGB-D mapping, tracking, frontiers (sensors=rgbd)")
register_agent("llm", "planners.agents.llm:LLMAgent", "an OpenAI-compatible chat model (agent_options.llm.*)")
register_agent("replay", "planners.agents.replay:ReplayAgent", "replays a recorded run: replay@runs/<run>/episodes.jsonl")
register_agent("oracle-planner", "planners.house.belief_planner:OraclePlanner", "house tasks: A* on the true state (upper bound)")
register_agent("belief-planner", "planners.house.belief_planner:BeliefPlanner", "house tasks: belief-space planner on its own map (@nolib: no composites)")
register_agent("perception-planner", "planners.house.belief_planner:PerceptionPlanner", "house tasks: the belief planner fed from RGB-D (sensors=rgbd)")
register_agent("llm-planner", "planners.house.llm_planner:LLMPlanner", "house tasks: a chat model picks each skill (agent_options.llm-planner.*)")


def agent_class(name: str) -> type[Agent]:
    """The class behind "name" or "name@arg"; checks the parameter without building the agent."""
    base, _, arg = name.partition("@")
    cls = AGENTS.load(base)
    cls.parse_arg(arg)
    return cls


def make_agent(name: str, options: dict | None = None) -> Agent:
    """An agent by name, e.g. "scout", "noisy-oracle@0.5", "replay@runs/x/episodes.jsonl";
    `options` go to its constructor ("llm" takes its endpoint from them, see LLMConfig)."""
    base, _, arg = name.partition("@")
    return AGENTS.load(base).from_spec(arg, options)


__all__ = ["AGENTS", "Agent", "AgentSpecError", "agent_class", "make_agent", "register_agent"]
