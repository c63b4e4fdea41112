"""Where episodes run: local worker processes (default), Ray, or Slurm through submitit.

Each launcher takes the list of episode jobs and yields finished records as they
complete, in any order; the caller appends them to the results as they arrive.

Example:
    >>> recs = list(run_jobs([EpisodeJob("tos-2room", 0, "scout")], {"name": "local", "workers": 1}))
    >>> recs[0].error is None
    True
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator

from scenes.registry import Registry
from sim.backends import BackendError
from spacelab.evaluation.jobs import EpisodeJob, EpisodeRecord
from spacelab.evaluation.runner import run_job

LAUNCHERS = Registry("launcher")


def register_launcher(name: str, entry_point, doc: str = "") -> None:
    """A launcher is a callable ``(jobs, config: dict, run_dir: str) -> iterator of EpisodeRecord``."""
    LAUNCHERS.register(name, entry_point, doc=doc)


def run_jobs(jobs: list[EpisodeJob], launcher: dict, run_dir: str | None = None) -> Iterator[EpisodeRecord]:
    """Records of `jobs` as they finish, in any order, on the launcher that `launcher["name"]` names."""
    yield from LAUNCHERS.load(launcher.get("name", "local"))(jobs, launcher, run_dir or ".")


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


def run_ray(jobs: list[EpisodeJob], cfg: dict, run_dir: str) -> Iterator[EpisodeRecord]:
    workers, address = int(cfg.get("workers", 1)), cfg.get("address")
    try:
        import ray
    except ImportError:
        raise BackendError("launcher=ray needs Ray: pip install 'spacelab[ray]' (or use launcher=local)") from None
    started = False
    if not ray.is_initialized():
        kwargs = {"address": address} if address else {"num_cpus": workers}
        ray.init(include_dashboard=False, log_to_driver=False, **kwargs)
        started = True
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_job)
        pending = [remote.remote(j) for j in jobs]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


def run_submitit(jobs: list[EpisodeJob], cfg: dict, run_dir: str) -> Iterator[EpisodeRecord]:
    try:
        import submitit
    except ImportError:
        raise BackendError("launcher=submitit needs submitit: pip install 'spacelab[slurm]' (or use launcher=local)") from None
    chunk = max(1, int(cfg.get("chunk", 25)))
    cluster = cfg.get("cluster") or None
    if cluster == "slurm" and shutil.which("sbatch") is None:
        raise BackendError("launcher=submitit with cluster=slurm needs Slurm's sbatch on this machine's PATH "
                           "(run from a Slurm login node, or use launcher.cluster=local to test, or launcher=local)")
    executor = submitit.AutoExecutor(folder=os.path.join(run_dir, "submitit"), cluster=cluster)
    params = {"timeout_min": int(cfg.get("timeout_min", 60)), "cpus_per_task": 1}
    if executor.cluster == "slurm":
        params |= {k: v for k, v in {"slurm_partition": cfg.get("partition"), "slurm_array_parallelism": cfg.get("workers")}.items() if v}
    executor.update_parameters(**params)
    batches = [jobs[i:i + chunk] for i in range(0, len(jobs), chunk)]
    handles = executor.map_array(run_batch, batches)
    pending = list(zip(handles, batches))
    while pending:
        still = []
        for handle, batch in pending:
            if not handle.done():
                still.append((handle, batch))
                continue
            try:
                yield from handle.result()
            except Exception as e:  # the whole batch died (node lost, time limit): record each episode
                for j in batch:
                    yield EpisodeRecord.for_job(j, error=f"batch failed: {type(e).__name__}: {e}")
        pending = still
        if pending:
            time.sleep(0.5)


def run_batch(jobs: list[EpisodeJob]) -> list[EpisodeRecord]:
    return [run_job(j) for j in jobs]


register_launcher("local", run_local, "worker processes on this machine (default; workers=N)")
register_launcher("ray", run_ray, "Ray tasks: a local instance, or a cluster with launcher.address=auto")
register_launcher("submitit", run_submitit, "Slurm array jobs through submitit (launcher.partition=...)")
