"""From depth frames to maps: back-projection, occupancy, TSDF, frontiers and rooms.

Everything here works in the agent's own start frame (metres, +y = its initial facing),
from its believed pose: the agent never sees world coordinates.

- `back_project`: depth image -> points in the camera frame (x right, y up, -z ahead).
- `camera_to_start`: camera-frame points -> start frame, given the agent's pose.
- `OccupancyGrid`: 2-D grid (unknown / free / occupied) carved by every depth frame:
  cells along each pixel column's ray up to the hit are free, the hit cells occupied.
- `Tsdf`: the same frames fused into an open3d VoxelBlockGrid (TSDF + colour), for the
  3-D map and pictures.
- `frontiers`: free cells next to unknown ones, clustered with OpenCV.
- `segment_rooms`: free space split at narrow passages (doors) into rooms, as a
  networkx graph of rooms joined by doors.
"""

from __future__ import annotations

import math

import cv2
import networkx as nx
import numpy as np

from perception.carve import carve_columns, scan_frame, value_bounds
from perception.sensors import Intrinsics

UNKNOWN, FREE, OCCUPIED = 0, 1, 2
CAMERA_FORWARD, CAMERA_HEIGHT = 0.07, 1.5  # where the camera sits on the robot


def back_project(depth: np.ndarray, intr: Intrinsics, mask: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) camera-frame points of the finite depth pixels (selected by `mask`)."""
    rays = intr.pixel_rays()
    ok = np.isfinite(depth) if mask is None else (mask & np.isfinite(depth))
    return rays[ok] * depth[ok][:, None]


def camera_to_start(points: np.ndarray, pose_xy, heading_deg: float) -> np.ndarray:
    """Camera-frame points -> start frame for an agent at `pose_xy` facing `heading_deg`
    (compass degrees in the start frame), camera 0.07 m ahead of its centre, 1.5 m up."""
    right, up, fwd = points[:, 0], points[:, 1], -points[:, 2] + CAMERA_FORWARD
    h = math.radians(heading_deg)
    x = pose_xy[0] + right * math.cos(h) + fwd * math.sin(h)
    y = pose_xy[1] - right * math.sin(h) + fwd * math.cos(h)
    return np.column_stack([x, y, up + CAMERA_HEIGHT])


def check_view(depth: np.ndarray, intr: Intrinsics, pose_xy, heading_deg: float) -> None:
    """Refuse a frame a map cannot place, with one ValueError naming what is wrong: a depth image
    that is not (height, width) of its intrinsics or holds no distances (text, objects, booleans,
    complex numbers), a pose that is not two finite numbers, a heading
    that is not a finite number (NaN would carve arbitrary cells, inf fails deep in the math)."""
    shape = np.shape(depth)
    if shape != (intr.height, intr.width):
        raise ValueError(f"depth must be a (height, width) = ({intr.height}, {intr.width}) image, not shape {shape}")
    kind = np.asarray(depth).dtype
    if not (np.issubdtype(kind, np.integer) or np.issubdtype(kind, np.floating)):  # bool is neither
        raise ValueError(f"depth must hold distances in metres (integers or floats), not {kind} values")
    try:
        x, y = (float(v) for v in pose_xy)
    except (TypeError, ValueError):
        raise ValueError(f"pose_xy must be two numbers (x, y), not {pose_xy!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"pose_xy must be finite, not {pose_xy!r}")
    if isinstance(heading_deg, bool) or not isinstance(heading_deg, (int, float, np.number)) or not math.isfinite(heading_deg):
        raise ValueError(f"heading_deg must be a finite number of degrees, not {heading_deg!r}")


class OccupancyGrid:
    def __init__(self, resolution: float = 0.1, half_extent: float = 30.0) -> None:
        self.res = resolution
        self.n = int(round(2 * half_extent / resolution))
        self.origin = -half_extent
        self.grid = np.zeros((self.n, self.n), np.uint8)  # [iy, ix]

    def to_cell(self, xy: np.ndarray) -> np.ndarray:
        ij = np.floor((np.asarray(xy) - self.origin) / self.res).astype(int)
        return np.clip(ij, 0, self.n - 1)

    def to_xy(self, ij: np.ndarray) -> np.ndarray:
        return (np.asarray(ij) + 0.5) * self.res + self.origin

    def integrate(self, depth: np.ndarray, intr: Intrinsics, pose_xy, heading_deg: float, max_range: float = 12.0) -> None:
        """Carve free space along each pixel column and mark obstacles where rays end."""
        check_view(depth, intr, pose_xy, heading_deg)
        if not (isinstance(max_range, (int, float)) and 0.0 < max_range < math.inf):
            raise ValueError(f"max_range must be a positive finite distance in metres, not {max_range!r}")
        rays = intr.pixel_rays()
        h = math.radians(heading_deg)
        cos_h, sin_h = math.cos(h), math.sin(h)
        # per pixel column, the horizontal reach to its nearest point above the floor (floor hits are
        # not obstacles); obstacles: the points between 0.1 and 2.4 m high, their start-frame x, y
        reach = np.empty(depth.shape[1])
        obstacle = np.empty((depth.size, 2))
        n = scan_frame(np.asarray(depth, dtype=np.float64), rays, float(max_range), float(pose_xy[0]), float(pose_xy[1]),
                       cos_h, sin_h, CAMERA_FORWARD, CAMERA_HEIGHT, 0.1, 2.4, reach, obstacle)
        obstacle = obstacle[:n]
        cam = camera_to_start(np.zeros((1, 3)), pose_xy, heading_deg)[0, :2]
        xk = rays[0, :, 0]
        col_dirs = np.column_stack([xk * cos_h + sin_h, -xk * sin_h + cos_h])
        col_dirs /= np.linalg.norm(col_dirs, axis=1, keepdims=True)
        steps = np.arange(0.0, max_range, self.res * 0.7)
        carve_columns(self.grid, cam, steps, col_dirs, reach - self.res, float(self.origin), float(self.res), FREE, OCCUPIED)
        if len(obstacle):
            c = self.to_cell(obstacle)
            self.grid[c[:, 1], c[:, 0]] = OCCUPIED
        self._close_pinholes()

    def _close_pinholes(self) -> None:
        """Close the pinholes between diverging rays: unknown cells enclosed by free space are
        free. Only near free cells can change: the closing (3x3 dilate, then erode) runs on the
        free cells' window with a two-cell margin, which the whole grid's would agree with."""
        win = _free_window(self, margin=2)
        if win is None:
            return
        _, _, cells = win  # a view: writes go to the grid
        free = (cells == FREE).astype(np.uint8)
        closed = cv2.morphologyEx(free, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        cells[(closed == 1) & (cells == UNKNOWN)] = FREE

    def coverage(self) -> int:
        return int((self.grid != UNKNOWN).sum())


def frontiers(grid: OccupancyGrid, min_cells: int = 5) -> list[tuple[np.ndarray, int]]:
    """Clusters of free cells bordering unknown space: (centroid xy, size), largest first.

    Works on the window of the free cells (`_free_window`): frontier cells are free, and a
    free cell's 3x3 neighbourhood lies in the window, so the same cells, clusters (in the same
    label order) and centroids come out as from the whole grid."""
    win = _free_window(grid)
    if win is None:
        return []
    r0, c0, cells = win
    free = (cells == FREE).astype(np.uint8)
    unknown = (cells == UNKNOWN).astype(np.uint8)
    near_unknown = cv2.dilate(unknown, np.ones((3, 3), np.uint8)) > 0
    front = (free.astype(bool) & near_unknown).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(front, connectivity=8)
    cents = _grid_centroids(stats, cents, r0, c0)
    out = [(grid.to_xy(cents[i]), int(stats[i, cv2.CC_STAT_AREA])) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_cells]
    return sorted(out, key=lambda t: -t[1])


def segment_rooms(grid: OccupancyGrid, door_points: dict[str, np.ndarray], narrow: float = 0.55) -> nx.Graph:
    """Rooms = components of free space wider than a door; doors join the rooms on their
    two sides. Nodes: room ids with 'cells' (area, m^2) and 'centroid'; edges carry 'door'.

    Works on the window of the free cells (`_free_window`), whose one-cell margin is not free:
    the distance transform (integer chamfer steps, the nearest non-free cell of a free one is
    never beyond that margin), the components, their labels (numbered in raster order) and
    centroids are those of the whole grid; outside the window the labels are 0."""
    g = nx.Graph()
    win = _free_window(grid)
    if win is None:
        return g
    r0, c0, cells = win
    free = (cells == FREE).astype(np.uint8)
    dist = cv2.distanceTransform(free, cv2.DIST_L2, 3) * grid.res
    wide = (dist > narrow).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(wide, connectivity=4)
    cents = _grid_centroids(stats, cents, r0, c0)
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA] * grid.res ** 2
        if area >= 2.0:
            g.add_node(i, area=float(area), centroid=grid.to_xy(cents[i]))
    for name, xy in door_points.items():
        ij = grid.to_cell(np.asarray(xy)[None, :])[0]
        r = int(round(1.2 / grid.res))
        rows = slice(max(0, max(0, ij[1] - r) - r0), max(0, ij[1] + r + 1 - r0))
        cols = slice(max(0, max(0, ij[0] - r) - c0), max(0, ij[0] + r + 1 - c0))
        rooms = sorted({int(v) for v in np.unique(labels[rows, cols]) if v in g})
        if len(rooms) >= 2:
            g.add_edge(rooms[0], rooms[1], door=name)
    return g


def _free_window(grid: OccupancyGrid, margin: int = 1) -> tuple[int, int, np.ndarray] | None:
    """(first row, first column, cells view) of the smallest window of the grid that holds
    every FREE cell with `margin` cells around, its corner moved to even indices (OpenCV
    labels 8-connected components by 2x2 blocks: the blocks stay those of the whole grid);
    None without free cells."""
    cells = grid.grid
    x, y, w, h = value_bounds(cells, cells.dtype.type(FREE))  # FREE in the grid's dtype: bytes compared with bytes
    if w == 0:
        return None
    r0, c0 = max(0, y - margin) & ~1, max(0, x - margin) & ~1
    return r0, c0, grid.grid[r0:y + h + margin, c0:x + w + margin]


def _grid_centroids(stats: np.ndarray, cents: np.ndarray, r0: int, c0: int) -> np.ndarray:
    """Component centroids in whole-grid cells from a window's: OpenCV divides the integer
    sum of the columns (rows) by the area, so the window's sum is recovered exactly
    (round(centroid * area), far below 2**51) and the whole grid's sum divided the same way."""
    out = cents.copy()
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    out[1:, 0] = (np.round(cents[1:, 0] * area) + area * c0) / area
    out[1:, 1] = (np.round(cents[1:, 1] * area) + area * r0) / area
    return out


