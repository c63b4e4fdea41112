"""Information gain as Theory of Space computes it: constraint propagation over grid domains.

Same formula as perception.efficiency, E = sum_i log2(M / C_i) / (N log2 M), but with ToS's
inputs. Each rule below names the ToS code it follows (repository williamzhangNU/ToS_Base):

- Formula (managers/exploration_manager.py `_compute_exploration_quality`): M is the squared
  grid size (`_full_grid_cell_count`: grid_size * grid_size); N counts every variable except
  `initial_pos`, i.e. all objects *and gates* (doors), seen or not; C_i = max(1, count).
- Counts (managers/spatial_solver.py `SpatialSolver.get_num_possible_positions`): a variable
  no triple has touched yet (domain None) counts as the full M; otherwise the size of its domain.
  No upper clip: a domain can be larger than M (see the next rule), giving a negative term.
- Universe (spatial_solver.py `_ensure_domain_initialized`, `add_observation`): domains are
  integer points (x, y) with -g <= x, y <= g around the start (`initial_pos` = (0, 0), fixed by
  `set_initial_position`), i.e. (2g+1)^2 points, not only room cells. Every entity or anchor a
  triple names gets this full box when first touched; a subject whose anchor has 1..10 points is
  instead seeded with the points in the relation's bin around those anchor points
  (`generate_points_for_relationship`). Seeding gives the same set as the full box followed by
  arc revision, so here every touched domain starts as the box and is revised.
- Propagation (spatial_solver.py `AC3Solver.propagate/_revise/_has_support`): AC-3 to a
  fixed point. All constraints between the same two variables must hold for one supporting
  point together (conjunction), so they are combined into one relation per pair.
- Sightings (actions/actions.py `ObserveBase._collect_obj_observations`): one triple per seen
  entity, subject = the entity, anchor = where the agent stands (`BaseAction.get_anchor_name`:
  the entity at the agent's position, else `initial_pos`), relation = the egocentric direction
  bin and distance bin (core/relationship.py `EgoFrontBins`, `StandardDistanceBins`: open
  intervals with 1e-3 deg / 1e-6 slack; both 'beyond-fov' bins accepted), evaluated with the
  agent's exact heading (utils/relationship_utils.py `relationship_applies`). The agent's own
  position is never a separate, known value: it is the anchor's domain, so a sighting prunes
  the subject through every candidate anchor point and the anchor through every subject point.
- Proximity pairs (actions.py `ObserveAction._collect_local_relationships`,
  relationship.py `ProximityRelationship`): each pair of entities in one view closer than 2 m
  gives a triple (first, second, 8-way cardinal bin of first seen from second with the agent's
  facing as north (`CardinalBinsAllo`), distance bin, |d| < 2).
- Query (actions.py `QueryAction`): an exact (degree, distance) relation to `initial_pos`,
  which pins the domain to one point: C_i = 1.

Simplifications (what differs from ToS, and why):

1. Where the agent stands. ToS's Move puts the agent *on* an object or gate, so the anchor is
   that entity. spacelab's MoveTo stops *next to* an object (a free neighbouring cell) or in a
   door's opening. So: an Observe at the start point (within 0.5 m) is anchored at
   `initial_pos`; one at an entity's own position (within 0.5 m: a door opening) is anchored at
   that entity, as in ToS; otherwise the agent's pose is a separate variable `pose@<step>`
   (excluded from N) tied to the nearest entity within `near_radius` (1.5 m, the diagonal
   neighbour) by the relation |pose - entity| <= near_radius, a relation ToS does not have
   (with near_radius = 0 it would be ToS's "on the entity"). With no entity that near, the
   pose variable has no tie and only the sightings constrain it.
2. Which entity is "near" is read from the true start-frame positions (`truth`), as ToS's
   `get_anchor_name` reads the room state; the agent's believed heading is its true heading
   (ToS's is exact as well: 90-degree turns only).
3. Off-grid truth. ToS's positions are integers so its constraints are always consistent.
   Here doors sit on half metres and the agent stops on cell centres or door openings, so a
   binned sighting can contradict every integer point. ToS would raise and leave an empty
   domain (counted as C = 1, full credit); here a constraint that would empty any domain is
   dropped instead (constraints are added one at a time, in log order).
4. A Query pins the domain to the grid point nearest the true position (ToS answers exact
   integer coordinates); if that point was already ruled out, to the nearest surviving point.
5. Grid size g: ToS uses max(mask.shape) of its room mask; here, unless given, the longer side
   (in cells) of the bounding box of the scene's room cells in the start frame.

Example:
    >>> log = [{"step": 1, "position": [0.0, 0.0], "heading": 0.0,
    ...         "sightings": [{"name": "box", "direction": "front", "distance": "near", "offset": [0.0, 1.0]}]}]
    >>> tos_domains(3, ["box"], log, {"box": (0.0, 1.0)})["box"]
    [(0, 1), (0, 2)]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np

INITIAL = "initial_pos"
NEAR_RADIUS = 1.5  # m: the farthest a MoveTo stops from its object (a diagonal neighbour cell)
AT_RADIUS = 0.5  # m: standing "at" an entity / the start point
PROXIMITY_M = 2.0
_PAIRS_BY_FFT = 20_000  # _Solver._support: above this many (point, offset) pairs an FFT is cheaper

_DIR_DEG = {  # EgoFrontBins open intervals (deg, clockwise from ahead)
    "front-left": [(-45.0 - 1e-3, -22.5 - 1e-3)],
    "front-slight-left": [(-22.5 - 1e-3, -1e-3)],
    "front": [(-1e-3, 1e-3)],
    "front-slight-right": [(1e-3, 22.5 + 1e-3)],
    "front-right": [(22.5 + 1e-3, 45.0 + 1e-3)],
    "beyond-fov": [(-180.0 - 1e-9, -45.0 - 1e-3), (45.0 + 1e-3, 180.0 + 1e-9)],
}
_DIST_EDGES = (0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
_DIST_NAMES = ("same distance", "near", "mid distance", "slightly far", "far", "very far", "extremely far")
_DIST_BINS = {n: ((-1e-6, 1e-6) if i == 0 else (_DIST_EDGES[i - 1] + 1e-6, _DIST_EDGES[i] + 1e-6))
              for i, n in enumerate(_DIST_NAMES)}


def grid_size_of(cells: np.ndarray) -> int:
    """ToS's grid_size stand-in: the longer side, in cells, of the cells' bounding box."""
    c = np.rint(np.asarray(cells, float)).astype(int)
    if len(c) == 0:
        return 0
    return int(max(c[:, 0].max() - c[:, 0].min() + 1, c[:, 1].max() - c[:, 1].min() + 1))


def _distance_bin(d: float) -> str:
    for name, (lo, hi) in _DIST_BINS.items():
        if lo < d < hi:
            return name
    return _DIST_NAMES[-1]


def _cardinal(deg):
    """CardinalBinsAllo index: 8 bins of 45 deg centred on north (0), clockwise."""
    w = (np.asarray(deg, float) + 360.0) % 360.0
    return (np.floor((w + 22.5) / 45.0) % 8).astype(int)


class _Solver:
    """Domains as boolean masks over the (2g+1)^2 box; relations as masks over offsets."""

    def __init__(self, g: int):
        self.g = g
        n = 2 * g + 1
        self.n = n
        r = np.arange(-2 * g, 2 * g + 1, dtype=float)
        self.dx, self.dy = np.meshgrid(r, r, indexing="ij")  # offsets subject - anchor
        self.dist = np.hypot(self.dx, self.dy)
        self.dom: dict[str, np.ndarray] = {}
        self.rel: dict[tuple[str, str], np.ndarray] = {}  # (a, b), a < b: allowed pa - pb

    # -- relations -------------------------------------------------------------------
    def _angle(self, heading: float) -> np.ndarray:
        """Clockwise angle of each offset from the heading (relationship_applies' -atan2(cross, dot))."""
        a = np.degrees(np.arctan2(self.dx, self.dy)) - heading
        a = (a + 180.0) % 360.0 - 180.0
        a[self.dist < 1e-6] = 0.0
        return a

    def sighting_rel(self, heading: float, direction: str, distance: str) -> np.ndarray:
        lo, hi = _DIST_BINS[distance]
        ok = (self.dist > lo) & (self.dist < hi)
        ang = self._angle(heading)
        dmask = np.zeros_like(ok)
        for a, b in _DIR_DEG.get(direction, _DIR_DEG["beyond-fov"]):
            dmask |= (ang > a) & (ang < b)
        return ok & dmask

    def proximity_rel(self, heading: float, cardinal: int, distance: str) -> np.ndarray:
        lo, hi = _DIST_BINS[distance]
        ok = (self.dist > lo) & (self.dist < hi) & (self.dist < PROXIMITY_M)
        return ok & (_cardinal(self._angle(heading)) == cardinal)

    def near_rel(self, radius: float) -> np.ndarray:
        return self.dist <= radius + 1e-9

    # -- domains ---------------------------------------------------------------------
    def touch(self, name: str) -> None:
        if name in self.dom:
            return
        if name == INITIAL:
            m = np.zeros((self.n, self.n), bool)
            m[self.g, self.g] = True
        else:
            m = np.ones((self.n, self.n), bool)
        self.dom[name] = m

    def _support(self, src: np.ndarray, rel: np.ndarray) -> np.ndarray:
        """Points p with p - q in rel for some q in src (src dilated by rel), cut to the box.

        The full convolution of src and rel, thresholded, as a set: each (src point, rel offset)
        pair marks one point. Domains and relations are mostly a few points, so the pairs are
        listed directly; past _PAIRS_BY_FFT pairs an FFT convolution counts them (its rounding
        error is far below the 0.5 threshold, so both give the same set)."""
        si, sj = np.nonzero(src)
        if not len(si):
            return np.zeros_like(src)
        ri, rj = np.nonzero(rel)
        g, n = self.g, self.n
        if len(si) * len(ri) > _PAIRS_BY_FFT:
            from scipy.signal import fftconvolve  # here: importing scipy.signal takes ~0.7 s of every process's start

            full = fftconvolve(src.astype(float), rel.astype(float), mode="full")
            return full[2 * g:4 * g + 1, 2 * g:4 * g + 1] > 0.5
        x = (si[:, None] + ri[None, :]).ravel() - 2 * g  # box index of q + offset, as full[2g + x]
        y = (sj[:, None] + rj[None, :]).ravel() - 2 * g
        inside = (x >= 0) & (x < n) & (y >= 0) & (y < n)
        out = np.zeros_like(src)
        out[x[inside], y[inside]] = True
        return out

    def _revise(self, x: str, y: str) -> bool:
        if (x, y) in self.rel:
            sup = self._support(self.dom[y], self.rel[(x, y)])
        else:
            sup = self._support(self.dom[y], self.rel[(y, x)][::-1, ::-1])
        new = self.dom[x] & sup
        if new.sum() == self.dom[x].sum():
            return False
        self.dom[x] = new
        return True

    def _neighbours(self, v: str) -> list[str]:
        return [b if a == v else a for a, b in self.rel if v in (a, b)]

    def propagate(self, arcs: set[tuple[str, str]]) -> bool:
        """AC-3 from `arcs`; False as soon as a domain empties."""
        work = set(arcs)
        while work:
            x, y = work.pop()
            if self._revise(x, y):
                if not self.dom[x].any():
                    return False
                work |= {(k, x) for k in self._neighbours(x) if k != y}
        return True

    def add(self, a: str, b: str, rel: np.ndarray) -> bool:
        """Install `rel` (allowed pa - pb) and propagate; undo everything if a domain empties."""
        self.touch(a)
        self.touch(b)
        saved_dom = {k: v.copy() for k, v in self.dom.items()}
        saved_rel = dict(self.rel)
        key, r = ((a, b), rel) if a < b else ((b, a), rel[::-1, ::-1])
        self.rel[key] = self.rel[key] & r if key in self.rel else r
        if self.propagate({(a, b), (b, a)}):
            return True
        self.dom, self.rel = saved_dom, saved_rel
        return False

    def pin(self, name: str, xy) -> None:
        """Query: the domain becomes one point (the nearest surviving one to `xy`)."""
        self.touch(name)
        g = self.g
        idx = np.argwhere(self.dom[name])
        pts = idx - g
        k = int(np.argmin(np.hypot(pts[:, 0] - xy[0], pts[:, 1] - xy[1])))
        saved = {k2: v.copy() for k2, v in self.dom.items()}
        m = np.zeros_like(self.dom[name])
        m[tuple(idx[k])] = True
        self.dom[name] = m
        if not self.propagate({(k2, name) for k2 in self._neighbours(name)}):
            self.dom = saved  # cannot happen for a point that survived arc consistency; kept safe

    def points(self, name: str) -> list[tuple[int, int]]:
        return sorted((int(i) - self.g, int(j) - self.g) for i, j in np.argwhere(self.dom[name]))


def _anchor_for(obs: dict, truth: dict, solver: _Solver, near_radius: float) -> str:
    """The variable standing for the agent's position at one Observe (simplification 1)."""
    p = np.asarray(obs["position"], float)
    if math.hypot(*p) <= AT_RADIUS:
        return INITIAL
    dists = {n: math.dist(p, xy) for n, xy in truth.items() if xy is not None}
    if dists:
        name = min(dists, key=lambda n: (dists[n], n))
        if dists[name] <= AT_RADIUS:
            return name
        pose = f"pose@{obs.get('step', id(obs))}"
        if dists[name] <= near_radius:
            solver.add(pose, name, solver.near_rel(near_radius))
        return pose
    return f"pose@{obs.get('step', id(obs))}"


def _solve(g: int, entities: Sequence[str], log: Sequence[dict], truth: dict, near_radius: float) -> _Solver:
    solver = _Solver(g)
    solver.touch(INITIAL)
    known = set(entities)
    for ev in log:
        _apply(solver, ev, known, truth, near_radius)
    return solver


def _apply(solver: _Solver, ev: dict, known: set, truth: dict, near_radius: float) -> None:
    """One log event's constraints, in order (a Query's pin, or an Observe's sightings and proximity pairs)."""
    if "query" in ev:
        name = ev["query"]
        if name in known and truth.get(name) is not None:
            solver.pin(name, truth[name])
        return
    heading = float(ev["heading"])
    seen = [s for s in ev.get("sightings", []) if s["name"] in known]
    if not seen:
        return
    anchor = _anchor_for(ev, truth, solver, near_radius)
    for s in seen:
        if s["name"] != anchor:
            solver.add(s["name"], anchor, solver.sighting_rel(heading, s["direction"], s["distance"]))
    for i, a in enumerate(seen):  # proximity pairs, ToS listing order (i < j)
        for b in seen[i + 1:]:
            dr, df = a["offset"][0] - b["offset"][0], a["offset"][1] - b["offset"][1]
            d = math.hypot(dr, df)
            if d < PROXIMITY_M - 1e-6:
                card = int(_cardinal(math.degrees(math.atan2(dr, df))))
                rel = solver.proximity_rel(heading, card, _distance_bin(d))
                solver.add(a["name"], b["name"], rel)


def _gain(solver: _Solver, entities: Sequence[str], m: int) -> float:
    total = 0.0
    for n in entities:
        c = int(solver.dom[n].sum()) if n in solver.dom else m
        total += math.log2(m / max(1, c))
    return total / (len(entities) * math.log2(m))


def tos_domains(g: int, entities: Sequence[str], log: Sequence[dict], truth: dict,
                near_radius: float = NEAR_RADIUS) -> dict[str, list[tuple[int, int]] | None]:
    """Each entity's domain after propagation (None: never touched, counts as M)."""
    solver = _solve(g, entities, log, truth, near_radius)
    return {n: (solver.points(n) if n in solver.dom else None) for n in entities}


def information_gain_tos(cells, entities: Sequence[str], log: Sequence[dict], truth: dict,
                         grid_size: int | None = None, near_radius: float = NEAR_RADIUS) -> float:
    """ToS's information gain E over `entities` (objects and doors).

    `cells`: the scene's room cells in the start frame (for the grid size; see
    simplification 5); `log`: env.observation_log entries (step, position, heading, sightings
    with name/direction/distance/offset) merged in order with {"step", "query": name} entries;
    `truth`: start-frame (x, y) of every entity (for the anchor and Query rules).
    """
    g = int(grid_size) if grid_size is not None else grid_size_of(cells)
    m = g * g
    if m <= 1 or not entities:
        return 0.0
    return _gain(_solve(g, entities, log, truth, near_radius), entities, m)


class TosInformationGainTracker:
    """`information_gain_tos` over a log that grows turn by turn, each call taking only the events
    added since the last: the solver's state after k events depends on those k alone (`_solve`
    applies them one at a time, in order), so the value is the same float as recomputing from the
    whole log, without re-solving every earlier event each turn (a 20-turn episode solved ~10x
    over). An event consumed earlier that differs now (the log was edited, not extended), or
    different `truth`, starts the solver over.

    Example:
        >>> log = [{"step": 1, "position": [0.0, 0.0], "heading": 0.0,
        ...         "sightings": [{"name": "box", "direction": "front", "distance": "near", "offset": [0.0, 1.0]}]}]
        >>> gain = TosInformationGainTracker(None, ["box"], grid_size=3)
        >>> gain(log, {"box": (0.0, 1.0)}) == information_gain_tos(None, ["box"], log, {"box": (0.0, 1.0)}, grid_size=3)
        True
    """

    def __init__(self, cells, entities: Sequence[str], grid_size: int | None = None,
                 near_radius: float = NEAR_RADIUS) -> None:
        self.entities = list(entities)
        self.g = int(grid_size) if grid_size is not None else grid_size_of(cells)
        self.near_radius = near_radius
        self._known = set(self.entities)
        self._truth: dict | None = None
        self._done: list[dict] = []  # copies of the events applied, in order
        self._solver: _Solver | None = None

    def __call__(self, log: Sequence[dict], truth: dict) -> float:
        m = self.g * self.g
        if m <= 1 or not self.entities:
            return 0.0
        k = len(self._done)
        if self._solver is None or truth != self._truth or len(log) < k or any(
                a != b for a, b in zip(log[:k], self._done)):
            self._truth, self._done, k = dict(truth), [], 0
            self._solver = _solve(self.g, self.entities, (), self._truth, self.near_radius)  # no event applied yet
        for ev in log[k:]:
            _apply(self._solver, ev, self._known, self._truth, self.near_radius)
            self._done.append(copy.deepcopy(ev))
        return _gain(self._solver, self.entities, m)
