"""Cognitive maps: the JSON an agent reports when probed, and a tolerant parser for it.

Global map, start frame (origin = start, +y = initial facing = "north"):

    {"agent": {"position": [0, 0], "facing": "north"},
     "chair": {"position": [2, 3], "facing": "east", "std": 0.5},
     "rooms": [{"id": 0, "objects": ["chair"]}], "doors": [{"name": "door_0", "rooms": [0, 1]}]}

Local maps use the same layout in the agent's frame (+x right, +y ahead). Replies from
language models are messy: the parser takes a fenced JSON block or the largest balanced
{...}, repairs common slips (single quotes, trailing commas, NaN), normalises names
and facings, and never raises: what it cannot read becomes an empty map plus an error.

Example:
    >>> m, err = parse_map('Sure! ```json {"Chair": [1, 2], "agent": {"position": [0,0], "facing": "N"}} ```')
    >>> m.entries["chair"].position, m.entries["agent"].facing, err
    ((1.0, 2.0), 'north', None)
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field

FACINGS = ("north", "east", "south", "west")
MAX_REPLY_CHARS = 1_000_000
MAX_COORD = 1e6  # m: a coordinate beyond this is an invalid value (squaring it could overflow)
TOPOLOGY_KEYS = ("rooms", "doors")

_FACING_ALIASES = {
    "n": "north", "north": "north", "up": "north", "+y": "north", "0": "north", "0.0": "north",
    "e": "east", "east": "east", "right": "east", "+x": "east", "90": "east", "90.0": "east",
    "s": "south", "south": "south", "down": "south", "-y": "south", "180": "south", "180.0": "south",
    "w": "west", "west": "west", "left": "west", "-x": "west", "270": "west", "270.0": "west", "-90": "west",
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "spacelab cognitive map",
    "type": "object",
    "properties": {
        "rooms": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": ["integer", "string"]}, "objects": {"type": "array", "items": {"type": "string"}}}}},
        "doors": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "rooms": {"type": "array", "minItems": 2, "maxItems": 2}}}},
    },
    "additionalProperties": {
        "type": "object",
        "properties": {
            "position": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "facing": {"enum": [*FACINGS, None]},
            "std": {"type": "number", "minimum": 0},
        },
        "required": ["position"],
    },
}


def normalise_name(name: str) -> str:
    """'Door 0' / 'door-0' / ' DOOR_0 ' -> 'door_0'."""
    if type(name) is str and len(name) <= _NAME_CACHE_CHARS:  # maps name the same few entities every turn
        return _normalised(name)
    return _normalise(str(name))


def _normalise(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().strip("'\"")).lower()


_SEPARATORS = re.compile(r"[\s-]+")
_NAME_CACHE_CHARS = 200  # longer names (a hostile reply's) are normalised without being kept
_normalised = functools.lru_cache(maxsize=4096)(_normalise)


def number(value, limit: float = MAX_COORD) -> float | None:
    """`value` as a float when it is a finite number (or numeric text) within +-limit, else
    None; never raises (booleans, 400-digit integers, 1e400, NaN and junk all give None).

    >>> number("2.5"), number(10**400), number(float("nan")), number(True), number(-3)
    (2.5, None, None, None, -3.0)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        x = float(value)
    except (ValueError, OverflowError):
        return None
    return x if math.isfinite(x) and abs(x) <= limit else None


