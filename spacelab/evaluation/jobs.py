"""Typed units of work: an `EpisodeJob` says what to run, an `EpisodeRecord` what came of it.

Every default of an episode lives here once (or in the layer that owns it: the turn budget
in `sim.actions`, the field of view in `perception.visibility.ViewConfig`); `EvalConfig`,
the servers and the launchers take theirs from these fields.

Example:
    >>> job = EpisodeJob.from_dict({"suite": "tos-2room", "index": 3, "agent": "scout", "seed": 3})
    >>> job.max_steps, job.key
    (20, ('tos-2room', 3, 'scout', 'active', '', 3))
    >>> EpisodeJob.from_dict({"suite": "tos-2room", "index": 0, "agent": "scout", "budget": 9})
    Traceback (most recent call last):
    ...
    ValueError: unknown job field(s): budget; allowed: suite, index, agent, seed, protocol, config_hash, max_steps, fov_deg, max_range, backend, obs_mode, image_format, proxy, agent_options, plugins, profile, task, executor
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields

from perception.visibility import ViewConfig
from scenes.jsonio import iter_jsonl
from sim.actions import DEFAULT_MAX_STEPS
from sim.env import DEFAULT_BACKEND, IMAGE_MIME, OBS_MODES
from sim.manip.house_rules import EXECUTOR_KINDS

EXECUTORS = EXECUTOR_KINDS  # what runs a house task's skills: MuJoCo, or the rule-based twin
HOUSE_PROTOCOLS = ("active", "false-belief")  # house tasks: the task, or the task then a second one after items moved
PASSIVE_PROXY = "scout"  # who drives in the passive protocol unless a job says otherwise

_TYPES = {int: "an integer", float: "a number", str: "a string", dict: "a mapping", (list, tuple): "a list"}


@dataclass(frozen=True)
class EpisodeJob:
    """One episode to run: scene `index` of `suite`, played by `agent` under `protocol`."""

    suite: str
    index: int
    agent: str
    seed: int = 0
    protocol: str = "active"
    config_hash: str = ""  # hash of the settings that change outcomes (see evaluate.config_hash)
    max_steps: int = DEFAULT_MAX_STEPS
    fov_deg: float = ViewConfig.fov_deg
    max_range: float = ViewConfig.max_range
    backend: str = DEFAULT_BACKEND
    obs_mode: str = OBS_MODES[0]
    image_format: str = next(iter(IMAGE_MIME))
    proxy: str = PASSIVE_PROXY
    agent_options: dict = field(default_factory=dict)  # per agent base name, e.g. {"llm": {"model": ...}}
    plugins: tuple = ()  # modules imported before the episode: your register_agent(...) lines run in every worker
    profile: str = ""  # "tos" or "spacelab": wording and scoring; "" = the suite's own (tos on the tos-* suites)
    task: str = ""  # a house task (fetch, stow, find, rearrange) played by a planner agent; "" = exploration
    executor: str = "physics"  # house tasks: "physics" (MuJoCo, the mobile Panda's skills) or "symbolic" (its rule-based twin)

    @classmethod
    def from_dict(cls, d: dict) -> "EpisodeJob":
        """A job from plain data (a config, JSON, a remote request); one-line errors name the field."""
        if not isinstance(d, dict):
            raise ValueError(f"a job must be a mapping, got {type(d).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = [k for k in d if k not in names]
        if unknown:
            raise ValueError(f"unknown job field(s): {', '.join(map(str, unknown))}; allowed: {', '.join(names)}")
        missing = [n for n in ("suite", "index", "agent") if n not in d]
        if missing:
            raise ValueError(f"job needs {', '.join(missing)}")
        for f in fields(cls):
            if f.name not in d:
                continue
            want = {"int": int, "float": float, "str": str, "dict": dict, "tuple": (list, tuple)}[f.type]
            v = d[f.name]
            ok = isinstance(v, want) and not isinstance(v, bool) or (want is float and isinstance(v, int) and not isinstance(v, bool))
            if not ok or (want is float and not math.isfinite(v)):
                raise ValueError(f"job field {f.name} must be {'a finite number' if want is float else _TYPES[want]}, got {v!r}")
        if not all(isinstance(m, str) for m in d.get("plugins", ())):
            raise ValueError("job field plugins must be a list of module names")
        return cls(**{**d, "plugins": tuple(d.get("plugins", ()))})

    @property
    def key(self) -> tuple:
        """(suite, scene index, agent, protocol, config hash, seed): what makes an episode unique."""
        return (self.suite, self.index, self.agent, self.protocol, self.config_hash, self.seed)

    @property
    def view(self) -> ViewConfig:
        return ViewConfig(fov_deg=self.fov_deg, max_range=self.max_range)

    @property
    def options(self) -> dict | None:
        """The agent's own options (agent_options under its base name)."""
        return (self.agent_options or {}).get(self.agent.partition("@")[0])

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EpisodeRecord:
    """What one episode gave: the job's key, the protocol's measurements, or the error.

    `result` holds what the protocol measured (steps, coverage, belief, probes, ...; see the
    README's results format); `to_dict()` flattens it into the JSON line that is written.
    """

    suite: str
    index: int
    agent: str
    seed: int
    protocol: str = "active"
    config_hash: str = ""
    error: str | None = None  # None, or "ExceptionType: message"
    traceback: str | None = None
    result: dict = field(default_factory=dict)

    @classmethod
    def for_job(cls, job: EpisodeJob, **kw) -> "EpisodeRecord":
        return cls(job.suite, job.index, job.agent, job.seed, job.protocol, job.config_hash, **kw)

    @property
    def scene(self) -> str:
        return f"{self.suite}/{self.index}"

    @property
    def key(self) -> tuple:
        return (self.suite, self.index, self.agent, self.protocol, self.config_hash, self.seed)

    def to_dict(self) -> dict:
        d = {"suite": self.suite, "index": self.index, "agent": self.agent, "seed": self.seed,
             "protocol": self.protocol, "config_hash": self.config_hash, "scene": self.scene, **self.result,
             "error": self.error}
        if self.traceback is not None:
            d["traceback"] = self.traceback
        return d


