"""An episode driven from outside the process (HTTP or MCP): actions and probe answers
arrive as data, and the record is the same as for an in-process agent.

Probe answers for a turn are submitted after it (`submit_probes`); a turn whose probes
were never sent is scored as an empty map (and logged) when the next turn starts, so the
per-step logs stay aligned.

Everything a client sends is checked before the episode is touched: a refused request
(RemoteError) leaves the episode exactly as it was. A turn that passes those checks but
breaks the action grammar is played as an invalid action (recorded, one turn used), as it
is for an in-process agent. Not thread-safe: one caller at a time (the HTTP server runs
each session on its own thread).
"""

from __future__ import annotations

import base64
import re
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from perception.cogmap import MAX_REPLY_CHARS, normalise_name
from perception.visibility import MAX_FOV_DEG, MAX_RANGE_M, ViewConfig
from scenes.suites import DEFAULT_SUITE, load_suite_scene
from sim.actions import ActionError, parse_turn
from sim.env import OBS_MODES, ExplorationEnv
from spacelab.evaluation.jobs import EpisodeJob
from spacelab.evaluation.session import EpisodeSession, ProbeAnswers

MAX_STEPS = 1000  # turn budget cap for a served episode
MAX_ACTIONS_PER_TURN = 16  # motions + the final action: bounds the physics one request can ask for
MAX_ACTION_CHARS = 65_536  # a turn string (room for a model's reasoning before "Actions: [...]")
PROBE_KINDS = ("global", "local", "unexplored")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # an object or door name, as the scenes spell them


class RemoteError(ValueError):
    """A request that cannot be served in the episode's current state (message says why).
    `status` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class EpisodeSpec(BaseModel):
    """What a client may choose for an episode; every field checked (types strict, ranges bounded)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    suite: str = Field(DEFAULT_SUITE, max_length=64)
    index: int = Field(0, ge=0, le=1_000_000)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    max_steps: int = Field(EpisodeJob.max_steps, ge=1, le=MAX_STEPS)
    obs_mode: Literal[OBS_MODES] = EpisodeJob.obs_mode  # type: ignore[valid-type]
    probe: bool = True
    fov_deg: float = Field(EpisodeJob.fov_deg, gt=0, le=MAX_FOV_DEG, allow_inf_nan=False)
    max_range: float = Field(EpisodeJob.max_range, gt=0, le=MAX_RANGE_M, allow_inf_nan=False)

    @classmethod
    def from_dict(cls, d: dict | None) -> EpisodeSpec:
        if d is not None and not isinstance(d, dict):
            raise RemoteError("the episode spec must be a JSON object")
        try:
            return cls.model_validate(d or {})
        except ValidationError as e:
            raise RemoteError(one_line(e, cls)) from None


def one_line(e: ValidationError, model: type[BaseModel]) -> str:
    """A pydantic error as one short line that names the field and what it must be."""
    errors = e.errors(include_url=False)
    names = {n: f.alias or n for n, f in model.model_fields.items()}
    extra = [str(x["loc"][0]) for x in errors if x["type"] == "extra_forbidden" and x["loc"]]
    if extra:
        return f"unknown field(s): {', '.join(_clip(x) for x in extra)}; allowed: {', '.join(names.values())}"
    x = errors[0]
    field = _clip(".".join(str(p) for p in x["loc"]) or "body")
    kind, ctx = x["type"], x.get("ctx") or {}
    info = next((f for n, f in model.model_fields.items() if x["loc"] and x["loc"][0] in (n, f.alias)), None)
    if kind == "missing":
        return f"missing field '{field}'"
    bounds = {k: v for m in (info.metadata if info else []) for k in ("gt", "ge", "lt", "le")
              if (v := getattr(m, k, None)) is not None}
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{field} must be an integer"
    if kind in ("float_type", "float_parsing"):
        return f"{field} must be a number"
    if kind == "finite_number":
        return f"{field} must be a finite number"
    if kind == "string_type":
        return f"{field} must be a string"
    if kind == "bool_type":
        return f"{field} must be true or false"
    if kind == "literal_error":
        return f"{field} must be one of {ctx.get('expected')}, got {_clip(repr(x.get('input')))}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal") and bounds:
        got = _clip(repr(x.get("input")))
        if bounds.keys() == {"ge", "le"}:
            return f"{field} must be between {bounds['ge']} and {bounds['le']}, got {got}"
        ops = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
        return f"{field} must be {' and '.join(f'{ops[k]} {v}' for k, v in bounds.items())}, got {got}"
    return f"{field}: {x['msg']}"


def _clip(s: str, n: int = 60) -> str:
    """At most n characters of a client's text for an error line: control and other unprintable
    characters (newlines, carriage returns, terminal escapes) as their escapes."""
    s = s if s.isprintable() else repr(s[:n + 1])[1:-1]
    return s if len(s) <= n else s[:n] + "..."


def check_name(name) -> str:
    """An object or door name for MoveTo/Query, normalised; never spliced into the grammar unchecked."""
    if not isinstance(name, str):
        raise RemoteError(f"a target must be a string, not {type(name).__name__}")
    norm = normalise_name(name[:200])
    if len(name) > 200 or not NAME.match(norm):
        raise RemoteError(f"bad target {_clip(repr(name))}: a name is letters, digits and _ (e.g. door_0, tv)")
    return norm


