"""HouseBelief (perception.house_belief): the prior, revision on contradictions, probes.

Values are worked out by hand from the module's prior: an unlocated item is uniform over
the known places whose contents are unseen, minus where it was looked for, plus one
``room_<k>`` per room not yet looked around in.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.house_belief import HouseBelief, belief_inertia, piece_of, room_of_place
from perception.house_data import HouseObservation, Layout, PieceSeen, SkillCall

LAYOUT = Layout((0, 1, 2), ((2.0, 2.0), (8.0, 2.0), (8.0, 8.0)), ((0, 1), (1, 2)), 0)
DRESSER = PieceSeen("dresser_0", "dresser", 0, (2.0, 3.0), ("dresser_0_drawer1", "dresser_0_drawer2"))
TABLE = PieceSeen("table_0", "table", 0, (3.0, 1.0))
CUPBOARD = PieceSeen("cupboard_0", "cupboard", 1, (9.0, 3.0), ("cupboard_0",))


def obs(call=None, ok=True, reason="", room=0, at=None, holding=None, **kw):
    if isinstance(call, str):
        name, _, rest = call.partition("(")
        call = SkillCall(name, tuple(a.strip() for a in rest.rstrip(")").split(",") if a.strip()))
    return HouseObservation(call, ok, reason, room, at, holding, **kw)


def looked(room=0, pieces=(DRESSER, TABLE), items=()):
    return obs("look_around", room=room, pieces=pieces, items=items,
               closed=tuple(c for p in pieces for c in p.containers))


def test_two_unopened_containers_and_one_unexplored_room_then_one_opened_empty():
    b = HouseBelief(Layout((0, 1), ((2.0, 2.0), (8.0, 2.0)), ((0, 1),), 0))
    b.add_items(["mug_0"])
    assert b.distribution("mug_0") == {"room_0": 0.5, "room_1": 0.5}  # nothing seen yet: one mass per room
    assert b.update(looked()) == []
    # table_0 was swept empty; the two drawers and room 1 remain: 1/3 each
    assert b.distribution("mug_0") == {"dresser_0_drawer1": 1 / 3, "dresser_0_drawer2": 1 / 3, "room_1": 1 / 3}
    assert math.isclose(b.entropy(), math.log2(3))
    assert b.relation("mug_0") == ("unknown", "dresser_0_drawer1", 1 / 3)
    b.update(obs("open(dresser_0_drawer1)", at="dresser_0", pieces=(DRESSER,), opened=(("dresser_0_drawer1", ()),),
                 closed=("dresser_0_drawer2",)))
    assert b.distribution("mug_0") == {"dresser_0_drawer2": 0.5, "room_1": 0.5}
    assert b.entropy() == 1.0
    assert b.snapshot() == {"mug_0": {"relation": "unknown", "place": "dresser_0_drawer2", "confidence": 0.5}}


def test_items_seen_are_located_and_the_unseen_spread_over_rooms_and_containers():
    b = HouseBelief(LAYOUT)
    b.add_items(["can_0", "block_*"])  # a pattern names no item
    b.update(looked(items=(("on", "mug_0", "table_0"),)))
    assert b.items == {"can_0", "mug_0"}
    assert b.relation("mug_0") == ("on", "table_0", 1.0)
    assert b.distribution("can_0") == {"dresser_0_drawer1": 0.25, "dresser_0_drawer2": 0.25, "room_1": 0.25, "room_2": 0.25}
    assert b.entropy() == 2.0  # can_0: log2(4); mug_0: 0
    assert b.relation("can_0")[0] == "unknown"


def test_a_support_found_without_the_item_is_a_contradiction_and_the_item_is_revised():
    b = HouseBelief(LAYOUT)
    b.update(looked(items=(("on", "mug_0", "table_0"),)))
    found = b.update(obs("navigate_to(table_0)", at="table_0", pieces=(TABLE,)))
    assert found == ["mug_0 is not on table_0 as believed"]
    assert b.relation("mug_0") == ("unknown", "dresser_0_drawer1", 0.25)
    assert "table_0" not in b.distribution("mug_0")


def test_an_empty_container_where_the_item_was_believed():
    b = HouseBelief(LAYOUT)
    b.update(obs("open(dresser_0_drawer1)", at="dresser_0", pieces=(DRESSER,), opened=(("dresser_0_drawer1", ("can_0",)),),
                 items=(("in", "can_0", "dresser_0_drawer1"),)))
    assert b.relation("can_0") == ("in", "dresser_0_drawer1", 1.0)
    found = b.update(obs("look_around", at="dresser_0", pieces=(DRESSER,), opened=(("dresser_0_drawer1", ()),)))
    assert found == ["dresser_0_drawer1 is empty (can_0 is not in it as believed)"]
    assert b.relation("can_0")[0] == "unknown"


def test_a_pick_that_finds_nothing_and_a_failed_observation_that_shows_nothing():
    b = HouseBelief(LAYOUT)
    b.update(looked(items=(("on", "mug_0", "table_0"),)))
    assert b.update(obs("navigate_to(table_0)", ok=False, reason="no path", at=None)) == []  # shows nothing: no revision
    assert b.relation("mug_0") == ("on", "table_0", 1.0)
    found = b.update(obs("pick(mug_0)", ok=False, reason="mug_0 is not at table_0", at="table_0"))
    assert found == ["pick(mug_0) found nothing to grasp"]
    assert "table_0" not in b.distribution("mug_0")
    assert b.update(obs("pick(can_0)", ok=False, reason="no IK solution for [1, 2, 3]", at="table_0")) == []


def test_pick_and_place_move_the_item_and_a_drop_is_noticed():
    b = HouseBelief(LAYOUT)
    b.update(looked(items=(("on", "mug_0", "table_0"),)))
    b.update(obs("pick(mug_0)", at="table_0", holding="mug_0", pieces=(TABLE,)))
    assert b.relation("mug_0") == ("holding", None, 1.0) and b.contents["table_0"] == set()
    b.update(obs("navigate_to(dresser_0)", at="dresser_0", holding="mug_0", pieces=(DRESSER,),
                 opened=(("dresser_0_drawer2", ()),), closed=("dresser_0_drawer1",)))
    assert b.update(obs("place(mug_0, dresser_0_drawer2)", at="dresser_0", pieces=(DRESSER,),
                        items=(("in", "mug_0", "dresser_0_drawer2"),), opened=(("dresser_0_drawer2", ("mug_0",)),))) == []
    assert b.relation("mug_0") == ("in", "dresser_0_drawer2", 1.0)
    b.update(obs("pick(mug_0)", at="dresser_0", holding="mug_0"))
    assert b.update(obs("navigate_to(table_0)", at="table_0")) == ["mug_0 is no longer held"]


def test_an_unreachable_room_leaves_the_candidates():
    b = HouseBelief(LAYOUT)
    b.update(looked())
    b.update(obs("navigate_to(room_2)", ok=False, reason="no path to room 2", room=0))
    assert set(b.distribution("x_0")) == {"dresser_0_drawer1", "dresser_0_drawer2", "room_1"}


def test_containment_accuracy_counts_unknown_and_wrong_places_as_misses():
    b = HouseBelief(LAYOUT)
    b.update(looked(items=(("on", "mug_0", "table_0"), ("on", "can_0", "table_0"))))
    truth = {("on", "mug_0", "table_0"), ("in", "can_0", "cupboard_0"), ("in", "duck_0", "dresser_0_drawer1"), ("room", 0)}
    assert b.containment_accuracy(truth) == 1 / 3  # mug right, can wrong, duck unknown
    assert HouseBelief(LAYOUT).containment_accuracy({("room", 0)}) == 1.0


def test_restart_keeps_the_map_and_stale_places_but_not_the_seen_contents():
    b = HouseBelief(LAYOUT)
    b.update(looked(items=(("on", "mug_0", "table_0"),)))
    b.update(obs("navigate_to(room_1)", room=1))
    b.update(looked(room=1, pieces=(CUPBOARD,)))
    b.restart()
    assert b.relation("mug_0") == ("on", "table_0", 1.0) and b.stale == {"mug_0"}
    assert b.explored == {0, 1} and set(b.pieces) == {"dresser_0", "table_0", "cupboard_0"}
    assert b.room == 0 and b.contents == {} and b.open == set()
    # every known place's contents are unseen again (4 places) plus unexplored room 2: 1/5 each
    assert b.distribution("can_0") == {p: 0.2 for p in ("cupboard_0", "dresser_0_drawer1", "dresser_0_drawer2", "table_0",
                                                        "room_2")}
    assert b.update(obs("navigate_to(table_0)", at="table_0", pieces=(TABLE,))) == ["mug_0 is not on table_0 as believed"]


def test_the_truth_replaces_the_belief():
    b = HouseBelief(LAYOUT)
    b.set_truth({("in", "mug_0", "dresser_0_drawer2"), ("holding", "can_0"), ("open", "cupboard_0"), ("at", "cupboard_0"),
                 ("room", 1)})
    assert b.relation("mug_0") == ("in", "dresser_0_drawer2", 1.0) and b.relation("can_0") == ("holding", None, 1.0)
    assert b.open == {"cupboard_0"} and b.at == "cupboard_0" and b.room == 1 and b.holding == "can_0"
    assert b.entropy() == 0.0 and b.piece("dresser_0_drawer2") == "dresser_0"


def test_names_and_inertia():
    assert piece_of("dresser_3_drawer2") == "dresser_3" and piece_of("table_1") == "table_1"
    assert piece_of("cupboard_0", {"cupboard_0": CUPBOARD}) == "cupboard_0"
    assert room_of_place("room_12") == 12 and room_of_place("roomy") is None
    old = {"a": ("on", "t0"), "b": ("in", "c0"), "c": ("on", "t1")}
    snap = {"a": {"relation": "on", "place": "t0"}, "b": {"relation": "unknown", "place": None}}
    assert belief_inertia(old, [("a", "t2"), ("b", "t0"), ("c", "t1")], snap) == 0.5  # c did not really move
    assert belief_inertia(old, [], snap) is None


PIECES = (DRESSER, TABLE, CUPBOARD)


@st.composite
def observations(draw):
    """Random observations: pieces, items on/in places, containers open with contents."""
    pieces = tuple(p for p in PIECES if draw(st.booleans()))
    places = [c for p in pieces for c in (p.containers or (p.name,))]
    items = []
    opened = []
    for name in ("mug_0", "can_0", "block_0"):
        if places and draw(st.booleans()):
            place = draw(st.sampled_from(places))
            items.append(("in" if "drawer" in place or place.startswith("cupboard") else "on", name, place))
    for p in pieces:
        for c in p.containers:
            if draw(st.booleans()):
                opened.append((c, tuple(i for r, i, q in items if q == c)))
    call = draw(st.sampled_from([None, SkillCall("look_around"), SkillCall("navigate_to", ("table_0",)),
                                 SkillCall("pick", ("mug_0",)), SkillCall("open", ("cupboard_0",))]))
    return HouseObservation(call, draw(st.booleans()), "mug_0 is not at table_0", draw(st.sampled_from([0, 1, 2])),
                            draw(st.sampled_from([None, "table_0", "dresser_0"])), draw(st.sampled_from([None, "block_0"])),
                            pieces, tuple(items), tuple(opened))


@settings(max_examples=60, deadline=None)
@given(st.lists(observations(), max_size=8), st.sampled_from([0.0, 0.1]))
def test_distributions_stay_distributions_over_any_observation_sequence(seq, miss):
    b = HouseBelief(LAYOUT, miss=miss)
    b.add_items(["mug_0", "can_0", "duck_0"])
    for o in seq:
        found = b.update(o)
        assert all(isinstance(c, str) and c for c in found)
    for item in b.items:
        d = b.distribution(item)
        assert d == {} or math.isclose(sum(d.values()), 1.0)
        rel, _place, conf = b.relation(item)
        assert rel in ("on", "in", "holding", "unknown") and 0.0 <= conf <= 1.0
    assert b.entropy() >= 0.0
    assert set(b.snapshot()) == b.items


def test_a_look_around_may_overlook_an_item_when_miss_is_set():
    b = HouseBelief(Layout((0, 1), ((2.0, 2.0), (8.0, 2.0)), ((0, 1),), 0), miss=0.1)
    b.add_items(["mug_0"])
    b.update(looked())
    # drawers and room 1 weigh 1, table_0 (swept from afar, empty) 0.1: total 3.1
    d = b.distribution("mug_0")
    assert list(d) == ["dresser_0_drawer1", "dresser_0_drawer2", "table_0", "room_1"]
    assert math.isclose(d["dresser_0_drawer1"], 1 / 3.1) and math.isclose(d["table_0"], 0.1 / 3.1)
    b.update(obs("navigate_to(table_0)", at="table_0", pieces=(TABLE,)))  # parked at it: certain now
    assert b.distribution("mug_0") == {"dresser_0_drawer1": 1 / 3, "dresser_0_drawer2": 1 / 3, "room_1": 1 / 3}
    b.update(obs("navigate_to(table_0)", at="table_0", pieces=(TABLE,), items=(("on", "can_0", "table_0"),)))
    assert b.update(looked()) == []  # a sweep that does not show can_0 may have overlooked it: no revision
    assert b.relation("can_0") == ("on", "table_0", 1.0)
    assert b.update(obs("navigate_to(table_0)", at="table_0", pieces=(TABLE,))) == ["can_0 is not on table_0 as believed"]
    exact = HouseBelief(LAYOUT)  # miss 0: the same sweep is a contradiction
    exact.update(looked(items=(("on", "can_0", "table_0"),)))
    assert exact.update(looked()) == ["can_0 is not on table_0 as believed"]
    with pytest.raises(ValueError, match="miss must be a probability"):
        HouseBelief(LAYOUT, miss=-0.5)


def test_a_room_seen_only_from_beside_a_piece_keeps_a_small_placeholder():
    b = HouseBelief(Layout((0, 1), ((2.0, 2.0), (8.0, 2.0)), ((0, 1),), 0), miss=0.1)
    b.add_items(["mug_0"])
    b.update(obs("navigate_to(table_0)", at="table_0", pieces=(TABLE,)))
    b.update(obs("look_around", at="table_0", pieces=(DRESSER, TABLE), closed=DRESSER.containers))
    # drawers and room 1 weigh 1; room 0 (looked around in only from beside table_0) 0.1: total 3.1
    d = b.distribution("mug_0")
    assert math.isclose(d["room_0"], 0.1 / 3.1) and math.isclose(d["room_1"], 1 / 3.1)
    b.update(obs("navigate_to(room_0)"))
    b.update(obs("look_around", pieces=(DRESSER, TABLE), closed=DRESSER.containers))  # from the middle
    assert "room_0" not in b.distribution("mug_0")
    exact = HouseBelief(LAYOUT)  # miss 0: a look from beside a piece counts as complete
    exact.add_items(["mug_0"])
    exact.update(obs("look_around", at="table_0", pieces=(DRESSER, TABLE), closed=DRESSER.containers))
    assert "room_0" not in exact.distribution("mug_0")
