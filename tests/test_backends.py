import functools
import math

import mujoco
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes import load_suite_scene
from sim.backends import BackendError, make_backend
from sim.backends.batch import MujocoBatch
from sim.backends.pybullet_backend import WORLD_GROUP
from sim.compile_mujoco import compile_scene
from sim.vector_env import NavVectorEnv
from tests.scene_fixtures import play, two_rooms, with_dropped_box


def _loaded(name, spec):
    b = make_backend(name)
    b.load(spec)
    return b


def test_mujoco_and_pybullet_agree_at_reset():
    for i in range(5):
        spec = load_suite_scene("tos-3room", i)
        mj, pb = _loaded("mujoco", spec), _loaded("pybullet", spec)
        a, b = mj.object_poses(), pb.object_poses()
        assert a.keys() == b.keys()
        for name in a:
            assert a[name][:2] == pytest.approx(b[name][:2], abs=1e-6)
            assert abs(((a[name][2] - b[name][2]) + 180) % 360 - 180) < 1e-4
        assert mj.robot_pose() == pytest.approx(pb.robot_pose(), abs=1e-9)
        assert mj.entity_names == pb.entity_names
        pb.close()


def test_dropped_object_rests_at_the_same_place():
    spec = with_dropped_box(two_rooms(), height=0.6)
    rest = {}
    for name in ("mujoco", "pybullet"):
        b = _loaded(name, spec)
        for _ in range(400):  # 2 s
            b.step((0.0, 0.0, 0.0), 1)
        x, y, _ = b.object_poses()["crate"]
        z = b.data.body("obj:crate").xpos[2] if name == "mujoco" else b.object_height("crate")
        rest[name] = np.array([x, y, z])
    assert rest["mujoco"][2] == pytest.approx(0.3, abs=0.01)  # the crate is 0.6 m tall
    assert np.linalg.norm(rest["mujoco"] - rest["pybullet"]) < 0.01


def test_rays_agree_across_engines():
    spec = two_rooms()
    mj, pb = _loaded("mujoco", spec), _loaded("pybullet", spec)
    rng = np.random.default_rng(0)
    dirs = rng.normal(size=(300, 3))
    dirs[:, 2] = -np.abs(dirs[:, 2]) * 0.3
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    o = mj.camera_position()
    d1, e1 = mj.cast_rays(o, dirs, 30.0)
    d2, e2 = pb.cast_rays(o, dirs, 30.0)
    hit = (d1 > 0) & (d2 > 0)
    assert hit.mean() > 0.5 and np.all(e1 == e2)
    # PyBullet's cylinders differ from MuJoCo's exact ones by up to ~1.5 cm along a grazing ray
    assert np.abs(d1[hit] - d2[hit]).max() < 0.02 and np.median(np.abs(d1[hit] - d2[hit])) < 1e-6


def test_batch_is_bit_identical_to_a_loop():
    scene = compile_scene(load_suite_scene("tos-2room", 3))
    m = scene.model
    rng = np.random.default_rng(1)
    ctrl = rng.uniform(-1, 1, size=(6, 40, m.nu))
    batch = MujocoBatch(nworld=6, nthread=2)
    batch.load(load_suite_scene("tos-2room", 3))
    for k in range(40):
        batch.step(ctrl[:, k], nsteps=5)
    for w in range(6):
        d = mujoco.MjData(m)
        d.qpos[:] = scene.initial_qpos
        mujoco.mj_forward(m, d)
        for k in range(40):
            d.ctrl[:] = ctrl[w, k]
            mujoco.mj_step(m, d, nstep=5)
        assert np.array_equal(d.qpos, batch.qpos()[w]) and np.array_equal(d.qvel, batch.qvel()[w])


@pytest.mark.parametrize("backend", ["mujoco", "pybullet", "mujoco-batch"])
def test_exploration_runs_on_every_cpu_backend(backend):
    rec = play({"suite": "tos-3room", "index": 2, "agent": "scout", "seed": 2, "backend": backend})
    assert rec["error"] is None and rec["coverage"] == 1.0 and rec["n_invalid"] == 0


