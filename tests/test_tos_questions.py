"""The `tos` question set (perception.tos_questions): ToS's nine evaluation types with their exact
text on a hand-made scene, hand-computed answers, ToS's checking rules (reply extraction, label
aliases, partial credit, action simulation), determinism, hostile replies, and the exploitation
protocol's records in both profiles."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perception import tos_questions as tq
from perception.cogmap import CognitiveMap
from scenes.spec import Door, Room, SceneSpec
from scenes.suites import load_suite_scene
from tests.scene_fixtures import obj, play


def house() -> SceneSpec:
    """Room 0 = [0,6]x[0,6], room 1 = [0,6]x[6,12] north of it, red door (door_0) at (3, 6).
    The agent starts at (2.5, 1.5) facing north, so start-frame = world - (2.5, 1.5):

        chair (0, 3) faces south      table (2, 1)      plant (-2, -1)        [room 0]
        sofa (0, 8) faces south       lamp (2, 9)       bookshelf (-2, 7) faces east   [room 1]
        red door (0.5, 4.5), between the rooms
    """
    return SceneSpec(
        seed=0, rooms=(Room(0, 0, 0, 6, 6), Room(1, 0, 6, 6, 6)),
        doors=(Door("door_0", (3.0, 6.0), "x", (0, 1)),),
        objects=(obj("chair", (2.5, 4.5), heading=180.0), obj("table", (4.5, 2.5)), obj("plant", (0.5, 0.5)),
                 obj("sofa", (2.5, 9.5), heading=180.0, room=1), obj("lamp", (4.5, 10.5), room=1),
                 obj("bookshelf", (0.5, 8.5), heading=90.0, room=1)),
        start_position=(2.5, 1.5), start_heading=0.0)


@pytest.fixture(scope="module")
def world():
    return tq.World.from_spec(house())


@pytest.fixture(scope="module")
def qs(world):
    out = {q.tos_type: q for q in tq.generate_questions(world, seed=0, per_type=1)}
    assert list(out) == list(tq.TOS_TYPES)
    return out


def test_world_in_the_start_frame(world):
    got = {b.label: (b.pos, b.ori, sorted(b.rooms)) for b in world.bodies}
    assert got == {"chair": ((0.0, 3.0), (0, -1), [0]), "table": ((2.0, 1.0), None, [0]),
                   "plant": ((-2.0, -1.0), None, [0]), "sofa": ((0.0, 8.0), (0, -1), [1]),
                   "lamp": ((2.0, 9.0), None, [1]), "bookshelf": ((-2.0, 7.0), (1, 0), [1]),
                   "red door": ((0.5, 4.5), (0, -1), [0, 1])}
    assert dict(world.by_label("red door").inward) == {0: (0, -1), 1: (0, 1)}  # normals into each room
    assert world.start_rooms == {0}


def test_mapping_and_names():
    assert tq.SPACELAB_NAME == {"dir": "direction", "pov": "perspective", "bwd_pov": "perception",
                                "fwd_fov": "action_view", "bwd_nav": "view_action", "e2a": "allocentric",
                                "rot": "mental_rotation", "fwd_loc": "location_view", "bwd_loc": "view_location"}
    from perception.questions import QUESTION_TYPES
    assert sorted(tq.SPACELAB_NAME.values()) == sorted(QUESTION_TYPES)


# -- exact text and hand-computed answers, one type each ------------------------------------------
def test_dir(qs):
    q = qs["dir"]
    assert q.text == ("You return to your starting position and face north.\n"
                      "From a Top-Down map, describe where table is relative to plant.\n"
                      "Answer format: cardinal direction-bin, distance-bin\n"
                      "Example: north-west, near\n")
    # table - plant = (4, 2): bearing atan2(4, 2) = 63.4 deg -> north east; |.| = 4.47 m -> (4, 8] slightly far
    assert q.answer == "north east, slightly far" and q.kind == "direction"


def test_pov(qs):
    q = qs["pov"]
    assert q.text == ("Now you jump to where the bookshelf is and face the way it faces.\n"
                      "Describe lamp's egocentric relation.\n"
                      "Answer format: direction-bin, distance-bin\n"
                      "Example: front, near\n")
    # from (-2, 7) facing east, lamp at (+4, +2): compass 63.4 deg, 26.6 deg left of east -> front-left; 4.47 m
    assert q.answer == "front-left, slightly far"


def test_bwd_pov(qs):
    q = qs["bwd_pov"]
    assert q.text == ("Now you jump to an oriented object's position, facing its direction.\n"
                      "You observe that sofa is front-left, mid distance, facing right.\n"
                      "Which object are you standing at?\n"
                      "Answer format: <object>\n"
                      "Example: lamp\n")
    # from the bookshelf (facing east) the sofa is at (+2, +1): 26.6 deg left, 2.24 m; it faces south = your right
    assert q.answer["answer"] == "bookshelf" and q.kind == "perception"


def test_fwd_fov(qs):
    q = qs["fwd_fov"]
    assert q.text == ("You return to your starting position and face north.\n"
                      "You will execute the following action sequence:\n"
                      "1. Jump to the object at front-slight-right, slightly far.\n"
                      "2. Among objects which are front-slight-left, mid distance, you jump to the nearest one.\n"
                      "3. Rotate(90)\n\n"
                      "After executing the actions, what is the egocentric relation of lamp?\n\n"
                      "Answer format: <direction>, <distance>\n"
                      "Example: front, near\n")
    # 1: the red door (0.5, 4.5) is 6.3 deg right, 4.53 m. 2: from the door facing north the sofa (-0.5, +3.5)
    # is 8.1 deg left at 3.54 m, tied in distance with the bookshelf (exactly 45 deg left): listed first, "nearest".
    # 3: at the sofa facing east the lamp (+2, +1) is 26.6 deg left, 2.24 m.
    assert q.answer == "front-left, mid distance"


def test_bwd_nav(qs):
    q = qs["bwd_nav"]
    assert q.text == ("You return to your starting position and face north.\n"
                      "Then you have executed an action sequence and changed to a new location and facing direction.\n"
                      "You observe the following:\n"
                      "plant is at front-right, slightly far; table is at front-left, mid distance; "
                      "chair is at front-slight-right, near\n\n"
                      "What action sequence led to this final view?\n\n"
                      "Answer format: use a valid action sequence\n"
                      "Example: Rotate(90), JumpTo(lamp), JumpTo(chair), Rotate(90)\n")
    # ToS's own plan ends in the red door's opening facing south
    assert q.answer["plan"] == ["JumpTo(red door)", "JumpTo(sofa)", "Rotate(-180)", "JumpTo(red door)"]
    assert q.answer["final_pos"] == [0.5, 4.5] and q.answer["final_ori"] == [0, -1]


def test_e2a(qs):
    q = qs["e2a"]
    assert q.text == ("Treat your starting position as the origin (0, 0) while facing north.\n"
                      "Report allocentric coordinates using (x right/east, y up/north).\n"
                      "Objects: sofa, lamp, bookshelf, chair.\n"
                      "Answer format: (x0, y0); (x1, y1); ... in the same order.\n"
                      "Example: (1, 0); (-2, 3); (0, -1)\n")
    assert q.answer == [[0.0, 8.0], [2.0, 9.0], [-2.0, 7.0], [0.0, 3.0]]


def test_rot(qs):
    q = qs["rot"]
    assert q.text == ("You return to your starting position and face north.\n"
                      "You will perform a full 360-degree rotation by continuously turning counterclockwise in place.\n"
                      "Assume all walls are removed (you can see through walls), so every object is visible.\n"
                      "Focus on this set of objects: bookshelf, plant, table.\n"
                      "List them in the exact order they appear directly ahead while you rotate.\n"
                      "If two objects share a bearing, place the nearer one first.\n\n"
                      "Answer format: <object_name1>, <object_name2>, ...\n"
                      "Example: mug, sofa, plant\n")
    # counterclockwise angles: bookshelf 15.9, plant 116.6, table 296.6 deg
    assert q.answer == ["bookshelf", "plant", "table"]


def test_fwd_loc(qs):
    q = qs["fwd_loc"]
    assert q.text == ("Treat your starting position as the origin (0, 0), and your starting facing direction is north.\n"
                      "You move to (-2, 4) and face east.\n"
                      "What is the egocentric relation of chair?\n\n"
                      "Answer format: <direction>, <distance>\n"
                      "Example: front, near\n")
    # chair - (-2, 4) = (2, -1): 26.6 deg right of east, 2.24 m
    assert q.answer == "front-right, mid distance"


def test_bwd_loc(qs):
    q = qs["bwd_loc"]
    assert q.text == ("You move to a new location and your current facing direction is west.\n"
                      "sofa is at front, near, facing left; bookshelf is at front-slight-left, slightly far, "
                      "facing backward\n"
                      "Treat the red door as the origin (0, 0), and your starting facing direction is north.\n"
                      "What is your current 2D coordinate (x, y)?\n\n"
                      "Answer format: (x, y)\n"
                      "Example: (2, -1)\n")
    # the pose is (2, 8) facing west (room 1, not the start's): the origin is the red door, (2, 8) - (0.5, 4.5)
    assert q.answer["coord"] == [1.5, 3.5]


def test_truth_answers_score_one(world, qs):
    for q in qs.values():
        assert tq.check(q, tq.solve(q, world), world) == 1.0, q.tos_type
    assert tq.solve(qs["bwd_nav"], world) == "JumpTo(red door), Rotate(180)"  # another plan to the same view
    assert tq.solve(qs["bwd_loc"], world) == "(1.50, 3.50)"


# -- checking rules -----------------------------------------------------------------------------------
@pytest.mark.parametrize("reply, score", [
    ("north east, slightly far", 1.0),
    ("<think>far away</think> <answer> North-East, Slightly Far </answer>", 1.0),  # the tagged part, any case
    ("slightly far, northeast", 1.0),  # swapped order counts
    ("NE, slightly-far", 1.0),  # ToS's aliases
    ("(north east, slightly far)", 1.0),
    ("north, slightly far", 1.0),  # "north" is a component of "north east": ToS's lenient match
    ("south west, slightly far", 0.5),
    ("north east, near", 0.5),
    ("west, near", 0.0),
    ("north east", 0.5),  # read as the words "north", "east": either one matches "north east", neither the distance
    ("", 0.0), ("   ", 0.0), ("garbage", 0.0), (None, 0.0),
])
def test_relation_scores(qs, world, reply, score):
    assert tq.check(qs["dir"], reply, world) == score


def test_extract_answer():
    assert tq.extract_answer("x <ANSWER> B </answer> y <answer>C</answer>") == "B"  # the first tag
    assert tq.extract_answer("  plain  ") == "plain"
    assert tq.extract_answer("<answer></answer>") == ""
    assert tq.extract_answer(None) == "" and tq.extract_answer(3) == ""


@pytest.mark.parametrize("reply, ok", [
    ("B", True), ("b", True), (" b\n", True), ("b.", False), ("Answer: C", False), ("Answer: B", False),
    ("A, B", False), ("AB", False), ("", False), (None, False), ("garbage", False),
])
def test_lettered_choice_rule(reply, ok):
    """ToS_Human's multi_choice_eval_fn: the stripped reply must equal the letter, case aside."""
    assert tq.check_choice(reply, "B") is ok


