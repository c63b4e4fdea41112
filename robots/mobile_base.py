"""A holonomic mobile base with a mast camera, authored with MjSpec from primitive geoms.

The base has three degrees of freedom (slide x, slide y, hinge yaw) driven by velocity
actuators, so qpos is exactly (x, y, yaw) in the world frame. It translates without
turning, which is what MoveTo in Theory of Space asks for (orientation is kept).
Its collision cylinder is what keeps it out of walls and furniture.

Example:
    >>> import mujoco
    >>> spec = mujoco.MjSpec()
    >>> add_mobile_base(spec, MobileBaseConfig())
    >>> spec.compile().nu
    3
"""

from __future__ import annotations

from dataclasses import dataclass

from robots.headless_mujoco import mujoco


@dataclass(frozen=True)
class MobileBaseConfig:
    radius: float = 0.25  # collision radius, m
    mass: float = 20.0  # kg
    camera_height: float = 1.5  # m
    camera_fovy: float = 90.0  # deg; square images give a 90 deg horizontal field of view
    kv_linear: float = 400.0  # N per (m/s) of velocity error
    kv_yaw: float = 40.0  # N m per (rad/s)
    max_force: float = 400.0
    max_torque: float = 80.0


ROBOT_BODY = "robot"
CAMERA = "robot_camera"
CONTACT_SENSOR = "robot_contacts"  # sensordata: how many contacts touch the base (0 = free)
JOINTS = ("base_x", "base_y", "base_yaw")


def add_mobile_base(spec: mujoco.MjSpec, cfg: MobileBaseConfig) -> None:
    """Add the robot to `spec`. Joint qpos = world (x, y, yaw); forward is body +x."""
    body = spec.worldbody.add_body(name=ROBOT_BODY, pos=[0, 0, 0])
    body.add_joint(name="base_x", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[1, 0, 0], damping=1.0)
    body.add_joint(name="base_y", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[0, 1, 0], damping=1.0)
    body.add_joint(name="base_yaw", type=mujoco.mjtJoint.mjJNT_HINGE, axis=[0, 0, 1], damping=0.5)
    body.add_geom(
        name="robot_base",
        type=mujoco.mjtGeom.mjGEOM_CYLINDER,
        size=[cfg.radius, 0.15, 0],
        pos=[0, 0, 0.2],
        mass=cfg.mass,
        rgba=[0.2, 0.2, 0.25, 1],
        friction=[0.5, 0.005, 0.0001],
    )
    # Mast and head are visual only (contype 0): the base cylinder is the collision shape.
    body.add_geom(
        name="robot_mast", type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[0.03, (cfg.camera_height - 0.35) / 2, 0],
        pos=[0, 0, 0.35 + (cfg.camera_height - 0.35) / 2], contype=0, conaffinity=0, mass=0.5, rgba=[0.6, 0.6, 0.6, 1],
    )
    body.add_geom(
        name="robot_head", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.06, 0.1, 0.05],
        pos=[0.0, 0, cfg.camera_height], contype=0, conaffinity=0, mass=0.2, rgba=[0.9, 0.4, 0.1, 1],
    )
    # MuJoCo cameras look along their -z with +y up: x-axis = body -y, y-axis = body +z.
    body.add_camera(name=CAMERA, pos=[0.07, 0, cfg.camera_height], xyaxes=[0, -1, 0, 0, 0, 1], fovy=cfg.camera_fovy)
    # MuJoCo's contact sensor, "found" only: the count of contacts that touch the robot body, computed
    # in mj_step from the same contacts as mjData.contact (a compiled control loop reads it instead)
    touch = spec.add_sensor(name=CONTACT_SENSOR, type=mujoco.mjtSensor.mjSENS_CONTACT, objtype=mujoco.mjtObj.mjOBJ_BODY,
                            objname=ROBOT_BODY)
    touch.intprm[0] = 1 << int(mujoco.mjtConDataField.mjCONDATA_FOUND)  # data fields, a bit mask
    touch.intprm[2] = 1  # one slot: "found" is the full count whatever the slots
    for joint, kv, limit in (
        ("base_x", cfg.kv_linear, cfg.max_force),
        ("base_y", cfg.kv_linear, cfg.max_force),
        ("base_yaw", cfg.kv_yaw, cfg.max_torque),
    ):
        act = spec.add_actuator(name=f"{joint}_vel", target=joint, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        act.set_to_velocity(kv=kv)
        act.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        act.forcerange = [-limit, limit]