def test_cpu_backends_take_the_same_decisions():
    recs = {b: play({"suite": "tos-3room", "index": 5, "agent": "scout", "seed": 5, "backend": b})
            for b in ("mujoco", "mujoco-batch", "pybullet")}
    assert recs["mujoco"]["trajectory"] == recs["mujoco-batch"]["trajectory"]  # same engine, same numbers
    assert recs["mujoco"]["actions"] == recs["pybullet"]["actions"]
    assert recs["mujoco"]["observed"] == recs["pybullet"]["observed"]


@pytest.mark.slow
def test_warp_on_cpu_matches_mujoco_on_a_short_rollout():
    pytest.importorskip("mujoco_warp")
    from sim.backends.batch import WarpBatch

    spec = load_suite_scene("tos-2room", 1)
    warp = WarpBatch(nworld=2, device="cpu")
    warp.load(spec)
    cpu = MujocoBatch(nworld=2)
    cpu.load(spec)
    ctrl = np.array([[0.5, 0.2, 0.3], [-0.3, 0.4, -0.6]])
    for _ in range(5):
        warp.step(ctrl, 10)
        cpu.step(ctrl, 10)
    moved = np.linalg.norm(cpu.qpos()[:, :2] - cpu.scene.initial_qpos[:2], axis=1)
    assert moved.min() > 0.05  # the robots really drove
    assert np.abs(warp.qpos() - cpu.qpos()).max() < 2e-3


def _warp_and_cpu_twin(spec, ctrl: np.ndarray, nsteps: int):
    """MuJoCo Warp on the CPU driven `nsteps` with `ctrl` (one row per world), and a CPU
    backend of the same scene with a function that puts it in world i's state."""
    pytest.importorskip("mujoco_warp")
    import mujoco

    from sim.backends.batch import WarpBatch

    warp = WarpBatch(nworld=len(ctrl), device="cpu")
    warp.load(spec)
    warp.step(ctrl, nsteps)
    cpu = make_backend("mujoco")
    cpu.load(spec)

    def pose_as(i: int) -> None:
        cpu.data.qpos[:] = warp.qpos()[i]
        mujoco.mj_forward(cpu.model, cpu.data)

    return warp, cpu, pose_as


@pytest.mark.slow
def test_warp_batched_render_agrees_with_the_ray_cast_camera():
    from sim.cameras import RayCastCamera

    spec = load_suite_scene("tos-3room", 2)
    ctrl = np.array([[0.0, 0.0, 0.8], [0.3, 0.0, 0.0], [0.0, 0.0, 0.0]])  # three different views
    warp, cpu, pose_as = _warp_and_cpu_twin(spec, ctrl, 300)
    frames = warp.render(96)
    assert frames["rgb"].shape == (3, 96, 96, 3) and frames["rgb"].dtype == np.uint8
    views = set()
    for i in range(3):
        pose_as(i)
        ref = RayCastCamera(96, stride=1).render(cpu)
        depth, geom = frames["depth"][i], frames["geom"][i]
        both = np.isfinite(ref.depth) & np.isfinite(depth)
        assert (np.isfinite(ref.depth) == np.isfinite(depth)).mean() > 0.99
        assert (np.abs(ref.depth[both] - depth[both]) < 0.01).mean() >= 0.99
        ent = np.where(geom >= 0, cpu.scene.geom_entity[np.maximum(geom, 0)], -1)
        ent[ent < -1] = -1  # the robot's own geoms count as background, as in the CPU cameras
        seg = np.where(ref.segmentation >= len(spec.objects), -1, ref.segmentation)  # no door signs in Warp
        assert (ent == seg).mean() >= 0.98
        views.add(depth.round(2).tobytes())
    assert len(views) == 3


@pytest.mark.slow
def test_warp_batched_rays_match_mj_multiray():
    import mujoco

    warp, cpu, pose_as = _warp_and_cpu_twin(load_suite_scene("tos-3room", 2), np.array([[0.3, 0.1, 0.5], [0.0] * 3]), 200)
    dirs = np.random.default_rng(0).normal(size=(2, 400, 3))
    dirs /= np.linalg.norm(dirs, axis=2, keepdims=True)
    origins = np.zeros_like(dirs)
    for i in range(2):
        pose_as(i)
        origins[i] = cpu.data.cam_xpos[cpu.scene.camera]
    dist, geom = warp.cast_rays(origins, dirs, bodyexclude=cpu.scene.robot_body)
    assert dist.shape == geom.shape == (2, 400)
    for i in range(2):
        pose_as(i)
        g, d = np.empty(400, np.int32), np.empty(400)
        mujoco.mj_multiRay(cpu.model, cpu.data, origins[i, 0], dirs[i].reshape(-1), None, True, cpu.scene.robot_body,
                           g, d, None, 400, 1e6)
        assert np.array_equal(g, geom[i]) and 0 < (g < 0).sum() < 400  # some rays go up into the open sky
        assert np.abs(d[g >= 0] - dist[i][g >= 0]).max() < 1e-4


