"""HouseBelief: the robot's cognitive map of a house extended with support and containment.

Built from the agent's own `HouseObservation`s (symbolic, or from RGB-D through the
perception stack: the executor turns either into the same observation), it holds:

- the furniture seen (name, kind, room, position) and its places: a support (a table, a
  counter, a shelf: relation ``on``) or a container (a drawer, a cupboard: ``in``);
- per container: open or closed, and its contents once seen open;
- per item: where it was last seen, or, when that is not known, a distribution over the
  places it could be in (see "Prior");
- the rooms looked around in (``explored``).

**Prior.** An item that is not located is equally likely to be in each *candidate*: every
known place whose contents have not been seen in this episode (an unopened container, a
support not yet looked at), minus the places where it was looked for and not found, plus
one placeholder ``room_<k>`` per room not yet looked around in (it stands for the pieces
of that room the robot has not seen, counted once per room). With 2 unopened drawers and
1 unexplored room each gets 1/3; after one drawer is opened empty, 1/2 each.

**Observations.** A place's contents become known when the robot looks into it: an open
container (`HouseObservation.opened`), the support it is parked at (`at`, when the
observation shows that piece: a failed call shows nothing), and the supports a
``look_around`` shows (it sweeps the whole room). Items reported there are there; items
believed there and not reported are not: that is a *contradiction*, returned by `update`
as text ("mug_0 is not on table_1 as believed"), and the belief is revised (the item
becomes unlocated, the place excluded for it). A pick that finds nothing ("pick(mug_0)
found nothing to grasp") does the same. With ``miss`` > 0 (a camera that may overlook an
item from across the room) a support only swept by a look_around stays a candidate with
weight ``miss`` instead of 1 (Bayes with detection probability 1 - miss), until the robot
parks at it; and such a sweep does not revise an item located there (it may have
overlooked it): parking there does.

**Memory.** `restart()` starts a new episode keeping the map: pieces, explored rooms and
where items were last seen (marked stale), but not which places' contents are known: the
world may have changed while the robot was away (the false-belief setting).

Example:
    >>> from perception.house_data import HouseObservation, Layout, PieceSeen, SkillCall
    >>> b = HouseBelief(Layout((0, 1), ((1.0, 1.0), (5.0, 1.0)), ((0, 1),), 0))
    >>> b.add_items(["mug_0"])
    >>> seen = (PieceSeen("dresser_0", "dresser", 0, (1.0, 2.0), ("dresser_0_drawer1", "dresser_0_drawer2")),)
    >>> _ = b.update(HouseObservation(SkillCall("look_around"), True, "", 0, None, None, pieces=seen))
    >>> {p: round(q, 3) for p, q in b.distribution("mug_0").items()}
    {'dresser_0_drawer1': 0.333, 'dresser_0_drawer2': 0.333, 'room_1': 0.333}
    >>> _ = b.update(HouseObservation(SkillCall("open", ("dresser_0_drawer1",)), True, "", 0, "dresser_0", None,
    ...                               opened=(("dresser_0_drawer1", ()),)))
    >>> b.distribution("mug_0")
    {'dresser_0_drawer2': 0.5, 'room_1': 0.5}
    >>> round(b.entropy(), 3)
    1.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from perception.house_data import HouseObservation, Layout, PieceSeen

_DRAWER = re.compile(r"^(?P<piece>.+)_drawer\d+$")
_ROOM = re.compile(r"^room_(?P<k>\d+)$")
# words in a failed pick's reason that say the item is not there (not that the arm failed)
NOT_THERE = ("nothing to grasp", "not found", "not there", "no such item", "not visible", "not on", "not in",
             "is hidden", "not at")


def room_place(k: int) -> str:
    """The placeholder (and navigation target) for room k."""
    return f"room_{k}"


def room_of_place(name: str) -> int | None:
    """k for ``room_<k>``, else None."""
    m = _ROOM.match(name or "")
    return int(m["k"]) if m else None


def piece_of(name: str, pieces: dict[str, PieceSeen] | None = None) -> str:
    """The furniture piece a place belongs to: a drawer's dresser, else the place itself."""
    for p in (pieces or {}).values():
        if name == p.name or name in p.containers:
            return p.name
    m = _DRAWER.match(name)
    return m["piece"] if m else name