def test_bwd_pov_scores(qs, world):
    q = qs["bwd_pov"]
    assert tq.check(q, "bookshelf", world) == 1.0
    assert tq.check(q, "<answer>Bookshelf</answer>", world) == 1.0
    assert tq.check(q, "sofa", world) == 0.0  # the sofa cannot see itself
    assert tq.check(q, "unicorn", world) == 0.0
    # a second object facing east one cell north of the bookshelf sees the sofa... at another bin: not accepted
    assert tq.check(q, "chair", world) == 0.0


def test_bwd_pov_accepts_a_consistent_viewpoint():
    """The plant is straight ahead at 4 m both from the bookshelf (west of it, facing east) and
    from the cabinet (south of it, facing north): either object is a right answer."""
    spec = SceneSpec(seed=0, rooms=(Room(0, 0, 0, 8, 8),), doors=(),
                     objects=(obj("bookshelf", (0.5, 4.5), heading=90.0), obj("cabinet", (4.5, 0.5), heading=0.0),
                              obj("plant", (4.5, 4.5))),
                     start_position=(6.5, 6.5), start_heading=0.0)
    w = tq.World.from_spec(spec)
    q = next(q for seed in range(50) for q in tq.generate_questions(w, seed=seed, per_type=1, types=("bwd_pov",))
             if q.params["observation"]["name"] == "plant")
    assert q.text.splitlines()[1] == "You observe that plant is front, mid distance."
    assert tq.check(q, "bookshelf", w) == 1.0 and tq.check(q, "cabinet", w) == 1.0
    assert tq.check(q, "plant", w) == 0.0


