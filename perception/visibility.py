"""Visibility from the scene itself: field of view, range and ray-cast occlusion.

An entity is visible when its centre lies inside the horizontal field of view (default
90 degrees) of the agent's heading, within range, and at least one of its sample points
(on the object's body, or in a door's opening) can be reached by a ray from the camera
without hitting anything else first. All rays of one query go to the engine in a single
batched call (mj_multiRay on MuJoCo), so walls and closed doors hide other rooms and
furniture hides what stands behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from perception.bins import egocentric
from scenes.spec import SceneSpec

MAX_FOV_DEG = 180.0  # a horizontal field of view beyond this is not a camera
MAX_RANGE_M = 1000.0
HIT_TOLERANCE = 0.02  # m: a ray that hits nothing before this close to its target sees it


class RayCaster(Protocol):
    """What visibility needs from a physics world (every `sim.backends.Backend` is one)."""

    def camera_position(self) -> np.ndarray:
        """World position (3,) of the robot's camera."""

    def cast_rays(self, origin: np.ndarray, dirs: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
        """(dist, entity) of the first hit of each unit ray; -1 where none (see Backend.cast_rays)."""


@dataclass(frozen=True)
class ViewConfig:
    fov_deg: float = 90.0
    max_range: float = 32.0
    min_range: float = 0.3  # the door you stand in is not "seen"

    def __post_init__(self) -> None:
        # NaN fails every comparison, so each check below also refuses it
        if not (isinstance(self.fov_deg, (int, float)) and 0 < self.fov_deg <= MAX_FOV_DEG):
            raise ValueError(f"fov_deg must be a number in (0, {MAX_FOV_DEG}], got {self.fov_deg!r}")
        if not (isinstance(self.max_range, (int, float)) and 0 < self.max_range <= MAX_RANGE_M):
            raise ValueError(f"max_range must be a number in (0, {MAX_RANGE_M}] m, got {self.max_range!r}")
        if not (isinstance(self.min_range, (int, float)) and 0 <= self.min_range < self.max_range):
            raise ValueError(f"min_range must be a number in [0, max_range), got {self.min_range!r}")


def sample_points(spec: SceneSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ray targets for every entity: (points (n, 3), entity index (n,), centres (E, 2)).

    Objects: the middle of the body and the centre and four inset corners of its top.
    Doors: three points across the opening at 1 m height.
    """
    pts, owner, centres = [], [], []
    for i, o in enumerate(spec.objects):
        x, y = o.position
        h = o.size[2]
        r = 0.35 * min(o.size[0], o.size[1])
        pts += [(x, y, 0.5 * h), (x, y, 0.97 * h)] + [(x + sx * r, y + sy * r, 0.95 * h) for sx in (-1, 1) for sy in (-1, 1)]
        owner += [i] * 6
        centres.append((x, y))
    for j, d in enumerate(spec.doors):
        x, y = d.position
        along = np.array([1.0, 0.0]) if d.axis == "x" else np.array([0.0, 1.0])
        for s in (-0.3, 0.0, 0.3):
            pts.append((x + s * along[0], y + s * along[1], 1.0))
            owner.append(len(spec.objects) + j)
        centres.append((x, y))
    return np.asarray(pts, float), np.asarray(owner, int), np.asarray(centres, float)


def visible_entities(
    backend: RayCaster,
    spec: SceneSpec,
    agent_xy: tuple[float, float],
    agent_heading: float,
    cfg: ViewConfig = ViewConfig(),
    targets: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[int]:
    """Indices (objects then doors) of the entities the agent sees now.

    `agent_xy`/`agent_heading` define the field of view (the agent's nominal pose);
    occlusion rays start at the backend's real camera position.
    """
    pts, owner, centres = targets if targets is not None else sample_points(spec)
    half = cfg.fov_deg / 2 + 1e-6
    candidates = []
    for e, (cx, cy) in enumerate(centres):
        ang, dist = egocentric(cx - agent_xy[0], cy - agent_xy[1], agent_heading)
        if cfg.min_range <= dist <= cfg.max_range and abs(ang) <= half:
            if e >= len(spec.objects) and not spec.doors[e - len(spec.objects)].open:
                continue  # a closed door is part of the wall; report it later as such
            candidates.append(e)
    if not candidates:
        return []
    mask = np.isin(owner, candidates)
    own = owner[mask]
    clear = unoccluded(backend, pts[mask], own, cfg)
    return sorted(set(own[clear].tolist()))


def unoccluded(backend: RayCaster, points: np.ndarray, owner: np.ndarray | None, cfg: ViewConfig) -> np.ndarray:
    """For each point, whether a ray from the camera reaches it (or first hits its owner)."""
    if len(points) == 0:
        return np.zeros(0, bool)
    cam = backend.camera_position()
    vec = points - cam[None, :]
    length = np.linalg.norm(vec, axis=1)
    dist, hit = backend.cast_rays(cam, vec / length[:, None], cutoff=cfg.max_range + 2.0)
    clear = (dist < 0) | (dist >= length - HIT_TOLERANCE)
    if owner is not None:
        clear |= hit == owner
    return clear


def visible_cells(
    backend: RayCaster, cells: np.ndarray, agent_xy, agent_heading: float, cfg: ViewConfig = ViewConfig(), height: float = 0.05
) -> np.ndarray:
    """Mask of floor cells (centres (n, 2)) the agent sees now: in the field of view, in
    range, and reached by a ray just above the floor (so furniture and walls hide floor)."""
    d = cells - np.asarray(agent_xy, float)[None, :]
    ang = (np.degrees(np.arctan2(d[:, 0], d[:, 1])) - agent_heading + 180.0) % 360.0 - 180.0
    dist = np.hypot(d[:, 0], d[:, 1])
    cand = (np.abs(ang) <= cfg.fov_deg / 2 + 1e-6) & (dist <= cfg.max_range) & (dist >= cfg.min_range)
    out = np.zeros(len(cells), bool)
    idx = np.flatnonzero(cand)
    if len(idx):
        pts = np.column_stack([cells[idx], np.full(len(idx), height)])
        out[idx] = unoccluded(backend, pts, None, cfg)
    return out
