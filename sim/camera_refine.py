"""The ray-cast camera's bookkeeping around its rays (sim.cameras.RayCastCamera), compiled (numba):
one refinement level of the coarse-to-fine grid (which fine points can be intersected with their
cell's face plane, "easy" cells, and those values; the coarse points' own values; the list of
points that need a ray), and the image of the thin boxes that force rays.

It was ~20 numpy passes and gathers per level (a third of a frame); here it is one loop over the
fine grid, with the same arithmetic per point (IEEE division: error_model="numpy"), so the
frames are bit for bit those of the numpy version (tests/test_raycast_camera.py pins views).

Example:
    >>> import numpy as np
    >>> easy = np.ones((3, 3), bool); easy[1, 1] = False
    >>> erode(easy).astype(int).tolist()   # a hard cell makes its eight neighbours hard
    [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
"""

from __future__ import annotations

import numpy as np
from numba import njit

_TIE = 1e-9  # two face keys closer than this are the same face
_PROBE = (0.5773, 0.6123, 0.5401)  # a fixed direction: a face's key is its camera-frame normal . _PROBE


@njit(cache=True, nogil=True)
def erode(easy: np.ndarray) -> np.ndarray:
    """Cells that are easy and whose eight neighbours are all easy (outside the grid counts as easy)."""
    n, m = easy.shape
    out = np.empty_like(easy)
    for i in range(n):
        for j in range(m):
            ok = True
            for a in range(max(i - 1, 0), min(i + 2, n)):
                for b in range(max(j - 1, 0), min(j + 2, m)):
                    ok = ok and easy[a, b]
            out[i, j] = ok
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def fill_level(g, depth, cos, n_cam, offset, flat, lines, cell_of, coarse_at, x, y, norm, thin, min_width,
               last, width):
    """From the coarse grid's values (g geom ids, depth, |cos|, camera-frame face normals n_cam
    (L, L, 3), whose dot product with _PROBE is a number per face, and plane offsets) to the fine
    grid's: each fine point of an easy cell (its four
    corners on one flat face; not on the last level, also its eight neighbour cells) is that face's
    plane met by the point's ray (depth = offset / (n . (x, y, -1)), |cos| = |n . r| / |r|); coarse
    points keep their values; the others are listed (rows, columns) for rays, in row-major order.
    thin: the thin-box width image (pixels; an empty array: none); a point where it is below
    `min_width` is listed too. Returns G, D, C, N, O (fine grids, filled except at the listed
    points, which the caller casts; N and O empty on the `last` level), the listed rows and
    columns, and their pixels (flat indices of a `width`-wide image)."""
    n = g.shape[0]
    key = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            key[i, j] = n_cam[i, j, 0] * _PROBE[0] + n_cam[i, j, 1] * _PROBE[1] + n_cam[i, j, 2] * _PROBE[2]
    nc = n - 1
    easy = np.empty((nc, nc), np.bool_)
    for i in range(nc):
        for j in range(nc):
            g0, k0 = g[i, j], key[i, j]
            easy[i, j] = (flat[g0 + 1] and g[i, j + 1] == g0 and abs(key[i, j + 1] - k0) < _TIE
                          and g[i + 1, j] == g0 and abs(key[i + 1, j] - k0) < _TIE
                          and g[i + 1, j + 1] == g0 and abs(key[i + 1, j + 1] - k0) < _TIE)
    if not last:
        easy = erode(easy)
    L = lines.shape[0]
    G = np.empty((L, L), g.dtype)
    D = np.empty((L, L))
    C = np.empty((L, L))
    M = 0 if last else L  # the planes are kept for the next level only
    N = np.empty((M, M, 3))
    O = np.empty((M, M))
    ok = np.empty((L, L), np.bool_)
    on_coarse = np.zeros(L, np.bool_)
    for a in range(coarse_at.shape[0]):
        on_coarse[coarse_at[a]] = True
    has_thin = thin.shape[0] > 0
    for r in range(L):
        ci = cell_of[r]
        for c in range(L):
            if on_coarse[r] and on_coarse[c]:
                continue  # a coarse point: its own values, below
            cj = cell_of[c]
            e = easy[ci, cj]
            if has_thin:
                e = e and thin[lines[r], lines[c]] >= min_width
            ok[r, c] = e
            if not e:
                continue  # to be cast: the ray's values are stored over these
            nx, ny, nz = n_cam[ci, cj, 0], n_cam[ci, cj, 1], n_cam[ci, cj, 2]
            along = nx * x[r, c] + ny * y[r, c] - nz
            G[r, c] = g[ci, cj]
            D[r, c] = offset[ci, cj] / along
            C[r, c] = abs(along) / norm[r, c]
            if not last:
                N[r, c, 0], N[r, c, 1], N[r, c, 2] = nx, ny, nz
                O[r, c] = offset[ci, cj]
    for a in range(coarse_at.shape[0]):  # the coarse points keep their own values
        r = coarse_at[a]
        for b in range(coarse_at.shape[0]):
            c = coarse_at[b]
            G[r, c], D[r, c], C[r, c], ok[r, c] = g[a, b], depth[a, b], cos[a, b], True
            if not last:
                N[r, c, 0], N[r, c, 1], N[r, c, 2] = n_cam[a, b, 0], n_cam[a, b, 1], n_cam[a, b, 2]
                O[r, c] = offset[a, b]
    rows, cols = np.nonzero(~ok)  # row-major, as numpy's
    pix = np.empty(rows.shape[0], np.int64)
    for i in range(rows.shape[0]):
        pix[i] = lines[rows[i]] * width + lines[cols[i]]
    return G, D, C, N, O, rows, cols, pix