class Tsdf:
    """The frames fused into an open3d VoxelBlockGrid (TSDF + colour), in the start frame."""

    def __init__(self, voxel_size: float = 0.05, depth_max: float = 10.0) -> None:
        import open3d as o3d

        self.o3d = o3d
        self.depth_max = depth_max
        self.vbg = o3d.t.geometry.VoxelBlockGrid(
            attr_names=("tsdf", "weight", "color"), attr_dtypes=(o3d.core.float32,) * 3, attr_channels=((1), (1), (3)),
            voxel_size=voxel_size, block_resolution=8, block_count=40000, device=o3d.core.Device("CPU:0"))

    def integrate(self, depth: np.ndarray, rgb: np.ndarray, intr: Intrinsics, pose_xy, heading_deg: float) -> None:
        check_view(depth, intr, pose_xy, heading_deg)
        if np.shape(rgb) != (intr.height, intr.width, 3):
            raise ValueError(f"rgb must be a ({intr.height}, {intr.width}, 3) image, not shape {np.shape(rgb)}")
        o3d = self.o3d
        # open3d cameras look along +z with y down: flip our (x right, y up, -z ahead) frame
        cam_to_start = np.eye(4)
        h = math.radians(heading_deg)
        right = np.array([math.cos(h), -math.sin(h), 0.0])
        fwd = np.array([math.sin(h), math.cos(h), 0.0])
        cam_to_start[:3, 0], cam_to_start[:3, 1], cam_to_start[:3, 2] = right, [0, 0, -1.0], fwd
        cam_to_start[:3, 3] = [pose_xy[0] + CAMERA_FORWARD * fwd[0], pose_xy[1] + CAMERA_FORWARD * fwd[1], CAMERA_HEIGHT]
        extrinsic = o3d.core.Tensor(np.linalg.inv(cam_to_start), o3d.core.float64)
        d = np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)
        dimg = o3d.t.geometry.Image(o3d.core.Tensor(np.ascontiguousarray(d)))
        cimg = o3d.t.geometry.Image(o3d.core.Tensor(np.ascontiguousarray(rgb.astype(np.float32) / 255.0)))
        K = o3d.core.Tensor(intr.matrix, o3d.core.float64)
        blocks = self.vbg.compute_unique_block_coordinates(depth=dimg, intrinsic=K, extrinsic=extrinsic, depth_scale=1.0,
                                                           depth_max=self.depth_max)
        self.vbg.integrate(block_coords=blocks, depth=dimg, color=cimg, intrinsic=K, extrinsic=extrinsic, depth_scale=1.0,
                           depth_max=self.depth_max)

    def points(self, weight_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Surface points (zero crossings whose fused weight exceeds `weight_threshold`; one frame gives 1) and colours."""
        pc = self.vbg.extract_point_cloud(weight_threshold=weight_threshold)
        if "positions" not in pc.point:
            return np.zeros((0, 3)), np.zeros((0, 3))
        return pc.point.positions.numpy(), pc.point.colors.numpy()
