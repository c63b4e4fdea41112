"""The `tos` scoring profile (perception/tos_metrics.py) against hand-computed values, rule by
rule, next to the unchanged `spacelab` profile; `spacelab score --profile/--seen/--pairs`;
and properties: parsing and scoring never raise and give scores in [0, 1]."""

import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perception.belief import SAME_BIN, direction_bin8, score_map
from perception.bins import direction_bin, distance_bin
from perception.cogmap import CognitiveMap, normalise_facing, parse_map
from perception.tos_metrics import (
    FENCED_PATTERN,
    _fenced_blocks,
    bearing_tos,
    cardinal_bin_tos,
    consistency_tos,
    distance_bin_tos,
    ego_direction_bin_tos,
    episode_scale,
    extract_json_tos,
    parse_map_tos,
    resolve_names,
    score,
    score_map_tos,
    score_pair_line,
)
from tests.cli_run import run_cli


def cmap(d: dict) -> CognitiveMap:
    return CognitiveMap.from_dict(d)


# The agent stands at its start: ground truth agent (0, 0), chair (0, 2); the prediction puts
# the agent at (0, 1).
AT_START_GT = {"agent": {"position": [0, 0], "facing": "north"}, "chair": {"position": [0, 2], "facing": "north"}}
AT_START_PRED = {"agent": {"position": [0, 1], "facing": "north"}, "chair": {"position": [0, 2], "facing": "north"}}


# -- rule 10: coincident points ------------------------------------------------------


def test_a_zero_vector_is_north_under_tos_and_same_under_spacelab():
    assert bearing_tos(0.0, 0.0) == 0.0 and cardinal_bin_tos(bearing_tos(0.0, 0.0)) == 0
    assert bearing_tos(5e-7, -5e-7) == 0.0  # both |dx|, |dy| < 1e-6: still the zero vector
    assert direction_bin8(0.0, 0.0) == SAME_BIN


def test_agent_at_its_start_coincident_pair_scores_differently():
    # tos: names sorted (agent, chair, initial), bearing of a - b:
    #   (agent, chair):   truth (0,-2) -> 180 deg bin 4; prediction (0,-1) -> bin 4  right
    #   (agent, initial): truth (0, 0) -> 0 deg bin 0;   prediction (0, 1) -> bin 0  right
    #   (chair, initial): truth (0, 2) -> bin 0;         prediction (0, 2) -> bin 0  right
    #   dir = 3/3 = 1
    # spacelab: (agent, chair) N = N right; (agent, origin) truth SAME, prediction (0,-1) S: wrong;
    #   (chair, origin) S = S right; dir = 2/3
    gt, pred = cmap(AT_START_GT), cmap(AT_START_PRED)
    tos, sl = score(pred, gt, "tos"), score(pred, gt, "spacelab")
    assert tos["dir"] == 1.0
    assert sl["dir"] == pytest.approx(2 / 3)
    # pos, both: rmse = sqrt((1^2 + 0^2) / 2) = 0.7071067811865476, L = |chair| = 2,
    # pos = exp(-0.7071067811865476 / 2) = 0.7021885013265596
    assert tos["pos"] == pytest.approx(0.7021885013265596) and sl["pos"] == pytest.approx(0.7021885013265596)
    assert tos["overall"] == pytest.approx((0.7021885013265596 + 1 + 1) / 3)
    # the agent exactly at its start: both profiles agree (bin 0 = bin 0, SAME = SAME)
    assert score(gt, gt, "tos")["dir"] == score(gt, gt, "spacelab")["dir"] == 1.0


# -- rules 7-9: L fixed per episode -----------------------------------------------------

FULL_GT = {"agent": {"position": [0, 0], "facing": "north"}, "chair": {"position": [3, 4], "facing": "north"},
           "lamp": {"position": [0, 1]}, "door_0": {"position": [5, 0]}}
SEEN_PRED = {"agent": {"position": [0, 0], "facing": "north"}, "chair": {"position": [3, 3], "facing": "north"}}


