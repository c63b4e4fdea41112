"""The model fit's inner loops, compiled: for body-frame points, the nearest part of an object
model (boxes, spheres, vertical cylinders) of the same darkness (`nearest_parts`), and the
fit's closest-point steps around it (`fit_steps`).

`perception.objects.fit_model` runs 20 fits x 4 steps over up to ~300 points and up to 16
parts; as numpy passes over (parts, fits, points) arrays it was a third of a mapper episode.
Here each fit runs its steps in one compiled loop, and each point walks the parts once.

Every element gets the arithmetic of the numpy formulation, operation for operation (no fused
multiply-add: numba compiles without fastmath), so the answer is bit for bit the same; the
reference formulation lives in tests/test_fast_paths.py and the tests hold these kernels to it.
Three savings keep that: a box is measured without branches (both of its cases computed, one
kept); a cylinder or sphere is skipped when a cheap lower bound on its distance (no hypot, no
square root) already exceeds the nearest part so far, so it could not have been chosen; and the
radial length a round part's distance needed is kept for its offset, not computed again.

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
ROUNDING_MARGIN = 1e-9  # m: a skipped part's lower bound exceeds the best by more than d's rounding


@njit(cache=True, nogil=True, inline="always")
def _sign(v: float) -> float:
    """np.sign: +1, -1, +0.0 for either zero, NaN for NaN."""
    if v > 0.0:
        return 1.0
    if v < 0.0:
        return -1.0
    return v if v != v else 0.0


@njit(cache=True, nogil=True, inline="always")
def _round_part(kind, rx, ry, rz, hx, hz):
    """(distance, radial length) from a point (rx, ry, rz from the part's centre) to a sphere
    (radius hx; |r|) or a vertical cylinder (radius hx, half length hz; hypot(rx, ry)): the point
    inside a cylinder goes to the nearer of side and cap. `_offset` takes the radial length back."""
    if kind == SPHERE:
        n = math.sqrt(rx * rx + ry * ry + rz * rz)
        m = 1e-9 if n < 1e-9 else n
        ox = rx - rx / m * hx
        oy = ry - ry / m * hx
        oz = rz - rz / m * hx
        return math.sqrt(ox * ox + oy * oy + oz * oz), n
    rxy = math.hypot(rx, ry)
    m = 1e-9 if rxy < 1e-9 else rxy
    scale = hx / m if rxy > hx else 1.0
    ox, oy = rx - rx * scale, ry - ry * scale
    oz = rz - min(max(rz, -hz), hz)
    d2 = (ox * ox + oy * oy) + oz * oz
    if rxy <= hx and abs(rz) <= hz:
        if hx - rxy < hz - abs(rz):
            sx, sy = rx - rx / m * hx, ry - ry / m * hx
            d2 = (sx * sx + sy * sy) + 0.0
        else:
            cap = rz - _sign(rz) * hz
            d2 = 0.0 + cap * cap
    return math.sqrt(d2), rxy


@njit(cache=True, nogil=True, inline="always")
def _box(rx, ry, rz, hx, hy, hz):
    """(distance, axis, w) from a point to a box: |r| - h floored at 0 (a NaN stays NaN); a point
    strictly inside goes to its nearest face (axis, ties to the lower one), at offset w along it."""
    ax, ay, az = abs(rx), abs(ry), abs(rz)
    ex = ax - hx
    ex = 0.0 if ex < 0.0 else ex
    ey = ay - hy
    ey = 0.0 if ey < 0.0 else ey
    ez = az - hz
    ez = 0.0 if ez < 0.0 else ez
    d = math.sqrt((ex * ex + ey * ey) + ez * ez)
    gx, gy, gz = hx - ax, hy - ay, hz - az
    inside = (d == 0.0) & (gx > 0.0) & (gy > 0.0) & (gz > 0.0)
    y_less = gy < gx
    z_less = gz < (gy if y_less else gx)
    va = rz if z_less else (ry if y_less else rx)
    ha = hz if z_less else (hy if y_less else hx)
    w = va - _sign(va) * ha  # kept only inside, where va is finite
    return (math.sqrt(w * w) if inside else d), ((2 if z_less else (1 if y_less else 0)) if inside else -1), (w if inside else 0.0)


@njit(cache=True, nogil=True, inline="always")
def _part(kind, rx, ry, rz, hx, hy, hz):
    """(distance, axis, w): a box's (`_box`), or a round part's with its radial length as w."""
    if kind == BOX:
        return _box(rx, ry, rz, hx, hy, hz)
    d, radial = _round_part(kind, rx, ry, rz, hx, hz)
    return d, -1, radial


@njit(cache=True, nogil=True, inline="always")
def _offset(rx, ry, rz, hx, hy, hz, kind, axis, w):
    """The offset (point - nearest surface point) to the part the point went to, as the numpy
    formulation computes it: a box clamps (a point strictly inside goes to its nearest face, `axis`,
    offset `w`, the other two r - r), a sphere scales to its radius, a vertical cylinder clamps radially
    and axially (a point inside goes out to the side or to a cap, whichever is nearer). For a round
    part, `w` is the radial length `_round_part` found (|r|, or hypot(rx, ry): not computed twice)."""
    if kind == BOX:
        if axis >= 0:
            o0, o1, o2 = rx - rx, ry - ry, rz - rz
            if axis == 0:
                o0 = w
            elif axis == 1:
                o1 = w
            else:
                o2 = w
            return o0, o1, o2
        return rx - min(max(rx, -hx), hx), ry - min(max(ry, -hy), hy), rz - min(max(rz, -hz), hz)
    if kind == SPHERE:
        n = w
        m = 1e-9 if n < 1e-9 else n
        return rx - rx / m * hx, ry - ry / m * hx, rz - rz / m * hx
    rxy = w
    m = 1e-9 if rxy < 1e-9 else rxy
    scale = hx / m if rxy > hx else 1.0
    o0, o1, o2 = rx - rx * scale, ry - ry * scale, rz - min(max(rz, -hz), hz)
    if rxy <= hx and abs(rz) <= hz:
        if hx - rxy < hz - abs(rz):
            o0, o1 = rx - rx / m * hx, ry - ry / m * hx
        else:
            o2 = rz - _sign(rz) * hz
    return o0, o1, o2


@njit(cache=True, nogil=True)
def _nearest_row(qx, qy, qz, dark, centre, half, kind, part_dark, best, off0, off1, off2) -> None:
    """One fit's points (qx, qy, qz: 1-D): the distance to the nearest part (as argmin: the first of
    equal ones; a NaN anywhere makes it NaN and the part the last) and the offset to it."""
    n_pts, n_parts = qx.shape[0], kind.shape[0]
    part = np.empty(n_pts, np.int64)
    axes = np.empty(n_pts, np.int64)
    ws = np.empty(n_pts)
    nan = np.zeros(n_pts, np.bool_)
    for k in range(n_parts):
        kk, pd = kind[k], part_dark[k]
        cx, cy, cz = centre[k, 0], centre[k, 1], centre[k, 2]
        hx, hy, hz = half[k, 0], half[k, 1], half[k, 2]
        if kk == BOX:  # one loop per kind, so the box loop has no branches left
            for p in range(n_pts):
                d, axis, w = _box(qx[p] - cx, qy[p] - cy, qz[p] - cz, hx, hy, hz)
                if pd != dark[p]:
                    d += 1.0
                if d != d:
                    nan[p] = True
                if k == 0 or d < best[p]:  # strict: the first part at the minimum, as argmin
                    best[p], part[p], axes[p], ws[p] = d, k, axis, w
            continue
        for p in range(n_pts):
            rx, ry, rz = qx[p] - cx, qy[p] - cy, qz[p] - cz
            if k > 0:
                ax, ay, az = abs(rx), abs(ry), abs(rz)
                if ax < np.inf and ay < np.inf and az < np.inf:  # finite: d cannot be NaN
                    # <= the distance to the solid part: max(|rx|, |ry|) <= hypot(rx, ry), and all three <= |r|
                    bound = max(max(ax, ay) - hx, az - hz) if kk == CYLINDER else max(max(ax, ay), az) - hx
                    if pd != dark[p]:
                        bound += 1.0
                    if bound - ROUNDING_MARGIN > best[p]:
                        continue
            d, radial = _round_part(kk, rx, ry, rz, hx, hz)
            if pd != dark[p]:
                d += 1.0
            if d != d:
                nan[p] = True
            if k == 0 or d < best[p]:
                best[p], part[p], axes[p], ws[p] = d, k, -1, radial
    for p in range(n_pts):
        j, axis, w = part[p], axes[p], ws[p]
        rx, ry, rz = qx[p] - centre[j, 0], qy[p] - centre[j, 1], qz[p] - centre[j, 2]
        if nan[p]:  # numpy's min is NaN then, and no part equals it: the last part
            j = n_parts - 1
            rx, ry, rz = qx[p] - centre[j, 0], qy[p] - centre[j, 1], qz[p] - centre[j, 2]
            _, axis, w = _part(kind[j], rx, ry, rz, half[j, 0], half[j, 1], half[j, 2])
            best[p] = np.nan
        off0[p], off1[p], off2[p] = _offset(rx, ry, rz, half[j, 0], half[j, 1], half[j, 2], kind[j], axis, w)


@njit(cache=True, nogil=True)
def _kernel(qx, qy, qz, dark, centre, half, kind, part_dark, best, off) -> None:
    for f in range(qx.shape[0]):
        _nearest_row(qx[f], qy[f], qz, dark, centre, half, kind, part_dark, best[f], off[0, f], off[1, f], off[2, f])


@njit(cache=True, nogil=True)
def _body(px, py, tx, ty, basis, qx, qy) -> None:
    """Body-frame x, y of start-frame points for a body at (tx, ty) with axes `basis` (rows):
    (p - t) @ basis.T as numpy's product makes it, (p - t)_0 * b_a0 + (p - t)_1 * b_a1."""
    for p in range(px.shape[0]):
        dx, dy = px[p] - tx, py[p] - ty
        qx[p] = dx * basis[0, 0] + dy * basis[0, 1]
        qy[p] = dx * basis[1, 0] + dy * basis[1, 1]


