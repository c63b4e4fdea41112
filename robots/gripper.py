"""A parallel-jaw gripper and a floating (mocap-driven) carrier for it, from MjSpec primitives.

The fingers slide on two joints driven by position actuators whose force is limited, so a
closed gripper squeezes with at most `grip_force` newtons: objects are held by contact and
friction, never welded. The floating gripper is a free body with gravity compensation,
tied to a mocap target by a soft weld, so it follows commanded poses yet still collides.

Example:
    >>> import mujoco
    >>> spec = mujoco.MjSpec()
    >>> add_floating_gripper(spec, (0, 0, 0.8))
    >>> spec.compile().nu
    2
"""

from __future__ import annotations

from dataclasses import dataclass

from robots.headless_mujoco import mujoco


@dataclass(frozen=True)
class GripperConfig:
    max_opening: float = 0.045  # per finger, m
    grip_force: float = 20.0  # N per finger
    finger_friction: float = 1.5
    kp: float = 300.0


GRIPPER = "gripper"
TARGET = "gripper_target"
FINGERS = ("finger_left", "finger_right")
TCP = "tcp"  # site between the fingertips


def add_gripper(body: mujoco.MjsBody, spec: mujoco.MjSpec, cfg: GripperConfig = GripperConfig(), prefix: str = "") -> None:
    """Palm and two fingers under `body` (fingers point along the body's -z)."""
    body.add_geom(name=f"{prefix}palm", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.02, 0.06, 0.015], pos=[0, 0, 0.0],
                  rgba=[0.25, 0.25, 0.3, 1], mass=0.3)
    body.add_site(name=f"{prefix}{TCP}", pos=[0, 0, -0.075], size=[0.005, 0, 0])
    for side, sign in (("left", 1), ("right", -1)):
        f = body.add_body(name=f"{prefix}finger_{side}", pos=[0, 0, -0.05], gravcomp=body.gravcomp)
        f.add_joint(name=f"{prefix}finger_{side}_joint", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[0, sign, 0],
                    range=[0, cfg.max_opening], damping=5.0)
        f.add_geom(name=f"{prefix}finger_{side}_pad", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.012, 0.006, 0.035],
                   pos=[0, sign * 0.006, -0.01], friction=[cfg.finger_friction, 0.05, 0.001], condim=4,
                   rgba=[0.85, 0.85, 0.85, 1], mass=0.05)
        act = spec.add_actuator(name=f"{prefix}finger_{side}", target=f"{prefix}finger_{side}_joint",
                                trntype=mujoco.mjtTrn.mjTRN_JOINT)
        act.set_to_position(kp=cfg.kp)
        act.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        act.forcerange = [-cfg.grip_force, cfg.grip_force]
        act.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
        act.ctrlrange = [0, cfg.max_opening]


def add_floating_gripper(spec: mujoco.MjSpec, start, cfg: GripperConfig = GripperConfig()) -> None:
    target = spec.worldbody.add_body(name=TARGET, pos=list(start), mocap=True)
    target.add_geom(type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[0.01, 0, 0], contype=0, conaffinity=0, rgba=[0, 1, 0, 0.3],
                    group=5)
    body = spec.worldbody.add_body(name=GRIPPER, pos=list(start), gravcomp=1.0)
    body.add_freejoint(name="gripper_free")
    add_gripper(body, spec, cfg)
    eq = spec.add_equality(type=mujoco.mjtEq.mjEQ_WELD, name1=GRIPPER, name2=TARGET, objtype=mujoco.mjtObj.mjOBJ_BODY)
    eq.solref = [0.004, 1.0]
