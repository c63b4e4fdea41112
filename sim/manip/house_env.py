"""A gymnasium env for low-level control of the mobile Panda in a house (`spacelab/HouseControl-v0`).

The world is `sim.manip.house_world.HouseWorld` on house `index` of `suite` (or a `HouseSpec`
passed whole); `reset` rebuilds it, the robot at the house's start pose with the arm tucked
and the fingers open. The seed does not choose the house (the index does): the env has no
randomness of its own, so the same actions give the same observations.

Actions (a Box in [-1, 1], clipped; one step = one 50 Hz control tick = 10 physics steps):

- ``control="joint"`` (11,): 7 arm joint target deltas (x 0.05 rad, the targets kept in the
  joint limits), base (dx, dy, dyaw) in the base frame (x 1 cm forward, y 1 cm left, yaw
  0.03 rad: 0.5 m/s and 1.5 rad/s at full action), grip (< 0 closes, >= 0 opens).
- ``control="ee"`` (7,): end-effector (the ``tcp`` site between the fingertips) position
  delta (dx, dy, dz) x 2 cm in the base frame (x forward, y left, z up), solved to arm joint
  targets by arm-only mink IK (`robots.mobile_panda.PandaIK`) with the hand orientation of
  the tucked pose held; then base (dx, dy, dyaw) and grip as above. An unreachable goal is
  pulled back to where the IK got (no wind-up).

The base tracks a pose goal (moved by the base deltas, kept within 0.15 m / 0.3 rad of the
real pose so a base pushing into a wall does not wind up) with its velocity actuators.

Observation (a Dict of float64 Boxes):

- ``arm_q`` (7,): arm joint positions, rad;
- ``base`` (3,): base x, y (m, world) and yaw (rad, wrapped to [-pi, pi]);
- ``ee`` (3,): end-effector position, m, world frame;
- ``grip`` (1,): finger opening, m (the sum of both fingers, 0 .. 0.08).

Reward is always 0 and the episode never terminates (tasks judge, not this env); it is
truncated after `max_steps`. `info` carries ``physics_steps`` and ``max_penetration`` (the
deepest arm-vs-furniture/wall contact so far, m).

Example:
    >>> env = HouseEnv(control="ee", max_steps=5)
    >>> obs, info = env.reset(seed=0)
    >>> sorted(obs)
    ['arm_q', 'base', 'ee', 'grip']
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np

from robots.mobile_panda import FINGER_OPEN, PandaIK
from scenes.house import HouseSpec, load_house
from sim.manip.house_world import TUCK, HouseWorld

DEFAULT_HOUSE_SUITE = "house-3room"
CONTROL = 10  # physics steps per env step (50 Hz at the 2 ms timestep)
JOINT_STEP = 0.05  # rad per unit joint action
EE_STEP = 0.02  # m per unit end-effector action
BASE_STEP = (0.01, 0.01, 0.03)  # m, m, rad per unit base action (0.5 m/s, 1.5 rad/s at 50 Hz)
BASE_GAIN = 8.0  # 1/s: base velocity command = gain x (goal - pose), clipped below
BASE_MAX_V = (0.6, 0.6, 1.8)  # m/s, m/s, rad/s
BASE_SLACK = (0.15, 0.15, 0.3)  # how far the base goal may run ahead of the real pose
EE_BOX = (np.array([-0.3, -0.85, -0.3]), np.array([0.85, 0.85, 1.0]))  # ee goal, arm frame (link0 at origin)
CONTROLS = {"joint": 11, "ee": 7}


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


class HouseEnv(gym.Env):
    metadata = {"render_modes": [], "render_fps": 50}

    def __init__(self, suite: str = DEFAULT_HOUSE_SUITE, index: int = 0, house: HouseSpec | None = None,
                 control: str = "joint", max_steps: int = 500) -> None:
        if control not in CONTROLS:
            raise ValueError(f"unknown control {control!r}; choose one of: {', '.join(CONTROLS)}")
        self.house = load_house(suite, index) if house is None else house
        self.control, self.max_steps = control, max_steps
        self.ik = PandaIK() if control == "ee" else None
        self.world = HouseWorld(self.house)
        m = self.world.model
        self.arm_range = np.array([m.jnt_range[m.joint(int(j)).id] for j in self._arm_joint_ids()])
        self.action_space = gym.spaces.Box(-1.0, 1.0, (CONTROLS[control],), np.float64)
        lo_xy, hi_xy = self._extent()
        pad = 0.05
        f64 = np.float64
        self.observation_space = gym.spaces.Dict({
            "arm_q": gym.spaces.Box(self.arm_range[:, 0] - pad, self.arm_range[:, 1] + pad, (7,), f64),
            "base": gym.spaces.Box(np.array([lo_xy[0], lo_xy[1], -math.pi]), np.array([hi_xy[0], hi_xy[1], math.pi]),
                                   (3,), f64),
            "ee": gym.spaces.Box(np.array([lo_xy[0] - 1.5, lo_xy[1] - 1.5, -0.5]),
                                 np.array([hi_xy[0] + 1.5, hi_xy[1] + 1.5, 3.0]), (3,), f64),
            "grip": gym.spaces.Box(0.0, 2 * FINGER_OPEN + 0.01, (1,), f64),
        })
        self.t = 0

    def _arm_joint_ids(self):
        m, w = self.world.model, self.world
        return [int(np.flatnonzero(m.jnt_qposadr == a)[0]) for a in w.arm_q]

    def _extent(self) -> tuple[np.ndarray, np.ndarray]:
        """The house's floor extent in x and y (the floor plane's size), with a 1 m margin."""
        m = self.world.model
        g = m.geom("floor").id
        c, h = m.geom_pos[g][:2], m.geom_size[g][:2]
        return c - h - 1.0, c + h + 1.0

    # -- gymnasium API -----------------------------------------------------------------
    def _obs(self) -> dict:
        w = self.world
        sp = self.observation_space
        base = w.base_pose()
        base[2] = _wrap(float(base[2]))
        obs = {"arm_q": w.q(), "base": base, "ee": w.tcp(),
               "grip": np.array([float(w.data.qpos[w.finger_q].sum())])}
        # soft joint limits and contacts can overshoot a bound by a hair: keep obs in the space
        return {k: np.clip(v, sp[k].low, sp[k].high).astype(np.float64) for k, v in obs.items()}

    def _info(self) -> dict:
        return {"physics_steps": int(self.world.physics_steps), "max_penetration": float(self.world.max_penetration)}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.world = HouseWorld(self.house)
        self.t = 0
        self.arm_goal = np.array(TUCK, float)
        self.base_goal = self.world.base_pose()
        self.grip_open = True
        if self.ik is not None:
            self.ee_goal = self.ik.tcp(self.arm_goal)  # arm frame
            self.ee_rot = self.ik.tcp_rot(self.arm_goal)
        return self._obs(), self._info()

    def step(self, action):
        n = CONTROLS[self.control]
        a = np.asarray(action, dtype=np.float64)
        if a.shape != (n,) or not np.isfinite(a).all():
            raise ValueError(f"action must be {n} finite numbers for control={self.control!r}, got {action!r}")
        a = np.clip(a, -1.0, 1.0)
        w = self.world
        if self.control == "joint":
            self.arm_goal = np.clip(self.arm_goal + a[:7] * JOINT_STEP, self.arm_range[:, 0], self.arm_range[:, 1])
            base_a = a[7:10]
        else:
            self._ee_move(a[:3] * EE_STEP)
            base_a = a[3:6]
        self._base_move(base_a * np.asarray(BASE_STEP))
        self.grip_open = bool(a[-1] >= 0)
        w.set_arm_target(self.arm_goal)
        w.set_fingers(FINGER_OPEN if self.grip_open else 0.0)
        for _ in range(CONTROL):
            err = self.base_goal - w.base_pose()  # world frame: the base joints are world x, y, yaw
            w.base_cmd = np.clip(BASE_GAIN * err, -np.asarray(BASE_MAX_V), BASE_MAX_V)
            w.step(1)
        if not np.isfinite(w.data.qpos).all():
            raise RuntimeError("the simulation diverged (non-finite state)")
        self.t += 1
        return self._obs(), 0.0, False, self.t >= self.max_steps, self._info()

    def _base_move(self, d) -> None:
        """Move the base goal by (dx, dy, dyaw) in the base frame, at most BASE_SLACK ahead of the pose."""
        yaw = float(self.base_goal[2])
        c, s = math.cos(yaw), math.sin(yaw)
        goal = self.base_goal + np.array([c * d[0] - s * d[1], s * d[0] + c * d[1], d[2]])
        pose = self.world.base_pose()
        self.base_goal = pose + np.clip(goal - pose, -np.asarray(BASE_SLACK), BASE_SLACK)

    def _ee_move(self, d) -> None:
        goal = np.clip(self.ee_goal + d, *EE_BOX)
        q = self.ik.solve(self.arm_goal, goal, self.ee_rot, iterations=100)
        q = np.clip(q, self.arm_range[:, 0], self.arm_range[:, 1])
        reached = self.ik.tcp(q)
        # keep the goal where it is when the IK got there; otherwise pull it back (no wind-up)
        self.ee_goal = goal if np.linalg.norm(reached - goal) < 0.005 else reached
        self.arm_goal = q


__all__ = ["CONTROLS", "DEFAULT_HOUSE_SUITE", "HouseEnv"]
