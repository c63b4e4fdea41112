"""Build a house (`scenes.house.HouseSpec`) and the mobile Panda in a PyBullet client.

The same geometry as the MuJoCo compiler (`sim.manip.house_world.build_house_spec`):
walls from `sim.compile_mujoco.wall_segments`, exploration objects as static boxes, each
furniture piece as one static body made of the same boxes (table top and legs, counter,
carcass boards, shelf boards, closed drawer fronts, floors and knobs, the closed cupboard
door), and items as free bodies: boxes, cylinders, and the mug (``objects/mug_col.obj``)
and duck (``duck_vhacd.obj``, turned z-up) meshes of pybullet_data, each body's origin at
the centre of its bounding box (the mug: on its cup's axis).

The robot is ``franka_panda/panda.urdf`` of pybullet_data inside a wrapper URDF written at
run time to a temporary directory: a fixed root, prismatic x, prismatic y and a continuous
yaw joint (the holonomic base; joint positions = world x, y, yaw as in MuJoCo), the base
cylinder (0.28 m radius, 0.42 m tall), and the Panda's ``panda_link0`` bolted 0.12 m ahead
of the base centre on its top (`robots.mobile_panda.ARM_MOUNT`). Mesh paths are made
absolute; nothing is downloaded.

Collision groups follow `sim.backends.pybullet_backend`: the robot is in ROBOT_GROUP and
touches the world groups, never the floor (the base rides on its joints).

Example:
    >>> from scenes.house import load_house
    >>> p = import_pybullet()
    >>> cid = p.connect(p.DIRECT)
    >>> scene = build_house(p, cid, load_house("house-2room", 0))
    >>> sorted(scene.pieces)[:2], len(scene.items)
    (['counter_0', 'cupboard_0'], 5)
    >>> robot = load_mobile_panda(p, cid)
    >>> [robot.joint_names[j] for j in robot.base_joints]
    ['mp_base_x', 'mp_base_y', 'mp_base_yaw']
    >>> p.disconnect(cid)
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass, field

import numpy as np

from robots.mobile_panda import ARM_MOUNT, BASE_HEIGHT, BASE_RADIUS, panda_urdf_path
from scenes.frames import heading_to_mujoco_yaw
from scenes.house import DRAWER_HALF_H, DRAWER_Z, FURNITURE_KINDS, ITEM_KINDS, Furniture, HouseSpec
from sim.backends.pybullet_backend import ROBOT_GROUP, WORLD_GROUP, import_pybullet, yaw_quat_xyzw
from sim.compile_mujoco import FLOOR_RGBA, WALL_RGBA, wall_segments
from sim.manip.house_world import BOARD, KNOB, KNOB_SIZE, PANEL, WOOD

ITEM_FRICTION = 1.0
FURNITURE_FRICTION = 0.8
DUCK_SCALE, MUG_SCALE = 0.035, 0.9  # as in the MuJoCo house


@dataclass
class HouseBodies:
    """Body ids of one built house: furniture pieces, walls/objects and items by name."""

    floor: int
    pieces: dict[str, int] = field(default_factory=dict)
    static: list[int] = field(default_factory=list)  # walls and exploration objects
    items: dict[str, int] = field(default_factory=dict)
    item_half_height: dict[str, float] = field(default_factory=dict)


@dataclass
class MobilePandaBodies:
    """The loaded robot: its body id and joint / link indices by role."""

    body: int
    joint_names: list[str]
    link_names: list[str]  # of each joint's child link (PyBullet's link index = joint index)
    base_joints: tuple[int, int, int]
    arm_joints: tuple[int, ...]
    finger_joints: tuple[int, int]
    tcp_link: int
    finger_links: tuple[int, int]
    arm_links: tuple[int, ...]  # every link from panda_link0 to the fingertips


def _boxes(p, cid, parts, rgba_default=None):
    """Collision and visual shape arrays of boxes: parts = [(size, pos, rgba), ...] (full sizes)."""
    halves = [[s / 2 for s in size] for size, _, _ in parts]
    poses = [list(pos) for _, pos, _ in parts]
    col = p.createCollisionShapeArray([p.GEOM_BOX] * len(parts), halfExtents=halves, collisionFramePositions=poses,
                                      physicsClientId=cid)
    vis = p.createVisualShapeArray([p.GEOM_BOX] * len(parts), halfExtents=halves, visualFramePositions=poses,
                                   rgbaColors=[list(rgba or rgba_default) for _, _, rgba in parts],
                                   fileNames=[""] * len(parts), meshScales=[[1.0, 1.0, 1.0]] * len(parts),
                                   physicsClientId=cid)  # without fileNames and meshScales pybullet crashes
    return col, vis


def furniture_parts(f: Furniture) -> list[tuple[tuple, tuple, list]]:
    """The piece's boxes in its own frame (+x out of its front), as the MuJoCo compiler builds
    them, with its drawers closed: [(size (x, y, z), centre, rgba)]."""
    w, d, h = f.size
    out: list = []
    if f.kind in ("table", "counter"):
        out.append(((d, w, 0.04), (0, 0, h - 0.02), WOOD))
        if f.kind == "counter":
            out.append(((d - 0.04, w - 0.04, h - 0.04), (-0.02, 0, (h - 0.04) / 2), PANEL))
        else:
            out += [((0.05, 0.05, h - 0.04), (sx * (d / 2 - 0.04), sy * (w / 2 - 0.04), (h - 0.04) / 2), WOOD)
                    for sx in (-1, 1) for sy in (-1, 1)]
        return out
    out += [((d, BOARD, h), (0, w / 2 - BOARD / 2, h / 2), PANEL), ((d, BOARD, h), (0, -w / 2 + BOARD / 2, h / 2), PANEL),
            ((BOARD, w, h), (-d / 2 + BOARD / 2, 0, h / 2), PANEL), ((d, w, BOARD), (0, 0, h - BOARD / 2), WOOD)]
    if f.kind == "shelf":
        return out + [((d, w, BOARD), (0, 0, 0.45), WOOD), ((d, w, 0.08), (0, 0, 0.04), PANEL)]
    if f.kind == "cupboard":  # floor board and the closed door with its knob
        floor = FURNITURE_KINDS["cupboard"].surface
        return out + [((d, w, floor), (0, 0, floor / 2), PANEL),
                      ((BOARD, w, h - 0.04), (d / 2 + BOARD / 2, 0, h / 2), [0.7, 0.55, 0.4, 1]),
                      (KNOB_SIZE, (d / 2 + BOARD + KNOB_SIZE[0] / 2, -w / 2 + 0.07, 0.62), KNOB)]
    out += [((d, w, 0.06), (0, 0, 0.03), PANEL), ((d, w, BOARD), (0, 0, (DRAWER_Z[0] + DRAWER_Z[1]) / 2), PANEL)]
    depth, bw = d - BOARD - 0.01, w - 2 * BOARD - 0.01
    for zc in DRAWER_Z:  # closed drawers: floor (items stand on it), front and knob
        x0, z0 = -d / 2 + BOARD + 0.005 + depth / 2, zc - DRAWER_HALF_H + 0.005
        out += [((depth, bw, 0.012), (x0, 0, z0 + 0.006), PANEL),
                ((BOARD, w - 0.004, 2 * DRAWER_HALF_H - 0.01), (d / 2 - BOARD / 2, 0, zc), [0.7, 0.55, 0.4, 1]),
                (KNOB_SIZE, (d / 2 + KNOB_SIZE[0] / 2, 0, zc), KNOB)]
    return out


def _obj_vertices(path: str) -> np.ndarray:
    with open(path, encoding="utf-8") as fh:
        return np.array([[float(v) for v in line.split()[1:4]] for line in fh if line.startswith("v ")])


def item_mesh(kind: str) -> tuple[str, list[float], list[float], list[float], np.ndarray]:
    """(obj file, mesh scale, frame position, frame orientation (xyzw), hull vertices in the
    item's body frame) of a mesh item: the duck turned z-up, both centred on their box (the
    mug on its cup's axis, so a grasp at the origin squeezes the cup and not the handle)."""
    import pybullet_data

    root = pybullet_data.getDataPath()
    if kind == "mug":
        path, scale, quat = os.path.join(root, "objects", "mug_col.obj"), MUG_SCALE, [0.0, 0.0, 0.0, 1.0]
        v = _obj_vertices(path) * scale
        centre = np.array([0.0, 0.0, (v[:, 2].min() + v[:, 2].max()) / 2])
    elif kind == "duck":
        path, scale = os.path.join(root, "duck_vhacd.obj"), DUCK_SCALE
        s = math.sqrt(0.5)
        quat = [s, 0.0, 0.0, s]  # +90 deg about x: the duck's up (+y in the file) becomes +z
        v0 = _obj_vertices(path) * scale
        v = np.stack([v0[:, 0], -v0[:, 2], v0[:, 1]], axis=1)
        centre = (v.min(0) + v.max(0)) / 2
    else:
        raise ValueError(f"item kind {kind!r} has no mesh; mesh kinds: duck, mug")
    return path, [scale] * 3, (-centre).tolist(), quat, v - centre


def _item_shape(p, cid, kind: str) -> tuple[int, int, float]:
    k = ITEM_KINDS[kind]
    if k.shape == "box":
        half = [s / 2 for s in k.size]
        return (p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=cid),
                p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=list(k.rgba), physicsClientId=cid), half[2])
    if k.shape == "cylinder":
        r, h = k.size[0] / 2, k.size[2]
        return (p.createCollisionShape(p.GEOM_CYLINDER, radius=r, height=h, physicsClientId=cid),
                p.createVisualShape(p.GEOM_CYLINDER, radius=r, length=h, rgbaColor=list(k.rgba), physicsClientId=cid),
                h / 2)
    path, scale, pos, quat, verts = item_mesh(kind)
    col = p.createCollisionShape(p.GEOM_MESH, fileName=path, meshScale=scale, collisionFramePosition=pos,
                                 collisionFrameOrientation=quat, physicsClientId=cid)
    vis = p.createVisualShape(p.GEOM_MESH, fileName=path, meshScale=scale, visualFramePosition=pos,
                              visualFrameOrientation=quat, rgbaColor=list(k.rgba), physicsClientId=cid)
    return col, vis, float(verts[:, 2].max())


