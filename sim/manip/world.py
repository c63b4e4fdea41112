"""A tabletop world in MuJoCo: a TableSpec compiled with a robot from `robots.ROBOTS` (the
floating gripper or the 7-DoF arm), and its controls. Both classes implement
`sim.manip.base.TabletopWorld`, as `sim.manip.pybullet_world.PyBulletManipWorld` does;
`make_world` builds any of them.

Blocks are free bodies; containers are open trays; the cabinet's drawer slides on a
joint. The gripper follows a commanded TCP pose (mocap target, speed-limited per control
tick) and squeezes with force-limited fingers.

Example:
    >>> from scenes.suites import load_table_scene
    >>> w = ManipWorld(load_table_scene("table-pick", 0))
    >>> round(float(w.block_pos("block_0")[2]), 3)
    0.425
"""

from __future__ import annotations

import math

import numpy as np

from robots import ROBOTS
from robots.arm import JOINTS, ArmIK
from robots.gripper import FINGERS, GRIPPER, TARGET, TCP, GripperConfig
from robots.headless_mujoco import mujoco
from scenes.tabletop import BLOCK_HALF, TABLE_HALF, TABLE_TOP, TableSpec
from sim.backends.base import BackendError
from sim.manip.base import (
    CABINET_HALF,
    CAMERA_POS,
    DRAWER_INNER,
    HOME,
    MUJOCO_BACKENDS,
    ROBOT_MOUNTS,
    TCP_OFFSET,
    TabletopWorld,
    block_sight_points,
    check_backend,
    check_robot,
    next_target,
)
from sim.manip.pybullet_world import PyBulletManipWorld

CAMERA = "head_camera"  # at CAMERA_POS
NOT_ROBOT = np.array([1, 1, 1, 0, 1, 1], np.uint8)  # geom group 3 holds the arm: it does not hide things
_DIVERGENCE = [int(mujoco.mjtWarning.mjWARN_BADQACC), int(mujoco.mjtWarning.mjWARN_BADQPOS),
               int(mujoco.mjtWarning.mjWARN_BADQVEL)]


def _box(body, name, half, pos, rgba, **kw):
    body.add_geom(name=name, type=mujoco.mjtGeom.mjGEOM_BOX, size=list(half), pos=list(pos), rgba=list(rgba), **kw)


