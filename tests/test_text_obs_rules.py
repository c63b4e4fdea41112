"""Text-observation rules with hand-computed answers: which wall a door is on, the exact
wording, offsets rounded to the micrometre and the nearest-first order."""

import pytest

from perception.text_obs import Sighting, describe_view, make_sightings
from scenes.spec import Door, ObjectSpec, Room, SceneSpec


def thing(name, pos, heading=0.0, has_facing=False):
    return ObjectSpec(name, "box", pos, heading, (0.4, 0.4, 0.8), has_facing, 0)


def scene(objects=(), doors=()):
    return SceneSpec(0, (Room(0, 0, 0, 10, 10),), tuple(doors), tuple(objects), (0.0, 0.0), 0.0)


def walls(doors, agent, heading):
    spec = scene(doors=doors)
    return {s.name: s.wall for s in make_sightings(spec, list(range(len(doors))), agent, heading)}


AGENT = (2.0, 4.0)  # x != y, so swapped coordinates show
DOORS = [Door("door_n", (2.0, 5.0), "x", (0, 1)), Door("door_s", (2.0, 0.0), "x", (0, 2)),
         Door("door_e", (3.0, 4.0), "y", (0, 3)), Door("door_w", (0.0, 4.0), "y", (0, 4))]


def test_doors_are_on_the_wall_they_are_in():
    assert walls(DOORS, AGENT, 0.0) == {"door_n": "front", "door_s": "back", "door_e": "right", "door_w": "left"}
    assert walls(DOORS, AGENT, 90.0) == {"door_n": "left", "door_s": "right", "door_e": "front", "door_w": "back"}


def test_door_walls_just_past_a_diagonal_heading():
    # facing 45.4 degrees (a little east of north-east): east is 44.6 degrees right (front), north 45.4
    # left (left), south 134.6 right (right), west 135.4 left (back)
    assert walls(DOORS, AGENT, 45.4) == {"door_n": "left", "door_s": "right", "door_e": "front", "door_w": "back"}
    assert walls(DOORS, AGENT, 44.6) == {"door_n": "front", "door_s": "back", "door_e": "right", "door_w": "left"}


def test_a_door_half_a_metre_off_your_line_is_on_that_side():
    doors = [Door("door_n", (2.5, 4.5), "x", (0, 1)), Door("door_e", (2.5, 4.5), "y", (0, 2))]
    assert walls(doors, AGENT, 0.0) == {"door_n": "front", "door_e": "right"}


def test_a_door_in_line_with_you_has_no_wall_and_says_so():
    doors = [Door("door_x", (0.0, 0.0), "x", (0, 1)), Door("door_y", (0.0, 0.0), "y", (0, 1)),
             Door("door_up", (0.0, 1e-6), "x", (0, 1)), Door("door_side", (1e-6, 0.0), "y", (0, 1))]
    got = walls(doors, (0.0, 0.0), 0.0)
    # exactly on the agent's line: none; 1e-6 m off is already off it
    assert got == {"door_x": None, "door_y": None, "door_up": "front", "door_side": "right"}
    s = Sighting("door_0", "door", "front", "near", None, None, (0.0, 1.0))
    assert s.describe() == "door_0: front, near, in line with you"
    assert Sighting("door_1", "door", "front-left", "far", None, "left", (-1.0, 9.0)).describe() == \
        "door_1: front-left, far, on the left wall"


def test_object_sightings_carry_no_wall_and_name_their_facing():
    spec = scene([thing("chair", (1.0 / 3.0, 2.0 / 3.0), heading=270.0, has_facing=True), thing("ball", (0.0, 3.0))])
    a, b = make_sightings(spec, [0, 1], (0.0, 0.0), 0.0)
    # offsets are (right, forward) rounded to 6 decimals; the chair faces west: left of an agent facing north
    assert a.to_dict() == {"name": "chair", "kind": "object", "direction": "front-right", "distance": "near",
                           "facing": "left", "wall": None, "offset": (0.333333, 0.666667)}
    assert a.describe() == "chair: front-right, near, facing left"
    assert b.describe() == "ball: front, mid distance" and b.wall is None and b.facing is None


def test_sightings_are_nearest_first_then_by_name():
    # (right, forward) offsets for an agent at the origin facing north are the world (x, y)
    pos = {"a": (3.0, 0.0), "b": (0.0, 2.0), "c": (-2.0, -2.0), "e": (-1.0, -1.0), "d": (1.0, 1.0)}
    spec = scene([thing(n, p) for n, p in pos.items()])
    got = make_sightings(spec, list(range(len(pos))), (0.0, 0.0), 0.0)
    # squared distances: d 2, e 2, b 4, c 8, a 9
    assert [s.name for s in got] == ["d", "e", "b", "c", "a"]


def test_describe_view_wording():
    assert describe_view([]) == "You observe: nothing in your field of view."
    s = [Sighting("chair", "object", "front", "near", "left", None, (0.0, 1.0)),
         Sighting("door_0", "door", "front-right", "far", None, "right", (5.0, 9.0))]
    assert describe_view(s) == "You observe:\n- chair: front, near, facing left\n- door_0: front-right, far, on the right wall"


@pytest.mark.parametrize("heading,right,fwd", [(0.0, 1.0, 2.0), (90.0, -2.0, 1.0), (180.0, -1.0, -2.0), (270.0, 2.0, -1.0)])
def test_offsets_turn_with_the_agent(heading, right, fwd):
    (s,) = make_sightings(scene([thing("box", (1.0, 2.0))]), [0], (0.0, 0.0), heading)
    assert s.offset == (right, fwd)


def test_offsets_are_measured_from_the_agent():
    # the agent stands at (1, 3); the box at (2, 5) is 1 m right and 2 m ahead of it
    (s,) = make_sightings(scene([thing("box", (2.0, 5.0))]), [0], (1.0, 3.0), 0.0)
    assert (s.offset, s.direction, s.distance) == ((1.0, 2.0), "front-right", "mid distance")
