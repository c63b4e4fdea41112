import json

import numpy as np
import pytest

from perception.questions import Question
from planners.agents.llm import (
    LLMAgent,
    LLMConfig,
    LLMError,
    extract_option,
    extract_turn,
)
from scenes import load_suite_scene
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode
from spacelab.evaluation.evaluate import EvalConfig, run_eval
from tests.fake_llm import Recorder, ScriptedChat

VOLATILE = ("wall_time_s", "agent_stats")


def _same(a, b):
    return {k: v for k, v in a.items() if k not in VOLATILE} == {k: v for k, v in b.items() if k not in VOLATILE}


def test_adapter_plays_a_full_episode_like_the_in_process_agent():
    scene = load_suite_scene("tos-3room", 4)
    rec_agent = Recorder()
    expected = run_episode(ExplorationEnv(scene), rec_agent, seed=4)
    chat = ScriptedChat(rec_agent.script)
    try:
        agent = LLMAgent(LLMConfig(base_url=chat.url, model="scripted", price_prompt_per_1k=0.001))
        got = run_episode(ExplorationEnv(scene), agent, seed=4)
    finally:
        chat.close()
    assert _same(got, expected)
    s = got["agent_stats"]
    assert s["calls"] == len(rec_agent.script) and s["prompt_tokens"] == 100 * s["calls"] and s["failures"] == 0
    assert s["cost_usd"] == pytest.approx(s["prompt_tokens"] / 1000 * 0.001)
    first = chat.requests[0]
    assert first["model"] == "scripted" and first["messages"][0]["role"] == "system" and "Actions:" in first["messages"][0]["content"]


def test_malformed_replies_are_invalid_actions_or_empty_maps():
    big = "Actions: [" + "Rotate(90), " * 100_000 + "Observe()]"  # > 1 MB
    turns = ["", "Actions: [Observe(), Observe()]", "Actions: [MoveTo(unicorn), Observe()]", "I would like to look around.",
             big, "Actions: [Observe()]", "Actions: [Term()]"]
    script = []
    for t in turns:  # each turn is followed by its global probe (and local + unexplored after an Observe)
        script.append(t)
        script.append("my map is {not json")
        if t == "Actions: [Observe()]":
            script += ["{}", '{"unexplored": "door_0"}']
    chat = ScriptedChat(script)
    try:
        agent = LLMAgent(LLMConfig(base_url=chat.url, max_retries=0))
        rec = run_episode(ExplorationEnv(load_suite_scene("tos-3room", 0)), agent)
    finally:
        chat.close()
    assert rec["steps"] == 7 and rec["terminated_by_agent"] and rec["n_invalid"] == 5
    reasons = [x["reason"] for x in rec["invalid_actions"]]
    assert "empty action" in reasons[0] and "only one final action" in reasons[1] and "unknown object 'unicorn'" in reasons[2]
    assert "no action found" in reasons[3] and "over the 1000000 limit" in reasons[4]
    assert len(rec["invalid_actions"][4]["turn"]) < 400  # the record stays small
    assert rec["coverage"] > 0 and rec["belief"]["probe_errors"] >= 7


def test_slow_endpoint_is_retried():
    chat = ScriptedChat([{"sleep": 1.5, "reply": "Actions: [Observe()]"}, "Actions: [Term()]"], default="{}")
    try:
        agent = LLMAgent(LLMConfig(base_url=chat.url, timeout_s=0.5, max_retries=2, backoff_s=0.01))
        agent.reset()
        assert agent.act("", {}) == "Actions: [Term()]"  # the late answer was dropped, the retry answered
        assert agent.stats()["retries"] == 1
    finally:
        chat.close()


def test_failing_endpoint_is_an_error_record_and_the_run_goes_on(tmp_path):
    chat = ScriptedChat([], default={"status": 503})
    try:
        cfg = EvalConfig(suite="tos-2room", agents=["llm", "scout"], n_scenes=2, launcher={"name": "local", "workers": 1},
                         agent_options={"llm": {"base_url": chat.url, "max_retries": 1, "backoff_s": 0.01}})
        s = run_eval(cfg, str(tmp_path), progress=False)
    finally:
        chat.close()
    rows = {r["agent"]: r for r in s["rows"]}
    assert rows["llm"]["errors"] == 2 and rows["scout"]["errors"] == 0
    recs = [json.loads(x) for x in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert all("LLMError" in r["error"] and "HTTP 503" in r["error"] for r in recs if r["agent"] == "llm")


def test_bad_request_is_not_retried():
    chat = ScriptedChat([], default={"status": 400})
    try:
        agent = LLMAgent(LLMConfig(base_url=chat.url, max_retries=3, backoff_s=0.01))
        agent.reset()
        with pytest.raises(LLMError, match="HTTP 400"):
            agent.act("", {})
        assert len(chat.requests) == 1
    finally:
        chat.close()


def test_reply_parsing_helpers():
    assert extract_turn("Let me think. Actions: [Rotate(90)] no wait\nActions: [Observe()]") == "Actions: [Observe()]"
    assert extract_option("The lamp is left of me.\nAnswer: Behind", ("front", "right", "behind", "left")) == "behind"
    assert extract_option("I pick south-east.", ("east", "south-east")) == "south-east"
    assert extract_option("south-east? no: east", ("east", "south-east")) == "east"
    assert extract_option("no idea", ("a1", "b2")) is None


@pytest.mark.parametrize("fmt,prefix,magic", [("png", "data:image/png;base64,", b"\x89PNG"),
                                               ("jpeg", "data:image/jpeg;base64,", b"\xff\xd8\xff")])
def test_vision_mode_sends_the_camera_image(fmt, prefix, magic):
    import base64

    import cv2

    chat = ScriptedChat(["Actions: [Observe()]", "{}", "{}", "{}", "Actions: [Term()]", "{}"])
    try:
        agent = LLMAgent(LLMConfig(base_url=chat.url, mode="vision"))
        env = ExplorationEnv(load_suite_scene("tos-2room", 0), obs_mode="vision", image_format=fmt)
        rec = run_episode(env, agent)
    finally:
        chat.close()
    assert rec["steps"] == 2
    parts = chat.requests[-2]["messages"][-1]["content"]  # the act request after the Observe
    url = parts[1]["image_url"]["url"]
    assert parts[0]["type"] == "text" and url.startswith(prefix)
    data = base64.b64decode(url[len(prefix):])
    assert data.startswith(magic)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (128, 128, 3)


def test_unknown_image_format_is_refused():
    with pytest.raises(ValueError, match="image_format must be one of png, jpeg, got 'gif'"):
        ExplorationEnv(load_suite_scene("tos-2room", 0), obs_mode="vision", image_format="gif")


def test_answers_questions():
    chat = ScriptedChat(["Thinking... Answer: north-east"])
    try:
        agent = LLMAgent(LLMConfig(base_url=chat.url))
        agent.reset()
        q = Question("direction", "From the a, where is b?", ("north", "north-east"), "north-east", {})
        assert agent.answer(q) == "north-east"
        assert "Options: north, north-east" in chat.requests[0]["messages"][-1]["content"]
    finally:
        chat.close()
