"""What a program agent remembers: its pose, where things are, and what it saw from where.

Positions are in the start frame (origin = start, +y = initial facing). A *view* records,
for one standing position, which entities were visible at which heading, so that the
agent knows which MoveTo targets are legal from there (MoveTo needs the target in view).
The memory also answers probes: the global cognitive map, the local map of the last view,
and the doors not yet passed (the unexplored-region probe).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scenes.frames import facing_name

REL_FACING = {"forward": 0.0, "right": 90.0, "backward": 180.0, "left": 270.0}
LOCAL_FACING = {"forward": "north", "right": "east", "backward": "south", "left": "west"}


CHANGE_TOLERANCE = 0.5  # m: a re-sighting this far from memory means the object moved
_NOT_SEEN: tuple = ()  # the sightings of a name with none (one object, so that a domain kept for it stays valid)


def _key(p) -> tuple[float, float]:
    return (round(p[0] * 2) / 2, round(p[1] * 2) / 2)


@dataclass
class Item:
    name: str
    kind: str
    position: tuple[float, float]
    facing: str | None = None
    through_heading: float | None = None  # doors: heading that crosses the wall away from the first viewer
    queried: bool = False  # position and facing exact, from a Query reply


@dataclass
class _SightingIndex:
    """SpatialMemory.sightings_of's index of one sightings list: its first `count` entries by name."""

    source: list | None = None
    count: int = 0
    last: tuple | None = None  # the entry at count - 1, to tell a list emptied and refilled
    by_name: dict[str, list] = field(default_factory=dict)


@dataclass
class SpatialMemory:
    position: tuple[float, float] = (0.0, 0.0)
    heading: float = 0.0
    items: dict[str, Item] = field(default_factory=dict)
    views: dict[tuple, dict[float, set[str]]] = field(default_factory=dict)  # pos -> heading -> names
    sightings: list[tuple[tuple[float, float], float, dict]] = field(default_factory=list)
    last_view: list[dict] = field(default_factory=list)
    changed: dict[str, str] = field(default_factory=dict)  # name -> "moved" | "rotated", since restart()
    _index: _SightingIndex = field(default_factory=_SightingIndex, repr=False, compare=False)

    def update(self, info: dict) -> None:
        pose = info["pose"]
        self.position = _key(pose["position"])
        self.heading = float(pose["heading"]) % 360.0
        if info.get("final") == "Query" and info.get("query"):
            q = info["query"]
            item = self.items.get(q["name"])
            if item is not None:  # only observed entities can be queried
                item.position, item.facing, item.queried = tuple(q["position"]), q["facing"], True
            return
        if info.get("final") != "Observe":
            return
        seen = self.views.setdefault(self.position, {}).setdefault(round(self.heading) % 360, set())
        h = math.radians(self.heading)
        self.last_view = list(info["sightings"])
        for s in info["sightings"]:
            right, fwd = s["offset"]
            x = self.position[0] + right * math.cos(h) + fwd * math.sin(h)
            y = self.position[1] - right * math.sin(h) + fwd * math.cos(h)
            seen.add(s["name"])
            self.sightings.append((self.position, self.heading, s))
            facing = facing_name(self.heading + REL_FACING[s["facing"]]) if s.get("facing") else None
            item = self.items.get(s["name"])
            if item is None:
                through = None
                if s["kind"] == "door" and s["wall"]:
                    through = (self.heading + {"front": 0, "right": 90, "back": 180, "left": 270}[s["wall"]]) % 360
                self.items[s["name"]] = Item(s["name"], s["kind"], (round(x, 3), round(y, 3)), facing, through)
            else:  # the latest sighting wins: things may have moved
                if math.dist(item.position, (x, y)) > CHANGE_TOLERANCE:
                    self.changed[s["name"]] = "moved"
                elif facing and item.facing and facing != item.facing:
                    self.changed.setdefault(s["name"], "rotated")
                item.position, item.facing = (round(x, 3), round(y, 3)), facing

    def restart(self) -> None:
        """Back at the start with the same beliefs: forget where things were visible from
        (the scene may have changed) and start collecting changes afresh."""
        self.views.clear()
        self.sightings.clear()
        self.last_view = []
        self.changed.clear()

    def sightings_of(self, name: str) -> list | tuple:
        """`name`'s entries of `sightings`, in order. An index kept in step with the list: extended when
        it grew, built anew when the list was replaced (callers may assign it), cut, or emptied and
        refilled (restart() empties it: the last entry indexed is no longer where it was). Entries are
        appended, not edited in place. Each name's list is a new object after a rebuild, so a caller
        can tell by identity and length."""
        ix, seen = self._index, self.sightings
        n = ix.count
        if ix.source is not seen or n > len(seen) or (n and seen[n - 1] is not ix.last):  # replaced, cut, or refilled
            ix = self._index = _SightingIndex(seen)
        for entry in seen[ix.count:]:
            ix.by_name.setdefault(entry[2]["name"], []).append(entry)
        if len(seen) > ix.count:
            ix.count, ix.last = len(seen), seen[-1]
        return ix.by_name.get(name, _NOT_SEEN)

    def headings_seen_here(self) -> set[float]:
        return set(self.views.get(self.position, {}))

    def visible_from(self, pos) -> dict[str, float]:
        """name -> heading at which it was seen from `pos`."""
        out: dict[str, float] = {}
        for heading, names in sorted(self.views.get(_key(pos), {}).items()):
            for n in sorted(names):
                out.setdefault(n, heading)
        return out

    # -- probes ------------------------------------------------------------------------
    def probe(self, kind: str = "global") -> dict:
        if kind == "global":
            out = {"agent": {"position": list(self.position), "facing": facing_name(self.heading)}}
            for name, it in sorted(self.items.items()):
                out[name] = {"position": list(it.position), "facing": it.facing}
            return out
        if kind == "local":
            return {s["name"]: {"position": list(s["offset"]), "facing": LOCAL_FACING.get(s.get("facing"))}
                    for s in self.last_view}
        if kind == "changes":
            return {"changes": [{"name": n, "change": c} for n, c in sorted(self.changed.items())]}
        if kind == "unexplored":
            return {"unexplored": sorted(n for n, it in self.items.items() if it.kind == "door" and it.position not in self.views)}
        return {}


def rotation(current: float, target: float) -> int:
    """Rotate() argument that turns from `current` to `target` heading (0 if none)."""
    d = int(round((target - current) % 360.0))
    return {0: 0, 90: 90, 180: 180, 270: -90}[d]
