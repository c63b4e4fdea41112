"""The compiled base controller (sim.native_mujoco) against the Python loop it replaces: the same
ticks, steps, contacts, traces and physics state to the last bit; the contact sensor it reads
against mjData.contact; CPython's hypot."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from robots.headless_mujoco import mujoco
from scenes.suites import load_suite_scene
from sim import native_mujoco as nm
from sim.backends import BackendError, make_backend
from sim.navigation import DriveConfig, drive_path, rotate_to

finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=3000, deadline=None)
@given(finite, finite)
@example(3.0, 4.0)
@example(5e-324, 5e-324)  # subnormal: CPython's rescaling branch
@example(1e308, 1e308)  # overflows to inf
@example(0.1, 0.2)
@example(-0.0, 0.0)
def test_py_hypot_is_cpythons_hypot_bit_for_bit(x, y):
    assert nm.py_hypot(x, y) == math.hypot(x, y)


def test_py_hypot_special_values_and_a_million_random_pairs():
    for x, y in ((math.inf, math.nan), (math.nan, 1.0), (0.0, 0.0), (-3.0, 4.0)):
        a, b = nm.py_hypot(x, y), math.hypot(x, y)
        assert a == b or (math.isnan(a) and math.isnan(b))
    rng = np.random.default_rng(3)
    pairs = rng.normal(size=(200_000, 2)) * rng.choice([1e-9, 1e-3, 1.0, 1e3, 1e9], size=(200_000, 2))
    got = np.array([nm.py_hypot(a, b) for a, b in pairs.tolist()])
    want = np.array([math.hypot(a, b) for a, b in pairs.tolist()])
    assert np.array_equal(got, want)
    libm = np.hypot(pairs[:, 0], pairs[:, 1])
    assert np.count_nonzero(libm != want) > 0  # why it is needed: libm's last bit differs somewhere


def _pair(index=0):
    spec = load_suite_scene("tos-3room", index)
    backend = make_backend("mujoco")
    backend.load(spec)
    assert backend.step_handle() is not None
    return backend


def _both(backend, run):
    """Run `run(compiled)` from the same state twice: Python loop, then kernel."""
    start = backend.get_state()
    steps0 = backend.physics_steps
    out = []
    for compiled in (False, True):
        backend.reset(start)
        backend._steps = steps0
        r = run(compiled)
        out.append((r, backend.get_state().tobytes(), backend.physics_steps, backend.data.ctrl.tolist()))
    return out


def _same(a, b):
    (ra, sa, na, ca), (rb, sb, nb, cb) = a, b
    assert (ra.success, ra.reason, ra.physics_steps, ra.contacts, ra.trace) == (
        rb.success, rb.reason, rb.physics_steps, rb.contacts, rb.trace)
    assert sa == sb and na == nb and ca == cb


@pytest.mark.parametrize("index", [0, 3])
def test_drive_and_rotate_match_the_python_loop_bit_for_bit(index):
    backend = _pair(index)
    x, y, h = backend.robot_pose()
    rng = np.random.default_rng(index)
    for _ in range(6):
        heading = float(rng.choice([0.0, 90.0, 180.0, 270.0, 45.0]))
        _same(*_both(backend, lambda c, hd=heading: rotate_to(backend, hd, compiled=c)))
        rotate_to(backend, heading)
        x, y, _ = backend.robot_pose()
        # waypoints around the start, some of them inside walls or furniture (blocked, with contacts)
        pts = [(x + float(dx), y + float(dy)) for dx, dy in rng.uniform(-2.5, 2.5, size=(3, 2))]
        a, b = _both(backend, lambda c, p=pts, hd=heading: drive_path(backend, p, hd, compiled=c))
        _same(a, b)
        drive_path(backend, pts, heading)


def test_a_drive_into_a_wall_counts_the_same_contact_ticks():
    backend = _pair(0)
    x, y, h = backend.robot_pose()
    cfg = DriveConfig(timeout_margin_s=1.5)
    total = 0
    for dx, dy in ((6.0, 0.0), (0.0, 6.0), (-6.0, 0.0), (0.0, -6.0)):
        a, b = _both(backend, lambda c, g=(x + dx, y + dy): drive_path(backend, [g], h, cfg, compiled=c))
        _same(a, b)
        total += b[0].contacts
        assert not b[0].success and b[0].reason.startswith("blocked")
    assert total > 10  # the walls were touched, so the contact branch ran


def test_the_contact_sensor_counts_the_robots_contacts():
    backend = _pair(1)
    h = backend.step_handle()
    rng = np.random.default_rng(7)
    touching = 0
    for k in range(300):
        if k % 25 == 0:
            ctrl = tuple(float(v) for v in rng.normal(size=3) * (1.5, 1.5, 1.0))
        backend.step(ctrl, 20)
        assert int(h.contacts[0]) == backend.robot_contacts()
        touching += backend.robot_contacts() > 0
    assert touching > 20


def test_a_non_finite_command_raises_what_the_backend_raises_and_takes_no_step():
    backend = _pair(0)
    x, y, h = backend.robot_pose()
    errors = []
    for compiled in (False, True):
        backend.reset()
        before = backend.physics_steps
        with pytest.raises(BackendError, match="control contains NaN or inf") as e:  # speed inf: inf velocities
            drive_path(backend, [(x + 1.0, y + 0.5), (x + 2.0, y + 0.5)], h, DriveConfig(max_speed=math.inf), compiled=compiled)
        errors.append((str(e.value), backend.physics_steps - before))
    assert errors[0] == errors[1] and errors[0][1] == 0


def test_only_the_mujoco_cpu_world_has_a_handle():
    spec = load_suite_scene("tos-2room", 0)
    batch = make_backend("mujoco-batch")
    batch.load(spec)
    assert batch.step_handle() is None  # the batch steps that world, not the mirror
    pybullet = make_backend("pybullet")
    pybullet.load(spec)
    assert getattr(pybullet, "step_handle", None) is None
    model = _pair(0).model
    assert mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SENSOR, "robot_contacts") >= 0


def test_a_replaced_step_turns_the_kernel_off(monkeypatch):
    from sim.backends.mujoco_cpu import MujocoBackend

    backend = _pair(0)
    calls = []
    real = MujocoBackend.step

    def counting(self, ctrl, nsteps=1):
        calls.append(nsteps)
        return real(self, ctrl, nsteps)

    monkeypatch.setattr(MujocoBackend, "step", counting)
    assert backend.step_handle() is None
    rotate_to(backend, 90.0)
    assert len(calls) > 5 and set(calls) == {20}


def test_the_kernels_step_through_the_trampoline_and_it_is_mj_step_to_the_bit():
    """The handle hands the kernels the trampolined mj_step (sim.native_mujoco.step_function); 300
    steps through it leave the same state bytes as the bindings' mj_step."""
    step = nm.step_function()
    assert step is not None and step is nm.step_function()  # built once per process
    assert _pair(0).step_handle().mj_step == nm.address(step)
    spec = load_suite_scene("tos-3room", 2)
    states = []
    for through_trampoline in (False, True):
        backend = make_backend("mujoco")
        backend.load(spec)
        m, d = backend.model, backend.data
        for k in range(15):
            d.ctrl[:3] = (0.8, -0.4 + 0.05 * k, 0.5)  # drives into furniture and walls
            for _ in range(20):
                step(m._address, d._address) if through_trampoline else mujoco.mj_step(m, d)
        states.append(backend.get_state().tobytes())
    assert states[0] == states[1]


