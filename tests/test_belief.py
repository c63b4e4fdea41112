import math

import pytest

from perception.belief import (
    direction_bin8,
    score_map,
    set_f1,
    std_calibration,
    topology_f1,
)
from perception.cogmap import CognitiveMap, parse_map

GT = CognitiveMap.from_dict({
    "agent": {"position": [0, 0], "facing": "north"},
    "chair": {"position": [0, 2], "facing": "east"},
    "table": {"position": [2, 0], "facing": None},
    "door_0": {"position": [-1, 1], "facing": None},
})
# L = sqrt((|chair|^2 + |table|^2) / 2) = 2; 5 points with the origin -> 10 pairs


def close(d, **want):
    for k, v in want.items():
        assert d[k] == pytest.approx(v, abs=1e-9), k


def test_bins():
    assert [direction_bin8(*v) for v in [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 0)]] == [
        0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert direction_bin8(math.sin(math.radians(22.4)), math.cos(math.radians(22.4))) == 0
    assert direction_bin8(math.sin(math.radians(22.5)), math.cos(math.radians(22.5))) == 1
    assert direction_bin8(math.sin(math.radians(-22.5)), math.cos(math.radians(-22.5))) == 0


def test_perfect_map():
    close(score_map(GT, GT), pos=1, dir=1, facing=1, overall=1)


def test_empty_prediction():
    close(score_map(CognitiveMap(), GT), pos=0, dir=0, facing=0, overall=0)


def test_missing_object():
    pred = GT.restricted({"agent", "table", "door_0"})
    # K/N = 3/4; the 4 pairs with the chair are wrong -> 6/10; agent facing right, chair missing -> 1/2
    close(score_map(pred, GT), pos=0.75, dir=0.6, facing=0.5, overall=(0.75 + 0.6 + 0.5) / 3)


def test_hallucinated_objects_are_ignored():
    pred = CognitiveMap.from_dict({**GT.to_dict(), "sofa": {"position": [5, 5], "facing": "west"}})
    close(score_map(pred, GT), pos=1, dir=1, facing=1)


def test_shifted_object():
    pred = CognitiveMap.from_dict({**GT.to_dict(), "table": {"position": [2, 2], "facing": None}})
    # RMSE = sqrt(4/4) = 1 -> pos = exp(-1/2). Pairs whose bin changes: origin-table (E->NE),
    # agent-table (E->NE), chair-table (SE->E); door-table keeps E (ESE -> E, both bin 2)
    close(score_map(pred, GT), pos=math.exp(-0.5), dir=0.7, facing=1)


def test_rotated_map():
    # the whole map turned 90 degrees clockwise: (x, y) -> (y, -x), facings turned too
    pred = CognitiveMap.from_dict({
        "agent": {"position": [0, 0], "facing": "east"},
        "chair": {"position": [2, 0], "facing": "south"},
        "table": {"position": [0, -2]},
        "door_0": {"position": [1, 1]},
    })
    # squared errors 0, 8, 8, 4 -> RMSE = sqrt(5); only the coincident agent/origin pair keeps its bin
    close(score_map(pred, GT), pos=math.exp(-math.sqrt(5) / 2), dir=0.1, facing=0)


def test_parser_tolerates_messy_replies():
    m, err = parse_map("Here is my map:\n```json\n{'Chair': [1, 2], 'Door 0': {'position': [3, 4],},}\n```")
    assert err is None and m.entries["chair"].position == (1.0, 2.0) and m.entries["door_0"].position == (3.0, 4.0)
    m, err = parse_map('noise {"a": 1} more {"agent": {"position": [0, 0], "facing": "N"}, "lamp": {"position": [1, -1], "facing": 90}}')
    assert err is None and m.entries["agent"].facing == "north" and m.entries["lamp"].facing == "east"


@pytest.mark.parametrize(
    "reply,err",
    [("I think the chair is north.", "no JSON"), ("", "no JSON"), (None, "type NoneType"), ("x" * 1_000_001, "over the"),
     (12, "type int")],
)
def test_unparseable_replies_are_empty_maps(reply, err):
    m, e = parse_map(reply)
    assert m.entries == {} and err in e
    close(score_map(m, GT), overall=0)


def test_nan_and_garbage_positions_count_as_missing():
    m, err = parse_map('{"chair": {"position": [NaN, 1]}, "table": {"position": ["a", 2]}, "agent": {"position": [0, 0], "facing": "north"}, "door_0": [Infinity, 1]}')
    assert err is None and m.entries["chair"].position is None and m.entries["table"].position is None
    assert m.entries["door_0"].position is None
    close(score_map(m, GT), pos=0.25)


def test_std_calibration_and_topology():
    pred = CognitiveMap.from_dict({"chair": {"position": [0, 3], "std": 0.4}, "table": {"position": [2, 0.5], "std": 0.5}})
    assert std_calibration(pred, GT) == 0.5  # chair 1.0 away > 2*0.4; table 0.5 <= 2*0.5
    assert set_f1({1, 2}, {2, 3}) == 0.5 and set_f1(set(), set()) == 1.0
    truth = CognitiveMap.from_dict({"rooms": [{"id": 0, "objects": ["chair"]}, {"id": 1, "objects": ["table"]}],
                                    "doors": [{"name": "door_0", "rooms": [0, 1]}]})
    pred = CognitiveMap.from_dict({"rooms": [{"id": "a", "objects": ["chair"]}, {"id": "b", "objects": ["table"]}],
                                   "doors": [{"name": "door_0", "rooms": ["b", "a"]}]})
    assert topology_f1(pred, truth) == 1.0 and topology_f1(CognitiveMap(), truth) == 0.0


def test_position_rmse_is_over_the_matched_entries_only():
    # door_0 missing (K = 3 of N = 4), table placed at (2, 2) instead of (2, 0): squared errors 0, 0, 4
    pred = CognitiveMap.from_dict({
        "agent": {"position": [0, 0], "facing": "north"},
        "chair": {"position": [0, 2], "facing": "east"},
        "table": {"position": [2, 2]},
    })
    # RMSE over the K matched = sqrt(4/3), not sqrt(4/4) = 1; L = 2
    # pos = 3/4 * exp(-sqrt(4/3)/2) = 0.4210 (0.4549 if divided by N)
    # dir: the 4 pairs with the door are wrong; of the other 6, agent-table (E->NE), chair-table (SE->E) and
    # origin-table (E->NE) change bin; agent-chair, agent-origin and chair-origin keep it -> 3/10
    s = score_map(pred, GT)
    close(s, K=3, N=4, rmse=math.sqrt(4 / 3), pos=0.75 * math.exp(-math.sqrt(4 / 3) / 2), dir=0.3, facing=1)
    assert round(s["pos"], 3) == 0.421


def test_std_calibration_counts_the_two_std_boundary_and_exact_beliefs():
    exact = CognitiveMap.from_dict({"chair": {"position": [0, 2], "std": 0.0}, "table": {"position": [2, 0], "std": 0.0}})
    assert std_calibration(exact, GT) == 1.0  # zero error is within 2 * 0 of the truth
    # chair exactly 1.0 away with std 0.5: on the 2-std boundary, a hit; table 1.0 away with std 0.25: a miss
    edge = CognitiveMap.from_dict({"chair": {"position": [0, 3], "std": 0.5}, "table": {"position": [3, 0], "std": 0.25}})
    assert std_calibration(edge, GT) == 0.5
    assert std_calibration(CognitiveMap.from_dict({"chair": [0, 2]}), GT) is None  # no std anywhere


def test_remembered_direction_bins_score_as_computed_ones():
    """score_map(..., bins) remembers each offset's bin for the next calls: the scores are those
    without it, on the first call and on calls that find every bin remembered."""
    pred = CognitiveMap.from_dict({"agent": [0.5, 0.5], "chair": [0.3, 2.2], "table": [2.0, -0.4], "door_0": [-1, 1]})
    bins: dict = {}
    for m in (pred, GT, pred, GT.restricted({"chair", "table"}), pred):
        for gt in (GT, GT.restricted({"chair", "agent"}), pred):
            assert score_map(m, gt, bins) == score_map(m, gt)
    assert bins and all(isinstance(b, int) and 0 <= b <= 8 for b in bins.values())
    assert bins[(0.0, 2.0)] == direction_bin8(0.0, 2.0) == 0 and bins[(-0.3, -2.2)] == direction_bin8(-0.3, -2.2)
