"""House tasks through `spacelab eval`: config checks, summary rows, resume, the false-belief
variant, the report's pictures, and the measurements' hand-computed rules."""

from __future__ import annotations

import json

import pytest
from cli_run import run_cli

from perception.house_belief import containment_accuracy, truth_places
from spacelab.evaluation.evaluate import EvalConfig, run_eval, summary_table, validate_config
from spacelab.evaluation.house_episode import belief_map_score
from spacelab.evaluation.leaderboard import wilson_ci95


def test_wilson_interval_by_hand():
    # p = 0.9, n = 50: centre (0.9 + 3.8416/100) / 1.076832 = 0.87146, half 0.08507
    assert wilson_ci95(45, 50) == [0.7864, 0.9565]
    assert wilson_ci95(0, 10) == [0.0, 0.2775]  # never below 0
    assert wilson_ci95(10, 10) == [0.7225, 1.0]  # never above 1
    assert wilson_ci95(0, 0) is None


def test_containment_accuracy_by_hand():
    truth = {("on", "mug_0", "table_0"), ("in", "block_0", "dresser_0_drawer1"), ("holding", "duck_0"), ("open", "x")}
    assert truth_places(truth) == {"mug_0": ("on", "table_0"), "block_0": ("in", "dresser_0_drawer1"),
                                   "duck_0": ("holding", None)}
    snap = {"mug_0": {"relation": "on", "place": "table_0", "confidence": 0.9},
            "block_0": {"relation": "in", "place": "dresser_0_drawer2", "confidence": 0.5},  # wrong drawer
            "duck_0": {"relation": "holding", "place": None, "confidence": 1.0}}
    assert containment_accuracy(snap, truth) == 2 / 3
    snap["block_0"] = {"relation": "unknown", "place": None, "confidence": 0.0}  # unknown counts as wrong
    assert containment_accuracy(snap, truth) == 2 / 3
    assert containment_accuracy({}, truth) == 0.0


def test_belief_map_uses_piece_centres():
    from scenes.house import load_house

    house = load_house("house-3room", 0)
    items = [i.name for i in house.items]
    truth = {(i.relation, i.name, i.support) for i in house.items}
    right = {i.name: {"relation": i.relation, "place": i.support, "confidence": 1.0} for i in house.items}
    assert belief_map_score(house, right, truth, items) == {"pos": 1.0, "dir": 1.0}
    assert belief_map_score(house, {}, truth, items)["pos"] == 0.0


