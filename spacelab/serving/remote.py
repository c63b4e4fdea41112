"""An episode driven from outside the process (HTTP or MCP): actions and probe answers
arrive as data, and the record is the same as for an in-process agent.

Probe answers for a turn are submitted after it (`submit_probes`); a turn whose probes
were never sent is scored as an empty map (and logged) when the next turn starts, so the
per-step logs stay aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

from perception.visibility import ViewConfig
from scenes.suites import DEFAULT_SUITE, load_suite_scene
from sim.env import ExplorationEnv
from spacelab.evaluation.jobs import EpisodeJob
from spacelab.evaluation.session import EpisodeSession, ProbeAnswers


class RemoteError(ValueError):
    """A request that cannot be served in the episode's current state (message says why)."""


@dataclass
class EpisodeSpec:
    suite: str = DEFAULT_SUITE
    index: int = 0
    seed: int = 0
    max_steps: int = EpisodeJob.max_steps
    obs_mode: str = EpisodeJob.obs_mode
    probe: bool = True
    fov_deg: float = EpisodeJob.fov_deg
    max_range: float = EpisodeJob.max_range

    @classmethod
    def from_dict(cls, d: dict | None) -> "EpisodeSpec":
        d = dict(d or {})
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise RemoteError(f"unknown field(s): {', '.join(sorted(unknown))}; allowed: {', '.join(cls.__dataclass_fields__)}")
        for key, typ in (("suite", str), ("obs_mode", str)):
            if key in d and not isinstance(d[key], typ):
                raise RemoteError(f"{key} must be a string")
        for key in ("index", "seed", "max_steps"):
            if key in d and (not isinstance(d[key], int) or isinstance(d[key], bool)):
                raise RemoteError(f"{key} must be an integer")
        if "probe" in d and not isinstance(d["probe"], bool):
            raise RemoteError("probe must be true or false")
        spec = cls(**d)
        if not 1 <= spec.max_steps <= 1000:
            raise RemoteError(f"max_steps must be between 1 and 1000, got {spec.max_steps}")
        return spec


class RemoteEpisode:
    def __init__(self, spec: EpisodeSpec) -> None:
        self.spec = spec
        scene = load_suite_scene(spec.suite, spec.index)  # raises SceneError for a bad suite/index
        self.env = ExplorationEnv(scene, max_steps=spec.max_steps, obs_mode=spec.obs_mode,
                                  view=ViewConfig(fov_deg=spec.fov_deg, max_range=spec.max_range))
        self.session = EpisodeSession(self.env, probe=spec.probe)
        self.pending_probe = False
        self.motions: list[str] = []

    def reset(self):
        self.motions = []
        self.pending_probe = False
        return self.session.reset(seed=self.spec.seed)

    def step(self, action: str):
        if self.session.done:
            raise RemoteError("the episode is over: reset it or start a new one")
        if not isinstance(action, str):
            raise RemoteError("action must be a string such as 'Actions: [Rotate(90), Observe()]'")
        self._flush_probe()
        out = self.session.step(action)
        self.pending_probe = self.spec.probe
        return out

    def submit_probes(self, answers: dict) -> dict:
        if not self.spec.probe:
            raise RemoteError("this session was created with probe=false")
        if not self.pending_probe:
            raise RemoteError("no turn to probe: probe answers follow a step, once")
        if not isinstance(answers, dict):
            raise RemoteError("probe answers must be an object: {\"global\": ..., \"local\": ..., \"unexplored\": ...}")
        self.pending_probe = False
        return self.session.after_step(ProbeAnswers(answers))

    def _flush_probe(self) -> None:
        if self.pending_probe:
            self.pending_probe = False
            self.session.after_step(ProbeAnswers({}))

    def record(self) -> dict:
        self._flush_probe()
        rec = self.session.record()
        return {"suite": self.spec.suite, "index": self.spec.index, "seed": self.spec.seed,
                "scene": f"{self.spec.suite}/{self.spec.index}", **rec}

    def status(self) -> dict:
        env = self.env
        return {"suite": self.spec.suite, "index": self.spec.index, "steps": env.steps, "steps_left": env.max_steps - env.steps,
                "done": self.session.done, "observed": sorted(env.observed), "cost": env.cost,
                "pending_probe": self.pending_probe}

    def close(self) -> None:
        self.env.close()
