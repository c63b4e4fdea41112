"""Skills of the mobile Panda in a house: navigate_to, open, close, pick, place.

Same conventions as `sim.manip.skills` (the tabletop primitives): every skill returns an
`Outcome` (success, physics steps used, failure reason, symbolic state after) and none
raises for a failure in the world; `HOUSE_PRIMITIVES` gives each skill's parameters,
preconditions and effects.

- navigate_to(target): A* on the house's walkable grid through rooms and doors
  (`sim.navigation.plan_path`), driven by `sim.navigation.drive_path` / `rotate_to` on the
  physics base, then a last straight leg to the parking pose in front of the target's
  furniture (`scenes.house.park_distance`), facing it: from there the arm reaches the piece.
- pick / place / open / close: the arm works from the parked base (arm-only mink IK,
  `robots.mobile_panda.PandaIK`). Every arm motion is checked for collisions along its
  joint path before it runs (`HouseWorld.path_collides`, 1.5 cm margin, every 0.05 rad):
  free-space moves interpolate straight in joint space and, when that collides, try a
  via-point planner (via the tucked pose, then random via-points around the midpoint,
  both segments checked); Cartesian moves (descend, pull, push) are IK solutions along a
  line, checked the same way. Items are held by finger friction only.

Example:
    >>> from scenes.house import load_house
    >>> from sim.manip.house_world import HouseWorld
    >>> sk = HouseSkills(HouseWorld(load_house("house-2room", 0)))
    >>> sk.navigate_to("table_0").success
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robots.mobile_panda import FINGER_OPEN, PandaIK, grasp_rotation
from scenes.grid import walkable_graph
from scenes.house import DRAWER_TRAVEL, ITEM_KINDS, park_distance
from sim.manip.house_world import KNOB_SIZE, TUCK, HouseWorld
from sim.manip.skills import Outcome, SkillInfo
from sim.navigation import DriveConfig, drive_path, nearest_node, plan_path, rotate_to

HOUSE_PRIMITIVES = {s.name: s for s in [
    SkillInfo("navigate_to", {"target": {"type": "string"}}, (), ("at(robot, piece_of(target))",),
              "Drive through rooms and doors and park facing the target's furniture, within the arm's reach."),
    SkillInfo("open", {"container": {"type": "string"}}, ("at(robot, container)", "not open(container)",
                                                            "not holding(*)"), ("open(container)",),
              "Pinch the drawer knob and pull the drawer out."),
    SkillInfo("close", {"container": {"type": "string"}}, ("at(robot, container)", "open(container)",
                                                             "not holding(*)"), ("not open(container)",),
              "Push the open drawer shut by its knob."),
    SkillInfo("pick", {"item": {"type": "string"}}, ("at(robot, item)", "visible(item)", "not holding(*)"),
              ("holding(item)",), "Grasp an item from above with the two fingers and lift it."),
    SkillInfo("place", {"item": {"type": "string"}, "target": {"type": "string"}},
              ("holding(item)", "at(robot, target)", "open(target) if target is a container"),
              ("on(item, target) | in(item, target)", "not holding(item)"),
              "Set the held item down on a support or into an open drawer."),
]}
CONTROL = 10  # physics steps per arm control tick (50 Hz)
JOINT_SPEED = 1.2  # rad/s, the largest joint's speed along a path


@dataclass
class _DriveAdapter:
    """The Backend face `sim.navigation` drives: pose (x, y, compass heading deg), velocity, step."""

    w: HouseWorld

    @property
    def timestep(self) -> float:
        return self.w.timestep

    @property
    def physics_steps(self) -> int:
        return self.w.physics_steps

    def robot_pose(self):
        x, y, yaw = self.w.base_pose()
        return float(x), float(y), float((90.0 - math.degrees(yaw)) % 360.0)

    def robot_velocity(self):
        return tuple(float(v) for v in self.w.data.qvel[self.w.base_v])

    def step(self, cmd, n: int) -> None:
        self.w.base_cmd = np.asarray(cmd, float)
        self.w.step(n)

    def robot_contacts(self) -> int:
        d, m = self.w.data, self.w.model
        return sum(1 for c in d.contact[: d.ncon] if self.w.base_body in (m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]))


class HouseSkills:
    def __init__(self, world: HouseWorld, seed: int = 0) -> None:
        self.w = world
        self.ik = PandaIK()
        self.rng = np.random.default_rng(seed)
        self.parked_at: str | None = None  # the furniture piece the base is parked at
        self.graph = walkable_graph(world.house.scene)

    # -- helpers --------------------------------------------------------------------------
    def _out(self, ok: bool, t0: int, reason: str = "") -> Outcome:
        return Outcome(bool(ok), self.w.physics_steps - t0, "" if ok else reason, self.w.symbolic_state())

    def _fail(self, reason: str) -> Outcome:
        return Outcome(False, 0, reason, self.w.symbolic_state())

    def _piece_of(self, target: str):
        h = self.w.house
        if target in self.w.items:
            return h.piece(h.item(target).furniture)
        return h.piece(target)

    def _known(self, target: str) -> bool:
        h = self.w.house
        return target in self.w.items or any(target == f.name or target in f.containers for f in h.furniture)

    def _arm_point(self, p) -> np.ndarray:
        return self.w.to_arm(p)

    def _rot(self, world_yaw: float) -> np.ndarray:
        """Fingers down, finger axis at `world_yaw` (rad) in the world, expressed in the arm frame."""
        return grasp_rotation("down", world_yaw - self.w.base_pose()[2] + math.pi / 2)

    def _solve(self, p_world, yaw: float, seed=None) -> tuple[np.ndarray | None, str]:
        """IK to a world point with a finger-axis yaw; tries the yaw and yaw + pi, a few seeds."""
        p = self._arm_point(p_world)
        best = None
        for y in (yaw, yaw + math.pi):
            rot = self._rot(y)
            for s in [seed if seed is not None else self.w.q(), self.ik.q_home[:7], np.array(TUCK)]:
                q = self.ik.solve(s, p, rot)
                e = self.ik.error(q, p, rot)
                cost = e[0] + 0.1 * e[1] + 0.01 * float(np.abs(q - self.w.q()).sum())
                if e[0] < 0.006 and e[1] < 0.03 and (best is None or cost < best[0]):
                    best = (cost, q)
            if best is not None:
                break
        return (best[1], "") if best else (None, f"no IK solution for {np.round(p_world, 3).tolist()}")

    def _segment(self, a, b, step: float = 0.05) -> list[np.ndarray]:
        n = max(2, int(np.abs(np.asarray(b) - a).max() / step) + 1)
        return [a + (b - a) * t for t in np.linspace(0, 1, n)]

    def _plan(self, goal, ignore=()) -> tuple[list[np.ndarray] | None, str]:
        """Collision-free joint path to `goal`: straight, via the tuck, or via random points."""
        start = self.w.q()
        base = self.w.base_pose()
        straight = self._segment(start, goal)
        hit = self.w.path_collides(base, straight, ignore)
        if not hit:
            return straight, ""
        vias = [np.array(TUCK)] + [(start + goal) / 2 + self.rng.normal(0, 0.5, 7) for _ in range(40)]
        lo, hi = self.ik.model.jnt_range[:7].T
        for v in vias:
            v = np.clip(v, lo + 0.05, hi - 0.05)
            path = self._segment(start, v) + self._segment(v, goal)[1:]
            if not self.w.path_collides(base, path, ignore):
                return path, ""
        return None, f"arm path blocked ({hit})"

    def _execute(self, path, settle: int = 60) -> bool:
        """Track a joint path with the position actuators (time-scaled to JOINT_SPEED)."""
        dt = CONTROL * self.w.timestep
        for a, b in zip(path[:-1], path[1:]):
            n = max(1, int(np.abs(b - a).max() / (JOINT_SPEED * dt)))
            for t in np.linspace(1.0 / n, 1.0, n):
                self.w.set_arm_target(a + (b - a) * t)
                self.w.step(CONTROL)
        for _ in range(settle):
            if np.abs(self.w.q() - path[-1]).max() < 0.01:
                return True
            self.w.step(CONTROL)
        return np.abs(self.w.q() - path[-1]).max() < 0.03

    def _move_to(self, goal, ignore=()) -> str:
        path, why = self._plan(goal, ignore)
        if path is None:
            return why
        return "" if self._execute(path) else "the arm did not reach its goal"

    def _line(self, p_from, p_to, yaw: float, ignore=(), step: float = 0.02) -> tuple[list | None, str]:
        """IK solutions along a straight Cartesian line (each seeded by the last), checked."""
        n = max(2, int(np.linalg.norm(np.asarray(p_to) - p_from) / step) + 1)
        qs, seed = [], self.w.q()
        for t in np.linspace(0, 1, n):
            p = np.asarray(p_from) + (np.asarray(p_to) - p_from) * t
            rot = self._rot(yaw)
            q = self.ik.solve(seed, self._arm_point(p), rot)
            e = self.ik.error(q, self._arm_point(p), rot)
            if e[0] > 0.008:
                return None, f"no IK solution along the line at {np.round(p, 3).tolist()}"
            qs.append(q)
            seed = q
        hit = self.w.path_collides(self.w.base_pose(), qs, ignore)
        return (None, f"arm path blocked ({hit})") if hit else (qs, "")

    def _fingers(self, width: float, ticks: int = 40) -> None:
        self.w.set_fingers(width)
        self.w.step(CONTROL * ticks)

    def _retract(self) -> str:
        return self._move_to(np.array(TUCK))

    def _holding_any(self) -> str | None:
        return next((n for n in self.w.items if self.w.holding(n)), None)

    def _at(self, target: str) -> bool:
        return self.parked_at == self._piece_of(target).name

    # -- skills ----------------------------------------------------------------------------
    def navigate_to(self, target: str) -> Outcome:
        t0 = self.w.physics_steps
        if not self._known(target):
            return self._fail(f"unknown target {target!r}")
        f = self._piece_of(target)
        dist = park_distance(f)
        park = np.array(f.position) + np.array(f.facing) * dist
        heading = (90.0 - math.degrees(math.atan2(-f.facing[1], -f.facing[0]))) % 360.0  # compass, facing the piece
        approach = (f.position[0] + f.facing[0], f.position[1] + f.facing[1])
        drive = _DriveAdapter(self.w)
        start = nearest_node(self.graph, self.w.base_pose()[:2])
        path = plan_path(self.graph, start, approach)
        if path is None:
            return self._out(False, t0, f"no path to {f.name}")
        if self._retract():
            return self._out(False, t0, "could not tuck the arm")
        r = rotate_to(drive, heading)
        waypoints = [tuple(map(float, p)) for p in path] + [tuple(park)]
        r = drive_path(drive, waypoints, heading, DriveConfig(goal_tol=0.01))
        if not r.success:
            return self._out(False, t0, r.reason)
        r = rotate_to(drive, heading)
        err = float(np.linalg.norm(self.w.base_pose()[:2] - park))
        ok = r.success and err < 0.03
        self.parked_at = f.name if ok else None
        return self._out(ok, t0, f"parked {err:.3f} m from the pose")

    def _grasp_yaw(self, item: str) -> float:
        """World yaw of the finger axis: across a box's faces, any for round items."""
        y = self.w.item_yaw(item)
        return y if ITEM_KINDS[self.w.house.item(item).kind].shape == "box" else self._piece_of(item).yaw

    def pick(self, item: str) -> Outcome:
        t0 = self.w.physics_steps
        if item not in self.w.items:
            return self._fail(f"unknown item {item!r}; items: {', '.join(self.w.items)}")
        s = self.w.symbolic_state()
        held = self._holding_any()
        if held:
            return self._fail(f"already holding {held}")
        if ("visible", item) not in s:
            return self._fail(f"{item} is not visible (inside a closed container)")
        if not self._at(item):
            return self._fail(f"not parked at {self._piece_of(item).name}")
        k = ITEM_KINDS[self.w.house.item(item).kind]
        p = self.w.item_pos(item)
        top = self._item_top(item)
        yaw = self._grasp_yaw(item)
        grasp_z = top - min(0.03, k.size[2] * 0.5)
        above = np.array([p[0], p[1], top + 0.12])
        self._fingers(FINGER_OPEN, 5)
        q_above, why = self._solve(above, yaw)
        if q_above is None:
            return self._out(False, t0, why)
        why = self._move_to(q_above)
        if why:
            return self._out(False, t0, why)
        line, why = self._line(above, [p[0], p[1], grasp_z], yaw, ignore=[self.w.items[item]])
        if line is None:
            self._retract()
            return self._out(False, t0, why)
        self._execute(line)
        self._fingers(0.0, 50)
        up, why = self._line(self.w.tcp(), self.w.tcp() + [0, 0, 0.12], yaw, ignore=[self.w.items[item]])
        if up is not None:
            self._execute(up)
        self.w.step(CONTROL * 20)
        ok = self.w.holding(item)
        return self._out(ok, t0, "" if ok else "the item slipped out of the fingers")

    def _item_top(self, item: str) -> float:
        """Highest point of the item's geometry (world z)."""
        m, d = self.w.model, self.w.data
        b = self.w.items[item]
        g = next(i for i in range(m.ngeom) if m.geom_bodyid[i] == b)
        return float(d.geom_xpos[g][2] + m.geom_aabb[g][5] if m.geom_type[g] == 7 else
                     d.xpos[b][2] + ITEM_KINDS[self.w.house.item(item).kind].size[2] / 2)

    def place(self, item: str, target: str) -> Outcome:
        t0 = self.w.physics_steps
        if item not in self.w.items:
            return self._fail(f"unknown item {item!r}")
        if not self._known(target) or target in self.w.items:
            return self._fail(f"unknown support or container {target!r}")
        if not self.w.holding(item):
            return self._fail(f"not holding {item}")
        if not self._at(target):
            return self._fail(f"not parked at {self._piece_of(target).name}")
        f = self._piece_of(target)
        container = target in self.w.containers
        if container and not self.w.is_open(target):
            return self._fail(f"{target} is closed")
        if f.kind == "cupboard":
            return self._fail("placing into the cupboard needs a front approach, which is not implemented")
        if container:  # the middle of the open drawer's outer part
            x, y = f.to_world(0.0, f.size[1] / 2 - 0.13 + self.w.opening(target) - DRAWER_TRAVEL + 0.06)
            surface = 0.52
        else:
            x, y = self._free_spot(f, item)
            surface = f.size[2]
        k = ITEM_KINDS[self.w.house.item(item).kind]
        tcp = self.w.tcp()
        drop = tcp[2] - self.w.item_pos(item)[2] + k.size[2] / 2  # TCP height above the item's bottom
        goal = np.array([x, y, surface + drop + 0.012])
        yaw = self._grasp_yaw(item)
        above = goal + [0, 0, 0.10]
        q_above, why = self._solve(above, yaw)
        if q_above is None:
            return self._out(False, t0, why)
        why = self._move_to(q_above, ignore=[self.w.items[item]])
        if why:
            return self._out(False, t0, why)
        line, why = self._line(above, goal, yaw, ignore=[self.w.items[item]])
        if line is None:
            return self._out(False, t0, why)
        self._execute(line)
        self._fingers(FINGER_OPEN, 30)
        up, _ = self._line(self.w.tcp(), self.w.tcp() + [0, 0, 0.1], yaw, ignore=[self.w.items[item]])
        if up is not None:
            self._execute(up)
        self._retract()
        self.w.step(CONTROL * 10)
        rel = self.w.relation_of(item)
        ok = rel is not None and rel[1] == target
        return self._out(ok, t0, "" if ok else f"{item} ended up {rel}, not on/in {target}")

    def _free_spot(self, f, item: str) -> tuple[float, float]:
        others = [self.w.item_pos(n)[:2] for n in self.w.items if n != item]
        for dep in (0.0, 0.08, -0.06):
            for lat in (0.0, 0.15, -0.15, 0.25, -0.25):
                if abs(lat) > f.size[0] / 2 - 0.08:
                    continue
                p = f.to_world(lat, dep)
                if all(math.dist(p, o) > 0.1 for o in others):
                    return p
        return f.to_world(0.0, 0.0)

    def open(self, container: str) -> Outcome:
        return self._drawer(container, opening=True)

    def close(self, container: str) -> Outcome:
        return self._drawer(container, opening=False)

    def _drawer(self, container: str, opening: bool) -> Outcome:
        t0 = self.w.physics_steps
        name = "open" if opening else "close"
        if container not in self.w.containers:
            return self._fail(f"unknown container {container!r}; containers: {', '.join(self.w.containers)}")
        f = self._piece_of(container)
        if f.kind == "cupboard":
            return self._fail(f"{name} of the hinged cupboard door is not implemented (only drawers)")
        if self._holding_any():
            return self._fail(f"holding {self._holding_any()}")
        if self.w.is_open(container) == opening:
            return self._fail(f"{container} is already {'open' if opening else 'closed'}")
        if not self._at(container):
            return self._fail(f"not parked at {f.name}")
        knob = self.w.knob_pos(container)
        out = np.array([f.facing[0], f.facing[1], 0.0])
        lateral_yaw = f.yaw + math.pi / 2  # finger axis across the knob
        ignore = [self.w.model.body(f"part:{container}").id]
        if opening:
            grip, fingers = knob + [0, 0, -0.005], 0.03
            end = grip + out * (DRAWER_TRAVEL * 0.96)
        else:  # closed fingers touching the knob's front, then push home
            grip = knob + out * (KNOB_SIZE[0] / 2 + 0.012) + [0, 0, -0.005]
            fingers = 0.0
            end = grip - out * (self.w.opening(container) + 0.01)
        above = grip + [0, 0, 0.10]
        self._fingers(fingers, 20)
        q_above, why = self._solve(above, lateral_yaw)
        if q_above is None:
            return self._out(False, t0, why)
        why = self._move_to(q_above)
        if why:
            return self._out(False, t0, why)
        down, why = self._line(above, grip, lateral_yaw, ignore=ignore)
        if down is None:
            self._retract()
            return self._out(False, t0, why)
        self._execute(down)
        if opening:
            self._fingers(0.0, 40)
        pull, why = self._line(grip, end, lateral_yaw, ignore=ignore)
        if pull is None:
            self._fingers(FINGER_OPEN, 20)
            self._retract()
            return self._out(False, t0, why)
        self._execute(pull, settle=20)
        self._fingers(FINGER_OPEN if opening else 0.0, 20)
        up, _ = self._line(self.w.tcp(), self.w.tcp() + [0, 0, 0.1], lateral_yaw, ignore=ignore)
        if up is not None:
            self._execute(up, settle=10)
        self._retract()
        ok = self.w.is_open(container) == opening
        return self._out(ok, t0, "" if ok else f"{container} is at {self.w.opening(container):.3f} m")


__all__ = ["HOUSE_PRIMITIVES", "HouseSkills"]
