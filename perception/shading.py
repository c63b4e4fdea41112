"""Albedo brightness at chosen pixels, compiled (numba): a pixel's brightness with the renderer's
Lambert shading taken out, from the surface normal the depth image gives there.

`perception.objects.albedo_brightness(frame, where)` did this as ~30 numpy passes over the
chosen pixels; here each pixel is one loop iteration with the same arithmetic: np.gradient's
central difference (f[k+1] - f[k-1]) / 2.0 inside and the plain difference at the image's
edges, np.cross's a1*b2 - a2*b1, and the row sums of the norms and of the dot product in
numpy's order for rows of three ((a + b) + c). tests/test_fast_paths.py holds it to the
whole-image numpy computation, bit for bit.

Example:
    >>> import numpy as np
    >>> rays = np.zeros((1, 3, 3)); rays[..., 0] = [-1.0, 0.0, 1.0]; rays[..., 2] = -1.0
    >>> depth = np.ones((1, 3)); rgb = np.full((1, 3, 3), 100, np.uint8)
    >>> out = np.zeros((1, 3))
    >>> albedo_at(rays, depth, rgb, np.array([0]), np.array([1]), out)   # a wall seen squarely
    >>> round(float(out[0, 1]), 6)   # 300 / (0.35 + 0.65 * |n . view|), n along the rows: |n . view| = 0
    857.142857
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _point(rays, depth, i, j):
    d = depth[i, j]
    if not (d - d == 0.0):  # not finite: the point sits at the camera, as np.where(isfinite(depth), depth, 0) has it
        d = 0.0
    return rays[i, j, 0] * d, rays[i, j, 1] * d, rays[i, j, 2] * d


@njit(cache=True, nogil=True)
def albedo_at(rays, depth, rgb, rows, cols, out) -> None:
    """out[rows[k], cols[k]] = albedo brightness of that pixel: its RGB sum (float32) over
    0.35 + 0.65 |n . view|, n the unit normal (cross product of the depth image's gradients
    along columns and rows) and view the unit ray to the pixel's point."""
    h, w = depth.shape
    for k in range(rows.shape[0]):
        i, j = rows[k], cols[k]
        a0, a1, a2 = _point(rays, depth, i, max(j - 1, 0))
        b0, b1, b2 = _point(rays, depth, i, min(j + 1, w - 1))
        u0, u1, u2 = b0 - a0, b1 - a1, b2 - a2
        if 0 < j < w - 1:
            u0, u1, u2 = u0 / 2.0, u1 / 2.0, u2 / 2.0
        a0, a1, a2 = _point(rays, depth, max(i - 1, 0), j)
        b0, b1, b2 = _point(rays, depth, min(i + 1, h - 1), j)
        v0, v1, v2 = b0 - a0, b1 - a1, b2 - a2
        if 0 < i < h - 1:
            v0, v1, v2 = v0 / 2.0, v1 / 2.0, v2 / 2.0
        n0 = u1 * v2 - u2 * v1
        n1 = u2 * v0 - u0 * v2
        n2 = u0 * v1 - u1 * v0
        norm = math.sqrt((n0 * n0 + n1 * n1) + n2 * n2) + 1e-12
        n0, n1, n2 = n0 / norm, n1 / norm, n2 / norm
        p0, p1, p2 = _point(rays, depth, i, j)
        pnorm = math.sqrt((p0 * p0 + p1 * p1) + p2 * p2) + 1e-12
        dot = (n0 * (p0 / pnorm) + n1 * (p1 / pnorm)) + n2 * (p2 / pnorm)
        shade = 0.35 + 0.65 * abs(dot)
        brightness = (float(rgb[i, j, 0]) + float(rgb[i, j, 1])) + float(rgb[i, j, 2])  # exact: integers below 2**24
        out[i, j] = brightness / shade
