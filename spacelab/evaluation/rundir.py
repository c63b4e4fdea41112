"""The run directory's bookkeeping besides the results: the driver's lock, the plan, placements.

    run.lock         held (flock) by the one driver that owns the directory; names it (host, pid, since)
    plan.json        the episode keys this run wants, written before any runs (`spacelab status` reads it)
    placement.jsonl  where each finished episode ran (host, Ray node, Slurm task), one line per episode
    launches.json    Slurm launches of this directory: job ids and shard folders (see launchers_slurm)

A second driver on the same directory fails at once with `RunDirBusy` (one line, exit 2). The
lock is an advisory flock: released by the kernel when the holder dies, so a killed driver never
leaves a stale lock; on NFS, Linux maps flock to POSIX locks, which the server arbitrates.

Example:
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with RunLock(d):
    ...     RunLock(d).acquire()
    Traceback (most recent call last):
    ...
    spacelab.evaluation.rundir.RunDirBusy: ...is in use by another spacelab eval (pid ...); wait for it to finish, or use another hydra.run.dir
"""

from __future__ import annotations

import fcntl
import os
import socket
import time

from scenes.jsonio import append_jsonl, iter_jsonl, write_json_atomic

LOCK = "run.lock"
PLAN = "plan.json"
PLACEMENT = "placement.jsonl"
KEY_FIELDS = ("suite", "index", "agent", "protocol", "config_hash", "seed")


class RunDirBusy(ValueError):
    """Another driver holds the run directory."""


class RunLock:
    """Exclusive ownership of a run directory for one driver process."""

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.path = os.path.join(run_dir, LOCK)
        self.fd: int | None = None

    def acquire(self) -> "RunLock":
        os.makedirs(self.run_dir, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", errors="replace").strip() or "unknown"
            os.close(fd)
            raise RunDirBusy(f"{self.run_dir} is in use by another spacelab eval ({holder}); "
                             "wait for it to finish, or use another hydra.run.dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def is_locked(run_dir: str) -> bool:
    """Whether a driver holds `run_dir` now (a run in progress)."""
    path = os.path.join(run_dir, LOCK)
    if not os.path.exists(path):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def write_plan(run_dir: str, keys: list[tuple]) -> None:
    write_json_atomic(os.path.join(run_dir, PLAN), {"episodes": [dict(zip(KEY_FIELDS, k)) for k in keys]})


def record_placement(f, record: dict, launcher: str, where: dict) -> None:
    """One placement line for a finished episode: its key, the launcher, and `where` it ran."""
    append_jsonl(f, {**{k: record.get(k) for k in KEY_FIELDS}, "launcher": launcher, **where})


def read_placements(run_dir: str) -> list[dict]:
    return [r for _, r in iter_jsonl(os.path.join(run_dir, PLACEMENT))]
