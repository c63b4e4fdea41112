"""launcher=slurm against a real Slurm controller: the one-node cluster of scripts/slurm-local.sh.

The session fixture brings the cluster up (installing Debian's slurmctld, slurmd and munge when
missing) and skips every test here, with the script's reason, when it cannot. Faults are real:
the array job is cancelled with scancel, slurmd is stopped mid-run; the rerun completes only
the missing episodes and every episode is in the results exactly once.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from scenes.jsonio import read_jsonl
from spacelab.bench.clusters import slurm_local
from spacelab.evaluation.evaluate import EvalConfig, run_eval
from spacelab.evaluation.rundir import read_placements

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLURM_DIR = os.environ.get("SPACELAB_SLURM_DIR", "/tmp/spacelab-slurm")
TIMING = ("wall_time_s",)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def slurm_cluster():
    was_up = slurm_local("status").returncode == 0
    r = slurm_local("up")
    if r.returncode != 0:
        pytest.skip(f"no local Slurm cluster: {(r.stderr or r.stdout).strip()}")
    saved = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = os.path.join(SLURM_DIR, "slurm.conf")  # in case /etc/slurm/slurm.conf is someone else's
    yield os.environ["SLURM_CONF"]
    if saved is None:
        os.environ.pop("SLURM_CONF")
    else:
        os.environ["SLURM_CONF"] = saved
    if not was_up:
        slurm_local("down")


def _env():
    return {**os.environ, "PYTHONPATH": ROOT, "MUJOCO_GL": "egl"}


def _eval_args(run, *overrides):
    return [sys.executable, "-m", "spacelab.cli", "eval", "suite=tos-2room", "agents=[scout]", "launcher=slurm",
            "progress=false", f"hydra.run.dir={run}", *overrides]


def _records(path):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in read_jsonl(str(path))]


def _wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _lines(path):
    return len(path.read_text().splitlines()) if path.exists() else 0


def _array_id(run):
    launches = json.loads((run / "launches.json").read_text())["launches"]
    return launches[-1]["cancel"][-1]


def _check_exactly_once(run, n):
    recs = read_jsonl(str(run / "episodes.jsonl"))
    assert sorted(r["index"] for r in recs) == list(range(n)) and all(r["error"] is None for r in recs)
    table = pq.read_table(run / "episodes.parquet").to_pylist()
    assert sorted(r["index"] for r in table) == list(range(n))
    assert not list((run / "shards").glob("*/*.jsonl")) and not (run / "launches.json").exists()


def test_slurm_gives_the_same_records_as_local(slurm_cluster, tmp_path):
    base = dict(agents=["scout"], n_scenes=6)
    s = run_eval(EvalConfig(**base, launcher={"name": "slurm", "workers": 2, "chunk": 2, "partition": "debug"}),
                 str(tmp_path / "slurm"), progress=False)
    assert s["n_errors"] == 0 and s["run"]["episodes_run"] == 6
    run_eval(EvalConfig(**base, launcher={"name": "local", "workers": 2}), str(tmp_path / "local"), progress=False)
    assert _records(tmp_path / "slurm" / "episodes.jsonl") == _records(tmp_path / "local" / "episodes.jsonl")
    placed = read_placements(str(tmp_path / "slurm"))
    assert len(placed) == 6 and len({p["job"] for p in placed}) == 3 and {p["launcher"] for p in placed} == {"slurm"}


def test_unknown_partition_is_one_line(slurm_cluster, tmp_path):
    r = subprocess.run(_eval_args(tmp_path, "n_scenes=1", "launcher.partition=nope"), cwd=ROOT, env=_env(),
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == "spacelab: error: unknown Slurm partition 'nope'; this cluster has: debug"


def test_scancel_mid_run_then_rerun_completes_only_the_missing(slurm_cluster, tmp_path):
    run, n = tmp_path / "run", 30  # 10 tasks of 3: the array outlives the first records by far
    p = subprocess.Popen(_eval_args(run, f"n_scenes={n}", "workers=2", "launcher.chunk=3"), cwd=ROOT, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _lines(run / "episodes.jsonl") >= 2, 120, "the first episodes")
    assert (run / "launches.json").exists(), "the run ended before the fault: give it more episodes"
    status = subprocess.run([sys.executable, "-m", "spacelab.cli", "status", str(run)], cwd=ROOT, env=_env(),
                            capture_output=True, text=True).stdout
    assert status.endswith(f"of {n} (running)\n"), status
    subprocess.run(["scancel", _array_id(run)], check=True)
    out, err = p.communicate(timeout=120)  # the driver notices on its own, and ends
    assert p.returncode == 0, err
    first = read_jsonl(str(run / "episodes.jsonl"))
    ok = [r for r in first if r["error"] is None]
    lost = [r for r in first if r["error"] is not None]
    assert len(first) == n and lost and all("TaskLost" in r["error"] and "CANCELLED" in r["error"] for r in lost)
    r = subprocess.run(_eval_args(run, f"n_scenes={n}"), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{len(lost)} episodes run ({len(ok)} resumed)" in r.stdout
    _check_exactly_once(run, n)
    again = {x["index"]: x for x in read_jsonl(str(run / "episodes.jsonl"))}
    assert all(again[x["index"]] == x for x in ok)  # finished episodes were kept, not rerun


def test_slurmd_stopped_mid_run_then_rerun_completes_only_the_missing(slurm_cluster, tmp_path):
    run, n = tmp_path / "run", 10
    p = subprocess.Popen(_eval_args(run, f"n_scenes={n}", "workers=1", "launcher.chunk=2"), cwd=ROOT, env=_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(lambda: _lines(run / "episodes.jsonl") >= 1, 120, "the first episode")
        with open(os.path.join(SLURM_DIR, "slurmd.pid")) as f:
            os.kill(int(f.read()), signal.SIGTERM)  # the node's daemon goes away; its running task may finish
        time.sleep(3)
        assert p.poll() is None  # the driver waits for the node to come back (or for Ctrl-C)
    finally:
        os.killpg(p.pid, signal.SIGKILL)  # the user gives up on this driver
        p.wait()
    assert slurm_local("up").returncode == 0  # slurmd back; the node returns to service
    merged = {x["index"]: x for x in read_jsonl(str(run / "episodes.jsonl")) if x["error"] is None}
    assert len(merged) < n
    r = subprocess.run(_eval_args(run, f"n_scenes={n}"), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads((run / "summary.json").read_text())["run"]
    # what the dead driver had merged, plus what its tasks left in their shards, counts as done
    assert summary["episodes_resumed"] >= len(merged) and summary["episodes_run"] + summary["episodes_resumed"] == n
    assert f"{summary['episodes_run']} episodes run ({summary['episodes_resumed']} resumed)" in r.stdout
    _check_exactly_once(run, n)
    again = {x["index"]: x for x in read_jsonl(str(run / "episodes.jsonl"))}
    assert all(again[i] == x for i, x in merged.items())
