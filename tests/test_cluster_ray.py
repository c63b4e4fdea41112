"""launcher=ray on a multi-node Ray cluster on this machine: a head and a second node, each
started with `ray start` (one CPU each) in its own process group (spacelab.bench.clusters.RayNodes).
Tasks spread over both nodes; a worker node killed mid-run loses only its episodes, which the
rerun completes."""

import collections
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from scenes.jsonio import read_jsonl
from spacelab.bench.clusters import RayNodes, descendants
from spacelab.evaluation.evaluate import EvalConfig, run_eval
from spacelab.evaluation.rundir import read_placements

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING = ("wall_time_s",)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nodes():
    with RayNodes() as cluster:
        cluster.add_node()
        cluster.add_node()
        yield cluster


def _records(d):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in read_jsonl(os.path.join(d, "episodes.jsonl"))]


def _eval_args(run, address, *overrides):
    return [sys.executable, "-m", "spacelab.cli", "eval", "suite=tos-2room", "agents=[scout]", "launcher=ray",
            f"launcher.address={address}", "progress=false", f"hydra.run.dir={run}", *overrides]


def test_tasks_spread_over_both_nodes_with_the_same_records_as_local(nodes, tmp_path):
    base = dict(suite="tos-2room", agents=["scout", "random"], n_scenes=4)
    s = run_eval(EvalConfig(**base, launcher={"name": "ray", "workers": 2, "address": nodes.address}), str(tmp_path / "ray"),
                 progress=False)
    assert s["n_errors"] == 0 and s["run"]["episodes_run"] == 8
    run_eval(EvalConfig(**base, launcher={"name": "local", "workers": 2}), str(tmp_path / "local"), progress=False)
    assert _records(tmp_path / "ray") == _records(tmp_path / "local")
    placed = read_placements(str(tmp_path / "ray"))
    assert len(placed) == 8 and len({p["node"] for p in placed}) == 2, collections.Counter(p["node"] for p in placed)


def _title(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def freeze_a_running_task(node_pid, driver, deadline):
    """SIGSTOP a worker of the node while it runs an episode (Ray titles it ray::run_placed)."""
    while time.time() < deadline and driver.poll() is None:
        for pid in descendants(node_pid):
            if _title(pid).startswith(b"ray::run_placed"):
                os.kill(pid, signal.SIGSTOP)
                if _title(pid).startswith(b"ray::run_placed"):
                    return
                os.kill(pid, signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("no task ran on the second node")


def test_worker_node_killed_mid_run_then_rerun_completes_only_the_missing(tmp_path):
    run, n = tmp_path / "run", 40
    env = {**os.environ, "PYTHONPATH": ROOT, "MUJOCO_GL": "egl"}
    with RayNodes() as cluster:  # a cluster of its own: this one loses a node
        cluster.add_node()
        cluster.add_node()
        p = subprocess.Popen(_eval_args(run, cluster.address, f"n_scenes={n}"), cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        freeze_a_running_task(cluster.procs[1].pid, p, deadline)  # so that the node dies mid-episode, for sure
        cluster.kill_node(1)  # raylet and workers of the second node die at once
        out, err = p.communicate(timeout=300)  # the driver carries on with the head node
        assert p.returncode == 0, err
        first = read_jsonl(str(run / "episodes.jsonl"))
        ok = [r for r in first if r["error"] is None]
        lost = [r for r in first if r["error"] is not None]
        assert len(first) == n and lost and all(r["error"].startswith("TaskLost: Ray task failed") for r in lost)
        r = subprocess.run(_eval_args(run, cluster.address, f"n_scenes={n}"), cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{len(lost)} episodes run ({len(ok)} resumed)" in r.stdout
    recs = read_jsonl(str(run / "episodes.jsonl"))
    assert sorted(x["index"] for x in recs) == list(range(n)) and all(x["error"] is None for x in recs)
    assert sorted(x["index"] for x in pq.read_table(run / "episodes.parquet").to_pylist()) == list(range(n))
    again = {x["index"]: x for x in recs}
    assert all(again[x["index"]] == x for x in ok)
