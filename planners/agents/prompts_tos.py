"""Prompts for language-model explorers in Theory of Space's own wording (text profile "tos").

Same names and placeholders as planners.agents.prompts: SYSTEM ({fov}, {budget} and, new,
{room_info}: perception.tos_text.room_description(scene)), TURN ({step}, {budget}, {left},
{obs}), START, PROBES (global, local, unexplored, changes), QUESTION ({text}, {options}, where
{options} is the lettered block from `format_choices`), plus RESTART ({n_changes},
{max_steps}) for the false-belief phase. `question()` and `choice_from_reply()` wrap a
multiple-choice question the ToS way and read the letter back. Replies to the probes are turned
into what spacelab's readers expect by perception.tos_text.normalise_reply.

Reference (re-implemented, only the fixed phrases are ToS's): williamzhangNU/ToS_Base snapshot
04a4e29: tos_base/prompts/prompts.py (INSTRUCTION_TEMPLATE_TEXT, SHARED_* blocks,
SHORT_EXPLORATION_PROMPT), tos_base/prompts/prompter.py (get_initial_observation_prompt,
_build_format_rules, get_format_footer, get_evaluation_prompt, with enable_think on, ToS's
default), tos_base/actions/actions.py (ACTION_INSTRUCTION, ActionSequence.get_usage_instructions
and each action's description), tos_base/core/relationship.py (the prompt() texts of the
relationship, bin and proximity classes), tos_base/prompts/cogmap_prompts.py (global and local
map prompts), tos_base/prompts/false_belief_prompts.py (FALSE_BELIEF_INSTRUCTION),
tos_base/evaluation (format_choices, the "Choose the correct answer" block). The per-turn
prompt follows ToS's env step: action messages, "You have a maximum of N exploration steps
left." and the format footer.

Adaptations (the minimum physics needs; also listed in docs/tos-text.md):
1. Move(OBJ) is MoveTo(OBJ) (spacelab's grammar); its description says where the robot ends
   (next to an object, in a door's opening) instead of "the same position as the object".
2. Return() does not exist in spacelab: dropped from the grammar, the action list and the
   Term() rule ("alone or after Return()" -> "alone").
3. Rotate(0) is not a valid spacelab turn: dropped from the list of valid degrees.
4. The intro speaks of a grid of 1 m cells with (x, y) coordinates in metres instead of
   "integer (x, y) coordinates" (doors sit on half metres); the map prompts ask for positions
   in metres instead of "integers (or integer-like)"; the global map's "N×M grid" is 1 m cells.
5. Vision: ToS confines vision to the current room behind closed doors; here walls and
   furniture block rays and open doorways let you see into the next room (multi-room rules).
6. The unexplored probe has no counterpart in the 04a4e29 snapshot; later ToS asks to pick
   grid coordinates ("Unexplored Areas"). Physics has no candidate grid, so the same framing
   asks for the doors that lead to unexplored regions.
7. False belief: ToS ends the second exploration with Term(changes="..."); spacelab ends with
   Term() and then asks the changes probe, which keeps ToS's answer format (read by
   perception.tos_text.parse_changes). RESTART is FALSE_BELIEF_INSTRUCTION without the
   Term(changes=...) lines.
8. Evaluation questions: spacelab's nine generators (perception.questions) keep their own
   question text and options; only ToS's multiple-choice framing is used (## Evaluation
   Question, lettered choices, "Answer with ONLY the letter", the format footer).
9. ToS sends the whole instruction as the first user turn; here it is the system prompt and
   START is ToS's short exploration prompt with the format footer.
"""

from __future__ import annotations

import re

FOOTER_EXPLORE = "Always output: <think> [Your thoughts on next step actions] </think> <answer> Actions: [ ... ] </answer>."
FOOTER_ANSWER = "Always output: <think> [Your thoughts on the question] </think> <answer> [your answer] </answer>."

FORMAT_RULES = (
    "!!! IMPORTANT OUTPUT RULES !!!\n"
    "1. You must always output in this format:\n"
    "   <think> [Your thoughts on next step actions] </think> <answer> Actions: [ ... ] </answer>\n"
    "2. Inside <answer>, only include the required content.\n"
    "   - No bullet points, prose, boxes, calculations, or explanations.\n"
    "3. Any deviation is invalid."
)

INTRO = ("You are a spatial reasoner in a 2D, text-only N×M grid of 1 m cells. "
         "Every object including you is a point at (x, y) coordinates in metres.")  # adaptation 4