@dataclass(frozen=True)
class Place:
    name: str
    relation: str  # "on" (a support) or "in" (a container)
    piece: str
    room: int | None
    position: tuple[float, float] | None


def places_of(p: PieceSeen) -> list[Place]:
    """A piece's places: its containers (a dresser's drawers, a cupboard) or its top."""
    if p.containers:
        return [Place(c, "in", p.name, p.room, p.position) for c in p.containers]
    return [Place(p.name, "on", p.name, p.room, p.position)]


def _entropy(dist: dict[str, float]) -> float:
    return -sum(q * math.log2(q) for q in dist.values() if q > 0)


class HouseBelief:
    def __init__(self, layout: Layout, miss: float = 0.0) -> None:
        if not isinstance(miss, (int, float)) or isinstance(miss, bool) or not 0.0 <= miss < 1.0:
            raise ValueError(f"miss must be a probability in [0, 1), got {miss!r}")
        self.layout = layout
        self.miss = float(miss)  # chance that a look_around misses an item standing on a support it shows
        self.pieces: dict[str, PieceSeen] = {}
        self.places: dict[str, Place] = {}
        self.items: set[str] = set()  # every item heard of (task) or seen
        self.explored: set[int] = set()  # rooms looked around in
        self.centre_looked: set[int] = set()  # rooms looked around in from their middle (parked at no piece)
        self.unreachable: set[int] = set()  # rooms the robot could not get to
        self.room = layout.start_room
        self.at: str | None = None
        self.holding: str | None = None
        self.located: dict[str, tuple[str, str | None]] = {}  # item -> (relation, place); ("holding", None)
        self.new_episode()

    def new_episode(self) -> None:
        """Forget what is only true of one episode (see `restart` for what is kept)."""
        self.contents: dict[str, set[str]] = {}  # place -> its items, for places looked into this episode
        self.excluded: dict[str, set[str]] = {}  # item -> places it was looked for and not found
        self.far: dict[str, set[str]] = {}  # supports only swept from afar (look_around, miss > 0) -> items seen
        self.open: set[str] = set()
        self.stale: set[str] = set()
        self.room, self.at, self.holding = self.layout.start_room, None, None

    def restart(self, layout: Layout | None = None) -> None:
        """A new episode in the same house, memory kept: pieces, explored rooms, and where
        items were last seen (now stale: to be checked), not the places' known contents."""
        self.layout = layout or self.layout
        self.located = {i: r for i, r in self.located.items() if r[0] != "holding"}
        self.new_episode()
        self.stale = set(self.located)

    # -- what is known -----------------------------------------------------------------------
    def add_items(self, names) -> None:
        """Items the agent was told about (the task's named items)."""
        self.items |= {n for n in names if not n.endswith("_*")}

    def add_piece(self, p: PieceSeen) -> None:
        self.pieces[p.name] = p
        for pl in places_of(p):
            self.places[pl.name] = pl

    def place_relation(self, name: str) -> str:
        if name in self.places:
            return self.places[name].relation
        return "in" if _DRAWER.match(name) or name.startswith("cupboard") else "on"

    def piece(self, name: str) -> str:
        return piece_of(name, self.pieces)

    def position(self, name: str | None) -> tuple[float, float] | None:
        """World xy of a piece or place (None when not seen), or of a room placeholder's centre."""
        if name is None:
            return None
        k = room_of_place(name)
        if k is not None:
            return self.room_centre(k)
        p = self.pieces.get(self.piece(name))
        return p.position if p is not None else None

    def room_centre(self, k: int) -> tuple[float, float] | None:
        if k in self.layout.rooms:
            return self.layout.room_centres[self.layout.rooms.index(k)]
        return None

    def robot_xy(self) -> tuple[float, float]:
        """Where the robot is believed to be: its parked piece, else its room's centre."""
        return self.position(self.at) or self.room_centre(self.room) or (0.0, 0.0)

    def unknown_places(self) -> list[str]:
        """Known places whose contents have not been seen this episode, then the placeholders
        of rooms not yet looked around in (not those the robot could not reach)."""
        known = sorted(p for p in self.places if p not in self.contents and p not in self.far)
        rooms = [room_place(k) for k in self.layout.rooms if k not in self.explored and k not in self.unreachable]
        return known + rooms

    def distribution(self, item: str) -> dict[str, float]:
        """P(item is at place): 1 at its located place (``"holding"`` when held), else uniform
        over its candidates (the prior, see the module doc), a support only swept from afar
        and a room only looked around in from beside a piece weighing `miss` instead of 1;
        {} when nothing is left."""
        if item in self.located:
            rel, place = self.located[item]
            return {"holding" if rel == "holding" else place: 1.0}
        gone = self.excluded.get(item, ())
        weights = {p: 1.0 for p in self.unknown_places() if p not in gone}
        if self.miss > 0:
            weights.update({p: self.miss for p in sorted(self.far) if p not in gone and p not in self.contents})
            # a look_around from beside a piece may not have shown every piece of its room:
            # such a room keeps a placeholder (look again from its middle) at weight `miss`
            weights.update({room_place(k): self.miss for k in sorted(self.explored - self.centre_looked - self.unreachable)
                            if room_place(k) not in gone})
        total = sum(weights.values())
        return {p: w / total for p, w in sorted(weights.items(), key=lambda x: (room_of_place(x[0]) is not None, x[0]))}

    def relation(self, item: str) -> tuple[str, str | None, float]:
        """(relation, place, confidence): where the item is believed to be. A located item is
        ``on``/``in``/``holding`` with confidence 1; otherwise ``unknown`` with the most
        probable candidate (None for a room placeholder or when none is left) and its
        probability."""
        if item in self.located:
            rel, place = self.located[item]
            return rel, place, 1.0
        dist = self.distribution(item)
        if not dist:
            return "unknown", None, 0.0
        best = max(sorted(dist), key=lambda p: dist[p])
        return "unknown", None if room_of_place(best) is not None else best, dist[best]

    def snapshot(self) -> dict:
        """item -> {"relation", "place", "confidence"} for every item heard of."""
        out = {}
        for item in sorted(self.items):
            rel, place, conf = self.relation(item)
            out[item] = {"relation": rel, "place": place, "confidence": round(conf, 4)}
        return out

    def entropy(self) -> float:
        """Bits of uncertainty over the places of the items heard of (sum of each item's
        distribution's entropy; located items count 0)."""
        return float(sum(_entropy(self.distribution(i)) for i in sorted(self.items)))

    def containment_accuracy(self, truth) -> float:
        """`containment_accuracy` of this belief's snapshot."""
        return containment_accuracy(self.snapshot(), truth)

    # -- revising ------------------------------------------------------------------------------
    def _locate(self, item: str, rel: str, place: str | None) -> None:
        self.items.add(item)
        self.located[item] = (rel, place)
        self.stale.discard(item)
        self.excluded.pop(item, None)

    def _unlocate(self, item: str, place: str | None) -> None:
        self.located.pop(item, None)
        self.stale.discard(item)
        if place is not None:
            self.excluded.setdefault(item, set()).add(place)

    def _seen_contents(self, place: str, inside: set[str], out: list[str], near: bool = True) -> None:
        """The full contents of `place` were seen (from afar: a look_around, which may miss
        an item with probability `miss`): revise every item believed there."""
        far = not near and self.miss > 0
        for item, (rel, where) in sorted(self.located.items()):
            if where == place and item not in inside and not far:  # from afar it may just have been overlooked
                out.append(f"{place} is empty ({item} is not in it as believed)" if not inside and rel == "in"
                           else f"{item} is not {rel} {place} as believed")
                self._unlocate(item, place)
        rel = self.place_relation(place)
        for item in sorted(inside):
            if item in self.located and self.located[item] != (rel, place) and self.located[item][0] != "holding":
                out.append(f"{item} is {rel} {place}, not {self.located[item][0]} {self.located[item][1]} as believed")
            self._locate(item, rel, place)
        if far:
            if place not in self.contents:
                self.far[place] = set(inside)
            return
        self.contents[place] = set(inside)
        self.far.pop(place, None)

    def update(self, obs: HouseObservation) -> list[str]:
        """Take in one observation; returns the contradictions it revealed (and revised)."""
        out: list[str] = []
        call = obs.call
        self.room = obs.room
        self.at = obs.at
        for p in obs.pieces:
            self.add_piece(p)
        looked = call is not None and call.skill == "look_around" and obs.success
        if looked:
            self.explored.add(obs.room)
            if obs.at is None:
                self.centre_looked.add(obs.room)
        if call is not None and call.skill == "navigate_to" and not obs.success and room_of_place(call.args[0]) is not None \
                and obs.room != room_of_place(call.args[0]):
            self.unreachable.add(room_of_place(call.args[0]))
        # the hand
        before = self.holding
        self.holding = obs.holding
        if obs.holding is not None:
            if before != obs.holding and self.located.get(obs.holding, ("", None))[1] is not None:
                self.contents.get(self.located[obs.holding][1], set()).discard(obs.holding)
            self._locate(obs.holding, "holding", None)
        if before is not None and before != obs.holding:
            placed = call is not None and call.skill == "place" and obs.success and call.args[0] == before
            if placed:
                target = call.args[1]
                rel = self.place_relation(target)
                self._locate(before, rel, target)
                for known in (self.contents, self.far):
                    if target in known:
                        known[target].add(before)
            else:
                out.append(f"{before} is no longer held")
                self._unlocate(before, None)
        # items seen where they are
        seen_on: dict[str, set[str]] = {}
        for rel, item, place in obs.items:
            seen_on.setdefault(place, set()).add(item)
            if item == self.holding:
                continue
            old = self.located.get(item)
            if old is not None and old != (rel, place) and old[0] != "holding":
                out.append(f"{item} is {rel} {place}, not {old[0]} {old[1]} as believed")
            self._locate(item, rel, place)
        # places whose whole contents were seen: open containers, the support parked at,
        # the supports swept by a look_around
        for c, inside in obs.opened:
            self.open.add(c)
            if c not in self.places:
                self.places[c] = Place(c, "in", self.piece(c), obs.room, self.position(c))
            self._seen_contents(c, set(inside) - ({self.holding} if self.holding else set()), out)
        for c in obs.closed:
            self.open.discard(c)
        if call is not None and call.skill == "close" and (obs.success or "already closed" in obs.reason):
            self.open.discard(call.args[0])
        if call is not None and call.skill == "open" and not obs.success and "already open" in obs.reason:
            self.open.add(call.args[0])
        shown = {p.name for p in obs.pieces}
        near = obs.at if obs.at in shown and obs.at in self.places and self.places[obs.at].relation == "on" else None
        if near is not None:  # parked at a support the observation shows
            self._seen_contents(near, seen_on.get(near, set()), out)
        if looked:
            for s in sorted(p.name for p in obs.pieces if not p.containers and p.room == obs.room and p.name != near):
                self._seen_contents(s, seen_on.get(s, set()), out, near=False)
        # a pick that found nothing
        if call is not None and call.skill == "pick" and not obs.success and any(w in obs.reason for w in NOT_THERE):
            item = call.args[0]
            rel, place = self.located.get(item, ("", None))
            if rel != "holding":
                out.append(f"pick({item}) found nothing to grasp")
                self._unlocate(item, place)
                if place in self.contents:
                    self.contents[place].discard(item)
        return out

    def set_truth(self, truth) -> None:
        """Replace the belief by the true state (the oracle's sensors): every item located,
        every place's contents known, open containers and the hand as they are."""
        self.contents = {p: set() for p in self.places}
        self.far = {}
        self.open = set()
        self.located = {}
        self.excluded = {}
        for f in sorted(truth, key=repr):
            if f[0] in ("on", "in") and len(f) == 3:
                _, item, place = f
                if place not in self.places:
                    self.places[place] = Place(place, f[0], self.piece(place), None, self.position(place))
                self._locate(item, f[0], place)
                self.contents.setdefault(place, set()).add(item)
            elif f[0] == "holding":
                self._locate(f[1], "holding", None)
                self.holding = f[1]
            elif f[0] == "open":
                self.open.add(f[1])
            elif f[0] == "at":
                self.at = f[1]
            elif f[0] == "room":
                self.room = f[1]
        if not any(f[0] == "holding" for f in truth):
            self.holding = None
        self.explored = set(self.layout.rooms)


