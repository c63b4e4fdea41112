"""House executors (symbolic twin and MuJoCo physics) and the RGB-D -> relation logic."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.house_data import HouseObservation, HouseTask, SkillCall
from perception.house_vision import PlaceBox, camera_to_world, clouds, container_box, relation_of_points, support_box
from scenes.house import load_house
from sim.manip.house_exec import make_executor
from sim.manip.house_rules import layout_of, reachable_rooms
from sim.manip.house_symbolic import SymbolicHouse
from sim.manip.house_tasks import scripted_plan

HOUSE2 = load_house("house-2room", 0)


@pytest.fixture(scope="module")
def house2():
    return HOUSE2


def _drawer_item(house):
    return next(i for i in house.items if i.relation == "in" and house.piece(i.support).kind == "dresser")


def _run(ex, calls):
    return [ex.execute(c) for c in calls]


# -- symbolic twin ---------------------------------------------------------------------------------
def test_symbolic_start_state_and_layout(house2):
    ex = make_executor(house2, kind="symbolic")
    obs = ex.reset()
    assert obs == HouseObservation(None, True, "", 0, None, None)
    assert ex.layout == layout_of(house2)
    assert ex.layout.start_room == 0 and ex.layout.doors == ((0, 1),)
    assert ex.robot_xy() == tuple(house2.scene.start_position)
    assert ex.truth() == frozenset({(i.relation, i.name, i.support) for i in house2.items} | {("room", 0)})
    assert ex.sim_seconds == 0.0 and ex.skill_calls == 0
    assert ex.item_names() == [i.name for i in house2.items]


def test_pick_from_a_closed_drawer_fails_naming_the_drawer_then_open_and_pick(house2):
    it = _drawer_item(house2)
    drawer, dresser = it.support, house2.piece(it.support).name
    ex = make_executor(house2, kind="symbolic")
    ex.reset()
    assert ex.execute(SkillCall("pick", (it.name,))).reason == "not parked at any piece"
    nav = ex.execute(SkillCall("navigate_to", (drawer,)))
    assert nav.success and nav.at == dresser
    assert [p.name for p in nav.pieces] == [dresser]
    assert set(nav.closed) == set(house2.piece(dresser).containers) and nav.items == ()  # nothing seen inside
    out = ex.execute(SkillCall("pick", (it.name,)))
    assert not out.success and out.reason == f"{it.name} is inside the closed {drawer}"
    out = ex.execute(SkillCall("open", (drawer,)))
    assert out.success and out.opened == ((drawer, (it.name,)),) and out.items == (("in", it.name, drawer),)
    assert ex.execute(SkillCall("open", (drawer,))).reason == f"{drawer} is already open"
    out = ex.execute(SkillCall("pick", (it.name,)))
    assert out.success and out.holding == it.name
    assert ("holding", it.name) in ex.truth() and not any(f[0] in ("on", "in") and f[1] == it.name for f in ex.truth())
    assert ex.execute(SkillCall("close", (drawer,))).reason == f"holding {it.name}"
    assert ex.execute(SkillCall("pick", (it.name,))).reason == f"already holding {it.name}"
    assert ex.execute(SkillCall("place", (it.name, "cupboard_0"))).reason == "not parked at cupboard_0"
    assert ex.execute(SkillCall("navigate_to", ("cupboard_0",))).room == 1
    assert ex.execute(SkillCall("place", (it.name, "cupboard_0"))).reason == "cupboard_0 is closed"
    assert ex.execute(SkillCall("place", (it.name, dresser))).reason.startswith(f"'{dresser}' is not a support or a container")
    assert ex.skill_calls == 12 and ex.sim_seconds == 0.0


def test_pick_where_the_item_is_not_does_not_say_where_it_is(house2):
    ex = make_executor(house2, kind="symbolic")
    ex.reset()
    other = next(i for i in house2.items if i.furniture != "table_0")
    ex.execute(SkillCall("navigate_to", ("table_0",)))
    assert ex.execute(SkillCall("pick", (other.name,))).reason == f"{other.name} is not at table_0"


def test_unknown_names_and_bad_calls_are_failed_observations(house2):
    ex = make_executor(house2, kind="symbolic")
    ex.reset()
    cases = {
        SkillCall("navigate_to", ("teapot",)): "unknown target 'teapot'",
        SkillCall("navigate_to", ("room_7",)): "unknown target 'room_7'",
        SkillCall("look_at", ("teapot",)): "unknown target 'teapot'",
        SkillCall("pick", ("teapot",)): "unknown item 'teapot'",
        SkillCall("place", ("teapot", "table_0")): "unknown item 'teapot'",
    }
    for call, reason in cases.items():
        out = ex.execute(call)
        assert (out.success, out.reason) == (False, reason)
    assert ex.execute(SkillCall("open", ("table_0",))).reason.startswith("unknown container 'table_0'; containers: cupboard_0")
    assert ex.execute("pick(").reason.startswith("not a skill call")  # text is parsed; a parse error is an outcome
    assert ex.execute("fly(home)").reason.startswith("unknown skill 'fly'")
    assert ex.truth() == make_executor(house2, kind="symbolic").truth()  # nothing changed


def test_look_around_and_room_navigation(house2):
    ex = make_executor(house2, kind="symbolic")
    ex.reset()
    out = ex.execute(SkillCall("look_around"))
    room0 = sorted(f.name for f in house2.furniture if f.room == 0)
    assert sorted(p.name for p in out.pieces) == room0
    assert {n for _, n, _ in out.items} == {i.name for i in house2.items if i.relation == "on" and house2.piece(i.support).room == 0}
    out = ex.execute(SkillCall("navigate_to", ("room_1",)))
    assert out.success and out.room == 1 and out.at is None and out.pieces == ()
    assert ex.robot_xy()[0] > 6.0  # room 1 is the eastern room of this house
    assert sorted(p.name for p in ex.execute(SkillCall("look_around")).pieces) == ["counter_0", "cupboard_0"]
    assert ex.execute(SkillCall("look_at", ("table_0",))).reason == "table_0: not in view from room 1"
    assert reachable_rooms(ex.layout, 0) == {0, 1}


def test_navigate_to_items_follows_where_they_are_now(house2):
    ex = make_executor(house2, kind="symbolic")
    ex.reset()
    hidden = _drawer_item(house2).name
    assert ex.execute(SkillCall("navigate_to", (hidden,))).reason.startswith(f"{hidden} is hidden in a closed container")
    ex.move_items([("mug_2", "counter_0")])
    out = ex.execute(SkillCall("navigate_to", ("mug_2",)))
    assert out.success and out.at == "counter_0" and ("on", "mug_2", "counter_0") in out.items


def test_symbolic_scripted_fetch_meets_the_task(house2):
    task = HouseTask("fetch", (("on", "block_1", "counter_0"),), "Bring block_1 to counter_0.", 25)
    ex = make_executor(house2, kind="symbolic")
    ex.reset()
    plan = scripted_plan(house2, ex.truth(), task, ex.item_names())
    assert [str(c) for c in plan] == ["navigate_to(table_0)", "pick(block_1)", "navigate_to(counter_0)", "place(block_1, counter_0)"]
    assert all(o.success for o in _run(ex, plan))
    assert task.met(ex.truth(), ex.item_names())
    assert ex.truth() >= {("on", "block_1", "counter_0"), ("at", "counter_0"), ("room", 1)}


def test_symbolic_move_items_and_reset_keep_the_world(house2):
    ex = make_executor(house2, kind="symbolic")
    ex.reset()
    _run(ex, [SkillCall("navigate_to", ("table_0",)), SkillCall("pick", ("block_1",))])
    ex.move_items([("block_1", "dresser_0_drawer2"), ("mug_2", "table_0")])
    assert ex.truth() == frozenset({("in", "mug_0", "dresser_0_drawer1"), ("in", "block_0", "cupboard_0"),
                                    ("in", "block_1", "dresser_0_drawer2"), ("on", "mug_1", "counter_0"),
                                    ("on", "mug_2", "table_0"), ("at", "table_0"), ("room", 0)})
    ex.reset()
    assert ("at", "table_0") not in ex.truth() and ("in", "block_1", "dresser_0_drawer2") in ex.truth()
    with pytest.raises(ValueError, match="move: unknown item 'teapot'"):
        ex.move_items([("teapot", "table_0")])
    with pytest.raises(ValueError, match="move: 'dresser_0' is not a support or a container"):
        ex.move_items([("mug_0", "dresser_0")])


def test_executor_arguments_are_checked(house2):
    with pytest.raises(ValueError, match="executor kind must be one of physics, symbolic"):
        make_executor(house2, kind="dream")
    with pytest.raises(ValueError, match="sensors must be one of symbolic, rgbd"):
        make_executor(house2, kind="symbolic", sensors="sonar")
    with pytest.raises(ValueError, match="symbolic executor has symbolic sensors only"):
        make_executor(house2, kind="symbolic", sensors="rgbd")


NAMES = ["mug_0", "block_0", "block_1", "mug_1", "mug_2", "table_0", "counter_0", "shelf_0", "dresser_0", "cupboard_0",
         "dresser_0_drawer1", "dresser_0_drawer2", "room_0", "room_1", "teapot"]
CALLS = st.one_of(
    st.builds(lambda s, a: SkillCall(s, (a,)), st.sampled_from(["navigate_to", "look_at", "open", "close", "pick"]),
              st.sampled_from(NAMES)),
    st.builds(lambda a, b: SkillCall("place", (a, b)), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.just(SkillCall("look_around")))


@settings(max_examples=150, deadline=None)
@given(st.lists(CALLS, max_size=40))
def test_random_call_sequences_never_raise_and_keep_the_invariants(calls):
    house = HOUSE2
    ex = SymbolicHouse(house)
    ex.reset()
    items = set(ex.item_names())
    for c in calls:
        obs = ex.execute(c)
        assert obs.success or obs.reason
        truth = ex.truth()
        held = [f[1] for f in truth if f[0] == "holding"]
        assert len(held) <= 1 and obs.holding == (held[0] if held else None)
        placed = [f[1] for f in truth if f[0] in ("on", "in")]
        assert sorted(placed + held) == sorted(items)  # every item in exactly one place
        assert obs.room in ex.layout.rooms and sum(f[0] == "room" for f in truth) == 1
        if obs.at is not None:
            assert house.piece(obs.at).room == obs.room


# -- physics ------------------------------------------------------------------------------------------
def test_physics_scripted_fetch_meets_the_task(house2):
    """The same plan as on the twin, in MuJoCo: carry block_1 from table_0 (room 0) to counter_0 (room 1)."""
    task = HouseTask("fetch", (("on", "block_1", "counter_0"),), "Bring block_1 to counter_0.", 25)
    ex = make_executor(house2, kind="physics")
    try:
        ex.reset()
        plan = scripted_plan(house2, ex.truth(), task, ex.item_names())
        assert len(plan) == 4
        outs = _run(ex, plan)
        assert [o.success for o in outs] == [True] * 4, [o.reason for o in outs]
        assert task.met(ex.truth(), ex.item_names())
        assert outs[1].holding == "block_1" and outs[2].holding == "block_1" and outs[3].holding is None
        assert outs[3].room == 1 and outs[3].at == "counter_0" and ("on", "block_1", "counter_0") in outs[3].items
        assert ex.sim_seconds == pytest.approx(sum(o.sim_seconds for o in outs), abs=1e-3)
        assert 10.0 < ex.sim_seconds < 60.0  # simulated time of driving and two arm motions
        assert ex.world.max_penetration <= 0.01
        assert ex.truth() >= {("at", "counter_0"), ("room", 1)}
    finally:
        ex.close()


def test_physics_preconditions_and_world_exceptions_are_outcomes(house2, monkeypatch):
    ex = make_executor(house2, kind="physics")
    ex.reset()
    it = _drawer_item(house2)
    assert ex.execute(SkillCall("pick", (it.name,))).reason == "not parked at any piece"
    assert ex.execute(SkillCall("navigate_to", ("teapot",))).reason == "unknown target 'teapot'"

    def boom(*a):
        raise RuntimeError("solver blew up\nsecond line")

    monkeypatch.setattr(ex.skills, "look_at", boom)
    out = ex.execute(SkillCall("look_at", ("table_0",)))
    assert (out.success, out.reason) == (False, "RuntimeError: solver blew up")
    assert ex.skill_calls == 3


def test_physics_truth_after_move_items(house2):
    ex = make_executor(house2, kind="physics")
    ex.reset()
    ex.move_items([("block_1", "dresser_0_drawer2"), ("mug_2", "cupboard_0"), ("block_0", "table_0"), ("mug_0", "shelf_0")])
    assert ex.truth() == frozenset({("in", "block_1", "dresser_0_drawer2"), ("in", "mug_2", "cupboard_0"),
                                    ("on", "block_0", "table_0"), ("on", "mug_0", "shelf_0"),
                                    ("on", "mug_1", "counter_0"), ("room", 0)})
    assert ex.reset().room == 0 and ("on", "block_0", "table_0") in ex.truth()  # reset keeps the items


def test_physics_false_belief_moves_land_where_asked_and_disturb_nothing_else():
    from perception.house_data import TASK_KINDS
    from sim.manip.house_tasks import false_belief_moves, make_task

    for seed in range(4):
        h = load_house("house-3room", seed)
        for kind in TASK_KINDS:
            ex = make_executor(h, kind="physics")
            ex.reset()
            moves = false_belief_moves(h, ex.truth(), make_task(kind, h, seed), seed)
            ex.move_items(moves)
            want = {("in" if p in h.names("container") else "on", i, p) for i, p in moves}
            kept = {(i.relation, i.name, i.support) for i in h.items if i.name not in {m for m, _ in moves}}
            assert want | kept == {f for f in ex.truth() if f[0] in ("on", "in")}, (seed, kind, moves)


def test_physics_reset_puts_a_held_item_back_and_the_robot_at_the_start(house2):
    ex = make_executor(house2, kind="physics")
    start = ex.robot_xy()
    _run(ex, [SkillCall("navigate_to", ("table_0",)), SkillCall("pick", ("block_1",))])
    assert ("holding", "block_1") in ex.truth()
    obs = ex.reset()
    assert (obs.room, obs.at, obs.holding) == (0, None, None)
    assert np.allclose(ex.robot_xy(), start, atol=1e-3)
    assert ("on", "block_1", "table_0") in ex.truth() and not any(f[0] == "at" for f in ex.truth())


def test_physics_observations_see_what_is_in_view_and_an_opened_drawer_shows_its_item(house2):
    it = _drawer_item(house2)
    ex = make_executor(house2, kind="physics")
    out = ex.execute(SkillCall("navigate_to", ("table_0",)))
    assert out.success and "table_0" in {p.name for p in out.pieces} and ("on", "block_1", "table_0") in out.items
    out = ex.execute(SkillCall("navigate_to", (it.support,)))
    assert out.success and out.at == it.furniture and it.support in out.closed
    assert it.name not in {n for _, n, _ in out.items}
    out = ex.execute(SkillCall("open", (it.support,)))
    assert out.success, out.reason
    assert (it.support, (it.name,)) in out.opened and ("in", it.name, it.support) in out.items


def test_rgbd_observations_come_from_the_head_camera(house2):
    it = _drawer_item(house2)
    ex = make_executor(house2, kind="physics", sensors="rgbd")
    try:
        out = ex.execute(SkillCall("navigate_to", ("table_0",)))
        assert out.success and ("on", "block_1", "table_0") in out.items
        table = next(p for p in out.pieces if p.name == "table_0")
        assert np.hypot(*(np.array(table.position) - house2.piece("table_0").position)) < 0.3  # estimated from points
        ex.execute(SkillCall("navigate_to", (it.support,)))
        out = ex.execute(SkillCall("open", (it.support,)))
        assert out.success and (it.support, (it.name,)) in out.opened
    finally:
        ex.close()


def test_physics_runs_are_deterministic(house2):
    calls = [SkillCall("navigate_to", ("shelf_0",)), SkillCall("look_around")]
    a, b = (make_executor(house2, kind="physics", seed=3) for _ in range(2))
    assert _run(a, calls) == _run(b, calls) and a.robot_xy() == b.robot_xy()


def test_wall_time_per_skill_call_symbolic_vs_physics(house2):
    """Measured, not asserted tightly: the twin is meant to be orders of magnitude faster."""
    task = HouseTask("fetch", (("on", "block_1", "counter_0"),), "Bring block_1 to counter_0.", 25)
    times = {}
    for kind in ("symbolic", "physics"):
        ex = make_executor(house2, kind=kind)
        ex.reset()
        plan = scripted_plan(house2, ex.truth(), task, ex.item_names())
        t0 = time.perf_counter()
        _run(ex, plan)
        times[kind] = (time.perf_counter() - t0) / len(plan)
    assert times["symbolic"] < 0.01 and times["symbolic"] * 50 < times["physics"]


# -- RGB-D -> relations (perception.house_vision), on synthetic point sets -------------------------------
def _grid(x0, x1, y0, y1, z, n=6):
    return np.array([[x, y, z] for x in np.linspace(x0, x1, n) for y in np.linspace(y0, y1, n)])


def test_support_box_uses_the_top_not_the_legs():
    top = _grid(1.0, 1.8, 2.0, 2.6, 0.75)
    legs = np.array([[1.0, 2.0, z] for z in np.linspace(0.0, 0.7, 8)] + [[0.9, 1.9, 0.1]])  # a leg and a stray floor-level point
    box = support_box("table_0", np.vstack([top, legs]))
    assert box.relation == "on" and box.top == pytest.approx(0.75)
    assert box.lo[:2] == pytest.approx((1.0, 2.0)) and box.hi[:2] == pytest.approx((1.8, 2.6))


def test_relation_of_points_on_in_and_nowhere():
    table = support_box("table_0", _grid(1.0, 1.8, 2.0, 2.6, 0.75))
    shelf = support_box("shelf_0", _grid(3.0, 3.8, 2.0, 2.4, 0.95))
    drawer = container_box("dresser_0_drawer1", np.vstack([_grid(5.0, 5.5, 1.0, 1.5, 0.52), _grid(5.0, 5.5, 1.0, 1.5, 0.76)]))
    block = _grid(1.38, 1.42, 2.28, 2.32, 0.76, 3) + [0, 0, 0.02]  # bottom ~0.78: 3 cm above the top
    assert relation_of_points(block - [0, 0, 0.02], [table, shelf, drawer]) == ("on", "table_0")
    assert relation_of_points(block + [2.0, -0.1, 0.2], [table, shelf, drawer]) == ("on", "shelf_0")
    assert relation_of_points(block + [3.85, -1.0, -0.2], [table, shelf, drawer]) == ("in", "dresser_0_drawer1")
    assert relation_of_points(block + [0, 0, 0.1], [table, shelf, drawer]) is None  # lifted 10 cm: held, not resting
    assert relation_of_points(block + [0.5, 0, 0], [table]) is None  # beside the table
    assert relation_of_points(np.zeros((0, 3)), [table]) is None


def test_containers_win_over_supports_and_the_smallest_container_wins():
    big = PlaceBox("cupboard_0", "in", (0.0, 0.0, 0.3), (1.0, 1.0, 0.9))
    small = PlaceBox("dresser_0_drawer1", "in", (0.2, 0.2, 0.4), (0.6, 0.6, 0.8))
    table = PlaceBox("table_0", "on", (0.0, 0.0, 0.0), (1.0, 1.0, 0.5))
    pts = np.array([[0.4, 0.4, 0.52], [0.42, 0.41, 0.55]])
    assert relation_of_points(pts, [table, big, small]) == ("in", "dresser_0_drawer1")


def test_camera_to_world_and_clouds():
    # looking along world +x: camera right = -y, up = +z, backward = -x (columns of the frame)
    rot = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    p = camera_to_world(np.array([[0.0, 0.0, -2.0], [1.0, 0.5, -2.0]]), [1.0, 2.0, 1.3], rot)
    assert p.tolist() == [[3.0, 2.0, 1.3], [3.0, 1.0, 1.8]]  # 2 m ahead; 1 m to the right and 0.5 m up
    pts = np.arange(30, dtype=float).reshape(10, 3)
    cl = clouds(pts, np.array([4, 4, 4, 7, 7, 7, 7, 9, -1, 4]), {4: "a", 7: "a", 9: "b"}, min_pixels=2)
    assert list(cl) == ["a"] and len(cl["a"]) == 8  # ids 4 and 7 pooled; b has 1 point; -1 unnamed
    with pytest.raises(ValueError, match="10 points but 3 labels"):
        clouds(pts, np.array([1, 2, 3]), {})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[st.floats(-5, 5, allow_nan=False)] * 3), min_size=0, max_size=30),
       st.floats(0.3, 1.2, allow_nan=False))
def test_relation_of_points_never_raises_and_names_a_given_place(points, top):
    places = [support_box("table_0", _grid(0.0, 1.0, 0.0, 1.0, top)),
              container_box("dresser_0_drawer1", _grid(2.0, 2.5, 0.0, 0.5, 0.5) + [0, 0, 0.0])]
    rel = relation_of_points(np.array(points, float).reshape(-1, 3), places)
    assert rel is None or rel in {("on", "table_0"), ("in", "dresser_0_drawer1")}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_call_is_an_observation_never_an_exception(text):
    ex = SymbolicHouse(HOUSE2)
    ex.reset()
    before = ex.truth()
    obs = ex.execute(text)
    assert isinstance(obs, HouseObservation) and ex.skill_calls == 1
    if not obs.success:
        assert obs.reason and "\n" not in obs.reason and ex.truth() == before


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)), st.text(max_size=5),
                          st.lists(st.sampled_from(NAMES), max_size=3)), max_size=4))
def test_move_items_accepts_valid_moves_and_names_the_first_bad_one(moves):
    ex = SymbolicHouse(HOUSE2)
    ex.reset()
    before = ex.truth()
    try:
        ex.move_items(moves)
    except ValueError as e:
        assert str(e).startswith(("move:", "a move must be")) and ex.truth() == before  # checked before any move
    else:
        for item, place in moves:
            assert any(f[1:] == (item, place) for f in ex.truth() if f[0] in ("on", "in")) or \
                any(m[0] == item for m in moves[moves.index((item, place)) + 1:])  # a later move of the same item wins