def test_scale_is_fixed_per_episode_under_tos_and_recomputed_under_spacelab():
    # Full truth: objects chair (3,4) and lamp (0,1) (no door, no agent): L = sqrt((25 + 1) / 2)
    # = sqrt(13) = 3.605551275463989. Seen: chair (+ agent). spacelab's L of the cut map:
    # sqrt(25 / 1) = 5. Prediction: agent exact, chair (3,3): rmse = sqrt((0 + 1) / 2) = 0.7071067811865476.
    #   tos:      pos = 2/2 * exp(-0.7071067811865476 / 3.605551275463989) = exp(-0.19611613513818404) = 0.8219167757169004
    #   spacelab: pos = exp(-0.7071067811865476 / 5) = 0.8681234453945849
    # dir 1 and facing 1 under both (agent-chair (-3,-4) vs (-3,-3): both south-west; chair-origin
    # (3,4) vs (3,3): both north-east), so overall = (pos + 2) / 3.
    gt = cmap(FULL_GT)
    assert episode_scale(gt) == pytest.approx(math.sqrt(13))
    tos = score(SEEN_PRED, gt, "tos", seen=["chair"])
    sl = score(SEEN_PRED, gt, "spacelab", seen=["chair"])
    assert tos["L"] == pytest.approx(3.605551275463989) and tos["N"] == 2
    assert tos["pos"] == pytest.approx(0.8219167757169004)
    assert sl["pos"] == pytest.approx(0.8681234453945849)
    assert tos["overall"] == pytest.approx(0.9406389252389667) and sl["overall"] == pytest.approx(0.9560411484648617)
    # a local map: the episode's L is passed in; without it the cut map's own L would be used
    local = cmap({"chair": [3, 4]})
    assert score_map_tos(cmap({"chair": [3, 3]}), local, episode_scale(gt))["pos"] == pytest.approx(math.exp(-1 / math.sqrt(13)))
    assert score_map(cmap({"chair": [3, 3]}), local)["pos"] == pytest.approx(math.exp(-1 / 5))
    # self-tracking (seen = nothing): the truth is the agent alone
    assert score(SEEN_PRED, gt, "tos", seen=[])["N"] == 1


def test_pos_edge_rules():
    gt = cmap(AT_START_GT)
    assert score_map_tos(CognitiveMap(), gt)["pos"] == 0.0  # nothing matched
    # the prediction twice as large: allow_scale fits factor 0.5 and the error vanishes
    double = cmap({"agent": [0, 0], "chair": [0, 4]})
    assert score_map_tos(double, gt, allow_scale=True)["pos"] == 1.0
    assert score_map_tos(double, gt)["pos"] == pytest.approx(math.exp(-math.sqrt(2) / 2))  # rmse sqrt(4/2), L 2
    # L = 0 given: ToS falls back to the RMS of the matched true positions (sqrt(4/2) here)
    assert score_map_tos(double, gt, 0.0)["pos"] == pytest.approx(math.exp(-1.0))
    assert score_map_tos(double, gt, -1.0)["pos"] == 0.0


def test_an_empty_ground_truth_gives_pos_1_under_tos_and_0_under_spacelab():
    pred = cmap(AT_START_PRED)
    tos, sl = score(pred, {}, "tos"), score(pred, {}, "spacelab")
    assert (tos["pos"], tos["dir"], tos["facing"], tos["overall"]) == (1.0, 1.0, 1.0, 1.0)
    assert (sl["pos"], sl["dir"], sl["facing"]) == (0.0, 1.0, 1.0) and sl["overall"] == pytest.approx(2 / 3)


# -- rule 6: names ---------------------------------------------------------------------

NAMES_GT = {"agent": {"position": [0, 0], "facing": "north"}, "chair": {"position": [1, 2], "facing": "north"},
            "armchair": {"position": [2, 2], "facing": "south"}, "door_0": {"position": [0, 3]}}


