"""Replay recorded episodes: the same turns again, without calling the model that made them.

Give it an episodes.jsonl (or a list of records); at reset the env tells which scene is
being played and the agent replays that scene's recorded turns in order, then Term().
Probes are answered from the recorded final map only if `maps=True`; by default the
replay keeps its own exact memory of what the replayed turns reveal (an oracle belief on
the recorded trajectory), which is what the passive protocol needs.

Example:
    >>> agent = ReplayAgent([{"scene": "tos-2room/0", "agent": "scout", "actions": ["Actions: [Observe()]"]}])
"""

from __future__ import annotations

import os
from collections import deque

from planners.agents.base import Agent, AgentSpecError
from planners.agents.memory import SpatialMemory
from scenes.jsonio import read_jsonl
from sim.actions import DEFAULT_MAX_STEPS


class ReplayAgent(Agent):
    name = "replay"

    @classmethod
    def parse_arg(cls, arg: str) -> dict:
        if not arg:
            raise AgentSpecError("replay needs a results file: replay@runs/<run>/episodes.jsonl")
        return {"records": arg}

    def __init__(self, records: list[dict] | str, agent: str | None = None, protocol: str = "active") -> None:
        if isinstance(records, str) and not os.path.isfile(records):
            raise ValueError(f"replay file {records!r} does not exist (expected a run's episodes.jsonl)")
        recs = read_jsonl(records) if isinstance(records, str) else list(records)
        self.by_scene: dict[str, dict] = {}
        for r in recs:
            if r.get("error") or (agent and r.get("agent") != agent) or r.get("protocol", "active") != protocol:
                continue
            self.by_scene.setdefault(r.get("scene") or f"{r.get('suite')}/{r.get('index')}", r)
        if not self.by_scene:
            raise ValueError("no finished episodes to replay" + (f" for agent {agent!r}" if agent else ""))

    def reset(self, seed: int = 0, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self.memory = SpatialMemory()
        self.turns: deque[str] | None = None

    def observe(self, observation: str, info: dict) -> None:
        if self.turns is None:
            scene = info.get("scene")
            if scene not in self.by_scene:
                raise ValueError(f"no recorded episode for scene {scene!r} to replay")
            self.turns = deque(self.by_scene[scene]["actions"])
        super().observe(observation, info)

    def act(self, observation: str, info: dict) -> str:
        return self.turns.popleft() if self.turns else "Actions: [Term()]"
