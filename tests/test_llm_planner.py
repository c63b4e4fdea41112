"""The llm-planner against a scripted OpenAI-compatible server (tests/fake_llm.py), on the
hand-made house of test_house_planner: its prompts, malformed replies (recorded as
invalid, look_around run instead, the episode goes on), `Call: done`, endpoint failures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.house_data import HOUSE_SKILLS, SkillCall
from planners.agents import make_agent
from planners.agents.llm import LLMConfig, LLMError
from planners.house.base import run_task
from planners.house.llm_planner import LLMPlanner, read_reply
from tests.fake_llm import ScriptedChat
from tests.test_house_planner import FakeHouse, fetch


@pytest.fixture
def chat():
    servers = []

    def make(script, default="Call: done"):
        s = ScriptedChat(script, default=default)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def agent_for(server):
    return make_agent("llm-planner", {"base_url": server.url, "model": "scripted", "max_retries": 0, "timeout_s": 5})


def test_a_scripted_model_with_malformed_replies_still_finishes_the_task(chat):
    server = chat([
        "I should look around first.\nCall: look_around()",
        "Let me think about where the mug is...",  # no call at all
        "Call: navigate_to(dresser_0)",
        "Call: fly(to_the_moon)",  # an unknown skill
        "Call: open(dresser_0_drawer2)",
        "Call: pick(mug_0, now)",  # a wrong number of arguments
        "Call: pick(mug_0)",
        "**Call:** navigate_to(table_0)",
        "Call: place(mug_0, table_0)",
        "The mug is on the table.\nCall: done",
    ])
    ex = FakeHouse({"mug_0": ("in", "dresser_0_drawer2")})
    agent = agent_for(server)
    out = run_task(agent, ex, fetch("mug_0", "table_0"))
    assert out["success"]
    assert out["calls"] == ["look_around()", "look_around()", "navigate_to(dresser_0)", "look_around()",
                            "open(dresser_0_drawer2)", "look_around()", "pick(mug_0)", "navigate_to(table_0)",
                            "place(mug_0, table_0)"]
    st_ = out["stats"]
    assert st_["invalid_replies"] == 3 and [i["call"] for i in st_["invalid"]] == [1, 3, 5]
    assert "unknown skill 'fly'" in st_["invalid"][1]["error"] and st_["fallback"] == "look_around()"
    assert st_["llm"]["calls"] == 10 and st_["llm"]["prompt_tokens"] == 1000
    # what the model was told: the skill list with preconditions, the task, each observation, its invalid replies
    first = server.requests[0]["messages"]
    assert first[0]["role"] == "system" and "open(container): needs at(robot, container); not open(container); " \
        "not holding(*)" in first[0]["content"]
    assert first[1]["content"].startswith("Task: Bring mug_0 to table_0.\n\nYou are in room 0.")
    last = server.requests[-1]["messages"]
    assert any("could not be read as a skill call" in m["content"] and "look_around() was run instead" in m["content"]
               for m in last if m["role"] == "user")
    assert "place(mug_0, table_0): ok" in last[-1]["content"]
    assert agent.belief_snapshot()["mug_0"] == {"relation": "on", "place": "table_0", "confidence": 1.0}


def test_a_model_that_never_makes_sense_ends_at_the_budget(chat):
    server = chat([], default="I am not sure what to do.")
    out = run_task(agent_for(server), FakeHouse({"mug_0": ("on", "table_1")}), fetch("mug_0", "table_0", max_skills=6))
    assert not out["success"] and out["calls"] == ["look_around()"] * 6
    assert out["stats"]["invalid_replies"] == 6


def test_an_endpoint_that_refuses_raises_llm_error(chat):
    server = chat([{"status": 400}])
    agent = agent_for(server)
    with pytest.raises(LLMError, match="HTTP 400"):
        run_task(agent, FakeHouse({"mug_0": ("on", "table_1")}), fetch("mug_0", "table_0"))


def test_memory_kept_for_the_second_episode(chat):
    server = chat(["Call: look_around", "Call: done", "Call: done"])
    agent = agent_for(server)
    ex = FakeHouse({"mug_0": ("on", "table_0")})
    run_task(agent, ex, fetch("mug_0", "counter_0"))
    assert agent.belief_snapshot()["mug_0"]["place"] == "table_0"
    run_task(agent, ex, fetch("mug_0", "counter_0"), keep_memory=True)
    msgs = server.requests[-1]["messages"]
    assert sum(m["role"] == "system" for m in msgs) == 1
    assert any(m["content"].startswith("You have been taken back to your start position") for m in msgs)
    assert agent.belief.stale == {"mug_0"}


def test_options_are_the_llm_config():
    agent = make_agent("llm-planner", {"base_url": "http://x/v1", "model": "m"})
    assert isinstance(agent, LLMPlanner) and agent.cfg == LLMConfig(base_url="http://x/v1", model="m")
    with pytest.raises(ValueError, match="unknown llm option"):
        make_agent("llm-planner", {"temperature_x": 1})


def test_read_reply_examples():
    assert read_reply("thinking...\nCall: navigate_to(room_1)\n") == SkillCall("navigate_to", ("room_1",))
    assert read_reply("Call: open(a_0)\nCall: pick(b_1)") == SkillCall("pick", ("b_1",))  # the last Call: counts
    assert read_reply("pick(mug_0)") == SkillCall("pick", ("mug_0",))  # no Call: line: the last line
    assert read_reply("CALL: Done.") is None
    for bad in ("", "   ", "Call: jump(x)", "Call: pick()", "Call: pick(a b)"):
        with pytest.raises(ValueError):
            read_reply(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_read_reply_never_raises_anything_but_a_value_error(text):
    try:
        out = read_reply(text)
    except ValueError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert out is None or out.skill in HOUSE_SKILLS


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(HOUSE_SKILLS)), st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True),
                                                       min_size=2, max_size=2), st.text(alphabet=" \n.abc", max_size=30))
def test_read_reply_round_trips_any_call_after_any_thinking(skill, args, thinking):
    call = SkillCall(skill, tuple(args[:len(HOUSE_SKILLS[skill])]))
    assert read_reply(f"{thinking}\nCall: {call}") == call
