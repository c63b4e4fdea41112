"""MuJoCo's C functions called from numba: the base controller of `sim.navigation` (a whole
MoveTo or Rotate in one call) and `mj_multiRay` for `MujocoBackend.cast_rays`.

`drive_path` and `rotate_to` send a velocity command every control tick (10 Hz, 20 physics
steps) and read the pose back; in Python that costs ~5 µs a tick on top of the physics. On
the MuJoCo CPU backend the same loop runs here, in numba, calling MuJoCo's own `mj_step`
(the C function the bindings call, from the library they loaded) on the backend's
MjModel/MjData, and reading the pose, velocity, warning counters and the robot's contact
sensor through the bindings' numpy views of that MjData. The kernels reach `mj_step` through
a one-frame trampoline (`step_function`): called straight from numba it ran 10-15 % slower.

It is the Python loop rule for rule, so trajectories, tick counts, contact ticks and traces
are the same to the last bit (tests/test_native_mujoco.py runs both):
- every float operation is the one the Python loop does, in the same order (no fastmath, no
  fused multiply-add);
- `math.hypot` is CPython's, not libm's: `py_hypot` is CPython 3.11's `vector_norm` for two
  coordinates (libm's hypot differs in the last bit for ~0.2 % of inputs);
- Python's `min`/`max` are written out as the comparisons they make.
`available()` checks `py_hypot` against this interpreter's `math.hypot` once per process; where
they disagree (another CPython's algorithm), navigation keeps the Python loop.

`cast_rays` is `mj_multiRay` with the same arguments as the bindings pass, allocating its
outputs and mapping geoms to entities inside the compiled call: the Observe's rays go out right
after the physics, when every numpy call around them costs several µs. `view_rays` is a whole
Observe's view in one call: the rays picked, cast and judged (`perception.view_kernel`).

Example:
    >>> py_hypot(3.0, 4.0)
    5.0
"""

from __future__ import annotations

import ctypes
import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from llvmlite import ir
from numba import cfunc, njit, types
from numba.extending import intrinsic

from perception.view_kernel import judge_rays, pick_rays
from robots.headless_mujoco import mujoco_library

DONE, TIMED_OUT, BAD_CONTROL, DIVERGED = 0, 1, 2, 3  # how a kernel call ended
_VELTKAMP = 134217729.0  # 2**27 + 1: splits a double into two 26-bit halves
_DBL_MIN = 2.2250738585072014e-308


def _mj_step_fn():
    """MuJoCo's C `mj_step(const mjModel*, mjData*)` from the library the bindings loaded (the same
    copy, so the same error handlers). Pointers are passed as size_t: the same register on every
    64-bit ABI, and an integer numba can pass without casts."""
    lib = mujoco_library()
    if lib is None:
        return None
    fn = lib.mj_step
    fn.argtypes, fn.restype = [ctypes.c_size_t, ctypes.c_size_t], None
    return fn


@functools.cache
def step_function():
    """What the kernels call for one physics step: `mj_step` behind a one-frame trampoline compiled
    here (~20 ms, once per process; None where the library was not found).

    Measured on this project's scenes (AMD EPYC, MuJoCo 4.0, numba 0.68): `mj_step` called straight
    from a numba nopython function runs 10-15 % slower than the same steps from the bindings, from a
    C loop, or through this trampoline, with identical results. MuJoCo's own functions take the
    extra time, not the call. MXCSR (no FTZ/DAZ, no denormals), 16-byte stack offsets from C and
    numba's unrolling were ruled out; the cause is not pinned down, so the trampoline stays only
    while `benchmarks/env_overhead.py` keeps showing the gain. (`mj_multiRay` through one gained
    ~4 % of the Observe's ray time, ~0.1 % of an episode: not kept.)"""
    fn = MJ_STEP
    if fn is None:
        return None

    @cfunc(types.void(types.uint64, types.uint64))
    def call(m, d):
        fn(m, d)

    return _pointer(call, fn)


def _pointer(compiled, like):
    """A ctypes function for a numba cfunc, with the argument and result types of `like` (so numba
    types it as it types `like`, and the kernels compiled for `like` run unchanged)."""
    proto = ctypes.CFUNCTYPE(like.restype, *like.argtypes)
    fn = proto(compiled.address)
    fn._keep = compiled  # the compiled code lives as long as the pointer to it
    return fn


def address(fn) -> int:
    """The address of a ctypes function, as the int the kernels take: numba types an int argument in C,
    a ctypes function in Python (~2.4 µs a call, several times that right after the physics)."""
    return ctypes.cast(fn, ctypes.c_void_p).value


