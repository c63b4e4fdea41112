"""The model fit's inner loop, compiled: for body-frame points, the nearest part of an object
model (boxes, spheres, vertical cylinders) of the same darkness.

`perception.objects.fit_model` runs 20 fits x 4 steps of this over (fits, points) elements
and up to 16 parts; as numpy passes over (parts, fits, points) arrays it was a third of a
mapper episode. Here each element walks the parts once in a numba loop.

Every element gets the arithmetic of the numpy formulation, operation for operation (no fused
multiply-add: numba compiles without fastmath), so the answer is bit for bit the same; the
reference formulation lives in tests/test_fast_paths.py and the tests hold this kernel to it.

Example:
    >>> import numpy as np
    >>> centre, half = np.zeros((1, 3)), np.full((1, 3), 0.5)   # one unit box at the origin
    >>> q = np.array([[[2.0]], [[0.0]]])                          # a point 1.5 m out along x
    >>> best, j, fixes = nearest_parts(q, np.zeros(1), np.zeros(1, bool), centre, half,
    ...                                np.zeros(1, np.int64), np.zeros(1, bool))
    >>> float(best[0, 0]), int(j[0, 0]), fixes
    (1.5, 0, None)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

BOX, SPHERE, CYLINDER = 0, 1, 2


@njit(cache=True, nogil=True)
def _sign(v: float) -> float:
    """np.sign: +1, -1, +0.0 for either zero, NaN for NaN."""
    if v > 0.0:
        return 1.0
    if v < 0.0:
        return -1.0
    return v * 0.0 if v != v else 0.0


@njit(cache=True, nogil=True)
def _kernel(qx, qy, qz, dark, centre, half, kind, part_dark, best, j, fix_at, fix_part, fix_axis, fix_w) -> int:
    n_fits, n_pts = qx.shape
    n_parts = kind.shape[0]
    n_fix = 0
    for f in range(n_fits):
        for p in range(n_pts):
            z = qz[p]
            b, bj, b_axis, b_w = np.inf, -1, -1, 0.0
            nan, last_axis, last_w = False, -1, 0.0
            for k in range(n_parts):
                rx = qx[f, p] - centre[k, 0]
                ry = qy[f, p] - centre[k, 1]
                rz = z - centre[k, 2]
                hx, hy, hz = half[k, 0], half[k, 1], half[k, 2]
                axis, w = -1, 0.0
                if kind[k] == BOX:
                    # |r| - h floored at 0, squared (numpy: np.maximum, which keeps NaN)
                    ex = abs(rx) - hx
                    if ex < 0.0:
                        ex = 0.0
                    ey = abs(ry) - hy
                    if ey < 0.0:
                        ey = 0.0
                    ez = abs(rz) - hz
                    if ez < 0.0:
                        ez = 0.0
                    d = math.sqrt((ex * ex + ey * ey) + ez * ez)
                    if d == 0.0:  # strictly inside: to the nearest face (ties to the lower axis)
                        gx, gy, gz = hx - abs(rx), hy - abs(ry), hz - abs(rz)
                        if gx > 0.0 and gy > 0.0 and gz > 0.0:
                            axis, g, va, ha = 0, gx, rx, hx
                            if gy < g:
                                axis, g, va, ha = 1, gy, ry, hy
                            if gz < g:
                                axis, g, va, ha = 2, gz, rz, hz
                            w = va - _sign(va) * ha
                            d = math.sqrt(w * w)
                elif kind[k] == SPHERE:
                    n = math.sqrt(rx * rx + ry * ry + rz * rz)
                    m = 1e-9 if n < 1e-9 else n
                    ox = rx - rx / m * hx
                    oy = ry - ry / m * hx
                    oz = rz - rz / m * hx
                    d = math.sqrt(ox * ox + oy * oy + oz * oz)
                else:  # vertical cylinder: radius hx, half length hz
                    rxy = math.hypot(rx, ry)
                    m = 1e-9 if rxy < 1e-9 else rxy
                    scale = hx / m if rxy > hx else 1.0
                    ox, oy = rx - rx * scale, ry - ry * scale
                    oz = rz - min(max(rz, -hz), hz)
                    d2 = (ox * ox + oy * oy) + oz * oz
                    if rxy <= hx and abs(rz) <= hz:  # inside: the nearer of side and cap
                        if hx - rxy < hz - abs(rz):
                            sx, sy = rx - rx / m * hx, ry - ry / m * hx
                            d2 = (sx * sx + sy * sy) + 0.0
                        else:
                            cap = rz - _sign(rz) * hz
                            d2 = 0.0 + cap * cap
                    d = math.sqrt(d2)
                if part_dark[k] != dark[p]:
                    d += 1.0
                if d != d:
                    nan = True
                if d < b:  # strict: the first part at the minimum, as argmin
                    b, bj, b_axis, b_w = d, k, axis, w
                last_axis, last_w = axis, w
            if nan:  # numpy's min is NaN then, and no part equals it: the last part
                b, bj, b_axis, b_w = np.nan, n_parts - 1, last_axis, last_w
            best[f, p] = b
            j[f, p] = bj
            if b_axis >= 0:
                fix_at[n_fix] = f * n_pts + p
                fix_part[n_fix] = bj
                fix_axis[n_fix] = b_axis
                fix_w[n_fix] = b_w
                n_fix += 1
    return n_fix


def nearest_parts(q: np.ndarray, qz: np.ndarray, dark: np.ndarray, centre: np.ndarray, half: np.ndarray,
                  kind: np.ndarray, part_dark: np.ndarray):
    """For body-frame points x, y (q: 2, fits, points) at heights qz (points) of darkness `dark`:
    the distance to the nearest part of the same darkness (a part of the other darkness counts
    1 m more) as (fits, points), that part's index (the first of equal ones), and, for elements
    strictly inside their nearest part, a box, the fix `perception.objects._offsets_at` applies:
    (flat fit*points + point index, part, axis of the nearest face, offset along it), or None.

    Parts: centre (parts, 3); half extents (parts, 3) (sphere: radius first; cylinder: radius,
    -, half length); kind 0 box, 1 sphere, 2 vertical cylinder; darkness."""
    qx, qy = np.ascontiguousarray(q[0], dtype=np.float64), np.ascontiguousarray(q[1], dtype=np.float64)
    n = qx.size
    best, j = np.empty(qx.shape), np.empty(qx.shape, np.int64)
    at, part, axis, w = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    k = _kernel(qx, qy, np.ascontiguousarray(qz, dtype=np.float64), np.ascontiguousarray(dark, dtype=np.bool_),
                np.ascontiguousarray(centre, dtype=np.float64), np.ascontiguousarray(half, dtype=np.float64),
                np.ascontiguousarray(kind, dtype=np.int64), np.ascontiguousarray(part_dark, dtype=np.bool_),
                best, j, at, part, axis, w)
    return best, j, ((at[:k], part[:k], axis[:k], w[:k]) if k else None)
