"""The performance paths of issue 20 give the same answers as the straightforward ones: rays
split over threads, a camera frame reused while nothing moved, one ray batch per Observe,
the batch backend's lazy mirror, the batched model fit and the vectorised occupancy carving.
(Timings live in `spacelab bench`, never here.)"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.bins import DIRECTION_NAMES, DISTANCE_NAMES
from perception.closest_part import nearest_parts
from perception.mapping import FREE, OCCUPIED, UNKNOWN, OccupancyGrid, camera_to_start
from perception.objects import _model_table
from perception.visibility import ViewConfig, observe_view, sample_points, unoccluded, visible_cells
from scenes import load_suite_scene
from scenes.grid import neighbours_of_object
from sim.backends import BackendError, make_backend
from sim.cameras import RayCastCamera
from sim.env import ExplorationEnv
from sim.navigation import plan_path, rotate_to
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


def _closest(q, dark, model):
    """The compiled kernel on body-frame points q (n, 3): offsets (n, 3) and distances (n,)."""
    dist, off = nearest_parts(np.ascontiguousarray(q[:, :2].T)[:, None, :], q[:, 2], dark, *model)
    return np.ascontiguousarray(off[:, 0].T), dist[0]


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


_quarter = st.integers(-8, 8).map(lambda k: k / 4)  # a coarse grid: points on faces, ties, zeros


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.tuples(st.integers(0, 2), st.tuples(_quarter, _quarter, _quarter),
                                st.tuples(*[st.integers(1, 6).map(lambda k: k / 4)] * 3), st.booleans()),
                      min_size=1, max_size=6),
       points=st.lists(st.tuples(_quarter, _quarter, _quarter, st.booleans()), min_size=1, max_size=40))
def test_the_compiled_closest_part_kernel_equals_the_3d_one_on_faces_and_ties(parts, points):
    _kernel_equals_the_3d_one(parts, points)


def test_a_point_infinitely_far_goes_to_the_first_part_as_argmin_sends_it():
    boxes = [(0, (0.0, 0.0, 0.0), (0.5, 0.5, 0.5), False), (0, (1.0, 2.0, 0.0), (0.25, 0.5, 1.0), False)]
    _kernel_equals_the_3d_one(boxes, [(np.inf, 0.0, 0.0, False), (-np.inf, 1.0, 0.5, False)])


def _kernel_equals_the_3d_one(parts, points):
    """perception.closest_part on grid points and parts: points on faces, edges and centres,
    equal distances to several parts (the first wins), inside boxes and cylinders."""
    kind = np.array([k for k, _, _, _ in parts])
    half = np.array([(h[0], h[0], h[0]) if k == 1 else (h[0], h[0], h[2]) if k == 2 else h for k, _, h, _ in parts], float)
    model = (np.array([c for _, c, _, _ in parts], float), half, kind, np.array([d for *_, d in parts]))
    q = np.array([p[:3] for p in points], float)
    dark = np.array([p[3] for p in points])
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


# -- issue 20, the exploration env's non-physics time: per-scene Observe tables, scalar bins, live batch
# views, PyBullet's state as floats, remembered parses, the node table (each against the code it replaces)


def _view_cases(env, rng, n_nodes=10):
    nodes = sorted(env.graph.nodes)
    for k in rng.choice(len(nodes), n_nodes, replace=False):
        for h in (0.0, 90.0, 180.0, 270.0, float(rng.uniform(0.0, 360.0)), 45.000001):
            yield tuple(nodes[k]), h


@pytest.mark.parametrize("backend", ["mujoco", "mujoco-batch", "pybullet"])
def test_the_per_scene_view_tables_answer_as_observe_view(backend):
    from perception.visibility import ViewGeometry

    rng = np.random.default_rng(20)
    for suite, index in (("tos-3room", 0), ("tos-3room", 7), ("tos-2room", 1)):
        env = ExplorationEnv(load_suite_scene(suite, index), backend=backend)
        env.reset()
        for cfg in (ViewConfig(), ViewConfig(fov_deg=120.0, max_range=6.0, min_range=0.5)):
            geo = ViewGeometry(env.scene, cfg, env._targets, env.free_cells)
            for xy, h in _view_cases(env, rng):
                env.backend.step(tuple(float(v) for v in rng.uniform(-1, 1, 3)), 3)  # a new camera position
                seen, free = observe_view(env.backend, env.scene, xy, h, cfg, env._targets, env.free_cells)
                got_seen, got_free = geo.observe(env.backend, xy, h)
                assert got_seen == seen and np.array_equal(got_free, free)
                alone = observe_view(env.backend, env.scene, xy, h, cfg, env._targets)
                assert geo.observe(env.backend, xy, h, with_cells=False) == alone
        env.close()


def _make_sightings_reference(spec, entities, agent_xy, agent_heading):
    """perception.text_obs.make_sightings as it was: numpy bins per sighting."""
    from perception.bins import agent_frame, direction_bin, distance_bin, egocentric, relative_facing
    from perception.text_obs import Sighting, _door_wall

    n_obj, out = len(spec.objects), []
    for e in entities:
        if e < n_obj:
            o = spec.objects[e]
            name, (x, y), kind = o.name, o.position, "object"
            facing, wall = (relative_facing(o.heading, agent_heading) if o.has_facing else None), None
        else:
            d = spec.doors[e - n_obj]
            name, (x, y), kind, facing = d.name, d.position, "door", None
            wall = _door_wall(d, agent_xy, agent_heading)
        dx, dy = x - agent_xy[0], y - agent_xy[1]
        ang, dist = egocentric(dx, dy, agent_heading)
        right, fwd = agent_frame(dx, dy, agent_heading)
        out.append(Sighting(name, kind, direction_bin(ang), distance_bin(dist), facing, wall, (round(right, 6), round(fwd, 6))))
    return sorted(out, key=lambda s: (s.offset[1] ** 2 + s.offset[0] ** 2, s.name))


def test_sightings_with_scalar_bins_equal_the_numpy_bins():
    from perception.text_obs import make_sightings

    rng = np.random.default_rng(3)
    for index in range(4):
        spec = load_suite_scene("tos-3room", index)
        every = list(range(len(spec.objects) + len(spec.doors)))
        for _ in range(200):
            xy = tuple(float(v) for v in rng.uniform(-2, 12, 2))
            h = float(rng.choice([0.0, 90.0, 180.0, 270.0, rng.uniform(-720, 720)]))
            assert make_sightings(spec, every, xy, h) == _make_sightings_reference(spec, every, xy, h)


@settings(max_examples=400, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0.0, allow_infinity=True) | st.just(float("nan")))
def test_scalar_bins_equal_the_numpy_bins(angle, dist):
    import math

    from perception.bins import DISTANCE_EDGES, direction_bin, distance_bin
    from perception.text_obs import _direction, _distance

    with np.errstate(invalid="ignore"):  # numpy warns on inf % 360 where Python's float % does not run
        assert _direction(angle) == direction_bin(angle)
    assert _distance(dist) == distance_bin(dist)
    for edge in (0.0, *DISTANCE_EDGES, 22.5, 45.0):  # each bin edge, its slack and the floats either side
        for v in (edge, edge + 1e-6, -edge - 1e-6):
            for x in (math.nextafter(v, -math.inf), v, math.nextafter(v, math.inf)):
                assert _direction(x) == direction_bin(x)
                if x >= 0:
                    assert _distance(x) == distance_bin(x)


def test_batch_world_counts_the_cpu_backends_contacts_every_tick():
    """The batch reads its robot's contact sensor: the CPU backend's count (contacts of the last step,
    mjData.contact after mj_step) on every tick, where the mirror's mj_forward of the new state disagreed
    on the ticks where a contact starts or ends."""
    from robots.headless_mujoco import mujoco

    spec = load_suite_scene("tos-3room", 1)
    cpu, batch = make_backend("mujoco"), make_backend("mujoco-batch")
    cpu.load(spec)
    batch.load(spec)
    rng = np.random.default_rng(7)
    touching = after_forward_differs = 0
    for k in range(400):
        if k % 25 == 0:  # a new heading now and then: into walls and furniture, and away again
            ctrl = tuple(float(v) for v in rng.normal(size=3) * (1.5, 1.5, 1.0))
        cpu.step(ctrl, 20)
        batch.step(ctrl, 20)
        assert batch.robot_contacts() == cpu.robot_contacts()
        touching += cpu.robot_contacts() > 0
        after_forward_differs += (_contacts_after_forward(batch, mujoco) > 0) != (cpu.robot_contacts() > 0)
    assert touching > 100 and after_forward_differs > 0  # the old rule would have failed here


def test_batch_world_reads_the_same_state_as_the_cpu_backend_every_tick():
    spec = load_suite_scene("tos-3room", 2)
    cpu, batch = make_backend("mujoco"), make_backend("mujoco-batch")
    cpu.load(spec)
    batch.load(spec)
    rng = np.random.default_rng(5)
    for k in range(40):
        ctrl = tuple(float(v) for v in rng.uniform(-1, 1, 3))
        for b in (cpu, batch):
            b.step(ctrl if k % 3 else np.array(ctrl), 7)  # tuples take the fast path, arrays the general one
        assert batch.robot_pose() == cpu.robot_pose()
        assert np.array_equal(batch.robot_velocity(), cpu.robot_velocity())
        if k % 2:
            assert batch.robot_contacts() == cpu.robot_contacts()
        if k % 5 == 0:  # the mirror's camera is where mj_forward of the current state puts it
            assert np.array_equal(batch.camera_position(), _forward(cpu).cam_xpos[cpu.scene.camera])
        assert np.array_equal(batch.data.qpos, cpu.data.qpos) and np.array_equal(batch.data.qvel, cpu.data.qvel)
    assert batch.physics_steps == cpu.physics_steps
    with pytest.raises(BackendError, match="NaN or inf"):
        batch.step((0.0, float("nan"), 0.0), 1)


def _forward(b):
    from robots.headless_mujoco import mujoco

    d = mujoco.MjData(b.model)
    d.qpos[:], d.qvel[:] = b.data.qpos, b.data.qvel
    mujoco.mj_forward(b.model, d)
    return d


def test_cpu_backend_takes_control_tuples_as_arrays():
    spec = load_suite_scene("tos-3room", 1)
    a, b = make_backend("mujoco"), make_backend("mujoco")
    a.load(spec)
    b.load(spec)
    rng = np.random.default_rng(9)
    for _ in range(30):
        ctrl = tuple(float(v) for v in rng.uniform(-1, 1, 3))
        a.step(ctrl, 5)
        b.step(np.array(ctrl), 5)
        assert np.array_equal(a.data.ctrl, b.data.ctrl) and np.array_equal(a.data.qpos, b.data.qpos)
        assert a.robot_pose() == b.robot_pose() and np.array_equal(a.camera_position(), b.data.cam_xpos[b.scene.camera])
    a.step((1, 0, 0), 2)  # ints, as a caller may send them
    b.step(np.array([1.0, 0.0, 0.0]), 2)
    assert np.array_equal(a.data.qpos, b.data.qpos)
    with pytest.raises(BackendError, match="NaN or inf"):
        a.step((0.0, float("inf"), 0.0), 1)


def test_pybullet_keeps_the_stepped_state_as_get_state_reads_it():
    from scenes.frames import mujoco_yaw_to_heading

    b = make_backend("pybullet")
    b.load(load_suite_scene("tos-3room", 0))
    for ctrl in ((0.3, -0.2, 0.5), (0.0, 0.0, -1.0), (0.5, 0.5, 0.0)):
        b.step(ctrl, 20)
        x, y, yaw = b.get_state()[:3].tolist()
        assert b.robot_pose() == (x, y, mujoco_yaw_to_heading(yaw))
        v = b.robot_velocity()
        assert v.dtype == np.float64 and np.array_equal(v, b.get_state()[3:6])
    b.close()


def test_remembered_parses_are_fresh_lists_and_errors_stay_errors():
    from sim.actions import ActionError, parse_turn
    from sim.env import _parse

    text = "Actions: [Rotate(90), Observe()]"
    first, second = _parse(text), _parse(text)
    assert first == second == parse_turn(text) and first is not second
    first.append("junk")
    assert _parse(text) == parse_turn(text)
    for _ in range(2):
        with pytest.raises(ActionError):
            _parse("Actions: [Fly()]")


def test_the_node_table_finds_nearest_node():
    from sim.navigation import NodeIndex, nearest_node

    env = ExplorationEnv(load_suite_scene("tos-3room", 4))
    table = NodeIndex(env.graph)
    rng = np.random.default_rng(1)
    for xy in rng.uniform(-3, 15, (300, 2)):
        assert table.nearest(tuple(xy)) == nearest_node(env.graph, tuple(xy))
    nodes = list(env.graph.nodes)
    for xy in nodes + [(x + 1e-9, y) for x, y in nodes[:50]] + [(np.float64(x), np.float64(y)) for x, y in nodes[:50]]:
        assert table.nearest(xy) == nearest_node(env.graph, xy)  # nodes themselves: looked up, not searched
    assert table.nearest(list(nodes[3])) == nodes[3]


def test_envs_on_one_scene_share_its_tables_and_the_kept_paths_are_the_planned_ones():
    from sim.env import scene_tables

    spec = load_suite_scene("tos-3room", 6)
    a, b = ExplorationEnv(spec), ExplorationEnv(load_suite_scene("tos-3room", 6))
    assert a._geometry is b._geometry and a.graph is b.graph and a._paths is b._paths
    wide = ViewConfig(fov_deg=120.0)
    assert scene_tables(spec, wide).geometry.cfg == wide and scene_tables(spec, wide) is not scene_tables(spec, ViewConfig())
    c = ExplorationEnv(load_suite_scene("tos-3room", 7))
    assert c._geometry is not a._geometry and c._geometry.spec == c.scene
    # a kept path is what planning gives now: every entity from 15 nodes, asked twice (the second from the table)
    nodes = sorted(a.graph.nodes)
    n_obj, n = len(spec.objects), len(spec.objects) + len(spec.doors)
    for here in nodes[::max(1, len(nodes) // 15)]:
        for idx in range(n):
            goals = [spec.doors[idx - n_obj].position] if idx >= n_obj else neighbours_of_object(a.graph, spec.objects[idx].position)
            paths = [p for p in (plan_path(a.graph, here, g) for g in goals) if p is not None]
            want = min(paths, key=lambda p: (sum(math.dist(u, v) for u, v in zip(p[:-1], p[1:])), p[-1])) if paths else None
            assert a._path_to(here, idx) == want and b._path_to(here, idx) == want
    assert len(a._paths) >= 15 * n


def test_a_backend_that_replaces_its_ray_casting_sees_every_ray():
    """The fused view (`MujocoBackend.view_rays`) stands in for `cast_rays` only while that and
    `camera_position` are the class's own: a subclass that casts its own rays is asked for each view."""
    from sim.backends.mujoco_cpu import MujocoBackend

    calls = []

    class Counting(MujocoBackend):
        def cast_rays(self, origin, dirs, cutoff):
            calls.append(len(dirs))
            return super().cast_rays(origin, dirs, cutoff)

    env = ExplorationEnv(load_suite_scene("tos-3room", 1), backend=Counting())
    env.reset()
    assert env.backend.view_rays(env._geometry._from(env.pose_xy), 0.0, 45.0, True, 1, env._geometry._points, 0.05, 1.0) is None
    plain = ExplorationEnv(load_suite_scene("tos-3room", 1))
    plain.reset()
    for heading in (0.0, 90.0, 180.0, 270.0):
        env.heading = plain.heading = heading
        seen, free = env._geometry.observe(env.backend, env.pose_xy, heading)
        want_seen, want_free = plain._geometry.observe(plain.backend, plain.pose_xy, heading)
        assert seen == want_seen and np.array_equal(free, want_free)
    assert len(calls) == 4 and min(calls) > 0


