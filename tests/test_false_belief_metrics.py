"""False-belief metrics (spacelab/evaluation/protocols.py) on hand-built phases: the changes
report parser, identification F1, belief on the changed objects, Belief Inertia and redundant
steps. The two exploration phases and the change plan are fakes, so every number is computed
by hand in the comments."""

from types import SimpleNamespace

import pytest

from perception.cogmap import CognitiveMap
from scenes.changes import Change
from spacelab.evaluation import protocols
from spacelab.evaluation.protocols import (
    PROTOCOLS,
    _changes_from,
    _safe_probe,
    register_protocol,
    run_false_belief,
)

# start-frame truth before and after the changes; "sofa" never changes
BEFORE = {"agent": {"position": [0, 0], "facing": "north"}, "lamp": [0, 6], "vase": [3, 6], "box": [1, 2],
          "chair": {"position": [-1, 2], "facing": "east"}, "sofa": [5, 5]}
AFTER = {**BEFORE, "lamp": [2, -2], "vase": [-2, -2], "box": [-2, 7], "chair": {"position": [-1, 2], "facing": "north"}}
# (world positions in a Change are not used by the metrics)
CHANGES = [Change("vase", "moved", (9.5, 0.5), (1.5, 5.5), 0.0, 0.0, 0),
           Change("lamp", "moved", (9.5, 3.5), (1.5, 1.5), 0.0, 0.0, 0),
           Change("box", "moved", (5.5, 2.5), (10.5, 5.5), 0.0, 0.0, 1),
           Change("chair", "rotated", (5.5, 4.5), (5.5, 4.5), 180.0, 90.0, 0)]
EXPLORE = {"steps": 6, "coverage": 0.5, "actions": ["a"], "belief": {"final": {}}, "physics_steps": 100,
           "sim_time_s": 1.0, "observed": ["lamp"], "first_seen": {"lamp": 1}}


class Env:
    scene = "the scene"

    def __init__(self):
        self.applied = None

    def truth_map(self):
        return CognitiveMap.from_dict(AFTER if self.applied is not None else BEFORE)

    def apply_changes(self, changes):
        self.applied = list(changes)


class Agent:
    def __init__(self, reply):
        self.reply, self.probed = reply, []

    def probe(self, kind="global"):
        self.probed.append(kind)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def fake_phases(monkeypatch, revisit: dict, changes=CHANGES):
    """Replace both exploration phases and the change plan; returns the list of calls."""
    calls = []

    def run_episode(env, agent, seed=0, probe=True, driver=None, fresh=True):
        assert isinstance(env, Env) and isinstance(agent, Agent)  # the protocol's own env and agent, both phases
        calls.append(("episode", seed, bool(fresh), driver))
        if not fresh:
            assert env.applied == changes  # the revisit happens after the changes
        return dict(EXPLORE if fresh else revisit)

    def plan_changes(spec, seed, k=4, min_move=6.0):
        calls.append(("plan", spec, seed, k, min_move))
        return list(changes)

    monkeypatch.setattr(protocols, "run_episode", run_episode)
    monkeypatch.setattr(protocols, "plan_changes", plan_changes)
    return calls


# the agent's final map: the lamp half way between its old and new place, the vase forgotten, the
# box still near its old place, the chair turned the wrong way, the agent itself facing west
FINAL = {"agent": {"position": [0, 0], "facing": "west"}, "lamp": [1, 2], "box": [1, 2.5],
         "chair": {"position": [-1, 2], "facing": "south"}, "sofa": [5, 5]}
REVISIT = {"steps": 9, "coverage": 0.9, "actions": ["b"], "belief": {}, "physics_steps": 50, "sim_time_s": 0.5,
           "final_map": FINAL, "observed": ["lamp", "box", "sofa"],
           "first_seen": {"vase": 3, "lamp": 5, "box": 2, "chair": 4}}
REPORT = {"changes": ["Lamp", "sofa", {"name": "Rug"}, {"nom": "x"}, 7]}


def test_false_belief_metrics_by_hand(monkeypatch):
    calls = fake_phases(monkeypatch, REVISIT)
    env, agent = Env(), Agent(REPORT)
    rec = run_false_belief(env, agent, seed=5)
    fb = rec["false_belief"]
    # both phases run with the job's seed, the second keeping the agent's memory; 4 changes of >= 6 m
    assert calls == [("episode", 5, True, None), ("plan", "the scene", 5, 4, 6.0), ("episode", 5, False, None)]
    assert agent.probed == ["changes"]
    assert fb["changes"] == [c.to_dict() for c in CHANGES]
    # reported {lamp, sofa, rug} against changed {vase, lamp, box, chair}: p = 1/3, r = 1/4, F1 = 2/7
    assert fb["reported"] == ["lamp", "rug", "sofa"] and fb["report_error"] is None
    assert fb["identification_f1"] == 0.2857
    # inertia: the vase is not in the map; the lamp is exactly as far from old (0, 6) as from new (2, -2)
    # (sqrt 17 each: not stale); the box (1, 2.5) is 0.5 m from old (1, 2), 5.4 m from new: stale; the chair
    # faces south, neither old (east) nor new: not stale -> 1 of 3
    assert fb["belief_inertia"] == 0.3333
    # score_map on the changed objects and the agent: K = 4 of N = 5; squared errors 0, 17, 29.25, 0 ->
    # RMSE = sqrt(11.5625); L = sqrt((8 + 8 + 53 + 5) / 4) -> pos = 0.8 * exp(-3.4004 / 4.3012) = 0.36287;
    # dir: 5 of the 15 pairs (agent-box, agent-chair, agent-origin, box-origin, chair-origin); facing: the
    # agent (west, truth north) and the chair (south, truth north) both wrong -> 0 -> overall 0.23207
    assert fb["changed_belief"] == 0.2321
    assert fb["changes_seen"] == ["box", "lamp"]
    # every change seen again by turn 5 (the lamp, last); 9 turns in all -> 4 redundant
    assert fb["redundant_steps"] == 4
    # the record is the revisit phase, with the first phase's summary under "exploration"
    assert rec["steps"] == 9 and rec["physics_steps"] == 50 and rec["final_map"] == FINAL
    assert rec["exploration"] == {k: EXPLORE[k] for k in ("steps", "coverage", "actions", "belief", "physics_steps",
                                                          "sim_time_s")}


