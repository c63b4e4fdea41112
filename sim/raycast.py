"""A compiled ray caster for the ray-cast camera (sim.cameras.RayCastCamera): MuJoCo's ray-geom
rules (engine_ray.c: plane, sphere, capsule, ellipsoid, cylinder, box; the same bounding-sphere
tests, the same arithmetic in the same order, the nearest hit with the lower geom id at a tie),
with culling of its own: each geom's image box is binned into square pixel tiles once a frame,
and a ray tests only the geoms of its pixel's tile (~3-6 instead of the ~15 that survive
`mj_multiRay`'s per-body spheres and per-geom angles, and no two `atan2` a ray).

Hits are `mj_multiRay`'s (tests/test_raycast.py compares geom ids, distances and normals ray by
ray); geoms of other types (meshes, height fields) are not handled here: the camera keeps
`mj_multiRay` for scenes that have them (`supported`).

Example:
    >>> import numpy as np
    >>> gtype = np.array([6]); size = np.array([[0.5, 0.5, 0.5]])
    >>> xpos = np.array([[0.0, 0.0, -3.0]]); xmat = np.eye(3).reshape(1, 9)
    >>> start, ids = np.array([0, 1]), np.array([0], np.int32)  # a one-pixel image, one tile, one geom
    >>> geom, dist, normal = np.empty(1, np.int32), np.empty(1), np.empty((1, 3))
    >>> cast(gtype, xpos, xmat, size, start, ids, np.zeros(3), np.array([[0.0, 0.0, -1.0]]), np.array([0]), 1, 1,
    ...      geom, dist, normal)  # from the origin straight down onto the box's top face
    >>> int(geom[0]), float(dist[0]), normal[0].tolist()
    (0, 2.5, [0.0, 0.0, 1.0])
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

PLANE, SPHERE, CAPSULE, ELLIPSOID, CYLINDER, BOX = 0, 2, 3, 4, 5, 6  # mjtGeom values
SUPPORTED = (PLANE, SPHERE, CAPSULE, ELLIPSOID, CYLINDER, BOX)
MINVAL = 1e-15  # mjMINVAL
TILE = 8  # pixels a side of a culling tile


def local_half(gtype: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Half extents (n, 3) of each geom's bounding box in its own frame, from MuJoCo geom types and
    sizes (n, 3). A plane gets its size (it is binned into every tile anyway).

    >>> local_half(np.array([SPHERE, CAPSULE, CYLINDER, BOX]), np.array([[0.1, 0, 0], [0.1, 0.3, 0], [0.2, 0.5, 0], [1.0, 2.0, 3.0]])).tolist()
    [[0.1, 0.1, 0.1], [0.1, 0.1, 0.4], [0.2, 0.2, 0.5], [1.0, 2.0, 3.0]]
    """
    gtype, size = np.asarray(gtype), np.asarray(size, float).reshape(-1, 3)
    half = size.copy()  # boxes and ellipsoids: their size
    round_ = np.isin(gtype, (SPHERE, CAPSULE, CYLINDER))
    half[round_, 1] = size[round_, 0]
    ball = gtype == SPHERE
    half[ball, 2] = size[ball, 0]
    half[gtype == CYLINDER, 2] = size[gtype == CYLINDER, 1]
    cap = gtype == CAPSULE
    half[cap, 2] = size[cap, 1] + size[cap, 0]
    return half


def supported(gtype: np.ndarray) -> bool:
    """Whether every geom type in `gtype` is one this caster handles."""
    return bool(np.isin(gtype, SUPPORTED).all())


@njit(cache=True, nogil=True, error_model="numpy")
def _quad(a, b, c):
    """MuJoCo's ray_quad: both roots of a x^2 + 2 b x + c = 0 (-1, -1 when none) and the smallest
    non-negative one (-1 when none)."""
    det = b * b - a * c
    if det < 0 or a < MINVAL:
        return -1.0, -1.0, -1.0
    det = math.sqrt(det)
    x0 = (-b - det) / a
    x1 = (-b + det) / a
    if x0 >= 0:
        return x0, x0, x1
    if x1 >= 0:
        return x1, x0, x1
    return -1.0, x0, x1