def test_names_match_exactly_or_without_underscores_and_case_sensitively():
    reply = json.dumps({"agent": {"position": [0, 0], "facing": "north"}, "Chair": {"position": [1, 2], "facing": "north"},
                        "arm_chair": {"position": [2, 2], "facing": "south"}, "door0": {"position": [0, 3]}})
    gt = cmap(NAMES_GT)
    pred, err = parse_map_tos(reply)
    assert err is None and set(pred.entries) == {"agent", "Chair", "arm_chair", "door0"}  # kept as written
    assert set(resolve_names(pred, gt.entries).entries) == {"agent", "armchair"}  # "Chair" is not "chair";
    # "door0" has no "_", so it is compared only exactly
    assert score(reply, gt, "tos")["K"] == 2
    assert set(parse_map(reply)[0].entries) == {"agent", "chair", "arm_chair", "door0"}  # spacelab lower-cases
    assert score(reply, gt, "spacelab")["K"] == 2  # agent, chair
    assert set(resolve_names(parse_map_tos('{"door__0": {"position": [0, 3]}, "door 0": {"position": [0, 3]}}')[0],
                             gt.entries).entries) == {"door_0"}  # via "door__0"; "door 0" counts for nothing


def test_the_later_key_wins_even_without_a_position():
    gt = cmap(NAMES_GT)
    ok_then_bad = '{"armchair": {"position": [2, 2]}, "arm_chair": {"position": "two"}}'
    bad_then_ok = '{"arm_chair": {"position": "two"}, "armchair": {"position": [2, 2]}}'
    assert score(ok_then_bad, gt)["K"] == 0 and score(bad_then_ok, gt)["K"] == 1


# -- rules 3-5: entries and facings ------------------------------------------------------


@pytest.mark.parametrize("said, tos, spacelab", [
    ("north", "north", "north"), (" North ", "north", "north"), ("unknown", "north", None), ("NE", "north", None),
    ("forward", "north", None), ("front", "north", None), ("Ahead", "north", None),
    ("back", "south", None), ("behind", "south", None), ("backward", "south", None),
    ("left", "west", "west"), ("+x", "east", "east"), ("up", "north", "north"), ("down", "north", "south"),
    ("90", "north", "east"), (90, None, "east"), (None, None, None),
])
def test_facing_words(said, tos, spacelab):
    reply = {"chair": {"position": [1, 2], "facing": said}}
    assert parse_map_tos(reply)[0].entries["chair"].facing == tos
    assert normalise_facing(said) == spacelab


def test_facing_scores_unknown_as_north_and_back_as_south():
    # truth: agent north, chair north, bed south; said: "ahead", "unknown", "behind"
    # tos reads north, north, south: 3/3; spacelab reads none of them: 0/3
    gt = cmap({"agent": {"position": [0, 0], "facing": "north"}, "chair": {"position": [0, 2], "facing": "north"},
               "bed": {"position": [2, 0], "facing": "south"}})
    pred = {"agent": {"position": [0, 0], "facing": "ahead"}, "chair": {"position": [0, 2], "facing": "unknown"},
            "bed": {"position": [2, 0], "facing": "behind"}}
    assert score(pred, gt, "tos")["facing"] == 1.0 and score(pred, gt, "spacelab")["facing"] == 0.0


def test_local_facings_turn_axes_only():
    said = {"a": "+y", "b": "+x", "c": "-y", "d": "-x", "e": "back", "f": "forward", "g": "east"}
    reply = {k: {"position": [0, 1], "facing": v} for k, v in said.items()}
    m = parse_map_tos(reply, kind="local", agent_facing="east")[0]
    assert {k: e.facing for k, e in m.entries.items()} == {
        "a": "east", "b": "south", "c": "west", "d": "north", "e": "north", "f": "north", "g": "east"}


def test_only_dict_entries_with_a_position_list_are_read():
    m = parse_map_tos('{"a": [1, 2], "b": {"pos": [1, 2]}, "c": {"position": ["1", 2.5]}, "d": {"position": [true, 1]},'
                      ' "e": {"position": [NaN, 1]}, "f": {"position": [1, 2, 3]}}')[0]
    assert "a" not in m.entries  # a bare [x, y] is not an entry
    assert {k: e.position for k, e in m.entries.items()} == {"b": None, "c": (1.0, 2.5), "d": None, "e": None, "f": None}
    nested = parse_map_tos({"agent": {"position": [0, 0]}, "objects": [{"name": " chair ", "pos": [1, 2], "facing": "S"}],
                            "gates": {"door_0": {"xy": [0, 3]}}})[0]
    assert {k: (e.position, e.facing) for k, e in nested.entries.items()} == {
        "agent": ((0.0, 0.0), None), "chair": ((1.0, 2.0), "south"), "door_0": ((0.0, 3.0), None)}