def record_key(r: dict) -> tuple:
    """The key of a record read back from JSONL (older records may lack protocol or hash)."""
    return (r["suite"], int(r["index"]), r["agent"], r.get("protocol", "active"), r.get("config_hash", ""), int(r["seed"]))


def key_problem(r: dict) -> str | None:
    """Why `r` cannot be keyed as an episode record (None when it can)."""
    for name, kind in (("suite", str), ("index", int), ("agent", str), ("seed", int)):
        if name not in r:
            return f"no {name!r}"
        if not isinstance(r[name], kind) or isinstance(r[name], bool):
            return f"{name!r} is not {'a string' if kind is str else 'an integer'}"
    for name in ("protocol", "config_hash"):
        if name in r and not isinstance(r[name], str):
            return f"{name!r} is not a string"
    return None


def read_records(path: str, warn=None) -> list[dict]:
    """The episode records of a results file, one per key (a later line replaces an earlier
    one); `warn(message)` hears about every line that was skipped, with file and line number.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "episodes.jsonl")
    >>> _ = open(p, "w").write('{"suite": "s", "index": 0, "agent": "a", "seed": 0, "error": "x"}\\n{"suite": "s"}\\n'
    ...                        '{"suite": "s", "index": 0, "agent": "a", "seed": 0, "error": null}\\n{"torn')
    >>> [r["error"] for r in read_records(p, warn=print)]
    episodes.jsonl:2: skipped: no 'index'
    episodes.jsonl:4: skipped: not JSON (Unterminated string starting at)
    [None]
    """
    name = os.path.basename(path)
    say = warn or (lambda message: None)

    def skipped(number: int, reason: str) -> None:
        say(f"{name}:{number}: skipped: {reason}")

    by_key: dict[tuple, dict] = {}
    for number, r in iter_jsonl(path, on_skip=skipped):
        problem = key_problem(r)
        if problem:
            skipped(number, problem)
            continue
        by_key.pop(record_key(r), None)  # the later line wins, and takes the later place
        by_key[record_key(r)] = r
    return list(by_key.values())
