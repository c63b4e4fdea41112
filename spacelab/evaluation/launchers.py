"""Where episodes run: local worker processes (default), Ray (launch_ray.py), or Slurm through
submitit (launch_slurm.py; docs/clusters.md).

Each launcher takes the list of episode jobs and yields finished records as they
complete, in any order; the caller appends them to the results as they arrive.

Example:
    >>> recs = list(run_jobs([EpisodeJob("tos-2room", 0, "scout")], {"name": "local", "workers": 1}))
    >>> recs[0].error is None
    True
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator

from scenes.registry import Registry
from spacelab.evaluation.jobs import EpisodeJob, EpisodeRecord
from spacelab.evaluation.runner import run_job

LAUNCHERS = Registry("launcher")


def register_launcher(name: str, entry_point, doc: str = "") -> None:
    """A launcher is a callable ``(jobs, config: dict, run_dir: str) -> iterator of EpisodeRecord``;
    what it does before returning the iterator (checks, connecting, submitting) happens before
    any progress is shown, so a bad cluster config is one line."""
    LAUNCHERS.register(name, entry_point, doc=doc)


def run_jobs(jobs: list[EpisodeJob], launcher: dict, run_dir: str | None = None) -> Iterator[EpisodeRecord]:
    """Records of `jobs` as they finish, in any order, on the launcher that `launcher["name"]` names."""
    return LAUNCHERS.load(launcher.get("name", "local"))(jobs, launcher, run_dir or ".")


def _warm() -> None:
    import spacelab.evaluation.runner  # noqa: F401  (import MuJoCo and friends once per worker, before the clock matters)


def run_local(jobs: list[EpisodeJob], cfg: dict, run_dir: str) -> Iterator[EpisodeRecord]:
    workers = int(cfg.get("workers", 1))
    if workers == 1 or len(jobs) <= 1:
        for j in jobs:
            yield run_job(j)
        return
    left = yield from _pool(jobs, workers)
    # A worker died (segfault, out of memory, os._exit) and took the pool with it: rerun what
    # had not finished, each episode in a pool of its own, so only the culprit is lost.
    for j in left:
        if (yield from _pool([j], 1)):
            yield EpisodeRecord.for_job(j, error="WorkerDied: the worker process running this episode died "
                                                 "(crash, out of memory, or killed); see the run's stderr")


def _pool(jobs: list[EpisodeJob], workers: int):
    """Run `jobs` in a fresh process pool, yielding records; returns the jobs a dead worker left."""
    # spawn: workers start clean (no inherited MuJoCo/GL state or threads).
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_warm) as pool:
        futures = {pool.submit(run_job, j): j for j in jobs}
        left = []
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except BrokenProcessPool:
                left.append(futures[fut])
        return left


def run_submitit(jobs: list[EpisodeJob], cfg: dict, run_dir: str) -> Iterator[EpisodeRecord]:
    """launcher=submitit: launcher=slurm's code path; cluster=local runs its tasks as local processes."""
    from spacelab.evaluation.launch_slurm import run_slurm

    return run_slurm(jobs, {**cfg, "name": "submitit"}, run_dir)


register_launcher("local", run_local, "worker processes on this machine (default; workers=N)")
register_launcher("ray", "spacelab.evaluation.launch_ray:run_ray",
                  "Ray tasks: a local instance, or a cluster with launcher.address=HOST:PORT (or auto)")
register_launcher("slurm", "spacelab.evaluation.launch_slurm:run_slurm",
                  "Slurm array jobs through submitit (launcher.partition=..., docs/clusters.md)")
register_launcher("submitit", run_submitit, "launcher=slurm's code path; launcher.cluster=local runs it without Slurm")
