"""The mobile Panda in a house on PyBullet, natively: navigate_to, pick and place.

The same URDF robot as the MuJoCo house (`sim.manip.house_world`): pybullet_data's
``franka_panda/panda.urdf`` on a holonomic base (prismatic x, prismatic y, continuous yaw
joints added by a wrapper URDF, `sim.manip.pybullet_house_build`), in a PyBullet
(p.DIRECT) build of the same `HouseSpec`: furniture at its real sizes and heights as static
collision bodies, items as free bodies (boxes, cylinders, the pybullet_data mug and duck).

- Control: base joints by velocity motors (`sim.navigation.drive_path` / `rotate_to` drive
  them, as they drive the MuJoCo base), arm joints by PyBullet position control with the
  URDF's effort limits (87 / 12 N m), fingers by position control with a 20 N force limit
  (the URDF's). Items are held by finger friction only: no constraint, no weld.
- IK: PyBullet's own `calculateInverseKinematics` (damped least squares with null-space
  limits, iterated until the TCP is within 1 mm), arm-only with the base parked, run on a
  kinematic copy of the arm in a second DIRECT client whose base sits where the real arm's
  mount is. That client also holds a copy of the static house, so every arm motion is
  checked for collisions along its joint path (1.5 cm margin, every 0.05 rad) before it
  runs; a straight joint path that collides is replaced by one via the tucked pose or via
  random points (seeded).
- Skills (`PyBulletHouseSkills`) return `sim.manip.skills.Outcome` with a failure reason:
  navigate_to(target) parks in front of the target's piece (`scenes.house.park_distance`,
  facing it), pick(item) grasps from above across the item's narrowest width and lifts
  12 cm, place(item, support) lowers it to 4 mm above a free spot of a table, counter or
  shelf top, opens the hand and waits for the fingers to leave it. Items in drawers and the
  cupboard stay closed in: drawers and the door are MuJoCo-only here.
- `check_pybullet_house` measures pick, place (back on its support) and carry
  (`carry_plan`: pick, drive to another room's support, place) over seeded houses, in the
  JSON shape of `sim.manip.house_check`.

Example:
    >>> from scenes.house import load_house
    >>> sk = PyBulletHouseSkills(PyBulletHouseWorld(load_house("house-3room", 1)))
    >>> sk.navigate_to("duck_0").success, sk.pick("duck_0").success
    (True, True)
    >>> sk.w.close()
"""

from __future__ import annotations

import math

import numpy as np

from robots.mobile_panda import EFFORT, panda_urdf_path
from scenes.frames import heading_to_mujoco_yaw
from scenes.house import ITEM_KINDS, HouseSpec
from sim.backends.base import BackendError
from sim.manip.check import summarize_runs
from sim.manip.house_skill_base import HouseSkillsBase, symbolic_state
from sim.manip.house_world import TUCK
from sim.manip.joint_paths import plan_joint_path, track_joint_path
from sim.manip.pybullet_house_build import build_house, import_pybullet, item_mesh, load_mobile_panda
from sim.manip.skills import Outcome

TIMESTEP = 1.0 / 240.0
CONTROL = 8  # physics steps per control tick (30 Hz)
JOINT_SPEED = 1.0  # rad/s, the largest joint's speed along a path
DESCEND_SPEED = 0.25  # rad/s on the last straight descent: the arm lags less, and the open fingers clear a mug by 2 mm a side
FINGER_OPEN, FINGER_FORCE = 0.04, 20.0  # m each, N (the URDF's finger effort)
FINGER_FRICTION = 1.5
GEAR_FORCE = 1.0  # N: enough to keep the fingers symmetric; at 10-50 N it held a block squeezed after the hand opened
BASE_FORCE, BASE_TORQUE = 600.0, 150.0
ARM_KP = 0.3  # PyBullet position gain of the arm joints
MARGIN = 0.015  # m, clearance the path check asks of every arm link
LIFT = 0.12  # m the item rises after the grasp
MAX_TILT = 20.0  # deg: a held item tilted more than this counts as a failed pick
RELEASE_GAP = 0.004  # m between the held item and the top when the hand opens: a longer fall tipped ducks and mugs


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


