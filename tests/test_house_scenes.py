"""House suites: seeded generation, JSON round trip, relations, reachability, errors."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes.house import (
    CUPBOARD_ITEM_DEPTH,
    DRAWER_ITEM_DEPTH,
    DRAWER_ITEM_LATERAL,
    DRAWER_TRAVEL,
    FURNITURE_KINDS,
    HouseSpec,
    generate_house,
    load_house,
    reachable,
)
from scenes.spec import SceneError
from scenes.suites import load_suite_scene


def test_house_suites_are_seeded_and_round_trip():
    h = load_house("house-3room", 7)
    assert h == load_house("house-3room", 7)
    assert HouseSpec.from_json(h.to_json()) == h
    assert load_suite_scene("house-3room", 7) == h.scene
    assert len(h.scene.rooms) == 3


def test_every_kind_of_furniture_and_relations():
    h = load_house("house-2room", 0)
    assert {f.kind for f in h.furniture} == set(FURNITURE_KINDS)
    rel = h.ground_truth()["relations"]
    assert {r[0] for r in rel} == {"on", "in"}
    assert all(r[1] in h.names("item") for r in rel)


def test_every_item_is_in_the_reach_envelope():
    for seed in range(10):
        h = load_house("house-4room", seed)
        for i in h.items:
            f = h.piece(i.furniture)
            depth = i.depth + (0.96 * DRAWER_TRAVEL if f.kind == "dresser" else 0.0)  # grasped from the open drawer
            assert reachable(f, i.lateral, depth, FURNITURE_KINDS[f.kind].surface + 0.03), (seed, i)


def test_container_items_lie_where_the_hand_fits():
    # drawer items: in the part that slides out, >= 0.12 m from the carcass and the front board's inside
    # when open, and 0.12 m from the middle at most (the hand is 0.2 m across its fingers); cupboard items
    # near the front of its floor
    for seed in range(20):
        h = load_house("house-3room", seed)
        for i in h.items:
            f = h.piece(i.furniture)
            if i.relation != "in":
                continue
            assert abs(i.lateral) <= DRAWER_ITEM_LATERAL
            lo, hi = DRAWER_ITEM_DEPTH if f.kind == "dresser" else CUPBOARD_ITEM_DEPTH
            assert f.size[1] / 2 + lo <= i.depth <= f.size[1] / 2 + hi, (seed, i)
    assert DRAWER_ITEM_DEPTH == (-0.28, -0.16) and CUPBOARD_ITEM_DEPTH == (-0.20, -0.12)
    assert FURNITURE_KINDS["cupboard"].size[2] == 1.10  # room over a top-down hand inside


def test_bad_input_is_one_line():
    with pytest.raises(SceneError, match="unknown house suite 'house-9room'"):
        load_house("house-9room", 0)
    with pytest.raises(SceneError, match="unknown item 'teapot'"):
        load_house("house-2room", 0).item("teapot")
    with pytest.raises(SceneError, match="unknown furniture or container 'fridge_9'"):
        load_house("house-2room", 0).piece("fridge_9")


@settings(max_examples=40, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                    max_leaves=10))
def test_from_dict_rejects_junk_with_scene_error(junk):
    with pytest.raises(SceneError):
        HouseSpec.from_dict(junk)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["furniture", "items"]), st.integers(0, 4), st.sampled_from(["kind", "lateral", "facing", "name"]),
       st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=4), st.lists(st.integers(), max_size=3)))
def test_corrupted_house_fields_fail_with_scene_error(section, k, key, value):
    d = json.loads(generate_house(3, n_rooms=2).to_json())
    entries = d[section]
    if key in entries[k % len(entries)]:
        entries[k % len(entries)][key] = value
    try:
        HouseSpec.from_dict(d)
    except SceneError as e:
        assert "\n" not in str(e)