def test_profiling_timers_are_off_and_change_no_bit_of_the_physics():
    from robots.headless_mujoco import profiling_timers

    spec = load_suite_scene("tos-3room", 2)
    states, timers = [], []
    was = profiling_timers(False)
    try:
        for on in (False, True):
            profiling_timers(on)
            backend = make_backend("mujoco")
            backend.load(spec)
            for k in range(30):
                backend.step((0.8, -0.4 + 0.03 * k, 0.5), 20)  # drives into furniture and walls
            states.append(backend.get_state().tobytes())
            timers.append(float(backend.data.timer[int(mujoco.mjtTimer.mjTIMER_STEP)].duration))
    finally:
        profiling_timers(was)
    assert was is False  # spacelab's default (SPACELAB_MUJOCO_TIMERS unset)
    assert states[0] == states[1]
    assert timers[0] == 0.0 and timers[1] > 0.0


@pytest.mark.parametrize("backend_name", ["mujoco", "mujoco-batch"])
def test_native_rays_equal_the_bindings_mj_multiray(backend_name):
    spec = load_suite_scene("tos-3room", 4)
    backend = make_backend(backend_name)
    backend.load(spec)
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(40):
        backend.step(tuple(float(v) for v in rng.uniform(-1, 1, 3)), 10)
        n = int(rng.integers(0, 120))
        dirs = rng.normal(size=(n, 3))
        dirs /= np.linalg.norm(dirs, axis=1)[:, None]
        origin = backend.camera_position() + rng.normal(scale=0.3, size=3)  # near and inside the robot too
        cutoff = float(rng.choice([0.5, 5.0, 34.0]))
        got = []
        for native in (True, False):
            backend._native = native
            got.append(backend.cast_rays(origin, dirs, cutoff))
        backend._native = None
        (d1, e1), (d2, e2) = got
        assert d1.tobytes() == d2.tobytes() and e1.tobytes() == e2.tobytes()
        hits += int(np.count_nonzero(e1 >= 0))
    assert hits > 20  # entities were hit, not only walls and misses


@functools.cache
def _shared_backend():
    return _pair(0)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(), st.just(1e300), st.text(max_size=3), st.none()), st.sampled_from(["x", "heading"]))
@example(math.nan, "x")
@example(math.inf, "heading")
def test_a_goal_the_controller_cannot_steer_to_is_refused_before_any_step(bad, where):
    """NaN used to spin the robot (a NaN heading error clamps to full yaw rate), inf or 1e300 never
    ended or failed in numpy; now one ValueError, on both paths, before any physics step."""
    backend = _shared_backend()
    finite = isinstance(bad, float) and math.isfinite(bad)
    fine = finite and (where == "heading" or abs(bad) <= 1e6)  # a heading only has to be finite
    quick = DriveConfig(timeout_margin_s=0.1)
    for compiled in (True, False):
        before = backend.physics_steps
        try:
            if where == "x":
                drive_path(backend, [(bad, 2.5)], 90.0, quick, compiled=compiled)
            else:
                rotate_to(backend, bad, quick, compiled=compiled)
                drive_path(backend, [(3.5, 2.5)], bad, quick, compiled=compiled)
        except ValueError as e:
            assert not fine and "\n" not in str(e) and ("waypoints" in str(e) or "heading" in str(e))
            assert backend.physics_steps == before
        else:
            assert fine
