"""A 7-DoF arm with the parallel-jaw gripper, authored with MjSpec from capsules, and its
controllers: joint position (position actuators with torque limits) and Cartesian
end-effector control through inverse kinematics with mink (a QP over the arm's own
kinematic model: TCP pose task, posture regularisation, joint limits).

mink 1.3 installs cleanly beside MuJoCo 4.0 (it only needs mujoco, qpsolvers and daqp),
so it is used instead of hand-written damped least squares.

Example:
    >>> ik = ArmIK()
    >>> q = ik.solve(ik.q_home, target_pos=(0.0, -0.2, 0.55), target_yaw=0.0)
    >>> float(np.linalg.norm(ik.tcp(q) - np.array([0.0, -0.2, 0.55]))) < 0.005
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robots.gripper import GripperConfig, add_gripper
from robots.headless_mujoco import mujoco

ARM_BASE = (0.0, -0.5, 0.40)  # on the table's near edge, facing +y
JOINTS = tuple(f"arm_j{i}" for i in range(1, 8))
Q_SEED = (math.pi / 2, 0.3, 0.0, -1.8, 0.0, 2.0, 0.0)  # a bent elbow to start IK from
HOME_TCP = (0.0, -0.25, 0.65)


@dataclass(frozen=True)
class ArmConfig:
    kp: float = 1500.0  # N m / rad
    kv: float = 60.0
    max_torque: float = 80.0


def add_arm(spec: mujoco.MjSpec, base=ARM_BASE, cfg: ArmConfig = ArmConfig(), gripper: GripperConfig = GripperConfig(),
            actuated: bool = True) -> None:
    """Panda-like chain: axes z, y, z, y, z, y, z; links as capsules; the gripper on the flange."""
    spec.compiler.degree = False  # joint ranges below are radians
    links = [  # (pos of the joint in the parent, axis, capsule from-to in the body)
        ((0, 0, 0.0), (0, 0, 1), (0, 0, 0.0), (0, 0, 0.33)),
        ((0, 0, 0.33), (0, 1, 0), (0, 0, 0.0), (0, 0, 0.0)),
        ((0, 0, 0.0), (0, 0, 1), (0, 0, 0.0), (0, 0, 0.32)),
        ((0, 0, 0.32), (0, 1, 0), (0, 0, 0.0), (0.08, 0, 0.0)),
        ((0.08, 0, 0.0), (0, 0, 1), (0, 0, 0.0), (0, 0, 0.30)),
        ((0, 0, 0.30), (0, 1, 0), (0, 0, 0.0), (0.08, 0, 0.0)),
        ((0.08, 0, 0.0), (0, 0, -1), (0, 0, 0.0), (0, 0, -0.06)),
    ]
    parent = spec.worldbody.add_body(name="arm_base", pos=list(base))
    parent.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[0.07, 0.03, 0], pos=[0, 0, 0.03], rgba=[0.9, 0.9, 0.9, 1],
                    group=3)
    limits = [(-2.9, 2.9), (-1.8, 1.8), (-2.9, 2.9), (-3.0, -0.07), (-2.9, 2.9), (-0.02, 3.7), (-2.9, 2.9)]
    for i, ((pos, axis, a, b), lim) in enumerate(zip(links, limits), start=1):
        body = parent.add_body(name=f"arm_link{i}", pos=list(pos), gravcomp=1.0)  # motors hold the links' weight
        body.add_joint(name=f"arm_j{i}", type=mujoco.mjtJoint.mjJNT_HINGE, axis=list(axis), range=list(lim),
                       damping=2.0, armature=0.1)
        if a != b:
            # links are visual and inertial only: the gripper is the arm's contact surface (no self-collisions)
            body.add_geom(type=mujoco.mjtGeom.mjGEOM_CAPSULE, fromto=[*a, *b], size=[0.045, 0, 0], rgba=[0.95, 0.95, 0.95, 1],
                          mass=1.5, contype=0, conaffinity=0, group=3)
        else:
            body.add_geom(type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[0.05, 0, 0], rgba=[0.95, 0.95, 0.95, 1], mass=1.0,
                          contype=0, conaffinity=0, group=3)
        if actuated:
            act = spec.add_actuator(name=f"arm_a{i}", target=f"arm_j{i}", trntype=mujoco.mjtTrn.mjTRN_JOINT)
            act.set_to_position(kp=cfg.kp, kv=cfg.kv)
            act.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
            act.forcerange = [-cfg.max_torque, cfg.max_torque]
        parent = body
    # the flange looks down the last link: the gripper's -z must point along it
    flange = parent.add_body(name="gripper", pos=[0, 0, -0.08], quat=[1, 0, 0, 0], gravcomp=1.0)
    if actuated:
        add_gripper(flange, spec, gripper)
    else:
        flange.add_site(name="tcp", pos=[0, 0, -0.075])


class ArmIK:
    """Inverse kinematics on an arm-only copy of the model (mink, QP with the daqp solver)."""

    def __init__(self, base=ARM_BASE) -> None:
        import mink

        self.mink = mink
        spec = mujoco.MjSpec()
        add_arm(spec, base, actuated=False)
        self.model = spec.compile()
        self.config = mink.Configuration(self.model)
        self.task = mink.FrameTask("tcp", "site", position_cost=1.0, orientation_cost=0.3)
        self.posture = mink.PostureTask(self.model, cost=1e-3)
        self.limits = [mink.ConfigurationLimit(self.model),
                       mink.VelocityLimit(self.model, {j: 2.0 for j in JOINTS})]  # small steps: no overshoot
        self.posture.set_target(np.array(Q_SEED))
        self.q_home = self.solve(np.array(Q_SEED), HOME_TCP, 0.0, iterations=400)
        self.posture.set_target(self.q_home)

    def tcp(self, q) -> np.ndarray:
        self.config.update(np.asarray(q, float))
        return self.config.data.site_xpos[self.model.site("tcp").id].copy()

    def solve(self, q, target_pos, target_yaw: float = 0.0, iterations: int = 200, dt: float = 0.02) -> np.ndarray:
        """Joint angles that put the TCP at `target_pos`, fingers down, rotated by `target_yaw` (deg)."""
        mink = self.mink
        self.config.update(np.asarray(q, float))
        y = math.radians(target_yaw)
        # fingers point down: the gripper frame is the world frame turned by the yaw about z
        rot = mink.SO3.from_z_radians(y)
        self.task.set_target(mink.SE3.from_rotation_and_translation(rot, np.asarray(target_pos, float)))
        for _ in range(iterations):
            v = mink.solve_ik(self.config, [self.task, self.posture], dt, solver="daqp", damping=1e-3, limits=self.limits)
            self.config.integrate_inplace(v, dt)
            if np.linalg.norm(self.task.compute_error(self.config)) < 1e-4:
                break
        return self.config.q.copy()
