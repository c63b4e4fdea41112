"""Non-finite commands are refused with a clear error and change nothing."""

import math

import numpy as np
import pytest

import spacelab
from sim.gym_envs import make_tabletop_env


@pytest.mark.parametrize("robot", ["floating", "arm"])
def test_a_nan_command_is_refused_and_the_old_one_stays(robot):
    world = spacelab.make_world("table-pick", 0, robot=robot)
    world.command([0.0, -0.2, 0.9], 0.0, 0.04)
    before = (world.goal.copy(), world.yaw, world.opening)
    for bad in ({"tcp_goal": [math.nan, 0, 1]}, {"tcp_goal": [0, 0]}, {"tcp_goal": "up"},
                {"tcp_goal": [0, 0, 1], "opening": math.nan}, {"tcp_goal": [0, 0, 1], "yaw_deg": math.inf}):
        with pytest.raises(ValueError, match="must be"):
            world.command(**bad)
        assert np.array_equal(world.goal, before[0]) and (world.yaw, world.opening) == before[1:]
    world.tick()
    assert np.isfinite(world.tcp_pos()).all()


def test_the_control_env_refuses_non_finite_actions():
    env = make_tabletop_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be 4 finite numbers"):
        env.step([0.0, math.nan, 0.0, 1.0])
    obs, *_ = env.step([0.0, 0.0, 0.0, 1.0])
    assert np.isfinite(obs).all()
