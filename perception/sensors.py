"""What a camera gives: a pinhole model (`Intrinsics`) and a `Frame` of RGB, depth and
segmentation from the robot's viewpoint, plus the `Camera` interface that the physics layer
implements (`sim.cameras`: a ray-cast camera on mj_multiRay and MuJoCo's OpenGL renderer).

Depth is metres along the optical axis (inf where nothing is hit) and segmentation holds
scene entity indices (objects, then doors; -1 for walls, floor and sky).

Example:
    >>> round(Intrinsics(64, 64).f, 6)  # 90 degree field of view: focal length = half the image
    32.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

FAR = np.inf


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
        scaled so that z = -1: depth along the axis = distance / |ray|.

        Computed once per (width, height, fovy) and shared, read-only: every frame of a camera
        asks for the same rays."""
        key = (self.width, self.height, self.fovy_deg)
        rays = _RAYS.get(key)
        if rays is None:
            j, i = np.meshgrid(np.arange(self.width), np.arange(self.height))
            x = (j + 0.5 - self.width / 2) / self.f
            y = (self.height / 2 - (i + 0.5)) / self.f
            rays = np.stack([x, y, -np.ones_like(x)], axis=-1)
            rays.flags.writeable = False
            _RAYS[key] = rays
        return rays


_RAYS: dict[tuple, np.ndarray] = {}


@dataclass
class Frame:
    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float, metres along the optical axis, inf = nothing
    segmentation: np.ndarray  # (H, W) int32 entity index, -1 = walls/floor/sky
    cam_pos: np.ndarray  # world position of the camera
    cam_rot: np.ndarray  # 3x3, columns = camera x, y, z axes in the world
    intrinsics: Intrinsics


class Camera(Protocol):
    """Anything that renders a `Frame` of the robot camera from a loaded world."""

    def render(self, world) -> Frame: ...
