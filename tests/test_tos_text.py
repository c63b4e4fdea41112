"""The `tos` text profile: exact Theory-of-Space wording on hand-made scenes, bins with ToS's
1e-3 deg slack, door colours both ways, the ToS prompts, and the spacelab profile unchanged."""

import pytest

from perception import tos_text
from perception.bins import direction_bin as spacelab_direction_bin
from perception.text_obs import Sighting, describe_view
from planners.agents import prompts_tos
from scenes.spec import Door, Room, SceneSpec
from sim.env import ExplorationEnv
from tests.scene_fixtures import obj, two_rooms

HEADER = ('Assume your current facing direction is called "north" (a relative reference frame, not true north).'
          'Based on this orientation, mutually close object relations in your FOV:')


def one_room() -> SceneSpec:
    """Room [0,6]x[0,6]; the agent at (3.5, 1.5) faces north (world +y = start-frame north).

    box (3.5, 4.5): straight ahead 3 m; vase (4.5, 4.5): 18.4 deg right, 3.16 m, 1 m east of the box;
    chair (0.5, 0.5) faces east: after a left turn it is 18.4 deg left, 3.16 m, facing towards you.
    """
    return SceneSpec(seed=0, rooms=(Room(0, 0, 0, 6, 6),), doors=(),
                     objects=(obj("box", (3.5, 4.5)), obj("vase", (4.5, 4.5)), obj("chair", (0.5, 0.5), heading=90.0)),
                     start_position=(3.5, 1.5), start_heading=0.0)


def play(spec, turns, profile="tos"):
    env = ExplorationEnv(spec, text_profile=profile)
    try:
        first, _ = env.reset()
        return [first] + [env.step(t)[0] for t in turns]
    finally:
        env.close()


# -- observations in the env, exact text ---------------------------------------------------------
def test_nothing_in_view():
    _, text = play(one_room(), ["Actions: [Rotate(180), Observe()]"])
    # ToS's answer "No objects in field of view." gets success_message's full stop on top
    assert text == "You rotated clockwise 180°. You observe: No objects in field of view.."


def test_one_object_with_its_facing():
    _, text = play(one_room(), ["Actions: [Rotate(-90), Observe()]"])
    assert text == "You rotated counterclockwise 90°. You observe: \n• chair: front-slight-left, mid distance, facing backward."


def test_two_close_objects_give_a_proximity_relation():
    start, text = play(one_room(), ["Actions: [Observe()]"])
    assert start == "Imagine a single room: room 1. You are currently in room 1. You face north.\nObjects: box, vase, chair"
    assert text == ("You observe: \n"
                    "• box: front, mid distance\n"
                    "• vase: front-slight-right, mid distance\n"
                    f"{HEADER}\n"
                    "• box is west, near to vase.")


def test_door_by_colour_on_a_wall_and_relations_to_it():
    # two_rooms: agent (3.5, 3.5) facing east; door_0 = red door in the wall ahead; box and chair
    # are 1.1 m from it (south-east and south-west of it, your facing being north)
    start, text = play(two_rooms(), ["Actions: [Observe()]"])
    assert start == ("Imagine 2 rooms connected by doors: room 1, room 2. You are currently in room 1. "
                     "You face north.\nObjects: lamp, vase, box, chair\nDoors: red door")
    assert text == ("You observe: \n"
                    "• lamp: front, slightly far\n"
                    "• box: front-right, mid distance\n"
                    "• chair: front-left, mid distance, facing right\n"
                    "• red door: front, mid distance, on front wall\n"
                    f"{HEADER}\n"
                    "• box is south east, near to red door\n"
                    "• chair is south west, near to red door.")


def test_motions_queries_and_rooms_in_tos_words():
    texts = play(two_rooms(), ["Actions: [Observe()]", "Actions: [MoveTo(door_0), Rotate(90), Observe()]",
                               "Actions: [Rotate(-90), Observe()]", "Actions: [Query(door_0)]",
                               "Actions: [Query(lamp)]", "Actions: [Query(chair)]",
                               "Actions: [MoveTo(lamp), Rotate(180), Observe()]"])
    assert texts[2] == ("You moved at red door. This gate connects rooms 1 and 2. You rotated clockwise 90°. "
                        "You observe: \n• box: front-right, near.")
    assert texts[3] == "You rotated counterclockwise 90°. You observe: \n• lamp: front, mid distance\n• vase: front-right, slightly far."
    # Query: start frame, no final full stop; a door faces along its opening, a lamp (no facing) reads north
    assert texts[4] == "You query red door: (0, 2.50), facing north"
    assert texts[5] == "You query lamp: (0, 6), facing north"
    assert texts[6] == "You query chair: (-1, 2), facing east"
    # from the doorway to an object: ToS says which room you are in; the door is on room 2's west wall, ahead
    assert texts[7] == ("You moved at lamp. You are in room 2. You rotated clockwise 180°. "
                        "You observe: \n• red door: front, mid distance, on front wall.")


