"""Free-space carving for the occupancy grid, compiled (numba): one ray per pixel column from the
camera across the floor, marking the cells it crosses free (never over an obstacle).

`perception.mapping.OccupancyGrid.integrate` did this as numpy arrays of (columns x steps)
sample points; here each column walks its steps in a loop, with the same arithmetic per sample
(start + step * direction, then floor((x - origin) / res) clipped to the grid), so the same cells
come out. Only FREE is written, so no column sees another's writes: the order does not matter.

Example:
    >>> import numpy as np
    >>> grid = np.zeros((4, 4), np.uint8); grid[0, 2] = 2           # an obstacle at ix 2, iy 0
    >>> carve_columns(grid, np.array([0.1, 0.1]), np.array([0.0, 0.5, 1.0, 1.5]),
    ...               np.array([[1.0, 0.0]]), np.array([2.0]), 0.0, 0.5, 1, 2)
    >>> grid[0].tolist()                                              # free up to it, not over it
    [1, 1, 2, 1]
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, nogil=True)
def carve_columns(grid, start, steps, dirs, limit, origin, res, free, occupied) -> None:
    """For each column k: the sample points start + steps[j] * dirs[k] with steps[j] < limit[k]; their
    cells (grid[iy, ix]) become `free` unless `occupied`."""
    n_y, n_x = grid.shape
    for k in range(dirs.shape[0]):
        for j in range(steps.shape[0]):
            s = steps[j]
            if not s < limit[k]:
                continue
            ix = int(math.floor((start[0] + s * dirs[k, 0] - origin) / res))
            iy = int(math.floor((start[1] + s * dirs[k, 1] - origin) / res))
            ix = min(max(ix, 0), n_x - 1)
            iy = min(max(iy, 0), n_y - 1)
            if grid[iy, ix] != occupied:
                grid[iy, ix] = free
