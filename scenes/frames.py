"""Headings and coordinate frames shared by scenes, simulation and perception.

Conventions (used everywhere in spacelab):
- World frame: metres, +x = east, +y = north, z up. One grid cell = 1 m.
- Heading: compass degrees, clockwise from +y (north = 0, east = 90, south = 180, west = 270).
- Start frame: origin at the agent's start position, +y along its initial heading
  ("north" in cognitive maps); this is the frame of every ground truth and probe.

Example:
    >>> heading_to_vec(90.0).round(6).tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

import functools
import math

import numpy as np

FACINGS = ("north", "east", "south", "west")


def heading_to_vec(heading_deg: float) -> np.ndarray:
    """Unit vector (x, y) of a compass heading."""
    a = np.deg2rad(heading_deg)
    return np.array([np.sin(a), np.cos(a)])


def heading_to_mujoco_yaw(heading_deg: float) -> float:
    """MuJoCo yaw (radians, counter-clockwise from +x) for a compass heading."""
    return float(np.deg2rad(90.0 - heading_deg))


def mujoco_yaw_to_heading(yaw_rad: float) -> float:
    return (90.0 - math.degrees(yaw_rad)) % 360.0


def wrap_deg(a: float) -> float:
    """Wrap an angle to (-180, 180]."""
    a = (a + 180.0) % 360.0 - 180.0
    return 180.0 if a == -180.0 else a


def facing_name(heading_deg: float) -> str:
    """Nearest cardinal name of a heading ("north", "east", ...)."""
    return FACINGS[int(round((heading_deg % 360.0) / 90.0)) % 4]


def to_start_frame(xy, start_xy, start_heading_deg: float) -> np.ndarray:
    """World (x, y) points -> start frame (origin at start, +y along the start heading)."""
    d = np.asarray(xy, dtype=float) - np.asarray(start_xy, dtype=float)
    a = np.deg2rad(start_heading_deg)
    # Rotate by +heading (counter-clockwise) so that the start heading maps to +y.
    c, s = np.cos(a), np.sin(a)
    x = c * d[..., 0] - s * d[..., 1]
    y = s * d[..., 0] + c * d[..., 1]
    return np.stack([x, y], axis=-1)


def point_to_start_frame(x: float, y: float, start_xy, start_heading_deg: float) -> tuple[float, float]:
    """`to_start_frame` of one point, as two floats: the same IEEE operations without numpy's per-call
    cost (the env converts its pose every turn).

    Example:
        >>> point_to_start_frame(1.0, 0.0, (0.0, 0.0), 90.0) == tuple(to_start_frame((1.0, 0.0), (0.0, 0.0), 90.0))
        True
    """
    c, s = _rotation(float(start_heading_deg))
    dx, dy = float(x) - float(start_xy[0]), float(y) - float(start_xy[1])
    return c * dx - s * dy, s * dx + c * dy


@functools.lru_cache(maxsize=256)
def _rotation(start_heading_deg: float) -> tuple[float, float]:
    a = np.deg2rad(start_heading_deg)  # as to_start_frame
    return float(np.cos(a)), float(np.sin(a))


def from_start_frame(xy, start_xy, start_heading_deg: float) -> np.ndarray:
    """Inverse of `to_start_frame`: start-frame points -> world (x, y)."""
    p = np.asarray(xy, dtype=float)
    a = np.deg2rad(start_heading_deg)
    c, s = np.cos(a), np.sin(a)
    x = c * p[..., 0] + s * p[..., 1]
    y = -s * p[..., 0] + c * p[..., 1]
    return np.stack([x, y], axis=-1) + np.asarray(start_xy, dtype=float)