def test_extraction_takes_the_longest_candidate_and_repairs_nothing():
    reply = 'see {"x": 1} and ```json\n{"chair": {"position": [1, 2]}}\n```'
    assert extract_json_tos(reply)[0] == {"chair": {"position": [1, 2]}}
    obj, err = extract_json_tos('{"chair": {"position": [1, 2]},}')  # trailing comma: ToS gives up
    assert obj is None and "no JSON object" in err
    assert parse_map('{"chair": {"position": [1, 2]},}')[1] is None  # spacelab repairs it
    s = score('{"chair": {"position": [1, 2]},}', cmap(NAMES_GT), "tos")
    assert s["valid"] is False and s["overall"] == 0.0 and "error" in s  # rule 13: invalid, not an empty map


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="`{}jsonJSON \n\tx\"", max_size=40))
def test_fenced_blocks_equal_tos_pattern(text):
    assert _fenced_blocks(text) == re.findall(FENCED_PATTERN, text, re.DOTALL | re.IGNORECASE)


# -- rules 10 and 16: bins ---------------------------------------------------------------


@pytest.mark.parametrize("angle, tos, spacelab", [
    (22.4995, "front-slight-right", "front-slight-right"),
    (22.5005, "front-slight-right", "front-right"),  # ToS's 1e-3 slack
    (22.5015, "front-right", "front-right"),
    (-22.5005, "front-slight-left", "front-left"),
    (-22.5015, "front-left", "front-left"),
    (45.0005, "front-right", "beyond-fov"),
    (45.0015, "beyond-fov", "beyond-fov"),
    (-45.0005, "front-left", "beyond-fov"),
    (0.0005, "front", "front-slight-right"),
    (-0.0005, "front", "front-slight-left"),
    (0.0015, "front-slight-right", "front-slight-right"),
    (22.5 + 1e-3, "beyond-fov", "front-right"),  # exactly on ToS's node: no open interval holds it
])
def test_egocentric_bins_have_a_1e3_slack_under_tos(angle, tos, spacelab):
    assert ego_direction_bin_tos(angle) == tos
    assert direction_bin(angle) == spacelab


@pytest.mark.parametrize("angle, expected", [(22.4995, 0), (22.5005, 1), (22.5, 1), (-22.5, 0), (-22.5005, 7),
                                             (67.4995, 1), (180.0, 4), (-180.0, 4), (337.5, 0)])
def test_allocentric_bins_have_no_slack_in_either_profile(angle, expected):
    assert cardinal_bin_tos(angle) == expected
    dx, dy = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    assert cardinal_bin_tos(bearing_tos(dx, dy)) == expected
    if abs(abs(angle) % 45 - 22.5) > 1e-6:  # off the edges, where both agree
        assert direction_bin8(dx, dy) == expected


def test_tos_bins_the_raw_bearing_spacelab_rounds_it():
    dx, dy = 0.414213562373, 1.0  # under tan(22.5 deg) = 0.41421356237309504...: bearing 22.4999999999954 deg
    b = bearing_tos(dx, dy)
    assert 22.5 - 1e-11 < b < 22.5 and round(b, 9) == 22.5
    assert cardinal_bin_tos(b) == 0 and direction_bin8(dx, dy) == 1  # spacelab rounds to 9 places: north-east
    # ToS's own (w + 360) % 360 rounds a bearing within ~3e-14 deg of an edge onto the edge
    assert cardinal_bin_tos(22.499999999999996) == 1


@pytest.mark.parametrize("d, tos, spacelab", [
    (0.0, "same distance", "same distance"), (2.0, "near", "near"), (2.0000005, "near", "near"),
    (2.0000015, "mid distance", "mid distance"), (2.0 + 1e-6, None, "near"), (64.0, "extremely far", "extremely far"),
    (64.5, None, "extremely far"),
])
def test_distance_bins(d, tos, spacelab):
    assert distance_bin_tos(d) == tos and distance_bin(d) == spacelab


# -- rule 15: consistency ------------------------------------------------------------------


