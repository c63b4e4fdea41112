import json

import pytest

from perception.cogmap import CognitiveMap
from perception.questions import QUESTION_TYPES, answer_from_map, generate_questions
from planners.agents import Agent
from planners.agents.sweeper import Scout
from scenes import load_suite_scene
from scenes.changes import Change, plan_changes
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode
from spacelab.evaluation.protocols import run_false_belief
from tests.scene_fixtures import play, two_rooms


def test_planned_changes_follow_the_rules():
    for i in range(20):
        spec = load_suite_scene("tos-3room", i)
        changes = plan_changes(spec, seed=i)
        assert len(changes) == 4 and len({c.name for c in changes}) == 4
        for c in changes:
            o = spec.object(c.name)
            if c.kind == "moved":
                assert c.new_heading == o.heading and ((c.new_position[0] - o.position[0]) ** 2 + (c.new_position[1] - o.position[1]) ** 2) ** 0.5 >= 6.0
            else:
                assert o.has_facing and c.new_position == o.position and c.new_heading != o.heading


def test_changes_take_effect_in_physics_and_truth():
    spec = load_suite_scene("tos-3room", 5)
    env = ExplorationEnv(spec)
    changes = plan_changes(spec, seed=5)
    env.apply_changes(changes)
    env.reset()
    poses = env.backend.object_poses()
    truth = env.truth_map()
    for c in changes:
        assert poses[c.name][:2] == pytest.approx(c.new_position)
        assert poses[c.name][2] == pytest.approx(c.new_heading % 360.0)
        assert env.scene.object(c.name).position == c.new_position
    assert truth.entries["agent"].position == (0.0, 0.0)


def test_oracle_false_belief_finds_what_it_sees_again():
    rec = play({"suite": "tos-3room", "index": 1, "agent": "oracle", "seed": 1, "protocol": "false-belief"})
    fb = rec["false_belief"]
    seen = set(fb["changes_seen"])
    assert set(fb["reported"]) == seen  # every change it saw again is reported, nothing else
    assert fb["belief_inertia"] == 0.0 and fb["identification_f1"] == 1.0 and fb["changed_belief"] == 1.0


@pytest.mark.parametrize("backend", ["mujoco-batch", pytest.param("mujoco-warp-cpu", marks=pytest.mark.slow)])
def test_false_belief_moves_objects_on_the_batch_backends(backend):
    if backend.startswith("mujoco-warp"):
        pytest.importorskip("mujoco_warp")
    job = {"suite": "tos-3room", "index": 1, "agent": "oracle", "seed": 1, "protocol": "false-belief"}
    ref, rec = play(job), play(job | {"backend": backend})
    assert rec["error"] is None and rec["actions"] == ref["actions"]
    assert rec["false_belief"]["changes_seen"] == ref["false_belief"]["changes_seen"] == ["box", "lamp", "piano", "vase"]
    assert rec["false_belief"]["identification_f1"] == 1.0


class Stubborn(Scout):
    """Never revises a belief once formed: the pure Belief Inertia case."""

    def observe(self, observation, info):
        known = {n: (it.position, it.facing) for n, it in self.memory.items.items()}
        super().observe(observation, info)
        for n, (p, f) in known.items():
            self.memory.items[n].position, self.memory.items[n].facing = p, f
        self.memory.changed.clear()


def test_stubborn_agent_shows_full_belief_inertia():
    env = ExplorationEnv(load_suite_scene("tos-3room", 1))
    rec = run_false_belief(env, Stubborn(), seed=1)
    fb = rec["false_belief"]
    assert fb["belief_inertia"] == 1.0 and fb["identification_f1"] == 0.0 and fb["reported"] == []
    assert fb["changed_belief"] < 0.7


class FixedBelief(Agent):
    """Ends each phase at once and reports the same final map whatever it saw."""

    def __init__(self, final_map: dict) -> None:
        self.final_map = final_map

    def act(self, observation, info):
        return "Actions: [Term()]"

    def probe(self, kind="global"):
        return {"changes": []} if kind == "changes" else self.final_map


