"""The symbolic state of a tabletop world, read from the simulator. One function: tasks and
skills both use it.

Literals (tuples): ("holding", a), ("on", a, b) with b a block or "table", ("in", a, c) with
c a container or the drawer, ("open", drawer), ("visible", a) from the head camera,
("at", "robot", region).

Example:
    >>> from scenes.suites import load_table_scene
    >>> from sim.manip.world import ManipWorld
    >>> sorted(l for l in symbolic_state(ManipWorld(load_table_scene("table-pick", 0))) if l[0] == "on")
    [('on', 'block_0', 'table'), ('on', 'block_1', 'table')]
"""

from __future__ import annotations

import numpy as np

from scenes.tabletop import BLOCK_HALF, TABLE_HALF, TABLE_TOP
from sim.manip.base import CABINET_HALF, DRAWER_INNER, HOME, TabletopWorld

OPEN_AT = 0.08  # m of drawer travel
REGIONS = {  # name -> (centre, half extents) of TCP positions
    "home": (HOME, (0.06, 0.06, 0.06)),
    "table_left": ((-0.25, 0.0, TABLE_TOP + 0.15), (0.1, 0.2, 0.1)),
    "table_right": ((0.25, -0.15, TABLE_TOP + 0.15), (0.1, 0.1, 0.1)),
    "overview": ((0.0, -0.1, TABLE_TOP + 0.4), (0.08, 0.08, 0.08)),
}


def holding(w: TabletopWorld, name: str) -> bool:
    g = w.block_geom[name]
    touching = w.contacts_of(g)
    return w.finger_geoms <= touching and w.table_geom not in touching


def _support(w: TabletopWorld, name: str) -> str | None:
    p = w.block_pos(name)
    for other in w.blocks:
        if other == name:
            continue
        q = w.block_pos(other)
        if abs(p[2] - q[2] - 2 * BLOCK_HALF) < 0.012 and np.all(np.abs(p[:2] - q[:2]) < BLOCK_HALF * 1.2):
            return other
    if abs(p[2] - TABLE_TOP - BLOCK_HALF) < 0.012 and abs(p[0]) < TABLE_HALF[0] and abs(p[1]) < TABLE_HALF[1]:
        return "table"
    return None


def _inside(w: TabletopWorld, name: str) -> str | None:
    p = w.block_pos(name)
    for c in w.spec.containers:
        if np.all(np.abs(p[:2] - c.position) < np.asarray(c.half)) and TABLE_TOP < p[2] < TABLE_TOP + c.height + 2 * BLOCK_HALF:
            return c.name
    if w.spec.drawer is not None:
        d = w.spec.drawer
        centre = np.array([d.position[0], d.position[1] + 0.005 - w.drawer_opening()])
        if np.all(np.abs(p[:2] - centre) < np.asarray(DRAWER_INNER[:2])) and p[2] < TABLE_TOP + 2 * CABINET_HALF[2]:
            return d.name
    return None


def visible(w: TabletopWorld) -> set[str]:
    """Blocks the head camera sees (each world casts its own rays)."""
    return w.visible_blocks()


def at_regions(w: TabletopWorld) -> list[str]:
    p = w.tcp_pos()
    return [r for r, (c, h) in REGIONS.items() if np.all(np.abs(p - np.asarray(c)) <= np.asarray(h))]


def symbolic_state(w: TabletopWorld) -> set[tuple]:
    s: set[tuple] = set()
    for name in w.blocks:
        if holding(w, name):
            s.add(("holding", name))
            continue
        inside = _inside(w, name)
        if inside is not None:
            s.add(("in", name, inside))
        sup = _support(w, name)
        if sup is not None and not (sup == "table" and inside is not None):  # in a tray or drawer, not on the table
            s.add(("on", name, sup))
    if w.spec.drawer is not None and w.drawer_opening() > OPEN_AT:
        s.add(("open", w.spec.drawer.name))
    s |= {("visible", n) for n in visible(w)}
    s |= {("at", "robot", r) for r in at_regions(w)}
    return s