# -- issue 20, vision-mode throughput: the mapper's perception paths against the code they replaced --


def _fit_model_reference(pts, dark, category, size, start):
    """perception.objects.fit_model as it was: the 20 (heading, start) fits in Python lists,
    their points through the (n, parts, 3) kernel, one fit's reductions at a time."""
    import math

    from perception.objects import FIT_DECISIVE, FIT_ROBUST, MIN_PIXELS
    from scenes.catalog import CATALOG
    from scenes.frames import FACINGS

    cat = CATALOG.get(category)
    if cat is None or len(pts) < MIN_PIXELS:
        return None
    model = _model_table(category, tuple(size))
    step = max(1, len(pts) // 150)
    p, d = pts[::step], dark[::step]
    r = 0.25 * max(size[0], size[1])
    starts = [np.asarray(start, float)] + [np.asarray(start, float) + o for o in ((r, 0), (-r, 0), (0, r), (0, -r))]
    bases = []
    for k in range(4):
        f = np.array([math.sin(math.radians(90 * k)), math.cos(math.radians(90 * k))])
        bases.append(np.stack([f, np.array([-f[1], f[0]])]))
    fits = [(k, i) for k in range(4) for i in range(len(starts))]
    t = [starts[i] for _, i in fits]
    final = [None] * len(fits)
    live = list(range(len(fits)))
    n = len(p)

    def closest(which):
        q = np.concatenate([np.column_stack([(p[:, :2] - t[j]) @ bases[fits[j][0]].T, p[:, 2]]) for j in which])
        res, dist = _closest_reference(q, np.tile(d, len(which)), model)
        return [(res[a * n:(a + 1) * n], dist[a * n:(a + 1) * n]) for a in range(len(which))]

    for _ in range(4):
        if not live:
            break
        still = []
        for j, (res, dist) in zip(live, closest(live)):
            near = dist < FIT_ROBUST
            if not near.any():
                final[j] = dist
                continue
            t[j] = t[j] + res[near, :2].mean(axis=0) @ bases[fits[j][0]]
            still.append(j)
        live = still
    rest = [j for j in range(len(fits)) if final[j] is None]
    for j, (_, dist) in zip(rest, closest(rest) if rest else []):
        final[j] = dist
    best = []
    for k in range(4):
        costs = [(float(np.minimum(final[j], FIT_ROBUST).mean()), t[j]) for j in range(len(fits)) if fits[j][0] == k]
        cost, tk = min(costs, key=lambda x: x[0])
        best.append((cost, k, tk))
    best.sort(key=lambda x: x[0])
    cost, k, t_best = best[0]
    return t_best, FACINGS[k] if cat.has_facing and cost < FIT_DECISIVE * best[1][0] else None


def _same_fit(a, b):
    if a is None or b is None:
        return a is None and b is None
    return np.asarray(a[0]).tobytes() == np.asarray(b[0]).tobytes() and a[1] == b[1]


def _object_views(indices=(0, 4), frames=6):
    """(points, dark flags, category, size) of every object seen in a few frames of real scenes,
    as perception.objects._locate passes them to fit_model."""
    from perception.mapping import back_project
    from perception.objects import _category, _dark, albedo_brightness

    for index in indices:
        spec = load_suite_scene("tos-3room", index)
        b = make_backend("mujoco")
        b.load(spec)
        cam = RayCastCamera(128)
        for _ in range(frames):
            b.step((0.3, 0.0, 1.2), 12)
            frame = cam.render(b)
            albedo = albedo_brightness(frame)
            for e in np.unique(frame.segmentation):
                if not 0 <= e < len(spec.objects):
                    continue
                mask = frame.segmentation == e
                name = b.entity_names[e]
                pts = camera_to_start(back_project(frame.depth, frame.intrinsics, mask), (0.3, -0.4), 20.0 * e)
                dark = _dark(albedo[mask & np.isfinite(frame.depth)], name)
                cat = _category(name)
                if cat is not None and len(pts) >= 6:
                    yield pts, dark, cat.name, tuple(cat.size)


def test_the_batched_model_fit_is_bit_identical_to_the_fit_by_fit_one():
    from perception.objects import fit_model

    n = 0
    for pts, dark, category, size in _object_views():
        top = pts[pts[:, 2] >= pts[:, 2].max() - 0.01]
        for start in ((top[:, :2].min(axis=0) + top[:, :2].max(axis=0)) / 2, pts[:, :2].mean(axis=0) + [0.2, -0.1]):
            assert _same_fit(fit_model(pts, dark, category, size, start), _fit_model_reference(pts, dark, category, size, start))
            n += 1
    assert n >= 20


@pytest.mark.parametrize("category", ["armchair", "bookshelf", "fan", "globe", "oven", "plant", "table", "tv", "vase"])
def test_the_batched_model_fit_is_bit_identical_on_random_views(category):
    from perception.objects import fit_model
    from scenes.catalog import CATALOG

    size = tuple(CATALOG[category].size)
    rng = np.random.default_rng(len(category))
    for trial in range(6):
        n = int(rng.integers(6, 500))
        centre = rng.uniform(-3, 3, 2)
        pts = np.column_stack([centre + rng.uniform(-0.6, 0.6, (n, 2)) * size[:2], rng.uniform(0, size[2], n)])
        if trial % 2:  # points on the surface of the model's parts (inside, on faces, on round parts)
            centre_parts, half, _, _ = _model_table(category, size)
            k = rng.integers(0, len(half), n)
            pts = np.column_stack([centre + centre_parts[k, :2] + rng.uniform(-1, 1, (n, 2)) * half[k, :2], centre_parts[k, 2]
                                   + rng.uniform(-1, 1, n) * half[k, 2]])
        dark = rng.random(n) < 0.3
        start = centre + rng.normal(0, 0.2, 2)
        assert _same_fit(fit_model(pts, dark, category, size, start), _fit_model_reference(pts, dark, category, size, start))


def test_albedo_at_chosen_pixels_equals_the_whole_image_computation():
    from perception.objects import albedo_brightness

    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 3))
    cam = RayCastCamera(96)
    for _ in _drive(b, 4):
        frame = cam.render(b)
        where = frame.segmentation >= 0
        where[[0, -1], :] = where[:, [0, -1]] = True  # the image edges take np.gradient's one-sided differences
        full, part = albedo_brightness(frame), albedo_brightness(frame, where)
        assert full[where].tobytes() == part[where].tobytes() and not part[~where].any()


