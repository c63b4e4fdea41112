"""replay@FILE plays a recorded run's turns again, scene by scene, without the agent that made them."""

import json

import pytest

import spacelab
from planners.agents import make_agent
from planners.agents.replay import ReplayAgent


def test_a_replay_retraces_the_recorded_run(tmp_path):
    spacelab.evaluate(str(tmp_path / "run"), suite="tos-2room", agents=["strategist"], n_scenes=2,
                      launcher={"name": "local", "workers": 1})
    path = tmp_path / "run" / "episodes.jsonl"
    recorded = {r["index"]: r for r in map(json.loads, path.read_text().splitlines())}
    spacelab.evaluate(str(tmp_path / "replay"), suite="tos-2room", agents=[f"replay@{path}"], n_scenes=2,
                      launcher={"name": "local", "workers": 1})
    replayed = {r["index"]: r for r in map(json.loads, (tmp_path / "replay" / "episodes.jsonl").read_text().splitlines())}
    for i in (0, 1):
        assert replayed[i]["error"] is None
        assert replayed[i]["actions"] == recorded[i]["actions"] and replayed[i]["trajectory"] == recorded[i]["trajectory"]
        assert replayed[i]["observed"] == recorded[i]["observed"]


def test_a_replay_chooses_its_records_and_says_what_is_missing():
    recs = [{"scene": "tos-2room/0", "agent": "scout", "actions": ["Actions: [Observe()]"]},
            {"suite": "tos-2room", "index": 1, "agent": "scout", "actions": ["Actions: [Term()]"], "error": "boom"},
            {"scene": "tos-2room/0", "agent": "random", "actions": ["Actions: [Rotate(90), Observe()]"]}]
    agent = ReplayAgent(recs, agent="random")
    agent.reset()
    agent.observe(*spacelab.make_env("tos-2room", 0).reset(seed=0))
    assert [agent.act("", {}), agent.act("", {})] == ["Actions: [Rotate(90), Observe()]", "Actions: [Term()]"]
    agent.reset()
    with pytest.raises(ValueError, match="no recorded episode for scene 'tos-2room/1' to replay"):
        agent.observe(*spacelab.make_env("tos-2room", 1).reset(seed=1))  # its only record errored
    with pytest.raises(ValueError, match="no finished episodes to replay for agent 'oracle'"):
        ReplayAgent(recs, agent="oracle")
    with pytest.raises(ValueError, match="no finished episodes to replay"):
        ReplayAgent(recs, protocol="passive")


def test_a_replay_file_must_exist(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        make_agent(f"replay@{tmp_path / 'nope.jsonl'}")