def test_budget_and_term_messages():
    texts = play(one_room(), ["Actions: [Term()]"])
    assert texts[1] == "Exploration terminated."
    env = ExplorationEnv(one_room(), max_steps=1, text_profile="tos")
    env.reset()
    assert env.step("Actions: [Rotate(180), Observe()]")[0] == (
        "You rotated clockwise 180°. You observe: No objects in field of view.. "
        "Exploration ended. No further exploration actions are allowed.")
    env.close()


def test_the_profile_is_validated():
    with pytest.raises(ValueError, match="text_profile must be one of spacelab, tos"):
        ExplorationEnv(one_room(), text_profile="ToS")


# -- the spacelab profile is unchanged -----------------------------------------------------------
def test_spacelab_profile_text_is_unchanged():
    turns = ["Actions: [Observe()]", "Actions: [MoveTo(door_0), Rotate(90), Observe()]", "Actions: [Query(chair)]",
             "Actions: [Query(door_0)]", "Actions: [Rotate(-90), Observe()]"]
    env = ExplorationEnv(two_rooms())
    assert env.text_profile == "spacelab"
    first, _ = env.reset()
    default = [first] + [env.step(t)[0] for t in turns]
    env.close()
    assert default == play(two_rooms(), turns, profile="spacelab")
    assert default == [
        ("You are at your start position. Call your current facing 'north'. You have 20 turns. "
         "Send 'Actions: [<motions> <final>]'."),
        ("You observe:\n- box: front-right, mid distance\n- chair: front-left, mid distance, facing right\n"
         "- door_0: front, mid distance, on the front wall\n- lamp: front, slightly far"),
        "You moved to door_0.\nYou rotated clockwise 90 degrees.\nYou observe:\n- box: front-right, near",
        "chair is at (-1, 2), facing east.",
        "door_0 is at (0, 2.50).",
        "You rotated counterclockwise 90 degrees.\nYou observe:\n- lamp: front, mid distance\n- vase: front-right, slightly far",
    ]
    s = [Sighting("chair", "object", "front", "near", "left", None, (0.0, 1.0))]
    assert describe_view(s) == "You observe:\n- chair: front, near, facing left"
    assert describe_view([]) == "You observe: nothing in your field of view."


# -- pure functions --------------------------------------------------------------------------------
@pytest.mark.parametrize("angle,tos,spacelab", [
    (0.0, "front", "front"),
    (0.0009, "front", "front-slight-right"),       # ToS: front is (-1e-3, 1e-3)
    (-0.0009, "front", "front-slight-left"),
    (0.0011, "front-slight-right", "front-slight-right"),
    (22.5, "front-slight-right", "front-slight-right"),
    (22.5009, "front-slight-right", "front-right"),  # ToS's +1e-3 slack at 22.5
    (22.5011, "front-right", "front-right"),
    (-22.5009, "front-slight-left", "front-left"),
    (-22.5011, "front-left", "front-left"),
    (45.0009, "front-right", "beyond-fov"),          # and at 45
    (45.0011, "beyond-fov", "beyond-fov"),
    (-45.0009, "front-left", "beyond-fov"),
    (-45.0011, "beyond-fov", "beyond-fov"),
])
def test_direction_bins_have_the_tos_slack(angle, tos, spacelab):
    assert tos_text.direction_bin(angle) == tos
    assert spacelab_direction_bin(angle) == spacelab  # the spacelab bins are untouched


def test_distance_and_cardinal_bins():
    assert [tos_text.distance_bin(d) for d in (0.0, 1e-7, 2.0, 2.0000009, 2.0000011, 4.5, 32.0, 40.0, 100.0)] == [
        "same distance", "same distance", "near", "near", "mid distance", "slightly far", "very far",
        "extremely far", "extremely far"]
    assert [tos_text.cardinal_bin(a) for a in (0, 22.4, 22.6, 90, 180, -90, -135, 337.6)] == [
        "north", "north", "north east", "east", "south", "west", "south west", "north"]