@njit(cache=True, nogil=True, error_model="numpy")
def store(G, D, C, N, O, rows, cols, pix, geom, dist, normal, dirs, norm, rot, planes):
    """Write rays cast through pixels `pix` (geom ids, distances, world normals, their unit world rays
    dirs; norm: |pixel ray| at z = -1 of every pixel) into grids at (rows, cols): geom id, depth (distance /
    norm), |cos| between normal and ray; with `planes`, also the face plane for the next level: the
    camera-frame normal (normal . rot's columns) and the offset (distance * normal . ray)."""
    for i in range(rows.shape[0]):
        r, c, p = rows[i], cols[i], pix[i]
        n0, n1, n2 = normal[i, 0], normal[i, 1], normal[i, 2]
        dot = n0 * dirs[i, 0] + n1 * dirs[i, 1] + n2 * dirs[i, 2]
        G[r, c], D[r, c], C[r, c] = geom[i], dist[i] / norm[p], abs(dot)
        if planes:
            for k in range(3):
                N[r, c, k] = n0 * rot[0, k] + n1 * rot[1, k] + n2 * rot[2, k]
            O[r, c] = dist[i] * dot


@njit(cache=True, nogil=True)
def paint(geom, depth, cos, colour, entity, shades, far):
    """The frame's images from per-pixel geom ids (-1: nothing), depths and |cos| (2-D): RGB from the
    packed colour table (row (geom + 1) * shades + level, level = |cos| rounded to shades - 1 steps),
    entity ids (entity[geom + 1]) and depth (far where nothing was hit; in place)."""
    h, w = geom.shape
    rgb = np.empty((h, w, 3), np.uint8)
    ent = np.empty((h, w), entity.dtype)
    for r in range(h):
        for c in range(w):
            g = geom[r, c] + 1
            k = cos[r, c]  # |cos| is in [0, 1]; a NaN (no normal) shades as 0 rather than index anywhere
            level = shades - 1 if k >= 1.0 else (int(k * (shades - 1) + 0.5) if k > 0.0 else 0)
            row = g * shades + level
            rgb[r, c, 0], rgb[r, c, 1], rgb[r, c, 2] = colour[row, 0], colour[row, 1], colour[row, 2]
            ent[r, c] = entity[g]
            if g == 0:
                depth[r, c] = far
    return rgb, ent


