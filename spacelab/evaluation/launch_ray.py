"""launcher=ray: one Ray task per episode, on a local instance or on a cluster (`launcher.address`).

With an address, tasks are spread over the cluster's nodes (scheduling strategy SPREAD), and
each finished episode's node is written to placement.jsonl. Records come back through Ray's
object store, so worker nodes need no shared filesystem. A task lost with its node (or its
worker process) becomes an error record for that episode; the next run retries it.

Before any episode runs the address is checked: a malformed one, nothing listening, or a
cluster that refuses the connection is one line (exit 2 from the CLI).

Example:
    >>> parse_address("127.0.0.1:6379"), parse_address("ray://head:10001"), parse_address("auto")
    (('127.0.0.1', 6379), ('head', 10001), None)
    >>> parse_address("head")
    Traceback (most recent call last):
    ...
    sim.backends.base.BackendError: launcher.address must be auto, HOST:PORT or ray://HOST:PORT, got 'head'
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Iterator

from sim.backends import BackendError
from spacelab.evaluation.jobs import EpisodeJob, EpisodeRecord
from spacelab.evaluation.rundir import PLACEMENT, record_placement
from spacelab.evaluation.runner import run_job


def parse_address(address: str) -> tuple[str, int] | None:
    """(host, port) to check before connecting, or None for `auto` (Ray finds the local head)."""
    if address in ("auto", "local"):
        return None
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BackendError(f"launcher.address must be auto, HOST:PORT or ray://HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = 3.0) -> None:
    target = parse_address(address)
    if target is None:
        return
    try:
        socket.create_connection(target, timeout=timeout).close()
    except OSError as e:
        raise BackendError(f"cannot reach Ray at {address}: {e.strerror or e} (is `ray start --head` running there?)") from None


def use_token_if_present() -> None:
    """Clusters started with a token (~/.ray/auth_token, Ray's default when one exists) need the
    driver to send it; do what `ray start` does: token mode when a token is at hand and no mode is set."""
    if "RAY_AUTH_MODE" in os.environ:
        return
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or str(Path.home() / ".ray" / "auth_token")
    if os.environ.get("RAY_AUTH_TOKEN") or os.path.isfile(path):
        os.environ["RAY_AUTH_MODE"] = "token"
        if "ray" in sys.modules:  # Ray read its config at import: have it read the mode again, as Ray itself does
            try:
                from ray._raylet import Config

                Config.initialize("")
            except (ImportError, AttributeError):
                pass


def root_cause(e: BaseException) -> str:
    """The innermost error's last line (Ray wraps an auth failure, traceback and all, in two errors)."""
    while e.__cause__ is not None:
        e = e.__cause__
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return (lines[-1] if lines else type(e).__name__)[:300]


def where_ray() -> dict:
    import ray

    return {"host": socket.gethostname(), "node": ray.get_runtime_context().get_node_id()}


def run_placed(job: EpisodeJob) -> tuple[EpisodeRecord, dict]:
    """One episode in a Ray worker, and the node it ran on."""
    return run_job(job), where_ray()


def run_ray(jobs: list[EpisodeJob], cfg: dict, run_dir: str) -> Iterator[EpisodeRecord]:
    """Connects now (a bad address fails before any episode runs); returns records as tasks finish."""
    workers, address = int(cfg.get("workers", 1)), cfg.get("address")
    retries = int(cfg.get("max_retries", 0))
    if address:
        check_reachable(address)
        use_token_if_present()  # before Ray is imported, when it is not yet
    try:
        import ray
    except ImportError:
        raise BackendError("launcher=ray needs Ray: pip install 'spacelab[ray]' (or use launcher=local)") from None
    if not jobs:
        return iter(())
    started = False
    if not ray.is_initialized():
        # address="local": a new instance even when `ray start` left a cluster address on this machine
        kwargs = {"address": address} if address else {"address": "local", "num_cpus": workers, "include_dashboard": False}
        try:
            ray.init(log_to_driver=False, **kwargs)
        except Exception as e:  # ConnectionError, AuthenticationError, RuntimeError: Ray's words, one line
            raise BackendError(f"cannot connect to Ray at {address or 'a new local instance'}: {root_cause(e)}") from None
        started = True
    spread = {"scheduling_strategy": "SPREAD"} if address else {}
    remote = ray.remote(num_cpus=1, max_retries=retries, **spread)(run_placed)
    return _results(ray, remote, jobs, run_dir, started)


def _results(ray, remote, jobs: list[EpisodeJob], run_dir: str, started: bool) -> Iterator[EpisodeRecord]:
    try:
        pending = {remote.remote(j): j for j in jobs}
        with open(os.path.join(run_dir, PLACEMENT), "a", encoding="utf-8") as placement:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(done[0])
                try:
                    record, where = ray.get(done[0])
                except ray.exceptions.RayError as e:  # the worker or its node died: this episode is lost
                    text = " ".join(str(e).split())[:300]
                    yield EpisodeRecord.for_job(job, error=f"TaskLost: Ray task failed ({type(e).__name__}): {text}")
                    continue
                record_placement(placement, record.to_dict(), "ray", where)
                yield record
    finally:
        if started:
            ray.shutdown()