def item_surface(f: Furniture) -> float:
    """Height an item of the piece stands on (the top drawer's floor for a dresser)."""
    if f.kind == "dresser":
        return DRAWER_Z[0] - DRAWER_HALF_H + 0.005 + 0.012
    return FURNITURE_KINDS[f.kind].surface


def build_house(p, cid: int, house: HouseSpec, items: bool = True) -> HouseBodies:
    """Floor, walls, exploration objects, furniture and (with `items`) the items, in client `cid`."""
    scene = house.scene
    xmin, ymin, xmax, ymax = scene.bounds
    floor_vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[(xmax - xmin) / 2 + 1, (ymax - ymin) / 2 + 1, 0.001],
                                    rgbaColor=FLOOR_RGBA, physicsClientId=cid)
    floor = p.createMultiBody(0, p.createCollisionShape(p.GEOM_PLANE, physicsClientId=cid), floor_vis,
                              basePosition=[(xmin + xmax) / 2, (ymin + ymax) / 2, 0], physicsClientId=cid)
    out = HouseBodies(floor)
    t, h = scene.wall_thickness, scene.wall_height
    for x0, y0, x1, y1 in wall_segments(scene):
        length = max(x1 - x0, y1 - y0)
        size = (length + t, t, h) if y0 == y1 else (t, length + t, h)
        col, vis = _boxes(p, cid, [(size, (0, 0, 0), WALL_RGBA)])
        out.static.append(p.createMultiBody(0, col, vis, basePosition=[(x0 + x1) / 2, (y0 + y1) / 2, h / 2],
                                            physicsClientId=cid))
    pieces = {f.name for f in house.furniture}
    for o in scene.objects:
        if o.name in pieces:
            continue
        col, vis = _boxes(p, cid, [((o.size[1], o.size[0], o.size[2]), (0, 0, o.size[2] / 2), [0.5, 0.5, 0.55, 1])])
        out.static.append(p.createMultiBody(0, col, vis, basePosition=[*o.position, 0],
                                            baseOrientation=yaw_quat_xyzw(heading_to_mujoco_yaw(o.heading)),
                                            physicsClientId=cid))
    for f in house.furniture:
        col, vis = _boxes(p, cid, furniture_parts(f))
        uid = p.createMultiBody(0, col, vis, basePosition=[*f.position, 0], baseOrientation=yaw_quat_xyzw(f.yaw),
                                physicsClientId=cid)
        p.changeDynamics(uid, -1, lateralFriction=FURNITURE_FRICTION, physicsClientId=cid)
        out.pieces[f.name] = uid
    if items:
        for it in house.items:
            k = ITEM_KINDS[it.kind]
            f = house.piece(it.furniture)
            col, vis, half_h = _item_shape(p, cid, it.kind)
            x, y = f.to_world(it.lateral, it.depth)
            uid = p.createMultiBody(k.mass, col, vis, basePosition=[x, y, item_surface(f) + half_h + 0.002],
                                    baseOrientation=yaw_quat_xyzw(f.yaw + math.radians(it.yaw)), physicsClientId=cid)
            # torsional friction, as MuJoCo's condim-4 contacts: a squeezed item does not pivot in the fingers
            p.changeDynamics(uid, -1, lateralFriction=ITEM_FRICTION, spinningFriction=0.002, rollingFriction=0.0001,
                             physicsClientId=cid)
            out.items[it.name] = uid
            out.item_half_height[it.name] = half_h
    return out


