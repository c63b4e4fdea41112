import json
import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from scenes import SceneError, SceneSpec, generate_scene, load_suite_scene
from scenes.catalog import CATALOG
from scenes.grid import walkable_graph
from scenes.suites import SUITES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_default_scene_shape():
    spec = generate_scene(seed=0)
    assert len(spec.rooms) == 3 and len(spec.doors) == 2 and len(spec.objects) == 12
    assert all(r.width == 6 and r.height == 6 for r in spec.rooms)
    for r in spec.rooms:
        assert sum(o.room == r.id for o in spec.objects) == 4


@pytest.mark.parametrize("suite,n_rooms", [("tos-2room", 2), ("tos-3room", 3), ("tos-4room", 4)])
def test_rooms_form_a_tree_joined_by_doors_in_shared_walls(suite, n_rooms):
    for i in range(20):
        spec = load_suite_scene(suite, i)
        g = nx.Graph()
        g.add_nodes_from(r.id for r in spec.rooms)
        for d in spec.doors:
            a, b = (spec.rooms[k] for k in d.rooms)
            x, y = d.position
            # the door lies on the boundary of both rooms, never in a corner cell
            for r in (a, b):
                on_x = r.x0 <= x <= r.x0 + r.width and y in (r.y0, r.y0 + r.height)
                on_y = r.y0 <= y <= r.y0 + r.height and x in (r.x0, r.x0 + r.width)
                assert on_x or on_y
            g.add_edge(*d.rooms)
        assert len(spec.rooms) == n_rooms and nx.is_tree(g)


def test_objects_spacing_facing_and_catalog():
    for i in range(30):
        spec = load_suite_scene("tos-3room", i)
        for r in spec.rooms:  # spacing holds inside a room (a wall separates the others)
            pos = np.array([o.position for o in spec.objects if o.room == r.id])
            d = np.linalg.norm(pos[:, None] - pos[None], axis=-1) + np.eye(len(pos)) * 99
            assert d.min() >= 2.0
        for o in spec.objects:
            assert CATALOG[o.category].has_facing == o.has_facing
            assert o.heading in (0.0, 90.0, 180.0, 270.0)
            if not o.has_facing:
                assert o.heading == 0.0
            assert (o.position[0] - 0.5) % 1 == 0 and (o.position[1] - 0.5) % 1 == 0
        assert len({o.name for o in spec.objects}) == len(spec.objects)


def test_every_object_and_door_is_reachable():
    for i in range(30):
        spec = load_suite_scene("tos-4room", i)
        g = walkable_graph(spec)
        reach = nx.node_connected_component(g, tuple(spec.start_position))
        assert all(d.position in reach for d in spec.doors)


def test_json_round_trip_and_ground_truth_frame():
    spec = load_suite_scene("tos-3room", 7)
    again = SceneSpec.from_json(spec.to_json())
    assert again == spec and again.to_json() == spec.to_json()
    gt = spec.ground_truth()
    assert gt["agent"] == {"position": [0.0, 0.0], "facing": "north"}
    # positions relative to a cell-centred start are integers across, half-integers for doors
    for o in spec.objects:
        assert all(float(v).is_integer() for v in gt[o.name]["position"])


def test_ground_truth_rotates_into_start_frame():
    spec = generate_scene(seed=1)
    spec = SceneSpec.from_dict({**spec.to_dict(), "start_heading": 90.0})
    o = spec.objects[0]
    dx, dy = o.position[0] - spec.start_position[0], o.position[1] - spec.start_position[1]
    # facing east: world east is the agent's north (+y), world north is its west (-x)
    assert spec.ground_truth()[o.name]["position"] == [-dy + 0.0, dx + 0.0]


def test_same_suite_index_gives_byte_identical_json_in_a_new_process():
    code = "from scenes import load_suite_scene; print(load_suite_scene('tos-3room', 42).to_json())"
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout for _ in range(2)]
    assert out[0] == out[1] == load_suite_scene("tos-3room", 42).to_json() + "\n"


def test_suites_are_distinct_and_sized():
    assert {s: SUITES.load(s).size for s in SUITES} == {"tos-2room": 100, "tos-3room": 100, "tos-4room": 100,
                                                          "house-2room": 100, "house-3room": 100, "house-4room": 100}
    assert load_suite_scene("tos-3room", 1).to_json() != load_suite_scene("tos-3room", 2).to_json()


@pytest.mark.parametrize(
    "text,msg",
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"seed": 1}', "missing field 'rooms'"),
    ],
)
def test_malformed_scene_errors_name_the_problem(text, msg):
    with pytest.raises(SceneError, match=msg):
        SceneSpec.from_json(text)


def test_scene_validation_catches_object_outside_its_room():
    d = json.loads(generate_scene(seed=2).to_json())
    d["objects"][0]["position"] = [100.5, 100.5]
    with pytest.raises(SceneError, match="not inside room"):
        SceneSpec.from_dict(d)


def test_bad_suite_and_index():
    with pytest.raises(SceneError, match="unknown suite"):
        load_suite_scene("tos-9room", 0)
    with pytest.raises(SceneError, match="out of range"):
        load_suite_scene("tos-3room", 100)


def test_a_suite_scene_is_generated_once_and_equals_a_fresh_generation():
    from scenes.suites import SUITES, Suite

    first = load_suite_scene("tos-2room", 7)
    assert load_suite_scene("tos-2room", 7) is first
    assert first == generate_scene(seed=7, suite="tos-2room", n_rooms=2, room_size=6, objects_per_room=4)
    calls = []

    def counted(**kw):
        calls.append(kw["seed"])
        return generate_scene(**kw)

    SUITES.register("cached-test-suite", Suite("cached-test-suite", counted, {"n_rooms": 2}, 3), replace=True)
    try:
        a, b = load_suite_scene("cached-test-suite", 1), load_suite_scene("cached-test-suite", 1)
        assert a is b and calls == [1]
        # registered again under the same name: its scenes are generated anew, not served from the old suite
        SUITES.register("cached-test-suite", Suite("cached-test-suite", counted, {"n_rooms": 3}, 3), replace=True)
        c = load_suite_scene("cached-test-suite", 1)
        assert calls == [1, 1] and len(c.rooms) == 3 != len(a.rooms)
    finally:
        SUITES.unregister("cached-test-suite")


def test_a_suite_whose_scenes_are_not_frozen_generates_each_time_once_and_its_errors_pass_through():
    from scenes.suites import SUITES, Suite

    calls = []

    def mutable(**kw):
        calls.append(kw["seed"])
        return {"seed": kw["seed"]}  # a dict: not hashable, so never shared

    def broken(**kw):
        calls.append("broken")
        raise TypeError("n_rooms must be an int")

    SUITES.register("mutable-test-suite", Suite("mutable-test-suite", mutable, {}, 3), replace=True)
    SUITES.register("broken-test-suite", Suite("broken-test-suite", broken, {}, 3), replace=True)
    try:
        a, b = load_suite_scene("mutable-test-suite", 2), load_suite_scene("mutable-test-suite", 2)
        assert a == b == {"seed": 2} and a is not b and calls == [2, 2]
        with pytest.raises(TypeError, match="n_rooms must be an int"):
            load_suite_scene("broken-test-suite", 0)
        assert calls == [2, 2, "broken"]  # the generator ran once, its error unchanged
    finally:
        SUITES.unregister("mutable-test-suite")
        SUITES.unregister("broken-test-suite")
