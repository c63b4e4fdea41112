"""The Agent interface every explorer implements (scripted, perception-driven, LLM, RL).

An agent receives the env's text observation and its structured `info`, and returns
one turn as a string, e.g. ``"Actions: [Rotate(90), Observe()]"``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Agent(ABC):
    name: str = "agent"

    def reset(self, seed: int = 0, max_steps: int = 20) -> None:
        """Start a new episode."""

    @abstractmethod
    def act(self, observation: str, info: dict) -> str:
        """Return the next turn."""

    def probe(self, kind: str = "global") -> dict:
        """The agent's cognitive map (see DESIGN.md section 4); empty if it keeps none."""
        return {}