@njit(cache=True, nogil=True, error_model="numpy")
def origins(gtype, xpos, xmat, size, pos):
    """What each geom's ray tests need of the rays' common origin `pos`, computed once a frame with
    MuJoCo's arithmetic (ray_map, ray_sphere): (n, 7) rows of pos - geom pos (3), the origin in the
    geom's frame (3), and |pos - centre|^2 - r^2 of its bounding sphere (its own sphere for a sphere)."""
    n = gtype.shape[0]
    out = np.empty((n, 7))
    for g in range(n):
        d0, d1, d2 = pos[0] - xpos[g, 0], pos[1] - xpos[g, 1], pos[2] - xpos[g, 2]
        out[g, 0], out[g, 1], out[g, 2] = d0, d1, d2
        out[g, 3] = xmat[g, 0] * d0 + xmat[g, 3] * d1 + xmat[g, 6] * d2
        out[g, 4] = xmat[g, 1] * d0 + xmat[g, 4] * d1 + xmat[g, 7] * d2
        out[g, 5] = xmat[g, 2] * d0 + xmat[g, 5] * d1 + xmat[g, 8] * d2
        t, s0, s1, s2 = gtype[g], size[g, 0], size[g, 1], size[g, 2]
        if t == BOX:
            r2 = s0 * s0 + s1 * s1 + s2 * s2
        elif t == CYLINDER:
            r2 = s0 * s0 + s1 * s1
        elif t == CAPSULE:
            r2 = (s0 + s1) * (s0 + s1)
        else:
            r2 = s0 * s0
        out[g, 6] = d0 * d0 + d1 * d1 + d2 * d2 - r2
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _bound(org, g, v0, v1, v2, a):
    """Distance to geom g's bounding sphere (MuJoCo's ray_sphere; -1: missed); a = |v|^2."""
    b = v0 * org[g, 0] + v1 * org[g, 1] + v2 * org[g, 2]
    return _quad(a, b, org[g, 6])[0]


@njit(cache=True, nogil=True, error_model="numpy")
def _local_dir(mat, g, v0, v1, v2):
    """The ray's direction in geom g's frame (mat' v)."""
    return (mat[g, 0] * v0 + mat[g, 3] * v1 + mat[g, 6] * v2, mat[g, 1] * v0 + mat[g, 4] * v1 + mat[g, 7] * v2,
            mat[g, 2] * v0 + mat[g, 5] * v1 + mat[g, 8] * v2)


@njit(cache=True, nogil=True, error_model="numpy")
def _to_world(mat, g, n0, n1, n2):
    """mju_mulMatVec3: a local normal of geom g in the world frame."""
    return (mat[g, 0] * n0 + mat[g, 1] * n1 + mat[g, 2] * n2, mat[g, 3] * n0 + mat[g, 4] * n1 + mat[g, 5] * n2,
            mat[g, 6] * n0 + mat[g, 7] * n1 + mat[g, 8] * n2)


@njit(cache=True, nogil=True, error_model="numpy")
def _normalize(n0, n1, n2):
    """mju_normalize3."""
    norm = math.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
    if norm < MINVAL:
        return 1.0, 0.0, 0.0
    inv = 1 / norm
    return n0 * inv, n1 * inv, n2 * inv


@njit(cache=True, nogil=True, error_model="numpy")
def _round_side(l0, l1, w0, w1, r):
    """Smallest non-negative distance to the infinite cylinder x^2 + y^2 = r^2 of the local ray."""
    a = w0 * w0 + w1 * w1
    b = w0 * l0 + w1 * l1
    c = l0 * l0 + l1 * l1 - r * r
    return _quad(a, b, c)[0]


