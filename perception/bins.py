"""Theory-of-Space bins for egocentric direction, distance and relative facing.

Angles are egocentric: 0 = straight ahead, positive = clockwise (to the right).

Example:
    >>> direction_bin(-30.0), distance_bin(3.0), relative_facing(90.0, 0.0)
    ('front-left', 'mid distance', 'right')
"""

from __future__ import annotations

import math

import numpy as np

from scenes.frames import wrap_deg

ANGLE_EPS = 1e-6  # a direction within this of straight ahead counts as "front"
DIST_EPS = 1e-6

DIRECTION_NAMES = ("front-left", "front-slight-left", "front", "front-slight-right", "front-right", "beyond-fov")
DISTANCE_EDGES = (2.0, 4.0, 8.0, 16.0, 32.0)
DISTANCE_NAMES = ("same distance", "near", "mid distance", "slightly far", "far", "very far", "extremely far")


def direction_index(angle_deg) -> np.ndarray:
    """Vectorised direction bin: index into DIRECTION_NAMES for each angle."""
    a = (np.asarray(angle_deg, dtype=float) + 180.0) % 360.0 - 180.0
    out = np.full(a.shape, 5)
    out[(a >= -45.0 - ANGLE_EPS) & (a < -22.5)] = 0
    out[(a >= -22.5) & (a < 0)] = 1
    out[(a > 0) & (a <= 22.5)] = 3
    out[(a > 22.5) & (a <= 45.0 + ANGLE_EPS)] = 4
    out[np.abs(a) <= ANGLE_EPS] = 2
    return out


def distance_index(d) -> np.ndarray:
    """Vectorised distance bin: index into DISTANCE_NAMES for each distance."""
    d = np.asarray(d, dtype=float)
    return np.where(d <= DIST_EPS, 0, 1 + np.searchsorted(np.asarray(DISTANCE_EDGES) + DIST_EPS, d, side="left"))


def direction_bin(angle_deg: float) -> str:
    """Egocentric direction bin; 'beyond-fov' outside [-45, 45]."""
    return DIRECTION_NAMES[int(direction_index(angle_deg))]


def distance_bin(d: float) -> str:
    return DISTANCE_NAMES[int(distance_index(d))]


def relative_facing(object_heading: float, agent_heading: float) -> str:
    """Which way an object faces in the agent's frame: forward (same way as the agent,
    i.e. away from it), right, backward (towards the agent) or left."""
    rel = (object_heading - agent_heading) % 360.0
    return ("forward", "right", "backward", "left")[int(round(rel / 90.0)) % 4]


def wall_side(wall_heading: float, agent_heading: float) -> str:
    """Egocentric name of a wall whose outward direction is `wall_heading`."""
    rel = (wall_heading - agent_heading) % 360.0
    return ("front", "right", "back", "left")[int(round(rel / 90.0)) % 4]


def egocentric(dx: float, dy: float, agent_heading: float) -> tuple[float, float]:
    """World offset (dx, dy) -> (angle in degrees clockwise from ahead, distance)."""
    ang = wrap_deg(math.degrees(math.atan2(dx, dy)) - agent_heading)
    return ang, math.hypot(dx, dy)


def agent_frame(dx: float, dy: float, agent_heading: float) -> tuple[float, float]:
    """World offset -> (right, forward) metres in the agent's frame."""
    a = math.radians(agent_heading)
    fwd = dx * math.sin(a) + dy * math.cos(a)
    right = dx * math.cos(a) - dy * math.sin(a)
    return right, fwd
