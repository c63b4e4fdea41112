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


def make_agent(name: str) -> Agent:
    """An agent by name; "noisy-oracle@0.5" passes noise=0.5."""
    base, _, arg = name.partition("@")
    if base not in AGENTS:
        raise UnknownAgentError(f"unknown agent {name!r}; choose one of: {', '.join(AGENTS)}")
    if arg:
        if base != "noisy-oracle":
            raise UnknownAgentError(f"agent {base!r} takes no parameter (got {name!r})")
        try:
            return NoisyOracle(noise=float(arg))
        except ValueError:
            raise UnknownAgentError(f"bad noise level in {name!r}: use e.g. noisy-oracle@0.5") from None
    return AGENTS[base]()


__all__ = ["AGENTS", "Agent", "make_agent"]
