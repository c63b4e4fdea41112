"""scenes.tos_import: ToS room layouts (Room.to_dict + Agent.to_dict, built by hand here) -> SceneSpec."""

import copy
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spacelab
from scenes.catalog import CATALOG
from scenes.spec import Door, ObjectSpec, Room, SceneError, SceneSpec
from scenes.tos_import import FALLBACK_CATEGORY, category_for, scene_from_tos

FACING = {(0, 1): "north", (1, 0): "east", (0, -1): "south", (-1, 0): "west"}
CELL = {"#": 0, ".": -1, "D": 100, "d": 101}


def mask_from_picture(rows: list[str]) -> list[list[int]]:
    """ToS's mask[x][y] from a picture drawn north-up (first row = highest y): '#' wall 0,
    '.' outside -1, 'D' door 100 (rooms west/east), 'd' door 101 (rooms south/north), digits rooms."""
    h, w = len(rows), len(rows[0])
    return [[CELL[rows[h - 1 - y][x]] if rows[h - 1 - y][x] in CELL else int(rows[h - 1 - y][x]) for y in range(h)]
            for x in range(w)]


def obj(name, pos, ori=(0, 1), has=True, room=None):
    """Object.to_dict() as ToS writes it."""
    return {"name": name, "pos": list(pos), "ori": list(ori), "has_orientation": has, "room_id": room}


def agent(pos, ori=(0, 1), init_pos=None, init_ori=None):
    """Agent.to_dict() as ToS writes it."""
    return {"name": "agent", "pos": list(pos), "ori": list(ori), "has_orientation": True, "room_id": 1,
            "init_pos": list(init_pos or pos), "init_ori": list(init_ori or ori), "init_room_id": 1}


def gate(name, pos, rooms, ori):
    """Gate.to_dict() as ToS writes it (ori_by_room is ignored by the importer)."""
    return {"name": name, "pos": list(pos), "ori": list(ori), "has_orientation": True, "room_id": list(rooms),
            "ori_by_room": {}}


def one_room():
    # mask[x][y] written out literally: x = 0..6 (outer list), y = 0..5 (inner lists).
    mask = [[0, 0, 0, 0, 0, 0]] + [[0, 1, 1, 1, 1, 0] for _ in range(5)] + [[0, 0, 0, 0, 0, 0]]
    objects = [obj("chair", (2, 3), (1, 0), room=1), obj("television", (5, 1), (0, -1), room=1),
               obj("pillow", (1, 4), (0, 1), has=False, room=1)]
    return {"name": "room", "mask": mask, "objects": objects, "gates": [], "all_objects": objects,
            "gates_by_room": {}, "rooms_by_gate": {}, "adjacent_rooms_by_room": {}, "agent": agent((3, 1))}


def two_rooms():
    mask = mask_from_picture([
        "#####.....",
        "#111######",
        "#111#2222#",
        "#111D2222#",
        "#111#2222#",
        "##########",
    ])
    objects = [obj("sofa", (1, 4), (0, -1), room=1), obj("lamp", (8, 3), has=False, room=2),
               obj("refrigerator", (7, 1), (-1, 0), room=2)]
    return {"name": "room", "mask": mask, "objects": objects, "gates": [gate("red door", (4, 2), (1, 2), (1, 0))],
            "agent": agent((2, 2), (1, 0))}


def three_rooms():
    mask = mask_from_picture([
        "#####.....",
        "#333#.....",
        "#333#.....",
        "#333######",
        "##d###222#",
        "#1111#222#",
        "#1111D222#",
        "#1111#222#",
        "##########",
    ])
    objects = [obj("bookshelf", (1, 3), (0, -1)), obj("monitor", (8, 4), (-1, 0)), obj("vase", (3, 7), has=False),
               obj("computer", (1, 6), (1, 0))]
    gates = [gate("red door", (5, 2), (1, 2), (1, 0)), gate("blue door", (2, 4), (1, 3), (0, 1))]
    # ToS logs the pair {"room_state", "agent_state"}; the agent has since moved, the start is init_pos/init_ori.
    return {"room_state": {"name": "room", "mask": mask, "objects": objects, "gates": gates},
            "agent_state": agent((7, 2), (1, 0), init_pos=(3, 2), init_ori=(0, -1))}


def _spec(rooms, doors, objects, start, heading):
    return SceneSpec(seed=0, rooms=tuple(rooms), doors=tuple(doors), objects=tuple(objects), start_position=start,
                     start_heading=heading, suite="tos-import")


def _o(name, cat, pos, heading, has, room):
    return ObjectSpec(name, cat, pos, heading, CATALOG[cat].size, has, room)


