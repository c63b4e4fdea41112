"""The performance paths of issue 20 give the same answers as the straightforward ones: rays
split over threads, a camera frame reused while nothing moved, one ray batch per Observe,
the batch backend's lazy mirror, the batched model fit and the vectorised occupancy carving.
(Timings live in `spacelab bench`, never here.)"""

import numpy as np
import pytest

from perception.mapping import FREE, OCCUPIED, UNKNOWN, OccupancyGrid, camera_to_start
from perception.objects import _closest, _model_table
from perception.visibility import ViewConfig, observe_view, sample_points, unoccluded, visible_cells
from scenes import load_suite_scene
from sim.backends import make_backend
from sim.cameras import RayCastCamera
from sim.env import ExplorationEnv
from spacelab.bench.compare import compare_results, format_comparison


def _drive(b, n=12):
    for _ in range(n):
        b.step((0.4, -0.2, 0.8), 9)
        yield


def test_rays_on_two_threads_and_reused_frames_equal_one_thread():
    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 2))
    one, two = RayCastCamera(96), RayCastCamera(96, threads=2)
    for _ in _drive(b):
        f1, f2 = one.render(b), two.render(b)
        for a, c in ((f1.rgb, f2.rgb), (f1.depth, f2.depth), (f1.segmentation, f2.segmentation)):
            assert np.array_equal(a, c)
        again = two.render(b)  # nothing moved: the same frame, in arrays of its own
        assert np.array_equal(again.depth, f2.depth) and np.array_equal(again.segmentation, f2.segmentation)
        again.segmentation[:] = 99
        assert not np.array_equal(two.render(b).segmentation, again.segmentation)
    two.close()
    with pytest.raises(ValueError):
        RayCastCamera(32, threads=0)


def test_a_moved_object_is_not_served_from_the_reused_frame():
    b = make_backend("mujoco")
    spec = load_suite_scene("tos-3room", 0)
    b.load(spec)
    cam = RayCastCamera(64)
    before = cam.render(b)
    name = spec.objects[0].name
    b.set_object_pose(name, 50.0, 50.0, 0.0)  # out of the house
    after = cam.render(b)
    assert np.array_equal(after.segmentation, RayCastCamera(64).render(b).segmentation)
    assert 0 not in np.unique(after.segmentation) or not np.array_equal(after.segmentation, before.segmentation)


@pytest.mark.parametrize("index", [0, 3, 7])
def test_one_ray_batch_per_observe_equals_the_separate_queries(index):
    env = ExplorationEnv(load_suite_scene("tos-3room", index))
    env.reset()
    spec, cfg, targets = env.scene, ViewConfig(), sample_points(env.scene)
    for turn in ("Observe()", "Rotate(90), Observe()", "Rotate(90), Observe()", "Rotate(90), Observe()"):
        env.step(f"Actions: [{turn}]")
        pts, owner, _ = targets
        seen, free = observe_view(env.backend, spec, env.pose_xy, env.heading, cfg, targets, env.free_cells)
        # the reference: each query on its own, as before
        from perception.visibility import _candidates

        cand = _candidates(spec, targets[2], env.pose_xy, env.heading, cfg)
        mask = np.isin(owner, cand)
        clear = unoccluded(env.backend, pts[mask], owner[mask], cfg) if cand else np.zeros(0, bool)
        assert seen == sorted(set(owner[mask][clear].tolist()))
        assert np.array_equal(free, visible_cells(env.backend, env.free_cells, env.pose_xy, env.heading, cfg))


def test_the_batch_mirror_computes_what_an_eager_one_would():
    from robots.headless_mujoco import mujoco

    spec = load_suite_scene("tos-3room", 1)
    lazy = make_backend("mujoco-batch")
    lazy.load(spec)
    for _ in _drive(lazy, 20):
        assert lazy.robot_contacts() == _contacts_after_forward(lazy, mujoco)
        d = mujoco.MjData(lazy.model)
        d.qpos[:], d.qvel[:] = lazy.data.qpos, lazy.data.qvel
        mujoco.mj_forward(lazy.model, d)
        assert np.array_equal(d.cam_xpos, lazy.data.cam_xpos) and np.array_equal(d.geom_xpos, lazy.data.geom_xpos)


def _contacts_after_forward(b, mujoco):
    d = mujoco.MjData(b.model)
    d.qpos[:], d.qvel[:] = b.data.qpos, b.data.qvel
    mujoco.mj_forward(b.model, d)
    body, c = b.model.geom_bodyid, d.contact[: d.ncon]
    return int(np.sum((body[c.geom1] == b.scene.robot_body) | (body[c.geom2] == b.scene.robot_body))) if d.ncon else 0


