"""`ViewGeometry.observe`'s per-view work, compiled: which sample points and floor cells a view
tests, their rays, and what the hits mean.

The arithmetic is the Python's, operation for operation (tests/test_visibility.py holds the two
to the same answers): the field-of-view wrap `(b - h + 180) % 360 - 180` (numba's float % is
Python's), the ray length `sqrt((x*x + y*y) + z*z)` (numpy's add.reduce over three entries adds
them in order), the division by it, and the hit test `d < 0 or d >= length - tolerance`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def pick_rays(ent_bearing, ent_ptr, ent_rows, near_row, near_bearing, heading: float, half: float, with_cells: bool,
              points, cam):
    """The rays of one view: entities (their sample-point rows, CSR `ent_ptr`/`ent_rows`) and, with_cells,
    floor cells whose bearing from the agent is within `half` degrees of `heading`.
    Returns (entity slot per ray (-1 for cells), cell slot per ray (-1 for entity points), unit
    directions (n, 3), lengths (n,))."""
    n_max = ent_rows.shape[0] + (near_row.shape[0] if with_cells else 0)
    slot = np.empty(n_max, np.int64)
    cell = np.empty(n_max, np.int64)
    rows = np.empty(n_max, np.int64)
    n = 0
    for j in range(ent_bearing.shape[0]):
        a = (ent_bearing[j] - heading + 180.0) % 360.0 - 180.0
        if -half <= a <= half:
            for r in range(ent_ptr[j], ent_ptr[j + 1]):
                slot[n], cell[n], rows[n] = j, -1, ent_rows[r]
                n += 1
    if with_cells:
        for j in range(near_row.shape[0]):
            a = (near_bearing[j] - heading + 180.0) % 360.0 - 180.0
            if -half <= a <= half:
                slot[n], cell[n], rows[n] = -1, j, near_row[j]
                n += 1
    dirs = np.empty((n, 3))
    length = np.empty(n)
    for i in range(n):
        p = rows[i]
        x, y, z = points[p, 0] - cam[0], points[p, 1] - cam[1], points[p, 2] - cam[2]
        s = math.sqrt((x * x + y * y) + z * z)
        length[i] = s
        dirs[i, 0], dirs[i, 1], dirs[i, 2] = x / s, y / s, z / s
    return slot[:n], cell[:n], dirs, length


@njit(cache=True, nogil=True)
def judge_rays(slot, cell, dist, hit, length, ent_index, tolerance: float, n_slots: int, n_near: int):
    """What the hits mean: per entity slot, seen when one of its rays is clear (nothing before its
    target, within `tolerance`) or hits the entity itself; per near cell, seen when its ray is clear."""
    seen = np.zeros(n_slots, np.bool_)
    free = np.zeros(n_near, np.bool_)
    for i in range(slot.shape[0]):
        d = dist[i]
        clear = d < 0 or d >= length[i] - tolerance
        s = slot[i]
        if s >= 0:
            if clear or hit[i] == ent_index[s]:
                seen[s] = True
        elif clear:
            free[cell[i]] = True
    return seen, free


__all__ = ["judge_rays", "pick_rays"]
