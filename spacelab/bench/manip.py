"""Manipulation throughput for `spacelab bench`: ManipEnv steps/s against the physics limit.

The physics limit is measured on the same model along the same motion: the env's
recorded control targets are replayed with one `mj_step(nstep=substeps)` call per tick
and nothing else, so the ratio is the share of time the env spends in physics.
"""

from __future__ import annotations

import time

import numpy as np

from robots.headless_mujoco import mujoco
from scenes.suites import load_table_scene
from sim.manip.env import ManipEnv


def manip_rates(suite: str = "table-clutter", steps: int = 3000, seed: int = 0) -> dict:
    env = ManipEnv(load_table_scene(suite, 0), max_steps=steps + 1)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1, 1, (steps, 4))
    w = env.world
    mocap, quats, ctrls = [], [], []
    t0 = time.perf_counter()
    for a in actions:
        env.step(a)
    env_rate = steps / (time.perf_counter() - t0)
    # record the targets the env produced, then replay them through bare mj_step calls
    env.reset(seed=seed)
    for a in actions:
        env.step(a)
        mocap.append(w.data.mocap_pos.copy())
        quats.append(w.data.mocap_quat.copy())
        ctrls.append(w.data.ctrl.copy())
    m, d = w.model, mujoco.MjData(w.model)
    mujoco.mj_forward(m, d)
    t0 = time.perf_counter()
    for p, q, c in zip(mocap, quats, ctrls):
        d.mocap_pos[:] = p
        d.mocap_quat[:] = q
        d.ctrl[:] = c
        mujoco.mj_step(m, d, nstep=w.substeps)
    raw = steps * w.substeps / (time.perf_counter() - t0)
    limit = raw / w.substeps
    return {"suite": suite, "substeps": w.substeps, "raw_mj_step_per_s": round(raw), "physics_limit_env_steps_per_s": round(limit),
            "env_steps_per_s": round(env_rate), "physics_limit_ratio": round(env_rate / limit, 3)}


def task_rates(backend: str, seeds: int = 3, task: str = "pick-and-place") -> dict:
    """A scripted task on one backend: success share, physics steps/s and seconds per episode."""
    from sim.manip.tasks import TASKS, run_task

    t0 = time.perf_counter()
    runs = [run_task(TASKS.load(task), s, backend=backend) for s in range(seeds)]
    wall = time.perf_counter() - t0
    return {"task": task, "episodes": seeds, "success_rate": round(sum(r["success"] for r in runs) / seeds, 3),
            "physics_steps_per_s": round(sum(r["physics_steps"] for r in runs) / wall),
            "seconds_per_episode": round(wall / seeds, 2)}
