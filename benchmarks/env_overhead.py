"""Where the exploration env's time goes, beside raw physics (the measurements behind issue 20's notes).

Each mode runs the same scout episodes (tos-3room scenes 0..N-1) many times, alternating with
raw stepping of scene 0 (robot turning) in the same process, CPU time of whole episodes: the
definition `spacelab bench` used until the sixth pass, kept here so that figures compare with the
notes that quote them (the bench now pairs each episode with its own scene and times the env's
calls, `spacelab.bench.backends.paired_ratio`; scene 0 steps ~2 % cheaper, see `physics`):

    python benchmarks/env_overhead.py tree      # env CPU, turns/s, raw, ratio; run once per checkout
                                                # with PYTHONPATH=<checkout> to compare trees
    python benchmarks/env_overhead.py replay    # the episodes' recorded step calls replayed with
                                                # nothing else (one mj_step call a control tick)
    python benchmarks/env_overhead.py physics   # the episodes' controls against turning in place, on
                                                # each episode's scene and on scene 0, in MuJoCo's C
                                                # loop (mujoco.rollout), best of --rounds
    python benchmarks/env_overhead.py timers    # MuJoCo's profiling timers on against off
    python benchmarks/env_overhead.py trampoline  # the kernels' mj_step through native_mujoco's
                                                # trampoline against called straight from numba

The medians over rounds are printed; this VM's speed swings by tens of percent within minutes,
so compare figures from one run (or from alternating runs), and ratios.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from planners.agents import make_agent
from robots.headless_mujoco import profiling_timers
from scenes.suites import load_suite_scene
from sim.backends import make_backend
from sim.env import ExplorationEnv
from spacelab.bench.backends import TURNING, recorded_steps, replay_steps
from spacelab.evaluation.episode import run_episode


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["tree", "replay", "physics", "timers", "trampoline"])
    p.add_argument("--scenes", type=int, default=10)
    p.add_argument("--rounds", type=int, default=8)
    a = p.parse_args()
    envs = [ExplorationEnv(load_suite_scene("tos-3room", i)) for i in range(a.scenes)]
    raw_backend = make_backend("mujoco")
    raw_backend.load(load_suite_scene("tos-3room", 0))

    def episodes() -> tuple[float, int, int]:
        t0, steps, turns = time.process_time(), 0, 0
        for i, env in enumerate(envs):
            r = run_episode(env, make_agent("scout"), seed=i, probe=False)
            steps, turns = steps + r["physics_steps"], turns + r["steps"]
        return time.process_time() - t0, steps, turns

    def raw(n: int) -> float:
        t0, k = time.process_time(), 0
        while k < n:
            raw_backend.step(TURNING, 200)
            k += 200
        return (time.process_time() - t0) * n / k

    episodes()  # warm up: numba caches, per-position tables
    if a.mode == "tree":
        rows = [(*episodes(), 0.0) for _ in range(a.rounds)]
        rows = [(t, s, u, raw(s)) for t, s, u, _ in rows]
        t, r = np.median([x[0] for x in rows]), np.median([x[3] for x in rows])
        print(f"env {t * 1e3:.0f} ms CPU, {rows[0][2] / t:.0f} turns/s, raw {r * 1e3:.0f} ms, "
              f"ratio {np.median([x[3] / x[0] for x in rows]):.3f} ({rows[0][1]} physics steps)")
    elif a.mode == "replay":
        calls = [recorded_steps(env, i) for i, env in enumerate(envs)]  # the Python loop: every tick's call
        total = sum(n for c in calls for _, n in c)

        def replay() -> float:
            t0 = time.process_time()
            for env, c in zip(envs, calls):
                replay_steps(env.backend, c)
            return time.process_time() - t0

        rows = [(replay(), raw(total)) for _ in range(a.rounds)]
        replayed, raw_ms = np.median([x[0] for x in rows]) * 1e3, np.median([x[1] for x in rows]) * 1e3
        print(f"replayed step calls {replayed:.0f} ms, raw {raw_ms:.0f} ms for {total} steps: "
              f"raw / replayed {np.median([x[1] / x[0] for x in rows]):.3f}")
    elif a.mode == "physics":
        physics_cost(envs, [recorded_steps(env, i) for i, env in enumerate(envs)], a.rounds)
    elif a.mode == "trampoline":
        from sim import native_mujoco as nm

        calls = {"trampoline": nm.address(nm.step_function()), "direct": nm.address(nm.MJ_STEP)}
        out = {k: [] for k in calls}
        for _ in range(a.rounds):
            for name, fn in calls.items():
                for env in envs:
                    env.backend.step_handle().mj_step = fn  # the handle is built once per backend
                t, s, u = episodes()
                out[name].append((t, raw(s), u))
        for name in calls:
            t = np.median([x[0] for x in out[name]])
            print(f"{name:10s}: env {t * 1e3:.0f} ms ({out[name][0][2] / t:.0f} turns/CPU s), "
                  f"ratio {np.median([x[1] / x[0] for x in out[name]]):.3f}")
    else:
        was = profiling_timers(False)
        out: dict[bool, list] = {True: [], False: []}
        for _ in range(a.rounds):
            for on in (True, False):
                profiling_timers(on)
                t, s, u = episodes()
                out[on].append((t, raw(s), u))
        profiling_timers(was)
        for on in (True, False):
            t = np.median([x[0] for x in out[on]])
            print(f"timers {'on ' if on else 'off'}: env {t * 1e3:.0f} ms ({out[on][0][2] / t:.0f} turns/CPU s), "
                  f"raw {np.median([x[1] for x in out[on]]) * 1e3:.0f} ms, "
                  f"ratio {np.median([x[1] / x[0] for x in out[on]]):.3f}")


def physics_cost(envs: list, calls: list, rounds: int) -> None:
    """Seconds a step of each episode's own controls, of turning in place on its scene and of turning
    on scene 0, all in MuJoCo's C loop (`mujoco.rollout` from the episode's start state, the same
    copying of state and control at every step for all three), best of `rounds` (C code on a shared
    machine: noise only adds). Says whether driving costs more physics than the bench's reference."""
    from mujoco import rollout

    from robots.headless_mujoco import mujoco

    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    starts = []
    for env in envs:
        env.backend.reset()
        s = np.empty(mujoco.mj_stateSize(env.backend.model, spec))
        mujoco.mj_getState(env.backend.model, env.backend.data, s, spec)
        starts.append(s[None])
    controls = [np.repeat(np.array([c for c, _ in cs]), [k for _, k in cs], axis=0)[None] for cs in calls]
    best: dict = {}
    for _ in range(rounds):
        for i, ctrl in enumerate(controls):
            turning = np.tile(np.array(TURNING), (ctrl.shape[1], 1))[None]
            for kind, world, c in (("episode", i, ctrl), ("turning", i, turning), ("turning on scene 0", 0, turning)):
                b = envs[world].backend
                t0 = time.perf_counter()
                rollout.rollout(b.model, b.data, starts[world], c)
                best[kind, i] = min(best.get((kind, i), np.inf), (time.perf_counter() - t0) / ctrl.shape[1])
    for i in range(len(envs)):
        print(f"scene {i}: " + ", ".join(f"{k} {best[k, i] * 1e6:.3f} us" for k in ("episode", "turning", "turning on scene 0")))
    total = {k: sum(best[k, i] * controls[i].shape[1] for i in range(len(envs))) for k in ("episode", "turning", "turning on scene 0")}
    print(f"all episodes' steps: turning on their scenes / episode {total['turning'] / total['episode']:.3f}, "
          f"turning on scene 0 / episode {total['turning on scene 0'] / total['episode']:.3f}")


if __name__ == "__main__":
    main()
