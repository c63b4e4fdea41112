"""Cameras on the physics: RGB, depth and segmentation from the robot's viewpoint, two implementations.

- `RayCastCamera`: rays against a copy of the scene's visible geometry, by a compiled caster
  with MuJoCo's ray rules and hits (sim.raycast; `mj_multiRay` for scenes with meshes, or on
  request), coarse to fine: a ray every `stride` pixels, then
  at each halving of the spacing a ray only where the four points around disagree (another
  geom, another face, a curved surface) or near such a cell; points whose four corners hit one
  flat face are intersected with that face's plane exactly. Depth and segmentation come
  straight from the rays, colour from the hit geom's material with Lambert shading on the hit
  normal. The fast default on CPU (`spacelab bench` prints its frames/s).
- `GLCamera`: MuJoCo's OpenGL `Renderer` (EGL, else OSMesa) for photoreal frames.

Both use the robot camera's pose and a pinhole model with the same intrinsics, give depth
as metres along the optical axis (inf where nothing is hit), and segmentation as scene
entity indices (objects, then doors; -1 for walls, floor and sky). The ray-cast camera
also labels the pixels seen through an open door's opening with that door (a "door sign"),
so agents that only see pixels can name doors.

Example:
    >>> from scenes import load_suite_scene
    >>> from sim.backends import make_backend
    >>> b = make_backend("mujoco"); b.load(load_suite_scene("tos-3room", 0))
    >>> f = RayCastCamera(64).render(b)
    >>> f.rgb.shape, f.depth.shape, f.segmentation.shape
    ((64, 64, 3), (64, 64), (64, 64))
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from perception.sensors import FAR, Frame, Intrinsics
from robots.headless_mujoco import mujoco
from scenes.keep import Kept
from sim import raycast
from sim.backends.base import BackendError
from sim.camera_refine import door_signs, fill_level, paint, store, thin_boxes
from sim.compile_mujoco import HULL_GROUP, NOT_ENTITY, PART_GROUP, ROBOT_ENTITY

SKY = np.array([200, 214, 230], np.uint8)
DOOR_HEIGHT = 2.0
_OPENING = np.array([[-0.45, 0.0], [0.45, 0.0], [0.45, DOOR_HEIGHT], [-0.45, DOOR_HEIGHT]])  # (along the wall, z), loop order


def _camera_pose(backend) -> tuple[np.ndarray, np.ndarray]:
    cam = backend.scene.camera
    return backend.data.cam_xpos[cam].copy(), backend.data.cam_xmat[cam].reshape(3, 3).copy()


@dataclass(frozen=True)
class _Level:
    """One refinement step of adaptive ray casting on a size x size image: from a coarse grid of
    points (pixel rows = columns `coarse`) to the grid with a line between every two of its lines
    (`lines`). Every fine point lies in one coarse cell (between coarse lines i, i+1 and j, j+1):
    it is intersected with that cell's face plane when the cell is easy, else cast."""

    lines: np.ndarray  # pixel rows (= columns) of the fine grid
    cell_of: np.ndarray  # for each fine line, the coarse cell it lies in (a line on a coarse line: the cell after)
    coarse_at: np.ndarray  # for each coarse line, its index among the fine lines
    x: np.ndarray  # (L, L) camera-frame ray through each fine point, scaled to z = -1: x, y and its length
    y: np.ndarray
    norm: np.ndarray


def _lines(size: int, stride: int) -> np.ndarray:
    """Grid lines every `stride` pixels, and the last pixel."""
    return np.unique(np.append(np.arange(0, size, stride), size - 1))


def _level(intr: Intrinsics, stride: int) -> _Level:
    size = intr.width
    fine, coarse = _lines(size, stride), _lines(size, 2 * stride)
    cell_of = np.clip(np.searchsorted(coarse, fine, side="right") - 1, 0, len(coarse) - 2)
    rays = intr.pixel_rays()[np.ix_(fine, fine)]
    return _Level(fine, cell_of, np.searchsorted(fine, coarse), rays[..., 0].copy(), rays[..., 1].copy(),
                  np.linalg.norm(rays, axis=2))


_PIXEL_TABLES = Kept(16)  # (size, fovy, stride) -> RayCastCamera's pixel tables