GOAL = ("Goal: Your objective is to **minimize total COST** while gaining knowledge of spatial relationships "
        "between each pair of objects. Do NOT stop until you have achieved complete coverage")

MULTIROOM_RULES = (  # adaptation 5
    "Multi-room rules (may exist multiple rooms):\n"
    "- Walls and furniture block your vision; through an open doorway you can see into the next room.\n"
    "- When located in a doorway, you can see into both connected rooms.\n"
    "- Rooms connect via doors on vertical (front/back) or horizontal (left/right) walls.\n"
)

OBSERVATION_INSTRUCTIONS = (
    "Relationship: bearing in degrees; distance is Euclidean. Use binned labels.\n"
    "Bearing is a degree in [-180, 180]; 0° is front. +: clockwise, -: counterclockwise.\n"
    "Orientation: forward/backward/right/left (ego) or north/east/south/west (allo).\n"
    "When agent faces north: forward = north, right = east, etc.\n"
    "Gate's orientation: report wall position (e.g., 'on left wall').\n"
    "Binned relationship reporting:\n"
    "Angles: EgoFront (egocentric); Cardinal (object-to-object).\n"
    "Egocentric angle bins (0° is front):\n"
    "\t-[-45°,-22.5°)→front-left\n"
    "\t-[-22.5°,0°)→front-slight-left\n"
    "\t-0°→front\n"
    "\t-(0°,22.5°]→front-slight-right\n"
    "\t-(22.5°,45°]→front-right\n"
    "\t-otherwise→beyond-fov\n"
    "Cardinal angle bins (45° each):\n"
    + "".join(f"\t-({lo}°,{lo + 45.0}°]→{label}\n" for lo, label in zip(
        (-22.5, 22.5, 67.5, 112.5, 157.5, 202.5, 247.5, 292.5),
        ("north", "north east", "east", "south east", "south", "south west", "west", "north west")))
    + "Distance bins:\n"
    "\t-=0→same distance\n"
    "\t-(0,2]→near\n"
    "\t-(2,4]→mid distance\n"
    "\t-(4,8]→slightly far\n"
    "\t-(8,16]→far\n"
    "\t-(16,32]→very far\n"
    "\t-(32,64]→extremely far\n"
    "Proximity reporting:\n"
    "Observe also returns nearby object-to-object relations (distance ≤ 2.0).\n"
    "Treat your current facing as north and use cardinal angle bins; distances use the standard bins."
)

_MOVE = ("MoveTo(object_name)", (  # adaptation 1
    "Move next to the object, or into the opening of a door. "
    "Your orientation does NOT change when you move."  # no space after the full stop: ToS's text
    "You can ONLY move to objects within your field of view and you must have observed it before. "
    "You can ONLY move to objects by name, not directions or others. You CANNOT move to objects by numbers. "
    "Invalid: MoveTo(left), MoveTo(1)."))
_ROTATE = ("Rotate(degrees)", (  # adaptation 3
    "Rotate relative to your current orientation. Positive = clockwise, negative = counterclockwise. "
    "Valid: -270, -180, -90, 90, 180, 270. "
    "You must rotate by these specified degrees; otherwise your action will be invalid."))
_OBSERVE = ("Observe()", (
    "Report objects (including doors) and their spatial relationships from your current position in your FOV. "
    "Also return relations between mutually close objects in your FOV. "
    "It should NEVER be followed by a Term(). You can ONLY use ONE Observe() per step and it must be your "
    "last action. Otherwise your action sequence will be invalid."))
_TERM = ("Term()", (  # adaptation 2
    "Terminate the exploration phase. Term() must be alone with no movement actions. "
    "You MUST ONLY use it in the last turn and no other turns. Otherwise your action sequence will be invalid."))
_QUERY = ("Query(obj)", (
    "Return object's coordinates with agent's initial position as origin, north as y+ axis. "
    "Sometimes necessary to eliminate ambiguities."))

ACTION_LIST = (
    "Movement Actions:\n" + "\n".join(f"- {f}: {d}" for f, d in (_MOVE, _ROTATE))
    + "\n\nFinal Actions:\n" + "\n".join(f"- {f}: {d}" for f, d in (_OBSERVE, _TERM, _QUERY))
)

EXAMPLES = (
    "Valid: Actions: [MoveTo(table), Rotate(90), Observe()]\n"
    "Valid: Actions: [Observe()]\n"
    "Valid: Actions: [Query(table)]\n"
    "Invalid (no final action): Actions: [MoveTo(table)]\n"
    "Invalid (more than one final action): Actions: [Observe(), Rotate(90), Observe()]\n"
    "Invalid (termination with other actions): Actions: [MoveTo(table), Term()]\n\n"
)

