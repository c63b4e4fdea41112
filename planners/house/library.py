"""Composite house skills, admitted to the planner's library only once validated on the symbolic twin.

Each composite is a `planners.skills.record.SkillRecord` (kind ``composite``: parameters,
preconditions, effects and child steps ``{"skill": ..., "args": {"x": "?param"}}``), so it
can be saved to and loaded from a `planners.skills.library.SkillLibrary` directory like
the tabletop skills. Parameters are named by what they bind (``item``, ``container``,
``support``): the search grounds them over those objects (`planners.house.search.Macro`).

- ``fetch_from(container, item)``: navigate_to(container), open(container), pick(item)
- ``take_from(support, item)``: navigate_to(support), pick(item)
- ``carry_to(item, support)``: navigate_to(support), place(item, support)
- ``stow_in(item, container)``: navigate_to(container), open(container), place(item, container)

**Validation** (`validate`): a composite enters the library (status ``validated``) only
after it ran successfully on `n` seeded cases: house i of the suite (i = 0, 1, ...), a
fresh executor (the symbolic twin by default), a setup when the composite needs one
(pick an item first), then its steps one primitive at a time; a case succeeds when every
step succeeded and the composite's effects hold in the executor's true state. Houses with
no case for a composite (no item in a container, say) are skipped and listed under
``validated_on.not_applicable``. Any failed case keeps it a ``draft``: not used.

Example:
    >>> recs = composite_records()
    >>> [r.id for r in recs], recs[0].steps[1]
    (['fetch_from', 'take_from', 'carry_to', 'stow_in'], {'skill': 'open', 'args': {'container': '?container'}})
    >>> to_macro(recs[2])
    Macro(name='carry_to', params=('item', 'support'), steps=(('navigate_to', ('support',)), ('place', ('item', 'support'))))
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from perception.house_data import HOUSE_SKILLS, SkillCall
from planners.house.search import Macro
from planners.skills.record import SkillRecord

_S = {"type": "string"}
# id -> (params (name: description), steps [(skill, {arg: param})], preconditions, effects, description)
COMPOSITES = {
    "fetch_from": ({"container": "a closed drawer or cupboard", "item": "the item inside it"},
                   [("navigate_to", {"target": "container"}), ("open", {"container": "container"}), ("pick", {"item": "item"})],
                   ["in(item, container)", "not open(container)", "not holding(*)"], ["holding(item)", "open(container)"],
                   "Go to a closed container, open it and take the item out."),
    "take_from": ({"support": "a table, counter or shelf", "item": "the item on it"},
                  [("navigate_to", {"target": "support"}), ("pick", {"item": "item"})],
                  ["on(item, support)", "not holding(*)"], ["holding(item)"],
                  "Go to a support and pick the item standing on it."),
    "carry_to": ({"item": "the held item", "support": "a table, counter or shelf"},
                 [("navigate_to", {"target": "support"}), ("place", {"item": "item", "target": "support"})],
                 ["holding(item)"], ["on(item, support)", "not holding(item)"],
                 "Carry the held item to a support and set it down."),
    "stow_in": ({"item": "the held item", "container": "a closed drawer or cupboard"},
                [("navigate_to", {"target": "container"}), ("open", {"container": "container"}),
                 ("place", {"item": "item", "target": "container"})],
                ["holding(item)", "not open(container)"], ["in(item, container)", "open(container)", "not holding(item)"],
                "Carry the held item to a closed container, open it and put the item in."),
}


def composite_records() -> list[SkillRecord]:
    """The composites as (draft) skill records."""
    out = []
    for cid, (params, steps, pre, eff, desc) in COMPOSITES.items():
        for skill, args in steps:
            assert tuple(args) == HOUSE_SKILLS[skill], (cid, skill)  # the primitives' argument names, in order
        out.append(SkillRecord.from_dict({
            "id": cid, "version": 1, "kind": "composite", "description": desc,
            "params": {p: {**_S, "description": d} for p, d in params.items()}, "preconditions": pre, "effects": eff,
            "steps": [{"skill": s, "args": {a: f"?{p}" for a, p in args.items()}} for s, args in steps],
            "provenance": {"by": "planners.house.library", "from": "hand-written sequence of house primitives"}}))
    return out


def to_macro(rec: SkillRecord) -> Macro:
    """The search operator for a composite record (arguments "?param" bind the parameter)."""
    def arg(v):
        return v[1:] if isinstance(v, str) and v.startswith("?") else str(v)

    steps = tuple((s["skill"], tuple(arg(s["args"][a]) for a in HOUSE_SKILLS[s["skill"]])) for s in rec.steps)
    return Macro(rec.id, tuple(sorted(rec.params)), steps)  # sorted: a saved record's JSON sorts its keys


def _case(cid: str, truth) -> tuple[list[SkillCall], dict, set] | None:
    """(setup calls, binding, expected facts) for composite `cid` in a house whose true
    state is `truth`, or None when the house offers no case (the first fitting items)."""
    on = sorted((f[1], f[2]) for f in truth if f[0] == "on")
    inside = sorted((f[1], f[2]) for f in truth if f[0] == "in")
    supports = sorted({p for _, p in on})
    containers = sorted({p for _, p in inside})
    if cid == "fetch_from" and inside:
        item, c = inside[0]
        return [], {"container": c, "item": item}, {("holding", item), ("open", c)}
    if cid == "take_from" and on:
        item, s = on[0]
        return [], {"support": s, "item": item}, {("holding", item)}
    if cid == "carry_to" and on and len(supports) > 1:
        item, s = on[0]
        other = next(x for x in supports if x != s)
        return [SkillCall("navigate_to", (s,)), SkillCall("pick", (item,))], {"item": item, "support": other}, \
            {("on", item, other)}
    if cid == "stow_in" and on and containers:
        item, s = on[0]
        return [SkillCall("navigate_to", (s,)), SkillCall("pick", (item,))], {"item": item, "container": containers[0]}, \
            {("in", item, containers[0])}
    return None


def validate(rec: SkillRecord, make_exec, houses, n: int = 5, suite: str = "") -> SkillRecord:
    """Run composite `rec` on the first `n` houses that offer a case (`houses`: an iterable
    of (seed, HouseSpec)); `make_exec(house)` gives a fresh executor. Returns the record with
    its stats and ``validated`` status when all n cases succeeded (``draft`` otherwise)."""
    macro = to_macro(rec)
    seeds, skipped, ok, setup_failures = [], [], 0, 0
    for seed, house in houses:
        if len(seeds) >= n:
            break
        ex = make_exec(house)
        try:
            ex.reset()
            case = _case(rec.id, ex.truth())
            if case is None:
                skipped.append(seed)
                continue
            setup, binding, expect = case
            if not all(ex.execute(c).success for c in setup):
                setup_failures += 1
                skipped.append(seed)
                continue
            seeds.append(seed)
            good = all(ex.execute(c).success for c in macro.ground(binding))
            ok += good and expect <= set(ex.truth())
        finally:
            ex.close()
    status = "validated" if seeds and len(seeds) >= n and ok == len(seeds) else "draft"
    return replace(rec, stats={"attempts": len(seeds), "successes": ok, "mean_steps": float(len(rec.steps))},
                   status=status, validated_on={"scene_family": suite, "backend": "symbolic", "trials": len(seeds),
                                                "seeds": seeds, "not_applicable": skipped, "setup_failures": setup_failures,
                                                "by": "planners.house.library.validate"})


def validated_library(make_exec, houses, n: int = 5, suite: str = "") -> list[SkillRecord]:
    """Every composite validated on `n` cases; only the ``validated`` ones are returned."""
    houses = list(houses)
    recs = [validate(r, make_exec, houses, n, suite) for r in composite_records()]
    return [r for r in recs if r.status == "validated"]


@lru_cache(maxsize=4)
def default_macros(suite: str = "house-3room", n: int = 5) -> tuple[Macro, ...]:
    """The composites validated on the symbolic twin of `suite`'s houses 0, 1, ... (cached
    per process: about 0.1 s)."""
    from scenes.house import load_house
    from sim.manip.house_exec import make_executor

    houses = ((i, load_house(suite, i)) for i in range(min(100, 4 * n)))
    recs = validated_library(lambda h: make_executor(h, "symbolic"), houses, n, suite)
    return tuple(to_macro(r) for r in recs)


def save_library(root: str, recs: list[SkillRecord]) -> list[str]:
    """Write validated records into a `SkillLibrary` directory; returns the paths."""
    from planners.skills.library import SkillLibrary

    lib = SkillLibrary(root)
    return [lib.save(r) for r in recs]


def load_macros(root: str) -> tuple[Macro, ...]:
    """The validated house composites of a `SkillLibrary` directory (latest versions)."""
    from planners.skills.library import SkillLibrary

    lib = SkillLibrary(root)
    out = []
    for cid in COMPOSITES:
        rec = lib.latest(cid)
        if rec is not None and rec.status == "validated":
            out.append(to_macro(rec))
    return tuple(out)


__all__ = ["COMPOSITES", "composite_records", "default_macros", "load_macros", "save_library", "to_macro", "validate",
           "validated_library"]
