import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from scenes.jsonio import read_jsonl
from spacelab.evaluation.evaluate import EvalConfig, config_hash, run_eval

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING = ("wall_time_s",)


def _records(d):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in read_jsonl(os.path.join(d, "episodes.jsonl"))]


@pytest.mark.slow
def test_local_ray_and_submitit_give_identical_episodes(tmp_path):
    base = dict(suite="tos-2room", agents=["scout", "random"], protocols=["active", "false-belief"], n_scenes=2)
    out = {}
    for name, extra in [("local", {}), ("ray", {"address": None}), ("submitit", {"cluster": "local", "chunk": 3})]:
        d = tmp_path / name
        s = run_eval(EvalConfig(**base, launcher={"name": name, "workers": 2, **extra}), str(d), progress=False)
        assert s["n_errors"] == 0 and s["run"]["episodes_run"] == 8
        out[name] = _records(d)
    assert out["local"] == out["ray"] == out["submitit"]


def test_killed_run_resumes_only_missing_episodes(tmp_path):
    run = tmp_path / "run"
    args = [sys.executable, "-m", "spacelab.cli", "eval", "suite=tos-2room", "n_scenes=40", "agents=[scout]", "workers=1",
            "progress=false", f"hydra.run.dir={run}"]
    env = {**os.environ, "PYTHONPATH": ROOT}
    p = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    path = run / "episodes.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not path.exists() or len(path.read_text().splitlines()) < 5):
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    done_before = len(read_jsonl(str(path)))
    assert 5 <= done_before < 40
    r = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"{40 - done_before} episodes run ({done_before} resumed)" in r.stdout
    recs = read_jsonl(str(path))
    assert sorted(x["index"] for x in recs) == list(range(40))


def test_results_parquet_provenance_and_config_hash(tmp_path):
    cfg = EvalConfig(suite="tos-2room", agents=["scout"], n_scenes=2, launcher={"name": "local", "workers": 1})
    run_eval(cfg, str(tmp_path), progress=False)
    eps = pq.read_table(tmp_path / "episodes.parquet").to_pylist()
    assert [(e["agent"], e["index"], e["config_hash"]) for e in eps] == [("scout", 0, config_hash(cfg)), ("scout", 1, config_hash(cfg))]
    assert all(e["belief.final.overall"] == 1.0 for e in eps)
    probes = pq.read_table(tmp_path / "probes.parquet").to_pylist()
    assert len(probes) == sum(r["steps"] for r in read_jsonl(str(tmp_path / "episodes.jsonl")))
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["versions"]["mujoco"] and info["config"]["suite"] == "tos-2room" and "commit" in info["git"]
    # a different budget is a different experiment: new keys, old records kept
    cfg2 = EvalConfig(suite="tos-2room", agents=["scout"], n_scenes=2, max_steps=8, launcher={"name": "local", "workers": 1})
    assert config_hash(cfg2) != config_hash(cfg)
    s = run_eval(cfg2, str(tmp_path), progress=False)
    assert s["run"]["episodes_run"] == 2 and len(read_jsonl(str(tmp_path / "episodes.jsonl"))) == 4


def test_crashing_and_diverging_episodes_are_recorded(tmp_path, monkeypatch):
    from sim.backends import BackendError
    from sim.backends.mujoco_cpu import MujocoBackend

    real_step = MujocoBackend.step

    def flaky(self, ctrl, nsteps=1):
        if self.scene.spec.seed == 1:
            raise BackendError("simulation diverged (MuJoCo reported bad qpos/qvel/qacc)")
        return real_step(self, ctrl, nsteps)

    monkeypatch.setattr(MujocoBackend, "step", flaky)
    cfg = EvalConfig(suite="tos-2room", agents=["scout"], n_scenes=3, launcher={"name": "local", "workers": 1})
    s = run_eval(cfg, str(tmp_path), progress=False)
    recs = read_jsonl(str(tmp_path / "episodes.jsonl"))
    assert s["n_errors"] == 1 and [r["error"] is None for r in recs] == [True, False, True]
    assert "diverged" in recs[1]["error"] and "Traceback" in recs[1]["traceback"]
    # a rerun in the same directory retries the failed episode only, and its good record replaces the error
    monkeypatch.setattr(MujocoBackend, "step", real_step)
    s = run_eval(cfg, str(tmp_path), progress=False)
    assert (s["run"]["episodes_run"], s["run"]["episodes_resumed"], s["n_errors"]) == (1, 2, 0)
    again = read_jsonl(str(tmp_path / "episodes.jsonl"))
    assert [(r["index"], r["error"]) for r in again] == [(0, None), (1, None), (2, None)]
    assert again[0] == recs[0] and again[2] == recs[2]  # the finished episodes were kept, not rerun


def test_unknown_launcher_and_missing_ray_message(tmp_path):
    with pytest.raises(ValueError, match="unknown launcher 'mpi'"):
        run_eval(EvalConfig(launcher={"name": "mpi", "workers": 1}), str(tmp_path))
