"""Compile a SceneSpec to a MuJoCo model with MjSpec.

Walls are merged into long boxes along cell boundaries with one-cell gaps at open doors
(closed doors get a panel). Each object is a body with two kinds of geoms:

- its hull (geom group HULL_GROUP, hidden from every camera): the footprint box or
  cylinder plus a thin front plate on objects with a facing. The hull alone collides and
  carries the mass of dynamic objects, and visibility rays hit it first (it encloses the
  model), so physics and text-mode sightings do not depend on how an object looks;
- its model (group PART_GROUP, on a welded child body "look:<name>" so that collision
  detection never looks at it): the parts of `scenes.object_models`, visual only
  (contype = conaffinity = 0, no mass), each with a material whose colour equals the
  geom's rgba, which is what the ray-cast camera shades.

Every geom is mapped back to the scene entity it belongs to, so rays and segmentation
report entity names. The floor carries a 1 m checker texture on the navigation grid; a
key and a fill light give soft shading (`castshadow` off: cameras switch shadows on).

Example:
    >>> from scenes import load_suite_scene
    >>> scene = compile_scene(load_suite_scene("tos-2room", 0))
    >>> scene.entity_names[:1]
    ['cabinet']
"""

from __future__ import annotations

import copy
import dataclasses
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from robots.headless_mujoco import mujoco
from robots.mobile_base import (
    CAMERA,
    CONTACT_SENSOR,
    JOINTS,
    ROBOT_BODY,
    MobileBaseConfig,
    add_mobile_base,
)
from scenes.catalog import CATALOG
from scenes.frames import heading_to_mujoco_yaw
from scenes.keep import Kept
from scenes.object_models import parts
from scenes.spec import SceneSpec

WALL_RGBA = [0.82, 0.80, 0.76, 1.0]
DENSITY = 500.0  # kg/m^3 for dynamic objects (both engines use it)
FLOOR_RGBA = [0.55, 0.55, 0.52, 1.0]  # the floor texture's mean colour (the ray-cast camera's floor)
FLOOR_CHECKER = ([0.58, 0.58, 0.55], [0.52, 0.52, 0.49])  # 1 m tiles, one per navigation cell
DOOR_RGBA = [0.45, 0.28, 0.12, 1.0]
HULL_GROUP = 3  # MuJoCo's renderers show groups 0-2 by default, so hulls stay invisible
PART_GROUP = 1
# Material look per model material name (specular, shininess); the rest get MATTE.
MATTE = (0.15, 0.2)
FINISH = {"screen": (0.9, 0.9), "metal": (0.7, 0.7), "black": (0.5, 0.6), "white": (0.3, 0.4), "front": (0.3, 0.4),
          "gold": (0.6, 0.6)}
_PART_TYPES = {"box": "mjGEOM_BOX", "cylinder": "mjGEOM_CYLINDER", "sphere": "mjGEOM_SPHERE", "capsule": "mjGEOM_CAPSULE"}

# Entity codes in geom_entity for geoms that are not scene objects or doors.
NOT_ENTITY = -1  # floor, walls
ROBOT_ENTITY = -2


@dataclass
class CompiledScene:
    """A MuJoCo model plus the maps from geoms and bodies back to scene entities."""

    model: mujoco.MjModel
    spec: SceneSpec
    entity_names: list[str]  # objects first, then doors
    geom_entity: np.ndarray  # (ngeom,) entity index, NOT_ENTITY or ROBOT_ENTITY
    robot_body: int
    robot_qpos: np.ndarray  # qpos addresses of (x, y, yaw)
    robot_qvel: np.ndarray
    camera: int
    initial_qpos: np.ndarray
    contact_adr: int = -1  # sensordata index of the robot's contact count (robots.mobile_base.CONTACT_SENSOR), -1: none


def wall_segments(spec: SceneSpec) -> list[tuple[float, float, float, float]]:
    """Unit wall edges of all room perimeters, minus door openings, merged into segments.

    Returns (x0, y0, x1, y1) segments on cell boundaries.
    """
    horizontal, vertical = set(), set()  # (x, y): edge from (x,y) to (x+1,y) / (x,y+1)
    for r in spec.rooms:
        for i in range(r.width):
            horizontal |= {(r.x0 + i, r.y0), (r.x0 + i, r.y0 + r.height)}
        for j in range(r.height):
            vertical |= {(r.x0, r.y0 + j), (r.x0 + r.width, r.y0 + j)}
    for d in spec.doors:
        x, y = d.position
        if d.axis == "x":
            horizontal.discard((int(np.floor(x)), int(round(y))))
        else:
            vertical.discard((int(round(x)), int(np.floor(y))))
    segments = []
    for edges, is_h in ((horizontal, True), (vertical, False)):
        lines = defaultdict(list)
        for x, y in edges:
            lines[y if is_h else x].append(x if is_h else y)
        for fixed, coords in sorted(lines.items()):
            coords.sort()
            start = prev = coords[0]
            for c in coords[1:] + [None]:
                if c is not None and c == prev + 1:
                    prev = c
                    continue
                if is_h:
                    segments.append((float(start), float(fixed), float(prev + 1), float(fixed)))
                else:
                    segments.append((float(fixed), float(start), float(fixed), float(prev + 1)))
                if c is not None:
                    start = prev = c
    return segments