EXPECTED = {
    "one_room": _spec(
        [Room(1, 1, 1, 5, 4)], [],
        [_o("chair", "chair", (2.5, 3.5), 90.0, True, 1), _o("television", "tv", (5.5, 1.5), 180.0, True, 1),
         _o("pillow", FALLBACK_CATEGORY, (1.5, 4.5), 0.0, False, 1)],
        (3.5, 1.5), 0.0),
    "two_rooms": _spec(
        [Room(1, 1, 1, 4, 4), Room(2, 5, 1, 4, 3)],  # room 1 takes the wall column x = 4
        [Door("red door", (5.0, 2.5), "y", (1, 2))],
        [_o("sofa", "sofa", (1.5, 4.5), 180.0, True, 1), _o("lamp", "lamp", (8.5, 3.5), 0.0, False, 2),
         _o("refrigerator", "fridge", (7.5, 1.5), 270.0, True, 2)],
        (2.5, 2.5), 90.0),
    "three_rooms": _spec(
        [Room(1, 1, 1, 5, 4), Room(2, 6, 1, 3, 4), Room(3, 1, 5, 3, 3)],  # room 1 takes column x = 5 and row y = 4
        [Door("red door", (6.0, 2.5), "y", (1, 2)), Door("blue door", (2.5, 5.0), "x", (1, 3))],
        [_o("bookshelf", "bookshelf", (1.5, 3.5), 180.0, True, 1), _o("monitor", "monitor", (8.5, 4.5), 270.0, True, 2),
         _o("vase", "vase", (3.5, 7.5), 0.0, False, 3), _o("computer", "monitor", (1.5, 6.5), 90.0, True, 3)],
        (3.5, 2.5), 180.0),
}
LAYOUTS = {"one_room": one_room, "two_rooms": two_rooms, "three_rooms": three_rooms}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_hand_built_layout_gives_the_exact_scene(name):
    spec = scene_from_tos(LAYOUTS[name]())
    assert spec == EXPECTED[name]
    assert SceneSpec.from_dict(spec.to_dict()) == spec


def _tos_parts(layout):
    room = layout.get("room_state", layout)
    return room, layout.get("agent_state", layout.get("agent"))


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_ground_truth_matches_tos_positions_relative_to_the_agent(name):
    layout = LAYOUTS[name]()
    room, ag = _tos_parts(layout)
    gt = scene_from_tos(layout).ground_truth()
    (px, py), (fx, fy) = ag["init_pos"], ag["init_ori"]
    rx, ry = fy, -fx  # the agent's right

    def local(dx, dy):
        return [dx * rx + dy * ry, dx * fx + dy * fy]

    for o in room["objects"]:
        assert gt[o["name"]]["position"] == local(o["pos"][0] - px, o["pos"][1] - py)
        want = FACING[tuple(local(*o["ori"]))] if o["has_orientation"] else None
        assert gt[o["name"]]["facing"] == want
    for g in room["gates"]:  # our door is on the boundary: half a cell from ToS's gate cell, toward the 2nd room
        tos = local(g["pos"][0] - px, g["pos"][1] - py)
        assert math.dist(gt[g["name"]]["position"], tos) == 0.5


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_imported_scene_compiles_and_observes_in_physics(name):
    env = spacelab.make_env(scene_from_tos(LAYOUTS[name]()))
    try:
        env.reset()
        obs, _, _, _, info = env.step("Actions: [Observe()]")
        assert info["cost"] == 1 and obs.startswith("You observe")
    finally:
        env.close()


def test_tos_degrees_orientation_and_categories():
    layout = two_rooms()
    layout["agent"] = {"pos": [2, 2], "ori": 0}  # ToS degrees: 0 = east (Object docstring); no init_* keys
    layout["objects"][0]["ori"] = 270  # south
    spec = scene_from_tos(layout)
    assert spec.start_heading == 90.0 and spec.object("sofa").heading == 180.0
    assert [category_for(n) for n in ["trash can", "Coffee_Table", "air conditioner", "chair"]] == [
        "trashcan", "table", FALLBACK_CATEGORY, "chair"]


def _set(path, value):
    def edit(layout):
        *head, last = path
        d = layout
        for k in head:
            d = d[k]
        if value is _DELETE:
            del d[last]
        else:
            d[last] = value
    return edit


_DELETE = object()


def _grid_cell(x, y, v):
    def edit(layout):
        layout["mask"][x][y] = v
    return edit