class _ArmIK:
    """Arm-only IK and path checks on a kinematic copy: the Panda alone (fixed at the real
    arm's mount) and the house's static bodies, in a client of its own."""

    def __init__(self, p, house: HouseSpec) -> None:
        self.p = p
        self.cid = p.connect(p.DIRECT)
        scene = build_house(p, self.cid, house, items=False)
        self.obstacles = [*scene.static, *scene.pieces.values()]  # not the floor: the arm never reaches it
        self.names = {u: n for n, u in scene.pieces.items()}
        self.body = p.loadURDF(panda_urdf_path(), useFixedBase=True, physicsClientId=self.cid)
        n = p.getNumJoints(self.body, physicsClientId=self.cid)
        info = [p.getJointInfo(self.body, j, physicsClientId=self.cid) for j in range(n)]
        self.joints = [j for j in range(n) if info[j][2] != p.JOINT_FIXED]  # 7 arm + 2 fingers
        self.tcp = [i[12].decode() for i in info].index("panda_grasptarget")
        self.lo = np.array([info[j][8] for j in self.joints])
        self.hi = np.array([info[j][9] for j in self.joints])
        self.inertial = p.getDynamicsInfo(self.body, -1, physicsClientId=self.cid)[3]

    def place_base(self, mount_pos, yaw: float) -> None:
        """Put the copy's link0 frame at the real arm's mount (PyBullet places a base by its
        centre of mass, which for panda_link0 lies 5 cm above the link frame)."""
        quat = [0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)]
        com = self.p.multiplyTransforms(list(mount_pos), quat, list(self.inertial), [0, 0, 0, 1])[0]
        self.p.resetBasePositionAndOrientation(self.body, com, quat, physicsClientId=self.cid)

    def _set(self, q7) -> None:
        for j, q in zip(self.joints[:7], q7):
            self.p.resetJointState(self.body, j, float(q), physicsClientId=self.cid)

    def fk(self, q7) -> tuple[np.ndarray, np.ndarray]:
        """World TCP position and 3x3 orientation at arm joints `q7`."""
        self._set(q7)
        s = self.p.getLinkState(self.body, self.tcp, computeForwardKinematics=True, physicsClientId=self.cid)
        return np.asarray(s[4]), np.asarray(self.p.getMatrixFromQuaternion(s[5])).reshape(3, 3)

    def solve(self, seed, pos, quat, tries: int = 20) -> tuple[np.ndarray, float, float]:
        """Arm joints putting the TCP at world `pos` with orientation `quat` (xyzw), and the
        position (m) and orientation (rad) errors left."""
        p, c = self.p, self.cid
        q = np.asarray(seed, float)[:7]
        target = np.asarray(p.getMatrixFromQuaternion(quat)).reshape(3, 3)
        rest = list(q) + [FINGER_OPEN, FINGER_OPEN]
        for _ in range(tries):
            self._set(q)
            sol = p.calculateInverseKinematics(self.body, self.tcp, list(pos), list(quat), lowerLimits=self.lo.tolist(),
                                               upperLimits=self.hi.tolist(), jointRanges=(self.hi - self.lo).tolist(),
                                               restPoses=rest, maxNumIterations=200, residualThreshold=1e-6,
                                               physicsClientId=c)
            q = np.clip(np.asarray(sol[:7]), self.lo[:7], self.hi[:7])
            at, rot = self.fk(q)
            perr = float(np.linalg.norm(at - pos))
            aerr = float(np.arccos(np.clip((np.trace(rot.T @ target) - 1) / 2, -1, 1)))
            if perr < 1e-3 and aerr < 0.01:
                break
        return q, perr, aerr

    def collides(self, qs) -> str:
        """The first configuration along `qs` where an arm link comes within MARGIN of the
        static house, as "link vs piece" (or "vs a wall or object"), or ""."""
        p, c = self.p, self.cid
        for q in qs:
            self._set(q)
            for b in self.obstacles:
                hits = p.getClosestPoints(self.body, b, MARGIN, physicsClientId=c)
                if hits:
                    link = p.getJointInfo(self.body, hits[0][3], physicsClientId=c)[12].decode() if hits[0][3] >= 0 \
                        else "panda_link0"
                    return f"{link} vs {self.names.get(b, 'a wall or object')}"
        return ""

    def close(self) -> None:
        if self.cid is not None:
            self.p.disconnect(self.cid)
            self.cid = None


