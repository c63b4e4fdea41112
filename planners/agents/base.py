"""The Agent interface every explorer implements (scripted, perception-driven, LLM, RL).

After every env step the runner calls ``observe(observation, info)`` (update beliefs),
may then ``probe(kind)`` the agent's beliefs, and calls ``act(observation, info)`` for the
next turn, a string such as ``"Actions: [Rotate(90), Observe()]"``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from sim.actions import DEFAULT_MAX_STEPS


class AgentSpecError(ValueError):
    """An agent name's parameter or options that the agent cannot take (message says why)."""


class FromSpec:
    """Build an agent from its registry name's parameter and options (exploration agents and
    house agents alike)."""

    name: str = "agent"

    @classmethod
    def parse_arg(cls, arg: str) -> dict:
        """Constructor arguments from the text after '@' in a name ("noisy-oracle@0.5");
        agents that take none refuse any."""
        if arg:
            raise AgentSpecError(f"agent {cls.name!r} takes no parameter (got {cls.name}@{arg})")
        return {}

    @classmethod
    def from_spec(cls, arg: str = "", options: dict | None = None):
        """The agent for "name@arg" with `options` (a mapping of constructor arguments)."""
        kwargs = {**(options or {}), **cls.parse_arg(arg)}
        try:
            return cls(**kwargs)
        except TypeError as e:
            raise AgentSpecError(f"agent {cls.name!r}: bad options {sorted(kwargs)} ({e})") from None


class Agent(FromSpec, ABC):
    name: str = "agent"

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        """Start a new episode."""

    def restart(self) -> None:
        """Back at the start pose for a new phase, keeping what was learned (false belief)."""
        memory = getattr(self, "memory", None)
        if memory is not None:
            memory.restart()

    def observe(self, observation: str, info: dict) -> None:
        """Take in the result of the last turn (or of reset)."""
        memory = getattr(self, "memory", None)
        if memory is not None:
            memory.update(info)

    @abstractmethod
    def act(self, observation: str, info: dict) -> str:
        """Return the next turn."""

    def probe(self, kind: str = "global") -> dict | str:
        """The agent's answer to a probe: "global" (cognitive map, start frame), "local"
        (last view, agent frame), "unexplored" ({"unexplored": [door names]}) or "changes"
({"changes": [{"name": ..., "change": "moved" | "rotated"}]}, since restart). A JSON
        object or text containing one. Agents with a `memory` answer from it."""
        memory = getattr(self, "memory", None)
        return memory.probe(kind) if memory is not None else {}