def normalise_facing(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        degrees = number(value, limit=1e9)
        if degrees is None:
            return None
        value = str(int(round(degrees)) % 360)
    return _FACING_ALIASES.get(str(value).strip().lower())


@dataclass
class Entry:
    position: tuple[float, float] | None
    facing: str | None = None
    std: float | None = None

    def to_dict(self) -> dict:
        d = {"position": list(self.position) if self.position else None, "facing": self.facing}
        if self.std is not None:
            d["std"] = self.std
        return d


@dataclass
class CognitiveMap:
    entries: dict[str, Entry] = field(default_factory=dict)
    rooms: list[dict] | None = None
    doors: list[dict] | None = None

    def to_dict(self) -> dict:
        d = {k: e.to_dict() for k, e in self.entries.items()}
        if self.rooms is not None:
            d["rooms"] = self.rooms
        if self.doors is not None:
            d["doors"] = self.doors
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "CognitiveMap":
        """Build from a dict, dropping what cannot be read (never raises on content)."""
        m = cls()
        for key, value in d.items():
            if key in TOPOLOGY_KEYS:
                if isinstance(value, list):
                    setattr(m, key, [v for v in value if isinstance(v, dict)])
                continue
            m.entries[normalise_name(key)] = _entry(value)
        return m

    def restricted(self, names) -> "CognitiveMap":
        names = set(names)
        return CognitiveMap({k: e for k, e in self.entries.items() if k in names}, self.rooms, self.doors)


def _entry(value) -> Entry:
    pos, facing, std = None, None, None
    if isinstance(value, dict):
        raw = value.get("position", value.get("pos"))
        if raw is None and "x" in value and "y" in value:
            raw = [value["x"], value["y"]]
        pos = _xy(raw)
        facing = normalise_facing(value.get("facing", value.get("orientation")))
        s = value.get("std")
        if isinstance(s, (int, float)) and number(s) is not None and s >= 0:
            std = number(s)
    else:
        pos = _xy(value)
    return Entry(pos, facing, std)


def _xy(raw) -> tuple[float, float] | None:
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        return None
    x, y = number(raw[0]), number(raw[1])
    return None if x is None or y is None else (x, y)


def reply_problem(reply) -> str | None:
    """Why a probe reply cannot be read as text at all (wrong type, over the size limit), or None."""
    if not isinstance(reply, str):
        return f"probe reply has type {type(reply).__name__}, expected text or a JSON object"
    if len(reply) > MAX_REPLY_CHARS:
        return f"probe reply is {len(reply)} characters, over the {MAX_REPLY_CHARS} limit"
    return None


def extract_json(reply) -> tuple[dict | None, str | None]:
    """(object, error): the JSON object in a reply (dict passed through), or why there is none."""
    if isinstance(reply, dict):
        return reply, None
    problem = reply_problem(reply)
    if problem:
        return None, problem
    for candidate in _candidates(reply):
        obj = _loads(candidate)
        if isinstance(obj, dict):
            return obj, None
    return None, "no JSON object found in probe reply"


def parse_map(reply) -> tuple[CognitiveMap, str | None]:
    """(map, error). Unreadable replies give an empty map and a short error message."""
    if isinstance(reply, CognitiveMap):
        return reply, None
    obj, err = extract_json(reply)
    return (CognitiveMap.from_dict(obj), None) if obj is not None else (CognitiveMap(), err)


def _candidates(text: str):
    for m in re.finditer(r"```(?:json|JSON)?\s*(.*?)```", text, re.S):
        yield m.group(1)
    spans = _balanced_spans(text)
    for a, b in sorted(spans, key=lambda s: s[0] - s[1]):  # largest first
        yield text[a:b]


def _balanced_spans(text: str) -> list[tuple[int, int]]:
    """Outermost balanced {...} spans, ignoring braces inside strings."""
    spans, depth, start, in_str, esc, quote = [], 0, -1, False, False, ""
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == quote:
                in_str = False
            continue
        if ch == '"':
            in_str, quote = True, ch
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def _loads(s: str):
    try:
        return json.loads(s)
    except (json.JSONDecodeError, RecursionError):
        pass
    fixed = re.sub(r",\s*([}\]])", r"\1", s)  # trailing commas
    fixed = re.sub(r"\bNaN\b|\b-?Infinity\b", "null", fixed)
    if "'" in fixed and '"' not in fixed:
        fixed = fixed.replace("'", '"')
    fixed = re.sub(r"\bNone\b", "null", fixed)
    try:
        return json.loads(fixed)
    except (json.JSONDecodeError, RecursionError):
        return None