def test_bwd_nav_simulation(qs, world):
    q = qs["bwd_nav"]
    assert tq.check(q, ", ".join(q.answer["plan"]), world) == 1.0  # ToS's own plan
    assert tq.check(q, "JumpTo(red door), Rotate(180)", world) == 1.0  # another plan to the same view
    assert tq.check(q, "<answer>jumpto(Red Door), rotate(-180)</answer>", world) == 1.0  # case aside
    assert tq.check(q, "JumpTo(red door), Rotate(90)", world) == 0.0  # wrong final facing
    assert tq.check(q, "JumpTo(red door), Rotate(45), Rotate(135)", world) == 0.0  # not a multiple of 90
    assert tq.check(q, "JumpTo(table), Rotate(180)", world) == 0.0  # the table is 63 deg right: out of the cone
    assert tq.check(q, "Rotate(180), JumpTo(red door)", world) == 0.0  # the right end pose, but the door was behind
    assert tq.check(q, "JumpTo(unicorn)", world) == 0.0
    assert tq.check(q, "JumpTo(red door), turn around", world) == 0.0  # one bad item spoils the sequence
    assert tq.check(q, "Rotate(180)", world) == 0.0  # the right facing at the wrong place
    assert tq.simulate(world, [("rotate", 90), ("rotate", -90), ("jumpto", "chair")]) == ((0.0, 3.0), (0, 1))


