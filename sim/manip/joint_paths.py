"""Arm motions in joint space shared by the mobile Panda's skills on MuJoCo
(`sim.manip.house_skills`) and on PyBullet (`sim.manip.pybullet_house`): straight segments,
a via-point planner around collisions, and tracking a path with the position actuators.

Example:
    >>> [p.tolist() for p in segment([0.0, 0.0], [0.1, 0.0])]
    [[0.0, 0.0], [0.05, 0.0], [0.1, 0.0]]
    >>> path, why = plan_joint_path(np.zeros(2), np.ones(2), lambda qs: "", np.zeros(2), [-3, -3], [3, 3],
    ...                             np.random.default_rng(0))
    >>> len(path), why
    (21, '')
"""

from __future__ import annotations

from typing import Callable

import numpy as np

CONTROL = 10  # physics steps per arm control tick (50 Hz at 2 ms)
JOINT_SPEED = 1.2  # rad/s, the largest joint's speed along a path


def segment(a, b, step: float = 0.05) -> list[np.ndarray]:
    """Configurations from a to b, at most `step` rad apart in any joint, both ends included."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    n = max(2, int(np.abs(b - a).max() / step) + 1)
    return [a + (b - a) * t for t in np.linspace(0, 1, n)]


def plan_joint_path(start, goal, collides: Callable[[list], str], tuck, lo, hi, rng: np.random.Generator,
                    n_random: int = 40) -> tuple[list[np.ndarray] | None, str]:
    """A collision-free joint path: straight, else via the tucked pose, else via one of
    `n_random` random points around the midpoint (clipped 0.05 rad inside the joint limits
    lo, hi); `collides(path)` names the first collision ("" when free). (None, reason) when
    every try collides."""
    start, goal = np.asarray(start, float), np.asarray(goal, float)
    straight = segment(start, goal)
    hit = collides(straight)
    if not hit:
        return straight, ""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    for v in [np.asarray(tuck, float)] + [(start + goal) / 2 + rng.normal(0, 0.5, len(start)) for _ in range(n_random)]:
        v = np.clip(v, lo + 0.05, hi - 0.05)
        path = segment(start, v) + segment(v, goal)[1:]
        if not collides(path):
            return path, ""
    return None, f"arm path blocked ({hit})"


def track_joint_path(world, path, settle: int = 60, speed: float = JOINT_SPEED, control: int = CONTROL) -> bool:
    """Follow `path` with the arm's position actuators, a new target every `control` physics
    steps, time-scaled so the fastest joint moves at `speed` rad/s (`world`: `set_arm_target`,
    `step`, `q`, `timestep`); True when the arm ends within 0.01 rad of the last configuration
    (0.03 after `settle` more ticks)."""
    dt = control * world.timestep
    for a, b in zip(path[:-1], path[1:]):
        n = max(1, int(np.abs(b - a).max() / (speed * dt)))
        for t in np.linspace(1.0 / n, 1.0, n):
            world.set_arm_target(a + (b - a) * t)
            world.step(control)
    for _ in range(settle):
        if np.abs(world.q() - path[-1]).max() < 0.01:
            return True
        world.step(control)
    return bool(np.abs(world.q() - path[-1]).max() < 0.03)


__all__ = ["CONTROL", "JOINT_SPEED", "plan_joint_path", "segment", "track_joint_path"]