@settings(max_examples=80, deadline=None)
@given(size=st.tuples(st.integers(2, 6), st.integers(2, 6)), data=st.data())
def test_albedo_at_chosen_pixels_equals_the_whole_image_on_hostile_depths(size, data):
    """Depth images with NaN, inf, zero, negative and huge depths, any pixels chosen (edges
    included): the compiled per-pixel albedo equals the whole-image numpy computation."""
    from perception.objects import albedo_brightness
    from perception.sensors import Frame, Intrinsics

    h, w = size
    values = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, -1.5, 1e308]), st.floats(0.05, 20.0))
    depth = np.array(data.draw(st.lists(values, min_size=h * w, max_size=h * w))).reshape(h, w)
    rgb = np.array(data.draw(st.lists(st.integers(0, 255), min_size=h * w * 3, max_size=h * w * 3)), np.uint8).reshape(h, w, 3)
    where = np.array(data.draw(st.lists(st.booleans(), min_size=h * w, max_size=h * w))).reshape(h, w)
    frame = Frame(rgb, depth, np.full((h, w), -1, np.int32), np.zeros(3), np.eye(3), Intrinsics(w, h, 70.0))
    with np.errstate(all="ignore"):
        full, part = albedo_brightness(frame), albedo_brightness(frame, where)
    np.testing.assert_array_equal(part[where], full[where])
    finite = np.isfinite(full) & where
    assert part[finite].tobytes() == full[finite].tobytes() and not part[~where].any()