def test_door_colours_both_ways():
    names = [f"door_{i}" for i in range(12)]
    assert [tos_text.tos_name(n) for n in names] == [
        "red door", "blue door", "green door", "yellow door", "purple door", "orange door", "black door",
        "white door", "brown door", "gray door", "door_10", "door_11"]
    assert all(tos_text.resolve_name(tos_text.tos_name(n)) == n for n in names)
    assert [tos_text.resolve_name(s) for s in ("Red Door", "red_door", "red-door", "grey door", "door 3", "tv")] == [
        "door_0", "door_0", "door_0", "door_9", "door_3", "tv"]


def test_an_entity_at_your_position_is_left_out():
    here = Sighting("door_0", "door", "front", "same distance", None, None, (0.0, 0.0))
    box = Sighting("box", "object", "front", "near", None, None, (0.0, 1.0))
    assert tos_text.describe_view([here]) == "You observe: No objects in field of view.."
    assert tos_text.describe_view([here, box]) == "You observe: \n• box: front, near."


def test_door_wall_follows_the_room_you_share_with_it():
    # rooms 0 | 1 side by side, room 2 north of room 1; you stand in door_0 (between 0 and 1) facing east
    spec = SceneSpec(seed=0, rooms=(Room(0, 0, 0, 6, 6), Room(1, 6, 0, 6, 6), Room(2, 6, 6, 6, 6)),
                     doors=(Door("door_0", (6.0, 3.5), "y", (0, 1)), Door("door_1", (9.5, 6.0), "x", (1, 2))),
                     objects=(), start_position=(3.5, 3.5), start_heading=90.0)
    d0, d1 = spec.doors
    assert tos_text.door_wall(spec, d1, (6.0, 3.5), 90.0) == "left"   # room 1's north wall, you face east
    assert tos_text.door_wall(spec, d0, (3.5, 3.5), 90.0) == "front"  # from room 0: its east wall
    assert tos_text.door_wall(spec, d0, (9.5, 3.5), 90.0) == "back"   # from room 1: its west wall, behind you
    assert tos_text.door_wall(spec, d1, (9.5, 9.5), 180.0) == "front"  # from room 2 facing south
    assert tos_text.door_wall(spec, d1, (9.5, 9.5), 90.0) == "right"
    assert tos_text.moved(spec, "door_1", (9.5, 3.5)) == "You moved at blue door. This gate connects rooms 3 and 2."


def test_local_map_facings_and_replies():
    s = [Sighting("chair", "object", "front", "near", "left", None, (0.0, 1.0)),
         Sighting("door_1", "door", "front-right", "far", None, "right", (5.0, 9.0))]
    assert tos_text.local_map(s) == {"origin": "agent", "objects": {
        "chair": {"position": [0.0, 1.0], "facing": "-x"}, "blue door": {"position": [5.0, 9.0]}}}
    assert [tos_text.local_facing(f) for f in ("forward", "right", "backward", "left", None)] == ["+y", "+x", "-y", "-x", None]
    reply = '<answer> {"origin": "agent", "objects": {"Red Door": {"position": [1, 2]}, "tv": [0, 1]}} </answer>'
    assert tos_text.normalise_reply("local", reply) == {"door_0": {"position": [1, 2]}, "tv": [0, 1]}
    assert tos_text.normalise_reply("global", {"agent": {"position": [0, 0]}, "blue door": [3, 1]}) == {
        "agent": {"position": [0, 0]}, "door_1": [3, 1]}
    assert tos_text.normalise_reply("unexplored", '{"unexplored": ["green door"]}') == {"unexplored": ["door_2"]}
    assert tos_text.normalise_reply("changes", 'Term(changes="tv: position, red door: orientation")') == {
        "changes": [{"name": "tv", "change": "moved"}, {"name": "door_0", "change": "rotated"}]}