def test_a_failing_probe_is_a_report_error_and_unseen_changes_leave_metrics_undefined(monkeypatch):
    revisit = {**REVISIT, "first_seen": {"lamp": 5, "box": 2}}  # the vase and the chair never seen again
    del revisit["final_map"]  # an agent with no map at the end
    fake_phases(monkeypatch, revisit)
    fb = run_false_belief(Env(), Agent(RuntimeError("boom")), seed=1)["false_belief"]
    assert fb["reported"] == [] and fb["report_error"] == "no JSON object found in probe reply"
    assert fb["identification_f1"] == 0.0
    assert fb["belief_inertia"] is None and fb["redundant_steps"] is None
    # an empty map against the 4 changed objects and the agent: pos 0, dir 0, facing 0
    assert fb["changed_belief"] == 0.0


def test_inertia_counts_positions_nearer_the_old_place_and_the_old_facing(monkeypatch):
    final = {"vase": [3, 5], "lamp": [2, -1], "box": [-2, 7], "chair": {"position": [-1, 2], "facing": "east"}}
    fake_phases(monkeypatch, {**REVISIT, "final_map": final, "first_seen": {"vase": 1, "lamp": 1, "box": 1, "chair": 1,
                                                                            "sofa": 7}})
    fb = run_false_belief(Env(), Agent({"changes": []}), seed=1)["false_belief"]
    # vase 1 m from old: stale; lamp 1 m from new: not; box at new: not; chair still facing east: stale
    assert fb["belief_inertia"] == 0.5
    # every change first seen at turn 1 of 9: 8 redundant turns (the sofa, seen later, does not count)
    assert fb["redundant_steps"] == 8
    assert fb["identification_f1"] == 0.0 and fb["reported"] == []


def test_safe_probe_turns_an_exception_into_a_reply():
    assert _safe_probe(Agent(RuntimeError("boom")), "changes") == "RuntimeError: boom"
    assert _safe_probe(Agent({"changes": []}), "changes") == {"changes": []}


NEEDS = 'changes probe needs {"changes": [...]}'


@pytest.mark.parametrize(
    "reply,names,err",
    [({"changes": ["Lamp", {"name": "Door 0"}, {"name": 3}, None]}, {"lamp", "door_0"}, None),
     (["Chair", {"name": "Box"}], {"chair", "box"}, None),
     ('Sure: {"changes": [{"name": "Vase"}]}', {"vase"}, None),
     ({"changes": []}, set(), None),
     ("I think nothing changed.", set(), "no JSON object found in probe reply"),
     ({"moved": ["lamp"]}, set(), NEEDS),
     ({"changes": "lamp"}, set(), NEEDS),
     (42, set(), NEEDS),
     (None, set(), NEEDS)],
)
def test_changes_report_parser(reply, names, err):
    assert _changes_from(reply) == (names, err)


def test_active_and_passive_run_one_episode_with_the_jobs_seed(monkeypatch):
    calls = []
    monkeypatch.setattr(protocols, "run_episode",
                        lambda env, agent, seed=0, driver=None: calls.append((env, agent, seed, driver)) or {"steps": 3})
    monkeypatch.setattr(protocols, "make_agent", lambda name: f"agent:{name}")
    job = SimpleNamespace(seed=7, proxy="scout")
    assert protocols.run_active("env", "me", job) == {"steps": 3}
    assert protocols.run_passive("env", "me", job) == {"steps": 3, "proxy": "scout"}
    assert calls == [("env", "me", 7, None), ("env", "me", 7, "agent:scout")]
    seen = []
    monkeypatch.setattr(protocols, "run_false_belief", lambda env, agent, seed: seen.append((env, agent, seed)) or {})
    assert protocols.run_false_belief_job("env", "me", job) == {} and seen == [("env", "me", 7)]


def test_register_protocol_adds_a_named_entry_with_its_doc():
    def measure(env, agent, job):
        return {}

    try:
        register_protocol("test-only", measure, "measures nothing")
        register_protocol("test-only-2", measure)
        assert PROTOCOLS.load("test-only") is measure and PROTOCOLS.get("test-only").doc == "measures nothing"
        assert PROTOCOLS.get("test-only-2").doc == ""
    finally:
        for name in ("test-only", "test-only-2"):
            if name in PROTOCOLS:
                PROTOCOLS.unregister(name)


def test_the_number_and_distance_of_changes_are_passed_on(monkeypatch):
    calls = fake_phases(monkeypatch, REVISIT)
    run_false_belief(Env(), Agent({"changes": []}), seed=3, k=2, min_move=8.5)
    assert calls[1] == ("plan", "the scene", 3, 2, 8.5)


def test_a_bare_list_sent_as_text_is_a_changes_report():
    from spacelab.evaluation.protocols import _changes_from as changes_from  # noqa: PLC2701

    assert changes_from('["lamp", {"name": "Chair"}]') == ({"lamp", "chair"}, None)
    assert changes_from("[1, 2") == (set(), "no JSON object found in probe reply")