ACTION_INSTRUCTIONS = (
    "You can move within and across rooms, turn, and observe.\n"
    "When you are at a door, you can see objects from both connected rooms (within FOV).\n"
    "\n"
    "Available Actions:\n"
    f"{ACTION_LIST}\n"
    "\n"
    "\n"
    "Action Grammar (HARD CONSTRAINT):\n"
    "Your <answer> must match this grammar:\n"
    "<answer> Actions: [ <M>* <F> ] </answer>\n"
    '<M> = "MoveTo(OBJ)" | "Rotate(DEG)"\n'
    '<F> = "Observe()" | "Query(OBJ)" | "Term()"\n'
    "Constraints:\n"
    "- Exactly one <F>, and it must be the final element.\n"
    "- No more than one Observe().\n"
    "- Term() may appear only alone.\n"
    "- Any violation is invalid.\n"
    "\n"
    "Examples:\n"
    f"{EXAMPLES}\n"
    "\n"
    "\n"
    "Rules:\n"
    "- You may perform zero, one or more movement actions.\n"
    "- Provide **EXACTLY ONE** final action (and it **must be last**) or your action sequence will be invalid.\n"
    "- Observe action only reports from your current position. If you move multiple times, the final Observe() "
    "action gives the view only from your last position.\n"
    "- Actions execute in order. Field of view: {fov}°.\n"
    "\n"
    "Observe and Query action have costs:\n"
    "- Observe(): 1\n"
    "- Query(obj): 2\n"
    "\n\nYou have a maximum of {budget} exploration steps."
)

ACTIVE_RULES = "- Achieve complete coverage with the fewest steps;\n- Prefer actions that reveal more unknowns; avoid redundancy\n"
COMMON_RULES = "- FOV is {fov}°, you can NOT see objects outside your FOV.\n- Track your current and initial pose\n"

SYSTEM = (
    "# Spatial Exploration Task\n\n"
    f"{INTRO}\n\n"
    f"{GOAL}\n\n"
    f"{MULTIROOM_RULES}\n\n"
    f"Relationship instructions:\n{OBSERVATION_INSTRUCTIONS}\n\n"
    f"Action Instructions:\n{ACTION_INSTRUCTIONS}\n\n"
    f"{FORMAT_RULES}\n\n"
    f"Rules:\n{ACTIVE_RULES}{COMMON_RULES}\n\n"
    "Room Layout and initial state:\n{room_info}\n\n"
    "\n"  # the empty exploration history of an active run, and the template's last newline
    f"\n{FOOTER_EXPLORE}"
)

STEPS_LEFT = "You have a maximum of {left} exploration steps left."
TURN = "{obs}\n" + STEPS_LEFT + "\n" + FOOTER_EXPLORE
START = "Please respond with valid actions to explore the rooms.\n" + FOOTER_EXPLORE  # adaptation 9

RESTART = (  # adaptation 7
    "You have returned to the initial position and face north.\n"
    "There are {n_changes} objects in the room that have been changed (position or orientation).\n"
    "Goal: Explore the room again and identify which objects have been changed and how with minimum costs.\n"
    "Use the same action set as the exploration phase.\n"
    "You have a maximum of {max_steps} steps.\n"
)

# -- cognitive-map probes (cogmap_prompts.get_cogmap_prompt, enable_think on) -----------------
COGMAP_BASE = (
    "## Cognitive Map (JSON)\n\n"
    "Represent the scene as a JSON map. \n\n"
    "### Schema (shared)\n"
    "- position: [x, y] numbers in metres\n"  # adaptation 4
    '- facing: use cardinal words ("north|south|east|west") for global/rooms frames; '
    'use axis signs ("+x|-x|+y|-y") for local frames\n\n'
    "### General rules (shared)\n"
    "- Coordinate frame MUST be explicit in the content.\n"
    "- Include only observed/known information—do not invent.\n"
)

COGMAP_FORMAT_RULES = (
    "!!! IMPORTANT OUTPUT RULES !!!\n"
    "1. Always output: <think> [Your thoughts on cognitive map] </think> <answer> [JSON map only] </answer>.\n"
    "2. Inside <answer> output ONLY the JSON (no prose).\n"
    "3. Any deviation is invalid."
)