def _closest_reference(q, dark, model):
    """perception.objects._closest as it was: (n, parts, 3) arrays."""
    centre, half, kind, part_dark = model
    rel = q[:, None, :] - centre[None, :, :]
    clamped = np.clip(rel, -half, half)
    inside = np.all(np.abs(rel) < half, axis=2)
    gap = half - np.abs(rel)
    ax = np.argmin(gap, axis=2)
    face = clamped.copy()
    idx = np.nonzero(inside)
    face[idx[0], idx[1], ax[idx]] = np.sign(rel[idx[0], idx[1], ax[idx]]) * half[idx[1], ax[idx]]
    off = rel - face
    sph = kind == 1
    if sph.any():
        n = np.linalg.norm(rel[:, sph], axis=2, keepdims=True)
        off[:, sph] = rel[:, sph] - rel[:, sph] / np.maximum(n, 1e-9) * half[sph, 0][None, :, None]
    cyl = kind == 2
    if cyl.any():
        rc = rel[:, cyl]
        radius, hl = half[cyl, 0][None, :], half[cyl, 2][None, :]
        rxy = np.hypot(rc[..., 0], rc[..., 1])
        scale = np.where(rxy > radius, radius / np.maximum(rxy, 1e-9), 1.0)
        cz = np.clip(rc[..., 2], -hl, hl)
        cp = np.stack([rc[..., 0] * scale, rc[..., 1] * scale, cz], axis=-1)
        inside_c = (rxy <= radius) & (np.abs(rc[..., 2]) <= hl)
        to_side, to_cap = radius - rxy, hl - np.abs(rc[..., 2])
        side = inside_c & (to_side < to_cap)
        cap = inside_c & ~side
        unit = rc[..., :2] / np.maximum(rxy, 1e-9)[..., None]
        cp[side, 0], cp[side, 1] = (unit[..., 0] * radius)[side], (unit[..., 1] * radius)[side]
        cp[cap, 2] = (np.sign(rc[..., 2]) * hl)[cap]
        off[:, cyl] = rc - cp
    dist = np.linalg.norm(off, axis=2)
    dist = np.where(part_dark[None, :] == dark[:, None], dist, dist + 1.0)
    j = np.argmin(dist, axis=1)
    rows = np.arange(len(q))
    return off[rows, j], dist[rows, j]


@pytest.mark.parametrize("category", ["armchair", "bed", "fan", "globe", "lamp", "monitor", "piano", "table", "vase"])
def test_the_model_fit_kernel_is_bit_identical_to_the_3d_one(category):
    from scenes.catalog import CATALOG

    cat = CATALOG[category]
    model = _model_table(category, tuple(cat.size))
    rng = np.random.default_rng(len(category))
    q = rng.uniform(-1, 1, (2000, 3)) * (np.array(cat.size)[[1, 0, 2]] * 0.8) + [0, 0, cat.size[2] / 2]
    dark = rng.random(2000) < 0.3
    res, dist = _closest(q, dark, model)
    ref_res, ref_dist = _closest_reference(q, dark, model)
    assert np.array_equal(res, ref_res) and np.array_equal(dist, ref_dist)


def test_vectorised_carving_equals_the_column_loop():
    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 1))
    frame = RayCastCamera(64).render(b)
    fast, ref = OccupancyGrid(), OccupancyGrid()
    fast.integrate(frame.depth, frame.intrinsics, (0.5, -1.0), 30.0)
    _integrate_reference(ref, frame.depth, frame.intrinsics, (0.5, -1.0), 30.0)
    assert np.array_equal(fast.grid, ref.grid) and (fast.grid == FREE).any()


def _integrate_reference(g, depth, intr, pose_xy, heading_deg, max_range=12.0):
    """OccupancyGrid.integrate as it was: one column at a time."""
    import math

    import cv2

    from perception.mapping import CAMERA_HEIGHT, back_project

    w = depth.shape[1]
    pts = back_project(np.where(depth <= max_range, depth, np.inf), intr)
    world = camera_to_start(pts, pose_xy, heading_deg)
    obstacle = world[(world[:, 2] > 0.1) & (world[:, 2] < 2.4)]
    cam = camera_to_start(np.zeros((1, 3)), pose_xy, heading_deg)[0, :2]
    rays = intr.pixel_rays()
    d = np.where(np.isfinite(depth), depth, np.inf)
    height = rays[..., 1] * d + CAMERA_HEIGHT
    horizontal = d * np.sqrt(rays[..., 0] ** 2 + 1.0)
    blocked = np.isfinite(d) & (d <= max_range) & (height > 0.1)
    reach = np.where(blocked, horizontal, max_range).min(axis=0)
    hrad = math.radians(heading_deg)
    xk = rays[0, :, 0]
    col_dirs = np.column_stack([xk * math.cos(hrad) + math.sin(hrad), -xk * math.sin(hrad) + math.cos(hrad)])
    col_dirs /= np.linalg.norm(col_dirs, axis=1, keepdims=True)
    steps = np.arange(0.0, max_range, g.res * 0.7)
    for k in range(w):
        s = steps[steps < reach[k] - g.res]
        cells = g.to_cell(cam[None, :] + s[:, None] * col_dirs[k][None, :])
        free = g.grid[cells[:, 1], cells[:, 0]] != OCCUPIED
        g.grid[cells[free, 1], cells[free, 0]] = FREE
    if len(obstacle):
        c = g.to_cell(obstacle[:, :2])
        g.grid[c[:, 1], c[:, 0]] = OCCUPIED
    free = (g.grid == FREE).astype(np.uint8)
    closed = cv2.morphologyEx(free, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    g.grid[(closed == 1) & (g.grid == UNKNOWN)] = FREE


def test_bench_compare_lines_up_figures_and_ratios():
    old = {"suite": "tos-3room", "physics_limit_ratio": 0.7, "perception": {"cameras": {"raycast_128": 500.0}}, "gone": 1}
    new = {"suite": "tos-3room", "physics_limit_ratio": 0.91, "perception": {"cameras": {"raycast_128": 1000.0}}, "new": 2}
    rows = compare_results(old, new)
    assert ("physics_limit_ratio", 0.7, 0.91, 1.3) in rows
    assert ("perception.cameras.raycast_128", 500.0, 1000.0, 2.0) in rows
    assert ("new", None, 2.0, None) in rows and ("gone", 1.0, None, None) in rows
    text = format_comparison(rows)
    assert "raycast_128" in text and "2" in text and "suite" not in text