@njit(cache=True, nogil=True)
def _near_mean(dist, off0, off1, robust):
    """(count, mean x, mean y) of the offsets of the points nearer than `robust`, as
    np.mean of the (count, 2) rows makes it: summed in order from +0.0, then divided."""
    count, s0, s1 = 0, 0.0, 0.0
    for p in range(dist.shape[0]):
        if dist[p] < robust:
            count += 1
            s0 += off0[p]
            s1 += off1[p]
    if count == 0:
        return 0, np.nan, np.nan
    return count, s0 / count, s1 / count


@njit(cache=True, nogil=True)
def _fit_kernel(px, py, qz, dark, centre, half, kind, part_dark, bases, robust, steps, t, final) -> None:
    n = px.shape[0]
    qx, qy, off = np.empty(n), np.empty(n), np.empty((3, n))
    for f in range(t.shape[0]):
        basis, moving = bases[f], True
        for _ in range(steps):
            _body(px, py, t[f, 0], t[f, 1], basis, qx, qy)
            _nearest_row(qx, qy, qz, dark, centre, half, kind, part_dark, final[f], off[0], off[1], off[2])
            count, m0, m1 = _near_mean(final[f], off[0], off[1], robust)
            if count == 0:  # no point near the model: the fit stops where it is
                moving = False
                break
            step0, step1 = m0 * basis[0, 0] + m1 * basis[1, 0], m0 * basis[0, 1] + m1 * basis[1, 1]
            t[f, 0] += step0
            t[f, 1] += step1
        if moving:
            _body(px, py, t[f, 0], t[f, 1], basis, qx, qy)
            _nearest_row(qx, qy, qz, dark, centre, half, kind, part_dark, final[f], off[0], off[1], off[2])


