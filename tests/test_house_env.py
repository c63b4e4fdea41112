import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from sim.gym_envs import HOUSE_ID
from sim.manip.house_env import BASE_STEP, EE_STEP, JOINT_STEP, HouseEnv

# check_env on the unwrapped env cannot test other render modes (no spec); through gym.make it
# also warns that the wrapped env differs from the unwrapped one
ALLOWED = ("Not able to test alternative render modes", "different from the unwrapped version")


def _checked(env) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    msgs = [str(w.message) for w in caught if "WARN:" in str(w.message)]
    return [m for m in msgs if not any(a in m for a in ALLOWED)]


@pytest.mark.parametrize("control", ["joint", "ee"])
def test_passes_the_env_checker(control):
    env = gym.make(HOUSE_ID, control=control, max_steps=20)
    assert isinstance(env.unwrapped, HouseEnv)
    assert env.unwrapped.house.scene.suite == "house-3room"
    assert env.action_space.shape == ({"joint": 11, "ee": 7}[control],)
    assert _checked(env.unwrapped) == []
    assert _checked(env) == []


@pytest.mark.parametrize("control", ["joint", "ee"])
def test_same_seed_and_actions_give_the_same_observations(control):
    a, b = HouseEnv(control=control), HouseEnv(control=control)
    actions = np.random.default_rng(0).uniform(-1, 1, (15, a.action_space.shape[0]))
    runs = []
    for env in (a, b, a):  # a second env, and the first env again after a seeded reset
        obs, _ = env.reset(seed=3)
        seq = [obs]
        for act in actions:
            obs, reward, terminated, truncated, info = env.step(act)
            assert env.observation_space.contains(obs) and reward == 0.0 and not terminated
            seq.append(obs)
        runs.append(seq)
    for other in runs[1:]:
        for o1, o2 in zip(runs[0], other):
            assert all(np.array_equal(o1[k], o2[k]) for k in o1)
    assert np.linalg.norm(runs[0][-1]["ee"] - runs[0][0]["ee"]) > 0.01  # the robot did move


def test_ee_action_moves_the_end_effector_by_that_amount():
    env = HouseEnv(control="ee")
    obs, _ = env.reset(seed=0)
    p0, base0 = env.world.to_arm(obs["ee"]), obs["base"]
    for _ in range(5):  # +x (forward in the base frame), 5 x 2 cm
        obs, *_ = env.step(np.array([1.0, 0, 0, 0, 0, 0, 1.0]))
    for _ in range(10):  # settle
        obs, *_ = env.step(np.array([0.0, 0, 0, 0, 0, 0, 1.0]))
    d = env.world.to_arm(obs["ee"]) - p0
    assert abs(d[0] - 5 * EE_STEP) < 0.01 and np.abs(d[1:]).max() < 0.005, d
    assert np.abs(obs["base"] - base0).max() < 0.005  # the base stayed put
    for _ in range(3):  # -z, 3 x 2 cm
        obs, *_ = env.step(np.array([0.0, 0, -1.0, 0, 0, 0, 1.0]))
    for _ in range(10):
        obs, *_ = env.step(np.array([0.0, 0, 0, 0, 0, 0, 1.0]))
    d = env.world.to_arm(obs["ee"]) - p0
    assert abs(d[2] + 3 * EE_STEP) < 0.01 and abs(d[0] - 5 * EE_STEP) < 0.01, d


def test_joint_base_and_grip_actions():
    env = HouseEnv(control="joint", max_steps=60)
    obs, _ = env.reset(seed=0)
    q0, base0 = obs["arm_q"], obs["base"]
    assert obs["grip"][0] == pytest.approx(0.08, abs=1e-3)
    act = np.zeros(11)
    act[0], act[7], act[-1] = 1.0, 1.0, -1.0  # joint 1 up, base forward, close
    for _ in range(20):
        obs, *_ = env.step(act)
    act[:] = 0.0
    act[-1] = -1.0
    for t in range(40):
        obs, reward, terminated, truncated, info = env.step(act)
        assert truncated == (t == 39) and reward == 0.0
    assert obs["arm_q"][0] - q0[0] == pytest.approx(20 * JOINT_STEP, abs=0.01)
    yaw = base0[2]
    moved = obs["base"][:2] - base0[:2]
    assert moved @ [np.cos(yaw), np.sin(yaw)] == pytest.approx(20 * BASE_STEP[0], abs=0.01)  # forward
    assert obs["grip"][0] < 0.005  # fingers closed
    assert info["physics_steps"] == 600 and info["max_penetration"] < 0.01


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="control"):
        HouseEnv(control="torque")
    env = HouseEnv(control="ee")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="7 finite numbers"):
        env.step(np.zeros(11))


@pytest.mark.slow
def test_house_model_steps_on_mujoco_warp_cpu_like_mujoco():
    """The house-3room + mobile-panda model on MuJoCo Warp (through the CPU, as in
    test_backends): it loads, stays finite and tracks CPU MuJoCo on a short drive with an arm
    move. Slow: about 30 s the first time (Warp compiles its kernels), 3 s from Warp's cache."""
    pytest.importorskip("mujoco_warp")
    import warp as wp

    wp.config.log_level = 30
    import mujoco_warp as mjw

    from robots.headless_mujoco import mujoco
    from scenes.house import load_house
    from sim.manip.house_world import HouseWorld

    wp.init()
    w = HouseWorld(load_house("house-3room", 0))
    m, d = w.model, w.data
    try:
        with wp.ScopedDevice("cpu"):
            m_w = mjw.put_model(m)
            d_w = mjw.put_data(m, d, nworld=1)
    except NotImplementedError as e:  # a model feature MuJoCo Warp does not support
        pytest.skip(f"MuJoCo Warp cannot load the house model: {e}")
    ctrl = d.ctrl.copy()
    ctrl[w.base_act] = [0.3, -0.2, 0.5]  # base velocities
    ctrl[w.arm_act[0]] += 0.3  # turn the arm's first joint
    d.ctrl[:] = ctrl
    d_w.ctrl.assign(ctrl[None].astype(np.float32))
    with wp.ScopedDevice("cpu"):
        for _ in range(100):
            mjw.step(m_w, d_w)
    wp.synchronize()
    for _ in range(100):
        mujoco.mj_step(m, d)
    q = d_w.qpos.numpy()[0].astype(np.float64)
    assert np.isfinite(q).all() and np.isfinite(d_w.qvel.numpy()).all()
    assert np.linalg.norm(d.qpos[w.base_q][:2] - w.house.scene.start_position) > 0.02  # the base drove
    assert abs(d.qpos[w.arm_q[0]]) > 0.1  # the arm turned
    assert np.abs(q[w.base_q] - d.qpos[w.base_q]).max() < 2e-3
    assert np.abs(q[w.arm_q] - d.qpos[w.arm_q]).max() < 2e-3