def _segment_rooms_reference(grid, door_points, narrow=0.55):
    """perception.mapping.segment_rooms as it was: on the whole grid."""
    import cv2
    import networkx as nx

    free = (grid.grid == FREE).astype(np.uint8)
    dist = cv2.distanceTransform(free, cv2.DIST_L2, 3) * grid.res
    n, labels, stats, cents = cv2.connectedComponentsWithStats((dist > narrow).astype(np.uint8), connectivity=4)
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


def _frontiers_reference(grid, min_cells=5):
    """perception.mapping.frontiers as it was: on the whole grid."""
    import cv2

    free = (grid.grid == FREE).astype(np.uint8)
    near_unknown = cv2.dilate((grid.grid == UNKNOWN).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    front = (free.astype(bool) & near_unknown).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(front, connectivity=8)
    area = stats[:, cv2.CC_STAT_AREA]
    out = [(grid.to_xy(cents[i]), int(area[i])) for i in range(1, n) if area[i] >= min_cells]
    return sorted(out, key=lambda t: -t[1])


def _assert_same_rooms_and_frontiers(grid, doors):
    from perception.mapping import frontiers, segment_rooms

    new, old = segment_rooms(grid, doors), _segment_rooms_reference(grid, doors)
    assert list(new.nodes) == list(old.nodes) and list(new.edges(data="door")) == list(old.edges(data="door"))
    for i in new.nodes:
        assert new.nodes[i]["area"] == old.nodes[i]["area"]
        assert new.nodes[i]["centroid"].tobytes() == old.nodes[i]["centroid"].tobytes()
    for min_cells in (1, 5, 20):
        a, b = frontiers(grid, min_cells), _frontiers_reference(grid, min_cells)
        assert [(c.tobytes(), s) for c, s in a] == [(c.tobytes(), s) for c, s in b]


def test_rooms_and_frontiers_on_the_free_window_equal_the_whole_grid_ones():
    rng = np.random.default_rng(5)
    for trial in range(40):  # free rectangles and speckle anywhere, the grid's edges and odd corners included
        g = OccupancyGrid(half_extent=6.0)
        for _ in range(int(rng.integers(1, 6))):
            r0, c0 = rng.integers(-5, g.n, 2)
            h, w = rng.integers(1, 45, 2)
            g.grid[max(0, r0): r0 + h, max(0, c0): c0 + w] = FREE
        g.grid[rng.random(g.grid.shape) < 0.02] = rng.choice([UNKNOWN, OCCUPIED])
        speckle = rng.random(g.grid.shape) < 0.01
        if trial % 2:  # free cells away from the grid's edges: the window's margins matter
            inner = np.zeros_like(speckle)
            inner[20:-20, 20:-20] = True
            g.grid[(g.grid == FREE) & ~inner] = UNKNOWN
            speckle &= inner
        g.grid[speckle] = FREE
        doors = {f"door{i}": rng.uniform(-7, 7, 2) for i in range(4)}
        _assert_same_rooms_and_frontiers(g, doors)
    _assert_same_rooms_and_frontiers(OccupancyGrid(half_extent=3.0), {"door": np.zeros(2)})  # no free cell at all


def test_integrating_frames_of_an_episode_equals_the_reference_grid_and_rooms():
    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 2))
    cam = RayCastCamera(64)
    fast, ref = OccupancyGrid(), OccupancyGrid()
    for k, _ in enumerate(_drive(b, 10)):
        frame = cam.render(b)
        pose, heading = (0.3 * k, -0.2 * k), 37.0 * k
        fast.integrate(frame.depth, frame.intrinsics, pose, heading)
        _integrate_reference(ref, frame.depth, frame.intrinsics, pose, heading)
        assert np.array_equal(fast.grid, ref.grid)
        _assert_same_rooms_and_frontiers(fast, {"door_a": np.array([1.0, 0.5]), "door_b": np.array([-2.0, 3.0])})


