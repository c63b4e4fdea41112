"""The tabletop world in PyBullet (p.DIRECT): the same TableSpec and floating gripper.

Table, trays and blocks are built from the same primitive boxes as the MuJoCo compiler
(`sim.manip.world.build_table_model`); the gripper is a palm with two prismatic fingers
whose position motors are force-limited, carried by a fixed constraint that follows the
commanded TCP pose (PyBullet's counterpart of MuJoCo's mocap weld). Blocks are held by
contact and friction only. It implements `sim.manip.base.TabletopWorld`, as `ManipWorld`
does, so skills, tasks and the symbolic state run unchanged. Drawers are MuJoCo-only.

Example:
    >>> from scenes.suites import load_table_scene
    >>> w = PyBulletManipWorld(load_table_scene("table-pick", 0))
    >>> round(float(w.block_pos("block_0")[2]), 3)
    0.425
"""

from __future__ import annotations

import math

import numpy as np

from robots.gripper import GripperConfig
from scenes.tabletop import BLOCK_HALF, TABLE_HALF, TABLE_TOP, TableSpec
from sim.backends.base import BackendError
from sim.backends.pybullet_backend import ROBOT_GROUP, WORLD_GROUP, import_pybullet, yaw_quat_xyzw
from sim.manip.base import CAMERA_POS, HOME, TCP_OFFSET, TabletopWorld, block_sight_points, next_target

PALM_HALF = (0.02, 0.06, 0.015)
PAD_HALF = (0.012, 0.006, 0.035)
FINGER_Z = -0.05  # finger joint below the palm centre
PAD_Z = -0.01  # pad centre below the finger joint


