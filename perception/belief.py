"""Belief metrics: how well a cognitive map matches the ground truth (Theory-of-Space definitions).

- pos = (K/N) * exp(-RMSE/L): N ground-truth entries, K of them present in the prediction,
  RMSE over those K, L = sqrt(mean |p|^2) over ground-truth entries that are neither
  doors nor the agent.
- dir: over all unordered pairs of ground-truth entries plus a virtual origin at (0, 0)
  (present in both maps), the share whose 8-bin allocentric direction matches; a pair
  with a missing entry is wrong; coincident points share their own "same" bin.
- facing: exact-match share over ground-truth entries with a facing that are not doors
  (1.0 when there are none).
- overall = (pos + dir + facing) / 3.

Example:
    >>> gt = CognitiveMap.from_dict({"agent": {"position": [0, 0], "facing": "north"}, "chair": [0, 2]})
    >>> score_map(gt, gt)["overall"]
    1.0
"""

from __future__ import annotations

import math
from itertools import combinations

import networkx as nx

from perception.cogmap import CognitiveMap

SAME_BIN = 8
ORIGIN = "__origin__"


def is_door(name: str) -> bool:
    return "door" in name


def direction_bin8(dx: float, dy: float, eps: float = 1e-9) -> int:
    """Allocentric 45-degree bin of a vector: 0 = north [-22.5, 22.5), 1 = north-east, ...;
    SAME_BIN for (near) zero vectors. Theta is clockwise from +y."""
    if math.hypot(dx, dy) <= eps:
        return SAME_BIN
    theta = round(math.degrees(math.atan2(dx, dy)), 9)  # bin edges are exact: -22.5 is north
    return int(((theta + 22.5) % 360.0) // 45.0) % 8


def scale_length(gt: CognitiveMap) -> float:
    """L = sqrt(mean |p|^2) over non-door, non-agent ground-truth entries (1.0 if none)."""
    pts = [e.position for n, e in gt.entries.items() if n != "agent" and not is_door(n) and e.position]
    if not pts:
        return 1.0
    return math.sqrt(sum(x * x + y * y for x, y in pts) / len(pts)) or 1.0


def score_map(pred: CognitiveMap, gt: CognitiveMap, bins: dict | None = None) -> dict:
    """pos, dir, facing, overall (plus K, N, rmse) of `pred` against `gt`.

    bins: a dict to remember direction bins in, {(dx, dy): bin}, shared by the calls of one
    episode (its probes score the same offsets again and again: objects stay put, and each
    map is scored in full and on what has been seen)."""
    names = [n for n, e in gt.entries.items() if e.position is not None]
    n = len(names)
    present = [k for k in names if k in pred.entries and pred.entries[k].position is not None]
    if present:
        se = [_d2(pred.entries[k].position, gt.entries[k].position) for k in present]
        rmse = math.sqrt(sum(se) / len(se))
        pos = len(present) / n * math.exp(-rmse / scale_length(gt))
    else:
        rmse, pos = None, 0.0
    direction = _dir_score(pred, gt, names, bins)
    faced = [k for k in names if gt.entries[k].facing is not None and not is_door(k)]
    facing = (
        sum(1 for k in faced if k in pred.entries and pred.entries[k].facing == gt.entries[k].facing) / len(faced)
        if faced else 1.0
    )
    return {
        "pos": pos, "dir": direction, "facing": facing, "overall": (pos + direction + facing) / 3.0,
        "K": len(present), "N": n, "rmse": rmse,
    }


def _dir_score(pred: CognitiveMap, gt: CognitiveMap, names: list[str], bins: dict | None = None) -> float:
    points = names + [ORIGIN]
    pairs = list(combinations(range(len(points)), 2))
    if not pairs:
        return 1.0

    def at(m: CognitiveMap, k):
        if k == ORIGIN:
            return (0.0, 0.0)
        e = m.entries.get(k)
        return e.position if e is not None else None

    def bin8(dx, dy) -> int:
        if bins is None:
            return direction_bin8(dx, dy)
        b = bins.get((dx, dy))  # 0.0 and -0.0 share an entry, and a bin
        if b is None:
            b = bins[(dx, dy)] = direction_bin8(dx, dy)
        return b

    pp, gp = [at(pred, k) for k in points], [at(gt, k) for k in points]  # each position looked up once
    good = 0
    for a, b in pairs:
        pa, pb, ga, gb = pp[a], pp[b], gp[a], gp[b]
        if pa is None or pb is None:
            continue
        good += bin8(pb[0] - pa[0], pb[1] - pa[1]) == bin8(gb[0] - ga[0], gb[1] - ga[1])
    return good / len(pairs)


def _d2(a, b) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


# -- ours, beyond ToS -------------------------------------------------------------


def std_calibration(pred: CognitiveMap, gt: CognitiveMap) -> float | None:
    """Share of entries with a `std` whose true position lies within 2 std of the belief."""
    hits = [
        math.sqrt(_d2(e.position, gt.entries[k].position)) <= 2.0 * e.std
        for k, e in pred.entries.items()
        if e.std is not None and e.position is not None and k in gt.entries and gt.entries[k].position is not None
    ]
    return sum(hits) / len(hits) if hits else None


def set_f1(pred: set, truth: set) -> float:
    """F1 of two sets; 1.0 when both are empty."""
    if not pred and not truth:
        return 1.0
    tp = len(pred & truth)
    if tp == 0:
        return 0.0
    p, r = tp / len(pred), tp / len(truth)
    return 2 * p * r / (p + r)


def topology_graph(m: CognitiveMap) -> nx.Graph:
    """Rooms as nodes (labelled by the sorted objects they contain), doors as edges."""
    g = nx.Graph()
    label = {}
    for r in m.rooms or []:
        objs = tuple(sorted(str(o) for o in r.get("objects", []) if isinstance(o, str)))
        label[str(r.get("id"))] = objs
        g.add_node(objs)
    for d in m.doors or []:
        rooms = d.get("rooms")
        if isinstance(rooms, list) and len(rooms) == 2 and all(str(x) in label for x in rooms):
            g.add_edge(label[str(rooms[0])], label[str(rooms[1])], door=str(d.get("name")))
    return g


def topology_f1(pred: CognitiveMap, gt: CognitiveMap) -> float:
    """F1 over door edges, each named by its door and the object sets of the two rooms it joins."""

    def edges(m):
        return {(d, frozenset((a, b))) for a, b, d in topology_graph(m).edges(data="door")}

    return set_f1(edges(pred), edges(gt))