def _pixel_tables(intr: Intrinsics, stride: int) -> tuple:
    """Rays, their norms and unit rays (one row per pixel), the first grid's lines, rows, columns and
    pixels, and the refinement levels of a square camera, made read-only and kept per geometry."""

    def build():
        size = intr.width
        rays = intr.pixel_rays().reshape(-1, 3)
        norm = np.linalg.norm(rays, axis=1)
        first = _lines(size, stride)
        rows, cols = (a.reshape(-1) for a in np.meshgrid(np.arange(len(first)), np.arange(len(first)), indexing="ij"))
        levels = [_level(intr, s) for s in (stride // 2, stride // 4, stride // 8) if s >= 1]
        arrays = [rays, norm, rays / norm[:, None], first, rows, cols, (first[:, None] * size + first[None, :]).reshape(-1)]
        for a in arrays + [a for lv in levels for a in (lv.lines, lv.cell_of, lv.coarse_at, lv.x, lv.y, lv.norm)]:
            a.flags.writeable = False
        return (*arrays, levels)

    return _PIXEL_TABLES.get((intr.width, float(intr.fovy_deg), stride), build)


class _RayScene:
    """The scene's geometry for ray casting: every visible geom (not the robot's, not the objects'
    hulls), the fixed ones in the world body and each moving body's in a body of its own.

    mj_multiRay tests each body's bounding sphere before its geoms, so an object's parts cost
    one sphere test for the rays that pass it by. The physics poses the moving geoms; before
    each frame they are copied here, and each body's sphere is moved with them (the ray test
    reads the sphere's centre as the body's xipos plus its bounding box's centre, so xipos is
    set to put that sum on the box centre carried along rigidly). `source` maps ray-scene geom
    ids back to physics geom ids.
    """

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, robot_body: int) -> None:
        spec = mujoco.MjSpec()
        keep = np.array([g for g in range(model.ngeom)
                         if model.geom_bodyid[g] != robot_body and model.geom_group[g] != HULL_GROUP], np.intp)
        # compiled geoms are numbered body by body, the world's first: add them in that order
        self.source = keep[np.argsort(model.geom_bodyid[keep], kind="stable")]
        owner = model.geom_bodyid[self.source]
        quat = np.empty(4)
        for body_id in np.unique(owner):
            geoms = self.source[owner == body_id]
            body = spec.worldbody if body_id == 0 else spec.worldbody.add_body(
                explicitinertial=True, mass=1.0, inertia=[1.0, 1.0, 1.0])  # inertial frame = body frame = world axes
            for g in geoms:
                mujoco.mju_mat2Quat(quat, data.geom_xmat[g])
                body.add_geom(type=mujoco.mjtGeom(model.geom_type[g]), size=model.geom_size[g],
                              pos=data.geom_xpos[g], quat=quat, rgba=model.geom_rgba[g])
        self.model = spec.compile()
        self.data = mujoco.MjData(self.model)
        mujoco.mj_kinematics(self.model, self.data)
        if not np.array_equal(self.model.geom_bodyid > 0, owner > 0):
            raise RuntimeError("ray scene: compiled geom order does not follow the physics bodies")
        # per moving body: a reference geom (its first) and the body's box centre in that geom's frame
        m, d = self.model, self.data
        self.bodies = np.arange(1, m.nbody)
        self.ref = m.body_geomadr[self.bodies]
        self.box_centre = m.bvh_aabb[m.body_bvhadr[self.bodies], :3]  # read by the ray test as xipos + this
        world = d.xipos[self.bodies] + np.einsum("nij,nj->ni", d.ximat[self.bodies].reshape(-1, 3, 3), self.box_centre)
        self.ref_offset = np.einsum("nji,nj->ni", d.geom_xmat[self.ref].reshape(-1, 3, 3), world - d.geom_xpos[self.ref])
        self._place_spheres(d)
        self.extra: list[mujoco.MjData] = []  # one more MjData per extra ray thread (mj_multiRay uses its data's stack)
        self.moving = np.flatnonzero(model.geom_bodyid[self.source] != 0)
        # model parts (ray-scene ids), their smallest full extent and bounding radius: a part seen thinner
        # than the sample spacing could fall between samples, so the adaptive camera rays its image box
        self.parts = np.flatnonzero(model.geom_group[self.source] == PART_GROUP)
        self.part_half = raycast.local_half(model.geom_type[self.source[self.parts]], model.geom_size[self.source[self.parts]])
        self.part_thin = 2.0 * self.part_half.min(axis=1)
        # the end faces of the other boxes (walls): seen end-on, a wall is a strip thinner than the grid spacing
        # with the same surface on both sides. Each face: geom (ray-scene id), centre and half extents in the geom's
        # frame (the face's own axis flat), outward normal axis and sign, and the full thickness
        faces = []
        for k in np.flatnonzero((model.geom_group[self.source] != PART_GROUP)
                                & (model.geom_type[self.source] == int(mujoco.mjtGeom.mjGEOM_BOX))):
            half = np.array(model.geom_size[self.source[k]][:3], float)
            ax = int(np.argmax(half))
            for sign in (1.0, -1.0):
                centre, flat_half = np.zeros(3), half.copy()
                centre[ax], flat_half[ax] = sign * half[ax], 0.0
                faces.append((k, centre, flat_half, ax, sign, 2.0 * float(np.delete(half, ax).min())))
        self.end_geom = np.array([f[0] for f in faces], np.intp)
        self.end_centre = np.array([f[1] for f in faces]).reshape(-1, 3)
        self.end_half = np.array([f[2] for f in faces]).reshape(-1, 3)
        self.end_axis = np.array([f[3] for f in faces], np.intp)
        self.end_sign = np.array([f[4] for f in faces])
        self.end_thin = np.array([f[5] for f in faces])
        # for the compiled caster (sim.raycast): each geom's local half extents (its image box for
        # the tiles) and whether rays can hit it at all (MuJoCo's rule: a transparent geom or material is skipped)
        m = self.model
        self.compiled = raycast.supported(m.geom_type)
        self.half = raycast.local_half(m.geom_type, m.geom_size)
        alpha = np.where(m.geom_matid >= 0, m.mat_rgba[np.maximum(m.geom_matid, 0), 3] if m.nmat else 0.0, m.geom_rgba[:, 3])
        self.visible = alpha != 0
        self._src_bodies = np.unique(model.geom_bodyid[self.source[self.moving]])
        self._body_pose: np.ndarray | None = None  # the physics bodies' poses at the last sync

    def _place_spheres(self, d: mujoco.MjData) -> None:
        """Put each moving body's bounding sphere on its box centre, carried by its reference geom."""
        ref = self.ref
        centre = d.geom_xpos[ref] + np.einsum("nij,nj->ni", d.geom_xmat[ref].reshape(-1, 3, 3), self.ref_offset)
        d.xipos[self.bodies] = centre - self.box_centre

    def sync(self, data: mujoco.MjData) -> None:
        """Copy the moving geoms' poses from the physics and move their bodies' bounding spheres, when
        a physics body that carries them moved since the last sync (geoms are rigid on their bodies)."""
        pose = np.concatenate([data.xpos[self._src_bodies].reshape(-1), data.xmat[self._src_bodies].reshape(-1)])
        if self._body_pose is not None and np.array_equal(pose, self._body_pose):
            return
        if not np.isfinite(pose).all():
            raise BackendError("a moving body's pose is not finite: the physics state holds NaN or inf")
        self._body_pose = pose
        src = self.source[self.moving]
        pos, xmat = data.geom_xpos[src], data.geom_xmat[src]
        for d in (self.data, *self.extra):
            d.geom_xpos[self.moving] = pos
            d.geom_xmat[self.moving] = xmat
            self._place_spheres(d)
        self._thin_corners()

    def _thin_corners(self) -> None:
        """World corners (n, 8, 3) and full thinnest extents of the boxes that may project thin: the
        model parts, then the walls' end faces (with their centres and outward normals, to tell
        which face the camera)."""
        d = self.data
        xmat = d.geom_xmat[self.parts].reshape(-1, 3, 3)
        corners = d.geom_xpos[self.parts][:, None, :] + np.einsum("nij,nkj->nki", xmat, _CORNERS[None] * self.part_half[:, None])
        emat = d.geom_xmat[self.end_geom].reshape(-1, 3, 3)
        ecentre = d.geom_xpos[self.end_geom] + np.einsum("nij,nj->ni", emat, self.end_centre)
        self.end_normal = emat[np.arange(len(emat)), :, self.end_axis] * self.end_sign[:, None]
        self.end_face_centre = ecentre
        ecorners = ecentre[:, None, :] + np.einsum("nij,nkj->nki", emat, _CORNERS[None] * self.end_half[:, None])
        self.corners = np.concatenate([corners, ecorners]).reshape(-1, 8, 3)
        self.thin = np.concatenate([self.part_thin, self.end_thin])

    def clone(self) -> _RayScene:
        """A ray scene of its own (model and data; the cameras cull in their model) with this one's
        tables, as __init__ would build it from the same physics model and poses."""
        new = copy.copy(self)
        new.model = copy.copy(self.model)
        new.data = mujoco.MjData(new.model)
        mujoco.mj_kinematics(new.model, new.data)
        new.extra, new._body_pose = [], None  # the first sync poses the geoms and places the spheres
        return new

    def datas(self, n: int) -> list[mujoco.MjData]:
        """`n` MjData with the same geom poses, one per ray thread."""
        while len(self.extra) < n - 1:
            d = mujoco.MjData(self.model)
            mujoco.mj_kinematics(self.model, d)  # body frames as in self.data (the ray test reads them)
            d.geom_xpos[:] = self.data.geom_xpos
            d.geom_xmat[:] = self.data.geom_xmat
            d.xipos[:] = self.data.xipos
            self.extra.append(d)
        return [self.data, *self.extra[: n - 1]]


_RAY_SCENES = Kept(16)  # what a ray scene is built from -> a pristine one to clone


def _new_template(backend) -> _RayScene:
    template = _RayScene(backend.model, backend.data, backend.scene.robot_body)
    template.tables = RayCastCamera._lookup(backend.model, backend.scene.geom_entity[template.source], template.source)
    for a in template.tables:
        a.flags.writeable = False
    return template


def _ray_scene(backend) -> _RayScene:
    """The backend's ray scene, built once per scene, robot and starting poses (a new env on a known
    scene gets a clone), with the camera's per-geom lookup tables (`tables`, read-only): the key
    holds the scene spec and the model's and data's geom arrays the build reads, so a model or a
    pose that differs builds anew."""
    m, d, robot_body = backend.model, backend.data, backend.scene.robot_body
    key = (backend.scene.spec, robot_body, m.geom_type.tobytes(), m.geom_size.tobytes(), m.geom_rgba.tobytes(),
           m.geom_group.tobytes(), m.geom_bodyid.tobytes(), m.mat_rgba.tobytes(), m.geom_matid.tobytes(),
           backend.scene.geom_entity.tobytes(), d.geom_xpos.tobytes(), d.geom_xmat.tobytes())
    return _RAY_SCENES.get(key, lambda: _new_template(backend)).clone()  # a spec that is not frozen keeps nothing


MAX_SIZE = 4096  # pixels a side


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


_CORNERS = np.array([[i, j, k] for i in (-1.0, 1.0) for j in (-1.0, 1.0) for k in (-1.0, 1.0)])  # a box's corners / half
_CULLED = 5  # ray-scene group of geoms outside the view
_IN_VIEW = np.array([1, 1, 1, 1, 1, 0], np.uint8)

_NO_THIN = np.zeros((0, 0))  # fill_level's "no thin-box image"
_NO_N, _NO_O = np.zeros((0, 0, 3)), np.zeros((0, 0))  # store's plane grids when no plane is kept
SHADES = 256  # shading levels in the colour table


class RayCastCamera:
    """Ray-cast RGB-D-segmentation camera.

    `rays="compiled"` (the default) casts with sim.raycast: MuJoCo's ray-geom arithmetic, each ray
    testing only the geoms whose image boxes touch its pixel's 8-px tile; its hits equal
    `mj_multiRay`'s bit for bit. `rays="mujoco"` casts with `mj_multiRay` itself (the reference;
    also what a scene with meshes or height fields gets).

    `stride=1` casts one ray per pixel. `stride=2, 4 or 8` (by default 4 from 128 px, else 2)
    casts a ray at every `stride`-th row and column first, then refines level by level (spacing
    halved down to 1): a
    new point is cast when the four points of its cell disagree (another geom, another face, a
    curved surface, nothing hit at some), when a neighbouring cell does (a silhouette's corner
    can poke into a cell whose corners all miss it; not on the last level), or when a model part
    or a wall's end face that projects thinner than the cell spacing may lie there; otherwise it
    is intersected with its cell's face plane. The result equals `stride=1` (depth to ~1e-14 m)
    except at a rare pixel where a part thinner than the spacing escapes its thin-part box (3 of
    240 views of tos-3room at 15-degree steps had 1-3 such pixels; stride 2 before had 2).
    The per-level bookkeeping is compiled (sim.camera_refine). Stride 8 is no faster than 4
    over 60 views and misses more thin parts.
    """

    def __init__(self, size: int = 128, fovy_deg: float = 90.0, max_depth: float = 50.0, stride: int | None = None,
                 threads: int = 1, rays: str = "compiled") -> None:
        if not (_is_int(size) and 2 <= size <= MAX_SIZE):
            raise ValueError(f"size must be an integer number of pixels in [2, {MAX_SIZE}], not {size!r}")
        if not (isinstance(fovy_deg, (int, float)) and not isinstance(fovy_deg, bool) and 0.0 < fovy_deg < 180.0):
            raise ValueError(f"fovy_deg must be an angle in (0, 180) degrees, not {fovy_deg!r}")
        if not (isinstance(max_depth, (int, float)) and not isinstance(max_depth, bool) and max_depth > 0.0):
            raise ValueError(f"max_depth must be a positive distance in metres, not {max_depth!r}")
        if stride is None:  # over 60 views of 5 scenes: 4 at 128 px as fast as 8 (and safer), 2 at 64 px as fast as 4
            stride = 4 if size >= 128 else 2
        if not (_is_int(stride) and stride in (1, 2, 4, 8)):
            raise ValueError(f"stride must be 1 (a ray per pixel) or 2, 4 or 8 (adaptive), not {stride!r}")
        if not (_is_int(threads) and 1 <= threads <= 64):
            raise ValueError(f"threads must be an integer in [1, 64], not {threads!r}")
        if not (isinstance(rays, str) and rays in ("compiled", "mujoco")):
            raise ValueError(f"rays must be 'compiled' (sim.raycast) or 'mujoco' (mj_multiRay), not {rays!r}")
        size, stride, threads = int(size), int(stride), int(threads)
        self.ray_caster = rays
        self._compiled = False  # whether this scene's rays go through sim.raycast (see _sync_scene)
        self._tiles = None  # that caster's tile bins of the current frame
        self.threads = threads
        self._pool = None  # ThreadPoolExecutor for threads > 1 (both casters release the GIL)
        self._last = None  # (key, frame) of the last render, reused while nothing in view moved
        self.intr = Intrinsics(size, size, fovy_deg)
        self.max_depth = max_depth
        self.stride = stride
        # rays (z = -1 scaling: depth = distance / norm); the first grid (every `stride` pixels), then
        # refinement levels down to every pixel: read-only tables shared by the cameras of one geometry
        (self.rays, self.norm, self.unit_rays, self.first, self._first_rows, self._first_cols, self._first_pix,
         self.levels) = _pixel_tables(self.intr, stride)
        self._pixel_rays, self._pixel_norm = self.rays.reshape(size, size, 3), self.norm.reshape(size, size)
        self._model = None
        self._tan_y = self._tan_x = float(np.tan(np.radians(fovy_deg) / 2))  # square images
        self._scene = None  # _RayScene of the backend's current model
        self._tables = None  # per-geom lookup tables of that scene, see _lookup

    def render(self, backend) -> Frame:
        if not hasattr(backend, "data"):
            raise BackendError(f"the ray-cast camera needs a MuJoCo backend, not {backend.name!r}")
        pos, rot = _camera_pose(backend)
        if not (np.isfinite(pos).all() and np.isfinite(rot).all()):
            raise BackendError(f"the camera pose is not finite (position {pos.tolist()}): the physics state holds NaN or inf")
        self._sync_scene(backend)
        key = self._frame_key(pos, rot)
        if self._last is not None and self._last[0] == key:  # nothing moved: the same rays hit the same surfaces
            return _copy(self._last[1])
        frame = self._render(backend, pos, rot)
        self._last = (key, frame)
        return _copy(frame)

    def _frame_key(self, pos, rot) -> tuple:
        """What a frame depends on: the scene, the camera pose and the poses of the geoms that can move."""
        sc = self._scene
        mv = sc.moving
        return (id(sc), pos.tobytes(), rot.tobytes(), sc.data.geom_xpos[mv].tobytes(), sc.data.geom_xmat[mv].tobytes())

    def _render(self, backend, pos, rot) -> Frame:
        self._cull(pos, rot)
        colour, entity, flat = self._tables
        if not self.levels:
            geom, depth, cos = self._cast(pos, rot)
        else:
            geom, depth, cos = self._cast_adaptive(pos, rot, flat)
        # colour: material rgb with Lambert shading against the viewing direction, from one packed table
        rgb, ent = paint(geom, depth, cos, colour, entity, SHADES, FAR)
        self._door_signs(backend, pos, rot, depth, ent)
        return Frame(rgb, depth, ent, pos, rot, self.intr)

    def _sync_scene(self, backend) -> None:
        m, d = backend.model, backend.data
        if self._scene is None or self._model is not m:
            self._model = m
            self._last = None
            self._scene = _ray_scene(backend)
            self._tables = self._scene.tables
            # the compiled caster knows MuJoCo's primitive shapes; a scene with meshes or height fields keeps mj_multiRay
            self._compiled = self.ray_caster == "compiled" and self._scene.compiled
        self._scene.sync(d)

    @staticmethod
    def _lookup(m, geom_entity, source):
        """Per ray-scene geom tables, indexed by geom id + 1 (row 0 = nothing hit): RGB per shading
        level (row (geom + 1) * SHADES + level), entity index, and whether the surface is flat (box
        or plane; "nothing" counts).
        Colours are the geoms' rgba, which the scene compiler sets to their material's colour (for the
        textured floor, the texture's mean)."""
        base = np.vstack([SKY, m.geom_rgba[source, :3] * 255.0])
        level = 0.35 + 0.65 * np.linspace(0.0, 1.0, SHADES)
        level = np.where(np.arange(len(base))[:, None] == 0, 1.0, level[None, :])  # the sky is not shaded
        rgb = np.clip(base[:, None, :] * level[:, :, None], 0, 255).astype(np.uint8).reshape(-1, 3)
        entity = np.append(NOT_ENTITY, geom_entity).astype(np.int32)
        entity[entity == ROBOT_ENTITY] = NOT_ENTITY
        flat = np.append(True, np.isin(m.geom_type[source], (int(mujoco.mjtGeom.mjGEOM_BOX), int(mujoco.mjtGeom.mjGEOM_PLANE))))
        return rgb, entity, flat

    def _cast(self, pos, rot):
        """A ray per pixel: (H, W) geom ids (-1 = nothing), depth and |cos| to the normal."""
        h, w = self.intr.height, self.intr.width
        pix = np.arange(h * w)
        G, D, C = np.empty((h, w), np.int32), np.empty((h, w)), np.empty((h, w))
        store(G, D, C, _NO_N, _NO_O, pix // w, pix % w, pix, *self._rays(pos, rot, pix), self.norm, rot, False)
        return G, D, C

    def _cull(self, pos, rot) -> None:
        """Keep the rays to the geoms that can be in view. Compiled rays: bin each geom's image box into
        pixel tiles (sim.raycast.bin_tiles); mj_multiRay: move the geoms whose bounding spheres lie
        outside the view frustum to group _CULLED, which the rays skip. Either way the image is the same."""
        sc = self._scene
        m, d = sc.model, sc.data
        if self._compiled:
            self._tiles = raycast.bin_tiles(m.geom_type, d.geom_xpos, d.geom_xmat, sc.half, m.geom_rbound, sc.visible,
                                            self.max_depth, pos, rot, self.intr.f, self.intr.height, self.intr.width,
                                            raycast.TILE)
            return
        c = (d.geom_xpos - pos) @ rot  # camera frame: x right, y up, -z ahead
        r, ahead = m.geom_rbound, -c[:, 2]
        slack = r * 1.5  # the frustum's side planes are at 45 degrees: r * sqrt(2) and a margin
        keep = (r <= 0) | ((ahead + r > 0) & (np.abs(c[:, 0]) <= ahead * self._tan_x + slack)
                           & (np.abs(c[:, 1]) <= ahead * self._tan_y + slack))
        m.geom_group[:] = np.where(keep, 0, _CULLED)

    def _rays(self, pos, rot, pix):
        """Rays from `pos` through pixels `pix` (flat indices), split over `threads` (each ray's hit is
        the same however the rays are split): geom ids, distances, world normals and unit world rays."""
        n = len(pix)
        dirs = np.take(self.unit_rays, pix, axis=0) @ rot.T
        geom, dist, normal = np.empty(n, np.int32), np.empty(n), np.empty((n, 3))
        model, data = self._scene.model, self._scene.data
        if self._compiled:
            start, ids = self._tiles

            def cast(data, a, b):
                raycast.cast(model.geom_type, data.geom_xpos, data.geom_xmat, model.geom_size, start, ids, pos,
                             dirs[a:b], pix[a:b], self.intr.width, raycast.TILE, geom[a:b], dist[a:b], normal[a:b])
        else:
            flat = dirs.reshape(-1)

            def cast(data, a, b):
                if b > a:
                    mujoco.mj_multiRay(model, data, pos, flat[3 * a:3 * b], _IN_VIEW, True, -1, geom[a:b], dist[a:b],
                                       normal[a:b].reshape(-1), b - a, self.max_depth)

        # a batch is split only where each thread gets enough rays to outweigh its hand-over (~20-40 us)
        k = min(self.threads, max(1, n // (1024 if self._compiled else 256)))
        if k == 1:
            cast(data, 0, n)
        else:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="raycast")
            datas, cuts = self._scene.datas(k), [n * i // k for i in range(k + 1)]
            jobs = [self._pool.submit(cast, datas[i], cuts[i], cuts[i + 1]) for i in range(1, k)]
            cast(datas[0], cuts[0], cuts[1])
            for j in jobs:
                j.result()
        return geom, dist, normal, dirs

    def close(self) -> None:
        """Stop the ray threads (if any)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _cast_adaptive(self, pos, rot, flat):
        """Coarse to fine (see the class): (H, W) geom ids, depth and |cos|."""
        L = len(self.first)
        # the first grid, with each point's face plane in the camera frame: normal n_c and n . (hit - camera)
        g, depth, cos = np.empty((L, L), np.int32), np.empty((L, L)), np.empty((L, L))
        n_cam, offset = np.empty((L, L, 3)), np.empty((L, L))
        store(g, depth, cos, n_cam, offset, self._first_rows, self._first_cols, self._first_pix,
              *self._rays(pos, rot, self._first_pix), self.norm, rot, True)
        thin = self._thin_widths(pos, rot)
        last = len(self.levels) - 1
        for k, lv in enumerate(self.levels):
            g, depth, cos, n_cam, offset = self._refine(lv, pos, rot, flat, thin, g, depth, cos, n_cam, offset, k == last)
        return g, depth, cos

    def _refine(self, lv, pos, rot, flat, thin, g, depth, cos, n_cam, offset, last):
        """Values at every point of the level's fine grid (2-D arrays) from those at its coarse points:
        sim.camera_refine.fill_level, then rays where it could not tell."""
        G, D, C, N, O, r, c, pix = fill_level(g, depth, cos, n_cam, offset, flat, lv.lines, lv.cell_of, lv.coarse_at,
                                              lv.x, lv.y, lv.norm, _NO_THIN if thin is None else thin,
                                              2 * (lv.lines[1] - lv.lines[0]) + 0.5, last, self.intr.width)
        store(G, D, C, N, O, r, c, pix, *self._rays(pos, rot, pix), self.norm, rot, not last)
        return G, D, C, N, O

    def _thin_widths(self, pos, rot) -> np.ndarray | None:
        """(H, W) image of the smallest projected width (pixels) of the thin boxes whose image box covers
        each pixel (inf elsewhere), or None when no box in view is thin. A level refines the points where
        this is below its coarse grid's spacing (+ half a pixel). The boxes are the model parts, and
        the walls' end faces that face the camera (sim.camera_refine.thin_width_image has the rules)."""
        sc = self._scene
        if len(sc.thin) == 0:
            return None
        out, painted = thin_boxes(sc.corners, pos, rot, sc.thin, len(sc.parts), sc.end_face_centre, sc.end_normal,
                                  self.intr.f, self.intr.height, self.intr.width, self.stride + 0.5)
        return out if painted else None

    def _door_signs(self, backend, pos, rot, depth, ent) -> None:
        """Label wall/floor/sky pixels seen through an open door's opening with that door (in place;
        sim.camera_refine.door_signs). Objects seen through the door keep their id."""
        spec = backend.scene.spec
        doors = [(0.0 if d.axis == "y" else 1.0, d.position[0], d.position[1], len(spec.objects) + k)
                 for k, d in enumerate(spec.doors) if d.open]
        if doors:
            door_signs(ent, depth, self._pixel_rays, self._pixel_norm, rot, pos, np.array(doors, float),
                       self.intr.f, _OPENING, DOOR_HEIGHT)


def _copy(f: Frame) -> Frame:
    """A frame with its own arrays (the camera keeps the last one to reuse)."""
    return Frame(f.rgb.copy(), f.depth.copy(), f.segmentation.copy(), f.cam_pos.copy(), f.cam_rot.copy(), f.intrinsics)


def set_shadows(renderer, on: bool) -> None:
    """After `renderer.update_scene`: shadows from the scene's key light (its first light) on or off."""
    scn = renderer.scene
    scn.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = on
    lights = [scn.lights[i] for i in range(scn.nlight) if not scn.lights[i].headlight]
    if lights:
        lights[0].castshadow = on


class GLCamera:
    """MuJoCo's OpenGL renderer (headless EGL/OSMesa), same intrinsics as the ray-cast camera.

    `shadows=True` lets the scene's key light cast shadows (off by default: agent frames on a
    CPU renderer stay cheap); objects' hulls (geom group HULL_GROUP) are never drawn.
    """

    def __init__(self, size: int = 128, shadows: bool = False) -> None:
        self.size = size
        self.shadows = shadows
        self.renderer = None
        self._model = None

    def render(self, backend) -> Frame:
        if not hasattr(backend, "data"):
            raise BackendError(f"the GL camera needs a MuJoCo backend, not {backend.name!r}")
        m, d = backend.model, backend.data
        if self.renderer is not None and self._model is not m:  # a renderer is bound to one model
            self.close()
        if self.renderer is None:
            self._model = m
            try:
                self.renderer = mujoco.Renderer(m, height=self.size, width=self.size)
            except Exception as e:
                raise BackendError(f"OpenGL rendering unavailable ({e}); install libegl1 or libosmesa6 and set "
                                   "MUJOCO_GL=egl or osmesa, or use the ray-cast camera") from None
        r, cam = self.renderer, backend.scene.camera
        r.update_scene(d, camera=cam)
        set_shadows(r, self.shadows)
        rgb = r.render().copy()
        r.enable_depth_rendering()
        r.update_scene(d, camera=cam)
        depth = r.render().astype(np.float64)
        r.disable_depth_rendering()
        r.enable_segmentation_rendering()
        r.update_scene(d, camera=cam)
        seg = r.render()
        r.disable_segmentation_rendering()
        far = 0.99 * m.vis.map.zfar * m.stat.extent
        depth[depth >= far] = FAR
        geom = np.where(seg[:, :, 1] == int(mujoco.mjtObj.mjOBJ_GEOM), seg[:, :, 0], -1)
        ent = np.where(geom >= 0, backend.scene.geom_entity[np.maximum(geom, 0)], NOT_ENTITY)
        ent[ent == ROBOT_ENTITY] = NOT_ENTITY
        pos, rot = _camera_pose(backend)
        intr = Intrinsics(self.size, self.size, float(m.cam_fovy[cam]))
        return Frame(rgb, depth, ent.astype(np.int32), pos, rot, intr)

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None