@njit(cache=True, nogil=True)
def thin_boxes(corners, pos, rot, thin, n_parts, face_centre, face_normal, f, h, w, max_width):
    """thin_width_image of world boxes: corners (n, 8, 3) of the model parts, then of the walls' end
    faces (face_centre and outward face_normal (n - n_parts, 3)); an end face turned away from the
    camera at `pos` cannot be seen and is left out. rot: the camera's axes (columns) in the world."""
    n = corners.shape[0]
    keep = np.ones(n, np.bool_)
    for k in range(n_parts, n):
        e = k - n_parts
        keep[k] = ((face_centre[e, 0] - pos[0]) * face_normal[e, 0] + (face_centre[e, 1] - pos[1]) * face_normal[e, 1]
                   + (face_centre[e, 2] - pos[2]) * face_normal[e, 2]) < 0
    cam = np.empty((n, 8, 3))
    for k in range(n):
        for c in range(8):
            q0, q1, q2 = corners[k, c, 0] - pos[0], corners[k, c, 1] - pos[1], corners[k, c, 2] - pos[2]
            for j in range(3):
                cam[k, c, j] = q0 * rot[0, j] + q1 * rot[1, j] + q2 * rot[2, j]
    return thin_width_image(cam, thin, keep, f, h, w, max_width)


@njit(cache=True, nogil=True)
def thin_width_image(cam, thin, keep, f, h, w, max_width):
    """The thin-box width image: for each box (its eight corners in the camera frame, cam (n, 8, 3):
    x right, y up, -z ahead) that is kept, in front, roughly in view and projects thinner than
    `max_width` pixels at its far side (smallest extent `thin` over the farthest depth), its image
    box (of the projected corners +1 pixel; of the near and far planes when a corner is within 5 cm
    of the camera plane) holds that width; where boxes overlap, the thinnest. inf elsewhere.
    Returns (image, whether any box was painted)."""
    out = np.full((h, w), np.inf)
    painted = False
    near = 0.05
    for k in range(cam.shape[0]):
        lo0, lo1, lo2 = cam[k, 0, 0], cam[k, 0, 1], cam[k, 0, 2]
        hi0, hi1, hi2 = lo0, lo1, lo2
        for c in range(1, 8):
            lo0, hi0 = min(lo0, cam[k, c, 0]), max(hi0, cam[k, c, 0])
            lo1, hi1 = min(lo1, cam[k, c, 1]), max(hi1, cam[k, c, 1])
            lo2, hi2 = min(lo2, cam[k, c, 2]), max(hi2, cam[k, c, 2])
        far = -lo2
        width = f * thin[k] / max(far, 1e-9)
        if not (keep[k] and far > near and width < max_width
                and max(lo0, -hi0) <= far and max(lo1, -hi1) <= far):
            continue
        if -hi2 < near:  # a corner at or behind the camera plane: the box between the near and far planes
            u0 = w / 2 + f * min(lo0 / near, lo0 / far) - 1
            u1 = w / 2 + f * max(hi0 / near, hi0 / far) + 1
            v0 = h / 2 - f * max(hi1 / near, hi1 / far) - 1
            v1 = h / 2 - f * min(lo1 / near, lo1 / far) + 1
        else:
            u0 = v0 = np.inf
            u1 = v1 = -np.inf
            for c in range(8):
                ahead = max(-cam[k, c, 2], near)
                u = w / 2 + f * cam[k, c, 0] / ahead
                v = h / 2 - f * cam[k, c, 1] / ahead
                u0, u1, v0, v1 = min(u0, u), max(u1, u), min(v0, v), max(v1, v)
            u0, u1, v0, v1 = u0 - 1, u1 + 1, v0 - 1, v1 + 1
        r0, r1 = int(min(max(v0, 0.0), h)), int(min(max(np.ceil(v1), 0.0), h))
        c0, c1 = int(min(max(u0, 0.0), w)), int(min(max(np.ceil(u1), 0.0), w))
        painted = True
        for r in range(r0, r1):
            for c in range(c0, c1):
                if width < out[r, c]:
                    out[r, c] = width
    return out, painted


