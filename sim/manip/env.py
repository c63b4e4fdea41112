"""A gymnasium env for continuous tabletop control (RL, CEM): move the TCP, open or close.

Action (4,): TCP displacement (dx, dy, dz) in [-1, 1] x 2 cm per step and a grip command
(< 0 closes, >= 0 opens). Observation: TCP position, finger opening, every block's
position, the drawer opening. One step = one control tick (50 Hz, 10 physics substeps).
The episode is truncated after `max_steps`; a diverging simulation raises BackendError,
which the runner records as a failed episode.

Example:
    >>> from scenes.suites import load_table_scene
    >>> env = ManipEnv(load_table_scene("table-pick", 0))
    >>> obs, _ = env.reset(seed=0)
    >>> obs.shape
    (11,)
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from scenes.tabletop import TABLE_HALF, TABLE_TOP, TableSpec
from sim.manip.world import make_world

STEP_M = 0.02


class ManipEnv(gym.Env):
    def __init__(self, spec: TableSpec, max_steps: int = 500, backend: str = "mujoco") -> None:
        self.world = make_world(spec, backend=backend)
        self.max_steps = max_steps
        n = 4 + 3 * len(self.world.blocks) + 1
        self._buf = np.zeros(n)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float64)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n,), np.float64)
        lo = np.array([-TABLE_HALF[0], -TABLE_HALF[1] - 0.2, TABLE_TOP + 0.005])
        self.bounds = (lo, np.array([TABLE_HALF[0], TABLE_HALF[1], TABLE_TOP + 0.5]))

    def _obs(self) -> np.ndarray:
        w = self.world
        out = self._buf
        out[:3] = w.tcp_pos()
        out[3] = w.finger_opening()
        out[4:-1] = w.block_positions().ravel()
        out[-1] = w.drawer_opening()
        return out.copy()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.world.reset()
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        a = np.asarray(action, dtype=np.float64)
        if a.shape != (4,) or not np.isfinite(a).all():
            raise ValueError(f"action must be 4 finite numbers (dx, dy, dz, grip), got {action!r}")
        a = np.clip(a, -1.0, 1.0)
        w = self.world
        w.goal = np.minimum(np.maximum(w.goal + a[:3] * STEP_M, self.bounds[0]), self.bounds[1])
        w.opening = 0.0 if a[3] < 0 else 0.045
        self.world.tick()
        self.t += 1
        return self._obs(), 0.0, False, self.t >= self.max_steps, {}