class PyBulletHouseWorld:
    """The house and the mobile Panda in PyBullet; the robot at the scene's start (or at
    `start` = (x, y, yaw)), arm tucked, fingers open."""

    backend = "pybullet"

    def __init__(self, house: HouseSpec, start=None, timestep: float = TIMESTEP) -> None:
        self.p = p = import_pybullet()
        self.house = house
        self.dt = timestep
        self.cid = c = p.connect(p.DIRECT)
        p.setGravity(0, 0, -9.81, physicsClientId=c)
        p.setTimeStep(timestep, physicsClientId=c)
        p.setPhysicsEngineParameter(numSolverIterations=100, physicsClientId=c)
        self.scene = build_house(p, c, house)
        self.containers: dict = {}  # drawers and doors are static here: none opens or closes
        if start is None:
            sx, sy = house.scene.start_position
            start = (sx, sy, heading_to_mujoco_yaw(house.scene.start_heading))
        self.robot = r = load_mobile_panda(p, c, tuple(float(v) for v in start))
        self.body = r.body
        for link in range(-1, p.getNumJoints(r.body, physicsClientId=c)):
            p.setCollisionFilterPair(r.body, self.scene.floor, link, -1, 0, physicsClientId=c)
        for link in r.finger_links:  # the URDF's friction anchors held a block's edges after the hand opened: off
            p.changeDynamics(r.body, link, lateralFriction=FINGER_FRICTION, spinningFriction=0.05, frictionAnchor=False,
                             physicsClientId=c)
        # the fingers move as a pair (the Panda's one motor; MuJoCo's equality), so a squeezed item stays centred
        gear = p.createConstraint(r.body, r.finger_links[0], r.body, r.finger_links[1], p.JOINT_GEAR, [1, 0, 0],
                                  [0, 0, 0], [0, 0, 0], physicsClientId=c)
        p.changeConstraint(gear, gearRatio=-1, erp=0.1, maxForce=GEAR_FORCE, physicsClientId=c)
        for j, q in zip(r.arm_joints, TUCK):
            p.resetJointState(r.body, j, q, physicsClientId=c)
        for j in r.finger_joints:
            p.resetJointState(r.body, j, FINGER_OPEN, physicsClientId=c)
        self.items = dict(self.scene.items)
        self.pieces = dict(self.scene.pieces)
        self._world_bodies = set(self.pieces.values()) | set(self.scene.static)
        self._arm_links = set(r.arm_links)
        self.arm_target = np.array(TUCK, float)
        self.finger_target = FINGER_OPEN
        self.base_cmd = np.zeros(3)
        self.physics_steps = 0
        self.max_penetration = 0.0  # deepest arm-vs-furniture/wall contact seen in any physics step, m
        self.worst_contact: tuple[str, str] | None = None
        self.ik = _ArmIK(p, house)
        self._apply()
        self.step(CONTROL * 5)

    # -- stepping -------------------------------------------------------------------------
    @property
    def timestep(self) -> float:
        return self.dt

    def _apply(self) -> None:
        p, c, r = self.p, self.cid, self.robot
        p.setJointMotorControlArray(r.body, list(r.base_joints), p.VELOCITY_CONTROL, targetVelocities=list(self.base_cmd),
                                    forces=[BASE_FORCE, BASE_FORCE, BASE_TORQUE], physicsClientId=c)
        p.setJointMotorControlArray(r.body, list(r.arm_joints), p.POSITION_CONTROL,
                                    targetPositions=self.arm_target.tolist(), forces=list(EFFORT),
                                    positionGains=[ARM_KP] * 7, velocityGains=[1.0] * 7, physicsClientId=c)
        p.setJointMotorControlArray(r.body, list(r.finger_joints), p.POSITION_CONTROL,
                                    targetPositions=[self.finger_target] * 2, forces=[FINGER_FORCE] * 2,
                                    positionGains=[0.2] * 2, physicsClientId=c)

    def step(self, n: int = 1) -> None:
        """Advance `n` physics steps under the current commands, reading the arm's contacts
        after each."""
        self._apply()
        for _ in range(n):
            self.p.stepSimulation(physicsClientId=self.cid)
            self._watch_contacts()
        self.physics_steps += n
        if not np.isfinite(self.base_pose()).all():
            raise BackendError("simulation diverged (PyBullet gave a non-finite base pose)")

    def _watch_contacts(self) -> None:
        arm = self._arm_links
        for cp in self.p.getContactPoints(bodyA=self.body, physicsClientId=self.cid):
            if cp[3] in arm and cp[2] in self._world_bodies and -cp[8] > self.max_penetration:
                self.max_penetration = -float(cp[8])
                self.worst_contact = (self.robot.link_names[cp[3]], self._body_name(cp[2]))

    def _body_name(self, b: int) -> str:
        return next((n for n, u in self.pieces.items() if u == b), "a wall or object")

    def close(self) -> None:
        if self.cid is not None:
            self.p.disconnect(self.cid)
            self.cid = None
            self.ik.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- robot state and commands --------------------------------------------------------
    def _joints(self, joints) -> np.ndarray:
        return np.array([s[0] for s in self.p.getJointStates(self.body, list(joints), physicsClientId=self.cid)])

    def base_pose(self) -> np.ndarray:
        """World x, y and yaw (rad) of the base."""
        return self._joints(self.robot.base_joints)

    def base_velocity(self) -> np.ndarray:
        return np.array([s[1] for s in self.p.getJointStates(self.body, list(self.robot.base_joints),
                                                             physicsClientId=self.cid)])

    def base_contacts(self) -> int:
        """Contact points on the base's yaw link (the base cylinder) now."""
        cps = self.p.getContactPoints(bodyA=self.body, physicsClientId=self.cid)
        return sum(1 for cp in cps if cp[3] == self.robot.base_joints[2])

    def q(self) -> np.ndarray:
        return self._joints(self.robot.arm_joints)

    def fingers(self) -> np.ndarray:
        return self._joints(self.robot.finger_joints)

    def set_arm_target(self, q) -> None:
        self.arm_target = np.asarray(q, float)[:7].copy()

    def set_fingers(self, width_each: float) -> None:
        self.finger_target = float(width_each)

    def tcp(self) -> np.ndarray:
        return np.asarray(self.p.getLinkState(self.body, self.robot.tcp_link, computeForwardKinematics=True,
                                              physicsClientId=self.cid)[4])

    def tcp_finger_yaw(self) -> float:
        """World yaw of the finger axis (the TCP's y axis) now."""
        q = self.p.getLinkState(self.body, self.robot.tcp_link, computeForwardKinematics=True,
                                physicsClientId=self.cid)[5]
        y = np.asarray(self.p.getMatrixFromQuaternion(q)).reshape(3, 3)[:, 1]
        return math.atan2(y[1], y[0])

    def mount(self) -> tuple[np.ndarray, float]:
        """World position of the arm's link0 (the IK copy's base) and the base yaw."""
        link0 = self.robot.arm_links[0]
        s = self.p.getLinkState(self.body, link0, computeForwardKinematics=True, physicsClientId=self.cid)
        return np.asarray(s[4]), float(self.base_pose()[2])

    # -- items --------------------------------------------------------------------------
    def item_pos(self, name: str) -> np.ndarray:
        """World centre of the item (its bounding box's centre; the mug: on its cup's axis)."""
        return np.asarray(self.p.getBasePositionAndOrientation(self.items[name], physicsClientId=self.cid)[0])

    def item_rot(self, name: str) -> np.ndarray:
        q = self.p.getBasePositionAndOrientation(self.items[name], physicsClientId=self.cid)[1]
        return np.asarray(self.p.getMatrixFromQuaternion(q)).reshape(3, 3)

    def item_yaw(self, name: str) -> float:
        r = self.item_rot(name)
        return math.atan2(r[1, 0], r[0, 0])

    def item_tilt(self, name: str) -> float:
        """Degrees between the item's up axis and the world's."""
        return math.degrees(math.acos(max(-1.0, min(1.0, float(self.item_rot(name)[2, 2])))))

    def item_bottom(self, name: str) -> float:
        return float(self.p.getAABB(self.items[name], physicsClientId=self.cid)[0][2])

    def item_top(self, name: str) -> float:
        return float(self.p.getAABB(self.items[name], physicsClientId=self.cid)[1][2])

    def _touching(self, name: str) -> list[tuple[int, int]]:
        return [(cp[2], cp[4]) for cp in self.p.getContactPoints(bodyA=self.items[name], physicsClientId=self.cid)]

    def finger_contacts(self, name: str) -> set[int]:
        """Finger links touching the item now."""
        return {link for b, link in self._touching(name) if b == self.body and link in self.robot.finger_links}

    def holding(self, name: str) -> bool:
        """Both fingers touch the item and nothing but the robot does (friction holds it)."""
        touching = self._touching(name)
        fingers = {link for b, link in touching if b == self.body and link in self.robot.finger_links}
        return len(fingers) == 2 and all(b == self.body for b, _ in touching)

    def relation_of(self, name: str) -> tuple[str, str] | None:
        """("on", piece) when the item rests on the top of a table, counter or shelf (inside its
        footprint, touching it, not in the fingers), else None."""
        if self.finger_contacts(name):
            return None
        p = self.item_pos(name)
        touching = {b for b, _ in self._touching(name)}
        for f in self.house.furniture:
            if self.pieces[f.name] not in touching or f.kind not in ("table", "counter", "shelf"):
                continue
            v = p[:2] - np.asarray(f.position)
            depth, lateral = math.cos(f.yaw) * v[0] + math.sin(f.yaw) * v[1], -math.sin(f.yaw) * v[0] + math.cos(f.yaw) * v[1]
            if abs(lateral) < f.size[0] / 2 and abs(depth) < f.size[1] / 2 and abs(self.item_bottom(name) - f.size[2]) < 0.01:
                return ("on", f.name)
        return None

    def is_open(self, container: str) -> bool:
        return False  # drawers and doors are static here (`containers` is empty)

    def symbolic_state(self) -> set:
        return symbolic_state(self)

    def narrow_yaw(self, name: str) -> float:
        """Body-frame yaw (rad) across which the item is narrowest: 0 for boxes (a face pair),
        the mug across its cup (its handle side is wider than the open hand)."""
        kind = ITEM_KINDS[self.house.item(name).kind]
        if kind.shape != "mesh":
            return 0.0
        xy = item_mesh(self.house.item(name).kind)[4][:, :2]
        angles = np.radians(np.arange(0.0, 180.0, 5.0))
        widths = [np.ptp(xy @ [math.cos(a), math.sin(a)]) for a in angles]
        return float(angles[int(np.argmin(widths))])