@njit(cache=True, nogil=True, error_model="numpy")
def _clip_in_front(poly, near):
    """Clip a camera-frame polygon (k, 3) to the half-space z <= -near (Sutherland-Hodgman)."""
    k = poly.shape[0]
    out = np.empty((2 * k, 3))
    n = 0
    for i in range(k):
        a, b = poly[i], poly[(i + 1) % k]
        a_in, b_in = a[2] <= -near, b[2] <= -near
        if a_in:
            out[n] = a
            n += 1
        if a_in != b_in:
            t = (-near - a[2]) / (b[2] - a[2])
            for j in range(3):
                out[n, j] = a[j] + (b[j] - a[j]) * t
            n += 1
    return out[:n]


@njit(cache=True, nogil=True, error_model="numpy")
def door_signs(ent, depth, rays, norm, rot, pos, doors, f, opening, door_height):
    """Label wall, floor and sky pixels (ent < 0) seen through an open door's opening with that door, in
    place. doors (k, 4): the wall's axis (0: the wall runs north-south, plane x = const; 1: y = const),
    the opening's centre (x, y) and the label. rays (H, W, 3): camera-frame pixel rays at z = -1,
    norm their lengths; opening (4, 2): the opening's corners (along the wall, z) in loop order. A
    pixel is labelled when its ray meets the wall plane more than 0.3 m away, not behind what it
    hit, within the opening (|along the wall| < its half width opening[1, 0], 0 < height < door_height)."""
    h, w = ent.shape
    corners = np.empty((4, 3))
    for d in range(doors.shape[0]):
        ax = int(doors[d, 0])
        centre = doors[d, 1:3]
        for i in range(4):  # the opening's corners, in the camera frame (x right, y up, -z ahead)
            q = np.empty(3)
            q[ax], q[1 - ax], q[2] = centre[ax], centre[1 - ax] + opening[i, 0], opening[i, 1]
            for j in range(3):
                corners[i, j] = (q[0] - pos[0]) * rot[0, j] + (q[1] - pos[1]) * rot[1, j] + (q[2] - pos[2]) * rot[2, j]
        cam = corners
        if (corners[:, 2] > -1e-3).any():
            cam = _clip_in_front(corners, 1e-3)
            if cam.shape[0] == 0:
                continue
        u0 = v0 = np.inf
        u1 = v1 = -np.inf
        for i in range(cam.shape[0]):
            u = w / 2 + f * cam[i, 0] / -cam[i, 2]
            v = h / 2 - f * cam[i, 1] / -cam[i, 2]
            u0, u1, v0, v1 = min(u0, u), max(u1, u), min(v0, v), max(v1, v)
        r0, r1 = max(int(v0) - 1, 0), min(int(np.ceil(v1)) + 1, h)
        c0, c1 = max(int(u0) - 1, 0), min(int(np.ceil(u1)) + 1, w)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if ent[r, c] >= 0:
                    continue
                x, y, z = rays[r, c, 0], rays[r, c, 1], rays[r, c, 2]
                world = (rot[0, 0] * x + rot[0, 1] * y + rot[0, 2] * z, rot[1, 0] * x + rot[1, 1] * y + rot[1, 2] * z,
                         rot[2, 0] * x + rot[2, 1] * y + rot[2, 2] * z)  # the world ray with unit depth
                t = (centre[ax] - pos[ax]) / world[ax]  # the depth at which it meets the wall plane
                along = pos[1 - ax] + t * world[1 - ax] - centre[1 - ax]
                height = pos[2] + t * world[2]
                if (t * norm[r, c] > 0.3 and t < depth[r, c] + 1e-9 and abs(along) < opening[1, 0]
                        and height > 0 and height < door_height):
                    ent[r, c] = int(doors[d, 3])