# two_rooms() (start (3.5, 3.5) facing east, so start-frame (x, y) = (3.5 - world y, world x - 3.5)):
# three objects moved far, the chair (the one object with a facing) turned from south to east in the world,
# i.e. from "east" to "north" in the start frame
HAND_CHANGES = [
    Change("lamp", "moved", (9.5, 3.5), (1.5, 1.5), 0.0, 0.0, 0),  # start frame (0, 6) -> (2, -2)
    Change("vase", "moved", (9.5, 0.5), (1.5, 5.5), 0.0, 0.0, 0),  # (3, 6) -> (-2, -2)
    Change("box", "moved", (5.5, 2.5), (10.5, 5.5), 0.0, 0.0, 1),  # (1, 2) -> (-2, 7)
    Change("chair", "rotated", (5.5, 4.5), (5.5, 4.5), 180.0, 90.0, 0),  # facing "east" -> "north"
]
MOVED_TO_NEW = {"lamp": [2, -2], "vase": [-2, -2], "box": [-2, 7]}


@pytest.mark.parametrize(
    "box_at,chair_facing,inertia",
    [
        ([-2, 7], "east", 0.25),  # only the chair keeps its old facing: 1 of 4
        ([-2, 7], "north", 0.0),  # every belief updated
        ([-2, 7], "south", 0.0),  # the chair's facing is wrong, but not the old one: no inertia
        ([-2, 7], None, 0.0),  # no facing reported: the chair is left out, 0 of 3
        ([1, 2.5], "east", 0.5),  # the box also stays nearer its old place (0.5 m) than its new one: 2 of 4
    ],
    ids=["stale-facing", "all-updated", "wrong-facing-not-the-old-one", "no-facing", "stale-position-and-facing"],
)
def test_belief_inertia_counts_stale_positions_and_stale_facings(monkeypatch, box_at, chair_facing, inertia):
    from spacelab.evaluation import protocols

    monkeypatch.setattr(protocols, "plan_changes", lambda spec, seed, k, min_move: HAND_CHANGES)
    final = {"agent": {"position": [0, 0], "facing": "north"}, **{n: {"position": p} for n, p in MOVED_TO_NEW.items()},
             "chair": {"position": [-1, 2], "facing": chair_facing}}
    final["box"] = {"position": box_at}
    env = ExplorationEnv(two_rooms())
    fb = run_false_belief(env, FixedBelief(final), seed=0)["false_belief"]
    env.close()
    assert fb["belief_inertia"] == inertia
    assert fb["reported"] == [] and fb["identification_f1"] == 0.0


class TwoPhaseTurner(Scout):
    """Turns once and stops in the exploration phase; turns twice and stops after the restart."""

    def reset(self, seed=0, max_steps=20):
        super().reset(seed, max_steps)
        self.plan = ["Actions: [Rotate(90), Observe()]", "Actions: [Term()]"]

    def restart(self):
        super().restart()
        self.plan = ["Actions: [Rotate(180), Observe()]", "Actions: [Rotate(180), Observe()]", "Actions: [Term()]"]

    def act(self, observation, info):
        return self.plan.pop(0)


def test_false_belief_reports_the_physics_of_each_phase_separately():
    spec = load_suite_scene("tos-3room", 1)
    env = ExplorationEnv(spec)
    rec = run_false_belief(env, TwoPhaseTurner(), seed=1)
    explore, revisit = rec["exploration"]["physics_steps"], rec["physics_steps"]
    assert rec["exploration"]["steps"] == 2 and rec["steps"] == 3
    assert explore > 0 and revisit > explore  # two half turns against one quarter turn
    assert explore + revisit == env.backend.physics_steps  # the phases add up to everything the env stepped
    dt = env.backend.timestep
    assert rec["exploration"]["sim_time_s"] == round(explore * dt, 3) and rec["sim_time_s"] == round(revisit * dt, 3)
    # the first phase alone, in a fresh env, steps exactly as much as it did inside the protocol
    fresh = run_episode(ExplorationEnv(spec), TwoPhaseTurner(), seed=1)
    assert fresh["physics_steps"] == explore and fresh["actions"] == rec["exploration"]["actions"]
    env.close()