MALFORMED = [
    (_set(("objects", 2, "pos"), [1.5, 2]), "objects[2].pos must be two integers, got [1.5, 2]"),
    (_set(("objects", 0, "pos"), [4, 3]), "objects[0].pos [4, 3] is not inside a room (mask value 0)"),
    (_set(("objects", 2, "pos"), [1, 4]), "objects[2].pos [1, 4] is already taken by 'sofa'"),
    (_set(("objects", 0, "ori"), [1, 1]), ("objects[0].ori must be a cardinal unit vector ([0, 1], [1, 0], [0, -1] "
                                          "or [-1, 0]) or degrees that are a multiple of 90, got [1, 1]")),
    (_set(("objects", 1, "has_orientation"), "yes"), "objects[1].has_orientation must be true or false, got 'yes'"),
    (_set(("objects", 0, "name"), 5), "objects[0].name must be a non-empty string of at most 100 characters, got 5"),
    (_set(("objects", 0, "room_id"), 2), "objects[0].room_id is 2 but the mask puts objects[0].pos in room 1"),
    (_set(("objects", 1), "lamp"), "objects[1] must be a JSON object, got 'lamp'"),
    (_set(("objects", 0, "pos"), _DELETE), "objects[0] is missing field 'pos'"),
    (_set(("gates", 0, "room_id"), [1]), "gates[0].room_id must be two different room ids from the mask, got [1]"),
    (_set(("gates", 0, "room_id"), [1, 3]), "gates[0].room_id must be two different room ids from the mask, got [1, 3]"),
    (_set(("gates", 0, "pos"), [4, 3]), ("gates[0].pos [4, 3] is not a door cell of the mask (value 0; ToS marks doors "
                                        "100 or 101)")),
    (_set(("gates",), []), "mask[4][2] is a door cell (100) but no gate stands there"),
    (_set(("gates", 0, "name"), "red gate"), "door name 'red gate' must contain 'door'"),
    (_grid_cell(8, 3, 0), ("mask: room 2 is not a rectangle (its 11 cells do not fill the box x 5..8, y 1..3); "
                          "spacelab rooms are axis-aligned rectangles")),
    (_grid_cell(2, 2, 7.5), "mask[2][2] must be -1, 0, a room id 1..99, 100 or 101, got 7.5"),
    (_grid_cell(2, 2, True), "mask[2][2] must be -1, 0, a room id 1..99, 100 or 101, got True"),
    (_set(("mask", 1), [0]), "mask[1] must have 6 entries like mask[0], got 1"),
    (_set(("mask",), []), "mask must be a non-empty list of at most 256 lists (ToS indexes it mask[x][y]), got []"),
    (_set(("agent",), _DELETE), "layout is missing field 'agent'"),
    (_set(("agent",), None), "agent must be a JSON object, got None"),
    (_set(("agent", "init_pos"), [4, 3]), "agent.init_pos [4, 3] is not inside a room (mask value 0)"),
    (_set(("agent", "init_pos"), [7, 1]), "agent.init_pos [7, 1] is taken by object 'refrigerator'"),
    (_set(("agent", "init_ori"), [0, 0]), ("agent.init_ori must be a cardinal unit vector ([0, 1], [1, 0], [0, -1] "
                                          "or [-1, 0]) or degrees that are a multiple of 90, got [0, 0]")),
]


@pytest.mark.parametrize("edit,message", MALFORMED)
def test_malformed_field_raises_one_scene_error_naming_it(edit, message):
    layout = two_rooms()
    edit(layout)
    with pytest.raises(SceneError) as e:
        scene_from_tos(layout)
    assert str(e.value) == message


def test_wrapped_layout_names_room_state_fields_and_rejects_non_dicts():
    layout = three_rooms()
    layout["room_state"]["objects"][1]["pos"] = "here"
    with pytest.raises(SceneError, match=r"^room_state\.objects\[1\]\.pos must be two integers, got 'here'$"):
        scene_from_tos(layout)
    with pytest.raises(SceneError, match=r"^layout must be a JSON object, got \[\]$"):
        scene_from_tos([])


def test_gate_between_wrong_rooms_and_overlapping_rooms_are_named():
    layout = three_rooms()
    layout["room_state"]["gates"][0]["room_id"] = [1, 3]
    with pytest.raises(SceneError, match=r"^room_state\.gates\[0\] at \[5, 2\] does not lie between rooms 1 and 3"):
        scene_from_tos(layout)
    # Room 3 touches room 1 with no wall between: giving room 1 the gate's wall column makes them overlap.
    mask = mask_from_picture([
        "#####",
        "#13##",
        "#1D2#",
        "#####",
    ])
    bad = {"mask": mask, "objects": [], "gates": [gate("red door", (2, 1), (1, 2), (1, 0))], "agent": agent((1, 1))}
    with pytest.raises(SceneError) as e:
        scene_from_tos(bad)
    assert str(e.value) == ("mask: rooms 1 and 3 overlap once the wall cells of their gates are given to the west/south "
                            "rooms (ToS keeps rooms one wall cell apart)")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 120) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["mask", "objects", "gates", "agent", "pos", "ori", "name", "room_id", "has_orientation", "init_pos",
         "room_state", "agent_state", "x"]), inner, max_size=5),
    max_leaves=20,
)


def _paths(d, prefix=()):
    """Every (container, key) path inside a JSON-like value."""
    items = d.items() if isinstance(d, dict) else enumerate(d) if isinstance(d, list) else []
    for k, v in items:
        yield prefix + (k,)
        yield from _paths(v, prefix + (k,))


def _outcome(layout):
    try:
        assert isinstance(scene_from_tos(layout), SceneSpec)
    except SceneError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_arbitrary_json_gives_a_scene_or_a_scene_error(value):
    _outcome(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_field_of_a_valid_layout_replaced_by_json_gives_a_scene_or_a_scene_error(data):
    layout = copy.deepcopy(data.draw(st.sampled_from([one_room(), two_rooms(), three_rooms()])))
    paths = list(_paths(layout))
    path = data.draw(st.sampled_from(paths))
    value = data.draw(st.just(_DELETE) | JSON)
    _set(path, value)(layout)
    _outcome(layout)
