"""Perception numbers for `spacelab bench`: camera frames/s (ray-cast and OpenGL, 64 and 128 px,
RGB + depth + segmentation; the ray-cast one also at 128 px over 60 views, `raycast_128_views`),
map-update milliseconds per frame (occupancy grid and open3d TSDF), and mapper episodes/min
(after one untimed episode: compiled kernels load from numba's cache on first use).

The ray-cast camera reuses its last frame while nothing in view moved, so its rates are
measured on a moving robot (one physics step of turning before every frame, that step
included): every frame is cast anew. It is measured with its rays on 1 and on 2 threads
(`RayCastCamera(threads=2)`: the compiled caster and mj_multiRay both release the GIL), once
with a ray per pixel (`raycast_128_per_pixel`, the reference it equals), and once more standing
still (`raycast_128_static`: the reused frame, a copy). Over the 60 views it is also measured on
two threads (wall clock) and with MuJoCo's own `mj_multiRay` for its rays
(`raycast_128_views_mj_multiray`: the same frames, bit for bit)."""

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


def _views_fps(suite: str, scenes: int = 5, headings: int = 12, rays: str = "compiled", threads: int = 1) -> float:
    """Ray-cast frames per CPU second at 128 px over many views: `headings` compass headings in each of
    the first `scenes` scenes, two frames each (one physics step of turning before each). One view
    says little: a frame's cost goes with the silhouettes and thin parts in it. With two threads,
    frames per wall-clock second (CPU time counts both threads)."""
    from sim.cameras import RayCastCamera
    from sim.navigation import rotate_to

    clock = time.process_time if threads == 1 else time.perf_counter
    spent, frames = 0.0, 0
    for i in range(scenes):
        b = make_backend("mujoco")
        b.load(load_suite_scene(suite, i))
        cam = RayCastCamera(128, rays=rays, threads=threads)
        cam.render(b)  # builds its ray scene
        for k in range(headings):
            rotate_to(b, 360.0 * k / headings)
            for _ in range(2):
                b.step((0.0, 0.0, 0.5), 1)
                t0 = clock()
                cam.render(b)
                spent += clock() - t0
                frames += 1
        cam.close()
        b.close()
    return frames / spent


def perception_table(suite: str = DEFAULT_SUITE, episodes: int = 5) -> dict:
    from perception.mapping import OccupancyGrid, Tsdf
    from sim.cameras import GLCamera, RayCastCamera

    b = make_backend("mujoco")
    b.load(load_suite_scene(suite, 1))
    out: dict = {"gl_backend": os.environ.get("MUJOCO_GL", "default"), "cameras": {}}
    turning = (0.0, 0.0, 0.5)

    def moving(cam):
        b.step(turning, 1)
        cam.render(b)

    for size in (64, 128):
        rc = RayCastCamera(size)
        out["cameras"][f"raycast_{size}"] = round(_fps(lambda: moving(rc)), 1)
        if size == 128:
            per_pixel = RayCastCamera(size, stride=1)  # the reference: a ray per pixel
            out["cameras"]["raycast_128_per_pixel"] = round(_fps(lambda: moving(per_pixel)), 1)
            out["cameras"]["raycast_128_static"] = round(_fps(lambda: rc.render(b)), 1)
            rc2 = RayCastCamera(size, threads=2)
            out["cameras"]["raycast_128_2_threads"] = round(_fps(lambda: moving(rc2)), 1)
            rc2.close()
        try:
            gl = GLCamera(size)
            out["cameras"][f"gl_{size}"] = round(_fps(lambda: gl.render(b)), 1)
            gl.close()
        except BackendError as e:
            out["cameras"][f"gl_{size}"] = None
            out["gl_error"] = str(e)
    out["cameras"]["raycast_128_views"] = round(_views_fps(suite), 1)
    out["cameras"]["raycast_128_views_2_threads"] = round(_views_fps(suite, threads=2), 1)
    out["cameras"]["raycast_128_views_mj_multiray"] = round(_views_fps(suite, rays="mujoco"), 1)
    frame = RayCastCamera(128).render(b)
    grid = OccupancyGrid()
    out["occupancy_ms_per_frame"] = round(1000 / _fps(lambda: grid.integrate(frame.depth, frame.intrinsics, (0.0, 0.0), 0.0)), 2)
    tsdf = Tsdf()
    out["tsdf_ms_per_frame"] = round(1000 / _fps(lambda: tsdf.integrate(frame.depth, frame.rgb, frame.intrinsics, (0.0, 0.0), 0.0)), 2)
    # one episode first, untimed: the compiled kernels (numba) load from their cache on first use
    run_episode(ExplorationEnv(load_suite_scene(suite, 0), obs_mode="rgbd"), make_agent("mapper"), seed=0)
    t0 = time.perf_counter()
    for i in range(episodes):
        run_episode(ExplorationEnv(load_suite_scene(suite, i), obs_mode="rgbd"), make_agent("mapper"), seed=i)
    out["mapper_episodes_per_min"] = round(60 * episodes / (time.perf_counter() - t0), 1)
    return out
