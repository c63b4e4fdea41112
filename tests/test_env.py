import math

import numpy as np
import pytest

from scenes import load_suite_scene
from sim.env import ExplorationEnv
from tests.scene_fixtures import two_rooms


@pytest.fixture
def env():
    e = ExplorationEnv(two_rooms())
    e.reset()
    yield e
    e.close()


def test_observe_reports_bins_and_costs_one(env):
    obs, reward, term, trunc, info = env.step("Actions: [Observe()]")
    assert obs.splitlines() == [
        "You observe:",
        "- box: front-right, mid distance",
        "- chair: front-left, mid distance, facing right",
        "- door_0: front, mid distance, on the front wall",
        "- lamp: front, slightly far",
    ]
    assert reward == 3.0 and info["cost"] == 1 and not term and not trunc
    assert info["observed"] == ["box", "chair", "door_0", "lamp"]
    assert info["coverage"] == 0.75


def test_move_to_really_drives_the_robot_collision_free(env):
    env.step("Actions: [Observe()]")
    before = env.backend.physics_steps
    obs, _, _, _, info = env.step("Actions: [MoveTo(lamp), Observe()]")
    assert obs.startswith("You moved to lamp.")
    x, y, h = env.backend.robot_pose()
    assert math.dist((x, y), (8.5, 3.5)) < 0.05  # the free cell west of the lamp, through the door
    assert abs(h - 90.0) < 1.0  # MoveTo keeps the heading
    assert env.backend.physics_steps - before > 500  # ~5 m at 1 m/s, 200 Hz physics
    assert info["contact_ticks"] == 0
    assert info["pose"] == {"position": [0.0, 5.0], "heading": 0.0, "facing": "north"}
    # the robot passed the door opening on its way
    assert any(abs(p[0] - 6.0) < 0.2 and abs(p[1] - 3.5) < 0.1 for p in env.trajectory)


def test_move_to_door_stands_in_the_opening(env):
    env.step("Actions: [Observe()]")
    env.step("Actions: [MoveTo(door_0), Rotate(90), Observe()]")
    x, y, h = env.backend.robot_pose()
    assert math.dist((x, y), (6.0, 3.5)) < 0.05 and abs(h - 180.0) < 1.0
    assert "vase" not in env.observed  # 49 deg to the left of south: outside the field of view
    obs, *_ = env.step("Actions: [Rotate(-90), Observe()]")
    assert "- vase: front-right, slightly far" in obs  # from the doorway, no wall in between


def test_rotate_turns_in_place(env):
    env.step("Actions: [Rotate(-90), Observe()]")
    x, y, h = env.backend.robot_pose()
    assert math.dist((x, y), (3.5, 3.5)) < 0.02
    assert abs((h + 180.0) % 360.0 - 180.0) < 1.0  # compass 0 (north), whether reported as 0.x or 359.x
    assert env.start_frame_pose()["facing"] == "west"


def test_a_closed_door_is_neither_reported_nor_a_move_target():
    env = ExplorationEnv(two_rooms(door_open=False))
    env.reset()
    obs, reward, _, _, info = env.step("Actions: [Observe()]")
    assert obs.splitlines() == [
        "You observe:",
        "- box: front-right, mid distance",
        "- chair: front-left, mid distance, facing right",
    ]
    assert info["observed"] == ["box", "chair"] and info["new"] == ["box", "chair"] and reward == 2.0
    _, _, _, _, info = env.step("Actions: [MoveTo(door_0), Observe()]")
    assert info["invalid"] == "cannot move to door_0: it has not been observed yet"
    env.close()


def test_physics_steps_count_per_episode():
    env = ExplorationEnv(two_rooms())
    turns = ["Actions: [Rotate(90), Observe()]", "Actions: [Rotate(-90), Observe()]"]

    def episode(actions):
        _, info = env.reset(seed=0)
        assert info["physics_steps"] == 0
        for t in actions:
            *_, info = env.step(t)
        return info["physics_steps"]

    first = episode(turns)
    assert first > 0  # the turns drive the physics
    assert episode(turns) == first  # same seed, same actions: same count, not the sum of both episodes
    assert episode(["Actions: [Observe()]", "Actions: [Term()]"]) == 0  # no motion, no physics steps
    assert episode(turns) == first
    assert env.backend.physics_steps == 3 * first  # the backend still counts every step since load
    env.close()


def test_query_gives_exact_start_frame_position_and_costs_two(env):
    env.step("Actions: [Observe()]")
    obs, _, _, _, info = env.step("Actions: [Query(chair)]")
    assert obs == "chair is at (-1, 2), facing east."
    assert info["cost"] == 3


@pytest.mark.parametrize(
    "turn,reason",
    [
        ("Actions: [MoveTo(piano), Observe()]", "unknown object 'piano'"),
        ("Actions: [MoveTo(vase), Observe()]", "has not been observed yet"),
        ("Actions: [Rotate(45), Observe()]", "Rotate(45) is not allowed"),
        ("Actions: [Observe(), Observe()]", "only one final action"),
        ("dance", "no action found"),
        ("", "empty action"),
        ("Actions: [Query(lamp)]", "has not been observed yet"),
    ],
)
def test_invalid_actions_are_recorded_not_raised(env, turn, reason):
    obs, _, term, trunc, info = env.step(turn)
    assert reason in info["invalid"] and obs.startswith("Invalid action:")
    assert not term and not trunc and env.steps == 1 and env.invalid == 1
    obs, *_ = env.step("Actions: [Observe()]")  # the episode goes on
    assert "lamp" in obs


