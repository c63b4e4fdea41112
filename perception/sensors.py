"""Cameras: RGB, depth and segmentation from the robot's viewpoint, two implementations.

- `RayCastCamera`: one `mj_multiRay` call per frame (a ray per pixel). Depth and
  segmentation come straight from the rays, colour from the hit geom's material with
  Lambert shading on the hit normal. The fast default on CPU.
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

import math
from dataclasses import dataclass

import mujoco
import numpy as np

from sim.backends.base import BackendError
from sim.compile_mujoco import NOT_ENTITY, ROBOT_ENTITY

SKY = np.array([200, 214, 230], np.uint8)
FAR = np.inf
DOOR_HEIGHT = 2.0


@dataclass
class Intrinsics:
    width: int
    height: int
    fovy_deg: float = 90.0

    @property
    def f(self) -> float:
        """Focal length in pixels."""
        return self.height / 2 / math.tan(math.radians(self.fovy_deg) / 2)

    @property
    def matrix(self) -> np.ndarray:
        return np.array([[self.f, 0, self.width / 2], [0, self.f, self.height / 2], [0, 0, 1.0]])

    def pixel_rays(self) -> np.ndarray:
        """(H, W, 3) unnormalised ray directions in the camera frame (x right, y up, -z ahead),
        scaled so that z = -1: depth along the axis = distance / |ray|."""
        j, i = np.meshgrid(np.arange(self.width), np.arange(self.height))
        x = (j + 0.5 - self.width / 2) / self.f
        y = (self.height / 2 - (i + 0.5)) / self.f
        return np.stack([x, y, -np.ones_like(x)], axis=-1)


@dataclass
class Frame:
    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float, metres along the optical axis, inf = nothing
    segmentation: np.ndarray  # (H, W) int32 entity index, -1 = walls/floor/sky
    cam_pos: np.ndarray  # world position of the camera
    cam_rot: np.ndarray  # 3x3, columns = camera x, y, z axes in the world
    intrinsics: Intrinsics


def _camera_pose(backend) -> tuple[np.ndarray, np.ndarray]:
    cam = backend.scene.camera
    return backend.data.cam_xpos[cam].copy(), backend.data.cam_xmat[cam].reshape(3, 3).copy()


class RayCastCamera:
    def __init__(self, size: int = 128, fovy_deg: float = 90.0, max_depth: float = 50.0) -> None:
        self.intr = Intrinsics(size, size, fovy_deg)
        self.rays = self.intr.pixel_rays().reshape(-1, 3)
        self.norm = np.linalg.norm(self.rays, axis=1)
        self.max_depth = max_depth
        self._buffers = None

    def render(self, backend) -> Frame:
        if not hasattr(backend, "data"):
            raise BackendError(f"the ray-cast camera needs a MuJoCo backend, not {backend.name!r}")
        m, d = backend.model, backend.data
        pos, rot = _camera_pose(backend)
        n = len(self.rays)
        if self._buffers is None:
            self._buffers = (np.empty(n, np.int32), np.empty(n), np.empty(3 * n))
        geom, dist, normal = self._buffers
        dirs = (self.rays / self.norm[:, None]) @ rot.T
        mujoco.mj_multiRay(m, d, pos, dirs.reshape(-1), None, True, backend.scene.robot_body, geom, dist, normal, n,
                           self.max_depth)
        hit = geom >= 0
        depth = np.where(hit, dist / self.norm, FAR)
        ent = np.where(hit, backend.scene.geom_entity[np.maximum(geom, 0)], NOT_ENTITY)
        ent[ent == ROBOT_ENTITY] = NOT_ENTITY
        # colour: material rgb with Lambert shading against the viewing direction, sky where nothing is hit
        shade = 0.35 + 0.65 * np.abs(np.einsum("ij,ij->i", normal.reshape(-1, 3), dirs))
        rgb = np.where(hit[:, None], m.geom_rgba[np.maximum(geom, 0), :3] * shade[:, None] * 255.0, SKY)
        ent = self._door_signs(backend, pos, dirs, np.where(hit, dist, np.inf), ent)
        h, w = self.intr.height, self.intr.width
        return Frame(rgb.reshape(h, w, 3).astype(np.uint8), depth.reshape(h, w), ent.reshape(h, w).astype(np.int32),
                     pos, rot, self.intr)

    @staticmethod
    def _door_signs(backend, pos, dirs, dist, ent):
        spec = backend.scene.spec
        base = len(spec.objects)
        for k, door in enumerate(spec.doors):
            if not door.open:
                continue
            ax = 0 if door.axis == "y" else 1  # the wall plane is x = const for axis "y"
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (door.position[ax] - pos[ax]) / dirs[:, ax]
            p = pos[None, :] + t[:, None] * dirs
            along = p[:, 1 - ax] - door.position[1 - ax]
            through = (t > 0.3) & (t < dist) & (np.abs(along) < 0.45) & (p[:, 2] > 0) & (p[:, 2] < DOOR_HEIGHT)
            ent = np.where(through & (ent < 0), base + k, ent)  # objects seen through the door keep their id
        return ent


class GLCamera:
    """MuJoCo's OpenGL renderer (headless EGL/OSMesa), same intrinsics as the ray-cast camera."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
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