def grasp_quat(p, finger_yaw: float) -> list[float]:
    """TCP orientation (xyzw) with the fingers pointing down and the finger axis at world yaw."""
    return list(p.getQuaternionFromEuler([math.pi, 0.0, finger_yaw + math.pi / 2]))


class PyBulletHouseSkills(HouseSkillsBase):
    """navigate_to, pick and place on `PyBulletHouseWorld`; each returns an Outcome."""

    # -- helpers --------------------------------------------------------------------------
    def _sync_ik(self) -> None:
        self.w.ik.place_base(*self.w.mount())

    def _solve(self, pos, yaws, tol: float = 0.008) -> tuple[np.ndarray | None, str]:
        """IK to a world point, fingers down, finger axis at one of `yaws` (each also turned by
        pi: the hand is symmetric), seeded from the arm now and from the tuck; of the solutions
        within `tol` that do not collide, the one closest to the arm now."""
        best = None
        for a in [a + k * math.pi for a in np.atleast_1d(yaws) for k in (0, 1)]:
            quat = grasp_quat(self.w.p, a)
            for seed in (self.w.q(), np.array(TUCK)):
                q, perr, aerr = self.w.ik.solve(seed, pos, quat)
                if perr > tol or aerr > 0.03:
                    continue
                cost = float(np.abs(q - self.w.q()).sum())
                if (best is None or cost < best[0]) and not self.w.ik.collides([q]):
                    best = (cost, q, _wrap(a))
        if best is None:
            return None, f"no IK solution for {np.round(pos, 3).tolist()}"
        self.last_yaw = best[2]
        return best[1], ""

    def _plan(self, goal) -> tuple[list | None, str]:
        """Collision-free joint path: straight, via the tuck, or via random points near the middle."""
        return plan_joint_path(self.w.q(), goal, self.w.ik.collides, TUCK, self.w.ik.lo[:7], self.w.ik.hi[:7], self.rng,
                               n_random=30)

    def _execute(self, path, settle: int = 40, speed: float = JOINT_SPEED) -> bool:
        """Track a joint path with the position motors, time-scaled to `speed` (rad/s)."""
        return track_joint_path(self.w, path, settle, speed, control=CONTROL)

    def _move_to(self, goal) -> str:
        path, why = self._plan(goal)
        if path is None:
            return why
        return "" if self._execute(path) else "the arm did not reach its goal"

    def _line(self, p_from, p_to, yaw: float, step: float = 0.02, check: bool = True) -> tuple[list | None, str]:
        """IK solutions along a straight Cartesian line, each seeded by the last, hand fixed."""
        p_from, p_to = np.asarray(p_from, float), np.asarray(p_to, float)
        n = max(2, int(np.linalg.norm(p_to - p_from) / step) + 1)
        quat = grasp_quat(self.w.p, yaw)
        qs, seed = [], self.w.q()
        for t in np.linspace(0, 1, n):
            pt = p_from + (p_to - p_from) * t
            q, perr, _ = self.w.ik.solve(seed, pt, quat)
            if perr > 0.005:
                return None, f"no IK solution along the line at {np.round(pt, 3).tolist()}"
            qs.append(q)
            seed = q
        hit = self.w.ik.collides(qs) if check else ""
        return (None, f"arm path blocked ({hit})") if hit else (qs, "")

    def _fingers(self, width: float, ticks: int) -> None:
        self.w.set_fingers(width)
        self.w.step(CONTROL * ticks)

    def _retract(self) -> str:
        return self._move_to(np.array(TUCK))

    def _grasp_yaws(self, item: str) -> list[float]:
        """World yaws of the finger axis to try: across a box's faces or a mesh's narrowest
        width; for a can any will do, so six of them (one may reach where another does not)."""
        if ITEM_KINDS[self.w.house.item(item).kind].shape == "cylinder":
            return [self._piece_of(item).yaw + math.pi / 2 + k * math.pi / 6 for k in range(6)]
        return [self.w.item_yaw(item) + self.w.narrow_yaw(item)]

    # -- skills ----------------------------------------------------------------------------
    def _tuck_to_drive(self) -> str:
        self.parked_at = None
        return self._retract() if np.abs(self.w.q() - np.array(TUCK)).max() > 0.05 else ""

    def pick(self, item: str) -> Outcome:
        """Grasp the item from above (finger axis across its narrowest width) and lift it."""
        t0 = self.w.physics_steps
        if item not in self.w.items:
            return self._fail(f"unknown item {item!r}; items: {', '.join(self.w.items)}")
        held = self._holding_any()
        if held:
            return self._fail(f"already holding {held}")
        it = self.w.house.item(item)
        if it.relation != "on":
            return self._fail(f"{item} is in the closed {it.support} (drawers and doors are MuJoCo-only)")
        if not self._at(item):
            return self._fail(f"not parked at {self._piece_of(item).name}")
        self._sync_ik()
        k = ITEM_KINDS[it.kind]
        c, top = self.w.item_pos(item), self.w.item_top(item)
        grasp = np.array([c[0], c[1], top - min(0.03, k.size[2] * 0.5)])
        self._fingers(FINGER_OPEN, 5)
        for clearance in (0.12, 0.08):  # high items at the edge of the reach: come down from lower
            q_above, why = self._solve(grasp + [0, 0, clearance], self._grasp_yaws(item))
            if q_above is not None:
                break
        if q_above is None:
            return self._out(False, t0, why)
        why = self._move_to(q_above)
        if why:
            return self._out(False, t0, why)
        yaw = self.last_yaw
        down, why = self._line(self.w.tcp(), grasp, yaw)
        if down is None:
            self._retract()
            return self._out(False, t0, why)
        self._execute(down, speed=DESCEND_SPEED)
        self._fingers(0.0, 40)
        up, why = self._line(self.w.tcp(), self.w.tcp() + [0, 0, LIFT], yaw, check=False)
        if up is not None:
            self._execute(up)
        self.w.step(CONTROL * 15)
        if not self.w.holding(item):
            return self._out(False, t0, "the item slipped out of the fingers")
        tilt = self.w.item_tilt(item)
        ok = tilt <= MAX_TILT  # a tipped item would be set down on its side
        return self._out(ok, t0, "" if ok else f"the item tipped {tilt:.0f} degrees in the fingers")

    def _free_spots(self, f, item: str) -> list[tuple[float, float]]:
        """World xy spots on the piece's top at least 10 cm from every other item, nearest the
        middle first (the front row before the back: the arm reaches it more easily)."""
        others = [self.w.item_pos(n)[:2] for n in self.w.items if n != item]
        spots = [f.to_world(lat, dep) for dep in (0.0, 0.08, -0.06) for lat in (0.0, 0.15, -0.15, 0.25, -0.25)
                 if abs(lat) <= f.size[0] / 2 - 0.08]
        return [s for s in spots if all(math.dist(s, o) > 0.1 for o in others)] or [f.to_world(0.0, 0.0)]

    def place(self, item: str, target: str) -> Outcome:
        """Set the held item down on a free spot of a table, counter or shelf top, open the
        hand fully, wait for the fingers to leave it, lift and tuck."""
        t0 = self.w.physics_steps
        if item not in self.w.items:
            return self._fail(f"unknown item {item!r}")
        if not self._known(target) or target in self.w.items:
            return self._fail(f"unknown support or container {target!r}")
        f = self._piece_of(target)
        if target != f.name or f.kind not in ("table", "counter", "shelf"):
            return self._fail(f"placing into {target} needs its drawer or door open (MuJoCo-only)")
        if not self.w.holding(item):
            return self._fail(f"not holding {item}")
        if not self._at(target):
            return self._fail(f"not parked at {f.name}")
        self._sync_ik()
        drop = self.w.tcp()[2] - self.w.item_bottom(item)  # TCP height above the item's bottom
        off = self.w.item_pos(item)[:2] - self.w.tcp()[:2]  # the item's centre, not the TCP, goes over the spot
        q_above, why = None, ""
        for x, y in self._free_spots(f, item)[:6]:
            goal = np.array([x - off[0], y - off[1], f.size[2] + drop + RELEASE_GAP])
            for clearance in (0.10, 0.06):  # high tops at the edge of the reach: come down from lower
                q_above, why = self._solve(goal + [0, 0, clearance], [self.w.tcp_finger_yaw()])
                if q_above is not None:
                    break
            if q_above is not None:
                break
        if q_above is None:
            return self._out(False, t0, why)
        why = self._move_to(q_above)
        if why:
            return self._out(False, t0, why)
        yaw = self.last_yaw
        down, why = self._line(self.w.tcp(), goal, yaw)
        if down is None:
            return self._out(False, t0, why)
        self._execute(down, speed=DESCEND_SPEED)
        self._fingers(FINGER_OPEN, 25)
        for _ in range(30):  # the lift must not drag the item along
            if not self.w.finger_contacts(item):
                break
            self.w.step(CONTROL)
        up, _ = self._line(self.w.tcp(), self.w.tcp() + [0, 0, 0.1], yaw, step=0.01, check=False)
        if up is not None:
            self._execute(up)
        self._retract()
        self.w.step(CONTROL * 10)
        rel = self.w.relation_of(item)
        ok = rel == ("on", f.name)
        return self._out(ok, t0, "" if ok else f"{item} ended up {rel}, not on {f.name}")


