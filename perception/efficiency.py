"""Exploration efficiency: what the observations so far pin down.

Each binned sighting (direction bin, distance bin, from a known pose) leaves a set of grid
positions where the object can still be; intersecting them over all sightings gives the
object's feasible set C_i. Theory of Space's information gain over N objects and M grid
cells is E = sum_i log2(M / C_i) / (N log2 M): 0 before anything is seen, 1 when every
object is pinned to one cell.

Example:
    >>> cells = np.array([[0, 1], [0, 2], [1, 1]], float)
    >>> int(feasible_mask(cells, [((0, 0), 0.0, "front", "near")]).sum())
    2
"""

from __future__ import annotations

import math

import numpy as np

from perception.bins import (
    DIRECTION_NAMES,
    DISTANCE_NAMES,
    direction_index,
    distance_index,
)
from scenes.keep import Kept


def pose_bins(cells: np.ndarray, pos, heading: float) -> tuple[np.ndarray, np.ndarray]:
    """The direction and distance bin (indices into DIRECTION_NAMES, DISTANCE_NAMES) of every cell
    (n, 2) as seen from `pos` facing `heading`."""
    d = cells - np.asarray(pos, float)[None, :]
    ang = np.degrees(np.arctan2(d[:, 0], d[:, 1])) - heading
    return direction_index(ang), distance_index(np.hypot(d[:, 0], d[:, 1]))


def feasible_mask(cells: np.ndarray, sightings) -> np.ndarray:
    """Cells (n, 2) consistent with every (pose_xy, heading, direction, distance) sighting."""
    mask = np.ones(len(cells), bool)
    for pos, heading, direction, distance in sightings:
        direction_bins, distance_bins = pose_bins(cells, pos, heading)
        mask &= direction_bins == DIRECTION_NAMES.index(direction)
        mask &= distance_bins == DISTANCE_NAMES.index(distance)
    return mask


class SightingMasks:
    """`feasible_mask` over fixed cells, with each standing pose's cell bins kept: the direction and
    distance bin of every cell as seen from (pose_xy, heading), computed once with feasible_mask's
    arithmetic. A sighting is then two comparisons. The sightings of one Observe share a pose, and a
    planner asks for the same domains turn after turn. Poses are keyed by their bits; the least
    recently used go past `keep` poses.

    Example:
        >>> cells = np.array([[0, 1], [0, 2], [1, 1]], float)
        >>> masks = SightingMasks(cells)
        >>> masks.mask([((0, 0), 0.0, "front", "near")]).tolist() == feasible_mask(cells, [((0, 0), 0.0, "front", "near")]).tolist()
        True
    """

    def __init__(self, cells: np.ndarray, keep: int = 256) -> None:
        self.cells = cells
        self._at = Kept(keep)  # pose bits -> pose_bins, as int8

    def mask(self, sightings) -> np.ndarray:
        """Cells consistent with every (pose_xy, heading, direction, distance) sighting: feasible_mask's answer."""
        out = np.ones(len(self.cells), bool)
        for pos, heading, direction, distance in sightings:
            direction_bins, distance_bins = self._bins(pos, heading)
            out &= direction_bins == DIRECTION_NAMES.index(direction)
            out &= distance_bins == DISTANCE_NAMES.index(distance)
        return out

    def _bins(self, pos, heading) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(pos, float).tobytes() + np.float64(heading).tobytes()  # bits: -0.0 and NaN are poses of their own
        return self._at.get(key, lambda: tuple(b.astype(np.int8) for b in pose_bins(self.cells, pos, heading)))


def information_gain(cells: np.ndarray, objects: list[str], log: list[dict]) -> float:
    """ToS information gain E of an observation log (env.observation_log) over `objects`."""
    m = len(cells)
    if m < 2 or not objects:
        return 0.0
    per_object: dict[str, list] = {}
    for obs in log:
        for s in obs["sightings"]:
            per_object.setdefault(s["name"], []).append((obs["position"], obs["heading"], s["direction"], s["distance"]))
    total = 0.0
    for name in objects:
        if name in per_object:
            c = max(1, int(feasible_mask(cells, per_object[name]).sum()))
            total += math.log2(m / c)
    return total / (len(objects) * math.log2(m))


class InformationGainTracker:
    """`information_gain` of a log that grows step by step, each Observe folded in once: an
    object's feasible set is the AND of one mask per sighting, so the mask so far AND the new
    sightings' masks is the same set (and the same float) as intersecting them all again.
    A log that is not the one seen before, or shorter, starts the masks afresh.

    Example:
        >>> cells = np.array([[0, 1], [0, 2], [1, 1]], float)
        >>> log = [{"position": (0, 0), "heading": 0.0, "sightings": [{"name": "a", "direction": "front", "distance": "near"}]}]
        >>> gain = InformationGainTracker(cells, ["a"])
        >>> gain(log) == information_gain(cells, ["a"], log)
        True
    """

    def __init__(self, cells: np.ndarray, objects: list[str]) -> None:
        self.cells, self.objects = cells, objects
        self._sighting_masks = SightingMasks(cells)
        self._log: list | None = None
        self._done = 0  # entries of self._log folded in
        self._masks: dict[str, np.ndarray] = {}

    def __call__(self, log: list[dict]) -> float:
        m = len(self.cells)
        if m < 2 or not self.objects:
            return 0.0
        if log is not self._log or len(log) < self._done:
            self._log, self._done, self._masks = log, 0, {}
        for obs in log[self._done:]:
            for s in obs["sightings"]:
                new = self._sighting_masks.mask([(obs["position"], obs["heading"], s["direction"], s["distance"])])
                old = self._masks.get(s["name"])
                self._masks[s["name"]] = new if old is None else old & new
        self._done = len(log)
        total = 0.0
        for name in self.objects:
            if name in self._masks:
                c = max(1, int(self._masks[name].sum()))
                total += math.log2(m / c)
        return total / (len(self.objects) * math.log2(m))
