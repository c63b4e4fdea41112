"""A house (`scenes.house.HouseSpec`) compiled to MuJoCo with the `mobile-panda` robot.

Walls and exploration objects are static boxes; each furniture piece is a static carcass
plus, for a dresser, two drawer bodies on slide joints and, for a cupboard, a door body on
a vertical hinge; items are free bodies (box, cylinder, or the mug and duck meshes of
pybullet_data). The world offers the robot's low-level interface (base velocity, arm
joint targets, finger targets), the symbolic state (on / in / open / holding / visible /
at) read from the physics, a joint-path collision checker on a private MjData, and a
penetration monitor: the deepest contact between an arm link and furniture or walls seen
in any physics step.

Contact bits: walls, furniture and items contype 1; the floor 2 (items touch it,
furniture is static); robot 4 / conaffinity 1 (see robots.mobile_panda).

Example:
    >>> from scenes.house import load_house
    >>> w = HouseWorld(load_house("house-2room", 0))
    >>> sorted(w.containers)[:2]
    ['cupboard_0', 'dresser_0_drawer1']
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from robots.headless_mujoco import mujoco
from robots.mobile_panda import (
    ARM_JOINTS,
    BASE_BODY,
    BASE_JOINTS,
    FINGER_JOINTS,
    FINGER_OPEN,
    HEAD_CAMERA,
    TCP,
    add_mobile_panda,
)
from scenes.frames import heading_to_mujoco_yaw
from scenes.house import (
    DRAWER_HALF_H,
    DRAWER_TRAVEL,
    DRAWER_Z,
    FURNITURE_KINDS,
    ITEM_KINDS,
    Furniture,
    HouseSpec,
    door_side,
)
from sim.compile_mujoco import wall_segments
from sim.manip.house_skill_base import symbolic_state

WOOD = [0.62, 0.45, 0.28, 1.0]
PANEL = [0.85, 0.82, 0.76, 1.0]
KNOB = [0.25, 0.25, 0.28, 1.0]
BOARD = 0.02  # panel thickness, m
KNOB_SIZE = (0.09, 0.03, 0.03)  # depth (proud of the front), lateral, height
DOOR_OPEN_AT = 1.0  # rad: a cupboard door counts as open past this angle
DOOR_RANGE = 1.9  # rad: the hinge's stop
DOOR_KNOB_IN = 0.07  # m from the door's free edge
DOOR_KNOB_Z = 0.80  # m above the floor, 0.28 m under the door's top
DRAWER_OPEN_AT = 0.8 * DRAWER_TRAVEL
GRIP = dict(friction=[1.5, 0.02, 0.002], solref=[0.005, 1.0], condim=4)  # handles: rubbery, stiff
HEAD_HALF_FOV = 33.0  # deg: a point counts as in view inside this square cone
TUCK = (0.0, -1.02, 0.0, -1.74, 0.0, 0.71, math.pi / 4)  # hand high over the base (within 0.21 m of its centre)


def _box(body, size, pos, rgba, name=None, **kw):
    return body.add_geom(name=name, type=mujoco.mjtGeom.mjGEOM_BOX, size=[s / 2 for s in size], pos=list(pos),
                         rgba=list(rgba), contype=1, conaffinity=1, **kw)


def _quat_mat(q) -> np.ndarray:
    w, x, y, z = (float(c) for c in q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def _quat(yaw: float) -> list[float]:
    return [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]


def _add_furniture(spec: mujoco.MjSpec, f: Furniture, side: int = 1) -> None:
    """The piece's bodies; `side` is a cupboard's door side (`scenes.house.door_side`)."""
    w, d, h = f.size
    body = spec.worldbody.add_body(name=f"furn:{f.name}", pos=[*f.position, 0.0], quat=_quat(f.yaw))
    if f.kind in ("table", "counter"):
        _box(body, (d, w, 0.04), (0, 0, h - 0.02), WOOD)
        if f.kind == "counter":
            _box(body, (d - 0.04, w - 0.04, h - 0.04), (-0.02, 0, (h - 0.04) / 2), PANEL)
        else:
            for sx in (-1, 1):
                for sy in (-1, 1):
                    _box(body, (0.05, 0.05, h - 0.04), (sx * (d / 2 - 0.04), sy * (w / 2 - 0.04), (h - 0.04) / 2), WOOD)
        return
    # a carcass: two sides, back, top; front open (drawers / door close it)
    _box(body, (d, BOARD, h), (0, w / 2 - BOARD / 2, h / 2), PANEL)
    _box(body, (d, BOARD, h), (0, -w / 2 + BOARD / 2, h / 2), PANEL)
    _box(body, (BOARD, w, h), (-d / 2 + BOARD / 2, 0, h / 2), PANEL)
    _box(body, (d, w, BOARD), (0, 0, h - BOARD / 2), WOOD)
    inner_w = w - 2 * BOARD
    if f.kind == "shelf":
        _box(body, (d, w, BOARD), (0, 0, 0.45), WOOD)
        _box(body, (d, w, 0.08), (0, 0, 0.04), PANEL)
        return
    if f.kind == "cupboard":
        floor = FURNITURE_KINDS["cupboard"].surface
        _box(body, (d, w, floor), (0, 0, floor / 2), PANEL)
        # the door: hinged on the front's left edge (+y; side -1: the right one), swinging
        # outward (joint angle 0 = closed, positive = open); the knob is a body of its own so
        # that path checks can ignore the knob alone and still see the door's panel
        door = body.add_body(name=f"part:{f.name}", pos=[d / 2 + BOARD / 2, side * (inner_w / 2 + BOARD), 0])
        door.add_joint(name=f"joint:{f.name}", type=mujoco.mjtJoint.mjJNT_HINGE, axis=[0, 0, side],
                       range=[0.0, DOOR_RANGE], damping=2.0, frictionloss=0.1, armature=0.01)
        _box(door, (BOARD, w, h - 0.04), (0, -side * w / 2, h / 2), [0.7, 0.55, 0.4, 1], mass=1.0)
        knob = door.add_body(name=f"knob:{f.name}",
                             pos=[BOARD / 2 + KNOB_SIZE[0] / 2, -side * (w - DOOR_KNOB_IN), DOOR_KNOB_Z])
        _box(knob, KNOB_SIZE, (0, 0, 0), KNOB, mass=0.05, **GRIP)
        return
    # dresser: a floor, a divider, two drawers on slide joints
    _box(body, (d, w, 0.06), (0, 0, 0.03), PANEL)
    _box(body, (d, w, BOARD), (0, 0, (DRAWER_Z[0] + DRAWER_Z[1]) / 2), PANEL)
    for k, zc in enumerate(DRAWER_Z, start=1):
        dr = body.add_body(name=f"part:{f.name}_drawer{k}", pos=[0, 0, 0])
        dr.add_joint(name=f"joint:{f.name}_drawer{k}", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[1, 0, 0],
                     range=[0.0, DRAWER_TRAVEL], damping=8.0, frictionloss=0.5, armature=0.05)
        depth, hh = d - BOARD - 0.01, 2 * DRAWER_HALF_H - 0.01
        x0 = -d / 2 + BOARD + 0.005 + depth / 2  # drawer box centre
        z0 = zc - DRAWER_HALF_H + 0.005
        bw = inner_w - 0.01
        _box(dr, (depth, bw, 0.012), (x0, 0, z0 + 0.006), PANEL, mass=0.5)  # floor (items stand at z0 + 0.012)
        _box(dr, (depth, 0.012, hh * 0.6), (x0, bw / 2 - 0.006, z0 + hh * 0.3), PANEL, mass=0.2)
        _box(dr, (depth, 0.012, hh * 0.6), (x0, -bw / 2 + 0.006, z0 + hh * 0.3), PANEL, mass=0.2)
        _box(dr, (0.012, bw, hh * 0.6), (x0 - depth / 2 + 0.006, 0, z0 + hh * 0.3), PANEL, mass=0.2)
        _box(dr, (BOARD, w - 0.004, hh), (d / 2 - BOARD / 2, 0, zc), [0.7, 0.55, 0.4, 1], mass=0.5)  # front
        _box(dr, KNOB_SIZE, (d / 2 + KNOB_SIZE[0] / 2, 0, zc), KNOB, mass=0.05, **GRIP)
        spec.add_exclude(bodyname1=f"furn:{f.name}", bodyname2=f"part:{f.name}_drawer{k}")


DRAWER_FLOOR = DRAWER_Z[0] - DRAWER_HALF_H + 0.005 + 0.012  # top of the top drawer's floor board, m


def _item_surface(house: HouseSpec, f: Furniture) -> float:
    if f.kind == "dresser":
        return DRAWER_FLOOR
    return FURNITURE_KINDS[f.kind].surface


def _add_item(spec: mujoco.MjSpec, house: HouseSpec, item) -> None:
    import pybullet_data

    k = ITEM_KINDS[item.kind]
    f = house.piece(item.furniture)
    x, y = f.to_world(item.lateral, item.depth)
    z = _item_surface(house, f) + k.size[2] / 2 + 0.002
    body = spec.worldbody.add_body(name=f"item:{item.name}", pos=[x, y, z],
                                   quat=_quat(f.yaw + math.radians(item.yaw)))
    body.add_freejoint()
    kw = dict(rgba=list(k.rgba), contype=3, conaffinity=3, condim=4, friction=[1.0, 0.02, 0.002], mass=k.mass,
              solref=[0.01, 1], priority=1)
    if k.shape == "box":
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[s / 2 for s in k.size], **kw)
    elif k.shape == "cylinder":
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[k.size[0] / 2, k.size[2] / 2, 0], **kw)
    else:
        root = pybullet_data.getDataPath()
        if spec.mesh(f"mesh:{item.kind}") is None:
            if item.kind == "mug":
                spec.add_mesh(name="mesh:mug", file=os.path.join(root, "objects", "mug_col.obj"),
                              scale=[0.9, 0.9, 0.9])
            else:
                spec.add_mesh(name="mesh:duck", file=os.path.join(root, "duck_vhacd.obj"), scale=[0.035] * 3)
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_MESH, meshname=f"mesh:{item.kind}", **kw)


def build_house_spec(house: HouseSpec) -> mujoco.MjSpec:
    scene = house.scene
    m = mujoco.MjSpec()
    m.modelname = f"house_{house.suite or 'house'}_{house.seed}"
    m.option.timestep = 0.002
    m.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    m.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    m.option.noslip_iterations = 3
    m.option.impratio = 10.0  # stiffer friction: a pinched handle or item creeps less
    m.visual.quality.shadowsize = 1024
    m.visual.headlight.ambient = [0.35, 0.35, 0.35]
    xmin, ymin, xmax, ymax = scene.bounds
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    m.worldbody.add_light(name="key", pos=[cx, cy, 8.0], dir=[-0.3, -0.2, -1], type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
                          diffuse=[0.5, 0.5, 0.48], castshadow=False)
    m.add_texture(name="floor_tiles", type=mujoco.mjtTexture.mjTEXTURE_2D, builtin=mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
                  rgb1=[0.58, 0.58, 0.55], rgb2=[0.52, 0.52, 0.49], width=64, height=64)
    mat = m.add_material(name="floor", rgba=[1, 1, 1, 1], texrepeat=[0.5, 0.5], texuniform=True)
    mat.textures[int(mujoco.mjtTextureRole.mjTEXROLE_RGB)] = "floor_tiles"
    m.worldbody.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, material="floor",
                         size=[(xmax - xmin) / 2 + 1, (ymax - ymin) / 2 + 1, 0.1], pos=[cx, cy, 0], contype=2, conaffinity=2)
    t, h = scene.wall_thickness, scene.wall_height
    for k, (x0, y0, x1, y1) in enumerate(wall_segments(scene)):
        length = max(x1 - x0, y1 - y0)
        half = [length / 2 + t / 2, t / 2, h / 2] if y0 == y1 else [t / 2, length / 2 + t / 2, h / 2]
        m.worldbody.add_geom(name=f"wall_{k}", type=mujoco.mjtGeom.mjGEOM_BOX, size=half,
                             pos=[(x0 + x1) / 2, (y0 + y1) / 2, h / 2], rgba=[0.82, 0.80, 0.76, 1.0])
    pieces = {f.name for f in house.furniture}
    for o in scene.objects:
        if o.name in pieces:
            continue
        b = m.worldbody.add_body(name=f"obj:{o.name}", pos=[*o.position, 0],
                                 quat=_quat(heading_to_mujoco_yaw(o.heading)))
        _box(b, (o.size[1], o.size[0], o.size[2]), (0, 0, o.size[2] / 2), [0.5, 0.5, 0.55, 1])
    for f in house.furniture:
        _add_furniture(m, f, door_side(house, f) if f.kind == "cupboard" else 1)
    for it in house.items:
        _add_item(m, house, it)
    add_mobile_panda(m)
    return m


@dataclass
class Contact:
    depth: float  # penetration, m (positive = overlapping)
    arm_body: str
    other: str


class HouseWorld:
    """The compiled house with the robot at the scene's start, arm tucked, fingers open."""

    def __init__(self, house: HouseSpec, start=None) -> None:
        self.house = house
        self.model = build_house_spec(house).compile()
        m = self.model
        self.data = mujoco.MjData(m)
        self.check_data = mujoco.MjData(m)
        self.arm_q = np.array([m.joint(j).qposadr[0] for j in ARM_JOINTS])
        self.arm_v = np.array([m.joint(j).dofadr[0] for j in ARM_JOINTS])
        self.base_q = np.array([m.joint(j).qposadr[0] for j in BASE_JOINTS])
        self.base_v = np.array([m.joint(j).dofadr[0] for j in BASE_JOINTS])
        self.finger_q = np.array([m.joint(j).qposadr[0] for j in FINGER_JOINTS])
        self.arm_act = np.array([m.actuator(f"{j}_pos").id for j in ARM_JOINTS])
        self.finger_act = np.array([m.actuator(f"{j}_pos").id for j in FINGER_JOINTS])
        self.base_act = np.array([m.actuator(f"{j}_vel").id for j in BASE_JOINTS])
        self.tcp_site = m.site(TCP).id
        self.base_body = m.body(BASE_BODY).id
        self.items = {i.name: m.body(f"item:{i.name}").id for i in house.items}
        self.containers = {c: m.joint(f"joint:{c}").qposadr[0] for f in house.furniture for c in f.containers}
        # containers behind a hinged door -> the door's side (+1: hinge on the left, seen from the front)
        self.doors = {f.name: door_side(house, f) for f in house.furniture if f.kind == "cupboard"}
        names = [m.body(b).name for b in range(m.nbody)]
        self.robot_bodies = {b for b in range(m.nbody) if names[b].startswith(("mp_", BASE_BODY))}
        self.arm_bodies = {b for b in self.robot_bodies if names[b].startswith("mp_panda")}
        self.finger_bodies = {m.body(f"mp_panda_{s}finger").id for s in ("left", "right")}
        self.item_bodies = set(self.items.values())
        self.body_names = names
        self._geom_body = np.asarray(m.geom_bodyid)
        self._is_arm = np.zeros(m.nbody, bool)
        self._is_arm[list(self.arm_bodies)] = True
        self._is_other = np.ones(m.nbody, bool)  # furniture, walls, floor: not the robot, not an item
        self._is_other[list(self.robot_bodies | self.item_bodies)] = False
        sx, sy = house.scene.start_position if start is None else start[:2]
        yaw = heading_to_mujoco_yaw(house.scene.start_heading) if start is None else start[2]
        self.data.qpos[self.base_q] = [sx, sy, yaw]
        self.data.qpos[self.arm_q] = TUCK
        self.data.qpos[self.finger_q] = FINGER_OPEN
        self.data.ctrl[self.arm_act] = TUCK
        self.data.ctrl[self.finger_act] = FINGER_OPEN
        mujoco.mj_forward(m, self.data)
        self.physics_steps = 0
        self.max_penetration = 0.0  # deepest arm-vs-furniture/wall contact seen, m
        self.worst_contact: Contact | None = None
        self.base_cmd = np.zeros(3)
        # collision checking model: arm geoms get a 1.5 cm margin, so near misses count as hits
        self.check_model = self.model.__copy__()
        for g in range(m.ngeom):
            if m.geom_bodyid[g] in self.arm_bodies:
                self.check_model.geom_margin[g] = 0.015

    # -- stepping -------------------------------------------------------------------------
    @property
    def timestep(self) -> float:
        return self.model.opt.timestep

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            self.data.ctrl[self.base_act] = self.base_cmd
            mujoco.mj_step(self.model, self.data)
            self.physics_steps += 1
            self._watch_contacts()

    def _watch_contacts(self) -> None:
        """Vectorised over the contact arrays: a Python loop over contacts every physics step
        cost a large share of the skills' wall time."""
        d = self.data
        if not d.ncon:
            return
        b = self._geom_body[d.contact.geom]
        if not self._is_arm[b].any():  # the usual case (arm in free space): one cheap test
            return
        b1, b2 = b[:, 0], b[:, 1]
        pen = -d.contact.dist
        hit = ((self._is_arm[b1] & self._is_other[b2]) | (self._is_arm[b2] & self._is_other[b1])) & (pen > self.max_penetration)
        if hit.any():
            k = int(np.argmax(np.where(hit, pen, -np.inf)))
            a, o = (b1[k], b2[k]) if self._is_arm[b1[k]] else (b2[k], b1[k])
            self.max_penetration = float(pen[k])
            self.worst_contact = Contact(float(pen[k]), self.body_names[a], self.body_names[o] or "wall/floor")

    # -- robot state and commands --------------------------------------------------------
    def base_pose(self) -> np.ndarray:
        return self.data.qpos[self.base_q].copy()


    def base_velocity(self) -> np.ndarray:
        """(vx, vy, yaw rate) of the base's joints."""
        return self.data.qvel[self.base_v]

    def base_contacts(self) -> int:
        """Contacts touching the base body now (the drive counts them)."""
        d, m = self.data, self.model
        if not d.ncon:
            return 0
        return int((m.geom_bodyid[d.contact.geom] == self.base_body).any(axis=1).sum())
    def q(self) -> np.ndarray:
        return self.data.qpos[self.arm_q].copy()

    def set_arm_target(self, q) -> None:
        self.data.ctrl[self.arm_act] = q

    def set_fingers(self, width_each: float) -> None:
        self.data.ctrl[self.finger_act] = width_each

    def tcp(self) -> np.ndarray:
        return self.data.site_xpos[self.tcp_site].copy()

    def arm_frame(self) -> tuple[np.ndarray, float]:
        """World position of the arm's link0 and the base yaw: arm frame = base yaw about z at link0."""
        b = self.model.body("mp_panda_link0").id
        return self.data.xpos[b].copy(), float(self.data.qpos[self.base_q[2]])

    def to_arm(self, p) -> np.ndarray:
        o, yaw = self.arm_frame()
        c, s = math.cos(yaw), math.sin(yaw)
        v = np.asarray(p, float) - o
        return np.array([c * v[0] + s * v[1], -s * v[0] + c * v[1], v[2]])

    def item_pos(self, name: str) -> np.ndarray:
        """World centre of the item's geometry (mesh items: the mesh's centre, not the body origin)."""
        b = self.items[name]
        g = int(self.model.body_geomadr[b])
        return self.data.geom_xpos[g].copy()

    def item_yaw(self, name: str) -> float:
        r = self.data.xmat[self.items[name]].reshape(3, 3)
        return math.atan2(r[1, 0], r[0, 0])

    def item_narrow_yaw(self, name: str) -> float:
        """Body-frame yaw (rad) of the narrowest horizontal width of a mesh item's collision hull
        (a mug across its cup, away from the handle); 0 for boxes and cylinders."""
        m = self.model
        g = int(m.body_geomadr[self.items[name]])
        if m.geom_type[g] != mujoco.mjtGeom.mjGEOM_MESH:
            return 0.0
        i = int(m.geom_dataid[g])
        v = m.mesh_vert[m.mesh_vertadr[i]: m.mesh_vertadr[i] + m.mesh_vertnum[i]]
        r = _quat_mat(m.geom_quat[g])  # mesh frame -> body frame
        xy = (v @ r.T)[:, :2]
        angles = np.radians(np.arange(0.0, 180.0, 5.0))
        widths = [np.ptp(xy @ [math.cos(a), math.sin(a)]) for a in angles]
        return float(angles[int(np.argmin(widths))])

    def opening(self, container: str) -> float:
        """Drawer travel (m) or door angle (rad, positive = open)."""
        return float(self.data.qpos[self.containers[container]])

    def is_open(self, container: str) -> bool:
        return self.opening(container) > (DOOR_OPEN_AT if container in self.doors else DRAWER_OPEN_AT)

    def knob_pos(self, container: str) -> np.ndarray:
        if container in self.doors:
            return self.data.xpos[self.model.body(f"knob:{container}").id].copy()
        body = self.model.body(f"part:{container}").id
        g = [i for i in range(self.model.ngeom) if self.model.geom_bodyid[i] == body][-1]  # the knob is added last
        return self.data.geom_xpos[g].copy()

    # -- contacts -----------------------------------------------------------------------
    def finger_contacts(self, item: str) -> set:
        b = self.items[item]
        out = set()
        for c in self.data.contact[: self.data.ncon]:
            b1, b2 = self.model.geom_bodyid[c.geom1], self.model.geom_bodyid[c.geom2]
            if b in (b1, b2):
                other = b2 if b1 == b else b1
                if other in self.finger_bodies:
                    out.add(other)
        return out

    def holding(self, item: str) -> bool:
        """Both fingers touch the item and it is off every surface (no weld: friction holds it)."""
        if len(self.finger_contacts(item)) < 2:
            return False
        b = self.items[item]
        for c in self.data.contact[: self.data.ncon]:
            b1, b2 = self.model.geom_bodyid[c.geom1], self.model.geom_bodyid[c.geom2]
            if b in (b1, b2) and (b2 if b1 == b else b1) not in self.robot_bodies:
                return False
        return True

    def path_collides(self, base_pose, qs, ignore_bodies=(), moving=None, margin: float = 0.015,
                      carried: str | None = None) -> str:
        """The first collision of the arm along joint configurations `qs` (base at
        `base_pose`), as "link vs thing", or "" when every configuration is free (1.5 cm margin).
        `moving` = (container, values): the container's joint takes values[k] with qs[k] (a
        door swinging along with the hand that pulls it). `margin` (at most 1.5 cm): nearer
        than this counts as a hit. `carried` (an item held in the hand) moves with the hand and
        must not overlap anything but the fingers and the hand (its own support included)."""
        m, d = self.check_model, self.check_data
        ignore = set(ignore_bodies)
        d.qpos[:] = self.data.qpos
        d.qpos[self.base_q] = base_pose
        if carried is not None:  # the item's pose in the TCP frame, kept along the path
            ib = self.items[carried]
            adr = int(m.jnt_qposadr[m.body_jntadr[ib]])
            r_tcp = self.data.site_xmat[self.tcp_site].reshape(3, 3)
            rel_p = r_tcp.T @ (self.data.xpos[ib] - self.data.site_xpos[self.tcp_site])
            rel_r = r_tcp.T @ self.data.xmat[ib].reshape(3, 3)
            hand = self.finger_bodies | {m.body("mp_panda_hand").id}
        for k, q in enumerate(qs):
            if moving is not None:
                d.qpos[self.containers[moving[0]]] = moving[1][k]
            d.qpos[self.arm_q] = q
            mujoco.mj_kinematics(m, d)
            if carried is not None:
                r = d.site_xmat[self.tcp_site].reshape(3, 3)
                d.qpos[adr: adr + 3] = d.site_xpos[self.tcp_site] + r @ rel_p
                quat = np.zeros(4)
                mujoco.mju_mat2Quat(quat, (r @ rel_r).flatten())
                d.qpos[adr + 3: adr + 7] = quat
                mujoco.mj_kinematics(m, d)
            mujoco.mj_collision(m, d)
            if carried is not None:
                for c in d.contact[: d.ncon]:
                    b1, b2 = m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]
                    if ib in (b1, b2) and c.dist < -0.002:
                        o = b2 if b1 == ib else b1
                        if o not in hand:
                            return f"{carried} (carried) vs {self.body_names[o] or 'wall'}"
            for c in d.contact[: d.ncon]:
                b1, b2 = m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]
                for a, o in ((b1, b2), (b2, b1)):
                    if a in self.arm_bodies and o not in self.robot_bodies and o not in ignore and c.dist < margin:
                        return f"{self.body_names[a]} vs {self.body_names[o] or 'wall'}"
        return ""

    # -- what the head camera sees ----------------------------------------------------------
    def head_camera(self) -> tuple[np.ndarray, np.ndarray]:
        """World position and 3x3 frame (columns x right, y up, z backward) of the head camera."""
        c = self.model.camera(HEAD_CAMERA).id
        return self.data.cam_xpos[c].copy(), self.data.cam_xmat[c].reshape(3, 3).copy()

    def in_view(self, point, body=None, half_fov_deg: float = HEAD_HALF_FOV) -> str:
        """Why the head camera does not see world `point` ("" when it does): outside the view
        cone (square, `half_fov_deg` each way; the camera's vertical fov is 70 degrees), or the
        first thing a ray from the camera meets before it (robot geoms are looked through).
        With `body` (a body id or a set of them) given, reaching any of its geoms counts as
        seeing it."""
        bodies = set() if body is None else {body} if isinstance(body, (int, np.integer)) else set(body)
        pos, mat = self.head_camera()
        v = np.asarray(point, float) - pos
        local = mat.T @ v  # camera frame: looking along -z
        if local[2] >= 0:
            return "behind the head camera"
        t = math.radians(half_fov_deg)
        if abs(local[0]) > -local[2] * math.tan(t):
            return "outside the head camera's view (to the side)"
        if abs(local[1]) > -local[2] * math.tan(t):
            return "outside the head camera's view (" + ("above" if local[1] > 0 else "below") + ")"
        dist = float(np.linalg.norm(v))
        u = v / dist
        start, travelled = pos.copy(), 0.0
        geomid = np.zeros(1, np.int32)
        for _ in range(8):
            d = mujoco.mj_ray(self.model, self.data, start, u, None, 1, -1, geomid)
            if d < 0 or travelled + d >= dist - 0.02:
                return ""
            b = int(self.model.geom_bodyid[geomid[0]])
            if b in bodies:
                return ""
            if b not in self.robot_bodies:
                return f"occluded by {'a wall' if b == 0 else self.body_names[b]}"
            travelled += d + 1e-3
            start = pos + u * travelled
        return ""

    # -- symbolic state ------------------------------------------------------------------
    def relation_of(self, item: str) -> tuple[str, str] | None:
        """("on", support) or ("in", container) read from where the item rests, or None."""
        p = self.item_pos(item)
        for f in self.house.furniture:
            c, s = math.cos(f.yaw), math.sin(f.yaw)
            v = p[:2] - np.asarray(f.position)
            depth, lateral = c * v[0] + s * v[1], -s * v[0] + c * v[1]
            w, dd, h = f.size
            if f.kind == "dresser":
                for k, name in enumerate(f.containers):
                    zc = DRAWER_Z[k]
                    o = self.opening(name)
                    if abs(lateral) < w / 2 and -dd / 2 < depth - o < dd / 2 and abs(p[2] - zc) < DRAWER_HALF_H:
                        return ("in", name)
            inside = abs(lateral) < w / 2 and abs(depth) < dd / 2
            if not inside:
                continue
            if f.kind == "cupboard" and p[2] < h - 0.05:
                return ("in", f.name)
            if p[2] > h - 0.005 and p[2] < h + 0.15:
                return ("on", f.name)
        return None

    def symbolic_state(self) -> set:
        return symbolic_state(self)


__all__ = ["DOOR_KNOB_Z", "DOOR_OPEN_AT", "DOOR_RANGE", "DRAWER_FLOOR", "DRAWER_OPEN_AT", "TUCK", "Contact", "HouseWorld", "build_house_spec"]