def build_table_model(spec: TableSpec, cfg: GripperConfig = GripperConfig(), robot: str = "floating") -> mujoco.MjModel:
    """The scene and `robot` (a tabletop robot from robots.ROBOTS, standing at its ROBOT_MOUNTS place)."""
    check_robot(robot)
    m = mujoco.MjSpec()
    m.modelname = f"spacelab_table_{spec.suite or 'scene'}_{spec.seed}"
    m.option.timestep = 0.002
    m.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    m.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC  # friction grasps hold with elliptic cones and a high impratio
    m.option.impratio = 10.0
    m.visual.quality.shadowsize = 1024
    w = m.worldbody
    w.add_light(pos=[0, -0.5, 2.0], dir=[0, 0.3, -1], diffuse=[0.8, 0.8, 0.8], castshadow=False)
    w.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[2, 2, 0.1], rgba=[0.5, 0.5, 0.5, 1])
    _box(w, "table", (TABLE_HALF[0], TABLE_HALF[1], TABLE_TOP / 2), (0, 0, TABLE_TOP / 2), (0.6, 0.45, 0.3, 1),
         friction=[0.8, 0.02, 0.0001])
    w.add_camera(name=CAMERA, pos=list(CAMERA_POS), xyaxes=[1, 0, 0, 0, 0.6, 0.8], fovy=60)
    for c in spec.containers:
        b = w.add_body(name=f"obj:{c.name}", pos=[c.position[0], c.position[1], TABLE_TOP])
        hx, hy = c.half
        t, h = 0.006, c.height
        grey = (0.3, 0.35, 0.75, 1)
        _box(b, None, (hx + t, hy + t, 0.004), (0, 0, 0.004), grey)
        for sx in (-1, 1):
            _box(b, None, (t / 2, hy + t, h / 2), (sx * (hx + t / 2), 0, h / 2), grey)
        for sy in (-1, 1):
            _box(b, None, (hx + t, t / 2, h / 2), (0, sy * (hy + t / 2), h / 2), grey)
    if spec.drawer is not None:
        d = spec.drawer
        cab = w.add_body(name=f"cabinet:{d.name}", pos=[d.position[0], d.position[1], TABLE_TOP])
        cx, cy, cz = CABINET_HALF
        wood = (0.55, 0.35, 0.2, 1)
        t = 0.008
        _box(cab, None, (cx, cy, t / 2), (0, 0, 2 * cz - t / 2), wood)  # top
        for sx in (-1, 1):
            _box(cab, None, (t / 2, cy, cz), (sx * (cx - t / 2), 0, cz), wood)
        _box(cab, None, (cx, t / 2, cz), (0, cy - t / 2, cz), wood)  # back
        dr = cab.add_body(name=f"obj:{d.name}", pos=[0, 0, 0])
        dr.add_joint(name=f"{d.name}_slide", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[0, -1, 0], range=[0, d.travel],
                     damping=8.0, armature=0.05, frictionloss=1.5)  # stays shut unless pulled
        ix, iy, iz = DRAWER_INNER
        light = (0.75, 0.55, 0.35, 1)
        _box(dr, None, (ix + t, iy + t, t / 2), (0, 0.005, t / 2 + 0.002), light, mass=0.3)  # bottom
        for sx in (-1, 1):
            _box(dr, None, (t / 2, iy + t, iz), (sx * (ix + t / 2), 0.005, iz + t), light, mass=0.1)
        _box(dr, None, (ix + t, t / 2, iz), (0, 0.005 + iy + t / 2, iz + t), light, mass=0.1)  # rear
        _box(dr, None, (cx, t / 2, cz - 0.01), (0, -(cy - t / 2), cz), light, mass=0.2)  # front panel closes the cabinet
        _box(dr, f"{d.name}_handle", (0.05, 0.006, 0.008), (0, -(cy + 0.045), cz), (0.2, 0.2, 0.2, 1), mass=0.05)
        for sx in (-1, 1):  # standoffs
            _box(dr, None, (0.006, 0.02, 0.006), (sx * 0.045, -(cy + 0.022), cz), (0.2, 0.2, 0.2, 1), mass=0.01)
    for blk in spec.blocks:
        if blk.in_drawer:
            d = spec.drawer
            parent, pos = w, [d.position[0] + blk.position[0], d.position[1] + blk.position[1] + 0.005,
                              TABLE_TOP + 0.012 + BLOCK_HALF]
        else:
            parent, pos = w, [blk.position[0], blk.position[1], TABLE_TOP + BLOCK_HALF]
        yaw = math.radians(blk.yaw)
        b = parent.add_body(name=f"obj:{blk.name}", pos=pos, quat=[math.cos(yaw / 2), 0, 0, math.sin(yaw / 2)])
        b.add_freejoint(name=f"{blk.name}_free")
        _box(b, blk.name, (BLOCK_HALF,) * 3, (0, 0, 0), (*blk.rgb, 1), mass=0.1, friction=[1.0, 0.02, 0.0001], condim=4)
    ROBOTS.make(robot, m, **ROBOT_MOUNTS[robot](cfg))
    return m.compile()


class _BatchPhysics:
    """A tabletop world's physics stepped by a one-world batch backend (mujoco.batch or
    MuJoCo Warp). The world's MjData is the mirror that controllers write (mocap target,
    ctrl) and that state, skills and tasks read; it is refreshed after every call."""

    def __init__(self, backend: str, model: mujoco.MjModel) -> None:
        from sim.backends.batch import MujocoBatch, WarpBatch

        self.exact = backend == "mujoco-batch"  # mujoco.batch hands back its whole MjData
        if self.exact:
            self.batch = MujocoBatch(1)
        else:  # grasps and stacks touch at many points: room for them in Warp's fixed-size buffers
            self.batch = WarpBatch(1, device="cpu" if backend.endswith("-cpu") else None, nconmax=96, njmax=768)
        self.batch.load_model(model)

    def reset(self, d: mujoco.MjData) -> None:
        """Start the batch from the mirror's state (called after a reset)."""
        self.batch.set_state(d.qpos[None], d.qvel[None])
        self.batch.set_mocap(d.mocap_pos[None], d.mocap_quat[None])

    def step(self, m: mujoco.MjModel, d: mujoco.MjData, n: int) -> None:
        self.batch.set_mocap(d.mocap_pos[None], d.mocap_quat[None])
        self.batch.step(d.ctrl[None], n)
        if self.exact:
            self.batch.batch.get_data(0, d)  # bit-identical to mj_step on the CPU, derived fields included
            return
        d.qpos[:], d.qvel[:] = self.batch.qpos()[0], self.batch.qvel()[0]
        d.time += n * m.opt.timestep
        if not np.isfinite(d.qpos).all():
            raise BackendError("simulation diverged (non-finite state from MuJoCo Warp)")
        mujoco.mj_forward(m, d)


