"""Per-backend throughput for `spacelab bench`: physics limit, env steps, batches, rendering.

Each backend is measured on the same compiled scene: raw physics steps/s with the robot
turning in place (no contacts, actuators live), env turns/s for the scout with the
physics-limit ratio (physics steps simulated per CPU second of the env's own calls / raw steps
per CPU second on the episode's own scene, paired episode by episode: `paired_ratio`),
batched worlds*steps/s on 1 and 2 threads (mujoco.batch) or on a GPU at 1k/4k/8k worlds
(MuJoCo Warp; on CPU through Warp when no GPU) with its batched BVH render, camera
frames/s, and a scripted pick-and-place per backend (success, physics steps/s).
"""

from __future__ import annotations

import time

import numpy as np

from planners.agents import make_agent
from scenes.suites import load_suite_scene
from sim.backends import BackendError, make_backend
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode

TURNING = (0.0, 0.0, 0.5)


def _rate(fn, seconds: float) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        n += fn()
    return n / (time.perf_counter() - t0)


def raw_rate(backend: str, suite: str, seconds: float = 1.5) -> float:
    b = make_backend(backend)
    b.load(load_suite_scene(suite, 0))

    def run():
        b.step(TURNING, 200)
        return 200

    rate = _rate(run, seconds)
    b.close()
    return rate


