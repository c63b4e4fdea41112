"""Scout and strategist follow Theory of Space's proxies (tos_base/managers/agent_proxy.py)."""

import numpy as np
import pytest

from planners.agents.memory import Item, SpatialMemory
from planners.agents.sweeper import Scout, Strategist, cardinal_towards
from scenes.suites import load_suite_scene
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode


@pytest.fixture(scope="module")
def scout_run():
    env = ExplorationEnv(load_suite_scene("tos-3room", 0), text_profile="tos")
    return env, run_episode(env, Scout(), seed=0, probe=False)


def test_scout_sweeps_four_views_at_start_three_at_doors_and_stops_when_all_named_entities_are_seen(scout_run):
    _env, rec = scout_run
    assert rec["actions"] == [
        "Actions: [Observe()]",  # ToS: turn 0, +90, +90, +90 where it starts
        "Actions: [Rotate(90), Observe()]",
        "Actions: [Rotate(90), Observe()]",
        "Actions: [Rotate(90), Observe()]",
        "Actions: [Rotate(90), MoveTo(door_0), Rotate(90), Observe()]",  # at a door, facing into the room: front,
        "Actions: [Rotate(90), Observe()]",  # right,
        "Actions: [Rotate(180), Observe()]",  # left; never the room behind
        "Actions: [Rotate(180), MoveTo(door_1), Observe()]",
        "Actions: [Rotate(90), Observe()]",
        "Actions: [Rotate(180), Observe()]",
        "Actions: [Term()]",  # every object and door named at the start has been seen
    ]


def test_scout_terminates_on_the_turn_after_the_last_named_entity_is_seen(scout_run):
    env, rec = scout_run
    assert set(rec["observed"]) == {o.name for o in env.scene.objects} | {d.name for d in env.scene.doors}
    assert max(rec["first_seen"].values()) == rec["steps"] - 1
    assert rec["steps_to_full_coverage"] == 10


def test_cardinal_towards_breaks_ties_like_tos_closest_cardinal():
    assert cardinal_towards((0, 0), (0, 2)) == 0.0
    assert cardinal_towards((0, 0), (1, 1)) == 0.0  # north before east
    assert cardinal_towards((0, 0), (1, -1)) == 90.0  # east before south
    assert cardinal_towards((0, 0), (-1, -1)) == 180.0  # south before west
    assert cardinal_towards((1, 1), (-3, 1.5)) == 270.0


def _strategist_with(domains: dict, nodes: set, edges_known=()) -> Strategist:
    s = Strategist()
    s.reset()
    s.candidates = lambda n: np.asarray(domains[n], float)
    s.room_nodes = lambda: set(nodes)
    s.known_edges = {frozenset(e) for e in edges_known}
    s.memory.items = {n: Item(n, "object", tuple(domains[n][0])) for n in nodes}
    s.entry_anchor = "door_9"  # not the start room: no initial_pos edges
    return s


def test_strategist_faces_the_cardinal_with_most_candidate_pairs():
    doms = {"a": [(0, 0)], "b": [(0, 3), (0, 4)], "c": [(5, 0)]}
    s = _strategist_with(doms, {"a", "b", "c"})
    assert s.best_direction("a", set()) == 0.0  # two pairs north (b), one east (c)
    s.used_dirs = {0.0}
    assert s.best_direction("a", set()) == 90.0  # the next best direction at the same anchor
    s.used_dirs = set()
    assert s.best_direction("a", {"b"}) == 90.0  # b already seen from here
    s = _strategist_with(doms, {"a", "b", "c"}, edges_known=[("a", "b"), ("a", "c")])
    assert s.best_direction("a", set()) is None  # no unknown edge from a: nothing to look for


def test_strategist_queries_the_entity_with_the_largest_domain_and_a_query_pins_it():
    s = Strategist()
    s.reset()
    m = s.memory
    m.items = {"lamp": Item("lamp", "object", (1.0, 2.0)), "vase": Item("vase", "object", (0.0, 4.0))}
    m.sightings = [((0.0, 0.0), 0.0, {"name": "lamp", "direction": "front", "distance": "near"}),
                   ((0.0, 0.0), 0.0, {"name": "vase", "direction": "front", "distance": "far"})]
    sizes = {n: s.domain_size(n) for n in m.items}
    assert sizes["vase"] > sizes["lamp"] > 1
    assert s._finish(5) == "Actions: [Query(vase)]"
    m.update({"pose": {"position": [0, 0], "heading": 0.0}, "final": "Query",
              "query": {"name": "vase", "position": [0.5, 4.5], "facing": "east"}})
    assert m.items["vase"].queried and m.items["vase"].position == (0.5, 4.5) and m.items["vase"].facing == "east"
    assert s.domain_size("vase") == 1
    assert s._finish(5) == "Actions: [Query(lamp)]"


def test_a_query_about_something_never_seen_changes_no_memory():
    m = SpatialMemory()
    m.update({"pose": {"position": [0, 0], "heading": 0.0}, "final": "Query",
              "query": {"name": "ghost", "position": [1, 1], "facing": None}})
    assert m.items == {}


def test_env_reports_a_query_reply_as_data_in_the_start_frame():
    env = ExplorationEnv(load_suite_scene("tos-3room", 0), text_profile="tos")
    _obs, info = env.reset(seed=0)
    assert info["n_rooms"] == 3
    _o, _r, _t, _tr, info = env.step("Actions: [Observe()]")
    name = info["sightings"][0]["name"]
    _o, _r, _t, _tr, info = env.step(f"Actions: [Query({name})]")
    truth = env.truth_map().entries[name]
    assert info["query"] == {"name": name, "position": list(truth.position), "facing": truth.facing}
    _o, _r, _t, _tr, info = env.step("Actions: [Query(nothing_here)]")
    assert info["invalid"] and "query" not in info


def test_strategist_refines_its_rooms_and_still_covers_tos3room_scene_0():
    env = ExplorationEnv(load_suite_scene("tos-3room", 0), text_profile="tos")
    rec = run_episode(env, Strategist(), seed=0, probe=False)
    assert rec["full_coverage"] and rec["n_invalid"] == 0
    assert rec["actions"][4] == "Actions: [Rotate(90), MoveTo(lamp), Rotate(180), Observe()]"  # an anchor, one view
    assert rec["actions"][-1] == "Actions: [Query(monitor)]"


def test_a_sight_line_through_a_doorway_marks_the_entity_as_in_another_room():
    from planners.agents.sweeper import through_doorway

    eye, far = np.array([0.0, 0.0]), np.array([6.0, 0.0])
    assert through_doorway(eye, far, np.array([3.0, 0.5]))  # the line passes within half a door width
    assert not through_doorway(eye, far, np.array([3.0, 0.7]))  # beside the doorway: a wall
    assert not through_doorway(eye, far, np.array([7.0, 0.0]))  # the door is beyond the entity
    assert not through_doorway(eye, far, np.array([6.0, 0.2]))  # the entity is the door's own neighbour
