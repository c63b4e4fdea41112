"""Where episodes run: local worker processes (default), Ray, or Slurm through submitit.

Each launcher takes the list of episode jobs and yields finished records as they
complete, in any order; the caller appends them to the results as they arrive.

Example:
    >>> recs = list(run_jobs([{"suite": "tos-2room", "index": 0, "agent": "scout", "seed": 0}], {"name": "local", "workers": 1}))
    >>> recs[0]["error"] is None
    True
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from sim.backends import BackendError
from sim.runner import run_job

LAUNCHERS = ("local", "ray", "submitit")


def run_jobs(jobs: list[dict], launcher: dict, run_dir: str | None = None):
    name = launcher.get("name", "local")
    workers = int(launcher.get("workers", 1))
    if name == "local":
        yield from _local(jobs, workers)
    elif name == "ray":
        yield from _ray(jobs, workers, launcher.get("address"))
    elif name == "submitit":
        yield from _submitit(jobs, launcher, run_dir or ".")
    else:
        raise ValueError(f"unknown launcher {name!r}; choose one of: {', '.join(LAUNCHERS)}")


def _warm() -> None:
    import sim.runner  # noqa: F401  (import MuJoCo and friends once per worker, before the clock matters)


def _local(jobs, workers):
    if workers == 1 or len(jobs) <= 1:
        for j in jobs:
            yield run_job(j)
        return
    # spawn: workers start clean (no inherited MuJoCo/GL state or threads).
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_warm) as pool:
        futures = [pool.submit(run_job, j) for j in jobs]
        for fut in as_completed(futures):
            yield fut.result()


def _ray(jobs, workers, address):
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


def _submitit(jobs, cfg, run_dir):
    try:
        import submitit
    except ImportError:
        raise BackendError("launcher=submitit needs submitit: pip install 'spacelab[slurm]' (or use launcher=local)") from None
    chunk = max(1, int(cfg.get("chunk", 25)))
    executor = submitit.AutoExecutor(folder=os.path.join(run_dir, "submitit"), cluster=cfg.get("cluster") or None)
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
                    yield {**{k: j[k] for k in ("suite", "index", "agent", "seed")}, "protocol": j.get("protocol", "active"),
                           "config_hash": j.get("config_hash"), "error": f"batch failed: {type(e).__name__}: {e}"}
        pending = still
        if pending:
            time.sleep(0.5)


def run_batch(jobs: list[dict]) -> list[dict]:
    return [run_job(j) for j in jobs]
