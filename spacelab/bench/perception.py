"""Perception numbers for `spacelab bench`: camera frames/s per core (ray-cast and OpenGL,
64 and 128 px, RGB + depth + segmentation), map-update milliseconds per frame (occupancy
grid and open3d TSDF), and mapper episodes/min."""

from __future__ import annotations

import os
import time

from planners.agents import make_agent
from scenes.suites import DEFAULT_SUITE, load_suite_scene
from sim.backends import BackendError, make_backend
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode


def _fps(fn, seconds: float = 1.0) -> float:
    fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def perception_table(suite: str = DEFAULT_SUITE, episodes: int = 5) -> dict:
    from perception.mapping import OccupancyGrid, Tsdf
    from sim.cameras import GLCamera, RayCastCamera

    b = make_backend("mujoco")
    b.load(load_suite_scene(suite, 1))
    out: dict = {"gl_backend": os.environ.get("MUJOCO_GL", "default"), "cameras": {}}
    for size in (64, 128):
        rc = RayCastCamera(size)
        out["cameras"][f"raycast_{size}"] = round(_fps(lambda: rc.render(b)), 1)
        try:
            gl = GLCamera(size)
            out["cameras"][f"gl_{size}"] = round(_fps(lambda: gl.render(b)), 1)
            gl.close()
        except BackendError as e:
            out["cameras"][f"gl_{size}"] = None
            out["gl_error"] = str(e)
    frame = RayCastCamera(128).render(b)
    grid = OccupancyGrid()
    out["occupancy_ms_per_frame"] = round(1000 / _fps(lambda: grid.integrate(frame.depth, frame.intrinsics, (0.0, 0.0), 0.0)), 2)
    tsdf = Tsdf()
    out["tsdf_ms_per_frame"] = round(1000 / _fps(lambda: tsdf.integrate(frame.depth, frame.rgb, frame.intrinsics, (0.0, 0.0), 0.0)), 2)
    t0 = time.perf_counter()
    for i in range(episodes):
        run_episode(ExplorationEnv(load_suite_scene(suite, i), obs_mode="rgbd"), make_agent("mapper"), seed=i)
    out["mapper_episodes_per_min"] = round(60 * episodes / (time.perf_counter() - t0), 1)
    return out