def encode_frame(frame) -> dict:
    """An RGB-D-segmentation frame for the wire: PNGs as base64. Depth is a 16-bit PNG in
    millimetres (0 = nothing within 65.535 m); segmentation a 16-bit PNG of entity index + 1
    (0 = walls, floor, sky)."""
    import cv2

    def png(img) -> str:
        ok, buf = cv2.imencode(".png", img)
        if not ok:
            raise RuntimeError("PNG encoding failed")
        return base64.b64encode(buf.tobytes()).decode("ascii")

    depth = np.nan_to_num(np.asarray(frame.depth, float) * 1000.0, nan=0.0, posinf=0.0, neginf=0.0)
    depth = np.where((depth > 0) & (depth < 65535.5), np.rint(depth), 0).astype(np.uint16)
    seg = np.clip(np.asarray(frame.segmentation, np.int64) + 1, 0, 65535).astype(np.uint16)
    k = frame.intrinsics
    return {"width": int(k.width), "height": int(k.height), "fovy_deg": float(k.fovy_deg),
            "rgb_png": png(np.ascontiguousarray(np.asarray(frame.rgb, np.uint8)[:, :, ::-1])),
            "depth_png_mm": png(depth), "segmentation_png": png(seg),
            "cam_pos": [float(v) for v in np.ravel(frame.cam_pos)],
            "cam_rot": [[float(v) for v in row] for row in np.asarray(frame.cam_rot)]}


def wire_info(info: dict) -> dict:
    """The step info as plain JSON data (the in-memory frame becomes PNGs)."""
    if "frame" not in info:
        return info
    return {**info, "frame": encode_frame(info["frame"])}


class RemoteEpisode:
    def __init__(self, spec: EpisodeSpec) -> None:
        if not isinstance(spec, EpisodeSpec):
            spec = EpisodeSpec.from_dict(spec)
        self.spec = spec
        scene = load_suite_scene(spec.suite, spec.index)  # raises SceneError for a bad suite/index
        self.env = ExplorationEnv(scene, max_steps=spec.max_steps, obs_mode=spec.obs_mode,
                                  view=ViewConfig(fov_deg=spec.fov_deg, max_range=spec.max_range))
        self.session = EpisodeSession(self.env, probe=spec.probe)
        self.pending_probe = False
        self.motions: list[str] = []
        self.failed: str | None = None  # set when the episode hit an internal error mid-update

    def reset(self):
        self.motions = []
        self.pending_probe = False
        self.failed = None
        return self.session.reset(seed=self.spec.seed)

    def _usable(self) -> None:
        if self.failed:
            raise RemoteError(f"this episode failed ({self.failed}); reset it or start a new one", status=409)

    def check_turn(self, action) -> None:
        """Everything that would refuse `action`, checked before anything changes."""
        self._usable()
        if self.session.done:
            raise RemoteError("the episode is over: reset it or start a new one")
        if not isinstance(action, str):
            raise RemoteError("action must be a string such as 'Actions: [Rotate(90), Observe()]'")
        if len(action) > MAX_ACTION_CHARS:
            raise RemoteError(f"action is {len(action)} characters, over the {MAX_ACTION_CHARS} limit", status=413)
        try:
            n = len(parse_turn(action))
        except ActionError:
            return  # played as an invalid action (recorded, one turn), as in-process; no physics runs
        if n > MAX_ACTIONS_PER_TURN:
            raise RemoteError(f"a turn may hold at most {MAX_ACTIONS_PER_TURN} actions, got {n}", status=413)

    def step(self, action):
        self.check_turn(action)
        try:
            self._flush_probe()
            out = self.session.step(action)
        except Exception as e:  # a bug, not bad input: the turn may be half applied, so stop here
            self.failed = f"internal error: {type(e).__name__}"
            raise
        self.pending_probe = self.spec.probe
        return out

    def check_probes(self, answers) -> None:
        self._usable()
        if not self.spec.probe:
            raise RemoteError("this session was created with probe=false")
        if not self.pending_probe:
            raise RemoteError("no turn to probe: probe answers follow a step, once")
        if not isinstance(answers, dict):
            raise RemoteError("probe answers must be an object: {\"global\": ..., \"local\": ..., \"unexplored\": ...}")
        unknown = set(answers) - set(PROBE_KINDS)
        if unknown:
            raise RemoteError(f"unknown probe kind(s): {', '.join(_clip(str(k), 30) for k in sorted(unknown, key=str))}; "
                              f"allowed: {', '.join(PROBE_KINDS)}")
        for kind, reply in answers.items():
            if reply is not None and not isinstance(reply, (str, dict)):
                raise RemoteError(f"probe '{kind}' must be text or a JSON object, not {type(reply).__name__}")
            if isinstance(reply, str) and len(reply) > MAX_REPLY_CHARS:
                raise RemoteError(f"probe '{kind}' is {len(reply)} characters, over the {MAX_REPLY_CHARS} limit", status=413)
        # content is scored as in-process: unreadable maps and out-of-range values count as wrong, logged

    def submit_probes(self, answers: dict) -> dict:
        self.check_probes(answers)
        try:
            row = self.session.after_step(ProbeAnswers(answers))
        except Exception as e:
            self.failed = f"internal error while scoring probes: {type(e).__name__}"
            raise
        self.pending_probe = False
        return row

    def _flush_probe(self) -> None:
        if self.pending_probe:
            self.pending_probe = False
            self.session.after_step(ProbeAnswers({}))

    def record(self) -> dict:
        self._usable()
        self._flush_probe()
        rec = self.session.record()
        return {"suite": self.spec.suite, "index": self.spec.index, "seed": self.spec.seed,
                "scene": f"{self.spec.suite}/{self.spec.index}", **rec}

    def status(self) -> dict:
        env = self.env
        return {"suite": self.spec.suite, "index": self.spec.index, "steps": env.steps, "steps_left": env.max_steps - env.steps,
                "done": self.session.done, "observed": sorted(env.observed), "cost": env.cost,
                "pending_probe": self.pending_probe, "failed": self.failed}

    def close(self) -> None:
        self.env.close()
