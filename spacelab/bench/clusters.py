"""Clusters on this machine, for `spacelab bench --clusters` and the cluster tests.

`RayNodes` starts a Ray head and worker nodes with `ray start --block`, each in its own process
group, so that one node can be killed (a node lost mid-run) and all of them stopped without
touching any other Ray on the machine (no `ray stop`). `slurm_local` drives
scripts/slurm-local.sh. `cluster_rates` measures episodes/min of the scout with 1 vs 2 Slurm
tasks and 1 vs 2 Ray nodes, next to the local launcher with 1 vs 2 workers (cold: whole runs).
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spacelab.evaluation.evaluate import EvalConfig, run_eval

ROOT = Path(__file__).resolve().parents[2]
SLURM_LOCAL = ROOT / "scripts" / "slurm-local.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_env() -> dict:
    """The nodes' environment: token auth exactly when the driver will use it (see launch_ray)."""
    from spacelab.evaluation.launch_ray import use_token_if_present

    use_token_if_present()
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (read from /proc), children first."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent[int(entry)] = int(f.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        top = todo.pop()
        kids = [p for p, pp in parent.items() if pp == top]
        out += kids
        todo += kids
    return out


class RayNodes:
    """A Ray cluster of one-CPU nodes on this machine; node i has the resource ``spacelab_node_<i>``."""

    def __init__(self, cpus: int = 1, log_dir: str | None = None) -> None:
        self.port = free_port()
        self.cpus = cpus
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="spacelab-ray-")
        self.procs: list[subprocess.Popen] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_node(self, timeout: float = 90) -> int:
        """Start the head (first call) or one more worker node; returns its index once it has joined."""
        i = len(self.procs)
        ray = str(Path(sys.executable).with_name("ray"))
        where = ["--head", f"--port={self.port}", "--include-dashboard=false"] if i == 0 else [f"--address={self.address}"]
        log = os.path.join(self.log_dir, f"node-{i}.log")
        cmd = [ray, "start", *where, f"--num-cpus={self.cpus}", "--object-store-memory=200000000", "--disable-usage-stats",
               f"--resources={json.dumps({f'spacelab_node_{i}': 1})}", "--block"]
        with open(log, "w") as out:
            self.procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=ray_env(), start_new_session=True))
        deadline = time.time() + timeout
        while "Ray runtime started" not in Path(log).read_text(errors="replace"):
            if self.procs[i].poll() is not None or time.time() > deadline:
                tail = Path(log).read_text(errors="replace").strip().splitlines()[-3:]
                self.stop()
                raise RuntimeError(f"ray start (node {i}) failed: {' | '.join(tail)}")
            time.sleep(0.2)
        return i

    def kill_node(self, i: int) -> None:
        """SIGKILL node i's processes at once, as on a lost machine: `ray start`, its raylet and the
        raylet's workers (which Ray puts in process groups of their own)."""
        for pid in descendants(self.procs[i].pid) + [self.procs[i].pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs[i].wait()

    def stop(self) -> None:
        for i in reversed(range(len(self.procs))):
            self.kill_node(i)

    def __enter__(self) -> "RayNodes":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def slurm_local(action: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """scripts/slurm-local.sh up|down|status (rc 2 and a one-line reason when it cannot)."""
    return subprocess.run(["bash", str(SLURM_LOCAL), action], capture_output=True, text=True, timeout=timeout)


def slurm_available() -> str | None:
    """None when a Slurm controller answers here, else why not (one line)."""
    from sim.backends import BackendError
    from spacelab.evaluation.launch_slurm import partitions

    try:
        partitions()
        return None
    except BackendError as e:
        return str(e)


def _rate(suite: str, episodes: int, launcher: dict) -> float:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        s = run_eval(EvalConfig(suite=suite, agents=["scout"], n_scenes=episodes, launcher=launcher), d, progress=False)
        if s["n_errors"]:
            raise RuntimeError(f"{s['n_errors']} episodes failed on {launcher['name']}: {s['run']['error_examples']}")
        return round(60.0 * episodes / (time.perf_counter() - t0), 1)


def cluster_rates(suite: str, episodes: int) -> dict:
    """Episodes/min (whole runs, start-up included) per launcher and size; a cluster that cannot
    be used here is reported as skipped with the reason."""
    out: dict = {"episodes": episodes, "local": {n: _rate(suite, episodes, {"name": "local", "workers": n}) for n in (1, 2)}}
    reason = slurm_available()
    if reason is None:
        out["slurm"] = {n: _rate(suite, episodes, {"name": "slurm", "workers": n, "chunk": math.ceil(episodes / n)})
                        for n in (1, 2)}
    else:
        out["slurm"] = {"skipped": reason}
    try:
        with RayNodes() as nodes:
            nodes.add_node()
            one = _rate(suite, episodes, {"name": "ray", "workers": 1, "address": nodes.address})
            nodes.add_node()
            out["ray"] = {1: one, 2: _rate(suite, episodes, {"name": "ray", "workers": 2, "address": nodes.address})}
    except (RuntimeError, OSError) as e:
        out["ray"] = {"skipped": str(e)}
    return out


def cluster_rows(rates: dict, suite: str) -> list[tuple[str, object]]:
    rows = []
    for name, unit in (("local", "workers"), ("slurm", "tasks"), ("ray", "nodes")):
        r = rates[name]
        if "skipped" in r:
            rows.append((f"[{name}] episodes/min, 1 / 2 {unit}", f"skipped: {r['skipped']}"))
        else:
            rows.append((f"[{name}] episodes/min, scout {suite} x{rates['episodes']}, 1 / 2 {unit}",
                         f"{r[1]} / {r[2]} ({r[2] / r[1]:.2f}x)"))
    return rows
