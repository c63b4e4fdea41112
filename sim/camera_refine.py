"""One refinement level of the coarse-to-fine ray-cast camera (sim.cameras.RayCastCamera), compiled
(numba): which fine points can be intersected with their cell's face plane ("easy" cells) and
those values, the coarse points' own values, and the list of points that need a ray.

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
def fill_level(g, key, depth, cos, n_cam, offset, flat, lines, cell_of, coarse_at, x, y, norm, thin, min_width,
               last):
    """From the coarse grid's values (g geom ids, face keys, depth, |cos|, camera-frame face normals
    n_cam (L, L, 3) and plane offsets) to the fine grid's: each fine point of an easy cell (its four
    corners on one flat face; not on the last level, also its eight neighbour cells) is that face's
    plane met by the point's ray (depth = offset / (n . (x, y, -1)), |cos| = |n . r| / |r|); coarse
    points keep their values; the others are listed (rows, columns) for rays, in row-major order.
    thin: the thin-box width image (pixels; an empty array: none); a point where it is below
    `min_width` is listed too. Returns G, D, C, N, O (fine grids; N and O only filled when not
    `last`) and the listed rows and columns."""
    nc = g.shape[0] - 1
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
    N = np.empty((L, L, 3))
    O = np.empty((L, L))
    ok = np.empty((L, L), np.bool_)
    has_thin = thin.shape[0] > 0
    for r in range(L):
        ci = cell_of[r]
        for c in range(L):
            cj = cell_of[c]
            nx, ny, nz = n_cam[ci, cj, 0], n_cam[ci, cj, 1], n_cam[ci, cj, 2]
            along = nx * x[r, c] + ny * y[r, c] - nz
            G[r, c] = g[ci, cj]
            D[r, c] = offset[ci, cj] / along
            C[r, c] = abs(along) / norm[r, c]
            e = easy[ci, cj]
            if has_thin:
                e = e and thin[lines[r], lines[c]] >= min_width
            ok[r, c] = e
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
    n_hard = 0
    for r in range(L):
        for c in range(L):
            n_hard += not ok[r, c]
    rows, cols = np.empty(n_hard, np.intp), np.empty(n_hard, np.intp)
    k = 0
    for r in range(L):
        for c in range(L):
            if not ok[r, c]:
                rows[k], cols[k] = r, c
                k += 1
    return G, D, C, N, O, rows, cols
