import numpy as np
import pytest

from planners.agents import make_agent
from planners.agents.sweeper import Scout
from scenes import load_suite_scene
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode
from tests.scene_fixtures import play


def test_oracle_is_exact_on_what_it_has_seen_and_rises_with_coverage():
    for i in range(3):
        rec = play({"suite": "tos-3room", "index": i, "agent": "oracle", "seed": i})
        rows = rec["probes"]
        assert all(r["overall_seen"] == 1.0 for r in rows)
        assert all(r["self_pos_error"] == 0.0 and r["self_facing"] == 1.0 for r in rows)
        overall = [r["overall"] for r in rows]
        coverage = [r["coverage"] for r in rows]
        assert overall == sorted(overall) and coverage == sorted(coverage)
        # belief accuracy rises exactly when coverage does
        for a, b in zip(rows[:-1], rows[1:]):
            if b["coverage"] > a["coverage"]:
                assert b["overall"] > a["overall"]
        assert rec["belief"]["final"]["overall"] == 1.0 and rec["coverage"] == 1.0
        assert rec["belief"]["perception"] == 1.0 and rec["belief"]["consistency"] == 1.0


def test_noisy_oracle_is_strictly_worse_and_monotone_in_noise():
    levels = [0.0, 0.25, 0.5, 1.0, 2.0]
    scores = []
    for noise in levels:
        recs = [play({"suite": "tos-3room", "index": i, "agent": f"noisy-oracle@{noise}", "seed": i}) for i in range(4)]
        scores.append(np.mean([r["belief"]["final"]["overall"] for r in recs]))
    assert scores[0] == 1.0
    assert all(a > b for a, b in zip(scores[:-1], scores[1:])), scores


def test_information_gain_and_free_space_coverage_grow():
    rec = play({"suite": "tos-3room", "index": 0, "agent": "scout", "seed": 0})
    gains = [r["info_gain"] for r in rec["probes"]]
    free = [r["free_coverage"] for r in rec["probes"]]
    assert gains == sorted(gains) and 0 < gains[0] < gains[-1] <= 1
    assert free == sorted(free) and free[-1] > 0.8


class Garbage(Scout):
    """Answers probes with everything a model might send."""

    replies = ["not json at all", "x" * 1_100_000, '{"chair": {"position": [NaN, 3]}, "ghost": [1, 2]}', None,
               {"agent": "nowhere"}, RuntimeError("probe exploded")]

    def probe(self, kind="global"):
        self.k = getattr(self, "k", -1) + 1
        r = self.replies[self.k % len(self.replies)]
        if isinstance(r, Exception):
            raise r
        return r


def test_malformed_probe_replies_are_scored_logged_and_never_crash():
    env = ExplorationEnv(load_suite_scene("tos-3room", 0))
    rec = run_episode(env, Garbage())
    assert rec["coverage"] == 1.0  # exploration went on as usual
    kinds = {e["error"].split(":")[0] for e in rec["probe_errors"]}
    assert {"no JSON object found in probe reply", "probe reply is 1100000 characters, over the 1000000 limit",
            "RuntimeError"} <= kinds
    assert all(0.0 <= r["overall"] <= 1.0 for r in rec["probes"])
    assert rec["belief"]["probe_errors"] == len(rec["probe_errors"]) > 0


def test_bad_agent_parameter():
    with pytest.raises(ValueError, match="noisy-oracle@0.5"):
        make_agent("noisy-oracle@lots")


class Cartographer(Scout):
    """Reports the true room topology (as a perfect mapper would) next to its map."""

    def probe(self, kind="global"):
        out = super().probe(kind)
        if kind == "global":
            out["rooms"] = [{"id": r["id"], "objects": r["objects"]} for r in self.truth.rooms]
            out["doors"] = self.truth.doors[:1]  # one of the two doors
        return out


def test_topology_f1_is_scored_when_rooms_are_reported():
    env = ExplorationEnv(load_suite_scene("tos-3room", 0))
    env.reset()
    agent = Cartographer()
    agent.truth = env.truth_map()
    rec = run_episode(env, agent)
    assert rec["belief"]["topology_f1"] == 0.6667  # precision 1, recall 1/2, rounded to 4 places
    assert play({"suite": "tos-3room", "index": 0, "agent": "scout", "seed": 0})["belief"]["topology_f1"] is None


def test_information_gain_by_hand():
    import math

    from perception.efficiency import information_gain

    cells = np.array([[0, 1], [0, 2], [1, 1], [3, 3]], float)
    log = [{"position": [0, 0], "heading": 0.0,
            "sightings": [{"name": "chair", "direction": "front", "distance": "near"}]}]
    # chair: 2 of 4 cells feasible ((0,1), (0,2)); lamp unseen: all 4 -> E = log2(4/2) / (2 log2 4) = 0.25
    assert information_gain(cells, ["chair", "lamp"], log) == pytest.approx(0.25)
    assert information_gain(cells, ["chair", "lamp"], []) == 0.0
    assert math.isclose(information_gain(cells, ["chair"], log), 0.5)


class Drifter(Scout):
    """Lets every object it cannot see now drift 1 m east per turn."""

    def probe(self, kind="global"):
        out = super().probe(kind)
        if kind == "global":
            in_view = {s["name"] for s in self.memory.last_view}
            self.t = getattr(self, "t", 0) + 1
            for name, e in out.items():
                if name != "agent" and name not in in_view:
                    e["position"] = [e["position"][0] + self.t, e["position"][1]]
        return out


def test_stability_catches_drifting_beliefs():
    rec = run_episode(ExplorationEnv(load_suite_scene("tos-3room", 0)), Drifter())
    assert rec["belief"]["stability"] < 0.5
    assert play({"suite": "tos-3room", "index": 0, "agent": "oracle", "seed": 0})["belief"]["stability"] == 1.0