class PyBulletManipWorld(TabletopWorld):
    """Physics of one tabletop scene in PyBullet with the floating gripper."""

    robot = "floating"
    backend = "pybullet"

    def __init__(self, spec: TableSpec, control_hz: float = 50.0, max_speed: float = 0.5, max_yaw_rate: float = 180.0,
                 timestep: float = 0.002, cfg: GripperConfig = GripperConfig()) -> None:
        if spec.drawer is not None:
            raise BackendError("the drawer is modelled in MuJoCo only: use backend=mujoco (or mujoco-batch/-warp) for "
                               "drawer tasks; PyBullet runs pick-and-place, stack-3 and rearrange-to-goal")
        self.p = import_pybullet()
        self.spec = spec
        self.cfg = cfg
        self.dt = timestep
        self.substeps = max(1, int(round(1.0 / (control_hz * timestep))))
        self.max_speed = max_speed
        self.max_yaw_rate = max_yaw_rate
        self.containers = {c.name: c for c in spec.containers}
        self.drawer_joint = None
        self.cid: int | None = None
        self.reset()

    # -- building ----------------------------------------------------------------------
    def _box_shape(self, half, offset=(0, 0, 0)):
        p, c = self.p, self.cid
        return p.createCollisionShape(p.GEOM_BOX, halfExtents=list(half), collisionFramePosition=list(offset), physicsClientId=c)

    def _static(self, parts, pos, friction: float = 0.8) -> int:
        """A fixed body made of boxes: parts = [(half, offset), ...]."""
        p, c = self.p, self.cid
        shape = p.createCollisionShapeArray([p.GEOM_BOX] * len(parts), halfExtents=[list(h) for h, _ in parts],
                                            collisionFramePositions=[list(o) for _, o in parts], physicsClientId=c)
        body = p.createMultiBody(0, shape, basePosition=list(pos), physicsClientId=c)
        p.changeDynamics(body, -1, lateralFriction=friction, physicsClientId=c)
        return body

    def _build(self) -> None:
        p, c, spec, cfg = self.p, self.cid, self.spec, self.cfg
        p.setGravity(0, 0, -9.81, physicsClientId=c)
        p.setTimeStep(self.dt, physicsClientId=c)
        p.setPhysicsEngineParameter(numSolverIterations=100, physicsClientId=c)
        self._static([((2.0, 2.0, 0.05), (0, 0, -0.05))], (0, 0, 0))  # floor
        self.table_geom = (self._static([((TABLE_HALF[0], TABLE_HALF[1], TABLE_TOP / 2), (0, 0, 0))],
                                        (0, 0, TABLE_TOP / 2)), -1)
        for tray in spec.containers:
            hx, hy = tray.half
            t, h = 0.006, tray.height
            parts = [((hx + t, hy + t, 0.004), (0, 0, 0.004))]
            parts += [((t / 2, hy + t, h / 2), (sx * (hx + t / 2), 0, h / 2)) for sx in (-1, 1)]
            parts += [((hx + t, t / 2, h / 2), (0, sy * (hy + t / 2), h / 2)) for sy in (-1, 1)]
            self._static(parts, (tray.position[0], tray.position[1], TABLE_TOP))
        self.blocks, self.block_geom = {}, {}
        for blk in spec.blocks:
            body = p.createMultiBody(0.1, self._box_shape((BLOCK_HALF,) * 3),
                                     basePosition=[blk.position[0], blk.position[1], TABLE_TOP + BLOCK_HALF],
                                     baseOrientation=yaw_quat_xyzw(math.radians(blk.yaw)), physicsClientId=c)
            p.changeDynamics(body, -1, lateralFriction=1.0, spinningFriction=0.002, physicsClientId=c)
            self.blocks[blk.name] = body
            self.block_geom[blk.name] = (body, -1)
        # gripper: palm (base) and two fingers on prismatic joints along +-y
        start = [HOME[0], HOME[1], HOME[2] + TCP_OFFSET]
        pads = [self._box_shape(PAD_HALF, (0, s * PAD_HALF[1], PAD_Z)) for s in (1, -1)]
        self.gripper = p.createMultiBody(
            0.3, self._box_shape(PALM_HALF), basePosition=start,
            linkMasses=[0.05, 0.05], linkCollisionShapeIndices=pads, linkVisualShapeIndices=[-1, -1],
            linkPositions=[[0, 0, FINGER_Z]] * 2, linkOrientations=[[0, 0, 0, 1]] * 2,
            linkInertialFramePositions=[[0, s * PAD_HALF[1], PAD_Z] for s in (1, -1)],
            linkInertialFrameOrientations=[[0, 0, 0, 1]] * 2, linkParentIndices=[0, 0],
            linkJointTypes=[p.JOINT_PRISMATIC] * 2, linkJointAxis=[[0, 1, 0], [0, -1, 0]], physicsClientId=c)
        for link in (-1, 0, 1):
            p.setCollisionFilterGroupMask(self.gripper, link, ROBOT_GROUP, WORLD_GROUP, physicsClientId=c)
        for link in (0, 1):
            # torsional friction as in MuJoCo's condim-4 pads, or a squeezed block pivots between them
            p.changeDynamics(self.gripper, link, lateralFriction=cfg.finger_friction, spinningFriction=0.05,
                             frictionAnchor=True, jointLowerLimit=0.0, jointUpperLimit=cfg.max_opening, physicsClientId=c)
        self.finger_geoms = {(self.gripper, 0), (self.gripper, 1)}
        # the fingers move as a pair (as one gear), so a squeezed block stays centred between them
        gear = p.createConstraint(self.gripper, 0, self.gripper, 1, p.JOINT_GEAR, [0, 1, 0], [0, 0, 0], [0, 0, 0],
                                  physicsClientId=c)
        p.changeConstraint(gear, gearRatio=-1, erp=0.1, maxForce=50.0, physicsClientId=c)
        self.carrier = p.createConstraint(self.gripper, -1, -1, -1, p.JOINT_FIXED, [0, 0, 0], [0, 0, 0], start,
                                          physicsClientId=c)

    # -- lifecycle -----------------------------------------------------------------------
    def reset(self) -> None:
        if self.cid is not None:
            self.p.disconnect(self.cid)
        self.cid = self.p.connect(self.p.DIRECT)
        self._build()
        self.goal = np.array(HOME, float)
        self.yaw = self.yaw_now = 0.0
        self._target = np.array(HOME, float)
        self.opening = self.cfg.max_opening
        for j in (0, 1):
            self.p.resetJointState(self.gripper, j, self.opening, physicsClientId=self.cid)
        self.physics_steps = 0
        self._apply()
        self.step(20)

    def close(self) -> None:
        if self.cid is not None:
            self.p.disconnect(self.cid)
            self.cid = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- control -------------------------------------------------------------------------
    def _apply(self) -> None:
        p, c = self.p, self.cid
        pos = [self._target[0], self._target[1], self._target[2] + TCP_OFFSET]
        p.changeConstraint(self.carrier, pos, yaw_quat_xyzw(math.radians(self.yaw_now)), maxForce=300.0, physicsClientId=c)
        for j in (0, 1):
            p.setJointMotorControl2(self.gripper, j, p.POSITION_CONTROL, targetPosition=self.opening,
                                    force=self.cfg.grip_force, positionGain=0.3, physicsClientId=c)

    def tick(self) -> None:
        """One control step: move the carrier toward the goal, then simulate."""
        self._target, self.yaw_now = next_target(self._target, self.goal, self.yaw_now, self.yaw,
                                                 self.substeps * self.dt, self.max_speed, self.max_yaw_rate)
        self._apply()
        self.step(self.substeps)

    def step(self, n: int) -> None:
        for _ in range(n):
            self.p.stepSimulation(physicsClientId=self.cid)
        self.physics_steps += n
        if not np.isfinite(self.tcp_pos()).all():
            raise BackendError("simulation diverged (PyBullet gave a non-finite gripper pose)")

    # -- state ---------------------------------------------------------------------------
    def tcp_pos(self) -> np.ndarray:
        pos, orn = self.p.getBasePositionAndOrientation(self.gripper, physicsClientId=self.cid)
        rot = np.array(self.p.getMatrixFromQuaternion(orn)).reshape(3, 3)
        return np.asarray(pos) + rot @ np.array([0.0, 0.0, -TCP_OFFSET])

    def block_pos(self, name: str) -> np.ndarray:
        return np.asarray(self.p.getBasePositionAndOrientation(self.blocks[name], physicsClientId=self.cid)[0])

    def block_positions(self) -> np.ndarray:
        """(n, 3) block centres in name order."""
        return np.array([self.block_pos(n) for n in sorted(self.blocks)])

    def finger_opening(self) -> float:
        """Distance the two fingers have moved out from closed, summed (m)."""
        return float(sum(self.p.getJointState(self.gripper, j, physicsClientId=self.cid)[0] for j in (0, 1)))

    def block_yaw(self, name: str) -> float:
        x, y, z, w = self.p.getBasePositionAndOrientation(self.blocks[name], physicsClientId=self.cid)[1]
        return math.degrees(math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))

    def drawer_opening(self) -> float:
        return 0.0

    def handle_pos(self) -> np.ndarray:
        raise BackendError("no drawer in a PyBullet tabletop world")

    def contacts_of(self, geom: tuple[int, int]) -> set[tuple[int, int]]:
        """(body, link) pairs touching the (body, link) `geom` right now."""
        pts = self.p.getContactPoints(bodyA=geom[0], linkIndexA=geom[1], physicsClientId=self.cid)
        return {(c[2], c[4]) for c in pts}

    def visible_blocks(self) -> set[str]:
        """Blocks the head camera sees: a ray (through the gripper) reaches a point near the block's top."""
        names, ends = [], []
        for name in self.blocks:
            for p in block_sight_points(self.block_pos(name)):
                names.append(name)
                ends.append(p)
        hits = self.p.rayTestBatch([list(CAMERA_POS)] * len(ends), [list(e) for e in ends],
                                   collisionFilterMask=WORLD_GROUP, physicsClientId=self.cid)
        return {n for n, h in zip(names, hits) if h[0] == -1 or h[0] == self.blocks[n]}
