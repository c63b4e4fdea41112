"""The mapper: an explorer whose beliefs come from pixels through the perception stack.

It sees RGB-D frames with segmentation (env obs_mode="rgbd"), never the text sightings:
every Observe is fused into its occupancy grid and TSDF-free 2-D map, objects are detected
and tracked with uncertainty, doors are found from the door signs and their jambs. From
those perceived positions it builds the same sighting records the scout plans with, so it
explores with the scout's visit-sweep-advance routine, choosing among unvisited doors the
one nearest the largest frontier of its own map, and spending any budget left on the
frontier itself. Its probe() answers with the perceived map (std per object, rooms and doors
from its own room segmentation), scored like any agent's.
"""

from __future__ import annotations

import numpy as np

from perception.bins import (
    agent_frame,
    direction_bin,
    distance_bin,
    egocentric,
    wall_side,
)
from perception.mapping import (
    OccupancyGrid,
    back_project,
    camera_to_start,
    frontiers,
    segment_rooms,
)
from perception.objects import ObjectTracker, detect_segmentation
from perception.sensors import label_counts
from planners.agents.sweeper import HEADINGS, Scout
from scenes.frames import FACINGS, facing_name
from sim.actions import DEFAULT_MAX_STEPS

_REL = ("forward", "right", "backward", "left")