@njit(cache=True, nogil=True, error_model="numpy")
def _face(side, si, li, wi, lj, wj, sj, lk, wk, sk):
    """Distance to a box's face at local coordinate i = side * si, -1 when the ray meets that plane
    behind it or outside the face (|j| <= sj, |k| <= sk)."""
    sol = (side * si - li) / wi
    if sol >= 0 and abs(lj + sol * wj) <= sj and abs(lk + sol * wk) <= sk:
        return sol
    return -1.0


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def hit(gtype, xpos, mat, size, org, g, p0, p1, p2, v0, v1, v2, a):
    """Distance along v from the origin p to geom g (gtype, world xpos (n, 3), 3x3 mat (n, 9) flat
    and size (n, 3) of every geom; org: `origins` of p; a = |v|^2), and the world normal there: (dist, n0, n1, n2); dist
    -1 and a zero normal when missed (MuJoCo's mju_rayGeom)."""
    t = gtype[g]
    l0, l1, l2 = org[g, 3], org[g, 4], org[g, 5]
    if t == PLANE:
        w0, w1, w2 = _local_dir(mat, g, v0, v1, v2)
        if w2 > -MINVAL:
            return -1.0, 0.0, 0.0, 0.0
        x = -l2 / w2
        if x < 0:
            return -1.0, 0.0, 0.0, 0.0
        q0 = l0 + x * w0
        q1 = l1 + x * w1
        if (size[g, 0] <= 0 or abs(q0) <= size[g, 0]) and (size[g, 1] <= 0 or abs(q1) <= size[g, 1]):
            return x, mat[g, 2], mat[g, 5], mat[g, 8]
        return -1.0, 0.0, 0.0, 0.0
    if t == SPHERE:
        x = _bound(org, g, v0, v1, v2, a)
        if x < 0:
            return -1.0, 0.0, 0.0, 0.0
        # the hit minus the centre, as MuJoCo forms it: (origin + v x) - centre
        n0, n1, n2 = _normalize((p0 + v0 * x) - xpos[g, 0], (p1 + v1 * x) - xpos[g, 1], (p2 + v2 * x) - xpos[g, 2])
        return x, n0, n1, n2
    if t == CAPSULE:
        if _bound(org, g, v0, v1, v2, a) < 0:
            return -1.0, 0.0, 0.0, 0.0
        w0, w1, w2 = _local_dir(mat, g, v0, v1, v2)
        x, kind = -1.0, 0
        sol = _round_side(l0, l1, w0, w1, size[g, 0])
        if sol >= 0 and abs(l2 + sol * w2) <= size[g, 1]:
            x, kind = sol, 0
        aa = w0 * w0 + w1 * w1 + w2 * w2
        for side in (1, -1):  # top cap, then bottom cap: only the half sphere beyond the flat end
            e2 = l2 - size[g, 1] * side
            b = w0 * l0 + w1 * l1 + w2 * e2
            c = l0 * l0 + l1 * l1 + e2 * e2 - size[g, 0] * size[g, 0]
            _, x0, x1 = _quad(aa, b, c)
            for xi in (x0, x1):
                z = l2 + xi * w2
                if xi >= 0 and ((side == 1 and z >= size[g, 1]) or (side == -1 and z <= -size[g, 1])):
                    if x < 0 or xi < x:
                        x, kind = xi, side
        if x < 0:
            return -1.0, 0.0, 0.0, 0.0
        m2 = 0.0 if kind == 0 else l2 + w2 * x - size[g, 1] * kind
        n0, n1, n2 = _normalize(l0 + w0 * x, l1 + w1 * x, m2)
        n0, n1, n2 = _to_world(mat, g, n0, n1, n2)
        return x, n0, n1, n2
    if t == ELLIPSOID:
        w0, w1, w2 = _local_dir(mat, g, v0, v1, v2)
        s0, s1, s2 = 1 / (size[g, 0] * size[g, 0]), 1 / (size[g, 1] * size[g, 1]), 1 / (size[g, 2] * size[g, 2])
        aa = s0 * w0 * w0 + s1 * w1 * w1 + s2 * w2 * w2
        b = s0 * w0 * l0 + s1 * w1 * l1 + s2 * w2 * l2
        c = s0 * l0 * l0 + s1 * l1 * l1 + s2 * l2 * l2 - 1
        x = _quad(aa, b, c)[0]
        if x < 0:
            return -1.0, 0.0, 0.0, 0.0
        n0, n1, n2 = _normalize(s0 * (l0 + w0 * x), s1 * (l1 + w1 * x), s2 * (l2 + w2 * x))
        n0, n1, n2 = _to_world(mat, g, n0, n1, n2)
        return x, n0, n1, n2
    if t == CYLINDER:
        if _bound(org, g, v0, v1, v2, a) < 0:
            return -1.0, 0.0, 0.0, 0.0
        w0, w1, w2 = _local_dir(mat, g, v0, v1, v2)
        x, kind = -1.0, 0
        if abs(w2) > MINVAL:
            for side in (-1, 1):  # the flat ends
                sol = (side * size[g, 1] - l2) / w2
                if sol >= 0:
                    q0 = l0 + sol * w0
                    q1 = l1 + sol * w1
                    if q0 * q0 + q1 * q1 <= size[g, 0] * size[g, 0] and (x < 0 or sol < x):
                        x, kind = sol, side
        sol = _round_side(l0, l1, w0, w1, size[g, 0])
        if sol >= 0 and abs(l2 + sol * w2) <= size[g, 1] and (x < 0 or sol < x):
            x, kind = sol, 0
        if x < 0:
            return -1.0, 0.0, 0.0, 0.0
        if kind == 0:
            n0, n1, n2 = _normalize(l0 + w0 * x, l1 + w1 * x, 0.0)
        else:
            n0, n1, n2 = 0.0, 0.0, float(kind)
        n0, n1, n2 = _to_world(mat, g, n0, n1, n2)
        return x, n0, n1, n2
    if t == BOX:
        if _bound(org, g, v0, v1, v2, a) < 0:
            return -1.0, 0.0, 0.0, 0.0
        w0, w1, w2 = _local_dir(mat, g, v0, v1, v2)
        s0, s1, s2 = size[g, 0], size[g, 1], size[g, 2]
        x, axis, sign = -1.0, -1, 0.0
        for side in (-1.0, 1.0):  # the faces across local x, then y, then z; each side -1 before +1
            if abs(w0) > MINVAL:
                sol = _face(side, s0, l0, w0, l1, w1, s1, l2, w2, s2)
                if sol >= 0 and (x < 0 or sol < x):
                    x, axis, sign = sol, 0, side
        for side in (-1.0, 1.0):
            if abs(w1) > MINVAL:
                sol = _face(side, s1, l1, w1, l0, w0, s0, l2, w2, s2)
                if sol >= 0 and (x < 0 or sol < x):
                    x, axis, sign = sol, 1, side
        for side in (-1.0, 1.0):
            if abs(w2) > MINVAL:
                sol = _face(side, s2, l2, w2, l0, w0, s0, l1, w1, s1)
                if sol >= 0 and (x < 0 or sol < x):
                    x, axis, sign = sol, 2, side
        if x < 0:
            return -1.0, 0.0, 0.0, 0.0
        n0, n1, n2 = _to_world(mat, g, sign if axis == 0 else 0.0, sign if axis == 1 else 0.0, sign if axis == 2 else 0.0)
        return x, n0, n1, n2
    return -1.0, 0.0, 0.0, 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def bin_tiles(gtype, xpos, xmat, half, rbound, visible, cutoff, pos, rot, f, h, w, tile):
    """Which geoms each tile of pixels can see: CSR (start (n_tiles + 1), geom ids ascending).
    A geom goes into every tile its image box touches, with two pixels to spare: the box of its
    local bounding box's corners projected (x right, y up, -z ahead in the camera frame rot), the
    part in front of the camera (edges cut at the camera plane). Planes, and geoms whose box holds
    the camera, go everywhere; geoms wholly behind the camera, nowhere; so do those mj_multiRay
    drops before any ray: not `visible`, or farther than `cutoff` + their bounding radius `rbound`."""
    ty, tx = (h + tile - 1) // tile, (w + tile - 1) // tile
    ng = gtype.shape[0]
    box = np.empty((ng, 4), np.int64)  # tile rows and columns, inclusive; r0 > r1: none
    cam = np.empty((8, 3))
    near = 1e-9
    for g in range(ng):
        box[g, 0], box[g, 1], box[g, 2], box[g, 3] = 1, 0, 1, 0
        d0, d1, d2 = xpos[g, 0] - pos[0], xpos[g, 1] - pos[1], xpos[g, 2] - pos[2]
        if not visible[g] or math.sqrt(d0 * d0 + d1 * d1 + d2 * d2) > cutoff + rbound[g]:
            continue
        # the camera in (or on) the geom's box: its rays can hit it at any angle, even at distance 0
        inside = True
        for k in range(3):
            local = -(xmat[g, k] * d0 + xmat[g, 3 + k] * d1 + xmat[g, 6 + k] * d2)
            inside = inside and abs(local) <= half[g, k] * (1.0 + 1e-9) + 1e-9
        if gtype[g] == PLANE or inside:
            box[g, 0], box[g, 1], box[g, 2], box[g, 3] = 0, ty - 1, 0, tx - 1
            continue
        for c in range(8):
            a = half[g, 0] * (1.0 if c & 1 else -1.0)
            b = half[g, 1] * (1.0 if c & 2 else -1.0)
            e = half[g, 2] * (1.0 if c & 4 else -1.0)
            q0 = xpos[g, 0] + xmat[g, 0] * a + xmat[g, 1] * b + xmat[g, 2] * e - pos[0]
            q1 = xpos[g, 1] + xmat[g, 3] * a + xmat[g, 4] * b + xmat[g, 5] * e - pos[1]
            q2 = xpos[g, 2] + xmat[g, 6] * a + xmat[g, 7] * b + xmat[g, 8] * e - pos[2]
            for k in range(3):
                cam[c, k] = q0 * rot[0, k] + q1 * rot[1, k] + q2 * rot[2, k]
        u0, u1, v0, v1 = np.inf, -np.inf, np.inf, -np.inf
        n_front = 0
        for c in range(8):  # corners in front, and where the box's edges cross the near plane
            if -cam[c, 2] >= near:
                n_front += 1
                u, v = cam[c, 0] / -cam[c, 2], cam[c, 1] / -cam[c, 2]
                u0, u1, v0, v1 = min(u0, u), max(u1, u), min(v0, v), max(v1, v)
            for bit in (1, 2, 4):
                d = c | bit
                if d == c:
                    continue
                za, zb = -cam[c, 2] - near, -cam[d, 2] - near
                if (za < 0) != (zb < 0):
                    s = za / (za - zb)
                    x = cam[c, 0] + s * (cam[d, 0] - cam[c, 0])
                    y = cam[c, 1] + s * (cam[d, 1] - cam[c, 1])
                    u, v = x / near, y / near
                    u0, u1, v0, v1 = min(u0, u), max(u1, u), min(v0, v), max(v1, v)
        if n_front == 0:
            continue  # wholly behind the camera
        # to pixels (column = u + w/2 - 0.5 at the pixel centre), clamped, with 2 pixels to spare
        c0 = min(max(w / 2 + f * u0 - 2.0, 0.0), w - 1.0)
        c1 = min(max(w / 2 + f * u1 + 2.0, 0.0), w - 1.0)
        r0 = min(max(h / 2 - f * v1 - 2.0, 0.0), h - 1.0)
        r1 = min(max(h / 2 - f * v0 + 2.0, 0.0), h - 1.0)
        if w / 2 + f * u1 + 2.0 < 0 or w / 2 + f * u0 - 2.0 > w or h / 2 - f * v0 + 2.0 < 0 or h / 2 - f * v1 - 2.0 > h:
            continue  # outside the image
        box[g, 0], box[g, 1] = int(r0) // tile, int(r1) // tile
        box[g, 2], box[g, 3] = int(c0) // tile, int(c1) // tile
    count = np.zeros(ty * tx + 1, np.int64)
    for g in range(ng):
        for r in range(box[g, 0], box[g, 1] + 1):
            for c in range(box[g, 2], box[g, 3] + 1):
                count[r * tx + c + 1] += 1
    start = np.cumsum(count)
    fill = start[:-1].copy()
    ids = np.empty(start[-1], np.int32)
    for g in range(ng):  # ascending geom ids in every tile: ties go to the lower id, as in mj_multiRay
        for r in range(box[g, 0], box[g, 1] + 1):
            for c in range(box[g, 2], box[g, 3] + 1):
                ids[fill[r * tx + c]] = g
                fill[r * tx + c] += 1
    return start, ids


