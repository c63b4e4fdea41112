"""`spacelab bench`: throughput against the physics limit. Timing lives here, never in tests.

Measures, on one scene of the suite:
- raw mj_step/s of the compiled scene (the physics limit), the robot driving;
- text-mode exploration: turns/s for the scout, physics steps simulated per turn, and the
  physics-limit ratio (physics steps per CPU second of the env's own calls / raw mj_step per CPU
  second on the episode's scene, each scout episode paired with raw stepping around it:
  `spacelab.bench.backends.paired_ratio`; also with the scout's thinking counted), and the same
  against a replay of the episodes' own step calls (`replayed_ratio`);
- sensing: Observe() turns/s (ray-cast visibility + text) with no motion (one physics step at
  rest between turns, so that every view is computed anew rather than reused);
- episodes/min for the scout on the suite with 1 and 2 worker processes, and the ratio:
  cold (a whole `spacelab eval`, worker start-up included) and steady (warm workers);
- house: mobile-panda navigate_to + pick physics steps/s vs raw mj_step/s, and fetch episodes/min
  with 2 workers (`spacelab.bench.house`);
- the HTTP server under 16 keep-alive clients (`spacelab.bench.http`);
- with --clusters: episodes/min on 1 vs 2 Slurm tasks and 1 vs 2 Ray nodes (`spacelab.bench.clusters`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

from robots.headless_mujoco import mujoco
from scenes.jsonio import write_json_atomic
from scenes.suites import DEFAULT_SUITE, load_suite_scene
from sim.env import ExplorationEnv
from spacelab.bench.backends import backend_table, paired_ratio, raw_rate, replayed_ratio
from spacelab.bench.house import house_rates, house_rows, house_task_rates
from spacelab.bench.http import http_load
from spacelab.bench.manip import manip_rates
from spacelab.bench.perception import perception_table
from spacelab.bench.scoring import score_pairs_rate
from spacelab.evaluation.evaluate import EvalConfig, run_eval
from spacelab.evaluation.jobs import EpisodeJob
from spacelab.evaluation.runner import run_job


def observe_rate(suite: str, n: int = 2000) -> float:
    env = ExplorationEnv(load_suite_scene(suite, 0), max_steps=n + 1)
    env.reset()
    still = (0.0, 0.0, 0.0)
    t0 = time.perf_counter()
    for _ in range(n):
        env.backend.step(still, 1)  # the env reuses a view while the physics has not moved: make each one fresh
        env.step("Actions: [Observe()]")
    return n / (time.perf_counter() - t0)


def episodes_per_min(suite: str, episodes: int, workers: int) -> float:
    """Cold: a whole `spacelab eval` run (worker start-up, probing, result files) in a temp dir."""
    with tempfile.TemporaryDirectory() as d:
        cfg = EvalConfig(suite=suite, agents=["scout"], n_scenes=episodes, launcher={"name": "local", "workers": workers})
        t0 = time.perf_counter()
        run_eval(cfg, d, progress=False)
        return 60.0 * episodes / (time.perf_counter() - t0)


def steady_episodes_per_min(suite: str, episodes: int, workers: int) -> float:
    """Warm: worker processes already started and imported; only the episodes are timed."""
    jobs = [EpisodeJob(suite, i, "scout", seed=i) for i in range(episodes)]
    warm = [EpisodeJob(suite, 0, "scout")] * workers
    if workers == 1:
        run_job(warm[0])
        t0 = time.perf_counter()
        for j in jobs:
            run_job(j)
        return 60.0 * episodes / (time.perf_counter() - t0)
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(run_job, warm))
        t0 = time.perf_counter()
        list(pool.map(run_job, jobs, chunksize=4))
        return 60.0 * episodes / (time.perf_counter() - t0)


def run_bench(suite: str = DEFAULT_SUITE, episodes: int = 40, out: str = "bench.json", backends: bool = True,
              clusters: bool = False) -> dict:
    raw = raw_rate("mujoco", suite, seconds=2.0)
    explore = paired_ratio("mujoco", suite)  # median of 5 rounds of (raw, scout episode, raw), CPU time
    explore_new = paired_ratio("mujoco", suite, new_scenes=True)  # the same, each round on scenes not seen before
    replayed = replayed_ratio(suite, rounds=9)  # against the physics of the episodes themselves
    obs = observe_rate(suite)
    epm1 = episodes_per_min(suite, episodes, 1)
    epm2 = episodes_per_min(suite, episodes, 2)
    warm1 = steady_episodes_per_min(suite, episodes, 1)
    warm2 = steady_episodes_per_min(suite, episodes, 2)
    result = {
        "suite": suite,
        "device": f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "mujoco": mujoco.__version__,
        "raw_mj_step_per_s": round(raw),
        "text_turns_per_s": round(explore["turns_per_s"], 1),
        "physics_steps_per_turn": round(explore["physics_steps_per_turn"], 1),
        "physics_limit_ratio": explore["physics_limit_ratio"],
        "physics_limit_ratio_range": explore["physics_limit_ratio_range"],
        "physics_limit_ratio_with_agent": explore["physics_limit_ratio_with_agent"],
        "physics_limit_ratio_new_scenes": explore_new["physics_limit_ratio"],
        "physics_limit_ratio_replayed": replayed["physics_limit_ratio_replayed"],
        "physics_limit_ratio_replayed_range": replayed["physics_limit_ratio_replayed_range"],
        "replay_matches_episodes": replayed["replay_matches"],
        "observe_per_s": round(obs, 1),
        "episodes_per_min_1_worker": round(epm1, 1),
        "episodes_per_min_2_workers": round(epm2, 1),
        "worker_scaling_2_vs_1": round(epm2 / epm1, 2),
        "steady_episodes_per_min_1_worker": round(warm1, 1),
        "steady_episodes_per_min_2_workers": round(warm2, 1),
        "steady_worker_scaling_2_vs_1": round(warm2 / warm1, 2),
    }
    rows = [
        ("raw mj_step/s (physics limit)", result["raw_mj_step_per_s"]),
        ("text-mode turns/s (scout)", result["text_turns_per_s"]),
        ("physics steps per turn", result["physics_steps_per_turn"]),
        ("physics-limit ratio in env (CPU time, median of 5 paired rounds, range)",
         f"{result['physics_limit_ratio']} ({result['physics_limit_ratio_range'][0]}-{result['physics_limit_ratio_range'][1]})"),
        ("the same with the scout's thinking and the episode runner counted", result["physics_limit_ratio_with_agent"]),
        ("the same, each round on scenes not seen before", result["physics_limit_ratio_new_scenes"]),
        ("env / replay of its own episodes' step calls (CPU time, median of 9 rounds, range)",
         f"{result['physics_limit_ratio_replayed']} ({result['physics_limit_ratio_replayed_range'][0]}-"
         f"{result['physics_limit_ratio_replayed_range'][1]})"
         + ("" if result["replay_matches_episodes"] else " REPLAY DID NOT END IN THE EPISODES' STATE")),
        ("Observe() turns/s", result["observe_per_s"]),
        (f"episodes/min, scout {suite}, 1 worker (cold)", result["episodes_per_min_1_worker"]),
        (f"episodes/min, scout {suite}, 2 workers (cold)", result["episodes_per_min_2_workers"]),
        ("2-worker / 1-worker (cold, whole run)", result["worker_scaling_2_vs_1"]),
        ("steady episodes/min, 1 worker", result["steady_episodes_per_min_1_worker"]),
        ("steady episodes/min, 2 workers", result["steady_episodes_per_min_2_workers"]),
        ("2-worker / 1-worker (steady)", result["steady_worker_scaling_2_vs_1"]),
    ]
    per = perception_table(suite)
    result["perception"] = per
    cams = per["cameras"]
    rows += [("ray-cast camera frames/s, 64 / 128 px (RGB+depth+seg), moving, 1 thread", f"{cams['raycast_64']} / {cams['raycast_128']}"),
             ("ray-cast camera frames/s at 128 px: 2 threads / standing still (frame reused)",
              f"{cams['raycast_128_2_threads']} / {cams['raycast_128_static']}"),
             ("ray-cast camera frames/s at 128 px, a ray per pixel (the reference)", cams["raycast_128_per_pixel"]),
             ("ray-cast camera frames per CPU second at 128 px over 60 views (5 scenes x 12 headings)", cams["raycast_128_views"]),
             ("  the same views: 2 threads (frames per wall second) / rays by mj_multiRay",
              f"{cams['raycast_128_views_2_threads']} / {cams['raycast_128_views_mj_multiray']}"),
             (f"OpenGL camera ({per['gl_backend']}) frames/s, 64 / 128 px", f"{cams['gl_64']} / {cams['gl_128']}"),
             ("map update ms/frame: occupancy / open3d TSDF", f"{per['occupancy_ms_per_frame']} / {per['tsdf_ms_per_frame']}"),
             ("mapper episodes/min (1 process)", per["mapper_episodes_per_min"])]
    man = manip_rates()
    result["manipulation"] = man
    rows += [("manipulation env steps/s (floating gripper, table-clutter)", man["env_steps_per_s"]),
             ("  physics limit (raw mj_step/s / substeps) and ratio", f"{man['physics_limit_env_steps_per_s']} ({man['physics_limit_ratio']})")]
    result["house"] = house_rates()  # mobile-panda skills in a house vs raw mj_step (spacelab.bench.house)
    result["house"]["tasks"] = house_task_rates(n_scenes=max(2, episodes // 10))  # spacelab eval task=fetch, 2 workers
    rows += house_rows(result["house"])
    scoring = result["scoring"] = score_pairs_rate()
    rows += [(f"spacelab score --pairs, tos profile: pairs/s ({scoring['pairs']} pairs in s)",
              f"{scoring['pairs_per_s']} ({scoring['seconds']})")]
    web = result["http"] = http_load(suite=suite)
    rows += [(f"HTTP server, {web['clients']} keep-alive clients: /v1/health req/s (p50 / p99 ms)",
              f"{web['health_req_per_s']} ({web['health_p50_ms']} / {web['health_p99_ms']})"),
             (f"HTTP server, {web['clients']} clients: episodes/s ({web['turns_per_episode']} turns each)", web["episodes_per_s"])]
    if backends:
        result |= backend_table(suite)
        for name, b in result["backends"].items():
            rows += [(f"[{name}] raw physics steps/s", b["raw_physics_steps_per_s"]),
                     (f"[{name}] env turns/s (physics-limit ratio)", f"{b['env_turns_per_s']} ({b['physics_limit_ratio']})"),
                     (f"[{name}] camera frames/s at 128x128", b["render_fps_128"] if b["render_fps_128"] else "-")]
            if "manipulation" in b:
                t = b["manipulation"]
                rows.append((f"[{name}] {t['task']}: success, physics steps/s, s/episode",
                             f"{t['success_rate']:.0%}, {t['physics_steps_per_s']}, {t['seconds_per_episode']}"))
        mb = result["mujoco_batch"]
        rows += [(f"[mujoco.batch] worlds*steps/s, {mb['worlds']} worlds, 1 / 2 threads",
                  f"{mb['threads_1']} / {mb['threads_2']} ({mb['scaling_2_vs_1']}x)")]
        mw = result.get("mujoco_warp", {})
        if "error" in mw:
            rows.append(("[mujoco-warp]", mw["error"]))
        else:
            sizes = [k for k in mw if k.isdigit()]
            rows.append((f"[mujoco-warp on {mw.get('gpu', mw['device'])}] worlds*steps/s at {'/'.join(sizes)} worlds",
                         " / ".join(str(mw[k]) for k in sizes)))
            rows.append((f"[mujoco-warp] batched BVH render frames/s at 128x128, {mw['render_worlds']} worlds",
                         mw["render_fps_128"]))
    if clusters:  # Slurm tasks and Ray nodes on this machine (spacelab.bench.clusters)
        from spacelab.bench.clusters import cluster_rates, cluster_rows

        result["clusters"] = cluster_rates(suite, episodes)
        rows += cluster_rows(result["clusters"], suite)
    w = max(len(r[0]) for r in rows)
    print(f"spacelab bench — {result['device']}, MuJoCo {result['mujoco']}")
    for k, v in rows:
        print(f"{k.ljust(w)}  {v}")
    write_json_atomic(out, result)
    print(f"wrote {out}")
    return result


__all__ = ["run_bench"]