class Mapper(Scout):
    name = "mapper"
    # Its names and doors come from its own detector, which can miss or mislabel: it does not stop
    # on "all named entities seen" and keeps the back view at doors (a second look at the jambs).
    stop_when_all_seen = False
    door_sweep = HEADINGS

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self.grid = OccupancyGrid()
        self.tracker = ObjectTracker()
        self.doors: dict[str, tuple[np.ndarray, str]] = {}  # name -> (position, wall axis)
        self.names: list[str] = []
        self.n_objects = 0
        self.last_local: dict = {}
        self.frontier_targets: set[str] = set()
        super().reset(seed, max_steps)

    def restart(self) -> None:
        super().restart()
        if hasattr(self, "tracker"):
            self.tracker.watch_changes = True
            for t in self.tracker.tracks.values():
                t.changed = None

    # -- perception ------------------------------------------------------------------
    def observe(self, observation: str, info: dict) -> None:
        if "entities" in info:
            self.names, self.n_objects = info["entities"], info["n_objects"]
        frame = info.get("frame")
        if info.get("final") == "Observe" and frame is None:
            raise ValueError("the mapper sees RGB-D frames only: run it with sensors=rgbd (obs_mode='rgbd')")
        if info.get("final") == "Observe":
            pose = info["pose"]
            xy, heading = tuple(pose["position"]), float(pose["heading"])
            self.grid.integrate(frame.depth, frame.intrinsics, xy, heading)
            sightings = []
            self.last_local = {}
            for det in detect_segmentation(frame, self.names, self.n_objects, xy, heading):
                track = self.tracker.update(det)
                sightings.append(self._sighting(det.name, "object", track.mean, track.best_facing, xy, heading))
            for name, (pos, axis) in self._detect_doors(frame, xy, heading).items():
                self.doors[name] = (pos, axis)
                sightings.append(self._sighting(name, "door", pos, None, xy, heading, axis))
            info = {**info, "sightings": sightings}
        super().observe(observation, info)

    def _sighting(self, name, kind, pos, facing, xy, heading, axis=None) -> dict:
        dx, dy = pos[0] - xy[0], pos[1] - xy[1]
        ang, dist = egocentric(dx, dy, heading)
        right, fwd = agent_frame(dx, dy, heading)
        rel = None
        if facing in FACINGS:
            rel = _REL[int(round(((FACINGS.index(facing) * 90.0 - heading) % 360.0) / 90.0)) % 4]
        wall = None
        if kind == "door" and axis is not None:
            outward = (0.0 if dy > 0 else 180.0) if axis == "x" else (90.0 if dx > 0 else 270.0)
            wall = wall_side(outward, heading)
        self.last_local[name] = {"position": [right, fwd], "facing": {"forward": "north", "right": "east", "backward": "south",
                                                                       "left": "west"}.get(rel)}
        return {"name": name, "kind": kind, "direction": direction_bin(ang), "distance": distance_bin(dist), "facing": rel,
                "wall": wall, "offset": (right, fwd)}

    def _detect_doors(self, frame, xy, heading) -> dict:
        """A door sign's pixels, bounded left and right by wall pixels (its jambs): the door
        is halfway between the jambs, and the jamb line gives its wall's direction."""
        out = {}
        seg = frame.segmentation
        for e, count in zip(*label_counts(seg)):
            if e < self.n_objects or count < 10:
                continue
            rows, cols = np.nonzero(seg == e)
            c0, c1 = cols.min(), cols.max()
            if c0 == 0 or c1 == seg.shape[1] - 1:
                continue  # a jamb is outside the image
            row = int(np.median(rows))
            mask = np.zeros_like(seg, dtype=bool)
            mask[row, c0 - 1] = mask[row, c1 + 1] = True
            pts = camera_to_start(back_project(frame.depth, frame.intrinsics, mask), xy, heading)
            if len(pts) != 2:
                continue
            a, b = pts[0, :2], pts[1, :2]
            if not 0.5 < np.linalg.norm(a - b) < 1.6:
                continue
            axis = "x" if abs(a[0] - b[0]) > abs(a[1] - b[1]) else "y"
            out[self.names[e]] = ((a + b) / 2, axis)
        return out

    # -- exploration -------------------------------------------------------------------
    def rank_doors(self, doors: list[str]) -> list[str]:
        """The unvisited door nearest the biggest frontier of the occupancy map first."""
        front = frontiers(self.grid)
        if not front:
            return doors
        target, m = front[0][0], self.memory
        return sorted(doors, key=lambda n: (float(np.linalg.norm(np.asarray(m.items[n].position) - target)), n))

    def _refine(self, steps_left: int) -> str | None:
        """With doors done: go to the known object nearest the largest frontier and sweep."""
        if steps_left < 4:
            return None
        front = frontiers(self.grid, min_cells=20)
        if not front:
            return None
        goal = front[0][0]
        m = self.memory
        objects = sorted((n for n, it in m.items.items() if it.kind == "object" and n not in self.frontier_targets),
                         key=lambda n: np.linalg.norm(np.asarray(m.items[n].position) - goal))
        for target in objects[:3]:
            hops = self._route(target)
            if hops:
                self.frontier_targets.add(target)
                motions, _ = self._motions_along(hops)
                return "Actions: [" + ", ".join(motions + ["Observe()"]) + "]"
        return None

    # -- probes ------------------------------------------------------------------------
    def probe(self, kind: str = "global"):
        if kind == "global":
            out = {"agent": {"position": list(self.memory.position), "facing": facing_name(self.memory.heading)}}
            for name, t in sorted(self.tracker.tracks.items()):
                out[name] = {"position": [float(v) for v in t.mean], "facing": t.best_facing, "std": round(t.std, 4)}
            for name, (pos, _axis) in sorted(self.doors.items()):
                out[name] = {"position": [float(v) for v in pos], "facing": None}
            out.update(self._topology())
            return out
        if kind == "local":
            return dict(self.last_local)
        if kind == "changes":
            return {"changes": [{"name": n, "change": t.changed} for n, t in sorted(self.tracker.tracks.items()) if t.changed]}
        return super().probe(kind)

    def _topology(self) -> dict:
        g = segment_rooms(self.grid, {n: p for n, (p, _a) in self.doors.items()})
        if g.number_of_nodes() == 0:
            return {}
        ids = list(g.nodes)
        cents = np.array([g.nodes[i]["centroid"] for i in ids])
        rooms = {i: [] for i in ids}
        for name, t in self.tracker.tracks.items():
            rooms[ids[int(np.argmin(np.linalg.norm(cents - t.mean, axis=1)))]].append(name)
        return {"rooms": [{"id": i, "objects": sorted(objs)} for i, objs in rooms.items()],
                "doors": [{"name": d, "rooms": [a, b]} for a, b, d in g.edges(data="door")]}


__all__ = ["Mapper"]
