"""The vector env held to what gymnasium's checker asks of a single env (it has no vector
checker): spaces that contain every observation, exact dtypes, seeded determinism with valid
actions, and refusals of malformed batches."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence

from scenes.suites import load_suite_scene
from sim.vector_env import NavVectorEnv


def _rollout(seed: int, steps: int = 12):
    env = NavVectorEnv(load_suite_scene("tos-2room", 1), num_envs=3, max_steps=8)
    obs, info = env.reset(seed=seed)
    trace = [obs]
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        action = rng.uniform(-1, 1, env.action_space.shape).astype(env.action_space.dtype)
        assert env.action_space.contains(action)
        out = env.step(action)
        trace.append(out)
    return env, trace


def test_every_observation_is_in_the_batched_space_with_its_dtype():
    env, trace = _rollout(0)
    assert env.single_observation_space.shape == (8,) and env.observation_space.shape == (3, 8)
    for item in trace:
        obs = item if isinstance(item, np.ndarray) else item[0]
        assert obs.dtype == env.observation_space.dtype and env.observation_space.contains(obs)
        if not isinstance(item, np.ndarray):
            _, reward, terminated, truncated, _ = item
            assert reward.shape == (3,) and terminated.dtype == np.bool_ and truncated.dtype == np.bool_


def test_the_same_seed_gives_the_same_batch_trajectory_and_another_seed_another():
    _, a = _rollout(7)
    _, b = _rollout(7)
    _, c = _rollout(8)
    assert all(data_equivalence(x, y) for x, y in zip(a, b))
    assert not all(data_equivalence(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.full((3, 3), np.nan), np.zeros((3, 4))])
def test_a_malformed_batch_of_actions_is_refused(bad):
    env = NavVectorEnv(load_suite_scene("tos-2room", 1), num_envs=3, max_steps=8)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(bad)
