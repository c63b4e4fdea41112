"""Manipulation on every backend: the same tabletop scenes, skills and tasks on MuJoCo,
mujoco.batch, MuJoCo Warp (through the CPU here) and PyBullet."""

import numpy as np
import pytest

from scenes.suites import load_table_scene
from sim.backends.base import BackendError
from sim.manip.env import ManipEnv
from sim.manip.skills import Skills
from sim.manip.state import symbolic_state
from sim.manip.tasks import TASKS, run_task
from sim.manip.world import make_world


def _pick_and_place(backend: str):
    w = make_world(load_table_scene("table-pick", 0), backend=backend)
    sk = Skills(w)
    ok = sk.grasp("block_0").success and sk.place("block_0", "bowl").success
    return w, ok


def test_mujoco_batch_world_is_bit_identical_to_the_cpu_world():
    cpu, ok_cpu = _pick_and_place("mujoco")
    batch, ok_batch = _pick_and_place("mujoco-batch")
    assert ok_cpu and ok_batch
    assert cpu.physics_steps == batch.physics_steps
    assert np.array_equal(cpu.data.qpos, batch.data.qpos) and np.array_equal(cpu.data.qvel, batch.data.qvel)


@pytest.mark.parametrize("task", ["pick-and-place", "stack-3", "rearrange-to-goal"])
def test_block_tasks_succeed_on_pybullet(task):
    r = run_task(TASKS.load(task), 0, backend="pybullet")
    assert r["success"], r
    assert r["backend"] == "pybullet" and all(s["success"] for s in r["skills"])


def test_pybullet_world_is_deterministic():
    a, _ = _pick_and_place("pybullet")
    b, _ = _pick_and_place("pybullet")
    assert np.array_equal(a.block_positions(), b.block_positions()) and a.physics_steps == b.physics_steps


def test_blocks_rest_at_the_same_place_in_mujoco_and_pybullet():
    spec = load_table_scene("table-clutter", 0)
    mj, pb = make_world(spec), make_world(spec, backend="pybullet")
    for w in (mj, pb):
        w.step(250)  # half a second: everything settles on the table
    assert np.abs(mj.block_positions() - pb.block_positions()).max() < 0.01
    assert {l for l in symbolic_state(mj) if l[0] == "on"} == {l for l in symbolic_state(pb) if l[0] == "on"}
    assert np.linalg.norm(mj.tcp_pos() - pb.tcp_pos()) < 0.01


def test_manip_env_runs_on_pybullet():
    env = ManipEnv(load_table_scene("table-pick", 0), max_steps=5, backend="pybullet")
    obs, _ = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape
    assert np.allclose(obs[4:7], env.world.block_pos("block_0")) and abs(obs[3] - 0.09) < 1e-3  # fingers open
    for _ in range(5):
        obs, _, _, truncated, _ = env.step(np.array([0.0, 0.0, -1.0, 1.0]))
    assert truncated and obs[2] < 0.65  # the TCP went down


@pytest.mark.parametrize("backend,robot,message", [
    ("pybullet", "floating", "drawer"),  # the kitchen scene has a drawer
    ("pybullet", "arm", "arm runs on the MuJoCo backends"),
    ("bullet", "floating", "unknown manipulation backend"),
])
def test_unsupported_manipulation_backends_say_what_to_use(backend, robot, message):
    with pytest.raises(BackendError, match=message):
        make_world(load_table_scene("kitchen-drawer", 0), backend=backend, robot=robot)


@pytest.mark.slow
def test_pick_and_place_on_mujoco_warp_through_the_cpu():
    pytest.importorskip("mujoco_warp")
    cpu, ok_cpu = _pick_and_place("mujoco")
    warp, ok_warp = _pick_and_place("mujoco-warp-cpu")
    assert ok_cpu and ok_warp
    assert ("in", "block_0", "bowl") in symbolic_state(warp)
    assert np.abs(cpu.block_positions() - warp.block_positions()).max() < 0.01
