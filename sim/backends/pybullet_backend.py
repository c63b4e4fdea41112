"""PyBullet (p.DIRECT) backend: the same SceneSpec built from primitive shapes.

Walls, furniture and the robot mirror the MuJoCo compiler: merged wall boxes with door
gaps; per object its hull as the collision shape (the footprint box or cylinder, plus the
front plate of faced objects as a child link) and its model's parts
(`scenes.object_models`) as one visual shape array, so the TinyRenderer draws the same
objects while rays and contacts see the same hulls as MuJoCo's; and a base on two
prismatic joints and one revolute joint driven by velocity motors, so the joint positions
are (x, y, yaw) exactly as in MuJoCo. Rays use rayTestBatch with the robot filtered out;
images come from the TinyRenderer, where every part of an object carries its body's id.
"""

from __future__ import annotations

import math

import numpy as np

from robots.mobile_base import MobileBaseConfig
from scenes.catalog import CATALOG
from scenes.frames import heading_to_mujoco_yaw, mujoco_yaw_to_heading
from scenes.object_models import parts
from scenes.spec import SceneSpec
from sim.backends.base import Backend, BackendError
from sim.compile_mujoco import DENSITY, FLOOR_RGBA, WALL_RGBA, wall_segments

# Bullet's default collision groups: 1 for dynamic bodies, 2 for static ones; the robot gets
# its own bit so rays (mask WORLD) pass through it.
ROBOT_GROUP, WORLD_GROUP = 4, 1 | 2
_JOINTS = [0, 1, 2]  # the base's x, y and yaw joints (pybullet only reads the list)


def import_pybullet():
    """The pybullet module, or a one-line BackendError saying how to install it."""
    try:
        import pybullet as p
    except ImportError:
        raise BackendError("backend 'pybullet' needs pybullet: pip install pybullet (or use backend=mujoco)") from None
    return p


def yaw_quat_xyzw(yaw: float) -> list[float]:
    """A rotation by `yaw` radians about z as a PyBullet quaternion, in its (x, y, z, w) order."""
    return [0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)]


