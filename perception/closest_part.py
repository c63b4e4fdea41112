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
    >>> best, off = nearest_parts(q, np.zeros(1), np.zeros(1, bool), centre, half,
    ...                           np.zeros(1, np.int64), np.zeros(1, bool))
    >>> float(best[0, 0]), off[:, 0, 0].tolist()
    (1.5, [1.5, 0.0, 0.0])
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
    return v if v != v else 0.0


@njit(cache=True, nogil=True)
def _kernel(qx, qy, qz, dark, centre, half, kind, part_dark, best, off) -> None:
    n_fits, n_pts = qx.shape
    n_parts = kind.shape[0]
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
                if k == 0 or d < b:  # strict: the first part at the minimum, as argmin
                    b, bj, b_axis, b_w = d, k, axis, w
                last_axis, last_w = axis, w
            if nan:  # numpy's min is NaN then, and no part equals it: the last part
                b, bj, b_axis, b_w = np.nan, n_parts - 1, last_axis, last_w
            best[f, p] = b
            _offset(qx[f, p] - centre[bj, 0], qy[f, p] - centre[bj, 1], z - centre[bj, 2], half[bj], kind[bj],
                    b_axis, b_w, off[:, f, p])


@njit(cache=True, nogil=True, inline="always")
def _offset(rx, ry, rz, h, kind, axis, w, out) -> None:
    """The offset (point - nearest surface point) to the part the point went to, as the numpy
    formulation computes it: a box clamps (a point strictly inside goes to its nearest face, `axis`,
    offset `w`, the other two r - r), a sphere scales to its radius, a vertical cylinder clamps radially
    and axially (a point inside goes out to the side or to a cap, whichever is nearer)."""
    if kind == BOX:
        if axis >= 0:
            out[0], out[1], out[2] = rx - rx, ry - ry, rz - rz
            out[axis] = w
        else:
            out[0] = rx - min(max(rx, -h[0]), h[0])
            out[1] = ry - min(max(ry, -h[1]), h[1])
            out[2] = rz - min(max(rz, -h[2]), h[2])
    elif kind == SPHERE:
        n = math.sqrt(rx * rx + ry * ry + rz * rz)
        m = 1e-9 if n < 1e-9 else n
        out[0], out[1], out[2] = rx - rx / m * h[0], ry - ry / m * h[0], rz - rz / m * h[0]
    else:
        radius, hl = h[0], h[2]
        rxy = math.hypot(rx, ry)
        m = 1e-9 if rxy < 1e-9 else rxy
        scale = radius / m if rxy > radius else 1.0
        out[0], out[1], out[2] = rx - rx * scale, ry - ry * scale, rz - min(max(rz, -hl), hl)
        if rxy <= radius and abs(rz) <= hl:
            if radius - rxy < hl - abs(rz):
                out[0], out[1] = rx - rx / m * radius, ry - ry / m * radius
            else:
                out[2] = rz - _sign(rz) * hl


def nearest_parts(q: np.ndarray, qz: np.ndarray, dark: np.ndarray, centre: np.ndarray, half: np.ndarray,
                  kind: np.ndarray, part_dark: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For body-frame points x, y (q: 2, fits, points) at heights qz (points) of darkness `dark`:
    the distance to the nearest part of the same darkness (a part of the other darkness counts
    1 m more; the first of equally near parts) as (fits, points), and the offset from that part's
    surface to the point, (3, fits, points).

    Parts: centre (parts, 3); half extents (parts, 3) (sphere: radius first; cylinder: radius,
    -, half length); kind 0 box, 1 sphere, 2 vertical cylinder; darkness."""
    qx, qy = np.ascontiguousarray(q[0], dtype=np.float64), np.ascontiguousarray(q[1], dtype=np.float64)
    best, off = np.empty(qx.shape), np.empty((3,) + qx.shape)
    _kernel(qx, qy, np.ascontiguousarray(qz, dtype=np.float64), np.ascontiguousarray(dark, dtype=np.bool_),
            np.ascontiguousarray(centre, dtype=np.float64), np.ascontiguousarray(half, dtype=np.float64),
            np.ascontiguousarray(kind, dtype=np.int64), np.ascontiguousarray(part_dark, dtype=np.bool_), best, off)
    return best, off
