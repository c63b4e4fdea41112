"""From a head-camera RGB-D frame with segmentation to what the robot saw in a house:
which furniture pieces and items are in view, and where each item rests (``on`` a
support, ``in`` an open container). Plain numpy; the simulator renders the frame
(`sim.manip.house_exec`, sensors="rgbd").

- `camera_to_world`: camera-frame points (x right, y up, -z ahead; `perception.mapping.back_project`)
  -> world points, given the camera's world position and 3x3 frame.
- `clouds`: the frame's points grouped by segmentation label (one name per label id),
  labels with fewer than `perception.objects.MIN_PIXELS` pixels dropped.
- `support_box` / `container_box`: a place's geometry estimated from its own points: the
  axis-aligned footprint of what was seen, and the top (a high percentile of z) or the
  vertical extent of the container's moving part.
- `relation_of_points`: an item's place from its points: ``in`` the open container whose
  box holds its centroid, else ``on`` the support whose top its lowest points rest on.

Where it can be wrong (by construction, not noise):
- occlusion: a support seen only in part (its back hidden by an item or a wall) has a
  smaller footprint; an item standing on the hidden part gets no relation (None), never a
  wrong one. An item seen only in part has a centroid biased toward the camera and a
  "bottom" that is the lowest *visible* point: an item whose foot is hidden behind a
  table's front edge still reads as resting there when its lowest visible point lies
  within `REST_TOL` above the top, otherwise it gets None.
- furniture footprints are axis-aligned boxes: right for this house generator (pieces
  face a grid direction), wrong for rotated furniture.
- an item inside an open drawer that is also over a support's footprint is put in the
  drawer (containers are tested first).

Example:
    >>> import numpy as np
    >>> top = np.array([[x, y, 0.75] for x in (1.0, 1.8) for y in (2.0, 2.6)])
    >>> table = support_box("table_0", top)
    >>> mug = np.array([[1.4, 2.3, 0.76], [1.42, 2.3, 0.80], [1.4, 2.32, 0.83]])
    >>> relation_of_points(mug, [table])
    ('on', 'table_0')
    >>> relation_of_points(mug + [0.0, 0.0, 0.3], [table]) is None  # floating: rests on nothing
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.objects import MIN_PIXELS

REST_TOL = 0.04  # m: an item's lowest visible point within this of a support's top rests on it
MARGIN = 0.03  # m: footprints grow by this (the item's centroid may overhang a seen edge)


@dataclass(frozen=True)
class PlaceBox:
    """A place's estimated geometry, world frame: footprint [lo, hi] in x and y, and the top
    (a support) or the vertical extent (a container's interior)."""

    name: str
    relation: str  # "on" or "in"
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]

    @property
    def top(self) -> float:
        return self.hi[2]


def camera_to_world(points: np.ndarray, cam_pos, cam_mat) -> np.ndarray:
    """(N, 3) camera-frame points -> world; `cam_mat` columns are the camera axes in the world."""
    return np.asarray(points, float) @ np.asarray(cam_mat, float).T + np.asarray(cam_pos, float)


def clouds(points: np.ndarray, labels: np.ndarray, names: dict[int, str], min_pixels: int = MIN_PIXELS) -> dict[str, np.ndarray]:
    """name -> (N, 3) points for every label id in `names` with at least `min_pixels` points;
    several ids may share a name (a dresser's carcass and drawers) and are pooled.

    >>> pts = np.arange(24, dtype=float).reshape(8, 3)
    >>> {k: len(v) for k, v in clouds(pts, np.array([1] * 6 + [2] * 2), {1: "a", 2: "b"}, 3).items()}
    {'a': 6}
    """
    labels = np.asarray(labels).reshape(-1)
    points = np.asarray(points, float).reshape(-1, 3)
    if len(labels) != len(points):
        raise ValueError(f"clouds: {len(points)} points but {len(labels)} labels")
    pooled: dict[str, list[np.ndarray]] = {}
    for lab in np.unique(labels):
        name = names.get(int(lab))
        if name is not None:
            pooled.setdefault(name, []).append(points[labels == lab])
    out = {}
    for name, parts in sorted(pooled.items()):
        pts = np.concatenate(parts)
        if len(pts) >= min_pixels:
            out[name] = pts
    return out


def support_box(name: str, points: np.ndarray, top_percentile: float = 95.0) -> PlaceBox:
    """A support (table, counter, shelf) from its points: footprint of the points near its
    top (its legs and front panel do not widen it) and the top's height."""
    pts = np.asarray(points, float).reshape(-1, 3)
    if not len(pts):
        raise ValueError(f"support_box: no points for {name}")
    top = float(np.percentile(pts[:, 2], top_percentile))
    near = pts[pts[:, 2] >= top - 0.05]
    lo, hi = near[:, :2].min(axis=0), near[:, :2].max(axis=0)
    return PlaceBox(name, "on", (float(lo[0]), float(lo[1]), float(pts[:, 2].min())), (float(hi[0]), float(hi[1]), top))


def container_box(name: str, points: np.ndarray) -> PlaceBox:
    """An open container's interior from its points (a drawer's moving part: floor, sides,
    front, knob; a cupboard's carcass): the axis-aligned box they span."""
    pts = np.asarray(points, float).reshape(-1, 3)
    if not len(pts):
        raise ValueError(f"container_box: no points for {name}")
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return PlaceBox(name, "in", tuple(map(float, lo)), tuple(map(float, hi)))


def _inside_xy(p, box: PlaceBox, margin: float) -> bool:
    return box.lo[0] - margin <= p[0] <= box.hi[0] + margin and box.lo[1] - margin <= p[1] <= box.hi[1] + margin


def relation_of_points(points: np.ndarray, places: list[PlaceBox], margin: float = MARGIN,
                       rest_tol: float = REST_TOL) -> tuple[str, str] | None:
    """("in", container) when the item's centroid lies in an open container's box (the
    smallest such box), else ("on", support) for the support whose footprint holds the
    centroid and whose top the item's lowest points rest on (within `rest_tol`; the closest
    top wins), else None.

    >>> drawer = PlaceBox("dresser_0_drawer1", "in", (1.0, 1.0, 0.4), (1.5, 1.6, 0.76))
    >>> relation_of_points(np.array([[1.2, 1.3, 0.52], [1.22, 1.3, 0.56]]), [drawer])
    ('in', 'dresser_0_drawer1')
    """
    pts = np.asarray(points, float).reshape(-1, 3)
    if not len(pts):
        return None
    c = pts.mean(axis=0)
    bottom = float(np.percentile(pts[:, 2], 2.0))
    inside = [b for b in places if b.relation == "in" and _inside_xy(c, b, margin) and b.lo[2] - margin <= c[2] <= b.hi[2]]
    if inside:
        best = min(inside, key=lambda b: (b.hi[0] - b.lo[0]) * (b.hi[1] - b.lo[1]) * (b.hi[2] - b.lo[2]))
        return ("in", best.name)
    resting = [(abs(bottom - b.top), b.name) for b in places
               if b.relation == "on" and _inside_xy(c, b, margin) and -rest_tol * 0.75 <= bottom - b.top <= rest_tol]
    if resting:
        return ("on", min(resting)[1])
    return None


__all__ = ["MARGIN", "REST_TOL", "PlaceBox", "camera_to_world", "clouds", "container_box", "relation_of_points", "support_box"]
