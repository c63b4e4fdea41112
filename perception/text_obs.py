"""Text observations in Theory-of-Space form, built from what the agent sees.

Example line: ``chair: front-slight-left, mid distance, facing left``; a door line names
its wall instead of a facing: ``door_0: front-right, near, on the right wall``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from perception.bins import (
    ANGLE_EPS,
    DIRECTION_NAMES,
    DIST_EPS,
    DISTANCE_EDGES,
    DISTANCE_NAMES,
    agent_frame,
    direction_bin,
    distance_bin,
    egocentric,
    relative_facing,
    wall_side,
)
from scenes.spec import SceneSpec


@dataclass(frozen=True)
class Sighting:
    """One entity as the agent sees it. `offset` = exact (right, forward) metres from the
    agent (for program agents); language agents get only the binned text."""

    name: str
    kind: str  # "object" | "door"
    direction: str
    distance: str
    facing: str | None  # relative facing of objects that have one
    wall: str | None  # for doors: which wall of the agent's room (front/right/back/left)
    offset: tuple[float, float]

    def to_dict(self) -> dict:
        # by hand: dataclasses.asdict deep-copies field by field, about 6 % of an env step
        return {"name": self.name, "kind": self.kind, "direction": self.direction, "distance": self.distance,
                "facing": self.facing, "wall": self.wall, "offset": self.offset}

    def describe(self) -> str:
        extra = f", facing {self.facing}" if self.facing else ""
        if self.kind == "door":
            extra = f", on the {self.wall} wall" if self.wall else ", in line with you"
        return f"{self.name}: {self.direction}, {self.distance}{extra}"


def make_sightings(spec: SceneSpec, entities: list[int], agent_xy, agent_heading: float) -> list[Sighting]:
    n_obj = len(spec.objects)
    out = []
    for e in entities:
        if e < n_obj:
            o = spec.objects[e]
            name, (x, y), kind = o.name, o.position, "object"
            facing = relative_facing(o.heading, agent_heading) if o.has_facing else None
            wall = None
        else:
            d = spec.doors[e - n_obj]
            name, (x, y), kind, facing = d.name, d.position, "door", None
            wall = _door_wall(d, agent_xy, agent_heading)
        dx, dy = x - agent_xy[0], y - agent_xy[1]
        ang, dist = egocentric(dx, dy, agent_heading)
        right, fwd = agent_frame(dx, dy, agent_heading)
        out.append(Sighting(name, kind, _direction(ang), _distance(dist), facing, wall, (round(right, 6), round(fwd, 6))))
    return sorted(out, key=lambda s: (s.offset[1] ** 2 + s.offset[0] ** 2, s.name))


_EDGES = tuple(e + DIST_EPS for e in DISTANCE_EDGES)  # float64 sums, as bins.distance_index's numpy array holds them


def _direction(angle: float) -> str:
    """bins.direction_bin for one finite angle, in plain floats: the same wrap (Python's float % is
    numpy's remainder: fmod, then the divisor's sign) and the same bin edges, tested in the order that
    direction_index's masks overwrite one another (the straight-ahead band last, so it wins)."""
    if not math.isfinite(angle):
        return direction_bin(angle)
    a = (angle + 180.0) % 360.0 - 180.0
    if abs(a) <= ANGLE_EPS:
        return DIRECTION_NAMES[2]
    if -45.0 - ANGLE_EPS <= a < -22.5:
        return DIRECTION_NAMES[0]
    if -22.5 <= a < 0:
        return DIRECTION_NAMES[1]
    if 0 < a <= 22.5:
        return DIRECTION_NAMES[3]
    if 22.5 < a <= 45.0 + ANGLE_EPS:
        return DIRECTION_NAMES[4]
    return DIRECTION_NAMES[5]


def _distance(d: float) -> str:
    """bins.distance_bin for one finite distance: searchsorted(side="left") counts the edges below d."""
    if not math.isfinite(d):
        return distance_bin(d)
    if d <= DIST_EPS:
        return DISTANCE_NAMES[0]
    return DISTANCE_NAMES[1 + sum(1 for e in _EDGES if e < d)]


def _door_wall(door, agent_xy, agent_heading: float) -> str | None:
    x, y = door.position
    if door.axis == "x":  # east-west wall: it is north or south of the agent
        delta = y - agent_xy[1]
        outward = 0.0 if delta > 0 else 180.0
    else:
        delta = x - agent_xy[0]
        outward = 90.0 if delta > 0 else 270.0
    if abs(delta) < 1e-6:
        return None
    return wall_side(outward, agent_heading)


def describe_view(sightings: list[Sighting]) -> str:
    if not sightings:
        return "You observe: nothing in your field of view."
    return "You observe:\n" + "\n".join(f"- {s.describe()}" for s in sightings)