COGMAP_GLOBAL = (
    "## Cognitive Map — Global (specifics)\n\n"
    "- Grid: concise global map on an N×M grid of 1 m cells.\n"  # adaptation 4
    "- Frame: origin [0,0] is your initial position; +Y is your initial facing direction (north).\n"
    "- Content: include all observed objects and gates; include the agent\n"
    '- Facing: use "north|south|east|west".\n\n'
    "Example:\n"
    "```json\n"
    "{\n"
    '    "agent": {"position": [2, 3], "facing": "east"},\n'
    '    "chair": {"position": [2, 4], "facing": "north"}\n'
    "}\n"
    "```\n"
)

COGMAP_LOCAL = (
    "## Cognitive Map — Local (specifics)\n\n"
    "- Frame: must include \"origin\":\"agent\". Always keep in mind that the origin is the agent's position and orientation.\n"
    "- Structure: include an \"objects\" dict; each object's position and facing are relative to the agent at time of writing.\n"
    "- Content: include all objects and doors in your current field of view; DO NOT include the agent itself in \"objects\".\n"
    '- Facing: use "+x|-x|+y|-y" (local axes).\n\n'
    "Example:\n"
    "```json\n"
    "{\n"
    '    "origin": "agent",\n'
    '    "objects": {\n'
    '      "chair": {"position": [0, 1], "facing": "-x"}\n'
    "    }\n"
    "}\n"
    "```\n"
)

UNEXPLORED = (  # adaptation 6
    "### Unexplored Areas\n"
    "Select ALL doors that lead to **unexplored/unobserved** regions.\n"
    "### Rules\n"
    "- Name the doors as your observations name them\n"
    "- Output only the selected doors\n\n"
    "Example:\n"
    "```json\n"
    "{\n"
    '    "unexplored": ["red door", "blue door"]\n'
    "}\n"
    "```\n"
)

CHANGES = (  # adaptation 7: ToS's answer format, asked after Term()
    "Which objects have been changed (position or orientation), and how?\n"
    'You must use the Term(changes="...") format to submit your answer.\n'
    'Format: Term(changes="object1: change_type, object2: change_type")\n'
    'Example: Term(changes="apple: position, chair: orientation")'
)

PROBES = {
    "global": f"{COGMAP_BASE}\n\n{COGMAP_FORMAT_RULES}\n\n{COGMAP_GLOBAL}",
    "local": f"{COGMAP_BASE}\n\n{COGMAP_FORMAT_RULES}\n\n{COGMAP_LOCAL}",
    "unexplored": f"{UNEXPLORED}\n\n{COGMAP_FORMAT_RULES}",
    "changes": f"{CHANGES}\n\n{FOOTER_ANSWER}",
}

# -- evaluation questions (tasks: format_choices; prompter.get_evaluation_prompt) --------------
QUESTION = (
    "## Evaluation Question\n"
    "{text}\n\n"
    "Choose the correct answer:\n"
    "{options}\n\n"
    "IMPORTANT: Answer with ONLY the letter (A, B, C, ...).\n\n"
    f"\n{FOOTER_ANSWER}"
)


def format_choices(options) -> str:
    """ToS's lettered choices: ``A. first`` ... one per line."""
    return "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(options))


def question(text: str, options) -> str:
    return QUESTION.format(text=text, options=format_choices(options))


def choice_from_reply(reply: str, options) -> str | None:
    """The option a ToS-style answer picks: the letter inside the last <answer>...</answer> (or
    after the last 'Answer:'), else a lone letter at the end, else the option text itself."""
    opts = [str(o) for o in options]
    text = str(reply or "")
    tagged = re.findall(r"<answer>(.*?)</answer>", text, re.DOTALL | re.IGNORECASE)
    tail = tagged[-1] if tagged else (re.findall(r"answer\s*:\s*([^\n]+)", text, re.IGNORECASE) or [text])[-1]
    m = re.fullmatch(r"\s*\(?([A-Za-z])[.)]?\s*(?:\.\s*)?", tail) or re.search(r"(?<![A-Za-z])([A-Z])(?![A-Za-z])\W*$", tail)
    if m:
        i = ord(m.group(1).upper()) - 65
        if 0 <= i < len(opts):
            return opts[i]
    low = tail.strip().strip(".'\"` ").lower()
    for o in opts:
        if o.lower() == low:
            return o
    return None


def system(fov: int, budget: int, room_info: str) -> str:
    return SYSTEM.format(fov=fov, budget=budget, room_info=room_info)


__all__ = ["SYSTEM", "TURN", "START", "RESTART", "PROBES", "QUESTION", "STEPS_LEFT", "FOOTER_EXPLORE",
           "FOOTER_ANSWER", "format_choices", "question", "choice_from_reply", "system"]