def build_spec(spec: SceneSpec, robot: MobileBaseConfig = MobileBaseConfig()) -> tuple[mujoco.MjSpec, list[str]]:
    m = mujoco.MjSpec()
    m.modelname = f"spacelab_{spec.suite or 'scene'}_{spec.seed}"
    m.option.timestep = 0.005
    m.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    m.visual.quality.shadowsize = 1024  # MuJoCo's 4096 default costs ~10x per frame on CPU
    m.add_texture(name="sky", type=mujoco.mjtTexture.mjTEXTURE_SKYBOX, builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
                  rgb1=[0.75, 0.82, 0.9], rgb2=[0.95, 0.95, 0.97], width=64, height=64)
    m.visual.headlight.ambient = [0.32, 0.32, 0.32]
    m.visual.headlight.diffuse = [0.3, 0.3, 0.3]
    m.visual.headlight.specular = [0.05, 0.05, 0.05]
    xmin, ymin, xmax, ymax = spec.bounds
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    # a soft key light from above and to one side (casts shadows when a camera asks), a fill from the other
    m.worldbody.add_light(name="key", pos=[cx, cy, 8.0], dir=[-0.35, -0.25, -1], type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
                          diffuse=[0.5, 0.5, 0.48], specular=[0.15, 0.15, 0.15], castshadow=False)
    m.worldbody.add_light(name="fill", pos=[cx, cy, 8.0], dir=[0.4, 0.3, -1], type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
                          diffuse=[0.22, 0.22, 0.25], specular=[0.0, 0.0, 0.0], castshadow=False)
    m.add_texture(name="floor_tiles", type=mujoco.mjtTexture.mjTEXTURE_2D, builtin=mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
                  rgb1=FLOOR_CHECKER[0], rgb2=FLOOR_CHECKER[1], width=64, height=64)
    floor_mat = m.add_material(name="floor", rgba=[1, 1, 1, 1], texrepeat=[0.5, 0.5], texuniform=True, specular=0.1,
                               shininess=0.1)
    floor_mat.textures[int(mujoco.mjtTextureRole.mjTEXROLE_RGB)] = "floor_tiles"
    m.add_material(name="wall", rgba=WALL_RGBA, specular=0.05, shininess=0.1)
    m.add_material(name="door", rgba=DOOR_RGBA, specular=0.2, shininess=0.3)
    m.worldbody.add_geom(
        name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[(xmax - xmin) / 2 + 1, (ymax - ymin) / 2 + 1, 0.1],
        pos=[cx, cy, 0], rgba=FLOOR_RGBA, material="floor", contype=2, conaffinity=2,  # dynamic objects rest on it; the robot does not
    )
    t, h = spec.wall_thickness, spec.wall_height
    for k, (x0, y0, x1, y1) in enumerate(wall_segments(spec)):
        length = max(x1 - x0, y1 - y0)
        half = [length / 2 + t / 2, t / 2, h / 2] if y0 == y1 else [t / 2, length / 2 + t / 2, h / 2]
        m.worldbody.add_geom(
            name=f"wall_{k}", type=mujoco.mjtGeom.mjGEOM_BOX, size=half,
            pos=[(x0 + x1) / 2, (y0 + y1) / 2, h / 2], rgba=WALL_RGBA, material="wall",
        )
    names = []
    for o in spec.objects:
        names.append(o.name)
        cat = CATALOG.get(o.category)
        rgba = list(cat.rgba) if cat else [0.5, 0.5, 0.5, 1.0]
        width, depth, height = o.size
        yaw = heading_to_mujoco_yaw(o.heading)
        z0 = (height / 2 + o.drop_height) if o.dynamic else 0.0
        body = m.worldbody.add_body(
            name=f"obj:{o.name}", pos=[o.position[0], o.position[1], z0], quat=_yaw_quat(yaw)
        )
        if o.dynamic:  # free body: geoms centred on the body, mass from a wood-like density
            body.add_freejoint()
            z0 = -height / 2
        # Body +x is the object's front; footprint (width, depth) = (across, along) the facing.
        zc = height / 2 + (z0 if o.dynamic else 0.0)
        # The hull. Dynamic objects also touch the floor (contype bit 2); fixed furniture never needs to.
        density = {"density": DENSITY, "contype": 3, "conaffinity": 3} if o.dynamic else {}
        hull = {"group": HULL_GROUP, "rgba": rgba}
        if cat is not None and cat.shape == "cylinder":
            body.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[width / 2, height / 2, 0], pos=[0, 0, zc], **hull,
                          **density)
        else:
            body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[depth / 2, width / 2, height / 2], pos=[0, 0, zc], **hull,
                          **density)
        if o.has_facing:  # the front plate of the hull (the pre-model front panel: same rays, same sightings)
            body.add_geom(
                type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.02, width * 0.4, height * 0.3],
                pos=[depth / 2 + 0.02, 0, zc - height / 2 + height * 0.55], contype=0, conaffinity=0, **hull,
                **({"mass": 0.0} if o.dynamic else {}),
            )
        # the model on a welded child body of its own: with no colliding geom it never enters the broadphase
        look = body.add_body(name=f"look:{o.name}")
        _add_model(m, look, o.category, o.size, z0 if o.dynamic else 0.0)
    for d in spec.doors:
        names.append(d.name)
        body = m.worldbody.add_body(name=f"door:{d.name}", pos=[d.position[0], d.position[1], 0])
        if not d.open:
            half = [0.5, t / 2, h * 0.4] if d.axis == "x" else [t / 2, 0.5, h * 0.4]
            body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=half, pos=[0, 0, h * 0.4], rgba=DOOR_RGBA, material="door")
    add_mobile_base(m, robot)
    return m, names