def truth_places(truth) -> dict[str, tuple[str, str | None]]:
    """item -> (relation, place) from executor facts; a held item is ("holding", None).

    >>> truth_places({("on", "mug_0", "table_0"), ("holding", "duck_0"), ("open", "cupboard_0")})
    {'duck_0': ('holding', None), 'mug_0': ('on', 'table_0')}
    """
    out: dict[str, tuple[str, str | None]] = {}
    for f in sorted(truth, key=repr):
        if f[0] in ("on", "in") and len(f) == 3:
            out[f[1]] = (f[0], f[2])
        elif f[0] == "holding":
            out[f[1]] = ("holding", None)
    return dict(sorted(out.items()))


def containment_accuracy(snapshot: dict, truth) -> float:
    """Share of the true items (facts ``("on"|"in", item, place)``, ``("holding", item)``)
    whose believed relation and place (`snapshot`: item -> {"relation", "place"}) are the true
    ones; unknown counts as wrong, a held item matches ``holding``. 1.0 when the truth has no items.

    >>> containment_accuracy({"mug_0": {"relation": "on", "place": "table_0"}},
    ...                      {("on", "mug_0", "table_0"), ("in", "can_0", "cupboard_0")})
    0.5
    """
    true = truth_places(truth)
    if not true:
        return 1.0
    hits = 0
    for item, (rel, place) in true.items():
        b = snapshot.get(item) or {}
        hits += b.get("relation") == rel and (rel == "holding" or b.get("place") == place)
    return hits / len(true)