_depth_value = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, -0.5, 0.0, 0.3, 1.0, 11.99, 12.0, 12.01, 30.0]),
                         st.floats(0.0, 20.0))


@settings(max_examples=60, deadline=None)
@given(depth=st.lists(_depth_value, min_size=64, max_size=64), pose=st.tuples(st.floats(-4, 4), st.floats(-4, 4)),
       heading=st.floats(-720, 720), max_range=st.sampled_from([0.5, 5.0, 12.0]))
def test_a_frames_columns_and_obstacles_equal_the_numpy_passes(depth, pose, heading, max_range):
    """Random 8x8 depth images with NaN, inf, negative and edge-of-range depths: the compiled scan
    (perception.carve.scan_frame) marks the grid the numpy formulation did."""
    from perception.sensors import Intrinsics

    intr, d = Intrinsics(8, 8, 90.0), np.array(depth).reshape(8, 8)
    fast, ref = OccupancyGrid(half_extent=8.0), OccupancyGrid(half_extent=8.0)
    fast.integrate(d, intr, pose, heading, max_range)
    _integrate_reference(ref, d, intr, pose, heading, max_range)
    assert np.array_equal(fast.grid, ref.grid)


def test_pixel_rays_are_shared_and_read_only():
    from perception.sensors import Intrinsics

    a, b = Intrinsics(40, 30, 70.0).pixel_rays(), Intrinsics(40, 30, 70.0).pixel_rays()
    assert a is b and not a.flags.writeable and a.shape == (30, 40, 3)
    j, i = np.meshgrid(np.arange(40), np.arange(30))
    f = Intrinsics(40, 30, 70.0).f
    assert np.array_equal(a, np.stack([(j + 0.5 - 20) / f, (15 - (i + 0.5)) / f, -np.ones((30, 40))], axis=-1))


def test_remembered_direction_bins_and_the_pair_loop_score_as_before():
    from itertools import combinations

    from perception.belief import ORIGIN, direction_bin8, score_map
    from perception.cogmap import CognitiveMap, Entry

    rng = np.random.default_rng(3)
    for trial in range(30):
        names = [f"o{i}" for i in range(int(rng.integers(0, 9)))] + ["agent"]
        gt = CognitiveMap({n: Entry(tuple(rng.integers(-3, 4, 2) * 0.5)) for n in names})
        pred = CognitiveMap({n: Entry(tuple(gt.entries[n].position + rng.normal(0, 0.3, 2)) if rng.random() < 0.8 else None)
                             for n in names if rng.random() < 0.9})
        points = [n for n in names] + [ORIGIN]

        def at(m, k):
            if k == ORIGIN:
                return (0.0, 0.0)
            e = m.entries.get(k)
            return e.position if e is not None else None

        good = 0
        for a, b in combinations(points, 2):
            pa, pb, ga, gb = at(pred, a), at(pred, b), at(gt, a), at(gt, b)
            if pa is not None and pb is not None:
                good += direction_bin8(pb[0] - pa[0], pb[1] - pa[1]) == direction_bin8(gb[0] - ga[0], gb[1] - ga[1])
        assert score_map(pred, gt)["dir"] == good / len(list(combinations(points, 2)))


def test_a_fits_mean_offset_is_numpys_row_by_row_mean_signed_zeros_included():
    from perception.closest_part import _near_mean

    rng = np.random.default_rng(7)
    pool = np.array([0.0, -0.0, 1e-300, -1e-300, 0.25, -0.25, 3.0])
    for trial in range(200):
        n = int(rng.integers(0, 8))
        off = [rng.choice(pool, n) if trial % 2 else rng.normal(0, 1, n) for _ in range(2)]
        dist = rng.choice([0.0, 0.05, 0.0999, 0.1, 0.3, np.nan], n)
        near = dist < 0.1
        count, m0, m1 = _near_mean(dist, off[0], off[1], 0.1)
        assert count == near.sum()
        if count:
            want = np.stack([off[0][near], off[1][near]], axis=1).mean(axis=0)
            assert np.array([m0, m1]).tobytes() == want.tobytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(DIRECTION_NAMES),
                                   st.sampled_from(DISTANCE_NAMES)), max_size=3), max_size=8),
       st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.sampled_from([0.0, 90.0, 180.0, 270.0, 45.0])),
                min_size=8, max_size=8))
def test_information_gain_step_by_step_equals_the_whole_log(steps, poses):
    from perception.efficiency import InformationGainTracker, information_gain

    cells = np.array([(x, y) for x in range(-4, 5) for y in range(-4, 5)], float)
    objects = ["a", "b", "c", "d"]
    tracker, log = InformationGainTracker(cells, objects), []
    for sightings, (x, y, heading) in zip(steps, poses):
        log.append({"position": (float(x), float(y)), "heading": heading,
                    "sightings": [{"name": n, "direction": d, "distance": r} for n, d, r in sightings]})
        assert tracker(log) == information_gain(cells, objects, log)
    fresh = log[:2]  # another log (a new phase): the masks start again
    assert tracker(fresh) == information_gain(cells, objects, fresh)


