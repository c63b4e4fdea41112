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
        pts = back_project(np.where(depth <= max_range, depth, np.inf), intr)
        world = camera_to_start(pts, pose_xy, heading_deg)
        obstacle = world[(world[:, 2] > 0.1) & (world[:, 2] < 2.4)]
        # free space: along each pixel column up to its nearest obstacle (floor hits are not obstacles)
        cam = camera_to_start(np.zeros((1, 3)), pose_xy, heading_deg)[0, :2]
        rays = intr.pixel_rays()
        d = np.where(np.isfinite(depth), depth, np.inf)
        height = rays[..., 1] * d + CAMERA_HEIGHT
        horizontal = d * np.sqrt(rays[..., 0] ** 2 + 1.0)
        blocked = np.isfinite(d) & (d <= max_range) & (height > 0.1)
        reach = np.where(blocked, horizontal, max_range).min(axis=0)  # (w,)
        hrad = math.radians(heading_deg)
        xk = rays[0, :, 0]
        col_dirs = np.column_stack([xk * math.cos(hrad) + math.sin(hrad), -xk * math.sin(hrad) + math.cos(hrad)])
        col_dirs /= np.linalg.norm(col_dirs, axis=1, keepdims=True)
        steps = np.arange(0.0, max_range, self.res * 0.7)
        # one ray per pixel column, all columns at once (only FREE is written here, so no column sees another's)
        along = steps[None, :] < (reach - self.res)[:, None]  # (w, steps)
        k, j = np.nonzero(along)
        cells = self.to_cell(cam[None, :] + steps[j][:, None] * col_dirs[k])
        free = self.grid[cells[:, 1], cells[:, 0]] != OCCUPIED
        self.grid[cells[free, 1], cells[free, 0]] = FREE
        if len(obstacle):
            c = self.to_cell(obstacle[:, :2])
            self.grid[c[:, 1], c[:, 0]] = OCCUPIED
        # close the pinholes between diverging rays: unknown cells enclosed by free space are free
        free = (self.grid == FREE).astype(np.uint8)
        closed = cv2.morphologyEx(free, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        self.grid[(closed == 1) & (self.grid == UNKNOWN)] = FREE

    def coverage(self) -> int:
        return int((self.grid != UNKNOWN).sum())


def frontiers(grid: OccupancyGrid, min_cells: int = 5) -> list[tuple[np.ndarray, int]]:
    """Clusters of free cells bordering unknown space: (centroid xy, size), largest first."""
    free = (grid.grid == FREE).astype(np.uint8)
    unknown = (grid.grid == UNKNOWN).astype(np.uint8)
    near_unknown = cv2.dilate(unknown, np.ones((3, 3), np.uint8)) > 0
    front = (free.astype(bool) & near_unknown).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(front, connectivity=8)
    out = [(grid.to_xy(cents[i]), int(stats[i, cv2.CC_STAT_AREA])) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_cells]
    return sorted(out, key=lambda t: -t[1])


def segment_rooms(grid: OccupancyGrid, door_points: dict[str, np.ndarray], narrow: float = 0.55) -> nx.Graph:
    """Rooms = components of free space wider than a door; doors join the rooms on their
    two sides. Nodes: room ids with 'cells' (area, m^2) and 'centroid'; edges carry 'door'."""
    free = (grid.grid == FREE).astype(np.uint8)
    dist = cv2.distanceTransform(free, cv2.DIST_L2, 3) * grid.res
    wide = (dist > narrow).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(wide, connectivity=4)
    g = nx.Graph()
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA] * grid.res ** 2
        if area >= 2.0:
            g.add_node(i, area=float(area), centroid=grid.to_xy(cents[i]))
    for name, xy in door_points.items():
        ij = grid.to_cell(np.asarray(xy)[None, :])[0]
        r = int(round(1.2 / grid.res))
        patch = labels[max(0, ij[1] - r): ij[1] + r + 1, max(0, ij[0] - r): ij[0] + r + 1]
        rooms = sorted({int(v) for v in np.unique(patch) if v in g})
        if len(rooms) >= 2:
            g.add_edge(rooms[0], rooms[1], door=name)
    return g


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