def test_local_global_consistency():
    # global: agent (2,1) facing east, chair (4,1) north, lamp (2,4) south. In the agent's frame
    # (+y ahead = east): chair (0,2), lamp (-3,0), facings unchanged.
    glob = cmap({"agent": {"position": [2, 1], "facing": "east"}, "chair": {"position": [4, 1], "facing": "north"},
                 "lamp": {"position": [2, 4], "facing": "south"}})
    same = cmap({"chair": {"position": [0, 2], "facing": "north"}, "lamp": {"position": [-3, 0], "facing": "south"}})
    assert consistency_tos(same, glob, 2.0)["overall"] == 1.0
    # lamp said at (-3,1): rmse = sqrt((0 + 1) / 2), pos = exp(-0.7071067811865476 / 2) = 0.7021885013265596;
    # dir over (chair, lamp, initial): chair-lamp (3,2) 56.3 deg bin 1 vs (3,1) 71.6 deg bin 2 wrong;
    # chair-initial (0,2) both bin 0; lamp-initial (-3,0) bin 6 vs (-3,1) -71.6 deg bin 6: dir 2/3
    off = cmap({"chair": {"position": [0, 2], "facing": "north"}, "lamp": {"position": [-3, 1], "facing": "south"}})
    s = consistency_tos(off, glob, 2.0)
    assert s["pos"] == pytest.approx(0.7021885013265596) and s["dir"] == pytest.approx(2 / 3) and s["facing"] == 1.0
    assert consistency_tos(same, cmap({"chair": [4, 1]}), 2.0) is None  # no agent: invalid
    assert consistency_tos(CognitiveMap(), glob, 2.0)["overall"] == 1.0
    assert consistency_tos(cmap({"sofa": [0, 1]}), glob, 2.0)["overall"] == 0.0


# -- the spacelab profile is belief.score_map ---------------------------------------------


def test_spacelab_profile_is_score_map():
    gt, pred = cmap(FULL_GT), cmap(SEEN_PRED)
    assert score(pred, gt, "spacelab") == score_map(pred, gt)
    assert score(pred, gt, "spacelab", seen=["chair"]) == score_map(pred, gt.restricted({"chair", "agent"}))
    with pytest.raises(ValueError, match="unknown scoring profile"):
        score(pred, gt, "other")


# -- the CLI ---------------------------------------------------------------------------------




def test_score_profiles_and_seen(tmp_path, capsys):
    (tmp_path / "p.json").write_text(json.dumps(SEEN_PRED))
    (tmp_path / "g.json").write_text(json.dumps({"ground_truth": FULL_GT}))
    base = ["score", "--pred", str(tmp_path / "p.json"), "--gt", str(tmp_path / "g.json"), "--seen", "chair"]
    code, out, _ = run_cli(capsys, *base)
    assert code == 0 and json.loads(out)["pos"] == round(0.8219167757169004, 6)
    code, out, _ = run_cli(capsys, *base, "--profile", "spacelab")
    assert code == 0 and json.loads(out)["pos"] == round(0.8681234453945849, 6)
    code, _, err = run_cli(capsys, *base, "--profile", "nope")
    assert code == 2 and err.count("\n") == 1


def test_pairs_with_a_bad_line_in_the_middle(tmp_path, capsys):
    lines = [
        json.dumps({"pred": AT_START_PRED, "gt": AT_START_GT}),
        "{not json",
        json.dumps({"pred": AT_START_PRED}),
        json.dumps({"pred": "My map: ```json\n" + json.dumps(SEEN_PRED) + "\n```", "gt": {"ground_truth": FULL_GT},
                    "seen": ["chair"]}),
        json.dumps({"pred": "no map here", "gt": AT_START_GT}),
        json.dumps({"pred": AT_START_PRED, "gt": AT_START_GT, "seen": "chair"}),
    ]
    f = tmp_path / "pairs.jsonl"
    f.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(capsys, "score", "--pairs", str(f))
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(rows) == 6 and "3 bad line(s)" in err
    assert rows[0] == {"pos": round(0.7021885013265596, 6), "dir": 1.0, "facing": 1.0,
                       "overall": round((0.7021885013265596 + 2) / 3, 6)}
    assert rows[1]["line"] == 2 and "not valid JSON" in rows[1]["error"]
    assert rows[2] == {"line": 3, "error": 'expected an object with "pred" and "gt"'}
    assert rows[3]["pos"] == round(0.8219167757169004, 6)
    assert rows[4]["valid"] is False and rows[4]["overall"] == 0.0 and "no JSON object" in rows[4]["parse_error"]
    assert rows[5]["line"] == 6 and "seen" in rows[5]["error"]
    code, out, _ = run_cli(capsys, "score", "--pairs", str(f), "--profile", "spacelab")
    rows = [json.loads(x) for x in out.splitlines()]
    assert rows[0]["dir"] == round(2 / 3, 6) and rows[3]["pos"] == round(0.8681234453945849, 6)
    assert rows[4]["overall"] == 0.0 and "valid" not in rows[4]  # spacelab: scored as an empty map
    code, _, err = run_cli(capsys, "score", "--pairs", str(f), "--pred", str(f))
    assert code == 2 and err.count("\n") == 1