# -- prompts -------------------------------------------------------------------------------------
GLOBAL_PROBE = """\
## Cognitive Map (JSON)

Represent the scene as a JSON map. \n\

### Schema (shared)
- position: [x, y] numbers in metres
- facing: use cardinal words ("north|south|east|west") for global/rooms frames; use axis signs ("+x|-x|+y|-y") for local frames

### General rules (shared)
- Coordinate frame MUST be explicit in the content.
- Include only observed/known information—do not invent.


!!! IMPORTANT OUTPUT RULES !!!
1. Always output: <think> [Your thoughts on cognitive map] </think> <answer> [JSON map only] </answer>.
2. Inside <answer> output ONLY the JSON (no prose).
3. Any deviation is invalid.

## Cognitive Map — Global (specifics)

- Grid: concise global map on an N×M grid of 1 m cells.
- Frame: origin [0,0] is your initial position; +Y is your initial facing direction (north).
- Content: include all observed objects and gates; include the agent
- Facing: use "north|south|east|west".

Example:
```json
{
    "agent": {"position": [2, 3], "facing": "east"},
    "chair": {"position": [2, 4], "facing": "north"}
}
```
"""

GRAMMAR = """\
Action Grammar (HARD CONSTRAINT):
Your <answer> must match this grammar:
<answer> Actions: [ <M>* <F> ] </answer>
<M> = "MoveTo(OBJ)" | "Rotate(DEG)"
<F> = "Observe()" | "Query(OBJ)" | "Term()"
Constraints:
- Exactly one <F>, and it must be the final element.
- No more than one Observe().
- Term() may appear only alone.
- Any violation is invalid.

Examples:
Valid: Actions: [MoveTo(table), Rotate(90), Observe()]
Valid: Actions: [Observe()]
Valid: Actions: [Query(table)]
Invalid (no final action): Actions: [MoveTo(table)]
Invalid (more than one final action): Actions: [Observe(), Rotate(90), Observe()]
Invalid (termination with other actions): Actions: [MoveTo(table), Term()]




Rules:
- You may perform zero, one or more movement actions.
- Provide **EXACTLY ONE** final action (and it **must be last**) or your action sequence will be invalid.
- Observe action only reports from your current position. If you move multiple times, the final Observe() action gives the view only from your last position.
- Actions execute in order. Field of view: 90°.

Observe and Query action have costs:
- Observe(): 1
- Query(obj): 2


You have a maximum of 20 exploration steps.
"""


def test_global_probe_text():
    assert prompts_tos.PROBES["global"] == GLOBAL_PROBE


def test_system_prompt_grammar_and_layout():
    room = tos_text.room_description(two_rooms())
    text = prompts_tos.system(fov=90, budget=20, room_info=room)
    assert GRAMMAR in text
    assert text.startswith("# Spatial Exploration Task\n\nYou are a spatial reasoner in a 2D, text-only N×M grid")
    assert "- MoveTo(object_name): Move next to the object, or into the opening of a door. Your orientation does NOT " \
           "change when you move.You can ONLY move" in text  # ToS's missing space, kept
    assert "\t-(22.5°,45°]→front-right\n\t-otherwise→beyond-fov\nCardinal angle bins (45° each):\n\t-(-22.5°,22.5°]→north\n" in text
    assert text.endswith(f"Room Layout and initial state:\n{room}\n\n\n\n"
                         "Always output: <think> [Your thoughts on next step actions] </think> <answer> Actions: [ ... ] </answer>.")
    assert "{" not in text and "}" not in text


def test_turn_and_question_prompts():
    assert prompts_tos.TURN.format(step=3, budget=20, left=17, obs="You observe: No objects in field of view..") == (
        "You observe: No objects in field of view..\nYou have a maximum of 17 exploration steps left.\n"
        "Always output: <think> [Your thoughts on next step actions] </think> <answer> Actions: [ ... ] </answer>.")
    q = prompts_tos.question("Which of these objects is furthest north?", ["tv", "sofa", "lamp"])
    assert q == ("## Evaluation Question\nWhich of these objects is furthest north?\n\nChoose the correct answer:\n"
                 "A. tv\nB. sofa\nC. lamp\n\nIMPORTANT: Answer with ONLY the letter (A, B, C, ...).\n\n\n"
                 "Always output: <think> [Your thoughts on the question] </think> <answer> [your answer] </answer>.")
    opts = ["tv", "sofa", "lamp"]
    assert prompts_tos.choice_from_reply("<think>north is up</think> <answer> B </answer>", opts) == "sofa"
    assert prompts_tos.choice_from_reply("Answer: C.", opts) == "lamp"
    assert prompts_tos.choice_from_reply("<answer>tv</answer>", opts) == "tv"
    assert prompts_tos.choice_from_reply("<answer>Z</answer>", opts) is None
