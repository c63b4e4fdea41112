"""A seeded random explorer: the lower bound every benchmark needs."""

from __future__ import annotations

import numpy as np

from planners.agents.base import Agent
from planners.agents.memory import SpatialMemory
from sim.actions import DEFAULT_MAX_STEPS


class RandomAgent(Agent):
    """Each turn: rotate and observe, or move to something in the last view and observe,
    or (rarely) query something seen. Never terminates early; the budget ends it."""

    name = "random"

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self.rng = np.random.default_rng(seed)
        self.memory = SpatialMemory()
        self.in_view: list[str] = []
        self.seen: set[str] = set()

    def act(self, observation: str, info: dict) -> str:
        if info.get("final") == "Observe":
            self.in_view = [s["name"] for s in info["sightings"]]
        self.seen.update(info.get("observed", []))
        r = self.rng.random()
        if self.in_view and r < 0.4:
            target = self.in_view[self.rng.integers(len(self.in_view))]
            self.in_view = []
            return f"Actions: [MoveTo({target}), Observe()]"
        if self.seen and r < 0.45:
            names = sorted(self.seen)
            return f"Actions: [Query({names[self.rng.integers(len(names))]})]"
        deg = int(self.rng.choice([90, 180, -90]))
        return f"Actions: [Rotate({deg}), Observe()]"
