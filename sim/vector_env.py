"""A gymnasium vector env over a batch backend: point-goal navigation for RL and CEM.

N worlds of one scene step together on `mujoco.batch` threads or MuJoCo Warp. Each
world's robot must reach a goal cell (drawn per world from the free cells) with
continuous velocity commands (vx, vy, yaw rate) in [-1, 1] (scaled to the base's limits).
Observation: robot (x, y, cos yaw, sin yaw), goal offset (dx, dy), velocity (vx, vy).
Reward: progress towards the goal minus 0.01 per step, +1 on arrival (within 0.3 m).
Autoreset is "same step": a finished world is reset and its new first observation is
returned in the same call, the final one in info["final_obs"].

Example:
    >>> from scenes import load_suite_scene
    >>> env = NavVectorEnv(load_suite_scene("tos-2room", 0), num_envs=4)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (4, 8)
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from scenes.grid import walkable_graph
from scenes.spec import SceneSpec
from sim.backends.batch import BatchBackend, MujocoBatch

GOAL_RADIUS = 0.3


class NavVectorEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, scene: SceneSpec, num_envs: int = 8, backend: BatchBackend | None = None, substeps: int = 20,
                 max_steps: int = 200, max_speed: float = 1.0, max_yaw_rate: float = 2.0) -> None:
        self.num_envs = num_envs
        self.backend = backend or MujocoBatch(nworld=num_envs, nthread=1)
        if self.backend.nworld != num_envs:
            raise ValueError(f"backend has {self.backend.nworld} worlds, env wants {num_envs}")
        self.backend.load(scene)
        self.substeps, self.max_steps = substeps, max_steps
        self.scale = np.array([max_speed, max_speed, max_yaw_rate])
        self.cells = np.array([n for n, k in walkable_graph(scene).nodes(data="kind") if k == "cell"], float)
        self.single_action_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float64)
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (8,), np.float64)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.rng = np.random.default_rng(0)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.backend.reset()
        self.goals = self.cells[self.rng.integers(len(self.cells), size=self.num_envs)]
        self.t = np.zeros(self.num_envs, int)
        self.dist = self._dist()
        return self._obs(), {}

    def _dist(self) -> np.ndarray:
        return np.linalg.norm(self.backend.robot_poses()[:, :2] - self.goals, axis=1)

    def _obs(self) -> np.ndarray:
        pose = self.backend.robot_poses()
        yaw = np.radians(90.0 - pose[:, 2])
        vel = self.backend.qvel()[:, self.backend.scene.robot_qvel[:2]]
        return np.column_stack([pose[:, 0], pose[:, 1], np.cos(yaw), np.sin(yaw), self.goals - pose[:, :2], vel])

    def step(self, actions):
        a = np.clip(np.asarray(actions, dtype=np.float64).reshape(self.num_envs, 3), -1.0, 1.0) * self.scale
        self.backend.step(a, self.substeps)
        self.t += 1
        dist = self._dist()
        arrived = dist < GOAL_RADIUS
        reward = (self.dist - dist) - 0.01 + arrived.astype(float)
        self.dist = dist
        truncated = (self.t >= self.max_steps) & ~arrived
        done = arrived | truncated
        obs = self._obs()
        info = {}
        if done.any():
            info["final_obs"] = obs.copy()
            info["_final_obs"] = done.copy()
            self._reset_worlds(np.flatnonzero(done))
            obs = self._obs()
        return obs, reward, arrived, truncated, info

    def _reset_worlds(self, ids: np.ndarray) -> None:
        q, v = self.backend.qpos(), self.backend.qvel()
        q[ids] = self.backend.scene.initial_qpos
        v[ids] = 0.0
        self.backend.set_state(q, v)
        self.goals[ids] = self.cells[self.rng.integers(len(self.cells), size=len(ids))]
        self.t[ids] = 0
        self.dist = self._dist()
