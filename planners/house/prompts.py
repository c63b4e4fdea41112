"""Prompts of the language-model house planner (`planners.house.llm_planner`).

The skill list is generated from the primitives' own records
(`sim.manip.house_skills.HOUSE_PRIMITIVES`: parameters, preconditions, effects,
description), so the prompt cannot drift from what the executor checks. docs/house-planner.md
shows the full text.

Example:
    >>> print(system_prompt(rooms=(0, 1), doors=((0, 1),), start=0, budget=30).splitlines()[0])
    You are a mobile manipulator robot (a Franka Panda arm on a wheeled base) in a house of rooms joined by doors.
"""

from __future__ import annotations

SYSTEM = """You are a mobile manipulator robot (a Franka Panda arm on a wheeled base) in a house of rooms joined by doors.
You carry out a task by calling skills, one per turn. After each call you are told what happened and what you saw.

The house: rooms {rooms}; doors join rooms {doors}; you start in room {start}.
Furniture: tables, counters and shelves are supports (items stand ON them); dressers have two drawers \
(<dresser>_drawer1, <dresser>_drawer2) and cupboards are containers (items are IN them). Items in a closed \
drawer or cupboard are hidden until you open it. You hold at most one item.

Skills (needs: preconditions; gives: effects):
{skills}
- navigate_to also takes a room, room_<k>: drive to the middle of room k (you are then parked at no piece).

Use only names from the task and from what you have seen. Reply with one line:
Call: <skill>(<arguments>)
for example  Call: navigate_to(room_1)   Call: open(dresser_0_drawer1)   Call: place(mug_0, table_1)
When the task is done (or cannot be done) reply  Call: done
You may think first; only the last line that starts with "Call:" counts. You have {budget} skill calls."""

TASK = "Task: {task}\n\n{obs}\nSkill calls left: {left}. Reply with your first call: Call: <skill>(<arguments>)"
TURN = "{obs}\nSkill calls left: {left}. Reply with your next call: Call: <skill>(<arguments>) or Call: done"
INVALID = "(Your last reply could not be read as a skill call: {error}. {fallback} was run instead.)"
RESTART = ("You have been taken back to your start position. Things may have been moved while you were away.\n"
           "New task: {task}")


def skill_lines() -> str:
    """One line per primitive: its call form, preconditions, effects and description."""
    from sim.manip.house_skills import HOUSE_PRIMITIVES

    out = []
    for s in HOUSE_PRIMITIVES.values():
        needs = "; ".join(s.preconditions) or "nothing"
        out.append(f"- {s.name}({', '.join(s.params)}): needs {needs}; gives {'; '.join(s.effects)}. {s.description}")
    return "\n".join(out)


def system_prompt(rooms, doors, start: int, budget: int) -> str:
    return SYSTEM.format(rooms=", ".join(map(str, rooms)), doors=", ".join(f"{a}-{b}" for a, b in doors) or "none",
                         start=start, budget=budget, skills=skill_lines())


__all__ = ["INVALID", "RESTART", "SYSTEM", "TASK", "TURN", "skill_lines", "system_prompt"]
