"""Run an agent x suite evaluation on local worker processes and summarise it.

Episodes are the unit of work: each is keyed by (suite, index, agent, seed), runs in a
worker process, and is appended to ``episodes.jsonl`` as soon as it finishes. A rerun in
the same directory skips the keys already finished without error. At the end the file
is rewritten in key order and ``summary.json`` is written (both atomically).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import time
from dataclasses import dataclass, field, fields

from tqdm import tqdm

from perception.house_data import TASK_KINDS
from perception.visibility import ViewConfig
from planners.agents import AGENTS, Agent, agent_class, make_agent
from scenes.house import HOUSE_SUITES
from scenes.jsonio import (
    append_jsonl,
    jsonl_line,
    write_json_atomic,
    write_text_atomic,
)
from scenes.spec import SceneError
from scenes.suites import DEFAULT_SUITE, get_suite, profile_of
from sim.backends import BACKENDS, make_backend
from sim.env import IMAGE_MIME, OBS_MODES, TEXT_PROFILES
from spacelab.evaluation.jobs import EXECUTORS, HOUSE_PROTOCOLS, EpisodeJob, read_records, record_key
from spacelab.evaluation.launch_slurm import forget_launches, recover_launches
from spacelab.evaluation.launchers import LAUNCHERS, run_jobs
from spacelab.evaluation.leaderboard import TASK_COLUMNS, aggregate, format_table
from spacelab.evaluation.protocols import PROTOCOLS
from spacelab.evaluation.provenance import run_info
from spacelab.evaluation.rundir import RunLock, write_plan
from spacelab.evaluation.tables import write_parquet

EPISODES = "episodes.jsonl"
SUMMARY = "summary.json"
RUN_INFO = "run.json"


@dataclass
class EvalConfig:
    """One evaluation: agents x protocols x scenes start..start+n_scenes-1 of a suite.

    These are the defaults of `spacelab eval` too (its Hydra config takes them from here).
    """

    suite: str = DEFAULT_SUITE
    agents: list[str] = field(default_factory=lambda: ["scout", "strategist"])
    protocols: list[str] = field(default_factory=lambda: ["active"])
    n_scenes: int = 10  # scenes start .. start+n_scenes-1 of the suite
    start: int = 0
    seed: int = 0  # episode seed = seed * 100000 + scene index
    launcher: dict = field(default_factory=lambda: {"name": "local", "workers": 2})
    agent_options: dict = field(default_factory=dict)  # per agent base name, e.g. {"llm": {"model": ...}}
    obs_mode: str = EpisodeJob.obs_mode  # "text", "vision" (camera view as an image) or "rgbd" (frames for perception agents)
    image_format: str = EpisodeJob.image_format  # vision mode: "png" or "jpeg"
    proxy: str = EpisodeJob.proxy  # the agent whose actions the passive protocol replays
    max_steps: int = EpisodeJob.max_steps  # turn budget per episode
    fov_deg: float = EpisodeJob.fov_deg
    max_range: float = EpisodeJob.max_range
    backend: str = EpisodeJob.backend
    plugins: list[str] = field(default_factory=list)
    profile: str = ""  # "tos" or "spacelab" (docs/tos-profiles.md); "" = the suite's own: tos on the tos-* suites  # modules with your register_agent/... lines, imported by every worker
    task: str = EpisodeJob.task  # house suites: fetch, stow, find or rearrange, played by planner agents (docs/house-planner.md)
    executor: str = EpisodeJob.executor  # house tasks: "physics" (MuJoCo) or "symbolic" (the rule-based twin, fast)


_TYPES = {int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a mapping"}


def validate_config(cfg: EvalConfig) -> None:
    """Raise a one-line error naming the option to fix."""
    for f in fields(cfg):
        want = {"int": int, "float": float, "str": str, "dict": dict}.get(f.type, list)
        v = getattr(cfg, f.name)
        ok = isinstance(v, want) or (want is float and isinstance(v, int))
        if not ok or (want is int and isinstance(v, bool)):
            raise ValueError(f"{f.name} must be {_TYPES[want]}, got {v!r}")
    suite = get_suite(cfg.suite)
    if not all(isinstance(m, str) for m in cfg.plugins):
        raise ValueError(f"plugins must be a list of module names, got {cfg.plugins!r}")
    for module in cfg.plugins:  # imported here too, so that validation knows what they register
        try:
            importlib.import_module(module)
        except Exception as e:
            raise ValueError(f"plugins: cannot import {module!r} ({type(e).__name__}: {e})") from None
    for a in cfg.agents:
        agent_class(a)  # a one-line error for an unknown name or a bad parameter; endpoints and files are checked at start
    if cfg.obs_mode not in OBS_MODES:
        raise ValueError(f"sensors mode must be one of {', '.join(OBS_MODES)}, got {cfg.obs_mode!r}")
    if cfg.profile not in ("", *TEXT_PROFILES):
        raise ValueError(f"profile must be one of {', '.join(TEXT_PROFILES)} (or empty: the suite's own), got {cfg.profile!r}")
    if cfg.image_format not in IMAGE_MIME:
        raise ValueError(f"sensors.image_format must be one of {', '.join(IMAGE_MIME)}, got {cfg.image_format!r}")
    for p in cfg.protocols:
        if p not in PROTOCOLS:
            raise ValueError(f"unknown protocol {p!r}; choose from: {', '.join(PROTOCOLS)} (or 'all')")
    BACKENDS.get(cfg.backend)  # raises BackendError naming the choices
    if cfg.seed < 0:
        raise ValueError(f"seed must be >= 0, got {cfg.seed}")
    ViewConfig(fov_deg=cfg.fov_deg, max_range=cfg.max_range)  # one line naming a bad field of view or range
    if cfg.n_scenes < 1 or cfg.start < 0 or cfg.start + cfg.n_scenes > suite.size:
        raise SceneError(
            f"start={cfg.start} n_scenes={cfg.n_scenes} is outside suite {cfg.suite!r} (scenes 0..{suite.size - 1})"
        )
    LAUNCHERS.get(cfg.launcher.get("name"))  # one line naming the choices
    workers = cfg.launcher.get("workers", 1)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if cfg.max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {cfg.max_steps}")
    validate_task(cfg)


def validate_task(cfg: EvalConfig) -> None:
    """House tasks go with house suites and planner agents (not exploration `Agent`s), exploration with the rest."""
    planners = [a for a in cfg.agents if not issubclass(agent_class(a), Agent)]
    if not cfg.task:
        if planners:
            raise ValueError(f"agent {planners[0]!r} plays house tasks: add task=<{'|'.join(TASK_KINDS)}> and a house suite")
        return
    if cfg.task not in TASK_KINDS:
        raise ValueError(f"task must be one of {', '.join(TASK_KINDS)} (or empty: exploration), got {cfg.task!r}")
    if cfg.suite not in HOUSE_SUITES:
        raise ValueError(f"task={cfg.task} needs a house suite ({', '.join(HOUSE_SUITES)}), got {cfg.suite!r}")
    others = [a for a in cfg.agents if a not in planners]
    if others:
        raise ValueError(f"agent {others[0]!r} explores and cannot play task={cfg.task}; "
                         f"house agents: {', '.join(n for n in AGENTS if not issubclass(AGENTS.load(n), Agent))}")
    bad = [p for p in cfg.protocols if p not in HOUSE_PROTOCOLS]
    if bad:
        raise ValueError(f"protocol {bad[0]!r} does not apply to house tasks; choose from: {', '.join(HOUSE_PROTOCOLS)}")
    if cfg.executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {cfg.executor!r}")


def preflight(cfg: EvalConfig) -> None:
    """Fail before any episode runs when the backend cannot start here (no GPU, a missing
    package) or an agent cannot be built (a missing replay file, bad options): one line each."""
    make_backend(cfg.backend).close()
    for a in cfg.agents:
        make_agent(a, (cfg.agent_options or {}).get(a.partition("@")[0]))


def make_jobs(cfg: EvalConfig) -> list[EpisodeJob]:
    h = config_hash(cfg)
    profile = profile_of(cfg.suite, cfg.profile)
    return [
        EpisodeJob(
            suite=cfg.suite, index=i, agent=a, protocol=p, seed=cfg.seed * 100_000 + i, config_hash=h,
            max_steps=cfg.max_steps, fov_deg=float(cfg.fov_deg), max_range=float(cfg.max_range), backend=cfg.backend,
            obs_mode=cfg.obs_mode, image_format=cfg.image_format, proxy=cfg.proxy, agent_options=cfg.agent_options,
            plugins=tuple(cfg.plugins), profile=profile, task=cfg.task, executor=cfg.executor,
        )
        for p in cfg.protocols
        for a in cfg.agents
        for i in range(cfg.start, cfg.start + cfg.n_scenes)
    ]


def config_hash(cfg: EvalConfig) -> str:
    """Hash of the settings that change an episode's outcome (not where or how fast it runs)."""
    relevant = {"max_steps": cfg.max_steps, "fov_deg": float(cfg.fov_deg), "max_range": float(cfg.max_range),
                "backend": cfg.backend, "obs_mode": cfg.obs_mode, "agent_options": cfg.agent_options}
    if cfg.image_format != "png":  # only when set, so earlier runs keep their hashes
        relevant["image_format"] = cfg.image_format
    if "passive" in cfg.protocols and cfg.proxy != "scout":
        relevant["proxy"] = cfg.proxy
    profile = profile_of(cfg.suite, cfg.profile)
    if profile != "spacelab":  # only when not spacelab's, so earlier runs keep their hashes
        relevant["profile"] = profile
    if cfg.task:  # likewise: exploration runs keep their hashes
        relevant["task"], relevant["executor"] = cfg.task, cfg.executor
    return hashlib.sha1(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:10]


