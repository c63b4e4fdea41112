"""Exploration agents behind one interface (planners.agents.base.Agent).

Example:
    >>> make_agent("scout").name
    'scout'
"""

from __future__ import annotations

from planners.agents.base import Agent
from planners.agents.oracle import NoisyOracle, Oracle
from planners.agents.random_agent import RandomAgent
from planners.agents.sweeper import Scout, Strategist

AGENTS: dict[str, type[Agent]] = {
    "random": RandomAgent, "scout": Scout, "strategist": Strategist, "oracle": Oracle, "noisy-oracle": NoisyOracle,
}


class UnknownAgentError(ValueError):
    pass


def make_agent(name: str, options: dict | None = None) -> Agent:
    """An agent by name; "noisy-oracle@0.5" passes noise=0.5, "replay@runs/x/episodes.jsonl"
    replays a run, "llm" takes its endpoint from `options` (see planners.agents.llm.LLMConfig)."""
    base, _, arg = name.partition("@")
    if base == "llm":
        from planners.agents.llm import LLMAgent, LLMConfig

        return LLMAgent(LLMConfig.from_dict(options))
    if base == "mapper":
        from planners.agents.mapper import Mapper

        return Mapper()
    if base == "replay":
        from planners.agents.replay import ReplayAgent

        if not arg:
            raise UnknownAgentError("replay needs a results file: replay@runs/<run>/episodes.jsonl")
        return ReplayAgent(arg, **(options or {}))
    if base not in AGENTS:
        raise UnknownAgentError(f"unknown agent {name!r}; choose one of: {', '.join([*AGENTS, 'llm', 'replay@FILE'])}")
    if arg:
        if base != "noisy-oracle":
            raise UnknownAgentError(f"agent {base!r} takes no parameter (got {name!r})")
        try:
            return NoisyOracle(noise=float(arg))
        except ValueError:
            raise UnknownAgentError(f"bad noise level in {name!r}: use e.g. noisy-oracle@0.5") from None
    return AGENTS[base]()


__all__ = ["AGENTS", "Agent", "make_agent"]
