"""Prompts for language-model explorers, in the style of Theory of Space."""

from __future__ import annotations

SYSTEM = """You are a robot exploring a house made of rooms joined by doors. Your goal is to \
build an accurate mental map: where every object and door is and which way objects face.

Each turn, reply with one line:
Actions: [<motion>, ..., <final>]
Motions (any number, executed in order):
- MoveTo(NAME): drive next to an object, or into a door's opening. NAME must be in your current view and seen before. Your facing does not change.
- Rotate(DEG): turn in place, DEG in 90, 180, 270, -90, -180, -270 (positive = clockwise).
Final action (exactly one, last):
- Observe(): report what is in your field of view (cost 1).
- Query(NAME): the exact position of something you have seen (cost 2).
- Term(): stop exploring (alone, no motions).
Examples: Actions: [Rotate(90), Observe()]   Actions: [MoveTo(door_0), Rotate(-90), Observe()]   Actions: [Term()]

Your field of view is {fov} degrees; walls and furniture block sight; from a doorway you see into both rooms.
Observations use these bins. Direction: front-left [-45,-22.5), front-slight-left [-22.5,0), front (0), \
front-slight-right (0,22.5], front-right (22.5,45] degrees. Distance: near (0,2], mid distance (2,4], \
slightly far (4,8], far (8,16], very far (16,32] metres. An object's facing is relative to you: forward \
(same way as you), backward (towards you), left, right. Doors are reported on a wall of your room.
Coordinates, when asked: metres in your start frame: origin = where you started, +y = the direction you \
first faced ("north"), +x = to its right ("east"). You have {budget} turns."""

TURN = "Observation (turn {step} of {budget}, {left} left):\n{obs}\nReply with your next turn: Actions: [...]"
START = "You are at your start position, facing north. Reply with your first turn: Actions: [...]"

PROBES = {
    "global": """Report your cognitive map of everything you have seen so far, as JSON only:
{"agent": {"position": [x, y], "facing": "north"}, "<object or door>": {"position": [x, y], "facing": "east"}, ...}
Positions in metres in your start frame (+y = your initial facing, +x = its right). Facing is north, east, \
south or west in that frame, or null for objects without a facing and for doors. Include yourself as "agent".""",
    "local": """List only what your latest observation showed, in your current frame (+y = straight ahead, +x = \
to your right, metres), as JSON only: {"<name>": {"position": [x, y], "facing": "north"}, ...} where a facing \
"north" means the object faces the way you face.""",
    "unexplored": """Which doors lead to parts of the house you have not fully explored yet? Answer as JSON only: \
{"unexplored": ["door_0", ...]}""",
    "changes": """Since your first exploration some objects may have been moved or turned. Which ones? Answer as \
JSON only: {"changes": [{"name": "<object>", "change": "moved" or "rotated"}]} (an empty list if none).""",
}

QUESTION = "{text}\nOptions: {options}\nAnswer with exactly one option, on its own line: Answer: <option>"
