"""Per-task result shards: how cluster workers hand records to the driver through a shared filesystem.

Each array task appends to its own file, ``shards/<launch>/task-<k>.jsonl``, one JSON line per
finished episode: ``{"record": <the episode record>, "where": {"host": ..., "job": ...}}``. A
task is the only writer of its shard, so no locking is needed; a line is written whole and
fsync'd, and a reader stops at the last complete line, so the driver can tail shards while
tasks run. The driver merges what it reads into ``episodes.jsonl`` (see `evaluate.run_eval`).

A requeued task (node failure) finds its shard and skips the episodes already in it.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "task-0.jsonl")
    >>> append_entry(path, {"suite": "s", "index": 0, "agent": "a", "seed": 0, "error": None}, {"host": "n1"})
    >>> entries, offset = read_entries(path)
    >>> [(e.record["index"], e.where["host"]) for e in entries], offset == os.path.getsize(path)
    ([(0, 'n1')], True)
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field

from spacelab.evaluation.jobs import EpisodeJob, key_problem, record_key
from spacelab.evaluation.runner import run_job

SHARDS = "shards"


@dataclass(frozen=True)
class ShardEntry:
    """One finished episode as a task wrote it: the record, and where it ran."""

    record: dict
    where: dict = field(default_factory=dict)


def shard_path(run_dir: str, launch: str, task: int) -> str:
    return os.path.join(run_dir, SHARDS, launch, f"task-{task}.jsonl")


def append_entry(path: str, record: dict, where: dict) -> None:
    """Append one entry as a single complete line, flushed to disk before returning."""
    line = json.dumps({"record": record, "where": where}, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def parse_entry(line: str) -> ShardEntry | None:
    """The entry on one line, or None when the line is not one (torn, foreign, unkeyable)."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("record"), dict) or key_problem(obj["record"]):
        return None
    where = obj.get("where")
    return ShardEntry(obj["record"], where if isinstance(where, dict) else {})


def read_entries(path: str, offset: int = 0) -> tuple[list[ShardEntry], int]:
    """Entries on the complete lines after byte `offset`, and the offset after the last of them;
    a partial last line (a task still writing) is left for the next read."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    entries = []
    for raw in data[:end].splitlines():
        entry = parse_entry(raw.decode("utf-8", errors="replace"))
        if entry is not None:
            entries.append(entry)
    return entries, offset + end


class ShardTail:
    """Reads every shard file of a launch incrementally: each call returns only new entries."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.offsets: dict[str, int] = {}

    def read(self) -> list[ShardEntry]:
        try:
            names = sorted(n for n in os.listdir(self.directory) if n.endswith(".jsonl"))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            path = os.path.join(self.directory, name)
            entries, self.offsets[path] = read_entries(path, self.offsets.get(path, 0))
            out += entries
        return out


def where_here() -> dict:
    """Where this process runs: host, pid and, under Slurm, the array task's id."""
    where = {"host": socket.gethostname(), "pid": os.getpid()}
    job, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    if job:
        where["job"] = f"{job}_{task}" if task else job
    elif os.environ.get("SLURM_JOB_ID"):
        where["job"] = os.environ["SLURM_JOB_ID"]
    return where


def run_task(jobs: list[EpisodeJob], path: str) -> int:
    """A cluster task: run `jobs`, appending each record to the shard at `path`; episodes already
    in the shard (a requeued task) are skipped. Returns how many episodes ran."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    done = {record_key(e.record) for e in read_entries(path)[0]}
    where = where_here()
    ran = 0
    for job in jobs:
        if job.key in done:
            continue
        append_entry(path, run_job(job).to_dict(), where)
        ran += 1
    return ran