def test_e2a_scores(qs):
    q = qs["e2a"]
    assert tq.check(q, "(0, 8); (2, 9); (-2, 7); (0, 3)") == 1.0
    assert tq.check(q, "sofa (0,8) lamp (2,9) bookshelf (-2,7) chair (0,3)") == 1.0
    assert tq.check(q, "(0, 8); (2, 9); (-2, 7)") == 0.0  # three points for four objects
    # chair one metre off: RMSE = 1/2 over 4 points, L = RMS of the truth = sqrt((64+85+53+9)/4); dir unchanged
    L = math.sqrt((64 + 85 + 53 + 9) / 4)
    assert tq.check(q, "(0, 8); (2, 9); (-2, 7); (1, 3)") == pytest.approx((math.exp(-0.5 / L) + 1.0) / 2)


def test_rot_scores(qs):
    q = qs["rot"]
    assert tq.check(q, "bookshelf, plant, table") == 1.0
    assert tq.check(q, "[ 'Bookshelf', 'PLANT',  'table' ]") == 1.0
    assert tq.check(q, "plant, bookshelf, table") == 0.0
    assert tq.check(q, "bookshelf, plant") == 0.0


def test_bwd_loc_scores(qs):
    q = qs["bwd_loc"]
    assert tq.check(q, "(1.5, 3.5)") == 1.0
    assert tq.check(q, "<answer>(1.5, 3.5) facing west</answer>") == 1.0
    # one metre off: exp(-1 / |(1.5, 3.5)|)
    assert tq.check(q, "(2.5, 3.5)") == pytest.approx(math.exp(-1 / math.hypot(1.5, 3.5)))
    assert tq.check(q, "somewhere north") == 0.0


def test_fwd_scores(qs, world):
    assert tq.check(qs["fwd_fov"], "front-left, mid distance", world) == 1.0
    assert tq.check(qs["fwd_loc"], "front right, mid", world) == 1.0
    assert tq.check(qs["fwd_loc"], "front-left, mid distance", world) == 0.5  # only the distance matches
    assert tq.labels_match("front-left", "front-right") is False and tq.labels_match("front", "front-right") is True
    assert tq.parse_relation("north east") == ("north", "east")


# -- determinism ---------------------------------------------------------------------------------------
def test_same_seed_same_questions():
    a = [q.to_dict() for q in tq.generate_questions(house(), seed=7, per_type=2)]
    b = [q.to_dict() for q in tq.generate_questions(house(), seed=7, per_type=2)]
    c = [q.to_dict() for q in tq.generate_questions(house(), seed=8, per_type=2)]
    assert a == b and a != c
    assert len({q["text"] for q in a}) == len(a)  # no repeats within a type


