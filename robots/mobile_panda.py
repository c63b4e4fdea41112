"""`mobile-panda`: the Franka Emika Panda arm and hand of pybullet_data, on a holonomic base.

The arm is the URDF that ships with pybullet (``pybullet_data/franka_panda/panda.urdf``,
Apache-2.0, Franka Emika / Bullet authors). Its ``package://`` mesh paths are rewritten to
the installed package at run time and MuJoCo's URDF importer turns it into an MjSpec, which
is attached to a base body. Nothing is downloaded.

- base: slide x, slide y, hinge yaw (qpos = world x, y, yaw) with velocity actuators; a
  0.28 m collision cylinder, 0.42 m tall, the arm bolted on its top 0.12 m ahead of centre;
- arm: the URDF's 7 revolute joints with their real limits, one position actuator each
  (torque limited to the URDF efforts 87/12 N m, gravity compensated like Franka's own
  controller), a collision mesh on every link (the URDF's convex collision meshes);
- hand: the two prismatic fingers (0..0.04 m each), both actuated by position
  actuators with a 40 N force limit, coupled by an equality so they close symmetrically.
  Items are held only by finger friction: there is no weld anywhere;
- cameras: ``head_rgbd`` on a 1.3 m mast looking forward and 35 degrees down (render depth from
  the same camera for RGB-D), and ``wrist`` on the hand looking along the fingers;
- sites: ``tcp`` between the fingertips (z along the fingers, y the finger axis).

Contact bits: robot geoms have contype 4 and conaffinity 1, so they touch furniture,
walls and items (contype 1) but not each other and not the floor; the base rides on
its joints.

Inverse kinematics (`PandaIK`) is arm-only, with the base parked: `navigate_to` chooses
and drives to a base pose first, then the arm works from it. Whole-body IK would let the
QP slide the base sideways into furniture that the arm-only model does not contain, and
the base's velocity loop (with contacts) could not track such small corrections exactly;
keeping the base fixed makes every arm plan a plan in 7 joints that the collision checker
verifies against the real scene. (Drawer and door skills move the base too, but not inside
the IK: the base drives a short straight line while the arm holds its joints; see
`sim.manip.house_skills`.)

Example:
    >>> ik = PandaIK()
    >>> q = ik.solve(ik.q_home, (0.55, 0.0, 0.35))
    >>> bool(np.linalg.norm(ik.tcp(q) - np.array([0.55, 0.0, 0.35])) < 0.005)
    True
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np

from robots.headless_mujoco import mujoco

P = "mp_"  # prefix of everything attached from the URDF
ARM_JOINTS = tuple(f"{P}panda_joint{i}" for i in range(1, 8))
FINGER_JOINTS = (f"{P}panda_finger_joint1", f"{P}panda_finger_joint2")
BASE_JOINTS = ("mp_base_x", "mp_base_y", "mp_base_yaw")
BASE_BODY = "mp_base"
HEAD_CAMERA, WRIST_CAMERA, TCP = "head_rgbd", "wrist", "tcp"
BASE_RADIUS, BASE_HEIGHT = 0.28, 0.42
ARM_MOUNT = (0.12, 0.0, BASE_HEIGHT)  # link0 in the base frame
Q_HOME = (0.0, -0.6, 0.0, -2.4, 0.0, 1.9, math.pi / 4)  # arm tucked above the base, hand down
EFFORT = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)  # N m, the URDF's limits
KP = (4500.0, 4500.0, 3500.0, 3500.0, 2000.0, 2000.0, 2000.0)
FINGER_OPEN, FINGER_FORCE = 0.04, 40.0
ROBOT_CONTYPE, ROBOT_CONAFFINITY = 4, 1


class RobotAssetError(RuntimeError):
    """The Panda URDF is missing from the installed pybullet_data package."""


def panda_urdf_path() -> str:
    import pybullet_data

    path = os.path.join(pybullet_data.getDataPath(), "franka_panda", "panda.urdf")
    if not os.path.exists(path):
        raise RobotAssetError(f"{path} is missing: reinstall pybullet (it ships pybullet_data)")
    return path


def panda_spec() -> mujoco.MjSpec:
    """The URDF as an MjSpec, mesh paths rewritten to the installed package, joint limits kept."""
    path = panda_urdf_path()
    root = os.path.dirname(path)
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("package://", root + "/")
    text = re.sub(r"(<robot[^>]*>)", r'\1<mujoco><compiler strippath="false" balanceinertia="true"/></mujoco>', text, 1)
    return mujoco.MjSpec.from_string(text)


@dataclass(frozen=True)
class MobilePandaConfig:
    kv_linear: float = 600.0  # base velocity gains
    kv_yaw: float = 80.0
    max_force: float = 600.0
    max_torque: float = 150.0
    head_height: float = 1.3
    head_pitch_deg: float = 35.0


def add_mobile_panda(spec: mujoco.MjSpec, cfg: MobilePandaConfig = MobilePandaConfig(), pos=(0.0, 0.0)) -> None:
    """Add the robot to `spec` with its base at world `pos` (qpos of the base joints = x, y, yaw)."""
    spec.compiler.degree = False
    base = spec.worldbody.add_body(name=BASE_BODY, pos=[0, 0, 0])
    base.add_joint(name="mp_base_x", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[1, 0, 0], damping=5.0, ref=0.0)
    base.add_joint(name="mp_base_y", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[0, 1, 0], damping=5.0)
    base.add_joint(name="mp_base_yaw", type=mujoco.mjtJoint.mjJNT_HINGE, axis=[0, 0, 1], damping=2.0)
    robot = {"contype": ROBOT_CONTYPE, "conaffinity": ROBOT_CONAFFINITY}
    base.add_geom(name="mp_base_hull", type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[BASE_RADIUS, BASE_HEIGHT / 2, 0],
                  pos=[0, 0, BASE_HEIGHT / 2], mass=60.0, rgba=[0.25, 0.25, 0.3, 1], **robot)
    mast_h = cfg.head_height - BASE_HEIGHT
    base.add_geom(name="mp_mast", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.03, 0.03, mast_h / 2],
                  pos=[-0.18, 0, BASE_HEIGHT + mast_h / 2], mass=1.0, rgba=[0.6, 0.6, 0.6, 1], contype=0, conaffinity=0)
    base.add_geom(name="mp_head", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.05, 0.09, 0.04],
                  pos=[-0.16, 0, cfg.head_height], mass=0.3, rgba=[0.9, 0.4, 0.1, 1], contype=0, conaffinity=0)
    p = math.radians(cfg.head_pitch_deg)
    # camera looks along its -z, +y up: x-axis = body -y, y-axis tilted toward +x by the pitch
    base.add_camera(name=HEAD_CAMERA, pos=[-0.11, 0, cfg.head_height], fovy=70.0,
                    xyaxes=[0, -1, 0, math.sin(p), 0, math.cos(p)])
    arm = panda_spec()
    mount = base.add_frame(pos=list(ARM_MOUNT))
    link0_body = mount.attach_body(arm.body("panda_link0"), P, "")
    for g in link0_body.find_all(mujoco.mjtObj.mjOBJ_GEOM):
        g.contype, g.conaffinity, g.rgba = ROBOT_CONTYPE, ROBOT_CONAFFINITY, [0.92, 0.92, 0.92, 1]
        g.friction = [1.0, 0.02, 0.001]
    for b in link0_body.find_all(mujoco.mjtObj.mjOBJ_BODY):
        b.gravcomp = 1.0
    spec.body(f"{P}panda_grasptarget").add_site(name=TCP, size=[0.01, 0, 0], rgba=[1, 0, 0, 0.5], group=4)
    # wrist camera: on the hand, looking along the fingers (camera -z = hand +z), beside the palm
    spec.body(f"{P}panda_hand").add_camera(name=WRIST_CAMERA, pos=[0.06, 0.0, 0.02], quat=[0, 1, 0, 0], fovy=75.0)
    for name, kp, eff in zip(ARM_JOINTS, KP, EFFORT):
        a = spec.add_actuator(name=f"{name}_pos", target=name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        a.set_to_position(kp=kp, kv=kp / 15.0)
        a.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        a.forcerange = [-eff, eff]
        j = spec.joint(name)
        j.damping, j.armature = [1.0, 0.0, 0.0], 0.1
    for name in FINGER_JOINTS:
        a = spec.add_actuator(name=f"{name}_pos", target=name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        a.set_to_position(kp=800.0, kv=40.0)
        a.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        a.forcerange = [-FINGER_FORCE, FINGER_FORCE]
        j = spec.joint(name)
        j.damping, j.armature = [2.0, 0.0, 0.0], 0.01
    for name, kv, lim in (("mp_base_x", cfg.kv_linear, cfg.max_force), ("mp_base_y", cfg.kv_linear, cfg.max_force),
                          ("mp_base_yaw", cfg.kv_yaw, cfg.max_torque)):
        a = spec.add_actuator(name=f"{name}_vel", target=name, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        a.set_to_velocity(kv=kv)
        a.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        a.forcerange = [-lim, lim]
    spec.joint("mp_base_x").ref = 0.0
    base.pos = [pos[0], pos[1], 0.0]


def arm_only_model() -> mujoco.MjModel:
    """The Panda alone, link0 at the origin (the IK model; arm frame = link0 frame)."""
    spec = mujoco.MjSpec()
    spec.compiler.degree = False
    spec.worldbody.add_frame().attach_body(panda_spec().body("panda_link0"), P, "")
    spec.body(f"{P}panda_grasptarget").add_site(name=TCP)
    return spec.compile()


def grasp_rotation(approach: str, yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """TCP orientation (3x3, arm frame) for an approach: "down" (fingers point down, finger
    axis turned by `yaw` rad about z; `pitch` rad tilts the fingers from straight down toward
    the yawed +x, the finger axis staying horizontal) or "front" (fingers point along +x
    turned by `yaw`, finger axis horizontal)."""
    c, s = math.cos(yaw), math.sin(yaw)
    rz = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
    if approach == "down":  # tcp x = +x, y = -y, z = -z (as at Q_HOME)
        cp, sp = math.cos(pitch), math.sin(pitch)
        ry = np.array([[cp, 0, -sp], [0, 1.0, 0], [sp, 0, cp]])  # z -> (sin p, 0, -cos p)
        return rz @ ry @ np.array([[1.0, 0, 0], [0, -1, 0], [0, 0, -1]])
    if approach == "front":  # tcp z = +x, y = -y, x = +z
        return rz @ np.array([[0, 0, 1.0], [0, -1, 0], [1, 0, 0]])
    raise ValueError(f"unknown approach {approach!r}; choose 'down' or 'front'")


class PandaIK:
    """Arm-only inverse kinematics with mink (QP, daqp) in the arm frame (link0 at the origin)."""

    def __init__(self) -> None:
        import mink

        self.mink = mink
        self.model = arm_only_model()
        self.config = mink.Configuration(self.model)
        self.task = mink.FrameTask(TCP, "site", position_cost=1.0, orientation_cost=0.5)
        self.posture = mink.PostureTask(self.model, cost=1e-3)
        self.limits = [mink.ConfigurationLimit(self.model)]
        self.q_home = np.array(Q_HOME + (FINGER_OPEN, FINGER_OPEN))
        self.posture.set_target(self.q_home)
        self.site = self.model.site(TCP).id

    def tcp(self, q) -> np.ndarray:
        self.config.update(self._full(q))
        return self.config.data.site_xpos[self.site].copy()

    def tcp_rot(self, q) -> np.ndarray:
        self.config.update(self._full(q))
        return self.config.data.site_xmat[self.site].reshape(3, 3).copy()

    def _full(self, q) -> np.ndarray:
        q = np.asarray(q, float)
        return np.concatenate([q[:7], self.q_home[7:]]) if len(q) == 7 else q

    def solve(self, q0, pos, rot: np.ndarray | None = None, iterations: int = 300, dt: float = 0.05,
              tol: float = 2e-3) -> np.ndarray:
        """Seven joint angles that put the TCP at `pos` with orientation `rot` (default fingers down)."""
        mink = self.mink
        self.config.update(self._full(q0))
        rot = grasp_rotation("down") if rot is None else rot
        target = mink.SE3.from_rotation_and_translation(mink.SO3.from_matrix(np.asarray(rot)), np.asarray(pos, float))
        self.task.set_target(target)
        for _ in range(iterations):
            v = mink.solve_ik(self.config, [self.task, self.posture], dt, solver="daqp", damping=1e-3,
                              limits=self.limits)
            self.config.integrate_inplace(v, dt)
            err = self.task.compute_error(self.config)
            if np.linalg.norm(err[:3]) < tol * 0.5 and np.linalg.norm(err[3:]) < 0.01:
                break
        return self.config.q[:7].copy()

    def error(self, q, pos, rot: np.ndarray | None = None) -> tuple[float, float]:
        """(position error m, orientation error rad) of the TCP at `q` from a target."""
        rot = grasp_rotation("down") if rot is None else np.asarray(rot)
        self.config.update(self._full(q))
        d = self.config.data
        perr = float(np.linalg.norm(d.site_xpos[self.site] - np.asarray(pos)))
        r = d.site_xmat[self.site].reshape(3, 3).T @ rot
        ang = float(np.arccos(np.clip((np.trace(r) - 1) / 2, -1, 1)))
        return perr, ang


__all__ = [
    "ARM_JOINTS",
    "BASE_JOINTS",
    "FINGER_JOINTS",
    "HEAD_CAMERA",
    "Q_HOME",
    "TCP",
    "WRIST_CAMERA",
    "MobilePandaConfig",
    "PandaIK",
    "RobotAssetError",
    "add_mobile_panda",
    "arm_only_model",
    "grasp_rotation",
    "panda_spec",
    "panda_urdf_path",
]