class ManipWorld(TabletopWorld):
    """Physics of one tabletop scene with the floating gripper.

    backend: "mujoco" (mj_step), "mujoco-batch" (a one-world mujoco.batch, bit-identical),
    "mujoco-warp" (MuJoCo Warp on the GPU) or "mujoco-warp-cpu" (Warp on the CPU, slow).
    For PyBullet see `sim.manip.pybullet_world` and `make_world`.
    """

    robot = "floating"

    def __init__(self, spec: TableSpec, control_hz: float = 50.0, max_speed: float = 0.5, max_yaw_rate: float = 180.0,
                 backend: str = "mujoco") -> None:
        check_backend(backend, self.robot)
        if backend not in MUJOCO_BACKENDS:
            raise BackendError(f"ManipWorld runs on the MuJoCo backends; use make_world(spec, backend={backend!r})")
        self.spec = spec
        self.backend = backend
        self.model = build_table_model(spec, robot=self.robot)
        self.data = mujoco.MjData(self.model)
        self._physics = None if backend == "mujoco" else _BatchPhysics(backend, self.model)
        m = self.model
        self.substeps = max(1, int(round(1.0 / (control_hz * m.opt.timestep))))
        self.max_speed = max_speed
        self.max_yaw_rate = max_yaw_rate  # deg/s
        self.gripper = m.body(GRIPPER).id
        self.target = m.body(TARGET).mocapid[0] if self.robot == "floating" else None
        self.tcp = m.site(TCP).id
        self.finger_geoms = {m.geom(f"{f}_pad").id for f in FINGERS}
        self.finger_act = [m.actuator(f).id for f in FINGERS]
        self.blocks = {b.name: m.body(f"obj:{b.name}").id for b in spec.blocks}
        self.block_ids = np.array([self.blocks[n] for n in sorted(self.blocks)], int)
        self.finger_qpos = np.array([m.jnt_qposadr[m.actuator_trnid[a, 0]] for a in
                                     [m.actuator(f).id for f in FINGERS]], int)
        self.block_geom = {b.name: m.geom(b.name).id for b in spec.blocks}
        self.containers = {c.name: c for c in spec.containers}
        self.drawer_joint = m.joint(f"{spec.drawer.name}_slide").id if spec.drawer else None
        self.table_geom = m.geom("table").id
        self.physics_steps = 0
        self.reset()

    def reset(self) -> None:
        mujoco.mj_resetData(self.model, self.data)
        mujoco.mj_forward(self.model, self.data)
        self.goal = np.array(HOME, float)
        self.yaw = self.yaw_now = 0.0
        self.opening = self.model.actuator_ctrlrange[self.finger_act[0], 1]
        self.data.ctrl[self.finger_act] = self.opening
        self._apply_target(self.goal, 0.0)
        self._restart_physics()
        self.step(20)

    def _restart_physics(self) -> None:
        if self._physics is not None:
            self._physics.reset(self.data)

    # -- control -----------------------------------------------------------------------
    def _apply_target(self, tcp, yaw_deg) -> None:
        p = self.data.mocap_pos[self.target]
        p[0], p[1], p[2] = tcp[0], tcp[1], tcp[2] + TCP_OFFSET
        y = math.radians(yaw_deg)
        self.data.mocap_quat[self.target] = (math.cos(y / 2), 0.0, 0.0, math.sin(y / 2))

    def tick(self) -> None:
        """One control step: move the mocap target toward the goal, then simulate."""
        m = self.data.mocap_pos[self.target]
        nxt, self.yaw_now = next_target((m[0], m[1], m[2] - TCP_OFFSET), self.goal, self.yaw_now, self.yaw,
                                        self.substeps * self.model.opt.timestep, self.max_speed, self.max_yaw_rate)
        self._apply_target(nxt, self.yaw_now)
        self.data.ctrl[self.finger_act] = self.opening
        self.step(self.substeps)

    def step(self, n: int) -> None:
        if self._physics is None:
            mujoco.mj_step(self.model, self.data, nstep=n)
        else:
            self._physics.step(self.model, self.data, n)
        self.physics_steps += n
        if self.data.warning.number[_DIVERGENCE].any():
            raise BackendError("simulation diverged (MuJoCo reported bad qpos/qvel/qacc)")

    # -- state -------------------------------------------------------------------------
    def tcp_pos(self) -> np.ndarray:
        return self.data.site_xpos[self.tcp].copy()

    def block_pos(self, name: str) -> np.ndarray:
        return self.data.xpos[self.blocks[name]].copy()

    def block_positions(self) -> np.ndarray:
        """(n, 3) block centres in name order."""
        return self.data.xpos[self.block_ids]

    def finger_opening(self) -> float:
        """Distance the two fingers have moved out from closed, summed (m)."""
        return float(self.data.qpos[self.finger_qpos].sum())

    def block_yaw(self, name: str) -> float:
        w, x, y, z = self.data.xquat[self.blocks[name]]
        return math.degrees(math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))

    def drawer_opening(self) -> float:
        return float(self.data.qpos[self.model.jnt_qposadr[self.drawer_joint]]) if self.drawer_joint is not None else 0.0

    def handle_pos(self) -> np.ndarray:
        return self.data.geom_xpos[self.model.geom(f"{self.spec.drawer.name}_handle").id].copy()

    def contacts_of(self, geom: int) -> set[int]:
        """Geoms touching `geom` right now."""
        c = self.data.contact[: self.data.ncon]
        out = set(c.geom2[c.geom1 == geom].tolist()) | set(c.geom1[c.geom2 == geom].tolist())
        return out

    def visible_blocks(self) -> set[str]:
        """Blocks the head camera sees: a ray reaches the block's top centre or a top corner."""
        m, d = self.model, self.data
        origin = d.cam_xpos[m.camera(CAMERA).id]
        gid = np.array([-1], np.int32)

        def reaches(point, g) -> bool:
            v = point - origin
            dist = np.linalg.norm(v)
            hit = mujoco.mj_ray(m, d, origin, v / dist, NOT_ROBOT, 1, self.gripper, gid)
            return gid[0] == g or hit < 0 or hit >= dist - 1e-3

        return {name for name, g in self.block_geom.items()
                if any(reaches(p, g) for p in block_sight_points(self.block_pos(name)))}


