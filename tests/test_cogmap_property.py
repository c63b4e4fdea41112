"""parse_map and score_map take anything a model may send, and never raise."""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from perception.belief import score_map
from perception.cogmap import MAX_COORD, number, parse_map

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**400, max_value=10**400),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
JSON = st.recursive(JSON_SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), kids, max_size=4)),
                    max_leaves=30)
ENTRY = st.fixed_dictionaries({"position": st.lists(JSON_SCALARS, min_size=0, max_size=3)},
                              optional={"facing": JSON_SCALARS, "std": JSON_SCALARS})
MAPS = st.dictionaries(st.sampled_from(["agent", "chair", "Chair", "lamp", "door_0", "rooms", "doors"]),
                       st.one_of(ENTRY, JSON), max_size=6)
TRUTH = parse_map({"agent": {"position": [0, 0], "facing": "north"}, "chair": {"position": [2, 3], "facing": "east"},
                   "lamp": {"position": [-4, 1], "facing": None}, "door_0": {"position": [0, 6]}})[0]


def _check_scores(scores: dict) -> None:
    for key in ("pos", "dir", "facing", "overall"):
        assert 0.0 <= scores[key] <= 1.0 and math.isfinite(scores[key]), (key, scores)


@settings(max_examples=300, deadline=None)
@given(MAPS)
def test_any_map_object_parses_and_scores_in_range(obj):
    m, err = parse_map(obj)
    assert err is None
    for e in m.entries.values():
        assert e.position is None or all(math.isfinite(v) and abs(v) <= MAX_COORD for v in e.position)
    _check_scores(score_map(m, TRUTH))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), JSON.map(lambda o: json.dumps(o, allow_nan=True)), JSON))
def test_any_reply_gives_a_map_or_an_error_never_an_exception(reply):
    m, err = parse_map(reply)
    assert err is None or (isinstance(err, str) and "\n" not in err)
    _check_scores(score_map(m, TRUTH))


def test_huge_and_odd_numbers_are_invalid_values():
    m, _ = parse_map({"chair": [1e160, 2], "lamp": [10**400, 1], "agent": {"position": [0, 0], "facing": 10**400},
                      "door_0": {"position": ["3", "6.5"], "std": 10**400}})
    assert m.entries["chair"].position is None and m.entries["lamp"].position is None
    assert m.entries["agent"].facing is None
    assert m.entries["door_0"].position == (3.0, 6.5) and m.entries["door_0"].std is None
    assert [number(v) for v in (MAX_COORD, -MAX_COORD, 2 * MAX_COORD, "nan", [1])] == [MAX_COORD, -MAX_COORD, None, None, None]


class _Name(str):
    pass


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.text(min_size=195, max_size=260), st.integers(), st.floats(), st.none(),
                 st.text(max_size=12).map(_Name)), st.booleans())
def test_normalise_name_is_the_separator_rule_for_any_key(name, again):
    """Names a model sends: whitespace and hyphen runs become one underscore, outer whitespace and
    quotes go, lower case; the same answer on a repeat (kept names), for long names (not kept),
    str subclasses and non-strings (their str())."""
    import re

    from perception.cogmap import normalise_name

    want = re.sub(r"[\s-]+", "_", str(name).strip().strip("'\"")).lower()
    assert normalise_name(name) == want
    if again:
        assert normalise_name(name) == want
    assert normalise_name(" Door-0 ") == "door_0" and normalise_name("'Big  Lamp'") == "big_lamp"
