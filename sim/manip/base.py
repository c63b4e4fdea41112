"""The interface of a tabletop world, and what every implementation shares.

A tabletop world is one TableSpec with a robot on one physics backend: `ManipWorld` and
`ArmWorld` (`sim.manip.world`, the MuJoCo family) and `PyBulletManipWorld`
(`sim.manip.pybullet_world`). Skills, the symbolic state, tasks and the gymnasium env use
only what `TabletopWorld` declares; `sim.manip.world.make_world` picks the class.

Also here: the table's fixed poses (home, camera, cabinet), the robots that work at the
table (names from `robots.ROBOTS`) and where each stands, the manipulation backends (names
from `sim.backends.BACKENDS`) and the one-line checks of a (backend, robot) pair.

Example:
    >>> tabletop_robots()
    ('floating', 'arm')
    >>> check_backend("pybullet", "arm")
    Traceback (most recent call last):
    ...
    sim.backends.base.BackendError: the arm runs on the MuJoCo backends only; use robot=floating with backend=pybullet
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, Callable

import numpy as np

from robots import ROBOTS
from scenes.tabletop import BLOCK_HALF, TABLE_TOP, TableSpec
from sim.backends import BACKENDS
from sim.backends.base import BackendError

HOME = (0.0, -0.25, TABLE_TOP + 0.25)  # TCP position after a reset
CABINET_HALF = (0.12, 0.12, 0.08)
DRAWER_INNER = (0.09, 0.09, 0.03)
TCP_OFFSET = 0.075  # m from the gripper body origin down to the TCP
CAMERA_POS = (0.0, -0.75, 1.15)  # the head camera, fixed above the near edge of the table

MANIP_BACKENDS = tuple(BACKENDS)  # every physics backend runs the tabletop worlds
MUJOCO_BACKENDS = tuple(b for b in MANIP_BACKENDS if b.startswith("mujoco"))  # ManipWorld and ArmWorld

# The robots that work at the table, by their ROBOTS names, and where each stands: the keyword
# arguments its builder takes after the MjSpec, ROBOTS.make(name, spec, **mount(gripper_config)).
ROBOT_MOUNTS: dict[str, Callable[[Any], dict]] = {
    "floating": lambda cfg: {"start": (HOME[0], HOME[1], HOME[2] + TCP_OFFSET), "cfg": cfg},  # TCP at HOME
    "arm": lambda cfg: {"gripper": cfg},  # its base on the table's near edge (robots.arm.ARM_BASE)
}
PYBULLET_ROBOTS = ("floating",)  # PyBulletManipWorld builds its own floating gripper


def tabletop_robots() -> tuple[str, ...]:
    """The registered robots that a tabletop world can carry, in registry order."""
    return tuple(r for r in ROBOTS if r in ROBOT_MOUNTS)


def check_robot(robot: str) -> None:
    """Raise a one-line BackendError, naming the choices, unless `robot` works at the table."""
    choices = tabletop_robots()
    if robot not in choices:
        what = f"robot {robot!r} does not work at the table" if robot in ROBOTS else f"unknown robot {robot!r}"
        raise BackendError(f"{what}; choose one of: {', '.join(choices)}")


def check_backend(backend: str, robot: str = "floating") -> None:
    """Raise a one-line BackendError unless `robot` can run on manipulation `backend`."""
    if backend not in MANIP_BACKENDS:
        raise BackendError(f"unknown manipulation backend {backend!r}; use one of {', '.join(MANIP_BACKENDS)}")
    check_robot(robot)
    if backend == "pybullet" and robot not in PYBULLET_ROBOTS:
        raise BackendError(f"the {robot} runs on the MuJoCo backends only; use robot=floating with backend=pybullet")


def missing_drawer(backend: str) -> str | None:
    """Why `backend` cannot run scenes with a drawer (None when it can)."""
    return "the drawer is MuJoCo-only" if backend == "pybullet" else None


def block_sight_points(centre) -> np.ndarray:
    """Six points near a block's top (centre and corners) that the head camera aims its
    visibility rays at: a block is visible when a ray reaches any of them."""
    return np.asarray(centre) + [[sx * 0.7 * BLOCK_HALF, sy * 0.7 * BLOCK_HALF, 0.9 * BLOCK_HALF]
                                 for sx in (-1, 0, 1) for sy in (-1, 1)]


def next_target(cur, goal, yaw_now: float, yaw_goal: float, dt: float, max_speed: float, max_yaw_rate: float):
    """The gripper target one control tick of `dt` s further toward (goal, yaw_goal): at most
    max_speed m/s and max_yaw_rate deg/s, since a sudden jump of the target makes it flail.

    Example:
        >>> next_target((0, 0, 0), (1, 0, 0), 0.0, 90.0, 0.1, 0.5, 180.0)
        ((0.05, 0.0, 0.0), 18.0)
    """
    dx, dy, dz = goal[0] - cur[0], goal[1] - cur[1], goal[2] - cur[2]
    dist = math.sqrt(dx * dx + dy * dy + dz * dz)
    limit = max_speed * dt
    f = 1.0 if dist <= limit else limit / dist
    nxt = (float(cur[0] + f * dx), float(cur[1] + f * dy), float(cur[2] + f * dz))
    dyaw = (yaw_goal - yaw_now + 180.0) % 360.0 - 180.0
    step = max_yaw_rate * dt
    return nxt, yaw_now + min(step, max(-step, dyaw))


class TabletopWorld(ABC):
    """One tabletop scene with a robot on one physics backend.

    Skills set a command (`command`: TCP goal, yaw, finger opening) and call `tick`; each
    world moves toward it within `max_speed` and `max_yaw_rate`. Geoms and bodies are the
    backend's own handles (MuJoCo ids, PyBullet (body, link) pairs): compare them, never
    interpret them.
    """

    spec: TableSpec
    backend: str  # a MANIP_BACKENDS name
    robot: str  # a tabletop_robots() name
    blocks: dict[str, Any]  # block name -> its body
    block_geom: dict[str, Any]  # block name -> its collision geom (what contacts_of takes)
    finger_geoms: set  # the two finger pads
    table_geom: Any
    containers: dict  # tray name -> its spec (scenes.tabletop)
    substeps: int  # physics steps per control tick
    physics_steps: int  # physics steps since the world was built or reset
    max_speed: float  # m/s of the commanded TCP (skills lower it for pushes)
    max_yaw_rate: float  # deg/s
    goal: np.ndarray  # the commanded TCP position (m)
    yaw: float  # the commanded yaw (deg)
    yaw_now: float  # the yaw the robot has been moved to so far, toward `yaw` (deg)
    opening: float  # the commanded finger opening (m per finger)

    def command(self, tcp_goal, yaw_deg: float | None = None, opening: float | None = None) -> None:
        """Set where the TCP should go (reached at most `max_speed`) and the finger opening.

        A goal that is not three finite numbers, or a non-finite yaw or opening, raises
        ValueError and leaves the previous command in force.
        """
        goal = np.asarray(tcp_goal, float) if np.ndim(tcp_goal) == 1 and np.size(tcp_goal) == 3 else None
        if goal is None or not np.isfinite(goal).all():
            raise ValueError(f"tcp_goal must be three finite numbers (x, y, z in metres), got {tcp_goal!r}")
        for name, value in (("yaw_deg", yaw_deg), ("opening", opening)):
            if value is not None and not (isinstance(value, (int, float, np.floating)) and np.isfinite(value)):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        self.goal = goal
        if yaw_deg is not None:
            self.yaw = yaw_deg
        if opening is not None:
            self.opening = float(opening)

    # -- lifecycle and control ---------------------------------------------------------
    @abstractmethod
    def reset(self) -> None:
        """Back to the scene's initial state, the robot at HOME with open fingers."""

    @abstractmethod
    def tick(self) -> None:
        """One control step: move toward the command, then simulate `substeps` physics steps."""

    @abstractmethod
    def step(self, n: int) -> None:
        """`n` physics steps with the current targets; a diverging simulation raises BackendError."""

    def close(self) -> None:
        """Release what the backend holds (a PyBullet connection); nothing by default."""

    # -- state -------------------------------------------------------------------------
    @abstractmethod
    def tcp_pos(self) -> np.ndarray:
        """The point between the fingertips (m)."""

    @abstractmethod
    def block_pos(self, name: str) -> np.ndarray:
        """A block's centre (m)."""

    @abstractmethod
    def block_positions(self) -> np.ndarray:
        """(n, 3) block centres in name order."""

    @abstractmethod
    def block_yaw(self, name: str) -> float:
        """A block's yaw about z (deg)."""

    @abstractmethod
    def finger_opening(self) -> float:
        """Distance the two fingers have moved out from closed, summed (m)."""

    @abstractmethod
    def drawer_opening(self) -> float:
        """How far the drawer is pulled out (m); 0 without a drawer."""

    @abstractmethod
    def handle_pos(self) -> np.ndarray:
        """The drawer handle's centre (m)."""

    @abstractmethod
    def contacts_of(self, geom) -> set:
        """Geoms touching `geom` right now."""

    @abstractmethod
    def visible_blocks(self) -> set[str]:
        """Blocks the head camera sees: a ray reaches a point near the block's top."""


__all__ = ["CABINET_HALF", "CAMERA_POS", "DRAWER_INNER", "HOME", "MANIP_BACKENDS", "MUJOCO_BACKENDS", "PYBULLET_ROBOTS",
           "ROBOT_MOUNTS", "TCP_OFFSET", "TabletopWorld", "block_sight_points", "check_backend", "check_robot",
           "missing_drawer", "next_target", "tabletop_robots"]