def test_one_type_does_not_depend_on_another():
    alone = tq.generate_questions(house(), seed=3, per_type=1, types=("rot",))
    full = [q for q in tq.generate_questions(house(), seed=3, per_type=1) if q.tos_type == "rot"]
    assert alone == full


# -- answering from a map -----------------------------------------------------------------------------
def test_answers_from_maps(world, qs):
    exact = CognitiveMap.from_dict(house().ground_truth())
    assert all(tq.check(q, tq.answer_from_map(q, exact, world), world) == 1.0 for q in qs.values())
    empty = CognitiveMap()
    assert all(tq.check(q, tq.answer_from_map(q, empty, world), world) < 1.0 for q in qs.values())
    # a map turned half round about the start gets the direction question wrong
    turned = CognitiveMap.from_dict({n: {"position": [-e.position[0], -e.position[1]]}
                                     for n, e in exact.entries.items() if e.position is not None})
    assert tq.check(qs["dir"], tq.answer_from_map(qs["dir"], turned, world), world) == 0.5  # distance still right


# -- hostile replies: the parsers never raise and stay in range ---------------------------------------
_text = st.one_of(st.text(max_size=300), st.text(alphabet="()[],;:<>/answerJumpToRotate0123456789-. \n'\"", max_size=200))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reply=st.one_of(_text, st.none(), st.integers(), st.lists(st.text(max_size=5))))
def test_hostile_replies(world, qs, reply):
    for q in qs.values():
        s = tq.check(q, reply, world)
        assert isinstance(s, float) and 0.0 <= s <= 1.0
    assert isinstance(tq.check_choice(reply, "B"), bool)
    assert isinstance(tq.extract_answer(reply), str)


@settings(max_examples=300, deadline=None)
@given(text=_text)
def test_parsers_on_any_text(text):
    items = tq.split_list(text)
    assert items is None or (items and all(isinstance(i, str) and i for i in items))
    rel = tq.parse_relation(text)
    assert rel is None or (len(rel) == 2 and all(isinstance(x, str) for x in rel))
    pts = tq.parse_points(text)
    assert pts is None or all(len(p) == 2 and all(math.isfinite(v) for v in p) for p in pts)
    acts = tq.parse_actions(text)
    assert all(a in ("rotate", "jumpto") for a, _ in acts)
    assert isinstance(tq.canonical_label(text), str) and isinstance(tq.labels_match(text, "front"), bool)


# -- the exploitation protocol -----------------------------------------------------------------------
def test_exploitation_uses_the_profile_question_set():
    tos = play({"suite": "tos-3room", "index": 0, "agent": "oracle", "seed": 0, "protocol": "exploitation"})["exploitation"]
    assert tos["question_set"] == "tos" and tos["accuracy"] == 1.0 and len(tos["questions"]) == 18
    # scene 1: no object with a facing sees another in its room, so ToS's pov and bwd_pov cannot be asked
    assert {q.tos_type for q in tq.generate_questions(load_suite_scene("tos-3room", 1), seed=1)} == \
        set(tq.TOS_TYPES) - {"pov", "bwd_pov"}
    assert set(tos["by_tos_type"]) == set(tq.TOS_TYPES) and set(tos["by_type"]) == set(tq.SPACELAB_NAME.values())
    assert {q["tos_type"] for q in tos["questions"]} == set(tq.TOS_TYPES)
    sl = play({"suite": "tos-3room", "index": 0, "agent": "oracle", "seed": 0, "protocol": "exploitation",
               "profile": "spacelab"})["exploitation"]
    assert sl["question_set"] == "spacelab" and "by_tos_type" not in sl and sl["accuracy"] == 1.0


def test_language_agents_get_the_text_and_are_scored_on_the_reply():
    from planners.agents.llm import LLMAgent, LLMConfig
    from tests.fake_llm import ScriptedChat

    chat = ScriptedChat([], default="<think>hmm</think> <answer>north east, near</answer>")
    try:
        agent = LLMAgent(LLMConfig(base_url=chat.url))
        agent.reset()
        q = tq.generate_questions(house(), seed=0, per_type=1, types=("dir",))[0]
        reply = agent.answer(q)
        assert tq.check(q, reply) == 0.5
        sent = chat.requests[-1]["messages"][-1]["content"]
        assert sent.startswith("## Evaluation Question\n" + q.text) and "<answer> [your answer] </answer>" in sent
    finally:
        chat.close()