def belief_inertia(old: dict[str, tuple[str, str]], moves, snapshot: dict,
                   final: dict[str, tuple[str, str]] | None = None) -> float | None:
    """Belief Inertia after a false-belief episode: among the moved items (`moves`: (item,
    new place) pairs, items whose place really changed: `old` gives each item's (relation,
    place) before the move), the share the agent still believes at the old place (relation
    and place both) at the end of the second episode. With `final` (each item's true
    (relation, place) at the end), items that are back at their old place then (the second
    task put them there) are left out: believing the old place is right for them. None
    when no item counts.

    >>> belief_inertia({"mug_0": ("on", "table_1"), "can_0": ("in", "cupboard_0")},
    ...                [("mug_0", "table_2"), ("can_0", "table_1")],
    ...                {"mug_0": {"relation": "on", "place": "table_2"}, "can_0": {"relation": "in", "place": "cupboard_0"}})
    0.5
    >>> belief_inertia({"mug_0": ("on", "table_1")}, [("mug_0", "table_2")], {"mug_0": {"relation": "on", "place": "table_1"}},
    ...                final={"mug_0": ("on", "table_1")}) is None
    True
    """
    hits = []
    for item, new in moves:
        if item not in old or old[item][1] == new or (final is not None and tuple(final.get(item, ())) == tuple(old[item])):
            continue
        b = snapshot.get(item) or {}
        hits.append(b.get("relation") == old[item][0] and b.get("place") == old[item][1])
    return sum(hits) / len(hits) if hits else None


__all__ = ["NOT_THERE", "HouseBelief", "Place", "belief_inertia", "containment_accuracy", "truth_places", "piece_of", "places_of", "room_of_place", "room_place"]
