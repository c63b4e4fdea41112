"""ToS bin rules at their edges, hand-checked: angle wrap-around, the ANGLE_EPS / DIST_EPS
slack, and the facing / wall names just either side of a diagonal."""

import numpy as np
import pytest

from perception.bins import (
    ANGLE_EPS,
    DIST_EPS,
    direction_bin,
    direction_index,
    distance_bin,
    relative_facing,
    wall_side,
)


@pytest.mark.parametrize(
    "angle,name",
    [(315.5, "front-left"), (337.0, "front-left"), (338.0, "front-slight-left"), (390.0, "front-right"),
     (-350.0, "front-slight-right"), (-315.5, "front-right"), (-45.5, "beyond-fov"), (-23.0, "front-left"),
     (-22.0, "front-slight-left"), (23.0, "front-right"), (-180.0, "beyond-fov"), (360.0, "front")],
)
def test_direction_bins_wrap_around(angle, name):
    assert direction_bin(angle) == name


def test_direction_bins_keep_their_eps_slack():
    # the field of view edge is widened by ANGLE_EPS on both sides; straight ahead is |a| <= ANGLE_EPS
    assert direction_bin(-45.0 - ANGLE_EPS) == "front-left" and direction_bin(45.0 + ANGLE_EPS) == "front-right"
    assert direction_bin(-45.0 - 3 * ANGLE_EPS) == "beyond-fov" and direction_bin(45.0 + 3 * ANGLE_EPS) == "beyond-fov"
    assert direction_bin(ANGLE_EPS / 2) == "front" and direction_bin(-ANGLE_EPS / 2) == "front"
    assert direction_bin(3 * ANGLE_EPS) == "front-slight-right" and direction_bin(-3 * ANGLE_EPS) == "front-slight-left"


def test_direction_index_is_vectorised():
    got = direction_index(np.array([[-30.0, -10.0, 0.0], [10.0, 30.0, 90.0]]))
    assert got.shape == (2, 3) and got.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_distance_bins_keep_their_eps_slack():
    assert distance_bin(DIST_EPS) == "same distance" and distance_bin(3 * DIST_EPS) == "near"
    assert distance_bin(2.0 + DIST_EPS / 2) == "near" and distance_bin(2.0 + 3 * DIST_EPS) == "mid distance"
    assert distance_bin(32.0 + DIST_EPS / 2) == "very far" and distance_bin(33.0) == "extremely far"


@pytest.mark.parametrize(
    "obj,agent,name",
    [(134.0, 0.0, "right"), (136.0, 0.0, "backward"), (315.5, 0.0, "forward"), (314.5, 0.0, "left"),
     (350.0, 0.0, "forward"), (0.0, 45.4, "left"), (0.0, 44.6, "forward"), (10.0, 280.0, "right")],
)
def test_relative_facing_either_side_of_a_diagonal(obj, agent, name):
    assert relative_facing(obj, agent) == name


@pytest.mark.parametrize(
    "wall,agent,name",
    [(0.0, 0.0, "front"), (90.0, 0.0, "right"), (180.0, 0.0, "back"), (270.0, 0.0, "left"), (350.0, 0.0, "front"),
     (135.5, 0.0, "back"), (134.5, 0.0, "right"), (0.0, 45.4, "left"), (0.0, 44.6, "front"), (90.0, 180.0, "left")],
)
def test_wall_side_either_side_of_a_diagonal(wall, agent, name):
    assert wall_side(wall, agent) == name
