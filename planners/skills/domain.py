"""The symbolic domain the planner searches: abstract states and grounded skills.

An abstract state is a frozenset of literals read from the simulator (holding, on, in,
open, visible). Primitive operators mirror the tabletop skills' preconditions and effects;
a composite skill is grounded by running its children's operators in sequence, so its
preconditions and effects are derived, never hand-written.

Example:
    >>> s = frozenset({("on", "a", "table"), ("on", "b", "table"), ("visible", "a"), ("visible", "b")})
    >>> sorted(apply(s, "grasp", ("a",)))
    [('holding', 'a'), ('on', 'b', 'table'), ('visible', 'a'), ('visible', 'b')]
"""

from __future__ import annotations

KEEP = ("holding", "on", "in", "open", "visible")
PRIMITIVE_OPS = ("grasp", "place", "open", "close")


def abstract(state) -> frozenset:
    return frozenset(tuple(lit) for lit in state if lit[0] in KEEP)


def _holding(s):
    return next((lit[1] for lit in s if lit[0] == "holding"), None)


def _clear(s, x) -> bool:
    return not any(lit[0] == "on" and lit[2] == x for lit in s)


def applicable(s: frozenset, op: str, args: tuple, objects: dict) -> bool:
    held = _holding(s)
    if op == "grasp":
        (o,) = args
        return held is None and o in objects["blocks"] and ("visible", o) in s and _clear(s, o)
    if op == "place":
        o, t = args
        if held != o or t == o:
            return False
        if t in objects["blocks"]:
            return _clear(s, t) and any(lit[:2] == ("on", t) or lit[:2] == ("in", t) for lit in s)
        if t in objects["containers"] or t == "table":
            return True
        if t in objects["drawers"]:
            return ("open", t) in s
        return False
    if op == "open":
        (d,) = args
        return held is None and d in objects["drawers"] and ("open", d) not in s
    if op == "close":
        (d,) = args
        return held is None and d in objects["drawers"] and ("open", d) in s
    return False


def apply(s: frozenset, op: str, args: tuple) -> frozenset:
    out = set(s)
    if op == "grasp":
        (o,) = args
        out = {lit for lit in out if not (lit[0] in ("on", "in") and lit[1] == o)}
        out.add(("holding", o))
    elif op == "place":
        o, t = args
        out.discard(("holding", o))
        out.add(("on", o, t) if (t == "table" or t.startswith("block")) else ("in", o, t))
    elif op == "open":
        (d,) = args
        out.add(("open", d))
        out |= {("visible", lit[1]) for lit in s if lit[0] == "in" and lit[2] == d}
    elif op == "close":
        (d,) = args
        out.discard(("open", d))
        out -= {("visible", lit[1]) for lit in s if lit[0] == "in" and lit[2] == d}
    return frozenset(out)


def groundings(op: str, objects: dict) -> list[tuple]:
    blocks, targets = objects["blocks"], objects["blocks"] + objects["containers"] + objects["drawers"] + ["table"]
    if op == "grasp":
        return [(b,) for b in blocks]
    if op == "place":
        return [(b, t) for b in blocks for t in targets if t != b]
    return [(d,) for d in objects["drawers"]]


def expand_composite(steps: list[dict], binding: dict) -> list[tuple]:
    """Children of a composite as (op, args) with its variables bound."""
    out = []
    for st in steps:
        args = tuple(binding.get(v, v) if isinstance(v, str) and v.startswith("?") else v for v in st["args"].values())
        out.append((st["skill"], args))
    return out


def composite_groundings(params: dict, steps: list[dict], state: frozenset, objects: dict):
    """Every binding of a composite's parameters to distinct scene objects under which all its
    children apply in sequence from `state`: yields (objects chosen, binding, resulting state)."""
    import itertools

    names = list(params)
    everything = objects["blocks"] + objects["containers"] + objects["drawers"] + ["table"]
    pools = [objects["blocks"] if params[n].get("role") == "block" else everything for n in names]
    for combo in itertools.product(*pools):
        if len(set(combo)) < len(combo):
            continue
        binding = {f"?{n}": v for n, v in zip(names, combo)}
        s = state
        for op, args in expand_composite(steps, binding):
            if not applicable(s, op, args, objects):
                break
            s = apply(s, op, args)
        else:
            yield combo, binding, s
