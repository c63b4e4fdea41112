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
_INT64_MAX = int(np.iinfo(np.int64).max)


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


def label_counts(seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(seg, return_counts=True), without the sort: a segmentation image holds a few small
    labels, so counting them (np.bincount over the label range) gives the same sorted labels, in
    seg's dtype, and counts. Labels spread wider than the image is large (or not integers) take
    np.unique itself.

    Example:
        >>> label_counts(np.array([[3, -1], [3, 0]], np.int32))
        (array([-1,  0,  3], dtype=int32), array([1, 1, 2]))
    """
    flat = np.asarray(seg).ravel()
    if flat.size == 0 or flat.dtype.kind not in "iu":
        return np.unique(flat, return_counts=True)
    lo, hi = int(flat.min()), int(flat.max())
    if hi - lo > flat.size + 1024 or hi > _INT64_MAX:  # sparse labels: the counting table would outgrow the sort
        return np.unique(flat, return_counts=True)
    counts = np.bincount(flat.astype(np.int64) - lo if lo else flat, minlength=hi - lo + 1)
    present = np.flatnonzero(counts)
    return (present + lo).astype(flat.dtype), counts[present]


class Camera(Protocol):
    """Anything that renders a `Frame` of the robot camera from a loaded world."""

    def render(self, world) -> Frame: ...
