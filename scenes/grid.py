"""The walkable grid of a scene as a networkx graph.

Nodes are (x, y) world positions: the centres of free cells, plus one node per open door
at the middle of its opening. Edges join 4-neighbours inside a room, diagonal neighbours
when both cells beside the diagonal are free too (so a path never clips an object's
corner), and each door to the cell on either side. Edge weight = length in metres.

Example:
    >>> from scenes.generate import generate_scene
    >>> g = walkable_graph(generate_scene(seed=0))
    >>> nx.is_connected(g)
    True
"""

from __future__ import annotations

import math

import networkx as nx

from scenes.spec import SceneSpec


def room_cells(room) -> list[tuple[float, float]]:
    return [(room.x0 + i + 0.5, room.y0 + j + 0.5) for j in range(room.height) for i in range(room.width)]


def door_sides(door) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two cell centres on either side of a door."""
    x, y = door.position
    if door.axis == "x":  # wall runs east-west: cells to the south and north
        return (x, y - 0.5), (x, y + 0.5)
    return (x - 0.5, y), (x + 0.5, y)


def walkable_graph(spec: SceneSpec) -> nx.Graph:
    occupied = {tuple(o.position) for o in spec.objects}
    g = nx.Graph()
    for room in spec.rooms:
        free = {c for c in room_cells(room) if c not in occupied}
        for c in free:
            g.add_node(c, kind="cell", room=room.id)
        for x, y in free:
            for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
                n = (x + dx, y + dy)
                if n not in free:
                    continue
                if dx and dy and not ((x + dx, y) in free and (x, y + dy) in free):
                    continue
                g.add_edge((x, y), n, weight=math.hypot(dx, dy))
    for door in spec.doors:
        if not door.open:
            continue
        g.add_node(door.position, kind="door", name=door.name)
        for side in door_sides(door):
            if side in g:
                g.add_edge(door.position, side, weight=0.5)
    return g


def neighbours_of_object(g: nx.Graph, position) -> list[tuple[float, float]]:
    """Free cells 4-adjacent to an object's cell (where a robot can stand next to it)."""
    x, y = position
    return [c for c in ((x, y - 1), (x - 1, y), (x + 1, y), (x, y + 1)) if c in g and g.nodes[c]["kind"] == "cell"]
