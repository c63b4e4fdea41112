"""Plain data shared by the house executors (sim), the manipulation belief (perception) and
the skill planners (planners): what the robot is asked to do, what it does, what it sees.

- `SkillCall`: one skill with its arguments, ``pick(mug_0)``; `parse_call` reads one from
  text (a language model's reply) and raises one ValueError naming what is wrong.
- `Layout`: what every agent knows at the start: the floor plan (rooms, doors, the start
  room), not the furniture or the items.
- `PieceSeen`: a furniture piece as the robot saw it (name, kind, room, position, containers).
- `HouseObservation`: what one skill call gave: its outcome, where the robot is, what it
  holds, the pieces and items seen, containers seen open (with what is inside) or closed.
- `HouseTask`: the goal as relations that must hold at the end. An item may be a pattern
  ``"block_*"``: every item of that kind (the agent is not told how many there are).

Relations are triples ``(relation, item, place)`` with relation ``"on"`` (a support) or
``"in"`` (a container: a drawer ``dresser_0_drawer1`` or a cupboard ``cupboard_0``).

Example:
    >>> call = parse_call("pick(mug_0)")
    >>> call, call.skill, call.args
    (SkillCall(skill='pick', args=('mug_0',)), 'pick', ('mug_0',))
    >>> str(parse_call(" place( mug_0 , table_1 ) "))
    'place(mug_0, table_1)'
    >>> t = HouseTask("stow", (("in", "block_*", "cupboard_0"),), "Put every block into cupboard_0.")
    >>> t.expand(["block_0", "block_1", "mug_0"])
    (('in', 'block_0', 'cupboard_0'), ('in', 'block_1', 'cupboard_0'))
    >>> t.met({("in", "block_0", "cupboard_0"), ("in", "block_1", "cupboard_0")}, ["block_0", "block_1"])
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# skill -> its argument names, in order (sim.manip.house_skills.HOUSE_PRIMITIVES has the rest)
HOUSE_SKILLS: dict[str, tuple[str, ...]] = {
    "navigate_to": ("target",),
    "look_at": ("target",),
    "look_around": (),
    "open": ("container",),
    "close": ("container",),
    "pick": ("item",),
    "place": ("item", "target"),
}
TASK_KINDS = ("fetch", "stow", "find", "rearrange")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*\(\s*(.*?)\s*\)\s*$", re.S)


@dataclass(frozen=True)
class SkillCall:
    skill: str
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.skill not in HOUSE_SKILLS:
            raise ValueError(f"unknown skill {self.skill!r}; skills: {', '.join(HOUSE_SKILLS)}")
        want = HOUSE_SKILLS[self.skill]
        if len(self.args) != len(want):
            raise ValueError(f"{self.skill} takes {len(want)} argument(s) ({', '.join(want) or 'none'}), got {len(self.args)}")
        for a in self.args:
            if not isinstance(a, str) or not _NAME.match(a):
                raise ValueError(f"{self.skill}: argument {a!r} is not a name (letters, digits, _; at most 64)")

    def __str__(self) -> str:
        return f"{self.skill}({', '.join(self.args)})"

    def to_list(self) -> list[str]:
        return [self.skill, *self.args]


def parse_call(text: str) -> SkillCall:
    """``"pick(mug_0)"`` -> SkillCall; a bare ``look_around`` is accepted. One-line ValueError
    naming what is wrong otherwise (never another exception)."""
    if not isinstance(text, str):
        raise ValueError(f"a skill call must be text, got {type(text).__name__}")
    s = text.strip().strip("`").strip()
    if len(s) > 300:
        raise ValueError("a skill call must be at most 300 characters")
    if s in HOUSE_SKILLS:
        return SkillCall(s)
    m = _CALL.match(s)
    if not m:
        raise ValueError(f"not a skill call: {s[:60]!r}; write skill(arg, ...), e.g. pick(mug_0)")
    args = tuple(a.strip().strip("'\"") for a in m.group(2).split(",")) if m.group(2) else ()
    return SkillCall(m.group(1), args)


@dataclass(frozen=True)
class Layout:
    """The floor plan every agent starts with (not the furniture, not the items)."""

    rooms: tuple[int, ...]
    room_centres: tuple[tuple[float, float], ...]  # world xy (m), one per room, same order
    doors: tuple[tuple[int, int], ...]  # the two rooms each door joins
    start_room: int


@dataclass(frozen=True)
class PieceSeen:
    name: str
    kind: str  # "table", "counter", "dresser", "cupboard", "shelf"
    room: int
    position: tuple[float, float]  # world xy of its centre, m
    containers: tuple[str, ...] = ()  # drawers of a dresser, or the cupboard itself


@dataclass(frozen=True)
class HouseObservation:
    """What one skill call gave (or the start, with `call` None)."""

    call: SkillCall | None
    success: bool
    reason: str  # why it failed ("" on success)
    room: int  # the robot's room now
    at: str | None  # the piece the robot is parked at, if any
    holding: str | None
    pieces: tuple[PieceSeen, ...] = ()  # furniture seen during this call
    items: tuple[tuple[str, str, str], ...] = ()  # (relation, item, place) seen during this call
    opened: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (container seen open, the items seen inside)
    closed: tuple[str, ...] = ()  # containers seen closed
    sim_seconds: float = 0.0  # simulated time this call took (0 for symbolic executors)

    def to_text(self) -> str:
        """The observation as the text a program or language agent reads."""
        lines = []
        if self.call is not None:
            lines.append(f"{self.call}: {'ok' if self.success else 'failed: ' + self.reason}")
        lines.append(f"You are in room {self.room}" + (f", at {self.at}" if self.at else "") + ".")
        lines.append(f"You hold {self.holding}." if self.holding else "Your hand is empty.")
        for p in self.pieces:
            extra = f" with {', '.join(p.containers)}" if p.containers and p.containers != (p.name,) else ""
            lines.append(f"You see {p.name} ({p.kind}) in room {p.room}{extra}.")
        for rel, item, place in self.items:
            lines.append(f"You see {item} {rel} {place}.")
        for c, inside in self.opened:
            lines.append(f"{c} is open: " + (", ".join(inside) if inside else "empty") + ".")
        for c in self.closed:
            lines.append(f"{c} is closed.")
        return "\n".join(lines)


@dataclass(frozen=True)
class HouseTask:
    """A goal: relations that must all hold at the end. An item ``"<kind>_*"`` stands for
    every item of that kind in the house."""

    kind: str  # one of TASK_KINDS
    goal: tuple[tuple[str, str, str], ...]
    text: str  # what the agent is told
    max_skills: int = 40  # skill-call budget
    extra: dict = field(default_factory=dict, compare=False)  # e.g. the true start place of the item, for the report

    def expand(self, items) -> tuple[tuple[str, str, str], ...]:
        """The goal with patterns replaced by the matching names among `items`."""
        out = []
        for rel, item, place in self.goal:
            if item.endswith("_*"):
                out += [(rel, n, place) for n in sorted(items) if n.startswith(item[:-1])]
            else:
                out.append((rel, item, place))
        return tuple(out)

    def met(self, facts, items) -> bool:
        """True when every (expanded) goal relation is among `facts`."""
        facts = set(map(tuple, facts))
        return all(g in facts for g in self.expand(items))


__all__ = ["HOUSE_SKILLS", "TASK_KINDS", "HouseObservation", "HouseTask", "Layout", "PieceSeen", "SkillCall", "parse_call"]
