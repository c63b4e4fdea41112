"""Primitive skills for the floating gripper: parameterised controllers with preconditions,
effects and a success check read from the symbolic state.

Every skill returns an Outcome (success, control ticks used, failure reason, final state);
none raises for a failure in the world (an unmet precondition or a slip is an outcome).

Example:
    >>> from scenes.suites import load_table_scene
    >>> from sim.manip.world import ManipWorld
    >>> sk = Skills(ManipWorld(load_table_scene("table-pick", 0)))
    >>> sk.grasp("block_0").success
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scenes.tabletop import BLOCK_HALF, TABLE_TOP
from sim.manip.base import CABINET_HALF, TabletopWorld
from sim.manip.state import OPEN_AT, REGIONS, symbolic_state

OPEN, CLOSED = 0.045, 0.0
HANDLE_OPEN = 0.02  # narrow enough to miss the drawer front behind the handle
HANDLE_REACH = 0.045 + 0.006 + 0.012  # drawer front to the TCP when the fingers touch the handle
CLEAR = 0.12  # m above a block before descending on it
SAFE_Z = TABLE_TOP + 2 * CABINET_HALF[2] + 0.08  # fingertips clear the cabinet when travelling


@dataclass
class Outcome:
    success: bool
    steps: int
    reason: str = ""
    state: set = field(default_factory=set)


@dataclass(frozen=True)
class SkillInfo:
    name: str
    params: dict  # JSON schema of the parameters
    preconditions: tuple[str, ...]
    effects: tuple[str, ...]
    description: str


PRIMITIVES = {
    s.name: s for s in [
        SkillInfo("reach", {"pose": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}}, (),
                  ("near(robot, pose)",), "Move the fingertips to a point."),
        SkillInfo("grasp", {"obj": {"type": "string"}}, ("visible(obj)", "not holding(*)"), ("holding(obj)",),
                  "Pick up a block from above, aligned with its faces."),
        SkillInfo("place", {"obj": {"type": "string"}, "target": {"type": "string"}}, ("holding(obj)",),
                  ("on(obj, target) | in(obj, target)", "not holding(obj)"), "Put the held block on a block, the table, "
                  "into a tray or into the open drawer."),
        SkillInfo("push", {"obj": {"type": "string"}, "direction": {"enum": ["+x", "-x", "+y", "-y"]},
                           "distance": {"type": "number", "minimum": 0.02, "maximum": 0.2}},
                  ("visible(obj)", "on(obj, table)", "not holding(*)"), ("moved(obj, direction, distance)",),
                  "Slide a block along the table with closed fingers."),
        SkillInfo("open", {"drawer": {"type": "string"}}, ("not open(drawer)", "not holding(*)"), ("open(drawer)",),
                  "Pinch the handle and pull the drawer out."),
        SkillInfo("close", {"drawer": {"type": "string"}}, ("open(drawer)", "not holding(*)"), ("not open(drawer)",),
                  "Push the drawer shut."),
        SkillInfo("navigate", {"region": {"enum": sorted(REGIONS)}}, (), ("at(robot, region)",),
                  "Move the gripper into a named region."),
        SkillInfo("look_around", {}, (), ("at(robot, overview)", "visible(x) for every unoccluded x"),
                  "Lift the gripper out of the head camera's way and look."),
    ]
}


def push_direction(w: TabletopWorld, obj: str) -> str:
    """The push (a PRIMITIVES["push"] direction) that moves `obj` toward the table's centre
    along the axis of its larger offset from it."""
    p = w.block_pos(obj)
    return ("+x" if p[0] < 0 else "-x") if abs(p[0]) > abs(p[1]) else ("+y" if p[1] < 0 else "-y")


class Skills:
    def __init__(self, world: TabletopWorld, max_ticks: int = 150) -> None:
        self.w = world
        self.max_ticks = max_ticks
        self.ticks = 0

    # -- low level ---------------------------------------------------------------------
    def _move(self, goal, yaw=None, opening=None, tol: float = 0.004) -> bool:
        self.w.command(goal, yaw, opening)
        for _ in range(self.max_ticks):
            self.w.tick()
            self.ticks += 1
            turned = yaw is None or abs((self.w.yaw_now - yaw + 180.0) % 360.0 - 180.0) < 1.0
            if turned and np.linalg.norm(self.w.tcp_pos() - np.asarray(goal)) < tol:
                return True
        return False

    def _wait(self, n: int) -> None:
        for _ in range(n):
            self.w.tick()
            self.ticks += 1

    def _outcome(self, ok: bool, start: int, reason: str = "") -> Outcome:
        return Outcome(ok, self.ticks - start, "" if ok else reason, symbolic_state(self.w))

    def _holding_any(self, state) -> str | None:
        return next((lit[1] for lit in state if lit[0] == "holding"), None)

    def _lift(self) -> None:
        p = self.w.tcp_pos()
        self._move([p[0], p[1], max(p[2], SAFE_Z)])

    def _travel(self, x: float, y: float, z: float, yaw=None, opening=None) -> bool:
        """Up to the safe height, across, then straight down: never sweep through furniture."""
        self._lift()
        self._move([x, y, max(self.w.tcp_pos()[2], SAFE_Z)], yaw, opening)
        return self._move([x, y, z], yaw, opening)

    # -- primitives ----------------------------------------------------------------------
    def reach(self, pose, yaw: float | None = None) -> Outcome:
        t0 = self.ticks
        ok = self._move(np.asarray(pose, float), yaw)
        return self._outcome(ok, t0, "could not reach the pose")

    def navigate(self, region: str) -> Outcome:
        t0 = self.ticks
        if region not in REGIONS:
            return self._outcome(False, t0, f"unknown region {region!r}; regions: {', '.join(REGIONS)}")
        self._lift()
        ok = self._move(REGIONS[region][0])
        s = symbolic_state(self.w)
        return Outcome(ok and ("at", "robot", region) in s, self.ticks - t0, "" if ok else "region not reached", s)

    def look_around(self) -> Outcome:
        out = self.navigate("overview")
        self._wait(5)
        out.state = symbolic_state(self.w)
        return out

    def grasp(self, obj: str) -> Outcome:
        t0 = self.ticks
        s = symbolic_state(self.w)
        if obj not in self.w.blocks:
            return self._outcome(False, t0, f"unknown object {obj!r}")
        if self._holding_any(s):
            return Outcome(False, 0, f"already holding {self._holding_any(s)}", s)
        if ("visible", obj) not in s:
            return Outcome(False, 0, f"{obj} is not visible", s)
        p = self.w.block_pos(obj)
        yaw = (self.w.block_yaw(obj) + 45.0) % 90.0 - 45.0  # align the fingers with the block's faces
        if any(lit[0] == "in" and lit[1] == obj and lit[2] == getattr(self.w.spec.drawer, "name", None) for lit in s):
            yaw += 90.0  # in the drawer: fingers across it, clear of the cabinet above its back
        self._travel(p[0], p[1], p[2] + CLEAR, yaw, OPEN)
        self._move([p[0], p[1], p[2] - 0.004], yaw, OPEN)
        self.w.command([p[0], p[1], p[2] - 0.004], yaw, CLOSED)
        self._wait(15)
        self._move([p[0], p[1], p[2] + CLEAR], yaw, CLOSED)
        self._wait(5)
        s = symbolic_state(self.w)
        return Outcome(("holding", obj) in s, self.ticks - t0, "" if ("holding", obj) in s else "the block slipped", s)

    def place(self, obj: str, target: str) -> Outcome:
        t0 = self.ticks
        s = symbolic_state(self.w)
        if ("holding", obj) not in s:
            return Outcome(False, 0, f"not holding {obj}", s)
        w = self.w
        if target in w.blocks:
            q = w.block_pos(target)
            goal, yaw = np.array([q[0], q[1], q[2] + 2 * BLOCK_HALF + 0.006]), (w.block_yaw(target) + 45.0) % 90.0 - 45.0
        elif target in w.containers:
            c = w.containers[target]
            goal, yaw = np.array([c.position[0], c.position[1], TABLE_TOP + 0.008 + BLOCK_HALF + 0.01]), 0.0
        elif w.spec.drawer is not None and target == w.spec.drawer.name:
            if w.drawer_opening() < OPEN_AT:
                return Outcome(False, 0, "the drawer is closed", s)
            d = w.spec.drawer
            goal = np.array([d.position[0], d.position[1] + 0.005 - w.drawer_opening() - 0.02,
                             TABLE_TOP + 0.012 + BLOCK_HALF + 0.012])
            yaw = 0.0
        elif target == "table":
            goal, yaw = self._free_table_spot(obj), 0.0
        else:
            return Outcome(False, 0, f"unknown target {target!r}", s)
        self._travel(goal[0], goal[1], goal[2] + 0.05, yaw)
        self._move(goal, yaw)
        self.w.command(goal, yaw, OPEN)
        self._wait(15)
        self._lift()
        self._wait(10)
        s = symbolic_state(w)
        ok = ("on", obj, target) in s or ("in", obj, target) in s
        return Outcome(ok, self.ticks - t0, "" if ok else f"{obj} did not end up on/in {target}", s)

    def _free_table_spot(self, obj: str) -> np.ndarray:
        others = [self.w.block_pos(n)[:2] for n in self.w.blocks if n != obj]
        for x in np.linspace(-0.3, 0.0, 7):
            for y in np.linspace(-0.2, 0.15, 8):
                if all(np.hypot(x - o[0], y - o[1]) > 0.1 for o in others) and all(
                        np.hypot(x - c.position[0], y - c.position[1]) > 0.14 for c in self.w.spec.containers):
                    return np.array([x, y, TABLE_TOP + BLOCK_HALF + 0.008])
        return np.array([-0.3, -0.2, TABLE_TOP + BLOCK_HALF + 0.008])

    def push(self, obj: str, direction: str = "+x", distance: float = 0.08, overshoot: float = 0.012) -> Outcome:
        """`overshoot`: how far past the nominal contact end the fingers travel (m); hand-set
        default 0.012, tunable by CEM (planners.skills.learn)."""
        t0 = self.ticks
        s = symbolic_state(self.w)
        dirs = {"+x": (1, 0), "-x": (-1, 0), "+y": (0, 1), "-y": (0, -1)}
        if direction not in dirs:
            return Outcome(False, 0, f"direction must be one of {list(dirs)}", s)
        if ("on", obj, "table") not in s:
            return Outcome(False, 0, f"{obj} is not on the table", s)
        v = np.array([*dirs[direction], 0.0])
        p0 = self.w.block_pos(obj)
        behind = p0 - v * (BLOCK_HALF + 0.03)
        yaw = 90.0 if direction in ("+x", "-x") else 0.0  # push with the flat of both fingers
        self._travel(behind[0], behind[1], p0[2] + CLEAR, yaw, CLOSED)
        self._move([behind[0], behind[1], p0[2]], yaw, CLOSED)
        self.w.max_speed, speed = 0.15, self.w.max_speed
        self._move(p0 + v * (distance - BLOCK_HALF - 0.03 + overshoot), yaw, CLOSED, tol=0.006)
        self.w.max_speed = speed
        self._lift()
        moved = float((self.w.block_pos(obj) - p0) @ v)
        s = symbolic_state(self.w)
        ok = moved >= 0.8 * distance and ("on", obj, "table") in s
        return Outcome(ok, self.ticks - t0, "" if ok else f"moved {moved:.3f} m of {distance}", s)

    def open(self, drawer: str = "drawer") -> Outcome:
        t0 = self.ticks
        s = symbolic_state(self.w)
        if self.w.spec.drawer is None or drawer != self.w.spec.drawer.name:
            return Outcome(False, 0, f"no drawer {drawer!r}", s)
        if ("open", drawer) in s:
            return Outcome(False, 0, f"{drawer} is already open", s)
        h = self.w.handle_pos()
        travel = self.w.spec.drawer.travel
        self._travel(h[0], h[1], h[2] + 0.1, 0.0, HANDLE_OPEN)
        self._move([h[0], h[1], h[2] + 0.005], 0.0, HANDLE_OPEN)
        self.w.command([h[0], h[1], h[2] + 0.005], 0.0, CLOSED)
        self._wait(15)
        self.w.max_speed, speed = 0.15, self.w.max_speed
        self._move([h[0], h[1] - travel, h[2] + 0.005], 0.0, CLOSED, tol=0.01)
        self.w.max_speed = speed
        self.w.command(self.w.tcp_pos(), 0.0, OPEN)
        self._wait(10)
        self._lift()
        s = symbolic_state(self.w)
        return Outcome(("open", drawer) in s, self.ticks - t0, "" if ("open", drawer) in s else "the handle slipped", s)

    def close(self, drawer: str = "drawer") -> Outcome:
        t0 = self.ticks
        s = symbolic_state(self.w)
        if self.w.spec.drawer is None or drawer != self.w.spec.drawer.name:
            return Outcome(False, 0, f"no drawer {drawer!r}", s)
        if ("open", drawer) not in s:
            return Outcome(False, 0, f"{drawer} is not open", s)
        d = self.w.spec.drawer
        front_closed = d.position[1] - CABINET_HALF[1]
        z = TABLE_TOP + CABINET_HALF[2]
        front_now = front_closed - self.w.drawer_opening()
        # come down in front of the handle (it stands 4.5 cm proud of the front), then push it home
        self._travel(d.position[0], front_now - HANDLE_REACH - 0.04, z + 0.1, 90.0, CLOSED)
        self._move([d.position[0], front_now - HANDLE_REACH - 0.04, z], 90.0, CLOSED)
        self.w.max_speed, speed = 0.2, self.w.max_speed
        # push a little past the shut position: the drawer stops at its joint limit
        self._move([d.position[0], front_closed - HANDLE_REACH - 0.005, z], 90.0, CLOSED, tol=0.01)
        self.w.max_speed = speed
        self._move([d.position[0], front_closed - HANDLE_REACH - 0.06, z], 90.0, CLOSED)
        self._lift()
        s = symbolic_state(self.w)
        ok = ("open", drawer) not in s and self.w.drawer_opening() < 0.03
        return Outcome(ok, self.ticks - t0, "" if ok else f"still {self.w.drawer_opening():.3f} m open", s)


__all__ = ["Outcome", "PRIMITIVES", "SkillInfo", "Skills", "push_direction"]
