"""Runs that meet failures: what is kept, what is said, and the exit code."""

import json
import os
import shutil
import subprocess
import sys

import spacelab
from spacelab.evaluation.jobs import read_records

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_dead_worker_costs_only_its_own_episode(tmp_path):
    summary = spacelab.evaluate(str(tmp_path), suite="tos-2room", agents=["scout", "dies-in-worker"], n_scenes=2,
                                plugins=["tests.toy_agent"], launcher={"name": "local", "workers": 2})
    recs = {(r["agent"], r["index"]): r for r in map(json.loads, (tmp_path / "episodes.jsonl").read_text().splitlines())}
    assert sorted(recs) == [("dies-in-worker", 0), ("dies-in-worker", 1), ("scout", 0), ("scout", 1)]
    assert [recs["scout", i]["error"] for i in (0, 1)] == [None, None]
    assert all(recs["dies-in-worker", i]["error"].startswith("WorkerDied:") for i in (0, 1))
    assert summary["run"]["errors_this_run"] == 2 and summary["run"]["episodes_run"] == 4


def test_the_results_reader_keeps_one_record_per_key_and_names_bad_lines(tmp_path):
    good = {"suite": "tos-2room", "index": 0, "agent": "scout", "seed": 0, "protocol": "active", "config_hash": "h"}
    lines = [json.dumps({**good, "error": "boom"}), json.dumps({**good, "index": 1, "error": None}), "not json",
             json.dumps({**good, "error": None}), json.dumps({"suite": "tos-2room", "agent": "scout", "seed": 0}),
             json.dumps([1, 2]), json.dumps({**good, "index": "3"}), '{"torn": ']
    path = tmp_path / "episodes.jsonl"
    path.write_text("\n".join(lines))
    said = []
    recs = read_records(str(path), warn=said.append)
    assert [(r["index"], r["error"]) for r in recs] == [(1, None), (0, None)]  # the later line of key 0 wins
    assert said == ["episodes.jsonl:3: skipped: not JSON (Expecting value)",
                    "episodes.jsonl:5: skipped: no 'index'",
                    "episodes.jsonl:6: skipped: a JSON list, not an object",
                    "episodes.jsonl:7: skipped: 'index' is not an integer",
                    "episodes.jsonl:8: skipped: not JSON (Expecting value)"]


def test_a_duplicated_line_does_not_survive_a_resume(tmp_path):
    spacelab.evaluate(str(tmp_path), suite="tos-2room", agents=["scout"], n_scenes=3, launcher={"name": "local", "workers": 1})
    path = tmp_path / "episodes.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[1]]) + "\n")
    summary = spacelab.evaluate(str(tmp_path), suite="tos-2room", agents=["scout"], n_scenes=3,
                                launcher={"name": "local", "workers": 1})
    assert summary["run"]["episodes_run"] == 0 and summary["n_episodes"] == 3
    assert len(path.read_text().splitlines()) == 3


def cli(*args):
    env = {**os.environ, "PYTHONPATH": ROOT, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    return subprocess.run([sys.executable, "-m", "spacelab.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_run_where_every_episode_fails_exits_non_zero_with_the_reason(tmp_path):
    r = cli("eval", "agent=llm", "agent_options.llm.base_url=http://127.0.0.1:9/v1", "agent_options.llm.max_retries=0",
            "agent_options.llm.timeout_s=2", "suite=tos-2room", "n_scenes=2", "workers=1", "progress=false",
            f"hydra.run.dir={tmp_path}")
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 2 and last.startswith("spacelab: error: all 2 episodes failed, e.g. "), r.stderr
    assert len(read_records(str(tmp_path / "episodes.jsonl"))) == 2  # recorded all the same


def test_bad_presets_backends_and_run_dirs_are_one_line_before_anything_runs(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for args, message in [(["agent=scoot"], "unknown agent preset 'scoot'; choose one of: all, baselines, llm, mapper"),
                          (["-m", "agent=scout,scoot"], "unknown agent preset 'scoot'"),
                          *([(["backend=mujoco-warp"], "no CUDA GPU for backend 'mujoco-warp'")]
                            if shutil.which("nvidia-smi") is None else []),
                          (["agents=[replay@/no/such/file]"], "replay file '/no/such/file' does not exist"),
                          ([f"hydra.run.dir={blocker}/run"], "cannot write results to hydra.run.dir=")]:
        r = cli("eval", "n_scenes=1", "progress=false", *args, *([] if "hydra.run.dir" in str(args) else [f"hydra.run.dir={tmp_path}/x"]))
        lines = [x for x in r.stderr.splitlines() if x.startswith("spacelab")]
        assert r.returncode == 2 and len(lines) == 1 and message in lines[0], (args, r.stderr[-500:])


def test_bad_seeds_and_views_are_refused_before_any_episode(tmp_path):
    import re

    import pytest

    from perception.visibility import ViewConfig

    for kw, message in [({"seed": -1}, "seed must be >= 0, got -1"),
                        ({"fov_deg": float("nan")}, "fov_deg must be a number in (0, 180.0], got nan"),
                        ({"max_range": 0.0}, "max_range must be a number in (0, 1000.0] m, got 0.0")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            spacelab.evaluate(str(tmp_path), suite="tos-2room", agents=["scout"], n_scenes=1, **kw)
        assert not (tmp_path / "episodes.jsonl").exists()
    with pytest.raises(ValueError, match="min_range must be"):
        ViewConfig(min_range=40.0)
