"""`spacelab status RUN_OR_SWEEP_DIR`: done, failed and remaining episodes, while a run goes on too.

A run directory's plan.json lists the episodes it wants (written before any runs); its records
are episodes.jsonl plus whatever cluster tasks have written to shards/ that the driver has not
merged yet. A sweep directory holds one run directory per job, and sweep.json (written when the
sweep starts) names the jobs and their episode counts, so jobs that have not started count as
remaining.

Example:
    >>> parse_plan({"episodes": [{"suite": "s", "index": 0, "agent": "a", "protocol": "active", "config_hash": "h", "seed": 0}]})
    [('s', 0, 'a', 'active', 'h', 0)]
    >>> parse_plan({"episodes": [{"suite": "s"}]})
    Traceback (most recent call last):
    ...
    ValueError: plan episode 0: no 'index'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from spacelab.evaluation.jobs import key_problem, read_records, record_key
from spacelab.evaluation.rundir import PLAN, is_locked
from spacelab.evaluation.shards import SHARDS, ShardTail

SWEEP = "sweep.json"


@dataclass
class RunStatus:
    path: str
    planned: int
    done: int = 0
    failed: int = 0
    running: bool = False
    started: bool = True

    @property
    def remaining(self) -> int:
        return self.planned - self.done - self.failed

    @property
    def state(self) -> str:
        if not self.started:
            return "not started"
        if self.running:
            return "running"
        return "complete" if self.remaining == 0 and self.failed == 0 else "stopped"


def parse_plan(obj) -> list[tuple]:
    """The episode keys of a plan.json object; ValueError (one line) for anything else."""
    episodes = obj.get("episodes") if isinstance(obj, dict) else None
    if not isinstance(episodes, list):
        raise ValueError('plan: expected {"episodes": [...]}')
    keys = []
    for i, e in enumerate(episodes):
        problem = key_problem(e) if isinstance(e, dict) else "not a mapping"
        if problem:
            raise ValueError(f"plan episode {i}: {problem}")
        keys.append(record_key(e))
    return keys


def read_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    except ValueError as e:
        raise ValueError(f"{path}: not JSON ({e})") from None


def run_status(run_dir: str) -> RunStatus:
    try:
        keys = set(parse_plan(read_json(os.path.join(run_dir, PLAN))))
    except ValueError as e:
        raise ValueError(f"{run_dir}: {e}") from None
    latest = {record_key(r): r for r in read_records(os.path.join(run_dir, "episodes.jsonl"))}
    shards = os.path.join(run_dir, SHARDS)
    for launch in sorted(os.listdir(shards)) if os.path.isdir(shards) else []:
        latest |= {record_key(e.record): e.record for e in ShardTail(os.path.join(shards, launch)).read()}
    ours = [latest[k] for k in keys if k in latest]
    done = sum(r.get("error") is None for r in ours)
    return RunStatus(run_dir, len(keys), done, len(ours) - done, is_locked(run_dir))


def sweep_jobs(sweep_dir: str) -> list[tuple[str, int]]:
    """(subdir, planned episodes) of every job sweep.json names; [] when there is no sweep.json."""
    path = os.path.join(sweep_dir, SWEEP)
    if not os.path.exists(path):
        return []
    data = read_json(path)
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, list) or not all(isinstance(j, dict) and isinstance(j.get("subdir"), str)
                                             and isinstance(j.get("episodes"), int) for j in jobs):
        raise ValueError(f'{path}: expected {{"jobs": [{{"subdir": "0", "episodes": N}}, ...]}}')
    return [(j["subdir"], j["episodes"]) for j in jobs]


def statuses(path: str) -> list[RunStatus]:
    """One status per run: `path` itself when it is a run directory, else each job of the sweep."""
    if not os.path.isdir(path):
        raise ValueError(f"{path}: no such directory")
    if os.path.exists(os.path.join(path, PLAN)):
        return [run_status(path)]
    planned = dict(sweep_jobs(path))
    subdirs = sorted((d for d in os.listdir(path) if os.path.exists(os.path.join(path, d, PLAN))),
                     key=lambda d: (not d.isdigit(), int(d) if d.isdigit() else 0, d))
    out = [run_status(os.path.join(path, d)) for d in subdirs]
    out += [RunStatus(os.path.join(path, d), n, started=False) for d, n in planned.items() if d not in subdirs]
    if not out:
        raise ValueError(f"{path}: not a run or sweep directory of spacelab eval (no plan.json, no sweep.json)")
    return out


def format_status(rows: list[RunStatus]) -> str:
    lines = [f"{r.path}: {r.done} done, {r.failed} failed, {r.remaining} remaining of {r.planned} ({r.state})" for r in rows]
    if len(rows) > 1:
        t = RunStatus("total", sum(r.planned for r in rows), sum(r.done for r in rows), sum(r.failed for r in rows))
        running = sum(r.running for r in rows)
        lines.append(f"total: {t.done} done, {t.failed} failed, {t.remaining} remaining of {t.planned} "
                     f"({len(rows)} runs, {running} running)")
    return "\n".join(lines)
