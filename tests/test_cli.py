import json
import os
import subprocess
import sys

import pytest

from scenes.jsonio import read_jsonl
from spacelab.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "spacelab.cli", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          env={**os.environ, "PYTHONPATH": ROOT})


def test_scene_prints_spec_and_ground_truth(capsys):
    assert main(["scene", "--suite", "tos-3room", "--index", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scene"]["seed"] == 5 and len(out["scene"]["objects"]) == 12
    assert out["ground_truth"]["agent"] == {"facing": "north", "position": [0.0, 0.0]}


@pytest.mark.parametrize(
    "args,msg",
    [
        (["scene", "--suite", "tos-9room", "--index", "0"], "unknown suite 'tos-9room'"),
        (["scene", "--suite", "tos-3room", "--index", "100"], "index 100 is out of range"),
        (["scene", "--suite", "tos-3room"], "required: --index"),
        (["render-scene", "--scene-file", "/nonexistent.json"], "cannot read scene file"),
        (["frobnicate"], "unknown command"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, msg, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and msg in err and len(err.strip().splitlines()) == 1


def test_malformed_scene_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"seed": 1, "rooms": [')
    with pytest.raises(SystemExit) as e:
        main(["render-scene", "--scene-file", str(bad), "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "not valid JSON" in err and len(err.strip().splitlines()) == 1


def test_render_scene_with_episode(tmp_path):
    out = tmp_path / "top.png"
    r = cli("eval", "n_scenes=1", "workers=1", "agents=[scout]", "progress=false", f"hydra.run.dir={tmp_path}/run")
    assert r.returncode == 0, r.stderr
    assert main(["render-scene", "--suite", "tos-3room", "--index", "0", "--episodes", f"{tmp_path}/run/episodes.jsonl",
                 "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_eval_writes_results_and_resumes(tmp_path):
    run = tmp_path / "run"
    r = cli("eval", "suite=tos-2room", "n_scenes=3", "workers=2", "progress=false", f"hydra.run.dir={run}")
    assert r.returncode == 0, r.stderr
    assert "scout" in r.stdout and "strategist" in r.stdout and "6 episodes run (0 resumed)" in r.stdout
    recs = read_jsonl(str(run / "episodes.jsonl"))
    assert [(x["agent"], x["index"]) for x in recs] == [("scout", 0), ("scout", 1), ("scout", 2),
                                                      ("strategist", 0), ("strategist", 1), ("strategist", 2)]
    assert all(x["error"] is None and x["steps"] >= 1 and x["actions"] for x in recs)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["n_episodes"] == 6 and [r["episodes"] for r in summary["rows"]] == [3, 3]
    # a torn line from a killed run is ignored and its episode rerun; finished ones are skipped
    lines = (run / "episodes.jsonl").read_text().splitlines(keepends=True)
    (run / "episodes.jsonl").write_text("".join(lines[:4]) + lines[4][:40])
    r = cli("eval", "suite=tos-2room", "n_scenes=3", "workers=1", "progress=false", f"hydra.run.dir={run}")
    assert r.returncode == 0, r.stderr
    assert "2 episodes run (4 resumed)" in r.stdout
    again = read_jsonl(str(run / "episodes.jsonl"))
    assert [x["actions"] for x in again] == [x["actions"] for x in recs]


@pytest.mark.parametrize(
    "override,msg",
    [("suite=nope", "unknown suite 'nope'; choose one of: tos-2room, tos-3room, tos-4room"), ("n_scenes=abc", "n_scenes must be an integer"),
     ("agents=[ghost]", "unknown agent 'ghost'"), ("n_scenes=500", "outside suite"),
     ("protocols=[telepathy]", "unknown protocol 'telepathy'")],
)
def test_eval_bad_config_exit_2(tmp_path, override, msg):
    r = cli("eval", override, f"hydra.run.dir={tmp_path}")
    assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr


def test_eval_malformed_override_gets_hydras_error(tmp_path):
    r = cli("eval", "bogus=1", f"hydra.run.dir={tmp_path}")
    assert r.returncode == 2 and "Could not override 'bogus'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_bench_writes_every_number(tmp_path, capsys):
    from spacelab.bench.run import run_bench

    out = tmp_path / "bench.json"
    result = run_bench("tos-2room", episodes=4, out=str(out))
    keys = {"raw_mj_step_per_s", "text_turns_per_s", "physics_steps_per_turn", "physics_limit_ratio", "observe_per_s",
            "physics_limit_ratio_new_scenes", "physics_limit_ratio_replayed", "physics_limit_ratio_with_agent",
            "episodes_per_min_1_worker", "episodes_per_min_2_workers", "worker_scaling_2_vs_1"}
    assert keys <= set(result) and json.loads(out.read_text()) == result
    assert all(result[k] > 0 for k in keys) and result["replay_matches_episodes"] is True
    assert "raw mj_step/s (physics limit)" in capsys.readouterr().out


def test_score_command(tmp_path, capsys):
    gt = tmp_path / "gt.json"
    pred = tmp_path / "pred.json"
    assert main(["scene", "--suite", "tos-3room", "--index", "2"]) == 0
    gt.write_text(capsys.readouterr().out)  # the scene output carries its ground truth
    truth = json.loads(gt.read_text())["ground_truth"]
    pred.write_text(json.dumps(truth))
    assert main(["score", "--pred", str(pred), "--gt", str(gt)]) == 0
    assert json.loads(capsys.readouterr().out) == {"pos": 1.0, "dir": 1.0, "facing": 1.0, "overall": 1.0}
    pred.write_text("{}")
    assert main(["score", "--pred", str(pred), "--gt", str(gt)]) == 0
    assert json.loads(capsys.readouterr().out)["overall"] == 0.0


@pytest.mark.parametrize("pred,gt,msg", [("nothing here", '{"a": [1, 2]}', "no JSON object"),
                                         ("{}", "{broken", "not valid JSON"), ("{}", "[1, 2]", "no ground-truth entries")])
def test_score_bad_files(tmp_path, capsys, pred, gt, msg):
    (tmp_path / "p.json").write_text(pred)
    (tmp_path / "g.json").write_text(gt)
    with pytest.raises(SystemExit) as e:
        main(["score", "--pred", str(tmp_path / "p.json"), "--gt", str(tmp_path / "g.json")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and msg in err and len(err.strip().splitlines()) == 1


def test_eval_all_protocols(tmp_path):
    run = tmp_path / "run"
    r = cli("eval", "n_scenes=1", "workers=1", "protocols=all", "agents=[oracle]", "progress=false", f"hydra.run.dir={run}")
    assert r.returncode == 0, r.stderr
    rows = json.loads((run / "summary.json").read_text())["rows"]
    assert [x["protocol"] for x in rows] == ["active", "passive", "false-belief", "exploitation"]
    assert rows[0]["belief_overall"] == 1.0 and rows[3]["qa_accuracy"] == 1.0 and rows[2]["identification_f1"] is not None
    assert "ident. F1" in r.stdout and "QA acc." in r.stdout
