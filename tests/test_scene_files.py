"""Scene files: every malformed field gets one SceneError naming it; any JSON never crashes the loader."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes.spec import SceneError, SceneSpec
from scenes.suites import load_suite_scene

GOOD = load_suite_scene("tos-2room", 0).to_dict()


def _with(path, value):
    d = json.loads(json.dumps(GOOD))
    node = d
    for k in path[:-1]:
        node = node[k]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return d


@pytest.mark.parametrize("path, value, message", [
    (("rooms", 0, "width"), "3", "rooms[0].width must be an integer in [1, 2147483647], got '3'"),
    (("rooms", 1, "height"), -2, "rooms[1].height must be an integer in [1, 2147483647], got -2"),
    (("rooms", 0, "id"), True, "rooms[0].id must be an integer"),
    (("rooms",), {"a": 1}, "rooms must be a list"),
    (("rooms", 0), [0, 0, 6, 6], "rooms[0] must be a JSON object"),
    (("objects", 0, "position"), [1, 2, 3], "objects[0].position must be a list of 2 numbers, got [1, 2, 3]"),
    (("objects", 1, "size", 0), -1, "objects[1].size[0] must be a number in [1e-06, 10000], got -1"),
    (("objects", 1, "size", 2), float("nan"), "objects[1].size[2] must be a number"),
    (("objects", 0, "name"), 7, "objects[0].name must be a string"),
    (("objects", 0, "category"), "unicorn", "unknown category 'unicorn'"),
    (("objects", 0, "heading"), 1e400, "objects[0].heading must be a number in [-360, 360], got inf"),
    (("objects", 0, "has_facing"), "yes", "objects[0].has_facing must be true or false"),
    (("objects", 0, "room"), KeyError, "objects[0] is missing field 'room'"),
    (("doors", 0, "rooms"), [0], "doors[0].rooms must be a list of 2 integers"),
    (("doors", 0, "axis"), "z", "axis must be 'x' or 'y'"),
    (("start_position",), [0.5], "start_position must be a list of 2 numbers"),
    (("start_heading",), 45, "start_heading must be a multiple of 90"),
    (("seed",), -1, "seed must be an integer in [0,"),
    (("seed",), KeyError, "scene is missing field 'seed'"),
    (("wall_height",), 0, "wall_height must be a number in [0.5, 100]"),
    (("surprise",), 1, "scene has unknown field(s) ['surprise']"),
    (("version",), 2, "version must be 1"),
])
def test_each_malformed_field_is_named(path, value, message):
    with pytest.raises(SceneError) as e:
        SceneSpec.from_dict(_with(path, value))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_count_limits_and_deep_nesting_are_errors_not_crashes():
    many = _with(("objects",), [GOOD["objects"][0]] * 2000)
    with pytest.raises(SceneError, match="objects has 2000 entries, more than the limit of 1024"):
        SceneSpec.from_dict(many)
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(SceneError):
        SceneSpec.from_json(deep)


def test_a_file_error_names_the_file(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(_with(("rooms", 0, "width"), "3")))
    with pytest.raises(SceneError, match=r"bad.json: rooms\[0\].width must be an integer"):
        SceneSpec.load(str(f))


def test_the_scene_round_trips():
    assert SceneSpec.from_dict(GOOD) == load_suite_scene("tos-2room", 0)


LEAVES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
JSONISH = st.recursive(LEAVES, lambda k: st.one_of(st.lists(k, max_size=4), st.dictionaries(st.text(max_size=6), k, max_size=4)),
                       max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(GOOD)), JSONISH), max_size=3))
def test_any_field_values_give_a_scene_or_a_scene_error(edits):
    d = json.loads(json.dumps(GOOD))
    for key, value in edits:
        d[key] = value
    try:
        spec = SceneSpec.from_dict(d)
    except SceneError as e:
        assert "\n" not in str(e)
        return
    assert all(math.isfinite(v) for o in spec.objects for v in (*o.position, *o.size))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_scene_or_a_scene_error(text):
    try:
        SceneSpec.from_json(text)
    except SceneError:
        pass


HOSTILE_JSON = ['{"seed": 1' + "1" * 5000 + "}", "[" * 100_000, "", "null", "[]", '{"seed": NaN}', '{"seed": 1e400}',
                '{"seed": "0"}', '{"seed": -1}']


@pytest.mark.parametrize("text", HOSTILE_JSON, ids=range(len(HOSTILE_JSON)))
@pytest.mark.parametrize("loader", ["scene", "table", "house"])
def test_every_scene_loader_turns_hostile_json_into_one_scene_error(loader, text):
    from scenes.house import HouseSpec
    from scenes.tabletop import TableSpec

    cls = {"scene": SceneSpec, "table": TableSpec, "house": HouseSpec}[loader]
    with pytest.raises(SceneError) as e:
        cls.from_json(text)
    assert len(str(e.value).splitlines()) == 1 and len(str(e.value)) < 300