def mobile_panda_urdf() -> str:
    """The wrapper URDF text: base joints and hull, then the Panda with absolute mesh paths."""
    path = panda_urdf_path()
    with open(path, encoding="utf-8") as fh:
        text = fh.read().replace("package://", os.path.dirname(path) + "/")
    mx, my, mz = ARM_MOUNT
    inertial = '<inertial><mass value="{m}"/><inertia ixx="{i}" ixy="0" ixz="0" iyy="{i}" iyz="0" izz="{i}"/></inertial>'
    base = f"""
  <link name="mp_world">{inertial.format(m=0.0, i=0.0)}</link>
  <link name="mp_base_xlink">{inertial.format(m=1.0, i=0.01)}</link>
  <link name="mp_base_ylink">{inertial.format(m=1.0, i=0.01)}</link>
  <link name="mp_base">
    {inertial.format(m=60.0, i=2.0)}
    <visual><origin xyz="0 0 {BASE_HEIGHT / 2}"/><geometry><cylinder radius="{BASE_RADIUS}" length="{BASE_HEIGHT}"/></geometry>
      <material name="mp_dark"><color rgba="0.25 0.25 0.3 1"/></material></visual>
    <visual><origin xyz="-0.18 0 {(1.3 + BASE_HEIGHT) / 2}"/><geometry><box size="0.06 0.06 {1.3 - BASE_HEIGHT}"/></geometry>
      <material name="mp_grey"><color rgba="0.6 0.6 0.6 1"/></material></visual>
    <visual><origin xyz="-0.16 0 1.3"/><geometry><box size="0.1 0.18 0.08"/></geometry>
      <material name="mp_orange"><color rgba="0.9 0.4 0.1 1"/></material></visual>
    <collision><origin xyz="0 0 {BASE_HEIGHT / 2}"/><geometry><cylinder radius="{BASE_RADIUS}" length="{BASE_HEIGHT}"/></geometry></collision>
  </link>
  <joint name="mp_base_x" type="prismatic"><parent link="mp_world"/><child link="mp_base_xlink"/>
    <axis xyz="1 0 0"/><limit effort="600" lower="-1000" upper="1000" velocity="2"/></joint>
  <joint name="mp_base_y" type="prismatic"><parent link="mp_base_xlink"/><child link="mp_base_ylink"/>
    <axis xyz="0 1 0"/><limit effort="600" lower="-1000" upper="1000" velocity="2"/></joint>
  <joint name="mp_base_yaw" type="continuous"><parent link="mp_base_ylink"/><child link="mp_base"/>
    <axis xyz="0 0 1"/><limit effort="150" velocity="3"/></joint>
  <joint name="mp_mount" type="fixed"><parent link="mp_base"/><child link="panda_link0"/>
    <origin xyz="{mx} {my} {mz}" rpy="0 0 0"/></joint>
"""
    return re.sub(r"(<robot[^>]*>)", lambda m: m.group(1) + base, text, count=1)


