"""Robot models authored with MjSpec from primitive geoms, and their controllers; `ROBOTS`
names them (entry point: the function that adds the robot to an `mujoco.MjSpec`).

Entry points are "module:attr" strings, so importing this package imports no MuJoCo.

Example:
    >>> list(ROBOTS)
    ['floating', 'arm', 'mobile-base', 'mobile-panda']
    >>> ROBOTS.load("teleporter")
    Traceback (most recent call last):
    ...
    robots.RobotError: unknown robot 'teleporter'; choose one of: floating, arm, mobile-base, mobile-panda
"""

from __future__ import annotations

from scenes.registry import Registry, UnknownNameError


class RobotError(UnknownNameError):
    """A robot name that is not registered (the message lists the registered ones)."""


ROBOTS = Registry("robot", error=RobotError)
ROBOTS.register("floating", "robots.gripper:add_floating_gripper",
                doc="parallel gripper on a floating body welded to a mocap target (tabletop)")
ROBOTS.register("arm", "robots.arm:add_arm", doc="7-DoF arm with the parallel gripper, Cartesian control by mink IK (tabletop)")
ROBOTS.register("mobile-base", "robots.mobile_base:add_mobile_base",
                doc="holonomic base (x, y, yaw) with a mast camera (exploration)")
ROBOTS.register("mobile-panda", "robots.mobile_panda:add_mobile_panda",
                doc="Franka Panda (pybullet_data URDF) on a holonomic base, head RGB-D and wrist cameras (houses)")

__all__ = ["ROBOTS", "RobotError"]