@njit(cache=True, nogil=True, error_model="numpy")
def cast(gtype, xpos, xmat, size, start, ids, pos, dirs, pix, w, tile, geom, dist, normal):
    """Cast rays from `pos` along unit `dirs` (n, 3) through pixels `pix` (flat indices of a w-wide
    image; they pick the tile): nearest geom id (-1), distance (-1) and world normal (zeros) into
    geom, dist and normal (n, 3), as mj_multiRay."""
    tx = (w + tile - 1) // tile
    p0, p1, p2 = pos[0], pos[1], pos[2]
    org = origins(gtype, xpos, xmat, size, pos)
    for i in range(pix.shape[0]):
        v0, v1, v2 = dirs[i, 0], dirs[i, 1], dirs[i, 2]
        best, bg = -1.0, -1
        b0 = b1 = b2 = 0.0
        a = v0 * v0 + v1 * v1 + v2 * v2
        if a >= MINVAL:
            t = (pix[i] // w) // tile * tx + (pix[i] % w) // tile
            for k in range(start[t], start[t + 1]):
                g = ids[k]
                x, n0, n1, n2 = hit(gtype, xpos, xmat, size, org, g, p0, p1, p2, v0, v1, v2, a)
                if x >= 0 and (x < best or best < 0):
                    best, bg, b0, b1, b2 = x, g, n0, n1, n2
        geom[i], dist[i] = bg, best
        normal[i, 0], normal[i, 1], normal[i, 2] = b0, b1, b2
