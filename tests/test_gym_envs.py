import os
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from sim.env import ExplorationEnv
from sim.gym_envs import EXPLORE_ID, HOUSE_ID, TABLETOP_ID, register_envs
from sim.manip.env import ManipEnv
from tests.scene_fixtures import two_rooms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# gymnasium warnings that check_env may raise here and why they cannot be avoided:
ALLOWED = {
    # we also check the env as gymnasium.make returns it (OrderEnforcing + PassiveEnvChecker around it)
    "different from the unwrapped version",
    # ManipEnv observes block positions, which have no true bound (a block can be pushed off the
    # table), so its observation Box is honestly unbounded
    "Box observation space minimum value is -infinity",
    "Box observation space maximum value is infinity",
}


def _checked(env) -> list[str]:
    """Run check_env; return the gymnasium warnings it raised that are not in ALLOWED."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    msgs = [str(w.message) for w in caught if "WARN:" in str(w.message)]
    return [m for m in msgs if not any(a in m for a in ALLOWED)]


def test_ids_are_registered_and_registering_again_is_harmless():
    before = {i: gym.registry[i] for i in (EXPLORE_ID, TABLETOP_ID, HOUSE_ID)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert register_envs() == [EXPLORE_ID, TABLETOP_ID, HOUSE_ID]
    assert not caught  # no "Overriding environment" warning
    assert all(gym.registry[i] is s for i, s in before.items())


@pytest.mark.parametrize("env_id, cls", [(EXPLORE_ID, ExplorationEnv), (TABLETOP_ID, ManipEnv)])
def test_made_env_passes_the_env_checker(env_id, cls):
    env = gym.make(env_id)
    assert isinstance(env.unwrapped, cls)
    assert _checked(env.unwrapped) == []
    assert _checked(env) == []
    env.close()


def test_scene_by_suite_index_or_whole():
    env = gym.make(EXPLORE_ID, suite="tos-2room", index=3, max_steps=7)
    assert env.unwrapped.scene.suite == "tos-2room" and env.unwrapped.max_steps == 7
    assert gym.make(EXPLORE_ID, scene=two_rooms()).unwrapped.scene == two_rooms()
    env = gym.make(TABLETOP_ID, suite="table-clutter", index=2, max_steps=9)
    assert env.unwrapped.max_steps == 9


@pytest.mark.parametrize("env_id", [EXPLORE_ID, TABLETOP_ID])
def test_same_seed_gives_the_same_first_observation(env_id):
    a, b = gym.make(env_id), gym.make(env_id)
    (obs_a, info_a), (obs_b, info_b) = a.reset(seed=5), b.reset(seed=5)
    assert a.observation_space.contains(obs_a)
    if isinstance(obs_a, np.ndarray):
        assert obs_a.dtype == a.observation_space.dtype and np.array_equal(obs_a, obs_b)
    else:
        assert obs_a == obs_b
    assert info_a == info_b
    a.step(a.action_space.sample())
    obs_c, _ = a.reset(seed=5)  # a seeded reset after steps starts over identically
    assert np.array_equal(obs_c, obs_a) if isinstance(obs_a, np.ndarray) else obs_c == obs_a


def test_exploration_rollout_with_valid_actions():
    env = gym.make(EXPLORE_ID)
    env.reset(seed=0)
    turns = ["Actions: [Observe()]", "Actions: [Rotate(90), Observe()]", "Actions: [Term()]"]
    for i, turn in enumerate(turns):
        assert env.action_space.contains(turn)
        obs, reward, terminated, truncated, info = env.step(turn)
        assert env.observation_space.contains(obs) and isinstance(reward, float)
        assert info["invalid"] is None and not truncated
        assert terminated == (i == len(turns) - 1)
    assert info["cost"] == 2 and info["observed"]


def test_tabletop_rollout_with_valid_actions():
    env = gym.make(TABLETOP_ID, max_steps=20)
    obs, _ = env.reset(seed=0)
    env.action_space.seed(0)
    start = obs[:3].copy()
    for t in range(20):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs) and reward == 0.0 and not terminated
        assert truncated == (t == 19)
    assert np.linalg.norm(obs[:3] - start) > 0.01  # the TCP moved


def test_render_modes():
    env = gym.make(EXPLORE_ID, render_mode="rgb_array")
    env.reset(seed=0)
    img = env.render()
    assert img.shape == (128, 128, 3) and img.dtype == np.uint8
    env = gym.make(EXPLORE_ID, render_mode="rgb_array_list")  # gymnasium's RenderCollection wrapper
    env.reset(seed=0)
    env.step("Actions: [Rotate(90), Observe()]")
    assert len(env.render()) == 2
    with pytest.raises(ValueError, match="render_mode"):
        ExplorationEnv(two_rooms(), render_mode="human")


def test_make_imports_the_registering_module_itself():
    code = ("import gymnasium as gym; env = gym.make('sim.gym_envs:spacelab/Explore-v0');"
            "print(type(env.unwrapped).__name__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ExplorationEnv"]


def test_house_env_is_registered_and_seeded_resets_agree():
    from sim.manip.house_env import HouseEnv

    a, b = gym.make(HOUSE_ID, index=1, control="ee"), gym.make(HOUSE_ID, index=1, control="ee")
    assert isinstance(a.unwrapped, HouseEnv) and a.unwrapped.house.scene.suite == "house-3room"
    (obs_a, _), (obs_b, _) = a.reset(seed=5), b.reset(seed=5)
    assert a.observation_space.contains(obs_a)
    assert all(np.array_equal(obs_a[k], obs_b[k]) for k in obs_a)
