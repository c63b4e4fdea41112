"""Belief-metric rules with hand-computed values: direction bins at every edge, the virtual
origin, the scale length and facing defaults, and the room/door topology F1."""

import math

import pytest

from perception.belief import direction_bin8, scale_length, score_map, topology_f1
from perception.cogmap import CognitiveMap


def at(deg: float) -> tuple[float, float]:
    """Unit vector at compass angle `deg` (clockwise from +y)."""
    return math.sin(math.radians(deg)), math.cos(math.radians(deg))


# half a degree either side of every 45-degree edge; 0 = N, 1 = NE, ..., 7 = NW
@pytest.mark.parametrize(
    "deg,want",
    [(-23, 7), (-22, 0), (22, 0), (23, 1), (67, 1), (68, 2), (112, 2), (113, 3), (157, 3), (158, 4), (180, 4),
     (-158, 4), (-157, 5), (-113, 5), (-112, 6), (-68, 6), (-67, 7)],
)
def test_direction_bin8_on_both_sides_of_every_edge(deg, want):
    assert direction_bin8(*at(deg)) == want


def test_direction_bin8_snaps_to_an_edge_within_a_nanodegree():
    # theta is rounded to 9 decimals: 2e-10 degrees west of the N/NW edge is on the edge (north),
    # 6e-10 degrees west of it rounds to -22.500000001 (north-west)
    assert direction_bin8(*at(-22.5 - 2e-10)) == 0
    assert direction_bin8(*at(-22.5 - 6e-10)) == 7


def test_direction_bin8_same_bin_includes_the_eps_length():
    assert direction_bin8(1e-9, 0.0) == 8  # |v| == eps is "the same place"
    assert direction_bin8(2e-9, 0.0) == 2  # just longer: east
    assert direction_bin8(0.0, 0.0, eps=0.5) == 8 and direction_bin8(0.5, 0.0, eps=0.4) == 2


def test_an_empty_truth_scores_direction_and_facing_as_perfect():
    s = score_map(CognitiveMap(), CognitiveMap())
    assert (s["pos"], s["dir"], s["facing"], s["K"], s["N"], s["rmse"]) == (0.0, 1.0, 1.0, 0, 0, None)
    assert s["overall"] == pytest.approx(2 / 3)


def test_the_virtual_origin_is_at_zero_in_both_maps():
    # the only pair is (chair, origin): truth chair->origin is (0, -2), south; believed (-0.5, -2), also south.
    # An origin anywhere else would split them (from (1, 0): SE vs S; from (0, 1): S vs SW).
    gt = CognitiveMap.from_dict({"chair": [0, 2]})
    pred = CognitiveMap.from_dict({"chair": [0.5, 2]})
    assert score_map(pred, gt)["dir"] == 1.0


def test_scale_length_and_its_fallbacks():
    # L = sqrt(mean |p|^2) over objects only: sqrt((25 + 4) / 2), the agent and doors left out
    gt = CognitiveMap.from_dict({"agent": [7, 7], "door_0": [9, 9], "chair": [3, 4], "table": [0, 2]})
    assert scale_length(gt) == pytest.approx(math.sqrt(14.5))
    assert scale_length(CognitiveMap.from_dict({"agent": [1, 1], "door_0": [3, 0]})) == 1.0  # nothing to average
    assert scale_length(CognitiveMap.from_dict({"chair": [0, 0]})) == 1.0  # every object at the origin: L would be 0


def test_position_score_uses_a_unit_scale_when_the_truth_has_only_doors():
    gt = CognitiveMap.from_dict({"agent": {"position": [0, 0], "facing": "north"}, "door_0": [0, 3]})
    pred = CognitiveMap.from_dict({"agent": {"position": [0, 0], "facing": "north"}, "door_0": [0, 4]})
    # squared errors 0 and 1 -> RMSE = sqrt(1/2); L = 1 -> pos = exp(-0.7071) = 0.4931
    assert score_map(pred, gt)["pos"] == pytest.approx(math.exp(-math.sqrt(0.5)))


def test_facing_is_perfect_when_nothing_but_doors_has_a_facing():
    gt = CognitiveMap.from_dict({"chair": [0, 2], "door_0": {"position": [1, 1], "facing": "east"}})
    pred = CognitiveMap.from_dict({"chair": [0, 2], "door_0": {"position": [1, 1], "facing": "west"}})
    assert score_map(pred, gt)["facing"] == 1.0


TRUTH_TOPOLOGY = CognitiveMap.from_dict({
    "rooms": [{"id": 0, "objects": ["chair"]}, {"id": 1, "objects": ["table"]}],
    "doors": [{"name": "door_0", "rooms": [0, 1]}],
})


def test_topology_edges_are_named_by_their_door():
    pred = CognitiveMap.from_dict({
        "rooms": [{"id": 0, "objects": ["chair"]}, {"id": 1, "objects": ["table"]}],
        "doors": [{"name": "door_1", "rooms": [0, 1]}],
    })
    assert topology_f1(pred, TRUTH_TOPOLOGY) == 0.0


def test_topology_rooms_are_told_apart_by_their_objects():
    pred = CognitiveMap.from_dict({
        "rooms": [{"id": 0, "objects": ["chair"]}, {"id": 1, "objects": ["lamp", 7]}],
        "doors": [{"name": "door_0", "rooms": [0, 1]}],
    })
    assert topology_f1(pred, TRUTH_TOPOLOGY) == 0.0


def test_topology_room_without_an_object_list_is_an_empty_room():
    truth = CognitiveMap.from_dict({"rooms": [{"id": 0}, {"id": 1, "objects": ["table"]}],
                                    "doors": [{"name": "door_0", "rooms": [0, 1]}]})
    pred = CognitiveMap.from_dict({"rooms": [{"id": "a", "objects": []}, {"id": "b", "objects": ["table"]}],
                                   "doors": [{"name": "door_0", "rooms": ["b", "a"]}]})
    assert topology_f1(pred, truth) == 1.0


def test_topology_ignores_doors_that_do_not_join_two_known_rooms():
    pred = CognitiveMap.from_dict({
        "rooms": [{"id": 0, "objects": ["chair"]}, {"id": 1, "objects": ["table"]}],
        "doors": [{"name": "door_0", "rooms": [0, 1]}, {"name": "door_1", "rooms": [0]},
                  {"name": "door_2", "rooms": [0, 1, 0]}, {"name": "door_3", "rooms": [0, 99]},
                  {"name": "door_4", "rooms": "0-1"}],
    })
    assert topology_f1(pred, TRUTH_TOPOLOGY) == 1.0
