"""Exploration agents behind one interface (planners.agents.base.Agent).

Example:
    >>> make_agent("scout").name
    'scout'
"""

from __future__ import annotations

from planners.agents.base import Agent
from planners.agents.random_agent import RandomAgent
from planners.agents.sweeper import Scout, Strategist

AGENTS: dict[str, type[Agent]] = {"random": RandomAgent, "scout": Scout, "strategist": Strategist}


class UnknownAgentError(ValueError):
    pass


def make_agent(name: str) -> Agent:
    if name not in AGENTS:
        raise UnknownAgentError(f"unknown agent {name!r}; choose one of: {', '.join(AGENTS)}")
    return AGENTS[name]()


__all__ = ["AGENTS", "Agent", "make_agent"]