def test_move_to_an_object_out_of_view_is_invalid(env):
    env.step("Actions: [Observe()]")
    _, _, _, _, info = env.step("Actions: [Rotate(180), MoveTo(lamp), Observe()]")
    assert "not in your field of view" in info["invalid"]


def test_budget_forces_termination():
    env = ExplorationEnv(two_rooms(), max_steps=20)
    env.reset()
    for i in range(19):
        _, _, term, trunc, _ = env.step("Actions: [Observe()]")
        assert not term and not trunc
    obs, _, term, trunc, info = env.step("Actions: [Observe()]")
    assert trunc and not term and obs.endswith("Step budget spent: exploration ended.")
    assert info["steps_left"] == 0
    with pytest.raises(RuntimeError, match="reset"):
        env.step("Actions: [Observe()]")


def test_term_ends_the_episode(env):
    _, _, term, trunc, _ = env.step("Actions: [Term()]")
    assert term and not trunc


def test_same_actions_give_the_same_trajectory():
    def run():
        env = ExplorationEnv(load_suite_scene("tos-3room", 0))
        env.reset(seed=0)
        for t in ["Actions: [Observe()]", "Actions: [MoveTo(door_0), Rotate(90), Observe()]", "Actions: [MoveTo(globe), Observe()]"]:
            env.step(t)
        return np.array(env.trajectory), env.backend.get_state()

    (t1, s1), (t2, s2) = run(), run()
    assert np.array_equal(t1, t2) and np.array_equal(s1, s2)


def test_gymnasium_spaces_and_render(env):
    assert env.action_space.contains("Actions: [Rotate(90), Observe()]")
    img = env.render()
    assert img.shape == (128, 128, 3) and img.dtype == np.uint8 and img.std() > 5


def test_nan_control_and_divergence_are_reported():
    from sim.backends import BackendError, make_backend

    b = make_backend("mujoco")
    b.load(two_rooms())
    with pytest.raises(BackendError, match="NaN or inf"):
        b.step((float("nan"), 0.0, 0.0), 1)
    state = b.get_state()
    state[2] = float("nan")  # corrupt the robot's qpos: MuJoCo flags it, the backend reports it
    b.reset(state)
    with pytest.raises(BackendError, match="diverged"):
        b.step((0.0, 0.0, 0.0), 5)


def test_backend_object_poses_match_the_spec():
    from sim.backends import make_backend

    spec = load_suite_scene("tos-3room", 4)
    b = make_backend("mujoco")
    b.load(spec)
    poses = b.object_poses()
    for o in spec.objects:
        x, y, h = poses[o.name]
        assert (round(x, 9), round(y, 9)) == o.position and abs(((h - o.heading) + 180) % 360 - 180) < 1e-6


def test_truth_map_is_the_scene_read_afresh_each_call_and_follows_changes():
    """truth_map: the scene's ground truth as CognitiveMap.from_dict reads it, rooms and doors, the agent
    where it is now; a new map each call (what one caller changes, the next does not see); after
    apply_changes, the moved object's new place."""
    from perception.cogmap import CognitiveMap
    from scenes.changes import plan_changes

    env = ExplorationEnv(load_suite_scene("tos-3room", 1))
    env.reset(seed=0)
    first = env.truth_map()
    want = CognitiveMap.from_dict(env.scene.ground_truth())
    assert [k for k in first.entries if k != "agent"] == [k for k in want.entries if k != "agent"]
    assert all(first.entries[k] == want.entries[k] for k in want.entries if k != "agent")
    assert first.rooms == [{"id": r.id, "objects": sorted(o.name for o in env.scene.objects if o.room == r.id)}
                           for r in env.scene.rooms]
    assert first.doors == [{"name": d.name, "rooms": list(d.rooms)} for d in env.scene.doors]
    assert first.entries["agent"].position == (0.0, 0.0) and first.entries["agent"].facing == "north"
    name = env.scene.objects[0].name
    first.entries.pop(name)
    first.rooms[0]["objects"].append("ghost")
    first.doors[0]["rooms"].append(99)
    second = env.truth_map()
    assert name in second.entries and "ghost" not in second.rooms[0]["objects"] and 99 not in second.doors[0]["rooms"]
    env.step("Actions: [Rotate(90), Observe()]")
    assert env.truth_map().entries["agent"].facing == "east"
    moves = [c for c in plan_changes(env.scene, seed=3) if c.kind == "moved"]
    env.apply_changes(moves)
    after = env.truth_map()
    assert moves and all(after.entries[c.name].position != second.entries[c.name].position for c in moves)
    assert all(after.entries[k] == e for k, e in CognitiveMap.from_dict(env.scene.ground_truth()).entries.items() if k != "agent")