_COMPILED = Kept(16)  # (spec, robot) -> the CompiledScene that compile_scene copies


def compile_scene(spec: SceneSpec, robot: MobileBaseConfig = MobileBaseConfig()) -> CompiledScene:
    """The scene as a MuJoCo model with its entity maps. Each call returns a model of its own
    (backends move objects in their model), copied from one compiled per (spec, robot): both are
    frozen, so they key it, and a copy (mj_copyModel) costs ~0.3 ms where compiling costs ~5 ms."""
    master = _COMPILED.get((spec, robot), lambda: _compile(spec, robot))
    return dataclasses.replace(
        master, model=copy.copy(master.model), entity_names=list(master.entity_names),
        geom_entity=master.geom_entity.copy(), robot_qpos=master.robot_qpos.copy(),
        robot_qvel=master.robot_qvel.copy(), initial_qpos=master.initial_qpos.copy())


def _compile(spec: SceneSpec, robot: MobileBaseConfig) -> CompiledScene:
    mspec, names = build_spec(spec, robot)
    model = mspec.compile()
    index = {n: i for i, n in enumerate(names)}
    robot_body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, ROBOT_BODY)
    geom_entity = np.full(model.ngeom, NOT_ENTITY, dtype=np.int32)
    for g in range(model.ngeom):
        b = model.geom_bodyid[g]
        bname = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, b) or ""
        if b == robot_body:
            geom_entity[g] = ROBOT_ENTITY
        elif ":" in bname:
            geom_entity[g] = index[bname.split(":", 1)[1]]
    jids = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in JOINTS]
    qpos0 = model.qpos0.copy()
    qadr = np.array([model.jnt_qposadr[j] for j in jids])
    qpos0[qadr] = [spec.start_position[0], spec.start_position[1], heading_to_mujoco_yaw(spec.start_heading)]
    return CompiledScene(
        model=model,
        spec=spec,
        entity_names=names,
        geom_entity=geom_entity,
        robot_body=robot_body,
        robot_qpos=qadr,
        robot_qvel=np.array([model.jnt_dofadr[j] for j in jids]),
        camera=mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, CAMERA),
        initial_qpos=qpos0,
        contact_adr=_sensor_adr(model, CONTACT_SENSOR),
    )


def _sensor_adr(model: mujoco.MjModel, name: str) -> int:
    sensor = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SENSOR, name)
    return int(model.sensor_adr[sensor]) if sensor >= 0 else -1


def _add_model(m: mujoco.MjSpec, body, category: str, size, z_floor: float) -> None:
    """The visual parts of `category`'s model on `body` (whose floor level is z_floor in the body frame)."""
    for p in parts(category, size):
        name = f"{category}:{p.material}"
        if m.material(name) is None:
            spec_, shin = FINISH.get(p.material, MATTE)
            m.add_material(name=name, rgba=list(p.rgba), specular=spec_, shininess=shin)
        geom_size = list(p.size) + [0.0] * (3 - len(p.size))
        body.add_geom(type=getattr(mujoco.mjtGeom, _PART_TYPES[p.shape]), size=geom_size,
                      pos=[p.pos[0], p.pos[1], p.pos[2] + z_floor], quat=list(p.quat), rgba=list(p.rgba), material=name,
                      group=PART_GROUP, contype=0, conaffinity=0, density=0.0)


def _yaw_quat(yaw: float) -> list[float]:
    return [float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2))]
