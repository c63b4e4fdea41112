"""The tos profile end to end: ToS wording in, ToS prompts out, ToS scoring of the maps."""


from planners.agents import prompts_tos
from planners.agents.llm import LLMAgent, LLMConfig
from scenes.suites import load_suite_scene
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode
from tests.fake_llm import Recorder, ScriptedChat
from tests.scene_fixtures import play


class ToSRecorder(Recorder):
    """What a model prompted in ToS's words would have said."""

    @staticmethod
    def say_turn(turn: str) -> str:
        return f"<think>keep sweeping</think> <answer> {turn} </answer>"

    @staticmethod
    def say_map(map_json: str) -> str:
        return "<answer>```json\n" + map_json + "\n```</answer>"


def test_a_language_agent_in_the_tos_profile_gets_tos_prompts_and_the_same_record():
    scene = load_suite_scene("tos-2room", 3)
    rec_agent = ToSRecorder()
    expected = run_episode(ExplorationEnv(scene, text_profile="tos"), rec_agent, seed=3)
    chat = ScriptedChat(rec_agent.script)
    try:
        got = run_episode(ExplorationEnv(scene, text_profile="tos"), LLMAgent(LLMConfig(base_url=chat.url, model="m")), seed=3)
    finally:
        chat.close()
    assert got["actions"] == expected["actions"] and got["belief"] == expected["belief"]
    first = chat.requests[0]["messages"]
    assert first[0]["content"].startswith(prompts_tos.SYSTEM.split("{")[0][:40])
    assert first[1]["content"].endswith(prompts_tos.START)
    probes = [r["messages"][-1]["content"] for r in chat.requests if r["messages"][-1]["content"] == prompts_tos.PROBES["global"]]
    assert len(probes) == expected["steps"]  # one ToS global-map probe per turn


def test_doors_named_by_colour_are_move_targets_in_the_tos_profile():
    from tests.scene_fixtures import two_rooms

    env = ExplorationEnv(two_rooms(), text_profile="tos")
    env.reset()
    env.step("Actions: [Observe()]")
    obs, _, _, _, info = env.step("Actions: [MoveTo(red door), Observe()]")
    assert info["invalid"] is None and info["turn"] == "Actions: [MoveTo(door_0), Observe()]"
    assert obs.startswith("You moved at red door. This gate connects rooms 1 and 2.")


def test_eval_jobs_on_tos_suites_use_the_tos_profile_and_record_it():
    rec = play({"suite": "tos-2room", "index": 0, "agent": "oracle", "seed": 0})
    assert rec["profile"] == "tos" and rec["belief"]["final"]["overall"] == 1.0
    spl = play({"suite": "tos-2room", "index": 0, "agent": "noisy-oracle@0.5", "seed": 0, "profile": "spacelab"})
    tos = play({"suite": "tos-2room", "index": 0, "agent": "noisy-oracle@0.5", "seed": 0})
    assert spl["profile"] == "spacelab" and spl["actions"] == tos["actions"]
    # same maps, two rulebooks: against the full truth they agree here, but scored against what had
    # been seen, ToS keeps the episode's L (from every object) where spacelab recomputes it
    assert spl["belief"]["final"]["overall"] == tos["belief"]["final"]["overall"] == 0.7446
    assert [p["overall_seen"] for p in spl["probes"][:4]] == [1.0, 0.9371, 0.9577, 0.8034]
    assert [p["overall_seen"] for p in tos["probes"][:4]] == [1.0, 0.9602, 0.9651, 0.8144]

