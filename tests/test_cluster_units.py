"""Cluster plumbing without a cluster: shard files, the plan, status, the run-directory lock,
sweeps with one progress bar, and one-line errors for bad cluster configs."""

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes.jsonio import read_jsonl
from sim.backends import BackendError
from spacelab.evaluation.launch_ray import parse_address
from spacelab.evaluation.launch_slurm import SlurmConfig
from spacelab.evaluation.rundir import KEY_FIELDS, RunLock, is_locked, write_plan
from spacelab.evaluation.shards import append_entry, parse_entry, read_entries, shard_path
from spacelab.evaluation.status import RunStatus, format_status, parse_plan, statuses
from tests.cli_run import run_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "PYTHONPATH": ROOT, "MUJOCO_GL": "egl"}

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
records = st.fixed_dictionaries(
    {"suite": names, "index": st.integers(0, 10**6), "agent": names, "seed": st.integers(0, 10**9),
     "protocol": names, "config_hash": names, "error": st.none() | names},
    optional={"coverage": st.floats(allow_nan=False), "steps": st.integers(0, 100)})
wheres = st.dictionaries(st.sampled_from(["host", "node", "job", "pid"]), names | st.integers(0, 10**6), max_size=4)


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(st.tuples(records, wheres), max_size=8), junk=st.binary(max_size=40), cut=st.integers(0, 60))
def test_shard_reader_returns_every_complete_entry_in_order(tmp_path_factory, entries, junk, cut):
    path = str(tmp_path_factory.mktemp("shard") / "task-0.jsonl")
    for rec, where in entries:
        append_entry(path, rec, where)
    with open(path, "ab") as f:  # a foreign or torn tail: garbage lines, then a partial line
        f.write(junk.replace(b"\n", b" ") + b"\n" + json.dumps({"record": entries[0][0] if entries else {}}).encode()[:cut])
    got, offset = read_entries(path)
    assert [(e.record, e.where) for e in got] == [(r, w) for r, w in entries]
    more, again = read_entries(path, offset)  # a tail read from the returned offset finds nothing new
    assert more == [] and again == offset


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), st.builds(json.dumps, st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["record", "where", "suite", "index"]), c, max_size=3)))))
def test_shard_line_parser_never_raises(line):
    entry = parse_entry(line)
    assert entry is None or isinstance(entry.record, dict) and isinstance(entry.where, dict)


keys = st.tuples(names, st.integers(0, 10**6), names, names, names, st.integers(0, 10**9))


@settings(max_examples=60, deadline=None)
@given(st.lists(keys, max_size=10))
def test_plan_round_trips(tmp_path_factory, planned):
    d = str(tmp_path_factory.mktemp("plan"))
    write_plan(d, planned)
    with open(os.path.join(d, "plan.json"), encoding="utf-8") as f:
        assert parse_plan(json.load(f)) == planned


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.integers() | st.text(max_size=4) | st.floats(),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["episodes", *KEY_FIELDS]), c, max_size=4)))
def test_plan_parser_gives_keys_or_one_line_error(obj):
    try:
        out = parse_plan(obj)
    except ValueError as e:
        assert "\n" not in str(e)
    else:
        assert all(len(k) == 6 for k in out)


def _job_record(index, error=None):
    return {"suite": "tos-2room", "index": index, "agent": "scout", "seed": index, "protocol": "active",
            "config_hash": "h", "error": error}


def test_status_counts_merged_and_unmerged_records(tmp_path, capsys):
    run = tmp_path / "run"
    write_plan(str(run), [("tos-2room", i, "scout", "active", "h", i) for i in range(5)])
    with open(run / "episodes.jsonl", "w") as f:
        f.write(json.dumps(_job_record(0)) + "\n" + json.dumps(_job_record(1, "boom")) + "\n")
        f.write(json.dumps({**_job_record(9), "config_hash": "other"}) + "\n")  # an older experiment: not counted
    shard = shard_path(str(run), "launch-1", 0)
    os.makedirs(os.path.dirname(shard))
    append_entry(shard, _job_record(1), {"host": "n1"})  # a retry that the driver has not merged yet
    append_entry(shard, _job_record(2, "lost"), {"host": "n1"})
    [s] = statuses(str(run))
    assert (s.done, s.failed, s.remaining, s.planned, s.state) == (2, 1, 2, 5, "stopped")
    with RunLock(str(run)):
        assert is_locked(str(run)) and statuses(str(run))[0].state == "running"
        code, out, err = run_cli(capsys, "status", str(run))
    assert code == 0 and out.strip() == f"{run}: 2 done, 1 failed, 2 remaining of 5 (running)"


def test_status_of_a_sweep_counts_jobs_not_started(tmp_path, capsys):
    write_plan(str(tmp_path / "0"), [("s", 0, "a", "active", "h", 0)])
    (tmp_path / "sweep.json").write_text(json.dumps({"jobs": [{"subdir": "0", "episodes": 1}, {"subdir": "1", "episodes": 4}]}))
    code, out, _ = run_cli(capsys, "status", str(tmp_path))
    assert code == 0 and out.splitlines()[-1] == "total: 0 done, 0 failed, 5 remaining of 5 (2 runs, 0 running)"
    assert "(not started)" in out
    assert format_status([RunStatus("r", 2, 2)]) == "r: 2 done, 0 failed, 0 remaining of 2 (complete)"


