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
  `robots.mobile_panda.PandaIK`); for some motions the base itself moves a little, straight
  and with the arm's joints held (`_shift_base`), and comes back to its parking pose. Every
  arm motion is checked for collisions along its joint path before it runs
  (`HouseWorld.path_collides`, 1.5 cm margin, every 0.05 rad): free-space moves interpolate
  straight in joint space and, when that collides, try a via-point planner (via the tucked
  pose, then random via-points around the midpoint, both segments checked); a held item is
  carried along in the check (it must not hit furniture or the robot's own links);
  Cartesian moves (descend, pull, push) are IK solutions along a line, checked the same
  way. Items are held by finger friction only; mesh items are gripped across their
  narrowest hull width (a mug across the cup: its handle side is wider than the open hand),
  and place opens the hand fully and waits for the fingers to leave the item before it
  lifts. Grasps are top-down; when the straight-down hand collides, tilts of up to 30
  degrees are tried.
- open / close (drawers, full extension 0.40 m): the fingers, tilted 30 degrees from straight
  down toward the dresser, pinch the knob's outer part, the hand slides the drawer 0.24 m
  and the base, backing off with the arm held, pulls it the rest of the way (0.38 m); then
  the base re-parks (the open drawer hangs above it). Closing mirrors this. Success is read
  from the slide joint.
- open / close (the cupboard's hinged door): the base moves from its parking pose to a door
  pose beside and behind the door's swing, the fingers (tilted 45 or 30 degrees toward the
  door) pinch the knob, and the hand follows the knob's arc about the hinge to 1.62 rad (or
  back to 0), turning with the door; the arc is planned before the pinch (several IK seeds)
  and checked with the door swung along. Success is read from the hinge joint (> 1 rad
  open, < 0.1 rad closed). A door swung past 1.5 rad lies beside the cupboard, clear of the
  parked base. The door hangs on the side whose neighbour cells are freer
  (`scenes.house.door_side`).
- pick / place in containers: from an open drawer top-down, the item lifted 0.26 m over
  the drawer's front board (the base may back off 0.10-0.18 m if the forearm meets that
  board; last, the fingertips may end 8 mm from the drawer's floor); in the open cupboard (1.10 m tall: room for a top-down hand and wrist) from a pose
  0.65-0.75 m in front of it, the hand carried in and out by the base with the arm held.
- look_at / look_around: the base turns in place (the head camera is fixed on the mast);
  success is read from a view cone and a ray from the camera (`HouseWorld.in_view`), and a
  failure names what blocks the view.

Example:
    >>> from scenes.house import load_house
    >>> from sim.manip.house_world import HouseWorld
    >>> sk = HouseSkills(HouseWorld(load_house("house-2room", 0)))
    >>> sk.navigate_to("table_0").success
    True