@pytest.mark.slow
def test_exploration_turns_on_warp_cpu():
    pytest.importorskip("mujoco_warp")
    rec = play({"suite": "tos-2room", "index": 0, "agent": "scout", "seed": 0, "backend": "mujoco-warp-cpu", "max_steps": 2})
    ref = play({"suite": "tos-2room", "index": 0, "agent": "scout", "seed": 0, "backend": "mujoco", "max_steps": 2})
    assert rec["error"] is None and rec["actions"] == ref["actions"] and rec["observed"] == ref["observed"]


def test_unavailable_backends_say_what_to_do():
    with pytest.raises(BackendError, match="unknown backend 'bullet3'; choose one of: mujoco, pybullet"):
        make_backend("bullet3")
    pytest.importorskip("warp")
    import warp as wp

    if not wp.is_cuda_available():
        with pytest.raises(BackendError, match="no CUDA GPU.*mujoco-warp-cpu"):
            make_backend("mujoco-warp")


def test_vector_env_runs_different_scenes_per_world():
    scenes = [load_suite_scene("tos-2room", i) for i in range(3)]
    env = NavVectorEnv(scenes, num_envs=6, max_steps=10)
    obs, _ = env.reset(seed=1)
    assert obs.shape == (6, 8) and [g.ids.tolist() for g in env.groups] == [[0, 3], [1, 4], [2, 5]]
    for i in range(6):  # every world starts where its own scene starts, and its goal is a free cell of that scene
        sc = scenes[i % 3]
        assert obs[i, :2] == pytest.approx(sc.start_position, abs=1e-6)
        assert any(np.allclose(env.goals[i], c) for c in env.groups[i % 3].cells)
    for _ in range(3):
        obs, *_ = env.step(np.tile([1.0, 0.0, 0.0], (6, 1)))
    moved = np.linalg.norm(obs[:, :2] - np.array([scenes[i % 3].start_position for i in range(6)]), axis=1)
    assert (moved > 0.05).all()
    assert obs[0, :2] == pytest.approx(obs[3, :2]) and not np.allclose(obs[0, :2], obs[1, :2])  # same scene, same drive
    with pytest.raises(AttributeError, match="several scenes"):
        env.backend


def test_vector_env_batches_worlds_and_autoresets():
    env = NavVectorEnv(load_suite_scene("tos-2room", 0), num_envs=4, max_steps=30)
    obs, _ = env.reset(seed=3)
    assert obs.shape == (4, 8) and env.action_space.shape == (4, 3)
    first_goals = env.goals.copy()
    ended = np.zeros(4, int)
    for _ in range(30):
        obs, reward, term, trunc, info = env.step(np.zeros((4, 3)))
        ended += term | trunc
    # standing still: a world whose goal is its own start cell arrives at once, the rest are cut at 30 steps
    assert ended.sum() >= 4 and "final_obs" in info
    assert not np.array_equal(first_goals, env.goals)  # new goals after the autoreset
    env2 = NavVectorEnv(load_suite_scene("tos-2room", 0), num_envs=4, max_steps=30)
    obs2, _ = env2.reset(seed=3)
    assert np.array_equal(env2.goals, first_goals)  # seeded
    # driving straight at the next free cell gets there
    start = env2.backend.robot_poses()[0, :2]
    cells = env2.groups[0].cells
    d = np.linalg.norm(cells - start, axis=1)
    env2.goals[:] = cells[np.argmin(np.where(d > 0.5, d, np.inf))]
    env2.dist = env2._dist()
    arrived = np.zeros(4, bool)
    for _ in range(20):
        obs2, r, term, trunc, _ = env2.step(np.column_stack([np.clip(obs2[:, 4:6], -1, 1), np.zeros(4)]))
        arrived |= term
    assert arrived.all()
    assert math.isfinite(float(r.sum()))