@pytest.mark.parametrize("content, msg", [(None, "not a run or sweep directory"), ("{", "not JSON"),
                                          ('{"episodes": [{"suite": "s"}]}', "plan episode 0: no 'index'")])
def test_status_of_bad_directories_is_one_line(tmp_path, capsys, content, msg):
    if content is not None:
        (tmp_path / "plan.json").write_text(content)
    code, out, err = run_cli(capsys, "status", str(tmp_path))
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "status", str(tmp_path / "nope"))
    assert code == 2 and "no such directory" in err


def test_second_driver_on_the_same_run_dir_refuses(tmp_path):
    run = tmp_path / "run"
    with RunLock(str(run)):
        r = subprocess.run([sys.executable, "-m", "spacelab.cli", "eval", "suite=tos-2room", "n_scenes=1", "agents=[scout]",
                            "progress=false", f"hydra.run.dir={run}"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"{run} is in use by another spacelab eval (pid {os.getpid()}" in r.stderr
    assert not (run / "episodes.jsonl").exists()


@pytest.mark.parametrize("address, msg", [
    ("nohost", "launcher.address must be auto, HOST:PORT or ray://HOST:PORT, got 'nohost'"),
    ("127.0.0.1:1", "cannot reach Ray at 127.0.0.1:1"),
])
def test_bad_ray_address_is_one_line(tmp_path, capsys, address, msg):
    code, out, err = run_cli(capsys, "eval", "suite=tos-2room", "n_scenes=1", "agents=[scout]", "launcher=ray",
                             f"launcher.address={address}", f"hydra.run.dir={tmp_path}")
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err
    assert parse_address("ray://[::1]:10001") == ("::1", 10001)


@pytest.mark.parametrize("cfg, msg", [({"chunk": 0}, "launcher.chunk must be an integer >= 1"),
                                      ({"mem_gb": -1}, "launcher.mem_gb must be a number > 0"),
                                      ({"additional": "--qos=x"}, "launcher.additional must be a mapping"),
                                      ({"cluster": "k8s"}, "launcher.cluster must be slurm or local"),
                                      ({"partiton": "gpu"}, "unknown launcher field(s) partiton")])
def test_slurm_config_errors_name_the_field(cfg, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        SlurmConfig.from_dict({"name": "slurm", **cfg})


def test_slurm_without_a_controller_is_one_line(tmp_path, capsys, monkeypatch):
    conf = tmp_path / "slurm.conf"  # a cluster whose controller is not there
    conf.write_text("ClusterName=none\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=1\nAuthType=auth/none\n"
                    "NodeName=n CPUs=1\nPartitionName=p Nodes=n\n")
    monkeypatch.setenv("SLURM_CONF", str(conf))
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    if not any(os.access(os.path.join(p, "sbatch"), os.X_OK) for p in os.environ["PATH"].split(":")):
        (tmp_path / "sbatch").write_text("#!/bin/sh\nexit 1\n")  # no Slurm here: fake sbatch, and no sinfo
        (tmp_path / "sbatch").chmod(0o755)
    code, out, err = run_cli(capsys, "eval", "suite=tos-2room", "n_scenes=1", "agents=[scout]", "launcher=slurm",
                             f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "cannot reach the Slurm controller" in err or "needs Slurm's sinfo" in err
    with pytest.raises(BackendError):
        from spacelab.evaluation.launch_slurm import check_slurm
        check_slurm({"name": "slurm"})


@pytest.mark.slow
def test_sweep_has_one_progress_bar_and_a_status(tmp_path):
    sweep = tmp_path / "sweep"
    r = subprocess.run([sys.executable, "-m", "spacelab.cli", "eval", "-m", "suite=tos-2room", "n_scenes=1,2",
                        "agents=[scout]", "workers=1", f"hydra.sweep.dir={sweep}"], cwd=ROOT, env=ENV,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    bars = {line.split(":")[0] for line in r.stderr.replace("\r", "\n").splitlines() if "ep/s" in line or "ep]" in line}
    assert bars == {"sweep of 2 runs"}, r.stderr[-2000:]
    assert "3/3" in r.stderr
    assert json.loads((sweep / "sweep.json").read_text()) == {"jobs": [{"subdir": "0", "episodes": 1},
                                                                       {"subdir": "1", "episodes": 2}]}
    out = subprocess.run([sys.executable, "-m", "spacelab.cli", "status", str(sweep)], cwd=ROOT, env=ENV,
                         capture_output=True, text=True).stdout
    assert out.splitlines()[-1] == "total: 3 done, 0 failed, 0 remaining of 3 (2 runs, 0 running)"
    assert len(read_jsonl(str(sweep / "1" / "episodes.jsonl"))) == 2
