"""One episode as a session: step it turn by turn, collect probes, produce the record.

`run_episode` drives a session with an in-process agent; the HTTP and MCP servers drive
the same session class with actions and probe answers that arrive over the wire, so an
episode gives the same record whichever way it was played.
"""

from __future__ import annotations

import time

from perception.probing import ProbeTracker
from sim.env import ExplorationEnv

MAX_TURN_CHARS = 1_000_000


class ProbeAnswers:
    """Probe replies sent by a remote agent for the current step, looked up by kind."""

    def __init__(self, answers: dict | None) -> None:
        self.answers = answers or {}

    def probe(self, kind: str = "global"):
        return self.answers.get(kind)


class EpisodeSession:
    def __init__(self, env: ExplorationEnv, probe: bool = True) -> None:
        self.env = env
        self.probe = probe

    def reset(self, seed: int = 0):
        self.t0 = time.perf_counter()
        obs, info = self.env.reset(seed=seed)
        # maps are read and scored by the same profile the env words its text in (tos or spacelab)
        self.tracker = ProbeTracker(self.env, profile=self.env.text_profile) if self.probe else None
        self.actions: list[str] = []
        self.invalid: list[dict] = []
        self.first_seen: dict[str, int] = {}
        self.steps_to_full = None
        self.terminated = False
        self.done = False
        self.info = info
        return obs, info

    def step(self, turn):
        if isinstance(turn, str) and len(turn) > MAX_TURN_CHARS:
            turn = f"<reply of {len(turn)} characters, over the {MAX_TURN_CHARS} limit>"
        obs, reward, terminated, truncated, info = self.env.step(turn)
        self.actions.append(info["turn"])
        if info["invalid"]:
            self.invalid.append({"step": info["step"], "turn": info["turn"], "reason": info["invalid"]})
        for name in info["new"]:
            self.first_seen.setdefault(name, info["step"])
        if self.steps_to_full is None and info["coverage"] >= 1.0:
            self.steps_to_full = info["step"]
        self.terminated = terminated
        self.done = terminated or truncated
        self.info = info
        return obs, reward, terminated, truncated, info

    def after_step(self, prober) -> dict | None:
        """Probe `prober` (an agent, or ProbeAnswers) about the step just taken."""
        return self.tracker.after_step(prober, self.info) if self.tracker is not None else None

    def record(self) -> dict:
        env = self.env
        object_names = {o.name for o in env.scene.objects}
        n_doors = len(env.scene.doors)
        record = {
            "steps": env.steps,
            "terminated_by_agent": bool(self.terminated),
            "actions": self.actions,
            "invalid_actions": self.invalid,
            "n_invalid": len(self.invalid),
            "coverage": env.object_coverage,
            "full_coverage": env.object_coverage >= 1.0,
            "steps_to_full_coverage": self.steps_to_full,
            "doors_observed": sum(1 for n in env.observed if n not in object_names) / n_doors if n_doors else 1.0,
            "observed": sorted(env.observed),
            "first_seen": self.first_seen,
            "cost": env.cost,
            "physics_steps": env.physics_steps,  # this episode's, from its reset
            "contact_ticks": env.contact_ticks,
            "sim_time_s": round(env.physics_steps * env.backend.timestep, 3),
            "trajectory": env.trajectory,
            "free_coverage": round(env.free_space_coverage, 4),
            "wall_time_s": round(time.perf_counter() - self.t0, 4),
        }
        if self.tracker is not None:
            record["belief"] = self.tracker.summary()
            record["probes"] = self.tracker.rows
            record["probe_errors"] = self.tracker.probe_errors
            record["final_map"] = self.tracker.last_global.to_dict()
        return record