def _calling(c_args):
    """Code for an intrinsic `(address, *args)`: each argument cast to the C type in `c_args`, then a
    call of the void C function at `address`. The address is an argument, not a constant, so the
    kernels stay cacheable across processes."""

    def codegen(context, builder, sig, args):
        vals = [context.cast(builder, v, t, c) for v, t, c in zip(args[1:], sig.args[1:], c_args)]
        fnty = ir.FunctionType(ir.VoidType(), [context.get_value_type(c) for c in c_args])
        builder.call(builder.inttoptr(args[0], fnty.as_pointer()), vals)
        return context.get_dummy_value()

    return codegen


_MJ_STEP_ARGS = (types.uint64, types.uint64)  # m, d
_MJ_MULTIRAY_ARGS = (types.uint64,) * 5 + (types.uint8, types.int32) + (types.uint64,) * 3 + (types.int32, types.float64)


@intrinsic
def _call_mj_step(typingctx, fn, m, d):
    """`mj_step(m, d)` through the C function at address `fn`."""
    if isinstance(fn, types.Integer) and fn.bitwidth == 64:
        return types.void(fn, m, d), _calling(_MJ_STEP_ARGS)
    return None


@intrinsic
def _call_mj_multiray(typingctx, fn, m, d, pnt, vec, geomgroup, flg_static, bodyexclude, geomid, dist, normal, nray,
                      cutoff):
    """`mj_multiRay(...)` through the C function at address `fn` (the arguments of `_mj_multiray_fn`)."""
    if isinstance(fn, types.Integer) and fn.bitwidth == 64:
        return (types.void(fn, m, d, pnt, vec, geomgroup, flg_static, bodyexclude, geomid, dist, normal, nray, cutoff),
                _calling(_MJ_MULTIRAY_ARGS))
    return None


def _mj_multiray_fn():
    """MuJoCo's C `mj_multiRay` (mujoco.h: m, d, pnt[3], vec, geomgroup, flg_static, bodyexclude, geomid,
    dist, normal, nray, cutoff), pointers as size_t as for mj_step; mjtBool is one byte."""
    lib = mujoco_library()
    if lib is None:
        return None
    fn = lib.mj_multiRay
    fn.argtypes = [ctypes.c_size_t] * 5 + [ctypes.c_uint8, ctypes.c_int] + [ctypes.c_size_t] * 3 + [ctypes.c_int,
                                                                                                    ctypes.c_double]
    fn.restype = None
    return fn


@njit(cache=True, nogil=True)
def cast_rays(multiray_fn: int, m: int, d: int, origin, dirs, geomgroup, body_exclude: int, cutoff: float, geom_entity):
    """`MujocoBackend.cast_rays` in one call: `mj_multiRay` (at address `multiray_fn`) of the unit rays `dirs` (n, 3, C order) from
    `origin` (static geoms included, the robot's body excluded), then each hit geom mapped through
    `geom_entity` (indexed by geom id + 1, so "no hit" (-1) maps through entry 0). Returns (dist, entity)."""
    n = dirs.shape[0]
    geomid = np.full(n, -1, np.int32)
    dist = np.full(n, -1.0)
    if n:
        _call_mj_multiray(multiray_fn, m, d, origin.ctypes.data, dirs.ctypes.data, geomgroup.ctypes.data, 1, body_exclude,
                          geomid.ctypes.data, dist.ctypes.data, 0, n, cutoff)
    ent = np.empty(n, geom_entity.dtype)
    for i in range(n):
        ent[i] = geom_entity[geomid[i] + 1]
    return dist, ent


@njit(cache=True, nogil=True)
def view_rays(multiray_fn: int, m: int, d: int, geomgroup, body_exclude: int, cutoff: float, geom_entity, cam, ent, bearing,
              ptr, rows, near_i, near_row, near_bearing, heading: float, half: float, with_cells: bool, n_cells: int,
              points, tolerance: float):
    """`perception.visibility.ViewGeometry.observe` from the camera at `cam` in one call: `pick_rays`, then
    `cast_rays`, then `judge_rays`, as that method runs them. Returns (the entities seen, in table order;
    the mask of floor cells seen, all False and empty without cells)."""
    slot, cell, dirs, length = pick_rays(bearing, ptr, rows, near_row, near_bearing, heading, half, with_cells, points, cam)
    mask = np.zeros(n_cells if with_cells else 0, np.bool_)
    if slot.shape[0] == 0:
        return np.empty(0, np.int64), mask
    dist, hit = cast_rays(multiray_fn, m, d, cam, dirs, geomgroup, body_exclude, cutoff, geom_entity)
    seen, free = judge_rays(slot, cell, dist, hit, length, ent, tolerance, ent.shape[0], near_i.shape[0])
    if with_cells:
        for j in range(free.shape[0]):
            if free[j]:
                mask[near_i[j]] = True
    return ent[seen], mask


