"""Run an agent x suite evaluation on local worker processes and summarise it.

Episodes are the unit of work: each is keyed by (suite, index, agent, seed), runs in a
worker process, and is appended to ``episodes.jsonl`` as soon as it finishes. A rerun in
the same directory skips the keys already finished without error. At the end the file
is rewritten in key order and ``summary.json`` is written (both atomically).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, fields

from tqdm import tqdm

from planners.agents import make_agent
from scenes.spec import SceneError
from scenes.suites import get_suite
from sim.backends import BACKENDS, BackendError
from sim.leaderboard import aggregate, format_table
from sim.protocols import PROTOCOLS
from sim.results import append_jsonl, jsonl_line, read_jsonl, write_json_atomic, write_text_atomic
from sim.runner import run_job

EPISODES = "episodes.jsonl"
SUMMARY = "summary.json"


@dataclass
class EvalConfig:
    suite: str = "tos-3room"
    agents: list[str] = field(default_factory=lambda: ["scout", "strategist"])
    protocols: list[str] = field(default_factory=lambda: ["active"])
    n_scenes: int = 10
    start: int = 0
    seed: int = 0
    workers: int = 2
    max_steps: int = 20
    fov_deg: float = 90.0
    max_range: float = 32.0
    backend: str = "mujoco"


_TYPES = {int: "an integer", float: "a number", str: "a string", list: "a list"}


def validate_config(cfg: EvalConfig) -> None:
    """Raise a one-line error naming the option to fix."""
    for f in fields(cfg):
        want = {"int": int, "float": float, "str": str}.get(f.type, list)
        v = getattr(cfg, f.name)
        ok = isinstance(v, want) or (want is float and isinstance(v, int))
        if not ok or (want is int and isinstance(v, bool)):
            raise ValueError(f"{f.name} must be {_TYPES[want]}, got {v!r}")
    suite = get_suite(cfg.suite)
    for a in cfg.agents:
        make_agent(a)  # raises a one-line UnknownAgentError
    for p in cfg.protocols:
        if p not in PROTOCOLS:
            raise ValueError(f"unknown protocol {p!r}; choose from: {', '.join(PROTOCOLS)} (or 'all')")
    if cfg.backend not in BACKENDS:
        raise BackendError(f"unknown backend {cfg.backend!r}; available: {', '.join(BACKENDS)}")
    if cfg.n_scenes < 1 or cfg.start < 0 or cfg.start + cfg.n_scenes > suite.size:
        raise SceneError(
            f"start={cfg.start} n_scenes={cfg.n_scenes} is outside suite {cfg.suite!r} (scenes 0..{suite.size - 1})"
        )
    if cfg.workers < 1:
        raise ValueError(f"workers must be >= 1, got {cfg.workers}")
    if cfg.max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {cfg.max_steps}")


def make_jobs(cfg: EvalConfig) -> list[dict]:
    return [
        {
            "suite": cfg.suite, "index": i, "agent": a, "protocol": p, "seed": cfg.seed * 100_000 + i,
            "max_steps": cfg.max_steps, "fov_deg": cfg.fov_deg, "max_range": cfg.max_range, "backend": cfg.backend,
        }
        for p in cfg.protocols
        for a in cfg.agents
        for i in range(cfg.start, cfg.start + cfg.n_scenes)
    ]


def job_key(r: dict) -> tuple:
    return (r["suite"], int(r["index"]), r["agent"], r.get("protocol", "active"), int(r["seed"]))


def run_eval(cfg: EvalConfig, out_dir: str, progress: bool = True) -> dict:
    """Run (or resume) an evaluation in `out_dir`; returns the summary."""
    validate_config(cfg)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, EPISODES)
    done = {job_key(r): r for r in read_jsonl(path) if r.get("error") is None and "suite" in r}
    jobs = [j for j in make_jobs(cfg) if job_key(j) not in done]
    t0 = time.perf_counter()
    new: list[dict] = []
    with open(path, "a", encoding="utf-8") as f, tqdm(
        total=len(jobs), desc=f"{cfg.suite}", unit="ep", disable=not progress or not jobs
    ) as bar:
        for rec in _run_jobs(jobs, cfg.workers):
            append_jsonl(f, rec)
            new.append(rec)
            bar.update(1)
    wall = time.perf_counter() - t0
    wanted = {job_key(j) for j in make_jobs(cfg)}
    records = sorted(
        [r for k, r in done.items() if k in wanted] + new,
        key=lambda r: (cfg.protocols.index(r["protocol"]), cfg.agents.index(r["agent"]), r["index"]),
    )
    write_text_atomic(path, "".join(jsonl_line(r) for r in records))
    summary = summarise(records, cfg)
    summary["run"] = {"episodes_run": len(new), "episodes_resumed": len(records) - len(new), "wall_time_s": round(wall, 3),
                      "workers": cfg.workers, "episodes_per_min": round(60 * len(new) / wall, 2) if new and wall > 0 else None}
    write_json_atomic(os.path.join(out_dir, SUMMARY), summary)
    return summary


def _run_jobs(jobs: list[dict], workers: int):
    if workers == 1 or len(jobs) <= 1:
        for j in jobs:
            yield run_job(j)
        return
    # spawn: workers start clean (no inherited MuJoCo/GL state or threads).
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(run_job, j) for j in jobs]
        for fut in as_completed(futures):
            yield fut.result()


def summarise(records: list[dict], cfg: EvalConfig) -> dict:
    rows = aggregate(records)
    return {
        "suite": cfg.suite,
        "scenes": [cfg.start, cfg.start + cfg.n_scenes - 1],
        "max_steps": cfg.max_steps,
        "backend": cfg.backend,
        "protocols": cfg.protocols,
        "rows": rows,
        "n_episodes": len(records),
        "n_errors": sum(r["errors"] for r in rows),
    }


def summary_table(summary: dict) -> str:
    title = (f"{summary['suite']} scenes {summary['scenes'][0]}-{summary['scenes'][1]}, "
             f"budget {summary['max_steps']} turns, backend {summary['backend']}")
    return format_table(summary["rows"], title)