_pose_coord = st.one_of(st.integers(-5, 5).map(float), st.sampled_from([-0.0, 0.5, -2.25, 1e-9, math.nan, math.inf]),
                        st.floats(-6, 6))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(DIRECTION_NAMES), st.sampled_from(DISTANCE_NAMES)),
                max_size=12),
       st.lists(st.tuples(_pose_coord, _pose_coord), min_size=2, max_size=2),
       st.lists(st.one_of(st.sampled_from([0.0, -0.0, 90.0, 45.0, 359.9, -90.0]), st.floats(-720, 720)),
                min_size=3, max_size=3),
       st.integers(1, 3))
def test_sighting_masks_with_kept_pose_bins_equal_feasible_mask(sightings, places, headings, keep):
    """perception.efficiency.SightingMasks = feasible_mask: sightings from six poses (two places, three
    headings each, so poses repeat and come back after eviction), signed zeros, NaN and inf positions,
    any heading."""
    from perception.efficiency import SightingMasks, feasible_mask

    poses = [(x, y, h) for x, y in places for h in headings]
    cells = np.array([(x, y) for x in range(-6, 7) for y in range(-6, 7)], float)
    masks = SightingMasks(cells, keep=keep)
    as_given = [((poses[i][0], poses[i][1]), poses[i][2], d, r) for i, d, r in sightings]
    for k in range(len(as_given) + 1):  # growing lists, as a planner's domains grow
        assert masks.mask(as_given[:k]).tolist() == feasible_mask(cells, as_given[:k]).tolist()
    for one in as_given:  # one at a time, as the information-gain tracker asks
        assert masks.mask([one]).tolist() == feasible_mask(cells, [one]).tolist()
    assert len(masks._at) <= keep


@settings(max_examples=60, deadline=None)
@given(occupied=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=10),
       start=st.tuples(_quarter, _quarter),
       columns=st.lists(st.tuples(st.sampled_from([(1.0, 0.0), (0.0, 1.0), (-0.6, 0.8), (0.8, -0.6)]),
                                  st.integers(0, 12).map(lambda k: k / 4)), min_size=1, max_size=6))
def test_compiled_carving_marks_the_cells_of_the_numpy_formulation(occupied, start, columns):
    """perception.carve against the (columns x steps) numpy arrays it replaced, on limits that fall
    exactly on steps (a step at the limit is not carved) and samples outside the grid (clipped)."""
    from perception.carve import carve_columns

    grid = np.zeros((8, 8), np.uint8)
    for ix, iy in occupied:
        grid[iy, ix] = OCCUPIED
    ref = grid.copy()
    cam, steps = np.array(start), np.arange(0.0, 3.0, 0.25)
    dirs, limit = np.array([d for d, _ in columns]), np.array([lim for _, lim in columns])
    k, j = np.nonzero(steps[None, :] < limit[:, None])
    cells = np.clip(np.floor((cam[None, :] + steps[j][:, None] * dirs[k] - (-1.0)) / 0.5).astype(int), 0, 7)
    free = ref[cells[:, 1], cells[:, 0]] != OCCUPIED
    ref[cells[free, 1], cells[free, 0]] = FREE
    carve_columns(grid, cam, steps, dirs, limit, -1.0, 0.5, FREE, OCCUPIED)
    assert np.array_equal(grid, ref)


def _door_signs_numpy(cam, spec, pos, rot, depth, ent):
    """The door signs as numpy computed them before sim.camera_refine.door_signs (the reference)."""
    from sim.cameras import _OPENING, DOOR_HEIGHT

    h, w, f = cam.intr.height, cam.intr.width, cam.intr.f
    for k, door in enumerate(spec.doors):
        if not door.open:
            continue
        ax = 0 if door.axis == "y" else 1
        corners = np.zeros((4, 3))
        corners[:, ax], corners[:, 1 - ax] = door.position[ax], door.position[1 - ax] + _OPENING[:, 0]
        corners[:, 2] = _OPENING[:, 1]
        c = (corners - pos) @ rot
        if (c[:, 2] > -1e-3).any():
            pts, out = c.tolist(), []
            for a, b in zip(pts, pts[1:] + pts[:1]):  # clip to z <= -1e-3
                if a[2] <= -1e-3:
                    out.append(a)
                if (a[2] <= -1e-3) != (b[2] <= -1e-3):
                    t = (-1e-3 - a[2]) / (b[2] - a[2])
                    out.append([a[i] + (b[i] - a[i]) * t for i in range(3)])
            if not out:
                continue
            c = np.array(out)
        u, v = w / 2 + f * c[:, 0] / -c[:, 2], h / 2 - f * c[:, 1] / -c[:, 2]
        rows = slice(max(int(v.min()) - 1, 0), min(int(np.ceil(v.max())) + 1, h))
        cols = slice(max(int(u.min()) - 1, 0), min(int(np.ceil(u.max())) + 1, w))
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        block = ent[rows, cols]
        r = cam.rays.reshape(h, w, 3)[rows, cols] @ rot.T
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (door.position[ax] - pos[ax]) / r[..., ax]
        along = pos[1 - ax] + t * r[..., 1 - ax] - door.position[1 - ax]
        z = pos[2] + t * r[..., 2]
        through = (t * cam.norm.reshape(h, w)[rows, cols] > 0.3) & (t < depth[rows, cols] + 1e-9)
        through &= (np.abs(along) < 0.45) & (z > 0) & (z < DOOR_HEIGHT) & (block < 0)
        block[through] = len(spec.objects) + k


def test_compiled_door_signs_label_the_pixels_numpy_labelled():
    labelled = 0
    for index in range(6):
        b = make_backend("mujoco")
        b.load(load_suite_scene("tos-3room", index))
        spec = b.scene.spec
        cam = RayCastCamera(96)
        for heading in range(0, 360, 30):
            rotate_to(b, float(heading))
            frame = cam.render(b)
            ent = frame.segmentation.copy()
            ent[ent >= len(spec.objects)] = -1  # back to walls, floor and sky
            _door_signs_numpy(cam, spec, frame.cam_pos, frame.cam_rot, frame.depth, ent)
            assert np.array_equal(ent, frame.segmentation), (index, heading)
            labelled += int((ent >= len(spec.objects)).sum())
    assert labelled > 500  # doors were in view


