"""Executors for house tasks: run one `SkillCall` at a time and report a `HouseObservation`.

Two executors share one interface (`HouseExecutor`) and one set of precondition checks
(`precondition_failure`, so that both give the same reason for the same mistake):

- `SymbolicHouse` (kind="symbolic"): a rule-based twin of the house, fast and deterministic,
  no physics (``sim_seconds`` stays 0.0). State: each item on/in a place or in the hand,
  containers open or closed (all closed at the start), the robot's room and the piece it is
  parked at.
- `PhysicsHouse` (kind="physics"): `HouseWorld` + `HouseSkills` in MuJoCo; each call runs
  the matching skill, the observation is read from the simulator, ``sim_seconds`` counts
  physics steps x timestep.

See `sim.manip.house_rules` for the skills' preconditions and what the robot sees.

Physics notes: before a drive the executor tucks the arm itself (straight joint path, else
seeded via-points; the held item is not an obstacle to the arm's path check, since it moves
with the hand, and an arm left within the checker's margin of furniture may back out of
it); ``navigate_to(item)`` drives to the piece the item rests on now (read from the
physics), not where the house first put it; the rgbd frames do not draw the robot (the
tucked hand hangs in front of the head camera; `HouseWorld.in_view` looks through the robot
too). ``move_items`` and ``reset`` do not add to ``sim_seconds``.

Example:
    >>> from scenes.house import load_house
    >>> ex = make_executor(load_house("house-2room", 0), kind="symbolic")
    >>> ex.execute(SkillCall("navigate_to", ("dresser_0",))).success
    True
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from perception.house_data import HouseObservation, SkillCall
from perception.house_vision import camera_to_world, clouds, container_box, relation_of_points, support_box
from perception.mapping import back_project
from perception.sensors import Intrinsics
from robots.headless_mujoco import mujoco
from robots.mobile_panda import FINGER_OPEN, HEAD_CAMERA
from scenes.house import DRAWER_HALF_H, DRAWER_Z, FURNITURE_KINDS, ITEM_KINDS, Furniture, HouseSpec
from sim.manip.house_rules import (
    EXECUTOR_KINDS,
    SENSORS,
    HouseExecutor,
    is_cupboard,
    piece_or_none,
    precondition_failure,
    room_target,
)
from sim.manip.house_skills import HouseSkills
from sim.manip.house_symbolic import SymbolicHouse
from sim.manip.house_world import TUCK, HouseWorld
from sim.manip.joint_paths import CONTROL, JOINT_SPEED
from sim.navigation import BaseDrive, DriveConfig, drive_path, nearest_node, plan_path, rotate_to

RGBD_SIZE = (240, 320)  # head-camera frame (height, width) for sensors="rgbd"
ROBOT_GROUP = 5  # geom group the robot is drawn in; hidden from the rgbd frames
SETTLE_STEPS = 250  # physics steps (0.5 s) to let moved items come to rest
ESCAPE = 0.25  # rad: an arm left in contact may move this far before its path is checked


class PhysicsHouse(HouseExecutor):
    """`HouseWorld` + `HouseSkills` (MuJoCo) behind the executor interface."""

    kind = "physics"

    def __init__(self, house: HouseSpec, sensors: str = "symbolic", seed: int = 0) -> None:
        if sensors not in SENSORS:
            raise ValueError(f"sensors must be one of {', '.join(SENSORS)}, got {sensors!r}")
        super().__init__(house, sensors, seed)
        self.world = HouseWorld(house)
        self.skills = HouseSkills(self.world, seed=seed)
        self._start = (*self.world.base_pose(),)
        self._room_now = self.layout.start_room
        self._renderer = None
        self._body_label: dict[int, str] = {}
        self._fresh = True
        m = self.world.model
        for b in range(m.nbody):
            name = m.body(b).name
            if name.startswith(("item:", "furn:", "part:", "knob:")):
                self._body_label[b] = name
        # the head camera looks through the robot (as HouseWorld.in_view does): the tucked hand
        # hangs in front of it. Geom groups only matter for drawing, so the physics is unchanged.
        for g in range(m.ngeom):
            if m.geom_bodyid[g] in self.world.robot_bodies:
                m.geom_group[g] = ROBOT_GROUP
        self._scene_option = mujoco.MjvOption()
        self._scene_option.geomgroup[ROBOT_GROUP] = 0

    # -- state --------------------------------------------------------------------------------
    def _room(self) -> int:
        x, y, _ = self.world.base_pose()
        k = self.house.scene.room_of(float(x), float(y))
        if k is not None:
            self._room_now = int(k)
        return self._room_now

    def _at(self) -> str | None:
        return self.skills.parked_at

    def _holding(self) -> str | None:
        return next((n for n in self._items if self.world.holding(n)), None)

    def _place_of(self, item: str):
        if self.world.holding(item):
            return None
        return self.world.relation_of(item)

    def truth(self) -> frozenset:
        facts = {f for f in self.world.symbolic_state() if f[0] in ("on", "in", "open", "holding")}
        facts.add(("room", self._room()))
        if self._at():
            facts.add(("at", self._at()))
        return frozenset(facts)

    def robot_xy(self) -> tuple[float, float]:
        x, y, _ = self.world.base_pose()
        return float(x), float(y)

    # -- episodes -------------------------------------------------------------------------------
    def reset(self) -> HouseObservation:
        """Robot back at the start pose, arm tucked, hand open (a held item is put back where
        the house had it); items and containers stay as they are."""
        if not self._fresh:
            w = self.world
            held = self._holding()
            if held:
                it = self.house.item(held)
                self._put(held, it.relation, it.support)
            w.data.qpos[w.base_q] = self._start
            w.data.qvel[w.base_v] = 0.0
            w.data.qpos[w.arm_q] = TUCK
            w.data.qvel[w.arm_v] = 0.0
            w.set_arm_target(np.array(TUCK))
            w.data.qpos[w.finger_q] = FINGER_OPEN
            w.set_fingers(FINGER_OPEN)
            w.base_cmd = np.zeros(3)
            mujoco.mj_forward(w.model, w.data)
            w.step(20)
            self.skills.parked_at = None
        self._fresh = False
        self._room_now = self.layout.start_room
        seen = self._look_now()
        return self._observation(None, True, "", seen, 0.0)

    def move_items(self, moves: list[tuple[str, str]]) -> None:
        """Put items on/in new places (between episodes): free joint set onto the new support
        or into the container (its current opening), then a short settle."""
        for item, rel, place in self._check_moves(moves):
            self._put(item, rel, place)
        self._fresh = False

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # -- running skills -------------------------------------------------------------------------
    def _execute(self, call: SkillCall) -> HouseObservation:
        w, sk = self.world, self.skills
        self._fresh = False
        why = precondition_failure(self.house, self.layout, call, room=self._room(), at=self._at(),
                                   holding=self._holding(), place_of=self._place_of, is_open=w.is_open)
        if why:
            return self._failed(call, why)
        t0 = w.physics_steps
        s, a = call.skill, call.args
        seen_extra: list[dict] = []
        if s == "navigate_to":
            k = room_target(a[0], self.layout)
            if k is not None:
                ok, reason = self._navigate_room(k)
            else:
                rel = self._place_of(a[0]) if a[0] in self._items else None
                target = self.house.piece(rel[1]).name if rel else a[0]  # where the item is now
                why = self._tuck()  # the skill tucks too; this one may also leave a contact
                if why:
                    ok, reason = False, why
                else:
                    out = sk.navigate_to(target)
                    ok, reason = out.success, out.reason
        elif s == "look_around":
            if self.sensors == "rgbd":
                ok, reason, seen_extra = self._sweep()
            else:
                out = sk.look_around()
                ok, reason = out.success, out.reason
                seen_extra = [self._names_seen(sk.seen)]
        else:
            out = getattr(sk, s)(*a)
            ok, reason = out.success, out.reason
        dt = (w.physics_steps - t0) * w.timestep
        self.sim_seconds += dt
        seen = self._merge(seen_extra + [self._look_now()])
        if s == "navigate_to" and ok and self._at():
            seen["pieces"].setdefault(self._at(), None)  # parked facing it
        return self._observation(call, ok, reason, seen, dt)

    def _tuck(self) -> str:
        """Bring the arm to the tucked pose before driving: the straight joint path, else via
        one of 60 seeded random via-points (as HouseSkills does before its own drives), every
        configuration checked for collisions (the held item moves with the hand: ignored).
        An arm that a skill left touching furniture (within the checker's 1.5 cm margin) may
        move out of that contact: configurations within ESCAPE rad of the start are not
        checked, so that it is not stuck for good."""
        w = self.world
        q0, goal = w.q(), np.array(TUCK)
        if np.abs(q0 - goal).max() < 0.05:
            return ""

        def seg(a, b):
            return [a + (b - a) * t for t in np.linspace(0, 1, max(2, int(np.abs(b - a).max() / 0.05) + 1))]

        held = self._holding()
        ignore = [w.items[held]] if held else ()
        stuck = bool(w.path_collides(w.base_pose(), [q0], ignore))

        def collides(path):
            if stuck:
                path = [q for q in path if np.abs(q - q0).max() > ESCAPE]
            return w.path_collides(w.base_pose(), path, ignore)

        path = seg(q0, goal)
        hit = collides(path)
        if hit:
            rng = np.random.default_rng([self.seed & 0xFFFFFFFF, w.physics_steps])
            lo, hi = self.skills.ik.model.jnt_range[:7].T
            for k in range(60):  # via-points around the midpoint, then near the start (backing off)
                centre, spread = ((q0 + goal) / 2, 0.5) if k < 40 else (q0, 0.4)
                v = np.clip(centre + rng.normal(0, spread, 7), lo + 0.05, hi - 0.05)
                path = seg(q0, v) + seg(v, goal)[1:]
                if not collides(path):
                    break
            else:
                return f"could not tuck the arm ({hit})"
        dt = CONTROL * w.timestep
        for a, b in itertools.pairwise(path):
            for t in np.linspace(0, 1, max(1, int(np.abs(b - a).max() / (JOINT_SPEED * dt))) + 1)[1:]:
                w.set_arm_target(a + (b - a) * t)
                w.step(CONTROL)
        w.step(CONTROL * 10)
        return ""

    def _navigate_room(self, k: int) -> tuple[bool, str]:
        g = self.skills.graph
        nodes = [n for n, d in g.nodes(data=True) if d.get("room") == k]
        centre = self.layout.room_centres[self.layout.rooms.index(k)]
        goal = min(nodes, key=lambda n: (math.dist(n, centre), n))
        path = plan_path(g, nearest_node(g, self.world.base_pose()[:2]), goal)
        if path is None:
            return False, f"no path to room {k}"
        why = self._tuck()
        if why:
            return False, why
        drive = BaseDrive(self.world)
        self.skills.parked_at = None
        r = drive_path(drive, [tuple(map(float, p)) for p in path], drive.robot_pose()[2], DriveConfig(goal_tol=0.05))
        return r.success, r.reason

    def _sweep(self) -> tuple[bool, str, list[dict]]:
        """look_around for rgbd: turn through six 60-degree stops, one frame at each."""
        drive = BaseDrive(self.world)
        start = drive.robot_pose()[2]
        yaw0 = self.world.base_pose()[2]
        views = []
        for k in range(1, 7):
            r = rotate_to(drive, (start + 60.0 * k) % 360.0)
            if not r.success:
                return False, f"{r.reason} at stop {k}", views
            views.append(self._look_now())
        d = (self.world.base_pose()[2] - yaw0 + math.pi) % (2 * math.pi) - math.pi
        if abs(d) > math.radians(3.0):
            self.skills.parked_at = None
        return True, "", views

    # -- what the robot sees ----------------------------------------------------------------------
    def _look_now(self) -> dict:
        """{"pieces": {name: position or None}, "items": {name: (rel, place)}} seen from here."""
        return self._rgbd_view() if self.sensors == "rgbd" else self._sim_view()

    def _names_seen(self, names) -> dict:
        out = {"pieces": {}, "items": {}}
        for n in names:
            if n in self._items:
                rel = self._place_of(n)
                if rel is not None:
                    out["items"][n] = rel
            elif piece_or_none(self.house, n) is not None:
                out["pieces"][n] = None
        return out

    def _sim_view(self) -> dict:
        w, m = self.world, self.world.model
        pieces = {}
        for f in self.house.furniture:
            bodies = {m.body(f"furn:{f.name}").id} | {m.body(f"part:{c}").id for c in f.containers}
            top_front = f.to_world(0.0, f.size[1] / 2 - 0.05)
            pts = [np.array([*f.position, f.size[2] * 0.8]), np.array([*top_front, f.size[2] - 0.01])]
            if any(w.in_view(p, bodies) == "" for p in pts):
                pieces[f.name] = None
        items = {}
        for n in self._items:
            rel = self._place_of(n)
            if rel is None:
                continue
            if rel[0] == "in":  # seen when the ray reaches it or stops on its open container's own parts
                if not w.is_open(rel[1]):
                    continue
                f = self.house.piece(rel[1])
                bodies = {w.items[n], m.body(f"part:{rel[1]}").id, m.body(f"furn:{f.name}").id}
                if w.in_view(w.item_pos(n), bodies) == "":
                    items[n] = rel
            elif w.in_view(w.item_pos(n), w.items[n]) == "":
                items[n] = rel
        return {"pieces": pieces, "items": items}

    def _frame(self) -> tuple[np.ndarray, np.ndarray, Intrinsics]:
        """Depth (m along the axis, inf = nothing) and per-pixel body labels of the head camera."""
        w = self.world
        m, d = w.model, w.data
        h, wd = RGBD_SIZE
        if self._renderer is None:
            self._renderer = mujoco.Renderer(m, height=h, width=wd)
        r = self._renderer
        r.enable_depth_rendering()
        r.update_scene(d, camera=HEAD_CAMERA, scene_option=self._scene_option)
        depth = r.render().astype(np.float64)
        r.disable_depth_rendering()
        r.enable_segmentation_rendering()
        r.update_scene(d, camera=HEAD_CAMERA, scene_option=self._scene_option)
        seg = r.render()
        r.disable_segmentation_rendering()
        depth[depth >= 0.99 * m.vis.map.zfar * m.stat.extent] = np.inf
        geom = np.where(seg[:, :, 1] == int(mujoco.mjtObj.mjOBJ_GEOM), seg[:, :, 0], -1)
        body = np.where(geom >= 0, np.asarray(m.geom_bodyid)[np.maximum(geom, 0)], -1)
        return depth, body, Intrinsics(wd, h, float(m.cam_fovy[m.camera(HEAD_CAMERA).id]))

    def _rgbd_view(self) -> dict:
        w = self.world
        depth, body, intr = self._frame()
        ok = np.isfinite(depth)
        pts = camera_to_world(back_project(depth, intr), *w.head_camera())
        labels = body[ok]
        names = {b: self._label(n) for b, n in self._body_label.items()}
        cl = clouds(pts, labels, names)
        pieces, places = {}, []
        for f in self.house.furniture:
            own = [cl[k] for k in (f"piece:{f.name}", *(f"part:{c}" for c in f.containers)) if k in cl]
            if not own:
                continue
            allp = np.concatenate(own)
            lo, hi = allp[:, :2].min(axis=0), allp[:, :2].max(axis=0)
            pieces[f.name] = tuple(round(float(v), 2) for v in (lo + hi) / 2)
            if FURNITURE_KINDS[f.kind].relation == "on" and f"piece:{f.name}" in cl:
                places.append(support_box(f.name, cl[f"piece:{f.name}"]))
            for c in f.containers:
                if not w.is_open(c):
                    continue
                key = f"piece:{f.name}" if f.kind == "cupboard" else f"part:{c}"
                if key in cl:
                    places.append(container_box(c, cl[key]))
        items = {}
        for n in self._items:
            if f"item:{n}" in cl and n != self._holding():
                rel = relation_of_points(cl[f"item:{n}"], places)
                if rel is not None:
                    items[n] = rel
        return {"pieces": pieces, "items": items}

    def _label(self, body_name: str) -> str:
        """item:X stays; furn:X -> piece:X; a cupboard's door (part:X, knob:X) counts as the piece."""
        if body_name.startswith(("furn:", "knob:")):
            return "piece:" + body_name[5:]
        if body_name.startswith("part:") and is_cupboard(self.house, body_name[5:]):
            return "piece:" + body_name[5:]
        return body_name

    @staticmethod
    def _merge(views: list[dict]) -> dict:
        out = {"pieces": {}, "items": {}}
        for v in views:
            for n, p in v["pieces"].items():
                if out["pieces"].get(n) is None:
                    out["pieces"][n] = p
            out["items"].update(v["items"])
        return out

    def _observation(self, call, ok: bool, reason: str, seen: dict, dt: float) -> HouseObservation:
        w, h = self.world, self.house
        pieces, opened, closed = [], [], []
        items = sorted((rel, n, place) for n, (rel, place) in seen["items"].items())
        for name in sorted(seen["pieces"]):
            f = h.piece(name)
            pieces.append(self._piece_seen(f, seen["pieces"][name]))
            for c in f.containers:
                if w.is_open(c):
                    opened.append((c, tuple(n for r, n, p in items if p == c)))
                else:
                    closed.append(c)
        return HouseObservation(call, bool(ok), "" if ok else reason, self._room(), self._at(), self._holding(),
                                tuple(pieces), tuple(items), tuple(opened), tuple(closed), round(dt, 4))

    # -- moving items between episodes -------------------------------------------------------------
    def _put(self, item: str, rel: str, place: str) -> None:
        w, m, d = self.world, self.world.model, self.world.data
        if w.holding(item) or w.finger_contacts(item):
            w.set_fingers(FINGER_OPEN)
            w.step(CONTROL * 20)
        f = self.house.piece(place)
        k = ITEM_KINDS[self.house.item(item).kind]
        lat, dep = self._free_spot(f, place, item)
        if f.kind == "dresser":
            z = DRAWER_Z[f.containers.index(place)] - DRAWER_HALF_H + 0.017
            x, y = f.to_world(lat, dep + w.opening(place))
        elif f.kind == "cupboard":
            z = FURNITURE_KINDS["cupboard"].surface
            x, y = f.to_world(lat, dep)
        else:
            z = f.size[2]
            x, y = f.to_world(lat, dep)
        b = w.items[item]
        qa = int(m.jnt_qposadr[m.body_jntadr[b]])
        va = int(m.jnt_dofadr[m.body_jntadr[b]])
        yaw = f.yaw + math.radians(self.house.item(item).yaw)
        d.qpos[qa: qa + 3] = [x, y, z + k.size[2]]
        d.qpos[qa + 3: qa + 7] = [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]
        d.qvel[va: va + 6] = 0.0
        mujoco.mj_forward(m, d)
        g = int(m.body_geomadr[b])
        centre, bottom = d.geom_xpos[g], self._geom_bottom(g)
        d.qpos[qa: qa + 3] += [x - centre[0], y - centre[1], z + 0.003 - bottom]
        mujoco.mj_forward(m, d)
        w.base_cmd = np.zeros(3)
        w.step(SETTLE_STEPS)

    def _geom_bottom(self, g: int) -> float:
        m, d = self.world.model, self.world.data
        if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_MESH:
            i = int(m.geom_dataid[g])
            v = m.mesh_vert[m.mesh_vertadr[i]: m.mesh_vertadr[i] + m.mesh_vertnum[i]]
            return float((v @ d.geom_xmat[g].reshape(3, 3).T)[:, 2].min() + d.geom_xpos[g][2])
        half = m.geom_size[g][2] if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_BOX else m.geom_size[g][1]
        return float(d.geom_xpos[g][2] - half)

    def _free_spot(self, f: Furniture, place: str, item: str) -> tuple[float, float]:
        """A (lateral, depth) spot on/in the place, in the piece frame (a drawer: closed-drawer
        frame), 0.1 m clear of every other item; the first free one of a fixed grid."""
        w, dep_ = f.size[0], f.size[1]
        if f.kind == "dresser":
            lats, deps = (0.0, 0.1, -0.1), (dep_ / 2 - 0.2, dep_ / 2 - 0.14)  # in the drawer's outer part
        elif f.kind == "cupboard":
            lats, deps = (0.0, 0.15, -0.15), (0.03, 0.09)
        else:
            lats, deps = (0.0, 0.15, -0.15, 0.28, -0.28), (0.05, 0.15)
        opening = self.world.opening(place) if f.kind == "dresser" else 0.0
        others = [self.world.item_pos(n)[:2] for n in self._items if n != item]
        for dep in deps:
            for lat in lats:
                if abs(lat) > w / 2 - 0.08:
                    continue
                p = f.to_world(lat, dep + opening)
                if all(math.dist(p, o) > 0.1 for o in others):
                    return lat, dep
        return 0.0, deps[0]


def make_executor(house: HouseSpec, kind: str = "physics", sensors: str = "symbolic", seed: int = 0) -> HouseExecutor:
    """A house executor: "physics" (MuJoCo) or "symbolic" (the rule-based twin)."""
    if kind not in EXECUTOR_KINDS:
        raise ValueError(f"executor kind must be one of {', '.join(EXECUTOR_KINDS)}, got {kind!r}")
    if sensors not in SENSORS:
        raise ValueError(f"sensors must be one of {', '.join(SENSORS)}, got {sensors!r}")
    return (PhysicsHouse if kind == "physics" else SymbolicHouse)(house, sensors=sensors, seed=seed)


__all__ = ["PhysicsHouse", "make_executor"]