def load_mobile_panda(p, cid: int, pose=(0.0, 0.0, 0.0)) -> MobilePandaBodies:
    """Load the wrapper URDF (written to a temporary directory, removed after loading) with its
    base joints at `pose` (x, y, yaw); collision groups set, the floor ignored."""
    with tempfile.TemporaryDirectory(prefix="mobile_panda_") as tmp:
        path = os.path.join(tmp, "mobile_panda.urdf")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(mobile_panda_urdf())
        body = p.loadURDF(path, useFixedBase=True, flags=p.URDF_USE_INERTIA_FROM_FILE, physicsClientId=cid)
    n = p.getNumJoints(body, physicsClientId=cid)
    info = [p.getJointInfo(body, j, physicsClientId=cid) for j in range(n)]
    names = [i[1].decode() for i in info]
    links = [i[12].decode() for i in info]
    idx = {nm: j for j, nm in enumerate(names)}
    link0 = links.index("panda_link0")
    robot = MobilePandaBodies(
        body, names, links, (idx["mp_base_x"], idx["mp_base_y"], idx["mp_base_yaw"]),
        tuple(idx[f"panda_joint{k}"] for k in range(1, 8)), (idx["panda_finger_joint1"], idx["panda_finger_joint2"]),
        links.index("panda_grasptarget"), (links.index("panda_leftfinger"), links.index("panda_rightfinger")),
        tuple(range(link0, n)))
    for link in range(-1, n):
        p.setCollisionFilterGroupMask(body, link, ROBOT_GROUP, WORLD_GROUP, physicsClientId=cid)
        p.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0, physicsClientId=cid)
    for j, q in zip(robot.base_joints, pose):
        p.resetJointState(body, j, q, physicsClientId=cid)
    return robot


__all__ = ["HouseBodies", "MobilePandaBodies", "build_house", "furniture_parts", "import_pybullet", "item_mesh",
           "item_surface", "load_mobile_panda", "mobile_panda_urdf"]