def test_door_signs_by_hand():
    # a 32 px camera (f = 16) at (0, 0, 1) looking east at a door in the wall x = 2: its opening (0.9 m wide,
    # 2 m high) spans columns 16 -+ 16 * 0.45 / 2 = 12.4 .. 19.6 and rows 16 -+ 16 * 1 / 2 = 8 .. 24, so the
    # pixels whose centres (+0.5) lie inside are columns 12..19 and rows 8..23: 8 x 16
    from perception.sensors import Intrinsics
    from sim.camera_refine import door_signs
    from sim.cameras import _OPENING, DOOR_HEIGHT

    rays = Intrinsics(32, 32, 90.0).pixel_rays()
    norm = np.linalg.norm(rays, axis=2)
    rot = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # columns: camera x, y, z in the world
    doors = np.array([[0.0, 2.0, 0.0, 7.0]])  # wall plane x = const, centre (2, 0), label 7

    def signs(pos, depth, ent):
        door_signs(ent, depth, rays, norm, rot, np.array(pos), doors, 16.0, _OPENING, DOOR_HEIGHT)
        return ent

    ent = signs((0.0, 0.0, 1.0), np.full((32, 32), np.inf), np.full((32, 32), -1, np.int32))
    assert (ent == 7).sum() == 8 * 16 and (ent[8:24, 12:20] == 7).all()
    # the centre pixel's ray meets the wall plane at depth 2: a surface 0.5 mm nearer hides the door, one just
    # behind the plane (the next room's wall seen flush) does not; an object (entity 0) keeps its id
    depth = np.full((32, 32), np.inf)
    depth[16, 16], depth[16, 15] = 2.0 - 5e-4, 2.0 + 1e-12
    start = np.full((32, 32), -1, np.int32)
    start[12, 14] = 0
    ent = signs((0.0, 0.0, 1.0), depth, start)
    assert ent[16, 16] == -1 and ent[16, 15] == 7 and ent[12, 14] == 0 and (ent == 7).sum() == 8 * 16 - 2
    # 0.15 m from the door plane (0.26 m along the corner rays): too close to call it seen through the door
    assert (signs((1.85, 0.0, 1.0), np.full((32, 32), np.inf), np.full((32, 32), -1, np.int32)) == -1).all()


_coord = st.floats(-1e4, 1e4, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(_coord, _coord, _coord, _coord, st.one_of(st.sampled_from([0.0, 90.0, 180.0, 270.0, 45.0]),
                                                st.floats(-720.0, 720.0, allow_nan=False)))
def test_the_scalar_start_frame_equals_the_numpy_one_bit_for_bit(x, y, sx, sy, heading):
    from scenes.frames import point_to_start_frame, to_start_frame

    assert point_to_start_frame(x, y, (sx, sy), heading) == tuple(to_start_frame((x, y), (sx, sy), heading).tolist())


def test_a_scene_compiled_once_gives_each_backend_a_model_of_its_own_that_steps_as_a_fresh_compile():
    from operator import attrgetter

    import mujoco

    import sim.compile_mujoco as cm

    spec = load_suite_scene("tos-3room", 2)
    cm._COMPILED.clear()
    fresh = cm._compile(spec, cm.MobileBaseConfig())
    first, second = cm.compile_scene(spec), cm.compile_scene(load_suite_scene("tos-3room", 2))
    assert len(cm._COMPILED) == 1 and first.model is not second.model
    for name in ("body_pos", "body_quat", "geom_size", "geom_type", "geom_rgba", "qpos0", "actuator_gainprm", "opt.timestep"):
        a, b = (np.asarray(attrgetter(name)(s.model)) for s in (fresh, second))
        assert a.tobytes() == b.tobytes(), name
    assert second.entity_names == fresh.entity_names and second.initial_qpos.tobytes() == fresh.initial_qpos.tobytes()
    runs = []
    for scene in (fresh, second):
        d = mujoco.MjData(scene.model)
        d.qpos[:] = scene.initial_qpos
        d.ctrl[:3] = (0.4, -0.2, 0.8)
        mujoco.mj_step(scene.model, d, 300)
        runs.append(d.qpos.tobytes())
    assert runs[0] == runs[1]
    # a backend that moves an object moves it in its own model only
    b = make_backend("mujoco")
    b.load(spec)
    name = spec.objects[0].name
    b.set_object_pose(name, 1.25, -0.75, 90.0)
    bid = mujoco.mj_name2id(first.model, mujoco.mjtObj.mjOBJ_BODY, f"obj:{name}")
    assert cm.compile_scene(spec).model.body_pos[bid].tolist() == fresh.model.body_pos[bid].tolist() != [1.25, -0.75, 0.0]
    first.entity_names.append("ghost")
    assert cm.compile_scene(spec).entity_names == fresh.entity_names


@pytest.mark.parametrize("rays", ["compiled", "mujoco"])
def test_cameras_on_a_known_scene_render_what_a_freshly_built_ray_scene_renders(rays):
    """A new env on a known scene gets a clone of the ray scene and shared pixel tables; its frames
    equal, bit for bit, those of a camera whose ray scene was built from nothing, for two motions at
    once (each clone syncs and culls in its own model and data)."""
    import sim.cameras as sc

    spec = load_suite_scene("tos-3room", 4)
    motions = [(0.4, -0.2, 0.8), (0.3, 0.25, -0.9)]
    runs = []  # (motion, backend, camera, built fresh)
    for fresh in (True, False):
        for motion in motions:
            b = make_backend("mujoco")
            b.load(spec)
            runs.append((motion, b, RayCastCamera(64, rays=rays), fresh))
    for step in range(6):
        frames = []
        for motion, b, cam, fresh in runs:
            if fresh and step == 0:
                sc._RAY_SCENES.clear()  # this camera builds its ray scene from nothing
            frames.append(cam.render(b))  # the first at the start poses, as an env's first frame
            b.step(motion, 9)
        for k in range(len(motions)):
            built, cloned = frames[k], frames[len(motions) + k]
            for name in ("rgb", "depth", "segmentation"):
                assert getattr(cloned, name).tobytes() == getattr(built, name).tobytes(), (step, k, name)
    clones = [cam for _, _, cam, fresh in runs if not fresh]
    assert clones[0]._scene.model is not clones[1]._scene.model and clones[0]._scene.data is not clones[1]._scene.data
    assert clones[0]._scene.tables is clones[1]._scene.tables and not clones[0].norm.flags.writeable


def test_a_camera_on_a_scene_that_is_not_frozen_builds_its_own_ray_scene():
    import dataclasses
    import types

    import sim.cameras as sc

    spec = load_suite_scene("tos-3room", 5)
    frames = []
    for frozen in (True, False):
        b = make_backend("mujoco")
        b.load(spec)
        if not frozen:  # an unhashable stand-in for the spec: nothing to key a kept ray scene by
            b.scene = dataclasses.replace(b.scene, spec=types.SimpleNamespace(doors=spec.doors, objects=spec.objects))
        kept = len(sc._RAY_SCENES)
        frames.append(RayCastCamera(48).render(b))
        assert frozen or len(sc._RAY_SCENES) == kept  # nothing kept for it
    assert frames[0].rgb.tobytes() == frames[1].rgb.tobytes() and frames[0].depth.tobytes() == frames[1].depth.tobytes()


_LABEL_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@settings(max_examples=150, deadline=None)
@given(dtype=st.sampled_from(_LABEL_DTYPES), data=st.data())
def test_label_counts_equal_np_unique_with_counts(dtype, data):
    """perception.sensors.label_counts (a counting pass) = np.unique(seg, return_counts=True): same
    sorted labels in seg's dtype, same counts, for narrow and wide label ranges, negatives, the
    dtype's extremes and empty images."""
    from perception.sensors import label_counts

    info = np.iinfo(dtype)
    narrow = st.integers(max(info.min, -3), min(info.max, 40))
    values = data.draw(st.lists(narrow | st.sampled_from([info.min, info.max]), max_size=80))
    seg = np.array(values, dtype=dtype).reshape(-1, 1) if values else np.zeros((0, 4), dtype)
    got, want = label_counts(seg), np.unique(seg, return_counts=True)
    assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_label_counts_on_a_camera_frame():
    from perception.sensors import label_counts

    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 1))
    seg = RayCastCamera(64).render(b).segmentation
    labels, counts = label_counts(seg)
    assert labels.dtype == seg.dtype and len(labels) >= 2 and counts.sum() == seg.size
    assert [(int(e), int((seg == e).sum())) for e in labels] == list(zip(labels.tolist(), counts.tolist()))
    assert label_counts(np.array([[5, -1], [5, 2]], np.int32))[0].tolist() == [-1, 2, 5]