@pytest.mark.parametrize("backend_name", ["mujoco", "mujoco-batch"])
def test_a_world_that_diverges_is_reported_not_silently_reset(backend_name):
    """MuJoCo resets an MjData whose qpos goes bad and counts a warning; both MuJoCo backends report it as
    divergence (mujoco.batch used to carry on from the reset state, the robot back at the origin)."""
    from sim.backends.batch import MujocoBatch

    b = make_backend(backend_name)
    b.load(load_suite_scene("tos-3room", 0))
    b.step((0.1, 0.0, 0.2), 20)
    qpos = b.data.qpos if backend_name == "mujoco" else b.batch._qpos[0]
    qpos[2] = float("nan")
    with pytest.raises(BackendError, match=r"diverged \(MuJoCo reported bad qpos/qvel/qacc\)"):
        b.step((0.0, 0.0, 0.0), 5)
    assert b.physics_steps == 25
    b.reset()
    b.step((0.0, 0.0, 0.0), 5)  # a reset clears the warnings
    batch = MujocoBatch(nworld=3)
    batch.load(load_suite_scene("tos-3room", 0))
    batch._qpos[2, 0] = float("inf")
    with pytest.raises(BackendError, match=r"world\(s\) \[2\]"):
        batch.step(np.zeros((3, 3)), 2)


def test_the_batch_steps_the_same_through_its_inner_call_as_through_the_public_one():
    """MujocoBatch.advance calls mujoco.batch's C++ step without its Python wrapper; both give the same bytes."""
    spec = load_suite_scene("tos-3room", 3)
    rng = np.random.default_rng(4)
    ctrls = rng.uniform(-1, 1, (12, 2, 3))
    states = []
    for inner in (True, False):
        b = MujocoBatch(nworld=2)
        b.load(spec)
        assert b._step_all is not None  # this mujoco has it: the test compares the two paths
        if not inner:
            b._step_all = None
        for c in ctrls:
            b.step(c, 7)
        states.append(b.qpos().tobytes() + b.qvel().tobytes())
    assert states[0] == states[1]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 400), up=st.floats(-0.6, 0.3))
def test_pybullet_rays_read_every_hit_as_the_per_hit_loop_does(seed, n, up):
    """PyBulletBackend.cast_rays (hits read as arrays) = reading rayTestBatch's hits one by one: distance
    = fraction x cutoff and the entity of the body hit, -1 for nothing, walls, floor and the robot itself."""
    b = _pybullet_tos3()
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(n, 3))
    dirs[:, 2] = up * np.abs(dirs[:, 2]) + (rng.random(n) < 0.2) * -4.0  # some rays steeply down
    dirs /= np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-9)
    x, y, _ = b.robot_pose()
    origin = b.camera_position() if seed % 3 else np.array([x, y, 1.0])  # above the robot: rays down hit it
    dist, ent = b.cast_rays(origin, dirs, 14.0)
    want_d, want_e = np.full(n, -1.0), np.full(n, -1, np.int32)
    ends = origin[None, :] + dirs * 14.0
    hits = b.p.rayTestBatch([origin.tolist()] * n, ends.tolist(), collisionFilterMask=WORLD_GROUP,
                            physicsClientId=b.cid) if n else []
    for k, (uid, _link, frac, *_rest) in enumerate(hits):
        if uid >= 0 and uid != b.robot:
            want_d[k], want_e[k] = frac * 14.0, b.body_entity.get(uid, -1)
    assert dist.tobytes() == want_d.tobytes() and ent.tolist() == want_e.tolist()
    assert ent.dtype == np.int32


@functools.cache
def _pybullet_tos3():
    b = make_backend("pybullet")
    b.load(load_suite_scene("tos-3room", 0))
    return b


def test_pybullet_rays_see_objects_walls_and_nothing():
    b = _pybullet_tos3()
    cam = b.camera_position()
    targets = [(o.position[0], o.position[1], o.size[2] / 2) for o in b.spec.objects]
    sky = [(cam[0] + 1.0, cam[1], cam[2] + 5.0)]  # up: nothing there
    dirs = np.array(targets + sky) - cam
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    dist, ent = b.cast_rays(cam, dirs, 30.0)
    assert set(ent[:-1].tolist()) & set(range(len(b.spec.objects)))  # some objects seen, others behind walls
    assert ent[-1] == -1 and dist[-1] == -1.0
    assert np.all((dist == -1.0) | ((dist > 0) & (dist <= 30.0)))