"""

from __future__ import annotations

import math

import numpy as np

from robots.mobile_panda import FINGER_OPEN, PandaIK, grasp_rotation
from scenes.house import DRAWER_ITEM_DEPTH, DRAWER_TRAVEL, FURNITURE_KINDS, ITEM_KINDS, park_distance
from sim.manip.house_skill_base import HouseSkillsBase
from sim.manip.house_world import DOOR_OPEN_AT, DRAWER_FLOOR, TUCK, HouseWorld
from sim.manip.joint_paths import CONTROL, JOINT_SPEED, plan_joint_path, track_joint_path
from sim.manip.skills import Outcome, SkillInfo
from sim.navigation import BaseDrive, rotate_to

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
              "Pinch the drawer's knob and slide the drawer fully out (arm, then the backing base), or pinch "
              "the cupboard door's knob and swing the door open along its arc (from a pose beside the door)."),
    SkillInfo("close", {"container": {"type": "string"}}, ("at(robot, container)", "open(container)",
                                                             "not holding(*)"), ("not open(container)",),
              "Pinch the open drawer's knob and slide the drawer home, or swing the cupboard door shut by its knob."),
    SkillInfo("pick", {"item": {"type": "string"}}, ("at(robot, item)", "visible(item)", "not holding(*)"),
              ("holding(item)",), "Grasp an item from above with the two fingers and lift it (from a support, "
                                  "an open drawer or the open cupboard)."),
    SkillInfo("place", {"item": {"type": "string"}, "target": {"type": "string"}},
              ("holding(item)", "at(robot, target)", "open(target) if target is a container"),
              ("on(item, target) | in(item, target)", "not holding(item)"),
              "Set the held item down on a support, into an open drawer or into the open cupboard."),
]}
DRAWER_PITCH = math.radians(30.0)  # fingers tilted from straight down toward the dresser
KNOB_GRIP_OUT = 0.02  # m: the pinch point lies this far out from the knob's centre
SQUEEZE = -0.035  # finger target (m) behind a thin handle: the 40 N force limit sets the pinch
ARM_PULL = 0.24  # m of drawer travel the arm slides; the base backs off for the rest
CUPBOARD_PLACE_DEPTHS = (0.08, 0.03)  # m from the cupboard's centre: near the front of its floor
DOOR_PITCHES = (math.radians(45.0), math.radians(30.0))  # fingers tilted toward the door when pinching its knob
DOOR_OPEN_TO = 1.62  # rad: the door swings past 1.6 rad, beside the cupboard, out of the parked base's way
DOOR_CLOSED_AT = 0.1  # rad: close succeeds below this hinge angle
DOOR_POSES = ((1.10, -0.10, 30.0), (1.10, -0.20, 50.0), (1.10, 0.0, 50.0))  # base poses for door work: depth, lateral (piece frame), turn (deg)
CUPBOARD_LIFT = 0.10  # m the hand rises in the cupboard (under its roof) before the base backs it out
CUPBOARD_POSES = ((0.75, 0.0), (0.65, 0.0), (0.65, -0.10), (0.75, -0.10))  # base poses for reaching in: depth, lateral
CUPBOARD_WITHDRAW = 0.30  # m the base backs off, arm held, to bring the hand out of the cupboard before it tucks
DRAWER_BACK_OFFS = (0.10, 0.18)  # m the base may back off from the dresser to reach into its open drawer
DRAWER_LIFT = 0.26  # m: a grasped drawer item's bottom rises over the drawer's front board
HOLD_SPEED = 0.4  # rad/s, the same while carrying an item in a tilted hand


class HouseSkills(HouseSkillsBase):
    def __init__(self, world: HouseWorld, seed: int = 0) -> None:
        super().__init__(world, seed)
        self.ik = PandaIK()

    # -- helpers --------------------------------------------------------------------------

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

    def _plan(self, goal, ignore=()) -> tuple[list[np.ndarray] | None, str]:
        """Collision-free joint path to `goal`: straight, via the tuck, or via random points.
        A held item is checked too, carried along with the hand (it must not hit furniture or
        the robot's own links)."""
        start = self.w.q()
        base = self.w.base_pose()
        held = self._holding_any()
        ignore = list(ignore) + ([self.w.items[held]] if held else [])
        lo, hi = self.ik.model.jnt_range[:7].T
        return plan_joint_path(start, goal, lambda qs: self.w.path_collides(base, qs, ignore, carried=held), TUCK, lo, hi,
                               self.rng)

    def _execute(self, path, settle: int = 60, speed: float = JOINT_SPEED) -> bool:
        return track_joint_path(self.w, path, settle, speed)

    def _move_to(self, goal, ignore=(), speed: float = JOINT_SPEED) -> str:
        path, why = self._plan(goal, ignore)
        if path is None:
            return why
        return "" if self._execute(path, speed=speed) else "the arm did not reach its goal"

    def _line(self, p_from, p_to, yaw: float | None = None, ignore=(), step: float = 0.02,
              rot=None, seed=None, margin: float = 0.015) -> tuple[list | None, str]:
        """IK solutions along a straight Cartesian line (each seeded by the last), checked;
        the hand keeps `rot` (arm frame; default: fingers down at finger-axis `yaw`)."""
        n = max(2, int(np.linalg.norm(np.asarray(p_to) - p_from) / step) + 1)
        qs, seed = [], self.w.q() if seed is None else np.asarray(seed, float)
        rot = self._rot(yaw) if rot is None else rot
        for t in np.linspace(0, 1, n):
            p = np.asarray(p_from) + (np.asarray(p_to) - p_from) * t
            q = self.ik.solve(seed, self._arm_point(p), rot)
            e = self.ik.error(q, self._arm_point(p), rot)
            if e[0] > 0.008:
                return None, f"no IK solution along the line at {np.round(p, 3).tolist()}"
            qs.append(q)
            seed = q
        hit = self.w.path_collides(self.w.base_pose(), qs, ignore, margin=margin)
        return (None, f"arm path blocked ({hit})") if hit else (qs, "")

    def _fingers(self, width: float, ticks: int = 40) -> None:
        self.w.set_fingers(width)
        self.w.step(CONTROL * ticks)

    def _retract(self, ignore=(), speed: float = JOINT_SPEED) -> str:
        return self._move_to(np.array(TUCK), ignore, speed)

    def _tuck_to_drive(self) -> str:
        return self._retract()

    # -- skills ----------------------------------------------------------------------------
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
            return [self.w.knob_pos(target)], self._part_bodies(target)
        bodies = {self.w.model.body(f"furn:{f.name}").id} | {b for c in f.containers for b in self._part_bodies(c)}
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
        r = rotate_to(BaseDrive(self.w), heading)
        self._unpark_if_turned(yaw0)
        if not r.success:
            return self._out(False, t0, r.reason)
        why = self._sees(target)
        return self._out(not why, t0, f"{target}: {why}" if why else "")

    def look_around(self) -> Outcome:
        """Turn through a full circle in six stops; `self.seen` holds what the head camera saw."""
        t0 = self.w.physics_steps
        drive = BaseDrive(self.w)
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
        rel = self.w.relation_of(item)
        # in a container, deeper (the item is carried in and out with a tuck between): a can
        # held 3 cm below its top swung out of the fingers
        grasp_z = top - min(0.045 if rel is not None and rel[0] == "in" else 0.03, k.size[2] * 0.5)
        above = np.array([p[0], p[1], top + 0.12])
        in_drawer = rel is not None and rel[0] == "in" and self._piece_of(item).kind == "dresser"
        self._fingers(FINGER_OPEN, 5)
        ignore = [self.w.items[item]]
        if rel is not None and rel[0] == "in" and rel[1] in self.w.doors:
            return self._cupboard(item, rel[1], t0, goal=np.array([p[0], p[1], grasp_z]))
        plan, why = self._approach_backing(in_drawer, above, np.array([p[0], p[1], grasp_z]),
                                           self._grasp_rots(item, in_drawer), ignore)
        if plan is None:
            return self._out(False, t0, why)
        rot, path, line = plan
        if not self._execute(path):
            return self._out(False, t0, "the arm did not reach its goal")
        self._execute(line)
        self._fingers(0.0, 50)
        # out of a drawer: lift the item's bottom over the drawer's front board before any other move
        lift = DRAWER_LIFT if in_drawer else 0.12
        up, why = self._line(self.w.tcp(), self.w.tcp() + [0, 0, lift], ignore=ignore, rot=rot)
        if up is None:  # a forearm within 1.5 cm of a drawer's front board: lift with a 5 mm margin
            up, why = self._line(self.w.tcp(), self.w.tcp() + [0, 0, lift], ignore=ignore, rot=rot, margin=0.005)
        if up is None:
            self._fingers(FINGER_OPEN, 20)
            self._retract()
            return self._out(False, t0, f"could not lift {item}: {why}")
        self._execute(up)
        self.w.step(CONTROL * 20)
        ok = self.w.holding(item)
        return self._out(ok, t0, "" if ok else "the item slipped out of the fingers")

    def _grasp_rots(self, item: str, in_container: bool) -> list[np.ndarray]:
        """Hand rotations (arm frame) to try for a top-down grasp, best first: the finger axis
        across the item (both ways round), then tilted by up to 30 degrees; in a container the
        finger axis runs across it first (a box: the pair of faces nearest to that)."""
        shape = ITEM_KINDS[self.w.house.item(item).kind].shape
        if in_container:
            y0 = self._drawer_yaw(item) if shape != "mesh" else self._grasp_yaw(item)
            yaws = [y0] if shape == "mesh" else [y0, y0 + math.pi / 2]
        else:
            yaws = [self._grasp_yaw(item)]
        pitches = (0.0, 15.0, -15.0, 30.0, -30.0)
        flip = np.diag([-1.0, -1.0, 1.0])  # the hand is symmetric about its axis
        return [r for pitch in pitches for y in yaws for r0 in [self._rot(y, math.radians(pitch))] for r in (r0, r0 @ flip)]

    def _approach_backing(self, drawer: bool, above, goal, rots, ignore) -> tuple[tuple | None, str]:
        """`_approach` from where the base stands and, at an open drawer, from DRAWER_BACK_OFFS
        m further back (an item near the drawer's front board puts the forearm on that board
        when the arm reaches down close to the base); the base stays where the plan was found
        (it still counts as parked at the dresser). On failure the base goes back."""
        plan, why = self._approach(above, goal, rots, ignore)
        if plan is not None or not drawer:
            return plan, why
        start = self.w.base_pose()
        f = self.w.house.piece(self.parked_at)
        out = np.array(f.facing, float)
        for back in DRAWER_BACK_OFFS:
            self._shift_base(np.array([*(start[:2] + out * back), start[2]]))
            plan, _ = self._approach(above, goal, rots, ignore)
            if plan is not None:
                return plan, ""
        self._shift_base(start)
        # last: the descent may end with the fingertips within 8 mm (not 1.5 cm) of the drawer's
        # floor or walls (an item grasped at its middle, low in the drawer)
        plan, _ = self._approach(above, goal, rots, ignore, margin=0.008)
        return (plan, "") if plan is not None else (None, why)

    def _approach(self, above, goal, rots, ignore, margin: float = 0.015) -> tuple[tuple | None, str]:
        """The first hand rotation of `rots` for which the arm reaches `above` collision-free
        (joint path planned), and the straight line from there to `goal` is IK-feasible and
        free: (rot, joint path to above, joint line down), or None and the first reason."""
        first = ""
        for rot in rots:
            q_above, why = self._solve(above, rots=[rot], free_of=ignore)
            if q_above is None:
                first = first or why
                continue
            line, why = self._line(above, goal, ignore=ignore, rot=rot, seed=q_above, margin=margin)
            if line is None:
                first = first or why
                continue
            path, why = self._plan(q_above, ignore)
            if path is None:
                first = first or why
                continue
            return (rot, path, line), ""
        return None, first or "no hand rotation to try"

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
        x, y, surface = self._place_spot(f, target, item)
        if target in self.w.doors:
            return self._cupboard(item, target, t0, spot=(x, y, surface))
        k = ITEM_KINDS[self.w.house.item(item).kind]
        tcp = self.w.tcp()
        drop = tcp[2] - self.w.item_pos(item)[2] + k.size[2] / 2  # TCP height above the item's bottom
        goal = np.array([x, y, surface + drop + 0.012])
        # into a container: come down from high enough that the hanging item clears its front
        above = goal + [0, 0, DRAWER_LIFT if container else 0.10]
        ignore = [self.w.items[item]]
        yaw = self._grasp_yaw(item)
        flip = np.diag([-1.0, -1.0, 1.0])
        rots = [r for pitch in (0.0, 10.0, -10.0) for r0 in [self._rot(yaw, math.radians(pitch))] for r in (r0, r0 @ flip)]
        plan, why = self._approach_backing(container, above, goal, rots, ignore)
        if plan is None:
            return self._out(False, t0, why)
        rot, path, line = plan
        if not self._execute(path):
            return self._out(False, t0, "the arm did not reach its goal")
        self._execute(line)
        self._release(item)
        up, _ = self._line(self.w.tcp(), self.w.tcp() + [0, 0, DRAWER_LIFT if container else 0.1], ignore=ignore,
                           step=0.01, rot=rot)
        if up is not None:
            self._execute(up)
        self._retract()
        self.w.step(CONTROL * 10)
        rel = self.w.relation_of(item)
        ok = rel is not None and rel[1] == target and not self.w.holding(item)
        return self._out(ok, t0, "" if ok else f"{item} ended up {rel}, not on/in {target}")

    def _cupboard(self, item: str, cupboard: str, t0: int, goal=None, spot=None) -> Outcome:
        """Pick `item` from the open cupboard (grasp point `goal`) or place it there (floor
        point `spot`), top-down, from one of the CUPBOARD_POSES (the base leaves the parking
        pose for it and comes back). The hand moves in and out of the cupboard with the base:
        the arm holds its joints while the base drives CUPBOARD_WITHDRAW m straight in or out,
        so a carried item crosses the cupboard's front level, under the roof, along a line."""
        f = self._piece_of(cupboard)
        park = self._piece_pose(f, park_distance(f))
        out = np.array([f.facing[0], f.facing[1], 0.0])
        ignore = [self.w.items[item]]
        plan, why = None, ""
        for depth, lateral in CUPBOARD_POSES:  # mirrored for a door hung on the right
            pose = self._piece_pose(f, depth, self.w.doors[cupboard] * lateral)
            self._shift_base(pose)
            if spot is None:
                above, g, rots = goal + [0, 0, CUPBOARD_LIFT], goal, self._grasp_rots(item, True)
            else:
                yaw = self._grasp_yaw(item)
                flip = np.diag([-1.0, -1.0, 1.0])
                rots = [r for pitch in (0.0, 10.0, -10.0) for r0 in [self._rot(yaw, math.radians(pitch))]
                        for r in (r0, r0 @ flip)]
                k = ITEM_KINDS[self.w.house.item(item).kind]
                drop = self.w.tcp()[2] - self.w.item_pos(item)[2] + k.size[2] / 2  # TCP height over the item's bottom
                g = np.array([spot[0], spot[1], spot[2] + drop + 0.012])
                above = g + [0, 0, 0.08]
            plan, w_ = self._approach(above, g, rots, ignore)
            why = why or w_
            if plan is not None:
                break
        if plan is None:
            self._shift_base(park)
            return self._out(False, t0, why)
        rot, path, line = plan
        if spot is not None:  # carry the item in: reach out in front of the cupboard, then drive in
            self._shift_base(pose[:2] + out[:2] * CUPBOARD_WITHDRAW)
        if not self._execute(path, speed=JOINT_SPEED if spot is None else HOLD_SPEED):
            self._retract(ignore)
            self._shift_base(park)
            return self._out(False, t0, "the arm did not reach its goal")
        if spot is not None:
            self._shift_base(pose, speed=0.1)
        self._execute(line)
        if spot is None:
            self._fingers(0.0, 50)
        else:
            self._release(item)
        up, _ = self._line(self.w.tcp(), self.w.tcp() + [0, 0, CUPBOARD_LIFT if spot is None else 0.08], ignore=ignore,
                           rot=rot, step=0.01)
        if up is not None:
            self._execute(up, settle=10)
        self._shift_base(self.w.base_pose()[:2] + out[:2] * CUPBOARD_WITHDRAW, speed=0.1)
        why = self._retract(ignore, speed=HOLD_SPEED if spot is None else JOINT_SPEED)
        if why:
            return self._out(False, t0, f"the arm is stuck at {cupboard}: {why}")
        self._shift_base(park)
        self.w.step(CONTROL * 10)
        if spot is None:
            ok = self.w.holding(item)
            return self._out(ok, t0, "" if ok else "the item slipped out of the fingers")
        rel = self.w.relation_of(item)
        ok = rel is not None and rel[1] == cupboard and not self.w.holding(item)
        return self._out(ok, t0, "" if ok else f"{item} ended up {rel}, not in {cupboard}")

    def _place_spot(self, f, target: str, item: str) -> tuple[float, float, float]:
        """World (x, y, surface z) to set the item down: a free spot on a support, in the outer
        part of an open drawer or near the front of the cupboard's floor."""
        others = [self.w.item_pos(n)[:2] for n in self.w.items if n != item]
        if f.kind == "dresser":
            mid = f.size[1] / 2 + sum(DRAWER_ITEM_DEPTH) / 2 + self.w.opening(target)
            spots = [(lat, mid + dd) for dd in (0.0, 0.06, -0.05) for lat in (0.0, 0.13, -0.13)]
            surface = DRAWER_FLOOR
        elif f.kind == "cupboard":
            spots = [(lat, dd) for dd in CUPBOARD_PLACE_DEPTHS for lat in (0.0, -0.13, 0.13)]
            surface = FURNITURE_KINDS["cupboard"].surface
        else:
            return (*self._free_spot(f, item), f.size[2])
        for lat, dep in spots:
            p = f.to_world(lat, dep)
            if all(math.dist(p, o) > 0.1 for o in others):
                return (*p, surface)
        return (*f.to_world(*spots[0]), surface)

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
        wrist stays in front of the dresser top) and slide the drawer along its axis: the arm
        slides it the first ARM_PULL m (or the last, when closing) and the base, backing off
        (or driving in) with the arm's joints held, does the rest of the full extension. Then
        let go, back off along the fingers, tuck and re-park at the dresser's parking pose."""
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
        out = np.array([f.facing[0], f.facing[1], 0.0])
        park = self.w.base_pose()[:2].copy()
        goal = DRAWER_TRAVEL * 0.96 if opening else 0.0
        base_part = max(0.0, self.w.opening(container) - ARM_PULL) if not opening else 0.0
        if base_part > 0.005:  # closing a drawer pulled out past the arm's part: back off to reach its knob
            self._shift_base(park + out[:2] * base_part)
        why = self._pinch(container, f)
        if why:
            self._shift_base(park)
            return self._out(False, t0, why)
        ignore, rot, along = self._pinch_ctx
        # the drawer's items slide along with it and the hand: the static path check ignores them
        ignore = ignore + [self.w.items[n] for n in self.w.items if self.w.relation_of(n) == ("in", container)]
        if base_part > 0.005:  # drive in with the arm held: the drawer slides home to the arm's part
            self._shift_base(park, speed=0.1)
        travel = self.w.opening(container)
        arm_goal = min(goal, ARM_PULL) if opening else 0.0
        end = self.w.tcp() + out * (arm_goal - travel + (0.0 if opening else -0.01))
        slide, why = self._line(self.w.tcp(), end, ignore=ignore, rot=rot)
        if slide is None:
            self._let_go(ignore, rot, along)
            self._shift_base(park)
            return self._out(False, t0, why)
        self._execute(slide, settle=20)
        short = (arm_goal - self.w.opening(container)) * (1 if opening else -1)  # the handle crept in the fingers
        if short > 0.005:
            more, _ = self._line(self.w.tcp(), self.w.tcp() + out * short * (1 if opening else -1) * 1.2,
                                 ignore=ignore, rot=rot)
            if more is not None:
                self._execute(more, settle=20)
        if opening and goal - self.w.opening(container) > 0.005:  # the base backs off for the rest of the travel
            self._shift_base(self.w.base_pose()[:2] + out[:2] * (goal - self.w.opening(container)) * 1.03, speed=0.1)
        self._let_go(ignore, rot, along)
        self._shift_base(park)  # re-park: the drawer hangs above the base (its bottom 0.1 m over the base's top)
        ok = self.w.is_open(container) == opening
        return self._out(ok, t0, "" if ok else f"{container} is at {self.w.opening(container):.3f} m")

    def _pinch(self, container: str, f) -> str:
        """Move the hand to the drawer's knob and pinch it; "" on success, else why not. The
        (ignored bodies, hand rotation, finger direction) go to `self._pinch_ctx`."""
        out = np.array([f.facing[0], f.facing[1], 0.0])
        grip = self.w.knob_pos(container) + out * KNOB_GRIP_OUT
        rot0 = self._rot(f.yaw + math.pi / 2, DRAWER_PITCH)
        rots = [rot0, rot0 @ np.diag([-1.0, -1.0, 1.0])]  # the hand is symmetric about its axis
        return self._pinch_at(container, grip, rots, [self.w.model.body(f"part:{container}").id])

    def _along(self, rot) -> np.ndarray:
        """World direction of the fingers for an arm-frame hand rotation."""
        fz = rot[:, 2]
        c, s_ = math.cos(self.w.base_pose()[2]), math.sin(self.w.base_pose()[2])
        return np.array([c * fz[0] - s_ * fz[1], s_ * fz[0] + c * fz[1], fz[2]])

    def _pinch_at(self, container: str, grip, rots, ignore, q_grip=None) -> str:
        """Come in along the fingers to world point `grip` with one of the hand rotations `rots`
        (or the configuration `q_grip`, with rots[0]) and pinch the knob there; "" on success,
        else why not."""
        along = self._along(rots[0])
        pre = grip - along * 0.09
        self._fingers(FINGER_OPEN, 10)
        if q_grip is None:
            q_grip, why = self._solve(grip, rots=rots, free_of=ignore)
            if q_grip is None:
                return why
        self.last_rot = rots[0] if len(rots) == 1 else self.last_rot
        rot = self.last_rot
        q_pre, why = self._solve(pre, rots=[rot], seed=q_grip, free_of=[])
        if q_pre is None:
            return why
        why = self._move_to(q_pre)
        if why:
            return why
        down, why = self._line(pre, grip, ignore=ignore, rot=rot)
        if down is None:
            self._retract()
            return why
        self._execute(down)
        self._fingers(SQUEEZE, 40)
        self._pinch_ctx = (ignore, rot, along)
        if len(self._knob_contacts(container)) < 2:
            self._let_go(ignore, rot, along)
            return "the fingers did not close on the knob"
        return ""

    def _let_go(self, ignore, rot, along) -> None:
        """Open the fingers, back the hand off along them, tuck."""
        self._fingers(FINGER_OPEN, 25)
        back, _ = self._line(self.w.tcp(), self.w.tcp() - along * 0.08, ignore=ignore, rot=rot)
        if back is not None:
            self._execute(back, settle=10)
        self._retract()

    def _shift_base(self, goal, speed: float = 0.15, tol: float = 0.003, max_ticks: int = 600) -> float:
        """Drive the base straight to world `goal` (x, y, and a yaw to turn to, else the
        heading is held), arm joints held at their targets (a held knob comes along); returns
        the distance left (m)."""
        yaw0 = float(goal[2]) if len(goal) > 2 else float(self.w.base_pose()[2])
        goal = np.asarray(goal[:2], float)
        for _ in range(max_ticks):
            x, y, yaw = self.w.base_pose()
            e = goal - (x, y)
            vel = self.w.data.qvel[self.w.base_v]
            dyaw = (yaw0 - yaw + math.pi) % (2 * math.pi) - math.pi
            if np.linalg.norm(e) < tol and abs(dyaw) < 0.005 and np.linalg.norm(vel) < 0.01:
                break
            v = 3.0 * e
            n = float(np.linalg.norm(v))
            if n > speed:
                v *= speed / n
            self.w.base_cmd = np.array([v[0], v[1], float(np.clip(3.0 * dyaw, -0.8, 0.8))])
            self.w.step(CONTROL)
        self.w.base_cmd = np.zeros(3)
        self.w.step(CONTROL * 3)
        return float(np.linalg.norm(goal - self.w.base_pose()[:2]))

    def _knob_contacts(self, container: str) -> set:
        """Finger bodies touching the container's moving part (drawer or door)."""
        m, d = self.w.model, self.w.data
        part = m.body(f"{'knob' if container in self.w.doors else 'part'}:{container}").id
        out = set()
        for c in d.contact[: d.ncon]:
            b1, b2 = m.geom_bodyid[c.geom1], m.geom_bodyid[c.geom2]
            if part in (b1, b2):
                other = b2 if b1 == part else b1
                if other in self.w.finger_bodies:
                    out.add(other)
        return out

    def _part_bodies(self, container: str) -> set:
        """Bodies of a container's moving part: a drawer, or a door and its knob."""
        m = self.w.model
        out = {m.body(f"part:{container}").id}
        return out | {m.body(f"knob:{container}").id} if container in self.w.doors else out

    def _piece_pose(self, f, depth: float, lateral: float = 0.0, turn_deg: float = 0.0) -> np.ndarray:
        """World base pose (x, y, yaw) `depth` m in front of piece `f` and `lateral` m to its
        left (piece frame), facing the piece, turned `turn_deg` clockwise."""
        x, y = f.to_world(lateral, depth)
        return np.array([x, y, math.atan2(-f.facing[1], -f.facing[0]) - math.radians(turn_deg)])

    def _door(self, container: str, opening: bool) -> Outcome:
        """Open or close the cupboard's hinged door by its knob: the base moves from the
        parking pose to the door pose (beside and behind the door's swing, turned toward it),
        the fingers (tilted DOOR_PITCH toward the door, finger axis along it) pinch the knob and
        the hand follows the knob's arc about the hinge to DOOR_OPEN_TO (or 0), the hand
        turning with the door; every point of the arc is checked for collisions with the door
        swung to the matching angle. Then let go, tuck, and re-park in front of the cupboard
        (a door open past 1.6 rad lies beside the cupboard, clear of the parked base)."""
        t0 = self.w.physics_steps
        f = self._piece_of(container)
        if self._holding_any():
            return self._fail(f"holding {self._holding_any()}")
        if self.w.is_open(container) == opening and (opening or self.w.opening(container) < DOOR_CLOSED_AT):
            return self._fail(f"{container} is already {'open' if opening else 'closed'}")
        if not self._at(container):
            return self._fail(f"not parked at {f.name}")
        park = self._piece_pose(f, park_distance(f))
        goal = DOOR_OPEN_TO if opening else 0.0
        why = ""
        side = self.w.doors[container]
        for depth, lateral, turn in DOOR_POSES:  # mirrored for a door hung on the right
            self._shift_base(self._piece_pose(f, depth, side * lateral, side * turn))
            why = self._door_swing(container, f, goal)  # from where the door now stands
            if not why:
                break
        self._shift_base(park)
        q = self.w.opening(container)
        ok = q > DOOR_OPEN_AT if opening else q < DOOR_CLOSED_AT
        return self._out(ok, t0, "" if ok else (why or f"{container}'s hinge is at {q:.2f} rad"))

    def _door_arc(self, container: str, f, hinge, grip, q0: float, goal: float, ignore) -> tuple[tuple | None, str]:
        """A joint path that carries the pinch point `grip` about the hinge from angle q0 to
        `goal`, the hand turning with the door: (hand rotation at the start, joint path) for the
        first start configuration (several IK seeds, both ways round the hand, DOOR_PITCHES)
        whose whole arc is IK-feasible and collision-free with the door swung along; else None
        and the first reason."""
        n = max(2, int(abs(goal - q0) / 0.04) + 1)
        # solved from the closed end (where the arm's configuration is the least ambiguous) and
        # reversed for a closing swing
        angles = np.linspace(min(q0, goal), max(q0, goal), n)
        side = self.w.doors[container]
        flip = np.diag([-1.0, -1.0, 1.0])
        seeds = [self.w.q(), self.ik.q_home[:7], np.array(TUCK)] + [
            self.ik.q_home[:7] + self.rng.normal(0, 0.4, 7) for _ in range(3)]
        first = ""
        for pitch in DOOR_PITCHES:
            rot0 = self._rot(f.yaw + side * q0 + math.pi / 2, pitch)
            for rot in (rot0, rot0 @ flip):
                for seed in seeds:
                    qs = []
                    for a in angles:
                        c, s_ = math.cos(side * (a - q0)), math.sin(side * (a - q0))
                        rz = np.array([[c, -s_, 0.0], [s_, c, 0.0], [0.0, 0.0, 1.0]])
                        p = self._arm_point(hinge + rz @ (grip - hinge))
                        r = rz @ rot  # a turn about the vertical is the same in the world and the arm frame
                        q = self.ik.solve(seed, p, r)
                        e = self.ik.error(q, p, r)
                        if e[0] > 0.008 or e[1] > 0.05:
                            first = first or f"no IK solution along the door's arc at {a:.2f} rad"
                            break
                        qs.append(q)
                        seed = q
                    if len(qs) < n:
                        continue
                    hit = self.w.path_collides(self.w.base_pose(), qs, ignore, moving=(container, angles))
                    if hit:
                        first = first or f"arm path blocked ({hit})"
                        continue
                    if goal < q0:
                        qs = qs[::-1]
                    return (rot, qs), ""
        return None, first

    def _door_swing(self, container: str, f, goal: float) -> str:
        """Pinch the door's knob and swing the door to hinge angle `goal` from the current base
        pose; "" when the hand went all the way, the reason otherwise."""
        m, d = self.w.model, self.w.data
        knob_body = m.body(f"knob:{container}").id
        q0 = self.w.opening(container)
        hinge = d.xpos[m.body(f"part:{container}").id].copy()
        side = self.w.doors[container]
        normal = np.array([math.cos(f.yaw + side * q0), math.sin(f.yaw + side * q0), 0.0])  # out of the door's front
        grip = self.w.knob_pos(container) + normal * KNOB_GRIP_OUT
        arc, why = self._door_arc(container, f, hinge, grip, q0, goal, [knob_body])
        if arc is None:
            return why
        rot, qs = arc
        why = self._pinch_at(container, grip, [rot], [knob_body], q_grip=qs[0])
        if why:
            return why
        ignore, rot, along = self._pinch_ctx
        self._execute(qs, settle=20)
        self._let_go(ignore, rot, along)
        q = self.w.opening(container)
        return "" if abs(q - goal) < 0.15 else f"{container}'s hinge is at {q:.2f} rad (the knob slipped)"


__all__ = ["HOUSE_PRIMITIVES", "HouseSkills"]