def test_recorded_step_calls_replay_the_episode_to_its_final_state():
    """The bench's replayed-physics reference steps exactly the episode's physics: the recorded calls
    add up to the episode's physics steps, the recording episode ends where the compiled one does, and
    replaying the calls from reset (after the backend has moved on) ends in that same state."""
    from planners.agents import make_agent
    from spacelab.bench.backends import recorded_steps, replay_steps
    from spacelab.evaluation.episode import run_episode

    env = ExplorationEnv(load_suite_scene("tos-3room", 3))
    rec = run_episode(env, make_agent("scout"), seed=3, probe=False)
    final = env.backend.data.qpos.copy()
    calls = recorded_steps(env, 3)
    assert np.array_equal(env.backend.data.qpos, final)
    assert sum(n for _, n in calls) == rec["physics_steps"] > 1000 and len(calls) == rec["physics_steps"] // 20
    env.backend.step((0.3, 0.0, 0.5), 50)
    assert replay_steps(env.backend, calls) == rec["physics_steps"]
    assert np.array_equal(env.backend.data.qpos, final)


@pytest.mark.parametrize("new_scenes", [False, True])
def test_paired_ratio_steps_each_episodes_own_scene(monkeypatch, new_scenes):
    """The physics limit an episode is paired with is raw stepping of its own scene (the same model):
    the raw backends load exactly the scenes the episodes run, once each."""
    from spacelab.bench import backends as bench

    loaded = []

    def spying(name):
        b = make_backend(name)
        real = b.load
        b.load = lambda spec: (loaded.append(spec), real(spec))[1]
        return b

    monkeypatch.setattr(bench, "make_backend", spying)
    out = bench.paired_ratio("mujoco", "tos-2room", episodes=2, rounds=1, new_scenes=new_scenes)
    scenes = range(4) if new_scenes else range(2)
    assert loaded == [load_suite_scene("tos-2room", i) for i in scenes]
    assert 0 < out["physics_limit_ratio_with_agent"] <= out["physics_limit_ratio"]


def test_env_call_clock_counts_the_env_calls_only(monkeypatch):
    """The bench's env clock adds up the CPU time of the env's reset and step and nothing between
    them: with a clock that advances one tick a reading, an episode of n turns reads n + 1 ticks
    (one reset, n steps), whatever the agent reads in between; and the wrapped env plays the same
    episode as a plain one."""
    import time

    from planners.agents import make_agent
    from spacelab.bench.backends import env_call_clock
    from spacelab.evaluation.episode import run_episode

    plain = run_episode(ExplorationEnv(load_suite_scene("tos-3room", 2)), make_agent("scout"), seed=2, probe=False)
    env = ExplorationEnv(load_suite_scene("tos-3room", 2))
    clock = env_call_clock(env)
    ticks = iter(range(10**6))
    monkeypatch.setattr(time, "process_time", lambda: float(next(ticks)))

    class Reading:  # an agent that reads the clock as it thinks: not the env's time
        def __init__(self):
            self.inner = make_agent("scout")

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def act(self, *args):
            time.process_time()
            return self.inner.act(*args)

    rec = run_episode(env, Reading(), seed=2, probe=False)
    monkeypatch.undo()
    assert rec["steps"] == plain["steps"] > 3 and clock == [float(rec["steps"] + 1)]
    assert {k: v for k, v in rec.items() if "wall" not in k} == {k: v for k, v in plain.items() if "wall" not in k}


@settings(max_examples=150, deadline=None)
@given(shape=st.tuples(st.integers(1, 40), st.integers(1, 40)), cells=st.lists(
    st.tuples(st.integers(0, 39), st.integers(0, 39), st.sampled_from([UNKNOWN, FREE, OCCUPIED])), max_size=30),
    strided=st.booleans())
def test_value_bounds_equal_the_free_cells_bounding_box(shape, cells, strided):
    """perception.carve.value_bounds = the bounding box (x, y, width, height) of the FREE cells, as
    cv2.boundingRect(grid == FREE) gives it on the occupancy grid: free cells anywhere (edges,
    corners, single rows and columns, none at all), on whole grids and on strided views. (OpenCV reads
    some tiny masks, 1x1 for one, as point sets; the reference is numpy's.)"""
    import cv2

    from perception.carve import value_bounds

    grid = np.zeros(shape, np.uint8)
    for r, c, v in cells:
        grid[r % shape[0], c % shape[1]] = v
    view = grid[::2, 1::2] if strided and min(shape) > 2 else grid
    rows, cols = np.flatnonzero((view == FREE).any(axis=1)), np.flatnonzero((view == FREE).any(axis=0))
    want = (cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1) if len(rows) else (0, 0, 0, 0)
    assert tuple(value_bounds(view, np.uint8(FREE))) == tuple(int(v) for v in want)
    if min(view.shape) >= 4:
        assert tuple(want) == cv2.boundingRect(cv2.compare(np.ascontiguousarray(view), FREE, cv2.CMP_EQ))
