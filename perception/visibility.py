"""Visibility from the scene itself: field of view, range and ray-cast occlusion.

An entity is visible when its centre lies inside the horizontal field of view (default
90 degrees) of the agent's heading, within range, and at least one of its sample points
(on the object's body, or in a door's opening) can be reached by a ray from the camera
without hitting anything else first. All rays of one query go to the engine in a single
batched call (mj_multiRay on MuJoCo), so walls and closed doors hide other rooms and
furniture hides what stands behind it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from perception import view_kernel
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
    return observe_view(backend, spec, agent_xy, agent_heading, cfg, targets)[0]


def _candidates(spec: SceneSpec, centres: np.ndarray, agent_xy, agent_heading: float, cfg: ViewConfig) -> list[int]:
    """Entities whose centre is in the field of view and range (closed doors left out)."""
    half = cfg.fov_deg / 2 + 1e-6
    lo, hi, n_obj = cfg.min_range, cfg.max_range, len(spec.objects)
    ax, ay = agent_xy
    out = []
    # perception.bins.egocentric inlined with the same math-module calls (numpy's atan2/hypot can differ in the last bit)
    for e, (cx, cy) in enumerate(centres.tolist()):
        dx, dy = cx - ax, cy - ay
        a = (math.degrees(math.atan2(dx, dy)) - agent_heading + 180.0) % 360.0 - 180.0
        ang = 180.0 if a == -180.0 else a
        if lo <= math.hypot(dx, dy) <= hi and abs(ang) <= half:
            if e >= n_obj and not spec.doors[e - n_obj].open:
                continue  # a closed door is part of the wall; report it later as such
            out.append(e)
    return out


def observe_view(
    backend: RayCaster,
    spec: SceneSpec,
    agent_xy: tuple[float, float],
    agent_heading: float,
    cfg: ViewConfig = ViewConfig(),
    targets: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    cells: np.ndarray | None = None,
    height: float = 0.05,
    polar: dict | None = None,
) -> tuple[list[int], np.ndarray | None]:
    """`visible_entities` and, when `cells` are given, `visible_cells` of the same view, their
    rays cast in one batched call (each ray's hit is the same as when cast on its own).
    `polar`, a dict kept by the caller for one `cells` array, caches the cells' bearings and
    distances per agent position (they do not depend on the heading)."""
    pts, owner, centres = targets if targets is not None else sample_points(spec)
    candidates = _candidates(spec, centres, agent_xy, agent_heading, cfg)
    if candidates:
        wanted = np.zeros(len(centres), bool)
        wanted[candidates] = True
        mask = wanted[owner]
        own, ent_pts = owner[mask], pts[mask]
    else:
        own, ent_pts = owner[:0], pts[:0]
    cell_idx = cell_pts = None
    if cells is not None:
        cell_idx = np.flatnonzero(_cells_in_view(cells, agent_xy, agent_heading, cfg, polar))
        cell_pts = np.column_stack([cells[cell_idx], np.full(len(cell_idx), height)])
    all_pts = ent_pts if cell_pts is None else np.concatenate([ent_pts, cell_pts])
    hit: list = []
    clear = unoccluded(backend, all_pts, None, cfg, hit_out=hit)
    seen: list[int] = []
    if len(own):
        c = clear[: len(own)] | (hit[0][: len(own)] == own)
        seen = sorted(set(own[c].tolist()))
    if cells is None:
        return seen, None
    out = np.zeros(len(cells), bool)
    out[cell_idx] = clear[len(own):]
    return seen, out


class ViewGeometry:
    """One scene's Observe, with everything that does not change between views computed once.

    `observe(backend, agent_xy, heading)` answers exactly what `observe_view(backend, spec, agent_xy,
    heading, cfg, targets, cells, height)` answers (same floats, same rays, same order; a test holds
    both to it). Why it is exact: the sample points and raised floor cells are the same rows,
    gathered from one table; the bearings and distances of entity centres and floor cells from an
    agent position are the same math/numpy calls, made once per position instead of once per view;
    the range and closed-door filters depend on the position only, the field-of-view test on the
    heading is repeated per view with the same arithmetic; the ray lengths are
    `np.linalg.norm(vec, axis=1)` written out (its own code for real arrays: sqrt of add.reduce of
    the squares). Fewer numpy calls matter here: an Observe runs right after the physics has
    flushed the caches, where each call costs several times what it costs in a tight loop.
    """

    def __init__(self, spec: SceneSpec, cfg: ViewConfig = ViewConfig(),
                 targets: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 cells: np.ndarray | None = None, height: float = 0.05) -> None:
        pts, owner, centres = targets if targets is not None else sample_points(spec)
        self.spec, self.cfg = spec, cfg
        self.cells = cells
        n_cells = 0 if cells is None else len(cells)
        raised = np.column_stack([cells, np.full(n_cells, height)]) if n_cells else np.zeros((0, 3))
        self._points = np.concatenate([np.asarray(pts, float).reshape(-1, 3), raised])
        self._n_pts = len(pts)
        self._centres = np.asarray(centres, float).tolist()
        n_obj = len(spec.objects)
        self._closed = {n_obj + j for j, d in enumerate(spec.doors) if not d.open}
        # each entity's sample-point rows, in row order (observe_view takes them through a mask, in row order)
        rows: dict[int, list[int]] = {}
        for i, e in enumerate(np.asarray(owner).tolist()):
            rows.setdefault(e, []).append(i)
        self._rows = rows
        self._half = cfg.fov_deg / 2 + 1e-6
        self._at: dict = {}  # agent_xy -> what a view from there needs before its heading is known

    def _from(self, agent_xy) -> tuple:
        """Per agent position, as arrays for `perception.view_kernel`: the entities in range (index,
        bearing, their point rows as CSR ptr/rows) and the floor cells in range (cell index, point row,
        bearing); bearings in degrees."""
        key = tuple(agent_xy)
        got = self._at.get(key)
        if got is not None:
            return got
        cfg, ax, ay = self.cfg, agent_xy[0], agent_xy[1]
        lo, hi = cfg.min_range, cfg.max_range
        ent, bearing, ptr, rows = [], [], [0], []
        for e, (cx, cy) in enumerate(self._centres):  # as _candidates: math-module calls, same order
            dx, dy = cx - ax, cy - ay
            if lo <= math.hypot(dx, dy) <= hi and e not in self._closed:
                ent.append(e)
                bearing.append(math.degrees(math.atan2(dx, dy)))
                rows += self._rows.get(e, [])
                ptr.append(len(rows))
        near_i = np.zeros(0, np.int64)
        near_b = np.zeros(0)
        cells = self.cells
        if cells is not None and len(cells):
            d = cells - np.asarray(agent_xy, float)[None, :]  # as _cells_in_view
            b, dist = np.degrees(np.arctan2(d[:, 0], d[:, 1])), np.hypot(d[:, 0], d[:, 1])
            near_i = np.flatnonzero((lo <= dist) & (dist <= hi))
            near_b = b[near_i]
        got = self._at[key] = (np.array(ent, np.int64), np.array(bearing, float), np.array(ptr, np.int64),
                               np.array(rows, np.int64), near_i, near_i + self._n_pts, near_b)
        return got

    def observe(self, backend: RayCaster, agent_xy, agent_heading: float,
                with_cells: bool = True) -> tuple[list[int], np.ndarray | None]:
        """(visible entities, visible-cells mask), as `observe_view` with this scene's cells; with_cells=False:
        (visible entities, None), as `observe_view` without cells.

        The per-view selection, ray vectors and hit tests run compiled (`perception.view_kernel`), with
        the same IEEE arithmetic as the numpy of `observe_view`; the rays go to the backend in one call."""
        tables = self._from(agent_xy)
        with_cells = with_cells and self.cells is not None
        fused = getattr(backend, "view_rays", None)  # the whole view in one compiled call (MuJoCo)
        if fused is not None:
            got = fused(tables, float(agent_heading), self._half, with_cells, len(self.cells) if with_cells else 0,
                        self._points, HIT_TOLERANCE, self.cfg.max_range + 2.0)
            if got is not None:
                return got[0].tolist(), (got[1] if with_cells else None)
        ent, bearing, ptr, rows, near_i, near_row, near_b = tables
        any_rays = len(rows) or (with_cells and len(near_row))  # the camera is read only for a view with rays
        cam = np.asarray(backend.camera_position(), dtype=np.float64) if any_rays else np.zeros(3)
        slot, cell, dirs, length = view_kernel.pick_rays(bearing, ptr, rows, near_row, near_b, float(agent_heading),
                                                         self._half, with_cells, self._points, cam)
        seen: list[int] = []
        out = np.zeros(len(self.cells), bool) if with_cells else None
        if len(slot):
            dist, hit = backend.cast_rays(cam, dirs, cutoff=self.cfg.max_range + 2.0)
            seen_slots, free = view_kernel.judge_rays(slot, cell, np.asarray(dist, np.float64), np.asarray(hit, np.int64),
                                                      length, ent, HIT_TOLERANCE, len(ent), len(near_i))
            seen = ent[seen_slots].tolist()
            if with_cells:
                out[near_i[free]] = True
        return seen, out


def unoccluded(backend: RayCaster, points: np.ndarray, owner: np.ndarray | None, cfg: ViewConfig,
               hit_out: list | None = None) -> np.ndarray:
    """For each point, whether a ray from the camera reaches it (or first hits its owner).
    `hit_out`, a list, receives the entity each ray hit."""
    if len(points) == 0:
        if hit_out is not None:
            hit_out.append(np.zeros(0, int))
        return np.zeros(0, bool)
    cam = backend.camera_position()
    vec = points - cam[None, :]
    length = np.linalg.norm(vec, axis=1)
    dist, hit = backend.cast_rays(cam, vec / length[:, None], cutoff=cfg.max_range + 2.0)
    clear = (dist < 0) | (dist >= length - HIT_TOLERANCE)
    if owner is not None:
        clear |= hit == owner
    if hit_out is not None:
        hit_out.append(hit)
    return clear


def _cells_in_view(cells: np.ndarray, agent_xy, agent_heading: float, cfg: ViewConfig, polar: dict | None = None) -> np.ndarray:
    key = tuple(agent_xy)
    if polar is not None and key in polar:
        bearing, dist = polar[key]
    else:
        d = cells - np.asarray(agent_xy, float)[None, :]
        bearing, dist = np.degrees(np.arctan2(d[:, 0], d[:, 1])), np.hypot(d[:, 0], d[:, 1])
        if polar is not None:
            polar[key] = (bearing, dist)
    ang = (bearing - agent_heading + 180.0) % 360.0 - 180.0
    return (np.abs(ang) <= cfg.fov_deg / 2 + 1e-6) & (dist <= cfg.max_range) & (dist >= cfg.min_range)


def visible_cells(
    backend: RayCaster, cells: np.ndarray, agent_xy, agent_heading: float, cfg: ViewConfig = ViewConfig(), height: float = 0.05
) -> np.ndarray:
    """Mask of floor cells (centres (n, 2)) the agent sees now: in the field of view, in
    range, and reached by a ray just above the floor (so furniture and walls hide floor)."""
    out = np.zeros(len(cells), bool)
    idx = np.flatnonzero(_cells_in_view(cells, agent_xy, agent_heading, cfg))
    if len(idx):
        pts = np.column_stack([cells[idx], np.full(len(idx), height)])
        out[idx] = unoccluded(backend, pts, None, cfg)
    return out