# -- properties --------------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                     st.text(max_size=8))
_json = st.recursive(_scalars, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=6), c, max_size=4)),
                     max_leaves=12)
_names = st.sampled_from(["agent", "chair", "Chair", "arm_chair", "armchair", "door_0", "door0", "initial", "objects",
                          "gates", "", "x y"])
_entry = st.fixed_dictionaries({}, optional={
    "position": st.one_of(st.lists(_scalars, max_size=3), _scalars),
    "facing": st.one_of(_scalars, st.sampled_from(["north", "back", "+x", "unknown"])), "pos": _json})
_maps = st.dictionaries(st.one_of(_names, st.text(max_size=6)), st.one_of(_entry, _json), max_size=6)
_gts = st.dictionaries(_names, st.one_of(
    st.fixed_dictionaries({"position": st.tuples(st.floats(-50, 50), st.floats(-50, 50)).map(list)},
                          optional={"facing": st.sampled_from(["north", "east", "south", "west", None])}), _json),
    max_size=6)


def _in_unit(s):
    return all(isinstance(s[k], float) and 0.0 <= s[k] <= 1.0 for k in ("pos", "dir", "facing", "overall"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pred=st.one_of(_maps, _json, st.text(max_size=60), _maps.map(lambda m: "reply ```json\n" + json.dumps(m) + "\n```")),
       gt=_gts, seen=st.one_of(st.none(), st.lists(_names, max_size=3)),
       scale=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), kind=st.sampled_from(["global", "local"]))
def test_parsing_and_scoring_never_raise_and_stay_in_unit(pred, gt, seen, scale, kind):
    m, err = parse_map_tos(pred, kind=kind, agent_facing="west")
    assert isinstance(m, CognitiveMap) and (err is None or isinstance(err, str))
    for profile in ("tos", "spacelab"):
        assert _in_unit(score(pred, gt, profile, seen=seen, scale=scale))
    g = cmap(gt)
    assert _in_unit(score_map_tos(m, g, scale, allow_scale=True))
    c = consistency_tos(m, resolve_names(m, g.entries), 1.0)
    assert c is None or _in_unit(c)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), _json.map(json.dumps),
                 st.builds(lambda p, g: json.dumps({"pred": p, "gt": g}), _maps, _gts)))
def test_a_pairs_line_never_raises(line):
    row = score_pair_line(line, 7)
    assert ("error" in row and row["line"] == 7) or all(0.0 <= row[k] <= 1.0 for k in ("pos", "dir", "facing", "overall"))


def test_an_integer_past_pythons_digit_limit_is_unreadable_not_fatal():
    big = "9" * 5000  # json.loads raises ValueError (not JSONDecodeError) for it
    assert parse_map_tos('{"chair": {"position": [' + big + ", 1]}}")[1] is not None
    two = '{"chair": {"position": [' + big + ', 1]}} then {"chair": {"position": [1, 1]}}'
    assert score(two, {"chair": [1, 1]})["pos"] == 1.0  # the next candidate is read
    row = score_pair_line('{"pred": {}, "gt": {"a": [' + big + ", 1]}}", 4)
    assert row["line"] == 4 and "not valid JSON" in row["error"]
