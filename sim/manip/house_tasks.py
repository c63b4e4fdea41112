"""House tasks (issue 17) and issue 16's house manipulation tasks, deterministic in (house, seed).

- ``fetch``: bring an item standing on a support to a support in another room.
- ``stow``: put every item of a kind (``"<kind>_*"``) into one container (a top drawer or a
  cupboard: `hiding_places`); the kind has at least two items when the house has such a
  kind, else it is a kind with one item.
- ``find``: an item hidden in a closed drawer or the cupboard (the agent is not told which)
  must end on a named support.
- ``rearrange``: a goal configuration of three items, each on a support it is not on now.
- `false_belief_moves`: after a first episode, the task's items and one other item go to
  places the agent would not expect: a closed container or a support in another room.
- `scripted_plan`: a correct plan read off the true state (tests, reference).
- `HOUSE_MANIP_TASKS`: issue 16's tasks for ``spacelab manip tasks``: pick-and-place across
  rooms, and fetch from a closed drawer (the agent is told where the item is).

Example:
    >>> from scenes.house import load_house
    >>> h = load_house("house-3room", 0)
    >>> t = make_task("fetch", h, seed=0)
    >>> t == make_task("fetch", h, seed=0), t.kind, t.max_skills
    (True, 'fetch', 25)
    >>> t.goal[0][0]
    'on'
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from perception.house_data import TASK_KINDS, HouseTask, SkillCall
from scenes.house import HouseSpec

MAX_SKILLS = {"fetch": 25, "find": 40, "rearrange": 60}  # stow: 10 + 12 per item


def _rng(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, 17, *salt])


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(len(options)))]


def _room_of_place(house: HouseSpec, place: str) -> int:
    return house.piece(place).room


def hiding_places(house: HouseSpec) -> list[str]:
    """The containers items hide in: top drawers and cupboards (as in the house generator).
    Bottom drawers are left out of tasks: their knobs (0.30 m up) are out of the mobile
    Panda's reach from its parking pose (no IK solution), so a task needing one would
    measure that gap, not the planner."""
    return [f.containers[0] for f in house.furniture if f.containers]


def _start(house: HouseSpec, names) -> dict:
    return {n: [house.item(n).relation, house.item(n).support] for n in names}


def fetch_task(house: HouseSpec, seed: int) -> HouseTask:
    """An item on a support -> a support in another room (any item and any other support
    when the house has no such pair)."""
    rng = _rng(seed, 0)
    supports = house.names("support")
    pairs = [(i.name, s) for i in house.items if i.relation == "on" for s in supports
             if house.piece(s).room != _room_of_place(house, i.support)]
    if not pairs:
        pairs = [(i.name, s) for i in house.items for s in supports if s != i.support]
    if not pairs:
        raise ValueError(f"house {house.suite}:{house.seed} has no item and support to make a fetch task")
    item, target = _pick(rng, sorted(pairs))
    return HouseTask("fetch", (("on", item, target),), f"Bring {item} to {target}.", MAX_SKILLS["fetch"],
                     {"start": _start(house, [item])})


def stow_task(house: HouseSpec, seed: int) -> HouseTask:
    """Every item of one kind into one container that does not already hold them all."""
    rng = _rng(seed, 1)
    by_kind: dict[str, list[str]] = {}
    for i in house.items:
        by_kind.setdefault(i.kind, []).append(i.name)
    many = sorted(k for k, v in by_kind.items() if len(v) >= 2)
    kind = _pick(rng, many or sorted(by_kind))
    names = sorted(by_kind[kind])
    containers = [c for c in hiding_places(house)
                  if not all(house.item(n).relation == "in" and house.item(n).support == c for n in names)]
    if not containers:
        raise ValueError(f"house {house.suite}:{house.seed} has no container to stow {kind} items in")
    target = _pick(rng, sorted(containers))
    return HouseTask("stow", (("in", f"{kind}_*", target),), f"Put every {kind} in the house into {target}.",
                     10 + 12 * len(names), {"start": _start(house, names)})


def find_task(house: HouseSpec, seed: int) -> HouseTask:
    """An item hidden in a closed container -> a support (any item when none is hidden)."""
    rng = _rng(seed, 2)
    hidden = sorted(i.name for i in house.items if i.relation == "in") or sorted(i.name for i in house.items)
    item = _pick(rng, hidden)
    supports = sorted(s for s in house.names("support") if s != house.item(item).support)
    target = _pick(rng, supports)
    return HouseTask("find", (("on", item, target),),
                     f"{item} is hidden in a closed drawer or cupboard somewhere in the house. Find it and put it on {target}.",
                     MAX_SKILLS["find"], {"start": _start(house, [item])})


def rearrange_task(house: HouseSpec, seed: int) -> HouseTask:
    """Three items (fewer in a house with fewer), each onto a support it is not on now;
    targets differ from each other when the house has enough supports."""
    rng = _rng(seed, 3)
    names = sorted(i.name for i in house.items)
    chosen = sorted(names[int(k)] for k in rng.permutation(len(names))[:3])
    supports = sorted(house.names("support"))
    options = [[s for s in supports if s != house.item(n).support] for n in chosen]
    # distinct targets when an assignment exists (the first, in a seeded order), else any
    order = [supports[int(k)] for k in rng.permutation(len(supports))]
    targets = next((a for a in itertools.permutations(order, len(chosen))
                    if all(t in o for t, o in zip(a, options))), None)
    if targets is None:
        targets = [_pick(rng, o) for o in options]
    goal = [("on", n, t) for n, t in zip(chosen, targets)]
    text = "Rearrange the house: " + "; ".join(f"put {n} on {s}" for _, n, s in goal) + "."
    return HouseTask("rearrange", tuple(goal), text, MAX_SKILLS["rearrange"], {"start": _start(house, chosen)})


_MAKERS: dict[str, Callable[[HouseSpec, int], HouseTask]] = {
    "fetch": fetch_task, "stow": stow_task, "find": find_task, "rearrange": rearrange_task}


def make_task(kind: str, house: HouseSpec, seed: int) -> HouseTask:
    """A task of `kind` (one of TASK_KINDS) in `house`; the same (house, seed) always gives
    the same task."""
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown house task {kind!r}; choose one of: {', '.join(TASK_KINDS)}")
    return _MAKERS[kind](house, seed)


def _places_now(house: HouseSpec, truth) -> dict[str, tuple[str, str]]:
    places = {i.name: (i.relation, i.support) for i in house.items}
    for f in truth:
        if f[0] in ("on", "in") and len(f) == 3:
            places[f[1]] = (f[0], f[2])
    return places


def false_belief_moves(house: HouseSpec, truth: frozenset, task: HouseTask, seed: int) -> list[tuple[str, str]]:
    """(item, new place) for the task's items and one other item: each goes, by a seeded
    coin, into a top drawer or cupboard that is closed in `truth` or onto a support in another room than
    the one it is in now (the other kind when one is missing), never onto its goal place;
    destinations differ when the house has enough of them. A held item counts as being where the house first had it."""
    rng = _rng(seed, 4)
    names = [i.name for i in house.items]
    now = _places_now(house, truth)
    open_ = {f[1] for f in truth if f[0] == "open"}
    goal = task.expand(names)
    goal_items = list(dict.fromkeys(n for _, n, _ in goal))
    others = [n for n in names if n not in goal_items]
    movers = goal_items + ([_pick(rng, others)] if others else [])
    closed = [c for c in hiding_places(house) if c not in open_]
    supports = house.names("support")
    used: set[str] = set()
    moves = []
    for n in movers:
        place = now[n][1]
        room = house.piece(place).room
        banned = {place} | {p for _, m, p in goal if m == n}  # never onto its goal: that would do the task
        hide = [c for c in closed if c not in banned]
        away = [s for s in supports if house.piece(s).room != room and s not in banned]
        options = [hide, away] if rng.random() < 0.5 else [away, hide]
        options = [o for o in options if o] or [[p for p in supports + closed if p not in banned]]
        first = options[0]
        fresh = [p for p in first if p not in used] or first
        dest = _pick(rng, fresh)
        used.add(dest)
        moves.append((n, dest))
    return moves


def pick_place_task(house: HouseSpec, seed: int) -> HouseTask:
    """Issue 16: pick an item from a support and place it on a support in another room; the
    text says where the item is."""
    t = fetch_task(house, seed)
    _, item, target = t.goal[0]
    src = house.item(item).support
    return HouseTask("fetch", t.goal, f"Pick {item} up from {src} and place it on {target} (room {house.piece(target).room}).",
                     12, {**t.extra, "manip": "house-pick-place"})


def fetch_drawer_task(house: HouseSpec, seed: int) -> HouseTask:
    """Issue 16: take an item out of a closed drawer and put it on a support (in another room
    when there is one); the text names the drawer."""
    rng = _rng(seed, 5)
    in_drawers = sorted(i.name for i in house.items if i.relation == "in" and house.piece(i.support).kind == "dresser")
    if not in_drawers:
        raise ValueError(f"house {house.suite}:{house.seed} has no item in a drawer")
    item = _pick(rng, in_drawers)
    drawer = house.item(item).support
    room = house.piece(drawer).room
    supports = sorted(house.names("support"))
    target = _pick(rng, [s for s in supports if house.piece(s).room != room] or supports)
    return HouseTask("fetch", (("on", item, target),),
                     f"Fetch {item} from the closed drawer {drawer} and put it on {target}.", 14,
                     {"start": _start(house, [item]), "manip": "house-fetch-drawer"})


def scripted_plan(house: HouseSpec, truth, task: HouseTask, items) -> list[SkillCall]:
    """A correct plan read off the true state (no search, no monitoring): for each unmet goal
    relation, open a closed target container first (the hand must be empty to open), go to
    the item, open its closed container, pick it, go to the target, place it. For tests and
    as a reference; it assumes every skill succeeds.

    >>> from scenes.house import load_house
    >>> h = load_house("house-2room", 0)
    >>> t = HouseTask("fetch", (("on", "mug_1", "table_0"),), "Bring mug_1 to table_0.")
    >>> [str(c) for c in scripted_plan(h, {("on", "mug_1", "counter_0")}, t, ["mug_1"])]
    ['navigate_to(counter_0)', 'pick(mug_1)', 'navigate_to(table_0)', 'place(mug_1, table_0)']
    """
    place = {f[1]: (f[0], f[2]) for f in truth if f[0] in ("on", "in") and len(f) == 3}
    opened = {f[1] for f in truth if f[0] == "open"}
    held = next((f[1] for f in truth if f[0] == "holding"), None)
    containers = set(house.names("container"))
    calls: list[SkillCall] = []
    for rel, item, target in task.expand(items):
        if (rel, item, target) in truth:
            continue
        if target in containers and target not in opened and held != item:
            calls += [SkillCall("navigate_to", (target,)), SkillCall("open", (target,))]
            opened.add(target)
        if held != item:
            r, p = place[item]
            calls.append(SkillCall("navigate_to", (p,)))
            if r == "in" and p not in opened:
                calls.append(SkillCall("open", (p,)))
                opened.add(p)
            calls.append(SkillCall("pick", (item,)))
        calls += [SkillCall("navigate_to", (target,)), SkillCall("place", (item, target))]
        held = None
    return calls


HOUSE_MANIP_TASKS: dict[str, Callable[[HouseSpec, int], HouseTask]] = {
    "house-pick-place": pick_place_task, "house-fetch-drawer": fetch_drawer_task}

__all__ = ["HOUSE_MANIP_TASKS", "MAX_SKILLS", "false_belief_moves", "fetch_drawer_task", "fetch_task", "find_task", "hiding_places",
           "make_task", "pick_place_task", "rearrange_task", "scripted_plan", "stow_task"]
