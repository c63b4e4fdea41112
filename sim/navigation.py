"""Collision-free navigation for the mobile base: A* on the walkable grid, then a
velocity controller that drives the physics robot along the path.

The path comes from networkx A* over `scenes.grid.walkable_graph`; the robot then
really drives it in the physics engine (contacts included), holding its heading, and
the result reports whether it arrived, how many physics steps it took and whether the
robot touched anything on the way. On the MuJoCo CPU backend the control loop runs compiled
(`sim.native_mujoco`), with the same result to the last bit; the Python loop here is the
reference and serves every other backend.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from sim import native_mujoco as nm
from sim.backends.base import Backend, BackendError

TRACE_EVERY = 4  # control ticks between recorded trajectory samples
MAX_COORD = 1e6  # m: waypoints beyond this are a bug upstream, not a place (and would mean ~1e7 ticks of driving)


@dataclass(frozen=True)
class DriveConfig:
    control_hz: float = 10.0  # velocity commands, as a ROS cmd_vel loop would send them
    max_speed: float = 1.0  # m/s
    max_yaw_rate: float = 2.0  # rad/s
    kp: float = 4.0  # 1/s, position gain near the goal
    kp_yaw: float = 6.0
    waypoint_tol: float = 0.15  # m, when to switch to the next waypoint
    goal_tol: float = 0.02  # m
    yaw_tol_deg: float = 0.5
    settle_speed: float = 0.05  # m/s
    timeout_margin_s: float = 6.0


@dataclass
class DriveResult:
    success: bool
    reason: str = ""
    physics_steps: int = 0
    contacts: int = 0  # control steps during which the robot touched something
    trace: list = field(default_factory=list)  # robot (x, y, heading) sampled along the way


class BaseDrive:
    """The Backend face `drive_path` / `rotate_to` steer (pose as x, y, compass heading in
    degrees; velocity; step with a base command), over a manipulation world whose base is
    driven by velocity commands: the world gives `timestep`, `physics_steps`, `base_pose()`
    (x, y, yaw in radians, MuJoCo's convention), `base_velocity()`, a `base_cmd` it applies
    on `step(n)`, and `base_contacts()` (contacts touching the base now)."""

    def __init__(self, world) -> None:
        self.w = world

    @property
    def timestep(self) -> float:
        return self.w.timestep

    @property
    def physics_steps(self) -> int:
        return self.w.physics_steps

    def robot_pose(self) -> tuple[float, float, float]:
        x, y, yaw = self.w.base_pose()
        return float(x), float(y), float((90.0 - math.degrees(yaw)) % 360.0)

    def robot_velocity(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.w.base_velocity())

    def step(self, cmd, n: int) -> None:
        self.w.base_cmd = np.asarray(cmd, float)
        self.w.step(n)

    def robot_contacts(self) -> int:
        return int(self.w.base_contacts())


def plan_path(graph: nx.Graph, start, goal) -> list[tuple[float, float]] | None:
    """Shortest path between two graph nodes (A*, Euclidean heuristic), or None."""
    try:
        return nx.astar_path(graph, start, goal, heuristic=lambda a, b: math.dist(a, b), weight="weight")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


def nearest_node(graph: nx.Graph, xy) -> tuple[float, float]:
    nodes = list(graph.nodes)
    d = np.linalg.norm(np.asarray(nodes) - np.asarray(xy)[None, :], axis=1)
    return nodes[int(np.argmin(d))]


class NodeIndex:
    """`nearest_node` for one graph that does not change: its node list and their coordinates as an
    array are built once (the same list and array that nearest_node builds per call, so the same answer)."""

    def __init__(self, graph: nx.Graph) -> None:
        self.nodes = list(graph.nodes)
        self.xy = np.asarray(self.nodes)
        self._exact = {n: n for n in self.nodes}  # a point that is a node is its own nearest (distance 0, the only 0)

    def nearest(self, xy) -> tuple[float, float]:
        got = self._exact.get(xy) if type(xy) is tuple else None
        if got is not None:
            return got
        d = np.linalg.norm(self.xy - np.asarray(xy)[None, :], axis=1)
        return self.nodes[int(np.argmin(d))]


def _substeps(backend: Backend, cfg: DriveConfig) -> int:
    return max(1, int(round(1.0 / (cfg.control_hz * backend.timestep))))


def _control_period(backend: Backend, cfg: DriveConfig, h) -> tuple[int, float]:
    """(physics steps per control tick, the tick's seconds); kept on the compiled handle `h` per config
    (its backend's timestep does not change while the handle lives)."""
    key = ("period", cfg)
    got = h.kept.get(key) if h is not None else None
    if got is None:
        n_sub = _substeps(backend, cfg)
        got = (n_sub, n_sub * backend.timestep)
        if h is not None:
            h.kept[key] = got
    return got


def _params(h, cfg: DriveConfig, kind: str) -> np.ndarray:
    """The gains a kernel reads (`nm.drive_ticks` / `nm.rotate_ticks` name them), kept on the handle per config."""
    key = (kind, cfg)
    got = h.kept.get(key)
    if got is None:
        got = h.kept[key] = np.array([cfg.max_speed, cfg.kp, cfg.max_yaw_rate, cfg.kp_yaw, cfg.waypoint_tol,
                                      cfg.goal_tol, cfg.settle_speed] if kind == "drive" else
                                     [cfg.kp, cfg.max_yaw_rate, cfg.kp_yaw, cfg.yaw_tol_deg])
    return got


def _check_goal(waypoints, heading_deg) -> None:
    """One ValueError for a goal the controller cannot steer to: a non-finite heading, or waypoints that
    are not finite (x, y) pairs within MAX_COORD metres (NaN spun the robot, a huge one never ended)."""
    if not ((type(heading_deg) is float or isinstance(heading_deg, numbers.Real)) and math.isfinite(heading_deg)):
        raise ValueError(f"heading must be a finite number of degrees, got {heading_deg!r}")
    for p in waypoints:
        if not (len(p) == 2 and all(_real(v) and abs(v) <= MAX_COORD for v in p)):  # NaN fails <=
            raise ValueError(f"waypoints must be (x, y) pairs of finite numbers within {MAX_COORD:g} m, got {p!r}")


def _real(v) -> bool:
    """isinstance(v, numbers.Real), with the floats and ints of every path answered before the ABC check
    (~1 µs each: a MoveTo checks every waypoint)."""
    return type(v) is float or type(v) is int or isinstance(v, numbers.Real)


def _handle(backend):
    """The backend's compiled-stepping handle (sim.native_mujoco), or None for the Python loop."""
    get = getattr(backend, "step_handle", None)
    return get() if get is not None else None


def _kernel_error(h, status: int) -> None:
    """Raise what MujocoBackend.step raises for a kernel call that ended in a refused step or a divergence."""
    if status == nm.BAD_CONTROL:
        raise BackendError(f"control contains NaN or inf: {h.refused.tolist()}")
    if status == nm.DIVERGED:
        raise BackendError("simulation diverged (MuJoCo reported bad qpos/qvel/qacc)")


def drive_path(backend: Backend, waypoints, heading_deg: float, cfg: DriveConfig = DriveConfig(),
               compiled: bool = True) -> DriveResult:
    """Drive through `waypoints` (world xy) holding `heading_deg`; stop at the last one.
    On MuJoCo CPU the loop runs compiled (`sim.native_mujoco`, the same result to the last bit);
    compiled=False keeps it in Python."""
    _check_goal(waypoints, heading_deg)
    h = _handle(backend) if compiled else None
    n_sub, dt = _control_period(backend, cfg, h)
    start = backend.physics_steps
    length = sum(math.dist(a, b) for a, b in zip(waypoints[:-1], waypoints[1:])) + math.dist(
        backend.robot_pose()[:2], waypoints[0]
    )
    max_ticks = int((length / cfg.max_speed + cfg.timeout_margin_s) / dt)
    target_yaw_deg = 90.0 - heading_deg  # MuJoCo yaw (counter-clockwise from +x), degrees
    if h is not None:
        trace_raw = np.empty(((max_ticks + TRACE_EVERY - 1) // TRACE_EVERY, 3))
        params = _params(h, cfg, "drive")
        status, steps, touched, nt = nm.drive_ticks(
            h.mj_step, h.model, h.data, h.pose, h.vel, h.ctrl, h.warnings, h.bad, h.refused, h.contacts,
            np.asarray(waypoints, dtype=np.float64).reshape(-1, 2), target_yaw_deg, n_sub, max_ticks, params,
            TRACE_EVERY, trace_raw)
        h.advance(steps)
        _kernel_error(h, status)
        trace = [[round(x, 3), round(y, 3), round(hd, 2)] for x, y, hd in trace_raw[:nt].tolist()]
        if status == nm.DONE:
            return DriveResult(True, "", steps, touched, trace)
        return DriveResult(False, "blocked: the robot did not reach its goal in time", steps, touched, trace)
    k, touched, trace = 0, 0, []
    wx, wy = waypoints[0]
    # the loop runs once per control tick (about 20 physics steps): names bound locally, arithmetic unchanged
    pose, step, contacts, hypot, radians = backend.robot_pose, backend.step, backend.robot_contacts, math.hypot, math.radians
    max_speed, kp, w_max, kp_yaw = cfg.max_speed, cfg.kp, cfg.max_yaw_rate, cfg.kp_yaw
    waypoint_tol, goal_tol, last_k = cfg.waypoint_tol, cfg.goal_tol, len(waypoints) - 1
    for tick in range(max_ticks):
        x, y, h = pose()
        if tick % TRACE_EVERY == 0:
            trace.append([round(x, 3), round(y, 3), round(h, 2)])
        ex, ey = wx - x, wy - y
        dist = hypot(ex, ey)
        last = k == last_k
        if not last and dist < waypoint_tol:
            k += 1
            wx, wy = waypoints[k]
            continue
        if last and dist < goal_tol:
            vx, vy, _ = backend.robot_velocity()
            if hypot(vx, vy) < cfg.settle_speed:
                step((0.0, 0.0, 0.0), n_sub)
                return DriveResult(True, "", backend.physics_steps - start, touched, trace)
        speed = max_speed if not last else min(max_speed, kp * dist)
        scale = speed / dist if dist > 1e-9 else 0.0
        a = (target_yaw_deg - (90.0 - h) + 180.0) % 360.0 - 180.0  # scenes.frames.wrap_deg, inlined
        yaw_err = radians(180.0 if a == -180.0 else a)
        w = min(w_max, max(-w_max, kp_yaw * yaw_err))
        step((ex * scale, ey * scale, w), n_sub)
        touched += contacts() > 0
    step((0.0, 0.0, 0.0), n_sub)
    return DriveResult(False, "blocked: the robot did not reach its goal in time", backend.physics_steps - start, touched, trace)


def rotate_to(backend: Backend, heading_deg: float, cfg: DriveConfig = DriveConfig(), compiled: bool = True) -> DriveResult:
    """Turn in place to a compass heading (compiled on MuJoCo CPU, as drive_path)."""
    _check_goal((), heading_deg)
    h = _handle(backend) if compiled else None
    n_sub = _control_period(backend, cfg, h)[0]
    start = backend.physics_steps
    max_ticks = int((math.pi / cfg.max_yaw_rate + cfg.timeout_margin_s) * cfg.control_hz)
    if h is not None:
        params = _params(h, cfg, "rotate")
        status, steps = nm.rotate_ticks(h.mj_step, h.model, h.data, h.pose, h.vel, h.ctrl, h.warnings, h.bad, h.refused,
                                        float(heading_deg), n_sub, max_ticks, params)
        h.advance(steps)
        _kernel_error(h, status)
        return DriveResult(True, "", steps) if status == nm.DONE else DriveResult(False, "rotation did not settle", steps)
    x0, y0, _ = backend.robot_pose()
    pose, step, velocity, radians = backend.robot_pose, backend.step, backend.robot_velocity, math.radians
    kp, w_max, kp_yaw, yaw_tol = cfg.kp, cfg.max_yaw_rate, cfg.kp_yaw, cfg.yaw_tol_deg
    for _ in range(max_ticks):
        x, y, h = pose()
        a = (h - heading_deg + 180.0) % 360.0 - 180.0  # heading is clockwise, MuJoCo yaw counter-clockwise
        err_deg = 180.0 if a == -180.0 else a  # scenes.frames.wrap_deg, inlined
        if abs(err_deg) < yaw_tol and abs(velocity()[2]) < 0.05:
            step((0.0, 0.0, 0.0), n_sub)
            return DriveResult(True, "", backend.physics_steps - start)
        w = min(w_max, max(-w_max, kp_yaw * radians(err_deg)))
        # hold position while turning
        step((kp * (x0 - x), kp * (y0 - y), w), n_sub)
    return DriveResult(False, "rotation did not settle", backend.physics_steps - start)