def run_eval(cfg: EvalConfig, out_dir: str, progress: bool = True, meta: dict | None = None, bar=None) -> dict:
    """Run (or resume) an evaluation in `out_dir`; returns the summary. `bar`: a progress bar
    shared by several runs (a sweep), advanced here by this run's episodes, resumed ones included.
    Only one driver at a time may own `out_dir` (rundir.RunLock; a second one gets RunDirBusy)."""
    validate_config(cfg)
    preflight(cfg)
    with RunLock(out_dir):
        return _run_locked(cfg, out_dir, progress, meta, bar)


def _run_locked(cfg: EvalConfig, out_dir: str, progress: bool, meta: dict | None, bar) -> dict:
    path = os.path.join(out_dir, EPISODES)
    started = time.time()
    warn = lambda message: print(f"spacelab: warning: {message}", file=sys.stderr)  # noqa: E731
    existing = read_records(path, warn=warn)
    finished = {record_key(r) for r in existing if r.get("error") is None}
    # shards that a dead driver's cluster tasks left behind: their episodes count as run
    leftover = [r for r in recover_launches(out_dir) if record_key(r) not in finished]
    if leftover:
        with open(path, "a", encoding="utf-8") as f:
            for r in leftover:
                append_jsonl(f, r)
        existing = read_records(path, warn=warn)
        finished = {record_key(r) for r in existing if r.get("error") is None}
    wanted = make_jobs(cfg)
    write_plan(out_dir, [j.key for j in wanted])
    jobs = [j for j in wanted if j.key not in finished]
    t0 = time.perf_counter()
    new: list[dict] = []
    records = run_jobs(jobs, cfg.launcher, out_dir) if jobs else iter(())  # cluster checks fail here, before the bar
    own = bar is None
    if own:
        bar = tqdm(total=len(jobs), desc=f"{cfg.suite} [{cfg.launcher['name']}]", unit="ep", disable=not progress or not jobs)
    else:
        bar.update(len(wanted) - len(jobs))
    try:
        with open(path, "a", encoding="utf-8") as f:
            for episode in records:
                rec = episode.to_dict()
                append_jsonl(f, rec)
                new.append(rec)
                bar.update(1)
                bar.set_postfix(errors=sum(r.get("error") is not None for r in new))
    finally:
        if own:
            bar.close()
    wall = time.perf_counter() - t0
    # keep every record of earlier runs in this directory; a rerun key replaces its old error record
    rerun = {record_key(r) for r in new}
    kept = [r for r in existing if record_key(r) not in rerun] + new
    kept.sort(key=lambda r: (r.get("config_hash", ""), r.get("protocol", "active"), r["agent"], r["suite"], r["index"], r["seed"]))
    write_text_atomic(path, "".join(jsonl_line(r) for r in kept))
    forget_launches(out_dir)  # their shards are merged into episodes.jsonl now
    order = {j.key: i for i, j in enumerate(wanted)}
    records = sorted((r for r in kept if record_key(r) in order), key=lambda r: order[record_key(r)])
    write_parquet(out_dir, kept)
    summary = summarise(records, cfg)
    summary["run"] = {"episodes_run": len(new), "episodes_resumed": len(records) - len(new), "wall_time_s": round(wall, 3),
                      "launcher": cfg.launcher["name"], "workers": cfg.launcher.get("workers"),
                      "episodes_per_min": round(60 * len(new) / wall, 2) if new and wall > 0 else None,
                      "errors_this_run": sum(r.get("error") is not None for r in new),
                      "error_examples": sorted({str(r["error"]).splitlines()[0][:300] for r in new if r.get("error")})[:3]}
    write_json_atomic(os.path.join(out_dir, SUMMARY), summary)
    write_json_atomic(os.path.join(out_dir, RUN_INFO), run_info(cfg, meta, started))
    return summary


def summarise(records: list[dict], cfg: EvalConfig) -> dict:
    rows = aggregate(records)
    return {
        "suite": cfg.suite,
        "scenes": [cfg.start, cfg.start + cfg.n_scenes - 1],
        "max_steps": cfg.max_steps,
        "backend": cfg.backend,
        "profile": profile_of(cfg.suite, cfg.profile),
        "protocols": cfg.protocols,
        **({"task": cfg.task, "executor": cfg.executor} if cfg.task else {}),
        "rows": rows,
        "n_episodes": len(records),
        "n_errors": sum(r["errors"] for r in rows),
    }


def summary_table(summary: dict) -> str:
    if summary.get("task"):
        title = (f"{summary['suite']} scenes {summary['scenes'][0]}-{summary['scenes'][1]}, task {summary['task']}, "
                 f"executor {summary.get('executor')}")
        return format_table(summary["rows"], title, TASK_COLUMNS)
    title = (f"{summary['suite']} scenes {summary['scenes'][0]}-{summary['scenes'][1]}, "
             f"budget {summary['max_steps']} turns, backend {summary['backend']}, profile {summary.get('profile', 'spacelab')}")
    return format_table(summary["rows"], title)
