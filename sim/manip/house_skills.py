"""Skills of the mobile Panda in a house: navigate_to, look_at, look_around, open, close, pick, place.

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
  line, checked the same way. Items are held by finger friction only; mesh items are gripped
  across their narrowest hull width (a mug across the cup: its handle side is wider than the
  open hand), and place opens the hand fully and waits for the fingers to leave the item
  before it lifts.
- open / close (drawers): the fingers, tilted 30 degrees from straight down toward the
  dresser, pinch the knob's outer part (a straight-down hand puts link7 into the dresser
  top), the hand slides along the drawer's axis and, if the knob crept in the fingers,
  slides on by the shortfall; success is read from the slide joint.
- look_at / look_around: the base turns in place (the head camera is fixed on the mast);
  success is read from a view cone and a ray from the camera (`HouseWorld.in_view`), and a
  failure names what blocks the view.
- Not implemented: the hinged cupboard door, picking from inside an open drawer (the
  wrist, link5/link6, meets the drawer's front board) and from the cupboard.

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
from sim.manip.house_world import TUCK, HouseWorld
from sim.manip.skills import Outcome, SkillInfo
from sim.navigation import DriveConfig, drive_path, nearest_node, plan_path, rotate_to

HOUSE_PRIMITIVES = {s.name: s for s in [
    SkillInfo("navigate_to", {"target": {"type": "string"}}, (), ("at(robot, piece_of(target))",),
              "Drive through rooms and doors and park facing the target's furniture, within the arm's reach."),
    SkillInfo("look_at", {"target": {"type": "string"}}, (), ("sees(robot, target)",),
              "Turn the base in place until the head camera faces the target; succeed when the target is "
              "inside the camera's view and nothing stands between (a ray from the camera)."),
    SkillInfo("look_around", {}, (), ("seen(robot, x) for each item and piece in view on the way",),
              "Turn the base in place through a full circle in 60-degree steps, recording what the head "
              "camera sees at each stop."),
    SkillInfo("open", {"container": {"type": "string"}}, ("at(robot, container)", "not open(container)",
                                                            "not holding(*)"), ("open(container)",),
              "Pinch the drawer knob (fingers tilted 30 degrees toward the dresser) and slide the drawer out."),
    SkillInfo("close", {"container": {"type": "string"}}, ("at(robot, container)", "open(container)",
                                                             "not holding(*)"), ("not open(container)",),
              "Pinch the open drawer's knob and slide the drawer home."),
    SkillInfo("pick", {"item": {"type": "string"}}, ("at(robot, item)", "visible(item)", "not holding(*)"),
              ("holding(item)",), "Grasp an item from above with the two fingers and lift it."),
    SkillInfo("place", {"item": {"type": "string"}, "target": {"type": "string"}},
              ("holding(item)", "at(robot, target)", "open(target) if target is a container"),
              ("on(item, target) | in(item, target)", "not holding(item)"),
              "Set the held item down on a support or into an open drawer."),
]}
DRAWER_PITCH = math.radians(30.0)  # fingers tilted from straight down toward the dresser
KNOB_GRIP_OUT = 0.02  # m: the pinch point lies this far out from the knob's centre
SQUEEZE = -0.035  # finger target (m) behind a thin handle: the 40 N force limit sets the pinch
DRAWER_PICK_PITCH = math.radians(20.0)  # fingers tilted toward the dresser when picking from a drawer
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
        if not d.ncon:
            return 0
        return int((m.geom_bodyid[d.contact.geom] == self.w.base_body).any(axis=1).sum())


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

    def _rot(self, world_yaw: float, pitch: float = 0.0) -> np.ndarray:
        """Fingers down, finger axis at `world_yaw` (rad) in the world, expressed in the arm
        frame; `pitch` tilts the fingers toward world direction `world_yaw + pi/2`."""
        return grasp_rotation("down", world_yaw - self.w.base_pose()[2] + math.pi / 2, pitch)

    def _solve(self, p_world, yaw: float | None = None, seed=None, rots=None,
               free_of=None) -> tuple[np.ndarray | None, str]:
        """IK to a world point with a finger-axis yaw (tries yaw and yaw + pi) or with one of
        the arm-frame rotations `rots`, from a few seeds; the chosen rotation is kept in
        `self.last_rot` for the Cartesian moves that follow. With `free_of` (bodies the check
        ignores) given, a solution whose configuration collides is skipped."""
        p = self._arm_point(p_world)
        best = None
        rots = [self._rot(yaw), self._rot(yaw + math.pi)] if rots is None else rots
        for rot in rots:
            for s in [seed if seed is not None else self.w.q(), self.ik.q_home[:7], np.array(TUCK)]:
                q = self.ik.solve(s, p, rot)
                e = self.ik.error(q, p, rot)
                cost = e[0] + 0.1 * e[1] + 0.01 * float(np.abs(q - self.w.q()).sum())
                if e[0] < 0.006 and e[1] < 0.03 and (best is None or cost < best[0]):
                    if free_of is not None and self.w.path_collides(self.w.base_pose(), [q], free_of):
                        continue
                    best = (cost, q, rot)
            if best is not None:
                break
        if best is None:
            return None, f"no IK solution for {np.round(p_world, 3).tolist()}"
        self.last_rot = best[2]
        return best[1], ""

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

    def _line(self, p_from, p_to, yaw: float | None = None, ignore=(), step: float = 0.02,
              rot=None) -> tuple[list | None, str]:
        """IK solutions along a straight Cartesian line (each seeded by the last), checked;
        the hand keeps `rot` (arm frame; default: fingers down at finger-axis `yaw`)."""
        n = max(2, int(np.linalg.norm(np.asarray(p_to) - p_from) / step) + 1)
        qs, seed = [], self.w.q()
        rot = self._rot(yaw) if rot is None else rot
        for t in np.linspace(0, 1, n):
            p = np.asarray(p_from) + (np.asarray(p_to) - p_from) * t
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

    def _unpark_if_turned(self, yaw0: float) -> None:
        """A base that turned away from its parking heading no longer counts as parked."""
        d = (self.w.base_pose()[2] - yaw0 + math.pi) % (2 * math.pi) - math.pi
        if abs(d) > math.radians(3.0):
            self.parked_at = None

    def _look_points(self, target: str) -> tuple[list[np.ndarray], set]:
        """World points (any one in view will do) and the bodies that count as the target."""
        if target in self.w.items:
            return [self.w.item_pos(target)], {self.w.items[target]}
        f = self._piece_of(target)
        if target in self.w.containers:
            return [self.w.knob_pos(target)], {self.w.model.body(f"part:{target}").id}
        bodies = {self.w.model.body(f"furn:{f.name}").id} | {self.w.model.body(f"part:{c}").id for c in f.containers}
        top_front = f.to_world(0.0, f.size[1] / 2 - 0.05)
        return [np.array([*f.position, f.size[2] * 0.8]), np.array([*top_front, f.size[2] - 0.01])], bodies

    def _look_point(self, target: str) -> tuple[np.ndarray, set]:
        pts, bodies = self._look_points(target)
        return pts[0], bodies

    def _sees(self, target: str) -> str:
        """"" when the head camera sees the target (a piece: its centre or the front of its top,
        any of its parts counting), else why not."""
        pts, bodies = self._look_points(target)
        whys = [self.w.in_view(p, bodies) for p in pts]
        return "" if "" in whys else whys[0]

    def look_at(self, target: str) -> Outcome:
        """Turn in place to face the target with the head camera; the outcome says whether it
        is in view and unoccluded, and if not, why."""
        t0 = self.w.physics_steps
        if not self._known(target):
            return self._fail(f"unknown target {target!r}")
        if target in self.w.items:
            rel = self.w.relation_of(target)
            if ("visible", target) not in self.w.symbolic_state() and rel is not None:
                return self._fail(f"{target} is hidden in the closed {rel[1]}")
        p, _ = self._look_point(target)
        cam, _ = self.w.head_camera()
        v = p - cam
        heading = (90.0 - math.degrees(math.atan2(v[1], v[0]))) % 360.0  # compass heading of the target
        # the camera sits behind the base centre: aim the base so the camera's axis meets the target
        yaw0 = self.w.base_pose()[2]
        r = rotate_to(_DriveAdapter(self.w), heading)
        self._unpark_if_turned(yaw0)
        if not r.success:
            return self._out(False, t0, r.reason)
        why = self._sees(target)
        return self._out(not why, t0, f"{target}: {why}" if why else "")

    def look_around(self) -> Outcome:
        """Turn through a full circle in six stops; `self.seen` holds what the head camera saw."""
        t0 = self.w.physics_steps
        drive = _DriveAdapter(self.w)
        start = drive.robot_pose()[2]
        names = list(self.w.items) + [f.name for f in self.w.house.furniture]
        self.seen: set = set()
        for k in range(1, 7):
            r = rotate_to(drive, (start + 60.0 * k) % 360.0)
            if not r.success:
                return self._out(False, t0, f"{r.reason} at stop {k}")
            hidden = {n for n in self.w.items if ("visible", n) not in self.w.symbolic_state()}
            self.seen |= {n for n in names if n not in hidden and not self._sees(n)}
        self._unpark_if_turned(math.radians(90.0 - start))
        out = self._out(True, t0)
        out.state |= {("seen", n) for n in self.seen}
        return out

    def _drawer_yaw(self, item: str) -> float:
        """Finger-axis world yaw for an item in a drawer: across the drawer (the piece's lateral),
        turned to the nearest pair of a box's faces."""
        lateral = self._piece_of(item).yaw + math.pi / 2
        if ITEM_KINDS[self.w.house.item(item).kind].shape != "box":
            return lateral
        y = self.w.item_yaw(item)
        return min((y + k * math.pi / 2 for k in range(4)),
                   key=lambda a: abs((a - lateral + math.pi / 2) % math.pi - math.pi / 2))

    def _grasp_yaw(self, item: str) -> float:
        """World yaw of the finger axis: across a box's faces, across the narrowest width of a
        mesh item's hull (a mug: across the cup, not the handle, which is wider than the open
        hand and left the mug wedged and tilted on the fingers), any for cylinders."""
        y = self.w.item_yaw(item)
        shape = ITEM_KINDS[self.w.house.item(item).kind].shape
        if shape == "box":
            return y
        if shape == "mesh":
            return y + self.w.item_narrow_yaw(item)
        return self._piece_of(item).yaw

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
        rel = self.w.relation_of(item)
        in_drawer = rel is not None and rel[0] == "in" and self._piece_of(item).kind == "dresser"
        rot = None
        self._fingers(FINGER_OPEN, 5)
        if in_drawer:  # inside an open drawer: finger axis across the drawer, wrist leaning out of the dresser
            rot = self._rot(self._drawer_yaw(item), DRAWER_PICK_PITCH)
            q_above, why = self._solve(above, rots=[rot, rot @ np.diag([-1.0, -1.0, 1.0])])
            rot = self.last_rot
        else:
            q_above, why = self._solve(above, yaw)
        if q_above is None:
            return self._out(False, t0, why)
        why = self._move_to(q_above)
        if why:
            return self._out(False, t0, why)
        line, why = self._line(above, [p[0], p[1], grasp_z], yaw, ignore=[self.w.items[item]], rot=rot)
        if line is None:
            self._retract()
            return self._out(False, t0, why)
        self._execute(line)
        self._fingers(0.0, 50)
        up, why = self._line(self.w.tcp(), self.w.tcp() + [0, 0, 0.12], yaw, ignore=[self.w.items[item]], rot=rot)
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
        self._release(item)
        up, _ = self._line(self.w.tcp(), self.w.tcp() + [0, 0, 0.1], yaw, ignore=[self.w.items[item]], step=0.01)
        if up is not None:
            self._execute(up)
        self._retract()
        self.w.step(CONTROL * 10)
        rel = self.w.relation_of(item)
        ok = rel is not None and rel[1] == target
        return self._out(ok, t0, "" if ok else f"{item} ended up {rel}, not on/in {target}")

    def _release(self, item: str, ticks: int = 30, wait: int = 30) -> None:
        """Open the fingers fully, then wait (up to `wait` control ticks) until neither finger
        touches the item any more, so that the lift does not drag it along."""
        self._fingers(FINGER_OPEN, ticks)
        for _ in range(wait):
            if not self.w.finger_contacts(item):
                return
            self.w.step(CONTROL)

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
        """Pinch the drawer's knob from above-front (fingers tilted DRAWER_PITCH toward the
        dresser, finger axis across the knob, gripping the knob's outer part so that the
        wrist stays in front of the dresser top), slide the drawer out or home along its
        axis, let go, back off along the fingers and tuck."""
        t0 = self.w.physics_steps
        if container not in self.w.containers:
            return self._fail(f"unknown container {container!r}; containers: {', '.join(self.w.containers)}")
        f = self._piece_of(container)
        if f.kind == "cupboard":
            return self._door(container, opening)
        if self._holding_any():
            return self._fail(f"holding {self._holding_any()}")
        if self.w.is_open(container) == opening:
            return self._fail(f"{container} is already {'open' if opening else 'closed'}")
        if not self._at(container):
            return self._fail(f"not parked at {f.name}")
        knob = self.w.knob_pos(container)
        out = np.array([f.facing[0], f.facing[1], 0.0])
        ignore = [self.w.model.body(f"part:{container}").id]
        grip = knob + out * KNOB_GRIP_OUT
        travel = self.w.opening(container)
        end = grip + out * (DRAWER_TRAVEL * 0.96 - travel) if opening else grip - out * (travel + 0.01)
        rot0 = self._rot(f.yaw + math.pi / 2, DRAWER_PITCH)
        rots = [rot0, rot0 @ np.diag([-1.0, -1.0, 1.0])]  # the hand is symmetric about its axis
        fingers_w = rot0[:, 2]  # finger direction, arm frame
        c, s_ = math.cos(self.w.base_pose()[2]), math.sin(self.w.base_pose()[2])
        along = np.array([c * fingers_w[0] - s_ * fingers_w[1], s_ * fingers_w[0] + c * fingers_w[1], fingers_w[2]])
        pre = grip - along * 0.09
        self._fingers(FINGER_OPEN, 10)
        q_grip, why = self._solve(grip, rots=rots, free_of=ignore)
        if q_grip is None:
            return self._out(False, t0, why)
        rot = self.last_rot
        q_pre, why = self._solve(pre, rots=[rot], seed=q_grip, free_of=[])
        if q_pre is None:
            return self._out(False, t0, why)
        why = self._move_to(q_pre)
        if why:
            return self._out(False, t0, why)
        down, why = self._line(pre, grip, ignore=ignore, rot=rot)
        if down is None:
            self._retract()
            return self._out(False, t0, why)
        self._execute(down)
        self._fingers(SQUEEZE, 40)
        if len(self._knob_contacts(container)) < 2:
            self._fingers(FINGER_OPEN, 20)
            self._retract()
            return self._out(False, t0, "the fingers did not close on the knob")
        slide, why = self._line(self.w.tcp(), end, ignore=ignore, rot=rot)
        if slide is None:
            self._fingers(FINGER_OPEN, 20)
            self._retract()
            return self._out(False, t0, why)
        self._execute(slide, settle=20)
        goal = DRAWER_TRAVEL * 0.96 if opening else 0.0
        short = (goal - self.w.opening(container)) * (1 if opening else -1)  # the handle crept in the fingers
        if short > 0.005:
            more, _ = self._line(self.w.tcp(), self.w.tcp() + out * short * (1 if opening else -1) * 1.2,
                                 ignore=ignore, rot=rot)
            if more is not None:
                self._execute(more, settle=20)
        self._fingers(FINGER_OPEN, 25)
        back, _ = self._line(self.w.tcp(), self.w.tcp() - along * 0.08, ignore=ignore, rot=rot)
        if back is not None:
            self._execute(back, settle=10)
        self._retract()
        ok = self.w.is_open(container) == opening
        return self._out(ok, t0, "" if ok else f"{container} is at {self.w.opening(container):.3f} m")

    def _knob_contacts(self, container: str) -> set:
        """Finger bodies touching the container's moving part (drawer or door)."""
        m, d = self.w.model, self.w.data
        part = m.body(f"part:{container}").id
        out = set()
        for c in d.contact[: d.ncon]:
            b1, b2 = m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]
            if part in (b1, b2):
                other = b2 if b1 == part else b1
                if other in self.w.finger_bodies:
                    out.add(other)
        return out

    def _door(self, container: str, opening: bool) -> Outcome:
        return self._fail(f"{'open' if opening else 'close'} of the hinged cupboard door is not implemented (only drawers)")


__all__ = ["HOUSE_PRIMITIVES", "HouseSkills"]