def carry_plan(house) -> list[tuple]:
    """Pick-and-place across rooms (the MuJoCo video plays it too): the item on a support drawn
    as `sim.manip.house_check` draws pick items, then a table (else a counter or shelf) in
    another room than the item's (the same room only when no other has one)."""
    rng = np.random.default_rng([house.seed, 16])
    items = [i for i in house.items if i.relation == "on"]
    if not items:
        raise ValueError(f"house {house.suite} #{house.seed} has no item on a support to carry")
    it = items[int(rng.integers(len(items)))]
    room = house.piece(it.furniture).room
    order = {"table": 0, "counter": 1, "shelf": 2}
    targets = sorted((f for f in house.furniture if f.kind in order and f.name != it.furniture),
                     key=lambda f: (f.room == room, order[f.kind], f.name))
    if not targets:
        raise ValueError(f"house {house.suite} #{house.seed} has no other support to carry {it.name} to")
    t = targets[0].name
    return [("navigate_to", it.name), ("pick", it.name), ("navigate_to", t), ("place", it.name, t)]


def run_pybullet_case(skill: str, suite: str, seed: int) -> dict:
    """One seeded case. pick / place: the item drawn as `sim.manip.house_check` draws it (among
    items on supports, `np.random.default_rng([seed, 16])`); navigate to it and pick it; place
    puts it back on its support. carry: `carry_plan` (pick, drive to another room's support,
    place there); the trial is the place. Failed setup skills make a setup failure."""
    from scenes.house import load_house

    if skill not in ("pick", "place", "carry"):
        raise ValueError(f"unknown PyBullet house skill {skill!r}; choose pick, place or carry")
    house = load_house(suite, seed)
    plan = carry_plan(house)
    item = plan[0][1]
    if skill != "carry":
        plan = plan[:2] if skill == "pick" else [*plan[:2], ("place", item, house.item(item).support)]
    w = PyBulletHouseWorld(house)
    try:
        sk = PyBulletHouseSkills(w, seed=seed)
        setup, out = True, None
        for step in plan:
            out = getattr(sk, step[0])(*step[1:])
            if not out.success and step is not plan[-1]:
                setup, out = False, None
                break
        return {"item": item, "success": bool(out and out.success), "setup_ok": setup,
                "reason": out.reason if out else "setup failed", "steps": out.steps if out else 0,
                "penetration": w.max_penetration, "final": w.item_pos(item).tolist()}
    finally:
        w.close()


def check_pybullet_house(suite: str = "house-3room", skills=("pick", "place", "carry"), seeds=range(50),
                         progress: bool = False) -> dict:
    """Success per skill over seeded cases, in `sim.manip.house_check`'s JSON shape (plus the
    failed seeds with their reasons), and the deepest arm contact with furniture or walls."""
    seeds = [int(s) for s in seeds]
    out: dict = {}
    for skill in skills:
        runs = []
        for s in seeds:
            runs.append(run_pybullet_case(skill, suite, s))
            if progress:
                print(f"{skill} seed {s}: {'ok' if runs[-1]['success'] else runs[-1]['reason']}", flush=True)
        out[skill] = summarize_runs(runs) | {
            "failed_seeds": {s: r["reason"] for s, r in zip(seeds, runs) if not r["success"]},
            "max_penetration_m": round(max((r["penetration"] for r in runs), default=0.0), 4),
            "scene": suite, "seeds": seeds, "backend": "pybullet"}
    return out


__all__ = ["PyBulletHouseSkills", "PyBulletHouseWorld", "carry_plan", "check_pybullet_house", "grasp_quat", "run_pybullet_case"]