def env_call_clock(env: ExplorationEnv) -> list[float]:
    """Time the env's own calls: this env's `reset` and `step` (its instance's, not the class's) are
    wrapped so that their CPU time adds up in the returned one-item list. What the agent thinks and
    the episode runner records between the calls is not the env's."""
    spent = [0.0]
    for name in ("reset", "step"):
        call = getattr(env, name)

        def timed(*args, _call=call, **kwargs):
            t0 = time.process_time()
            try:
                return _call(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - t0

        setattr(env, name, timed)
    return spent


def paired_ratio(backend: str, suite: str, episodes: int = 5, rounds: int = 5, new_scenes: bool = False) -> dict:
    """The physics-limit ratio, paired against the machine's load: a round runs `episodes` scout
    episodes (fresh envs, no probing), each between two chunks of raw stepping of its own scene
    (the same model; robot turning in place) as long as the episode's physics. The round's ratio is
    the env's physics steps per CPU second of its own calls (`env_call_clock`: reset and step; the
    scout's thinking between them is not the env's) over the raw steps per CPU second
    (time.process_time, so other processes do not count). The figure is the median round, with the
    range of the rounds beside it: a slow spell of a shared machine falls on both sides of a pair
    instead of on one side of a best-of. `physics_limit_ratio_with_agent` times whole episodes
    (the scout's thinking and the runner included). turns/s (wall clock, whole episodes) and steps
    per turn are the median round's. A first round warms up and is dropped.

    Why each scene's own model: the scenes' models differ (tos-3room 0..9: 115-145 geoms), and an
    episode's physics costs what turning in place on its own scene costs (within ~1 %, measured in
    MuJoCo's C loop: `benchmarks/env_overhead.py physics`), while scene 0 steps ~2 % cheaper than
    the other scenes.
    Every round runs scenes 0..episodes-1, as a benchmark suite runs its scenes again for each agent,
    so the per-scene tables that envs share (`sim.env.scene_tables`) are warm; new_scenes=True gives
    each round scenes this process has not seen (round r: scenes r*episodes ...), where they are built."""
    raws: dict[int, object] = {}

    def raw_backend(scene: int):
        if scene not in raws:
            raws[scene] = make_backend(backend)
            raws[scene].load(load_suite_scene(suite, scene))
        return raws[scene]

    def raw(b, nsteps: int) -> tuple[int, float]:
        n, t0 = 0, time.process_time()
        while n < nsteps:
            b.step(TURNING, 200)
            n += 200
        return n, time.process_time() - t0

    out = []
    for r in range(rounds + 1):
        first = r * episodes if new_scenes else 0
        envs = [ExplorationEnv(load_suite_scene(suite, first + i), backend=backend) for i in range(episodes)]
        raw_n = raw_t = env_n = env_t = whole_t = wall = turns = 0.0
        for i, env in enumerate(envs):
            rb = raw_backend(first + i)
            n1, t1 = raw(rb, 2000)
            clock = env_call_clock(env)
            w0, c0 = time.perf_counter(), time.process_time()
            rec = run_episode(env, make_agent("scout"), seed=i, probe=False)
            whole_t += time.process_time() - c0
            wall += time.perf_counter() - w0
            env_t += clock[0]
            n2, t2 = raw(rb, max(200, int(rec["physics_steps"])))
            raw_n, raw_t = raw_n + n1 + n2, raw_t + t1 + t2
            env_n, turns = env_n + rec["physics_steps"], turns + rec["steps"]
            env.close()
        if new_scenes:
            for b in raws.values():
                b.close()
            raws.clear()
        if r:
            raw_cpu = raw_n / raw_t
            out.append(((env_n / env_t) / raw_cpu, (env_n / whole_t) / raw_cpu, turns / wall, env_n / turns, raw_cpu))
    for b in raws.values():
        b.close()
    ratio, _, turns_per_s, per_turn, raw_cpu = sorted(out)[len(out) // 2]
    ratios = [o[0] for o in out]
    whole = sorted(o[1] for o in out)[len(out) // 2]
    return {"physics_limit_ratio": round(ratio, 3), "physics_limit_ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
            "physics_limit_ratio_with_agent": round(whole, 3),
            "turns_per_s": turns_per_s, "physics_steps_per_turn": per_turn, "raw_steps_per_cpu_s": raw_cpu}


def recorded_steps(env: ExplorationEnv, seed: int) -> list[tuple[tuple, int]]:
    """A scout episode's physics as the (control, steps) calls it makes, each control tick one call, from
    the env's reset state. With `MujocoBackend.step` wrapped, the control loop runs in Python (the compiled
    loop runs only under the class's own step), which gives the same trajectory to the last bit. The wrap is
    class-wide while the episode runs: for the bench's own process, not for one that steps envs in threads."""
    from sim.backends.mujoco_cpu import MujocoBackend

    calls: list[tuple[tuple, int]] = []
    real = MujocoBackend.step

    def record(self, ctrl, nsteps=1):
        calls.append((tuple(ctrl), nsteps))
        return real(self, ctrl, nsteps)

    MujocoBackend.step = record
    try:
        run_episode(env, make_agent("scout"), seed=seed, probe=False)
    finally:
        MujocoBackend.step = real
    return calls


def replay_steps(backend, calls: list[tuple[tuple, int]]) -> int:
    """Replay recorded step calls from the backend's reset state with nothing else: MuJoCo's C stepping
    (`mj_step` with its step count, ~1 µs of Python a call beside ~100 µs of physics), the control
    written straight into MjData. Returns the steps taken. (`mujoco.rollout` would replay them too,
    but it copies the state out and the control in at every step: ~4 % dearer here.)"""
    from robots.headless_mujoco import mujoco

    backend.reset()
    model, data, n = backend.model, backend.data, 0
    ctrl = data.ctrl
    for c, k in calls:
        ctrl[:] = c
        mujoco.mj_step(model, data, k)
        n += k
    return n


def replayed_ratio(suite: str, episodes: int = 5, rounds: int = 5) -> dict:
    """The env against the physics of its own episodes (MuJoCo CPU): each scout episode of scenes
    0..episodes-1 is recorded once as its step calls (`recorded_steps`); a round runs every episode and,
    right after each, replays its calls on the env's own backend (`replay_steps`: `mj_step` a call on the
    same MjData, so the same memory), in CPU time. The ratio is the env's physics steps per CPU second of
    its own calls (`env_call_clock`) over the replay's: what the env spends beyond stepping this very
    physics. It checks `paired_ratio`'s reference (turning in place on the episode's scene), which steps
    at the same cost per step. The replay ends in the episode's final state (checked:
    `replay_matches`). Median round, with the range of the rounds; a first round warms up and is dropped."""
    envs = [ExplorationEnv(load_suite_scene(suite, i)) for i in range(episodes)]
    calls = [recorded_steps(env, i) for i, env in enumerate(envs)]
    finals = [env.backend.data.qpos.copy() for env in envs]
    clocks = [env_call_clock(env) for env in envs]
    out, matches = [], True
    for r in range(rounds + 1):
        env_n = env_t = rep_n = rep_t = 0.0
        for i, env in enumerate(envs):
            before = clocks[i][0]
            rec = run_episode(env, make_agent("scout"), seed=i, probe=False)
            env_t += clocks[i][0] - before
            env_n += rec["physics_steps"]
            c0 = time.process_time()
            rep_n += replay_steps(env.backend, calls[i])  # the env's own MjData: the memory its episode used
            rep_t += time.process_time() - c0
            matches = matches and np.array_equal(env.backend.data.qpos, finals[i])
        if r:
            out.append((env_n / env_t) / (rep_n / rep_t))
    for env in envs:
        env.close()
    return {"physics_limit_ratio_replayed": round(sorted(out)[len(out) // 2], 3),
            "physics_limit_ratio_replayed_range": [round(min(out), 3), round(max(out), 3)], "replay_matches": matches}


def batch_rate(suite: str, nworld: int, nthread: int, nstep: int = 100) -> float:
    from sim.backends.batch import MujocoBatch

    b = MujocoBatch(nworld=nworld, nthread=nthread)
    b.load(load_suite_scene(suite, 0))
    ctrl = np.tile(TURNING, (nworld, 1))
    b.step(ctrl, 10)

    def run():
        b.step(ctrl, nstep)
        return nworld * nstep

    return _rate(run, 1.5)


def warp_rates(suite: str) -> dict:
    """worlds*steps/s for MuJoCo Warp: 1k/4k/8k worlds on a GPU, or 64 worlds on CPU."""
    from sim.backends.batch import WarpBatch

    try:
        WarpBatch(nworld=1)
        device, sizes = "cuda:0", (1024, 4096, 8192)
    except BackendError:
        device, sizes = "cpu", (64,)
    out = {"device": device}
    for n in sizes:
        b = WarpBatch(nworld=n, device=device)
        b.load(load_suite_scene(suite, 0))
        ctrl = np.tile(TURNING, (n, 1))
        b.step(ctrl, 2)  # compile / warm up
        steps = 20 if device == "cpu" else 200
        t0 = time.perf_counter()
        b.step(ctrl, steps)
        out[str(n)] = n * steps / (time.perf_counter() - t0)
    # batched BVH rendering of the robot camera in every world of the largest batch
    b.render(128)
    t0 = time.perf_counter()
    b.render(128)
    out["render_fps_128"] = n / (time.perf_counter() - t0)
    out["render_worlds"] = n
    if device != "cpu":
        out["gpu"] = b.wp.get_device(device).name
    return out


def render_rate(backend: str, suite: str, size: int = 128, seconds: float = 1.0) -> float | None:
    b = make_backend(backend)
    b.load(load_suite_scene(suite, 0))
    try:
        b.render(size, size)
    except BackendError:
        return None

    def run():
        b.render(size, size)
        return 1

    rate = _rate(run, seconds)
    b.close()
    return rate


def backend_table(suite: str, with_warp: bool = True) -> dict:
    result: dict = {"backends": {}}
    for name in ("mujoco", "pybullet", "mujoco-batch"):
        raw = raw_rate(name, suite)
        env = paired_ratio(name, suite, rounds=3)
        result["backends"][name] = {
            "raw_physics_steps_per_s": round(raw),
            "env_turns_per_s": round(env["turns_per_s"], 1),
            "physics_limit_ratio": env["physics_limit_ratio"],
            "physics_limit_ratio_range": env["physics_limit_ratio_range"],
            "render_fps_128": (round(r, 1) if (r := render_rate(name, suite)) else None) if name != "mujoco-batch" else None,
        }
    from spacelab.bench.manip import task_rates

    for name in ("mujoco", "mujoco-batch", "pybullet"):
        result["backends"][name]["manipulation"] = task_rates(name)
    b1 = batch_rate(suite, 64, 1)
    b2 = batch_rate(suite, 64, 2)
    result["mujoco_batch"] = {"worlds": 64, "threads_1": round(b1), "threads_2": round(b2), "scaling_2_vs_1": round(b2 / b1, 2)}
    if with_warp:
        try:
            result["mujoco_warp"] = {k: (round(v) if isinstance(v, float) else v) for k, v in warp_rates(suite).items()}
        except BackendError as e:
            result["mujoco_warp"] = {"error": str(e)}
    return result
