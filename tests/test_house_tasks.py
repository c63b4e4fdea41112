"""House tasks: deterministic, valid, solvable on the symbolic twin; false-belief moves."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.house_data import TASK_KINDS, HouseTask
from scenes.house import load_house
from sim.manip.house_exec import make_executor
from sim.manip.house_tasks import HOUSE_MANIP_TASKS, false_belief_moves, hiding_places, make_task, scripted_plan

HOUSES = [load_house("house-3room", s) for s in range(50)]


def test_fetch_on_house_3room_0_is_this_task():
    t = make_task("fetch", HOUSES[0], 0)
    assert t == HouseTask("fetch", (("on", "duck_0", "counter_0"),), "Bring duck_0 to counter_0.", 25)
    assert t.extra == {"start": {"duck_0": ["on", "table_0"]}}


@pytest.mark.parametrize("kind", TASK_KINDS)
def test_tasks_are_deterministic_and_valid_over_50_houses(kind):
    kinds_seen = set()
    for seed, h in enumerate(HOUSES):
        t = make_task(kind, h, seed)
        assert t == make_task(kind, h, seed) and t.text == make_task(kind, h, seed).text
        items = [i.name for i in h.items]
        goal = t.expand(items)
        assert goal and t.kind == kind and t.text.endswith(".")
        supports, containers = set(h.names("support")), set(h.names("container"))
        for rel, item, place in goal:
            assert item in items
            assert (rel == "on" and place in supports) or (rel == "in" and place in containers)
        assert not t.met({(i.relation, i.name, i.support) for i in h.items}, items)  # never done at the start
        kinds_seen.add(t.goal)
        if kind == "fetch":
            (_, item, target), = goal
            assert h.piece(target).room != h.piece(h.item(item).support).room and h.item(item).relation == "on"
            assert t.max_skills == 25 and t.text == f"Bring {item} to {target}."
        elif kind == "stow":
            pattern = t.goal[0][1]
            kind_name = pattern[:-2]
            count = sum(i.kind == kind_name for i in h.items)
            best = max(sum(i.kind == k for i in h.items) for k in {i.kind for i in h.items})
            assert pattern.endswith("_*") and (count >= 2 or best < 2) and len(goal) == count
            assert t.max_skills == 10 + 12 * count and t.goal[0][2] in hiding_places(h)
        elif kind == "find":
            (_, item, target), = goal
            assert h.item(item).relation == "in" and item in t.text and t.max_skills == 40
        else:
            assert len({n for _, n, _ in goal}) == 3 and len({p for _, _, p in goal}) == 3  # 3 supports, distinct targets
            assert all(h.item(n).support != p for _, n, p in goal) and t.max_skills == 60
    assert len(kinds_seen) > 10  # the seed changes the task


def test_unknown_task_kind_is_one_line():
    with pytest.raises(ValueError, match="unknown house task 'cook'; choose one of: fetch, stow, find, rearrange"):
        make_task("cook", HOUSES[0], 0)


@pytest.mark.parametrize("kind", TASK_KINDS)
def test_scripted_plans_solve_every_task_on_the_twin(kind):
    for seed, h in enumerate(HOUSES[:25]):
        t = make_task(kind, h, seed)
        ex = make_executor(h, kind="symbolic")
        ex.reset()
        plan = scripted_plan(h, ex.truth(), t, ex.item_names())
        assert len(plan) <= t.max_skills
        for c in plan:
            out = ex.execute(c)
            assert out.success, (seed, str(c), out.reason)
        assert t.met(ex.truth(), ex.item_names()), seed


@pytest.mark.parametrize("kind", TASK_KINDS)
def test_false_belief_moves_make_memory_wrong(kind):
    for seed, h in enumerate(HOUSES[:30]):
        t = make_task(kind, h, seed)
        ex = make_executor(h, kind="symbolic")
        ex.reset()
        for c in scripted_plan(h, ex.truth(), t, ex.item_names()):
            ex.execute(c)
        truth = ex.truth()
        moves = false_belief_moves(h, truth, t, seed)
        assert moves == false_belief_moves(h, truth, t, seed)
        goal = t.expand(ex.item_names())
        goal_items = list(dict.fromkeys(n for _, n, _ in goal))
        moved = [n for n, _ in moves]
        others = len(ex.item_names()) > len(goal_items)
        assert moved[: len(goal_items)] == goal_items and len(moved) == len(goal_items) + others
        assert len(set(moved)) == len(moved)
        opened = {f[1] for f in truth if f[0] == "open"}
        before = {f[1]: f[2] for f in truth if f[0] in ("on", "in")}
        for item, dest in moves:
            assert dest != before[item] and (("on", item, dest) not in goal and ("in", item, dest) not in goal)
            if dest in h.names("container"):
                assert dest not in opened and dest in hiding_places(h)  # hidden: a closed top drawer or cupboard
            else:
                assert h.piece(dest).room != h.piece(before[item]).room  # another room's support
        ex.move_items(moves)
        assert not t.met(ex.truth(), ex.item_names())  # the goal items left their goal places


def test_false_belief_moves_on_house_3room_0():
    h = HOUSES[0]
    t = make_task("fetch", h, 0)
    truth = frozenset({("on", "duck_0", "counter_0")} | {(i.relation, i.name, i.support) for i in h.items if i.name != "duck_0"})
    assert false_belief_moves(h, truth, t, 0) == false_belief_moves(h, truth, t, 0)
    moves = false_belief_moves(h, truth, t, 0)
    assert moves[0][0] == "duck_0" and moves[0][1] != "counter_0"


def test_house_manip_tasks():
    h = HOUSES[0]
    assert sorted(HOUSE_MANIP_TASKS) == ["house-fetch-drawer", "house-pick-place"]
    pp = HOUSE_MANIP_TASKS["house-pick-place"](h, 0)
    assert pp.goal == (("on", "duck_0", "counter_0"),) and pp.max_skills == 12
    assert pp.text == "Pick duck_0 up from table_0 and place it on counter_0 (room 0)."
    fd = HOUSE_MANIP_TASKS["house-fetch-drawer"](h, 0)
    (_, item, target), = fd.goal
    assert h.item(item).support.startswith("dresser_") and h.piece(target).room != h.piece(h.item(item).support).room
    assert fd.text == f"Fetch {item} from the closed drawer {h.item(item).support} and put it on {target}."
    for seed, house in enumerate(HOUSES[:20]):
        for make in HOUSE_MANIP_TASKS.values():
            t = make(house, seed)
            assert t == make(house, seed)
            ex = make_executor(house, kind="symbolic")
            ex.reset()
            for c in scripted_plan(house, ex.truth(), t, ex.item_names()):
                assert ex.execute(c).success
            assert t.met(ex.truth(), ex.item_names())


@settings(max_examples=60, deadline=None)
@given(st.integers(-2**40, 2**40), st.sampled_from(TASK_KINDS), st.integers(0, 49))
def test_any_seed_gives_a_valid_task(seed, kind, index):
    h = HOUSES[index]
    t = make_task(kind, h, seed)
    assert t == make_task(kind, h, seed)
    names = [i.name for i in h.items]
    places = set(h.names("support")) | set(h.names("container"))
    assert all(item in names and place in places for _, item, place in t.expand(names))