class PyBulletBackend(Backend):
    name = "pybullet"

    def __init__(self, timestep: float = 0.005, robot: MobileBaseConfig = MobileBaseConfig()) -> None:
        self.p = import_pybullet()
        self.dt = timestep
        self.cfg = robot
        self._forces = [robot.max_force, robot.max_force, robot.max_torque]  # the base's motors, read by pybullet only
        self.cid: int | None = None
        self._steps = 0
        self._state: tuple | None = None  # the robot's joint state (x, y, yaw, vx, vy, wz) read after the last step (None: read again)

    # -- lifecycle -----------------------------------------------------------------
    def load(self, spec: SceneSpec) -> None:
        p = self.p
        self.close()
        self.spec = spec
        self.cid = p.connect(p.DIRECT)
        c = self.cid
        p.setGravity(0, 0, -9.81, physicsClientId=c)
        p.setTimeStep(self.dt, physicsClientId=c)
        self._steps = 0
        xmin, ymin, xmax, ymax = spec.bounds
        floor = p.createCollisionShape(p.GEOM_PLANE, physicsClientId=c)
        floor_vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[(xmax - xmin) / 2 + 1, (ymax - ymin) / 2 + 1, 0.001],
                                        rgbaColor=FLOOR_RGBA, physicsClientId=c)
        self.floor = p.createMultiBody(0, floor, floor_vis, basePosition=[(xmin + xmax) / 2, (ymin + ymax) / 2, 0],
                                       physicsClientId=c)
        t, h = spec.wall_thickness, spec.wall_height
        for x0, y0, x1, y1 in wall_segments(spec):
            length = max(x1 - x0, y1 - y0)
            half = [length / 2 + t / 2, t / 2, h / 2] if y0 == y1 else [t / 2, length / 2 + t / 2, h / 2]
            col = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=c)
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=WALL_RGBA, physicsClientId=c)
            p.createMultiBody(0, col, vis, basePosition=[(x0 + x1) / 2, (y0 + y1) / 2, h / 2], physicsClientId=c)
        self._names: list[str] = []
        self.body_entity: dict[int, int] = {}
        self.object_body: dict[str, int] = {}
        for o in spec.objects:
            uid = self._add_object(o)
            self.body_entity[uid] = len(self._names)
            self.object_body[o.name] = uid
            self._names.append(o.name)
        for d in spec.doors:
            if not d.open:
                half = [0.5, t / 2, h * 0.4] if d.axis == "x" else [t / 2, 0.5, h * 0.4]
                col = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=c)
                uid = p.createMultiBody(0, col, -1, basePosition=[d.position[0], d.position[1], h * 0.4], physicsClientId=c)
                self.body_entity[uid] = len(self._names)
            self._names.append(d.name)
        self._add_robot()
        self.reset()

    def _add_object(self, o) -> int:
        p, c = self.p, self.cid
        cat = CATALOG.get(o.category)
        width, depth, height = o.size
        if cat is not None and cat.shape == "cylinder":
            col = p.createCollisionShape(p.GEOM_CYLINDER, radius=width / 2, height=height, physicsClientId=c)
            volume = math.pi * (width / 2) ** 2 * height
        else:
            col = p.createCollisionShape(p.GEOM_BOX, halfExtents=[depth / 2, width / 2, height / 2], physicsClientId=c)
            volume = width * depth * height
        vis = self._model_shape(o.category, o.size)
        mass = DENSITY * volume if o.dynamic else 0.0
        z = height / 2 + (o.drop_height if o.dynamic else 0.0)
        yaw = heading_to_mujoco_yaw(o.heading)
        links = {}
        if o.has_facing:  # the hull's front plate, a child link (rays see it, as MuJoCo's rays see its geom)
            half = [0.02, width * 0.4, height * 0.3]
            panel_col = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=c) if not o.dynamic else -1
            links = dict(linkMasses=[0.0], linkCollisionShapeIndices=[panel_col], linkVisualShapeIndices=[-1],
                         linkPositions=[[depth / 2 + 0.02, 0, 0.05 * height]], linkOrientations=[[0, 0, 0, 1]],
                         linkInertialFramePositions=[[0, 0, 0]], linkInertialFrameOrientations=[[0, 0, 0, 1]],
                         linkParentIndices=[0], linkJointTypes=[p.JOINT_FIXED], linkJointAxis=[[0, 0, 1]])
        uid = p.createMultiBody(mass, col, vis, basePosition=[o.position[0], o.position[1], z],
                                baseOrientation=yaw_quat_xyzw(yaw), physicsClientId=c, **links)
        p.changeDynamics(uid, -1, lateralFriction=1.0, physicsClientId=c)
        return uid

    def _model_shape(self, category: str, size) -> int:
        """The model's parts as one visual shape array in the base frame (centred at half height)."""
        p, c = self.p, self.cid
        kinds = {"box": p.GEOM_BOX, "cylinder": p.GEOM_CYLINDER, "sphere": p.GEOM_SPHERE, "capsule": p.GEOM_CAPSULE}
        shapes, radii, halves, lengths, rgbas, poses, quats = [], [], [], [], [], [], []
        for part in parts(category, size):
            shapes.append(kinds[part.shape])
            halves.append(list(part.size) if part.shape == "box" else [0.0, 0.0, 0.0])
            radii.append(part.size[0] if part.shape != "box" else 0.0)
            lengths.append(2 * part.size[1] if part.shape in ("cylinder", "capsule") else 0.0)
            rgbas.append(list(part.rgba))
            poses.append([part.pos[0], part.pos[1], part.pos[2] - size[2] / 2])
            w, x, y, z = part.quat
            quats.append([x, y, z, w])
        return p.createVisualShapeArray(shapeTypes=shapes, radii=radii, halfExtents=halves, lengths=lengths,
                                        rgbaColors=rgbas, visualFramePositions=poses, visualFrameOrientations=quats,
                                        fileNames=[""] * len(shapes), meshScales=[[1.0, 1.0, 1.0]] * len(shapes),
                                        physicsClientId=c)  # without fileNames and meshScales pybullet crashes

    def _add_robot(self) -> None:
        p, c, cfg = self.p, self.cid, self.cfg
        body = p.createCollisionShape(p.GEOM_CYLINDER, radius=cfg.radius, height=0.3, physicsClientId=c)
        vis = p.createVisualShape(p.GEOM_CYLINDER, radius=cfg.radius, length=0.3, rgbaColor=[0.2, 0.2, 0.25, 1],
                                  physicsClientId=c)
        self.robot = p.createMultiBody(
            0, -1, -1, basePosition=[0, 0, 0],
            linkMasses=[0.01, 0.01, cfg.mass], linkCollisionShapeIndices=[-1, -1, body], linkVisualShapeIndices=[-1, -1, vis],
            linkPositions=[[0, 0, 0], [0, 0, 0], [0, 0, 0.2]], linkOrientations=[[0, 0, 0, 1]] * 3,
            linkInertialFramePositions=[[0, 0, 0]] * 3, linkInertialFrameOrientations=[[0, 0, 0, 1]] * 3,
            linkParentIndices=[0, 1, 2], linkJointTypes=[p.JOINT_PRISMATIC, p.JOINT_PRISMATIC, p.JOINT_REVOLUTE],
            linkJointAxis=[[1, 0, 0], [0, 1, 0], [0, 0, 1]], physicsClientId=c,
        )
        for link in (-1, 0, 1, 2):
            p.setCollisionFilterGroupMask(self.robot, link, ROBOT_GROUP, WORLD_GROUP, physicsClientId=c)
            p.changeDynamics(self.robot, link, linearDamping=0, angularDamping=0, physicsClientId=c)
        # the floor carries dynamic objects but never the robot (it is planar, as in MuJoCo)
        p.setCollisionFilterPair(self.robot, self.floor, 2, -1, 0, physicsClientId=c)

    def reset(self, state: np.ndarray | None = None) -> None:
        p, c = self.p, self.cid
        if state is None:
            x, y = self.spec.start_position
            q, v = [x, y, heading_to_mujoco_yaw(self.spec.start_heading)], [0.0, 0.0, 0.0]
            for o in self.spec.objects:
                if o.dynamic:
                    self.set_object_pose(o.name, *o.position, o.heading)
        else:
            q, v = list(state[:3]), list(state[3:6])
        self._state = None
        for j in range(3):
            p.resetJointState(self.robot, j, q[j], v[j], physicsClientId=c)
        p.setJointMotorControlArray(self.robot, _JOINTS, p.VELOCITY_CONTROL, targetVelocities=[0, 0, 0],
                                    forces=self._forces, physicsClientId=c)

    def get_state(self) -> np.ndarray:
        js = self.p.getJointStates(self.robot, [0, 1, 2], physicsClientId=self.cid)
        return np.array([s[0] for s in js] + [s[1] for s in js])

    def step(self, ctrl, nsteps: int = 1) -> None:
        if not math.isfinite(sum(ctrl)):
            raise BackendError(f"control contains NaN or inf: {list(ctrl)}")
        p, c = self.p, self.cid
        p.setJointMotorControlArray(self.robot, _JOINTS, p.VELOCITY_CONTROL, targetVelocities=list(ctrl),
                                    forces=self._forces, physicsClientId=c)
        self._state = None
        step = p.stepSimulation
        for _ in range(nsteps):
            step(physicsClientId=c)
        self._steps += nsteps
        js = p.getJointStates(self.robot, _JOINTS, physicsClientId=c)
        state = (js[0][0], js[1][0], js[2][0], js[0][1], js[1][1], js[2][1])  # get_state's values, as floats
        # a finite sum means every entry is finite; only a non-finite one needs the entry-by-entry check
        if not math.isfinite(sum(state)) and not all(math.isfinite(v) for v in state):
            raise BackendError("simulation diverged (non-finite robot state)")
        self._state = state  # the control loop reads pose and velocity from it until something else moves the robot

    def _robot_state(self) -> tuple:
        return self._state if self._state is not None else tuple(self.get_state().tolist())

    def close(self) -> None:
        if self.cid is not None:
            try:
                self.p.disconnect(self.cid)
            except Exception:
                pass
            self.cid = None

    # -- queries ---------------------------------------------------------------------
    @property
    def timestep(self) -> float:
        return self.dt

    @property
    def physics_steps(self) -> int:
        return self._steps

    @property
    def entity_names(self) -> list[str]:
        return self._names

    def robot_pose(self) -> tuple[float, float, float]:
        x, y, yaw = self._robot_state()[:3]
        return x, y, mujoco_yaw_to_heading(yaw)

    def robot_velocity(self) -> np.ndarray:
        return np.array(self._robot_state()[3:6])

    def object_poses(self) -> dict[str, tuple[float, float, float]]:
        out = {}
        for name, uid in self.object_body.items():
            pos, q = self.p.getBasePositionAndOrientation(uid, physicsClientId=self.cid)
            yaw = 2 * math.atan2(q[2], q[3])
            out[name] = (float(pos[0]), float(pos[1]), round(mujoco_yaw_to_heading(yaw), 6) % 360.0)
        return out

    def object_height(self, name: str) -> float:
        return float(self.p.getBasePositionAndOrientation(self.object_body[name], physicsClientId=self.cid)[0][2])

    def set_object_pose(self, name: str, x: float, y: float, heading: float) -> None:
        if name not in self.object_body:
            raise BackendError(f"no object named {name!r} in this scene")
        o = next(o for o in self.spec.objects if o.name == name)
        z = o.size[2] / 2 + (o.drop_height if o.dynamic else 0.0)
        self.p.resetBasePositionAndOrientation(self.object_body[name], [x, y, z],
                                               yaw_quat_xyzw(heading_to_mujoco_yaw(heading)), physicsClientId=self.cid)

    def camera_position(self) -> np.ndarray:
        x, y, yaw = self._robot_state()[:3]
        return np.array([x + 0.07 * math.cos(yaw), y + 0.07 * math.sin(yaw), self.cfg.camera_height])

    def robot_contacts(self) -> int:
        return len(self.p.getContactPoints(bodyA=self.robot, physicsClientId=self.cid))

    def cast_rays(self, origin, dirs, cutoff):
        dirs = np.asarray(dirs, dtype=float)
        n = len(dirs)
        dist, entity = np.full(n, -1.0), np.full(n, -1, dtype=np.int32)
        origin = np.asarray(origin, dtype=float)
        for a in range(0, n, 16000):  # rayTestBatch takes at most 16384 rays
            chunk = dirs[a:a + 16000]
            ends = origin[None, :] + chunk * cutoff
            hits = self.p.rayTestBatch([origin.tolist()] * len(chunk), ends.tolist(), collisionFilterMask=WORLD_GROUP,
                                       physicsClientId=self.cid)
            for k, (uid, _link, frac, *_rest) in enumerate(hits):
                if uid >= 0 and uid != self.robot:
                    dist[a + k] = frac * cutoff
                    entity[a + k] = self.body_entity.get(uid, -1)
        return dist, entity

    def render(self, width: int = 128, height: int = 128) -> np.ndarray:
        p = self.p
        x, y, yaw = self.get_state()[:3]
        eye = self.camera_position()
        target = eye + np.array([math.cos(yaw), math.sin(yaw), 0.0])
        view = p.computeViewMatrix(eye.tolist(), target.tolist(), [0, 0, 1], physicsClientId=self.cid)
        proj = p.computeProjectionMatrixFOV(self.cfg.camera_fovy, width / height, 0.05, 50.0, physicsClientId=self.cid)
        _, _, rgba, _, _ = p.getCameraImage(width, height, view, proj, renderer=p.ER_TINY_RENDERER, physicsClientId=self.cid)
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()
