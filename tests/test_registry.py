"""One registration pattern: a new agent is one module plus one line, usable everywhere."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import spacelab
from planners.agents import AGENTS, make_agent
from scenes.registry import EntryPointError, Registry, UnknownNameError
from spacelab.evaluation.jobs import EpisodeJob
from spacelab.evaluation.runner import run_job


def test_registry_loads_lazily_and_passes_fixed_arguments():
    reg = Registry("thing")
    reg.register("third", "fractions:Fraction", numerator=1, denominator=3)
    reg.register("missing", "spacelab_no_such_module:X")
    assert reg.make("third") == reg.make("third", denominator=3)
    assert str(reg.make("third", denominator=4)) == "1/4"  # the caller's arguments win
    with pytest.raises(EntryPointError, match="'missing' points to 'spacelab_no_such_module:X', which cannot be loaded"):
        reg.load("missing")
    with pytest.raises(UnknownNameError, match="^unknown thing 'fourth'; choose one of: third, missing$"):
        reg.get("fourth")


def test_registry_refuses_a_second_registration_and_bad_names():
    reg = Registry("thing")
    reg.register("a", "fractions:Fraction")
    with pytest.raises(ValueError, match="thing 'a' is already registered"):
        reg.register("a", "fractions:Fraction")
    reg.register("a", "decimal:Decimal", replace=True)
    assert reg.load("a").__name__ == "Decimal"
    for bad in ("", "x@1", " a"):
        with pytest.raises(ValueError, match="name must be a non-empty string"):
            reg.register(bad, "fractions:Fraction")
    with pytest.raises(ValueError, match="must look like 'package.module:attribute'"):
        reg.register("b", "fractions.Fraction")


@given(st.text(max_size=30))
def test_any_unknown_name_gives_a_one_line_value_error(name):
    reg = Registry("agent")
    reg.register("scout", "planners.agents.sweeper:Scout")
    if name == "scout":
        return
    with pytest.raises(UnknownNameError) as e:
        reg.get(name)
    assert str(e.value).startswith("unknown agent ") and str(e.value).endswith("choose one of: scout")


def test_a_toy_agent_registered_from_a_test_module_runs_like_a_builtin(tmp_path):
    import tests.toy_agent  # noqa: F401  (its register_agent line is what this test is about)

    assert "turn-around" in AGENTS and make_agent("turn-around").name == "turn-around"
    rec = run_job(EpisodeJob("tos-2room", 0, "turn-around"))
    assert rec.error is None
    assert rec.result["actions"] == ["Actions: [Rotate(90), Observe()]"] * 4 + ["Actions: [Term()]"]
    # through the evaluation, in fresh worker processes: only those told to import the plugin know the agent
    cfg = dict(suite="tos-2room", agents=["turn-around"], n_scenes=2, launcher={"name": "local", "workers": 2})
    without = spacelab.evaluate(str(tmp_path / "without"), **cfg)
    assert without["n_errors"] == 2
    summary = spacelab.evaluate(str(tmp_path / "with"), **cfg, plugins=["tests.toy_agent"])
    assert summary["n_errors"] == 0 and [r["agent"] for r in summary["rows"]] == ["turn-around"]
    lines = [json.loads(x) for x in (tmp_path / "with" / "episodes.jsonl").read_text().splitlines()]
    assert [r["steps"] for r in lines] == [5, 5]


def test_agent_parameters_are_checked_by_the_agent():
    assert make_agent("noisy-oracle@0.25").noise == 0.25
    for bad, msg in [("noisy-oracle@fast", "bad noise level in 'noisy-oracle@fast'"),
                     ("noisy-oracle@-1", "bad noise level"), ("scout@3", "agent 'scout' takes no parameter"),
                     ("replay", "replay needs a results file")]:
        with pytest.raises(ValueError, match=msg):
            make_agent(bad)