@dataclass
class StepHandle:
    """What the kernels need of one MuJoCo CPU world: the C step's address, the MjModel/MjData addresses, and
    numpy views into that MjData. `advance(n)` tells the backend that n physics steps were taken."""

    mj_step: int  # address of the C function the kernels call for one step (`address(step_function())`)
    model: int
    data: int
    pose: np.ndarray  # qpos (x, y, yaw) view
    vel: np.ndarray  # qvel (vx, vy, yaw rate) view
    ctrl: np.ndarray  # (3,) view
    warnings: np.ndarray  # mjData.warning[:].number view
    contacts: np.ndarray  # sensordata view whose [0] counts the robot's contacts
    bad: np.ndarray  # warning indices that mean divergence (bad qpos, qvel, qacc)
    refused: np.ndarray  # (3,): a non-finite command the kernel refused, for the error message
    advance: Callable[[int], None]
    kept: dict = field(default_factory=dict)  # what callers derive once per handle (sim.navigation: periods, gains)


@njit(cache=True, nogil=True)
def py_hypot(x: float, y: float) -> float:
    """CPython 3.11's math.hypot(x, y), bit for bit (Modules/mathmodule.c, vector_norm): lossless
    scaling by a power of two, squares split exactly (Veltkamp), compensated sums, one Newton
    correction of the square root."""
    x, y = abs(x), abs(y)
    if math.isinf(x) or math.isinf(y):
        return math.inf
    if math.isnan(x) or math.isnan(y):
        return math.nan
    top = x if x > y else y
    if top == 0.0:
        return top
    unscale = 1.0
    e = math.frexp(top)[1]
    if e < -1023:  # subnormal: CPython recurses once on the values divided by DBL_MIN
        x, y, unscale = x / _DBL_MIN, y / _DBL_MIN, _DBL_MIN
        e = math.frexp(top / _DBL_MIN)[1]
    scale = math.ldexp(1.0, -e)
    csum, frac1, frac2, frac3 = 1.0, 0.0, 0.0, 0.0
    for v in (x * scale, y * scale):
        t = v * _VELTKAMP
        hi = t - (t - v)
        lo = v - hi
        q = hi * hi
        old = csum
        csum += q
        frac1 += (old - csum) + q
        q = 2.0 * hi * lo
        old = csum
        csum += q
        frac2 += (old - csum) + q
        frac3 += lo * lo
    h = math.sqrt(csum - 1.0 + (frac1 + frac2 + frac3))
    t = h * _VELTKAMP
    hi = t - (t - h)
    lo = h - hi
    q = -hi * hi
    old = csum
    csum += q
    frac1 += (old - csum) + q
    q = -2.0 * hi * lo
    old = csum
    csum += q
    frac2 += (old - csum) + q
    q = -lo * lo
    old = csum
    csum += q
    frac3 += (old - csum) + q
    q = csum - 1.0 + (frac1 + frac2 + frac3)
    return unscale * ((h + q / (2.0 * h)) / scale)


@njit(cache=True, nogil=True, inline="always")
def _heading(yaw: float) -> float:
    return (90.0 - math.degrees(yaw)) % 360.0  # MujocoBackend.robot_pose


@njit(cache=True, nogil=True, inline="always")
def _tick(step_fn, m: int, d: int, ctrl, c0: float, c1: float, c2: float, n_sub: int, warnings, bad, refused) -> int:
    """MujocoBackend.step((c0, c1, c2), n_sub): the finite check, then the steps, then the divergence check.
    A refused command goes to `refused` (for the error message), not to the MjData."""
    s = 0.0 + c0 + c1 + c2  # Python's sum() of the tuple
    if not math.isfinite(s):
        refused[0], refused[1], refused[2] = c0, c1, c2
        return BAD_CONTROL
    ctrl[0], ctrl[1], ctrl[2] = c0, c1, c2
    for _ in range(n_sub):
        _call_mj_step(step_fn, m, d)
    for b in bad:
        if warnings[b]:
            return DIVERGED
    return DONE