@pytest.mark.parametrize("overrides,message", [
    ({"task": "fetch"}, "needs a house suite"),
    ({"suite": "house-3room", "task": "cook"}, "task must be one of fetch, stow, find, rearrange"),
    ({"suite": "house-3room", "task": "fetch", "agents": ["scout"]}, "agent 'scout' explores and cannot play task=fetch"),
    ({"suite": "house-3room", "agents": ["belief-planner"]}, "plays house tasks: add task="),
    ({"suite": "house-3room", "task": "fetch", "agents": ["oracle-planner"], "executor": "gpu"}, "executor must be one of"),
    ({"suite": "house-3room", "task": "fetch", "agents": ["oracle-planner"], "protocols": ["passive"]},
     "protocol 'passive' does not apply to house tasks"),
])
def test_bad_house_configs_are_one_line(overrides, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        validate_config(EvalConfig(**overrides))
    assert "\n" not in str(e.value)


def test_fetch_eval_rows_resume_and_report(tmp_path):
    cfg = EvalConfig(suite="house-3room", task="fetch", agents=["oracle-planner", "belief-planner"], n_scenes=3,
                     executor="symbolic", launcher={"name": "local", "workers": 1})
    s = run_eval(cfg, str(tmp_path), progress=False)
    rows = {r["agent"]: r for r in s["rows"]}
    assert set(rows) == {"oracle-planner", "belief-planner"}
    for r in rows.values():
        assert r["task"] == "fetch" and r["episodes"] == 3 and r["errors"] == 0
        assert r["success_ci95"] == wilson_ci95(round(r["success_rate"] * 3), 3)
        for key in ("skill_calls", "replans", "wasted_actions", "containment_accuracy", "empty_containers_opened"):
            assert r[key] is not None, key
    assert rows["oracle-planner"]["success_rate"] == 1.0
    assert rows["oracle-planner"]["empty_containers_opened"] == 0.0  # the oracle never opens an empty container
    assert s["task"] == "fetch" and s["executor"] == "symbolic"
    recs = [json.loads(x) for x in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert len(recs) == 6 and all(r["task"] == "fetch" and r["containment_curve"] for r in recs)
    assert all(len(r["containment_curve"]) == r["skill_calls"] + 1 for r in recs)
    assert "success 95% CI" in summary_table(s)
    again = run_eval(cfg, str(tmp_path), progress=False)  # resume: nothing left to run
    assert again["run"]["episodes_run"] == 0 and again["rows"] == s["rows"]

    from spacelab.evaluation.report import make_report

    rep = make_report([str(tmp_path)], str(tmp_path / "report"), pictures=1)
    assert rep["pictures"] == 2
    assert (tmp_path / "report" / "belief_vs_step.png").stat().st_size > 5000
    assert "fetch: success" in (tmp_path / "report" / "index.html").read_text()


def test_false_belief_fetch_records_inertia(tmp_path):
    cfg = EvalConfig(suite="house-2room", task="fetch", agents=["belief-planner"], n_scenes=2, executor="symbolic",
                     protocols=["false-belief"], launcher={"name": "local", "workers": 1})
    s = run_eval(cfg, str(tmp_path), progress=False)
    recs = [json.loads(x) for x in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert all(r["error"] is None for r in recs), recs[0].get("traceback")
    for r in recs:
        fb = r["false_belief"]
        assert fb["moves"] and r["first_episode"]["success"] is True
        assert fb["belief_inertia"] is None or 0.0 <= fb["belief_inertia"] <= 1.0
        # the second task names the first moved item
        assert r["goal"][0][1] == fb["moves"][0][0]
    assert s["rows"][0]["protocol"] == "false-belief"


def test_eval_command_runs_house_tasks_and_refuses_bad_ones(capsys, tmp_path):
    code, out, err = run_cli(capsys, "eval", "suite=house-2room", "task=fetch", "agents=[oracle-planner]", "n_scenes=1",
                             "executor=symbolic", "workers=1", "progress=false", f"hydra.run.dir={tmp_path}")
    assert code in (0, None), err
    assert "success" in out and "oracle-planner" in out
    code, out, err = run_cli(capsys, "eval", "suite=house-2room", "task=cook", "agents=[oracle-planner]", "n_scenes=1",
                             f"hydra.run.dir={tmp_path / 'x'}")
    assert code == 2 and err.count("\n") == 1 and "task must be one of" in err


class _Obs:
    def __init__(self, room, success=True):
        self.room, self.success, self.reason, self.opened = room, success, "", ()


def test_rooms_revisited_counts_only_stays_that_did_nothing():
    from perception.house_data import SkillCall
    from spacelab.evaluation.house_episode import _Measure

    class Ex:
        def robot_xy(self):
            return (0.0, 0.0)

    class Agent:
        def belief_snapshot(self):
            return {}

    m = _Measure(Ex(), Agent())
    m.after(None, _Obs(0), set(), set())
    nav = SkillCall("navigate_to", ("room_1",))
    m.after(nav, _Obs(1), set(), set())  # room 1: first visit
    m.after(SkillCall("look_around"), _Obs(1), set(), set())
    m.after(nav, _Obs(0), set(), set())  # back in room 0 (revisit) ...
    m.after(SkillCall("place", ("mug_0", "table_0")), _Obs(0), set(), set())  # ... with a place there: useful
    m.after(nav, _Obs(1), set(), set())  # room 1 again: only a look
    m.after(SkillCall("look_around"), _Obs(1), set(), set())
    m.after(nav, _Obs(2), set(), set())  # room 2: first visit
    assert m.wasted_revisits() == 1
    m.after(nav, _Obs(0), set(), set())  # ends in room 0 doing nothing: one more
    assert m.wasted_revisits() == 2
    m.after(SkillCall("pick", ("mug_0",)), _Obs(0, success=False), set(), set())  # a failed pick is not useful
    assert m.wasted_revisits() == 2


@pytest.mark.parametrize("name", ["house-pick-place", "house-fetch-drawer"])
def test_house_manip_tasks_on_the_twin(name):
    from spacelab.evaluation.house_episode import run_house_manip_task

    runs = [run_house_manip_task(name, "house-3room", i, executor="symbolic") for i in range(5)]
    assert all(r["success"] and r["failure"] == "" for r in runs), [r["failure"] for r in runs]
    if name == "house-fetch-drawer":  # the oracle opens the drawer, takes the item, carries it
        assert all([c["call"].split("(")[0] for c in r["calls"]][:3] == ["navigate_to", "open", "pick"] for r in runs)
    else:
        assert all(r["skill_calls"] == 4 for r in runs)


def test_manip_tasks_command_refuses_a_house_suite_without_the_robot(capsys):
    code, out, err = run_cli(capsys, "manip", "tasks", "--suite", "house-3room")
    assert code == 2 and "--robot mobile-panda goes with --suite" in err