def test_passive_reads_the_scout_log():
    a = play({"suite": "tos-3room", "index": 2, "agent": "strategist", "seed": 2, "protocol": "passive"})
    s = play({"suite": "tos-3room", "index": 2, "agent": "scout", "seed": 2, "protocol": "active"})
    assert a["actions"] == s["actions"] and a["proxy"] == "scout"
    assert a["belief"]["final"] == s["belief"]["final"]


def test_questions_cover_nine_types_and_are_answerable_from_truth():
    spec = load_suite_scene("tos-3room", 3)
    truth = CognitiveMap.from_dict(spec.ground_truth())
    qs = generate_questions(truth, seed=3)
    assert {q.kind for q in qs} == set(QUESTION_TYPES) and len(qs) == 18
    assert all(answer_from_map(q, truth) == q.answer and q.answer in q.options for q in qs)
    assert all(answer_from_map(q, CognitiveMap()) is None for q in qs)
    # a map turned 180 degrees about the start gets most direction questions wrong
    turned = CognitiveMap.from_dict({n: {"position": [-e.position[0], -e.position[1]]} for n, e in truth.entries.items()})
    wrong = [q for q in qs if q.kind == "direction" and answer_from_map(q, turned) != q.answer]
    assert len(wrong) == 2


def test_exploitation_scores_answers():
    rec = play({"suite": "tos-3room", "index": 3, "agent": "oracle", "seed": 3, "protocol": "exploitation"})
    ex = rec["exploitation"]
    assert ex["accuracy"] == 1.0 and len(ex["questions"]) == 18
    rnd = play({"suite": "tos-3room", "index": 3, "agent": "random", "seed": 3, "protocol": "exploitation"})
    assert rnd["exploitation"]["accuracy"] < 1.0


def test_report_from_a_run(tmp_path):
    from spacelab.cli import main

    run = tmp_path / "run"
    run.mkdir()
    recs = [play({"suite": "tos-2room", "index": i, "agent": a, "seed": i, "protocol": p})
            for a in ("scout", "noisy-oracle") for p in ("active", "passive") for i in range(2)]
    (run / "episodes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert main(["report", str(run), "--pictures", "1"]) == 0
    out = run / "report"
    board = json.loads((out / "leaderboard.json").read_text())
    assert [(r["agent"], r["protocol"]) for r in board] == [("scout", "active"), ("scout", "passive"),
                                                            ("noisy-oracle", "active"), ("noisy-oracle", "passive")]
    assert board[0]["active_passive_gap"] == 0.0 and board[0]["belief_overall"] == 1.0
    page = (out / "index.html").read_text()
    assert "belief_vs_step.png" in page and page.count("<figure>") == 4
    assert (out / "belief_vs_step.png").stat().st_size > 10_000


def test_report_on_a_directory_without_runs(tmp_path, capsys):
    from spacelab.cli import main

    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path)])
    assert e.value.code == 2 and "no episodes.jsonl" in capsys.readouterr().err


def test_report_merges_a_sweep_directory(tmp_path):
    from spacelab.evaluation.report import make_report

    for job, agent in enumerate(["scout", "strategist"]):
        d = tmp_path / "sweep" / str(job)
        d.mkdir(parents=True)
        rec = play({"suite": "tos-2room", "index": 0, "agent": agent, "seed": 0})
        (d / "episodes.jsonl").write_text(json.dumps(rec) + "\n")
    result = make_report([str(tmp_path / "sweep")], str(tmp_path / "out"), pictures=0)
    assert [r["agent"] for r in result["rows"]] == ["scout", "strategist"]