@njit(cache=True, nogil=True)
def drive_ticks(step_fn, m: int, d: int, pose, vel, ctrl, warnings, bad, refused, contacts, waypoints, target_yaw_deg: float,
                n_sub: int, max_ticks: int, params, trace_every: int, trace):
    """`navigation.drive_path`'s loop. params: max_speed, kp, max_yaw_rate, kp_yaw, waypoint_tol, goal_tol,
    settle_speed. Fills trace[:k] with raw (x, y, heading) samples. Returns (status, physics steps,
    ticks in contact, k)."""
    max_speed, kp, w_max, kp_yaw = params[0], params[1], params[2], params[3]
    waypoint_tol, goal_tol, settle = params[4], params[5], params[6]
    last_k = waypoints.shape[0] - 1
    k, touched, nt, steps = 0, 0, 0, 0
    wx, wy = waypoints[0, 0], waypoints[0, 1]
    for tick in range(max_ticks):
        x, y, h = pose[0], pose[1], _heading(pose[2])
        if tick % trace_every == 0:
            trace[nt, 0], trace[nt, 1], trace[nt, 2] = x, y, h
            nt += 1
        ex, ey = wx - x, wy - y
        dist = py_hypot(ex, ey)
        last = k == last_k
        if not last and dist < waypoint_tol:
            k += 1
            wx, wy = waypoints[k, 0], waypoints[k, 1]
            continue
        if last and dist < goal_tol:
            if py_hypot(vel[0], vel[1]) < settle:
                status = _tick(step_fn, m, d, ctrl, 0.0, 0.0, 0.0, n_sub, warnings, bad, refused)
                return status, steps + (n_sub if status != BAD_CONTROL else 0), touched, nt
        if not last:
            speed = max_speed
        else:
            v = kp * dist
            speed = v if v < max_speed else max_speed  # min(max_speed, kp * dist)
        scale = speed / dist if dist > 1e-9 else 0.0
        a = (target_yaw_deg - (90.0 - h) + 180.0) % 360.0 - 180.0
        yaw_err = math.radians(180.0 if a == -180.0 else a)
        w = kp_yaw * yaw_err
        w = w if w > -w_max else -w_max  # max(-w_max, w)
        w = w if w < w_max else w_max  # min(w_max, w)
        status = _tick(step_fn, m, d, ctrl, ex * scale, ey * scale, w, n_sub, warnings, bad, refused)
        if status == BAD_CONTROL:
            return status, steps, touched, nt
        steps += n_sub
        if status != DONE:
            return status, steps, touched, nt
        touched += contacts[0] > 0
    status = _tick(step_fn, m, d, ctrl, 0.0, 0.0, 0.0, n_sub, warnings, bad, refused)
    if status == DONE:
        status = TIMED_OUT
    return status, steps + (n_sub if status != BAD_CONTROL else 0), touched, nt


@njit(cache=True, nogil=True)
def rotate_ticks(step_fn, m: int, d: int, pose, vel, ctrl, warnings, bad, refused, heading_deg: float, n_sub: int,
                 max_ticks: int, params):
    """`navigation.rotate_to`'s loop. params: kp, max_yaw_rate, kp_yaw, yaw_tol_deg. Returns (status, physics steps)."""
    kp, w_max, kp_yaw, yaw_tol = params[0], params[1], params[2], params[3]
    x0, y0 = pose[0], pose[1]
    steps = 0
    for _ in range(max_ticks):
        x, y, h = pose[0], pose[1], _heading(pose[2])
        a = (h - heading_deg + 180.0) % 360.0 - 180.0
        err_deg = 180.0 if a == -180.0 else a
        if abs(err_deg) < yaw_tol and abs(vel[2]) < 0.05:
            status = _tick(step_fn, m, d, ctrl, 0.0, 0.0, 0.0, n_sub, warnings, bad, refused)
            return status, steps + (n_sub if status != BAD_CONTROL else 0)
        w = kp_yaw * math.radians(err_deg)
        w = w if w > -w_max else -w_max
        w = w if w < w_max else w_max
        status = _tick(step_fn, m, d, ctrl, kp * (x0 - x), kp * (y0 - y), w, n_sub, warnings, bad, refused)
        if status == BAD_CONTROL:
            return status, steps
        steps += n_sub
        if status != DONE:
            return status, steps
    return TIMED_OUT, steps


_CHECKED: list[bool] = []


def available() -> bool:
    """Whether the kernels can stand in for the Python loop here: MuJoCo's library was found and
    `py_hypot` agrees with this interpreter's math.hypot on a fixed sample (checked once)."""
    if not _CHECKED:
        rng = np.random.default_rng(0)
        pairs = rng.normal(size=(4000, 2)) * rng.choice([1e-3, 1.0, 1e3], size=(4000, 2))
        same = all(py_hypot(a, b) == math.hypot(a, b) for a, b in pairs.tolist())
        _CHECKED.append(same and MJ_STEP is not None)
    return _CHECKED[0]


MJ_STEP = _mj_step_fn()
MJ_MULTIRAY = _mj_multiray_fn()

__all__ = ["StepHandle", "address", "available", "cast_rays", "drive_ticks", "py_hypot", "rotate_ticks", "step_function",
           "view_rays"]
