"""A language model picks the next house skill through any OpenAI-compatible chat endpoint.

The conversation (`planners.house.prompts`): a system prompt with the floor plan and the
skill list (preconditions and effects from the primitives' records), then the task and
the start observation, then after every call the observation's text
(`HouseObservation.to_text()`) and the number of calls left; one assistant message per
turn. The reply's last line starting with ``Call:`` is parsed with
`perception.house_data.parse_call`; ``Call: done`` ends the episode.

A reply that is not a skill call (no call, bad syntax, an unknown skill, a wrong number of
arguments) is recorded as invalid (``stats()["invalid_replies"]``, and the text with the
parse error under ``stats()["invalid"]``) and the episode goes on: **the fallback is
look_around**, an information-only skill that changes nothing in the world, so the
episode measures the model and not a planner standing in for it; the next user message
tells the model its reply was invalid. A well-formed call that fails in the world (an
unknown name, an unmet precondition) is not invalid: the executor reports the failure.
Endpoint failures are retried by the shared client (`planners.agents.llm.ChatClient`);
after the last retry `LLMError` propagates and the runner records the episode as an error.

The agent also keeps a `HouseBelief` from the same observations, for the belief probes
(snapshot, containment accuracy, entropy); it does not use it to act.

Example (against a local vLLM server):
    >>> agent = LLMPlanner(LLMConfig(base_url="http://localhost:8000/v1", model="Qwen/Qwen2.5-7B-Instruct"))  # doctest: +SKIP
    >>> read_reply("I should look first.\\nCall: navigate_to(room_1)")
    SkillCall(skill='navigate_to', args=('room_1',))
    >>> read_reply("All done.\\nCall: done") is None
    True
"""

from __future__ import annotations

import re
from dataclasses import asdict

from perception.house_belief import HouseBelief
from perception.house_data import HouseObservation, HouseTask, Layout, SkillCall, parse_call
from planners.agents.llm import ChatClient, LLMConfig, Usage
from planners.house import prompts
from planners.house.base import HouseAgent

FALLBACK = SkillCall("look_around")
_CALL_LINE = re.compile(r"^\s*\**\s*call\s*\**\s*:\s*(.*)$", re.IGNORECASE | re.MULTILINE)
DONE = ("done", "done()", "stop", "stop()")


def read_reply(reply: str) -> SkillCall | None:
    """The call in a reply (its last ``Call:`` line, else its last non-empty line); None for
    ``done``. Raises ValueError (one line) when it is not a skill call."""
    if not isinstance(reply, str) or not reply.strip():
        raise ValueError("empty reply")
    found = _CALL_LINE.findall(reply)
    text = found[-1] if found else [ln for ln in reply.splitlines() if ln.strip()][-1]
    text = text.strip().strip("`*").strip().rstrip(".")
    if text.lower() in DONE:
        return None
    return parse_call(text)


class LLMPlanner(HouseAgent):
    name = "llm-planner"
    sensors = "symbolic"

    @classmethod
    def from_spec(cls, arg: str = "", options: dict | None = None) -> LLMPlanner:
        """The endpoint, model and prices come from `options` (see `LLMConfig`)."""
        cls.parse_arg(arg)
        return cls(LLMConfig.from_dict(options))

    def __init__(self, cfg: LLMConfig | None = None) -> None:
        self.cfg = cfg or LLMConfig()
        self.client = ChatClient(self.cfg)
        self.messages: list[dict] = []
        self.belief: HouseBelief | None = None

    def reset(self, task: HouseTask, layout: Layout, seed: int, keep_memory: bool = False) -> None:
        self.task, self.seed = task, seed
        if keep_memory and self.belief is not None and self.messages:
            self.belief.restart(layout)
            self.messages.append({"role": "user", "content": prompts.RESTART.format(task=task.text)})
            self.opening = "restart"
        else:
            self.belief = HouseBelief(layout)
            self.messages = [{"role": "system", "content": prompts.system_prompt(
                layout.rooms, layout.doors, layout.start_room, task.max_skills)}]
            self.opening = "task"
        self.belief.add_items(g[1] for g in task.goal)
        self.calls, self.done, self.note = 0, False, ""
        self.invalid: list[dict] = []
        self.client.usage = Usage()

    def observe(self, obs: HouseObservation, truth: frozenset | None = None) -> None:
        self.belief.update(obs)
        left = self.task.max_skills - self.calls
        if self.opening == "task":
            text = prompts.TASK.format(task=self.task.text, obs=obs.to_text(), left=left)
        elif self.opening == "restart":
            text = obs.to_text() + "\n" + prompts.TURN.format(obs="", left=left).lstrip("\n")
        else:
            text = prompts.TURN.format(obs=obs.to_text(), left=left)
        self.opening = ""
        if self.note:
            text = self.note + "\n" + text
            self.note = ""
        self.messages.append({"role": "user", "content": text})

    def act(self) -> SkillCall | None:
        if self.done or self.calls >= self.task.max_skills:
            return None
        reply = self.client.complete(self.messages)
        self.messages.append({"role": "assistant", "content": reply})
        try:
            call = read_reply(reply)
        except ValueError as e:
            self.invalid.append({"call": self.calls, "reply": reply[:300], "error": str(e)[:200]})
            self.note = prompts.INVALID.format(error=str(e)[:200], fallback=str(FALLBACK))
            call = FALLBACK
        if call is None:
            self.done = True
            return None
        self.calls += 1
        return call

    def stats(self) -> dict:
        u = self.client.usage
        cost = (u.prompt_tokens * self.cfg.price_prompt_per_1k + u.completion_tokens * self.cfg.price_completion_per_1k) / 1000
        return {"replans": [], "node_expansions": 0, "invalid_replies": len(self.invalid), "invalid": list(self.invalid),
                "library_calls": 0, "skill_calls_planned": 0, "fallback": str(FALLBACK),
                "llm": {**asdict(u), "latency_s": round(u.latency_s, 3), "cost_usd": round(cost, 6), "model": self.cfg.model}}


__all__ = ["DONE", "FALLBACK", "LLMPlanner", "read_reply"]