def fit_steps(p: np.ndarray, dark: np.ndarray, model: tuple, starts: np.ndarray, bases: np.ndarray,
              robust: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Closest-point steps of rigid fits of a part model to points: each fit (a row of `starts`,
    body axes `bases[fit]` as rows) moves by its near points' mean offset (those within `robust`
    of the model) rotated to the start frame, `steps` times; a fit with no near point stops.
    Returns the final centres (fits, 2) and each fit's point distances there (fits, points).

    p: (points, 3) start-frame points; dark: their darkness; model: part centres, half extents,
    kinds and darkness (`perception.objects._model_table`)."""
    f64 = np.float64
    centre, half, kind, part_dark = model
    t = np.array(starts, dtype=f64)
    final = np.empty((len(t), len(p)))
    _fit_kernel(np.ascontiguousarray(p[:, 0], dtype=f64), np.ascontiguousarray(p[:, 1], dtype=f64),
                np.ascontiguousarray(p[:, 2], dtype=f64), np.ascontiguousarray(dark, dtype=np.bool_),
                np.ascontiguousarray(centre, dtype=f64), np.ascontiguousarray(half, dtype=f64),
                np.ascontiguousarray(kind, dtype=np.int64), np.ascontiguousarray(part_dark, dtype=np.bool_),
                np.ascontiguousarray(bases, dtype=f64), float(robust), int(steps), t, final)
    return t, final


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
