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

import numpy as np
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


@njit(cache=True, nogil=True)
def scan_frame(depth, rays, max_range, pose_x, pose_y, cos_h, sin_h, forward, camera_height, low, high, reach, obstacle):
    """One depth frame's columns and obstacles, as OccupancyGrid.integrate's numpy passes made them:
    for each pixel column, the horizontal distance to its nearest point above the floor in range
    (`reach`, max_range where none); and the start-frame x, y of every point in range between `low`
    and `high` (`obstacle`, row-major pixel order). Returns the number of obstacle points.

    Pixel (i, j): d = its depth (inf where not finite), height = ray_y * d + camera_height; in range:
    d finite and <= max_range; above the floor: height > low; an obstacle: also height < high. Its
    point: right = ray_x * d, fwd = -(ray_z * d) + forward, x = pose_x + right * cos_h + fwd * sin_h,
    y = pose_y - right * sin_h + fwd * cos_h (camera_to_start's order of operations)."""
    n_rows, n_cols = depth.shape
    for j in range(n_cols):
        reach[j] = max_range
    n = 0
    for i in range(n_rows):
        for j in range(n_cols):
            d = depth[i, j]
            if not (d <= max_range and d > -math.inf):  # NaN and inf are out of range (depth is a distance)
                continue
            height = rays[i, j, 1] * d + camera_height
            if not height > low:
                continue
            rx = rays[i, j, 0]
            horizontal = d * math.sqrt(rx * rx + 1.0)
            if horizontal < reach[j]:
                reach[j] = horizontal
            if height < high:
                right, fwd = rx * d, -(rays[i, j, 2] * d) + forward
                obstacle[n, 0] = pose_x + right * cos_h + fwd * sin_h
                obstacle[n, 1] = pose_y - right * sin_h + fwd * cos_h
                n += 1
    return n


@njit(cache=True, nogil=True)
def _row_holds(grid, i, value) -> bool:
    """Whether row i holds `value`: the whole row OR-ed (no early exit), which the compiler vectorises."""
    hit = 0
    for j in range(grid.shape[1]):
        hit |= grid[i, j] == value
    return hit != 0


@njit(cache=True, nogil=True)
def value_bounds(grid, value) -> tuple[int, int, int, int]:
    """cv2.boundingRect(grid == value): (x, y, width, height) of the cells holding `value`, (0, 0, 0, 0)
    when none does. One pass that the compiler vectorises (rows tested whole, OR-ed into a column
    mask) instead of OpenCV's compare writing a mask of the whole grid and its bounding box reading it."""
    n_y, n_x = grid.shape
    top = 0
    while top < n_y and not _row_holds(grid, top, value):
        top += 1
    if top == n_y:
        return 0, 0, 0, 0
    bottom = n_y - 1
    while not _row_holds(grid, bottom, value):  # stops at `top` at the latest
        bottom -= 1
    cols = np.zeros(n_x, np.uint8)
    for i in range(top, bottom + 1):
        for j in range(n_x):
            cols[j] |= grid[i, j] == value
    left = 0
    while not cols[left]:
        left += 1
    right = n_x - 1
    while not cols[right]:
        right -= 1
    return left, top, right - left + 1, bottom - top + 1
