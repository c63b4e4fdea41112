"""Symbolic exploration actions and the turn grammar.

A turn is ``Actions: [<motion>* <final>]``: any number of motions (MoveTo, Rotate) and
exactly one final action (Observe, Query, Term) at the end; Term stands alone. This is
Theory of Space's grammar with MoveTo for its JumpTo, so prompts and logs carry over.

Example:
    >>> parse_turn("Actions: [Rotate(90), Observe()]")
    [Rotate(degrees=90), Observe()]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perception.cogmap import normalise_name

DEFAULT_MAX_STEPS = 20  # the turn budget of a Theory-of-Space episode
VALID_ROTATIONS = (-270, -180, -90, 90, 180, 270)
COSTS = {"Observe": 1, "Query": 2, "Term": 0, "MoveTo": 0, "Rotate": 0}


class ActionError(ValueError):
    """An action string that does not follow the grammar; the message says what is wrong."""


@dataclass(frozen=True)
class MoveTo:
    target: str
    final = False

    def __str__(self):
        return f"MoveTo({self.target})"


@dataclass(frozen=True)
class Rotate:
    degrees: int
    final = False

    def __str__(self):
        return f"Rotate({self.degrees})"


@dataclass(frozen=True)
class Observe:
    final = True

    def __str__(self):
        return "Observe()"


@dataclass(frozen=True)
class Query:
    target: str
    final = True

    def __str__(self):
        return f"Query({self.target})"


@dataclass(frozen=True)
class Term:
    final = True

    def __str__(self):
        return "Term()"


Action = MoveTo | Rotate | Observe | Query | Term

# a word start (no letter before it) so a long run of letters costs linear time, not quadratic
_TOKEN = re.compile(r"(?<![A-Za-z])([A-Za-z]++)\s*+\(([^()]*+)\)")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_ -]{0,63}$")  # object and door names are short
_DEGREES = re.compile(r"^[+-]?[0-9]{1,6}(?:\.0*)?$")  # an integer, optionally written 90.0; nothing else


def _show(s: str, n: int = 40) -> str:
    """A bounded repr for error messages, whatever a client sends: at most n characters of the repr's
    text (escapes count as they print: a control character is 4, an astral one 10), then the length."""
    head = repr(s[:n])
    if len(s) <= n and len(head) <= n + 2:
        return head
    return head[:n + 1] + f"... ({len(s)} characters)"


def _parse_one(kind: str, arg: str) -> Action:
    arg = arg.strip()
    if kind == "MoveTo" or kind == "Query":
        if not _NAME.match(arg.strip("'\"")):
            raise ActionError(f"{kind} needs an object or door name, got {_show(arg)}")
        return (MoveTo if kind == "MoveTo" else Query)(normalise_name(arg))
    if kind == "Rotate":
        if not _DEGREES.match(arg):
            raise ActionError(f"Rotate needs whole degrees, one of {list(VALID_ROTATIONS)}; got {_show(arg)}")
        deg = int(arg.split(".")[0])
        if deg not in VALID_ROTATIONS:
            raise ActionError(f"Rotate({arg}) is not allowed: use one of {list(VALID_ROTATIONS)}")
        return Rotate(deg)
    if kind in ("Observe", "Term"):
        if arg:
            raise ActionError(f"{kind}() takes no argument, got {_show(arg)}")
        return Observe() if kind == "Observe" else Term()
    raise ActionError(f"unknown action {_show(kind)}; use MoveTo, Rotate, Observe, Query or Term")


def parse_turn(text: str | list) -> list[Action]:
    """Parse one turn (a string or a list of actions/strings) and check the grammar.

    Raises ActionError, and nothing else, for anything that is not a valid turn (wrong
    types, non-integer or non-finite degrees, unknown actions, a broken grammar).
    """
    if isinstance(text, (list, tuple)):
        actions = []
        for a in text:
            if isinstance(a, str):
                actions.append(_single(a))
            elif isinstance(a, (MoveTo, Rotate, Observe, Query, Term)):
                actions.append(a)
            else:
                raise ActionError(f"a turn given as a list holds actions or action strings, not {type(a).__name__}")
    else:
        if not isinstance(text, str):
            raise ActionError(f"a turn is a string such as 'Actions: [Rotate(90), Observe()]', not {type(text).__name__}")
        if not text.strip():
            raise ActionError("empty action: send e.g. 'Actions: [Rotate(90), Observe()]'")
        start, end = text.find("["), text.rfind("]")  # the outermost [...], as a greedy r"\[(.*)\]" finds it
        body = text[start + 1:end] if 0 <= start < end else text
        tokens = _TOKEN.findall(body)
        if not tokens:
            raise ActionError(f"no action found in {_show(text, 80)}; send e.g. 'Actions: [Observe()]'")
        actions = [_parse_one(k, a) for k, a in tokens]
    check_grammar(actions)
    return actions


def _single(s: str) -> Action:
    tokens = _TOKEN.findall(s)
    if len(tokens) != 1:
        raise ActionError(f"expected one action, got {_show(s)}")
    return _parse_one(*tokens[0])


def check_grammar(actions: list[Action]) -> None:
    if not actions:
        raise ActionError("a turn needs exactly one final action (Observe, Query or Term)")
    if not actions[-1].final:
        raise ActionError(f"the last action must be Observe(), Query(x) or Term(), not {actions[-1]}")
    if any(a.final for a in actions[:-1]):
        raise ActionError("only one final action (Observe, Query or Term) per turn, and it must come last")
    if isinstance(actions[-1], Term) and len(actions) > 1:
        raise ActionError("Term() must stand alone")


def format_turn(actions: list[Action]) -> str:
    return "Actions: [" + ", ".join(str(a) for a in actions) + "]"