class ArmWorld(ManipWorld):
    """The same scenes with the 7-DoF arm: the commanded TCP pose goes through mink IK
    (warm-started every control tick) to joint position targets."""

    robot = "arm"

    def __init__(self, spec: TableSpec, **kw) -> None:
        self.ik = ArmIK()
        super().__init__(spec, **kw)

    def reset(self) -> None:
        m = self.model
        self.arm_qpos = np.array([m.jnt_qposadr[m.joint(j).id] for j in JOINTS])
        self.arm_act = np.array([m.actuator(f"arm_a{i}").id for i in range(1, 8)])
        mujoco.mj_resetData(m, self.data)
        self.data.qpos[self.arm_qpos] = self.ik.q_home
        self.q_cmd = self.ik.q_home.copy()
        self.data.ctrl[self.arm_act] = self.q_cmd
        mujoco.mj_forward(m, self.data)
        self.goal = self.tcp_pos()
        self._tcp_cmd = self.goal.copy()
        self.yaw = self.yaw_now = 0.0
        self.opening = m.actuator_ctrlrange[self.finger_act[0], 1]
        self.data.ctrl[self.finger_act] = self.opening
        self._restart_physics()
        self.step(20)

    def tick(self) -> None:
        delta = self.goal - self._tcp_cmd
        dist = float(np.linalg.norm(delta))
        limit = self.max_speed * self.substeps * self.model.opt.timestep
        self._tcp_cmd = self.goal.copy() if dist <= limit else self._tcp_cmd + delta / dist * limit
        dyaw = (self.yaw - self.yaw_now + 180.0) % 360.0 - 180.0
        step = self.max_yaw_rate * self.substeps * self.model.opt.timestep
        self.yaw_now += float(np.clip(dyaw, -step, step))
        self.q_cmd = self.ik.solve(self.q_cmd, self._tcp_cmd, self.yaw_now, iterations=15)
        self.data.ctrl[self.arm_act] = self.q_cmd
        self.data.ctrl[self.finger_act] = self.opening
        self.step(self.substeps)


MUJOCO_WORLDS = {cls.robot: cls for cls in (ManipWorld, ArmWorld)}  # robot name -> its MuJoCo-family world


def make_world(spec: TableSpec, backend: str = "mujoco", robot: str = "floating", **kw) -> TabletopWorld:
    """A tabletop world on any manipulation backend: `ManipWorld` (MuJoCo family, floating
    gripper), `ArmWorld` (7-DoF arm, MuJoCo family) or `PyBulletManipWorld`; `kw` go to its
    constructor. A (backend, robot) pair that cannot run raises a one-line BackendError.

    Example:
        >>> from scenes.suites import load_table_scene
        >>> make_world(load_table_scene("table-pick", 0), backend="mujoco-batch").backend
        'mujoco-batch'
        >>> make_world(load_table_scene("table-pick", 0), robot="mobile-base")
        Traceback (most recent call last):
        ...
        sim.backends.base.BackendError: robot 'mobile-base' does not work at the table; choose one of: floating, arm
    """
    check_backend(backend, robot)
    if backend == "pybullet":
        return PyBulletManipWorld(spec, **kw)
    return MUJOCO_WORLDS[robot](spec, backend=backend, **kw)
