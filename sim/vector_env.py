"""A gymnasium vector env over batch backends: point-goal navigation for RL and CEM.

N worlds step together on `mujoco.batch` threads or MuJoCo Warp. With several scenes of a
family, world i runs scene i % len(scenes): one batch per scene (scenes differ in size, so
they cannot share one MjData layout), stepped in turn, their worlds interleaved in the
env's order. Each world's robot must reach a goal cell (drawn per world from its scene's
free cells) with continuous velocity commands (vx, vy, yaw rate) in [-1, 1] (scaled to
the base's limits). Observation: robot (x, y, cos yaw, sin yaw), goal offset (dx, dy),
velocity (vx, vy). Reward: progress towards the goal minus 0.01 per step, +1 on arrival
(within 0.3 m). Autoreset is "same step": a finished world is reset and its new first
observation is returned in the same call, the final one in info["final_obs"].

Example:
    >>> from scenes import load_suite_scene
    >>> env = NavVectorEnv(load_suite_scene("tos-2room", 0), num_envs=4)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (4, 8)
    >>> env = NavVectorEnv([load_suite_scene("tos-2room", i) for i in range(2)], num_envs=4)
    >>> [len(g.ids) for g in env.groups]
    [2, 2]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from scenes.grid import walkable_graph
from scenes.spec import SceneSpec
from sim.backends.batch import BatchBackend, MujocoBatch

GOAL_RADIUS = 0.3


@dataclass
class SceneGroup:
    """The worlds of one scene: their batch, their indices in the env, the scene's free cells."""

    backend: BatchBackend
    ids: np.ndarray
    cells: np.ndarray


class NavVectorEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, scene: SceneSpec | Sequence[SceneSpec], num_envs: int = 8, backend: BatchBackend | None = None,
                 substeps: int = 20, max_steps: int = 200, max_speed: float = 1.0, max_yaw_rate: float = 2.0,
                 make_batch: Callable[[int], BatchBackend] = lambda n: MujocoBatch(nworld=n, nthread=1)) -> None:
        scenes = [scene] if isinstance(scene, SceneSpec) else list(scene)
        if not scenes or len(scenes) > num_envs:
            raise ValueError(f"need 1 to num_envs={num_envs} scenes, got {len(scenes)}")
        if backend is not None and (len(scenes) > 1 or backend.nworld != num_envs):
            raise ValueError(f"backend= is for one scene in all {num_envs} worlds (it has {backend.nworld}); "
                             "for several scenes pass make_batch=")
        self.num_envs = num_envs
        self.groups = []
        for k, sc in enumerate(scenes):
            ids = np.arange(k, num_envs, len(scenes))
            b = backend or make_batch(len(ids))
            b.load(sc)
            cells = np.array([n for n, kind in walkable_graph(sc).nodes(data="kind") if kind == "cell"], float)
            self.groups.append(SceneGroup(b, ids, cells))
        self.substeps, self.max_steps = substeps, max_steps
        self.scale = np.array([max_speed, max_speed, max_yaw_rate])
        self.single_action_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float64)
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (8,), np.float64)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.rng = np.random.default_rng(0)

    @property
    def backend(self) -> BatchBackend:
        """The batch of a one-scene env."""
        if len(self.groups) != 1:
            raise AttributeError("this env runs several scenes: use env.groups[k].backend")
        return self.groups[0].backend

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.goals = np.zeros((self.num_envs, 2))
        for g in self.groups:
            g.backend.reset()
        self._draw_goals(np.arange(self.num_envs))
        self.t = np.zeros(self.num_envs, int)
        self.dist = self._dist()
        return self._obs(), {}

    def _draw_goals(self, ids: np.ndarray) -> None:
        draw = self.rng.random(len(ids))  # one number per world, in env order: seeded whatever the grouping
        for g in self.groups:
            mine = np.isin(ids, g.ids)
            self.goals[ids[mine]] = g.cells[(draw[mine] * len(g.cells)).astype(int)]

    def _poses(self) -> np.ndarray:
        out = np.empty((self.num_envs, 3))
        for g in self.groups:
            out[g.ids] = g.backend.robot_poses()
        return out

    def _dist(self) -> np.ndarray:
        return np.linalg.norm(self._poses()[:, :2] - self.goals, axis=1)

    def _obs(self) -> np.ndarray:
        pose = self._poses()
        yaw = np.radians(90.0 - pose[:, 2])
        vel = np.empty((self.num_envs, 2))
        for g in self.groups:
            vel[g.ids] = g.backend.qvel()[:, g.backend.scene.robot_qvel[:2]]
        return np.column_stack([pose[:, 0], pose[:, 1], np.cos(yaw), np.sin(yaw), self.goals - pose[:, :2], vel])

    def step(self, actions):
        a = np.asarray(actions, dtype=np.float64)
        if a.shape != (self.num_envs, 3) or not np.isfinite(a).all():
            raise ValueError(f"actions must be {self.num_envs} rows of 3 finite numbers (vx, vy, yaw rate), "
                             f"got an array of shape {a.shape}" + ("" if np.isfinite(a).all() else " with NaN/inf"))
        a = np.clip(a, -1.0, 1.0) * self.scale
        for g in self.groups:
            g.backend.step(a[g.ids], self.substeps)
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
        for g in self.groups:
            local = np.flatnonzero(np.isin(g.ids, ids))
            if len(local):
                q, v = g.backend.qpos(), g.backend.qvel()
                q[local] = g.backend.scene.initial_qpos
                v[local] = 0.0
                g.backend.set_state(q, v)
        self._draw_goals(ids)
        self.t[ids] = 0
        self.dist = self._dist()
