"""Belief baselines: the oracle (exactly what was observed) and its noisy variant.

Both explore like the scout. The oracle's cognitive map holds the exact position and
facing of everything it has seen: the upper bound of any belief built from that
trajectory. The noisy oracle shifts each object by a fixed Gaussian offset of scale
`noise` metres (drawn once per object from the episode seed), flips facings with a
probability growing with `noise`, and reports `std` = noise, so every metric, including
calibration, moves monotonically with the noise level.
"""

from __future__ import annotations

import numpy as np

from planners.agents.base import AgentSpecError
from planners.agents.sweeper import Scout
from scenes.frames import FACINGS
from sim.actions import DEFAULT_MAX_STEPS


class Oracle(Scout):
    name = "oracle"


class NoisyOracle(Scout):
    name = "noisy-oracle"

    @classmethod
    def parse_arg(cls, arg: str) -> dict:
        if not arg:
            return {}
        try:
            noise = float(arg)
        except ValueError:
            noise = -1.0
        if not noise >= 0 or noise == float("inf"):
            raise AgentSpecError(f"bad noise level in 'noisy-oracle@{arg}': use a finite number >= 0, e.g. noisy-oracle@0.5")
        return {"noise": noise}

    def __init__(self, noise: float = 1.0) -> None:
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        self.noise = float(noise)

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        super().reset(seed, max_steps)
        self.seed = seed
        self._draws: dict[str, tuple[np.ndarray, float, int]] = {}

    def _draw(self, name: str):
        if name not in self._draws:
            # one stream per (episode, object): the same object keeps its error all episode
            rng = np.random.default_rng([self.seed, *name.encode()])
            self._draws[name] = (rng.standard_normal(2), float(rng.random()), int(rng.integers(1, 4)))
        return self._draws[name]

    def _flip(self, facing: str | None, name: str) -> str | None:
        _, u, k = self._draw(name)
        if facing is None or facing not in FACINGS or u >= min(0.75, self.noise / 2.0):
            return facing
        return FACINGS[(FACINGS.index(facing) + k) % 4]

    def probe(self, kind: str = "global") -> dict:
        out = self.memory.probe(kind)
        if kind not in ("global", "local"):
            return out
        for name, e in out.items():
            if name == "agent":
                continue
            offset, _, _ = self._draw(name)
            e["position"] = [float(v) for v in np.asarray(e["position"]) + self.noise * offset]
            e["facing"] = self._flip(e["facing"], name)
            e["std"] = self.noise
        return out


__all__ = ["NoisyOracle", "Oracle"]
