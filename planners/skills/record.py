"""Skill records: one JSON file per skill version, validated field by field.

Example:
    >>> rec = SkillRecord.from_dict({"id": "grasp", "version": 1, "kind": "primitive", "description": "pick up",
    ...                              "params": {"obj": {"type": "string"}}, "preconditions": ["visible(?obj)"],
    ...                              "effects": ["holding(?obj)"]})
    >>> rec.key
    'grasp@1'
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

KINDS = ("primitive", "composite", "policy")
STATUSES = ("draft", "validated", "deprecated")
ROLES = ("block", "any")  # a composite parameter's role: what the planner may bind it to
JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")  # skill ids (and file names): matched whole, ASCII only
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # parameter and argument names
_MODULE = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_POLICY = re.compile(rf"(?P<module>{_MODULE}):(?P<function>[A-Za-z][A-Za-z0-9_]*)")
_BAD_CHARS = re.compile("[\ud800-\udfff]")  # lone surrogates: JSON allows them, no file or terminal does
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # not in one-line text (ids, descriptions, literals)
# Limits on what a record may hold (a skill record is small; anything bigger is not one).
MAX_DEPTH = 16  # nesting of any JSON value inside a record
MAX_ITEMS = 1000  # entries of any list or object
MAX_TEXT = 10_000  # characters of any string
MAX_LINE = 2000  # characters of a description, precondition or effect
MAX_INT = 2**53  # any integer (exact as a float)
MAX_VERSION = 10**9
MAX_COUNT = 10**12  # attempts, successes
MAX_MEAN_STEPS = 1e12
MAX_STEPS = 64  # children of a composite
STAT_KEYS = ("attempts", "successes", "mean_steps")
# Policy skills name a callable `module:function` that is imported and called, so only modules
# under these prefixes may be named: spacelab's own `planners` package, and the modules (or
# packages) listed, comma-separated, in $SPACELAB_POLICY_MODULES.
POLICY_MODULES = ("planners",)
POLICY_ENV = "SPACELAB_POLICY_MODULES"
# The code a skill's measured statistics depend on, by kind: the controllers, the symbolic
# state they are judged by, and what defines a trial (the `spacelab manip check` harness for
# primitives; the symbolic domain and the validation rule for composites). A change to any of
# them makes the statistics measured before it stale.
CODE_MODULES = {
    "primitive": ("sim.manip.skills", "sim.manip.state", "sim.manip.check"),
    "composite": ("sim.manip.skills", "sim.manip.state", "planners.skills.domain", "planners.skills.learn"),
}


@lru_cache(maxsize=None)
def code_fingerprint(kind: str) -> str:
    """sha256 (12 hex digits) of the source of the modules a `kind` skill's statistics depend
    on; "" for a kind without a validation harness (policy)."""
    if kind not in CODE_MODULES:
        return ""
    h = hashlib.sha256()
    for name in CODE_MODULES[kind]:
        with open(importlib.util.find_spec(name).origin, "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()[:12]


def laplace(successes: int, attempts: int) -> float:
    """(successes + 1) / (attempts + 2): an untried skill is a coin flip, never a guess."""
    return (successes + 1) / (attempts + 2)


class SkillError(ValueError):
    """A skill record that cannot be used; the message names the file and field."""


def policy_modules() -> tuple[str, ...]:
    """The module prefixes a policy skill may name: `POLICY_MODULES` and those listed in
    $SPACELAB_POLICY_MODULES (comma-separated module or package names, e.g. `mypkg.policies,other`)."""
    extra = []
    for part in os.environ.get(POLICY_ENV, "").split(","):
        part = part.strip().rstrip(".")
        if not part:
            continue
        if not re.fullmatch(_MODULE, part):
            raise SkillError(f"${POLICY_ENV}: {show(part)} is not a module name (expected e.g. mypkg.policies,other)")
        extra.append(part)
    return POLICY_MODULES + tuple(extra)


def policy_allowed(module: str, allowed: tuple[str, ...] | None = None) -> bool:
    """Whether `module` is one of the allowed modules or inside one of the allowed packages."""
    return any(module == p or module.startswith(p + ".") for p in (policy_modules() if allowed is None else allowed))


def parse_policy(value, source: str = "skill") -> tuple[str, str]:
    """(module, function) of a policy skill's `policy` field, refused (SkillError, one line)
    unless it is `module:function` with the module on the allow-list (`policy_modules`)."""
    m = _POLICY.fullmatch(value) if isinstance(value, str) and len(value) <= 200 else None
    if m is None:
        raise SkillError(f"{source}: field 'policy' must name a callable as 'module:function', got {show(value)}")
    try:
        allowed = policy_modules()
    except SkillError as e:
        raise SkillError(f"{source}: field 'policy' cannot be checked: {e}") from None
    if not policy_allowed(m["module"], allowed):
        raise SkillError(f"{source}: field 'policy' names {value!r}, whose module is not allowed for policy skills "
                         f"(allowed: {', '.join(allowed)}; add modules to ${POLICY_ENV})")
    return m["module"], m["function"]


def show(value, limit: int = 60) -> str:
    """A short one-line repr of any value, for error messages."""
    try:
        s = repr(value)
    except (ValueError, RecursionError):  # an int too long to print, a structure too deep
        s = f"<{type(value).__name__}>"
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for typ, name in ((int, "integer"), (float, "number"), (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, typ):
            return name
    return type(value).__name__


def _sub(where: str, key) -> str:
    return f"{where}.{key}" if isinstance(key, str) and _NAME.fullmatch(key) else f"{where}[{show(key, 40)}]"


class _Checker:
    """Validates the parts of one record; every failure is a one-line SkillError naming the
    source and the field (a dotted path such as `stats.attempts` or `steps[1].args.a0`)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def bad(self, where: str, why: str) -> SkillError:
        return SkillError(f"{self.source}: field '{where}' {why}")

    def typed(self, value, typ, where: str, name: str):
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            raise self.bad(where, f"must be {name}, got {_json_type(value)}")
        return value

    def text(self, value, where: str, limit: int = MAX_TEXT, line: bool = False, empty: bool = True) -> str:
        self.typed(value, str, where, "a string")
        if len(value) > limit:
            raise self.bad(where, f"is longer than {limit} characters")
        if _BAD_CHARS.search(value):
            raise self.bad(where, "holds an unpaired surrogate (\\ud800-\\udfff)")
        if line and _CONTROL.search(value):
            raise self.bad(where, f"must be one line of text without control characters, got {show(value)}")
        if not empty and not value.strip():
            raise self.bad(where, "must not be empty")
        return value

    def integer(self, value, where: str, lo: int, hi: int) -> int:
        self.typed(value, int, where, "an integer")
        if not lo <= value <= hi:
            raise self.bad(where, f"must be >= {lo}" + (f" and <= {hi}" if value > hi else "")
                           + (f", got {value}" if abs(value) <= MAX_INT else ""))
        return value

    def number(self, value, where: str, lo: float, hi: float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.bad(where, f"must be a number, got {_json_type(value)}")
        if isinstance(value, int) and abs(value) > MAX_INT or isinstance(value, float) and not math.isfinite(value):
            raise self.bad(where, f"must be a finite number between {lo} and {hi}")
        if not lo <= value <= hi:
            raise self.bad(where, f"must be between {lo} and {hi}, got {value}")
        return value

    def json(self, value, where: str, depth: int = 0):
        """Any JSON value, bounded: depth, sizes, finite numbers, string keys, no lone surrogates."""
        if depth > MAX_DEPTH:
            raise self.bad(where, f"is nested more than {MAX_DEPTH} levels deep")
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise self.bad(where, "is an integer beyond +-2**53")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise self.bad(where, "must be a finite number")
        elif isinstance(value, str):
            self.text(value, where)
        elif isinstance(value, (list, dict)):
            if len(value) > MAX_ITEMS:
                raise self.bad(where, f"has more than {MAX_ITEMS} entries")
            if isinstance(value, list):
                for i, x in enumerate(value):
                    self.json(x, f"{where}[{i}]", depth + 1)
            else:
                for k, x in value.items():
                    if not isinstance(k, str) or len(k) > 200 or _BAD_CHARS.search(k):
                        raise self.bad(where, f"has a key that is not a short string: {show(k)}")
                    self.json(x, _sub(where, k), depth + 1)
        else:
            raise self.bad(where, f"is not a JSON value ({type(value).__name__})")
        return value

    def mapping(self, value, where: str) -> dict:
        self.typed(value, dict, where, "an object")
        return self.json(value, where)

    def schema(self, value, where: str, depth: int = 1) -> None:
        """A parameter's JSON-schema-like description: the keywords the skills use are checked,
        others only as bounded JSON."""
        if depth > 4:
            raise self.bad(where, "nests schemas more than 4 levels deep")
        self.typed(value, dict, where, "an object (a JSON schema)")
        self.json(value, where, depth)
        for key, x in value.items():
            at = _sub(where, key)
            if key == "type":
                types = x if isinstance(x, list) else [x]
                if not types or not all(isinstance(t, str) and t in JSON_TYPES for t in types):
                    raise self.bad(at, f"must be one of {JSON_TYPES} (or a list of them), got {show(x)}")
            elif key == "role" and x not in ROLES:
                raise self.bad(at, f"must be one of {ROLES}, got {show(x)}")
            elif key == "enum":
                if not isinstance(x, list) or not x or any(isinstance(e, (list, dict)) for e in x):
                    raise self.bad(at, "must be a non-empty list of plain values")
            elif key in ("minimum", "maximum"):
                self.number(x, at, -1e300, 1e300)
            elif key in ("minItems", "maxItems"):
                self.integer(x, at, 0, MAX_ITEMS)
            elif key == "items":
                self.schema(x, at, depth + 1)
            elif key == "description":
                self.text(x, at, limit=MAX_LINE)
        for lo, hi in (("minimum", "maximum"), ("minItems", "maxItems")):
            if lo in value and hi in value and value[lo] > value[hi]:
                raise self.bad(_sub(where, lo), f"is greater than {hi}")

    def literals(self, value, where: str) -> list[str]:
        self.typed(value, list, where, "a list of strings")
        if len(value) > 100:
            raise self.bad(where, "has more than 100 entries")
        for i, x in enumerate(value):
            if not isinstance(x, str):
                raise self.bad(f"{where}[{i}]", f"must be a string, got {_json_type(x)}")
            self.text(x, f"{where}[{i}]", limit=MAX_LINE, line=True, empty=False)
        return list(value)

    def steps(self, value, params: dict) -> list[dict]:
        if not isinstance(value, list) or not value:
            raise self.bad("steps", "must list the child skills of a composite (a non-empty list of "
                                    "{\"skill\": id, \"args\": {...}})")
        if len(value) > MAX_STEPS:
            raise self.bad("steps", f"has more than {MAX_STEPS} children")
        for i, s in enumerate(value):
            where = f"steps[{i}]"
            if not isinstance(s, dict) or set(s) != {"skill", "args"}:
                raise self.bad(where, "must be {\"skill\": id, \"args\": {...}}" +
                               (f", got keys {show(sorted(map(str, s)))}" if isinstance(s, dict) else
                                f", got {_json_type(s)}"))
            if not isinstance(s["skill"], str) or not _ID.fullmatch(s["skill"]):
                raise self.bad(f"{where}.skill", f"must be a skill id (lower_snake_case), got {show(s['skill'])}")
            args = self.typed(s["args"], dict, f"{where}.args", "an object")
            if len(args) > 16:
                raise self.bad(f"{where}.args", "has more than 16 arguments")
            for k, v in args.items():
                at = _sub(f"{where}.args", k)
                if not isinstance(k, str) or not _NAME.fullmatch(k):
                    raise self.bad(at, "is not an argument name (letters, digits, _)")
                if isinstance(v, str):
                    self.text(v, at, limit=200, line=True)
                    if v.startswith("?") and v[1:] not in params:
                        raise self.bad(at, f"names {v!r}, which is not one of the parameters {sorted(params)}")
                elif isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise self.bad(at, f"must be a '?parameter' or a constant string or number, got {_json_type(v)}")
                else:
                    self.number(v, at, -1e300, 1e300)
        return value

    def stats(self, value) -> dict:
        self.typed(value, dict, "stats", "an object")
        for k in value:
            if k not in STAT_KEYS:
                raise self.bad(_sub("stats", k), f"is not a statistic (expected {', '.join(STAT_KEYS)})")
        out = {"attempts": 0, "successes": 0, "mean_steps": 0.0, **value}
        self.integer(out["attempts"], "stats.attempts", 0, MAX_COUNT)
        self.integer(out["successes"], "stats.successes", 0, MAX_COUNT)
        if out["successes"] > out["attempts"]:
            raise self.bad("stats.successes", f"({out['successes']}) must not exceed stats.attempts ({out['attempts']})")
        self.number(out["mean_steps"], "stats.mean_steps", 0, MAX_MEAN_STEPS)
        return out

    def validated_on(self, value) -> dict:
        self.mapping(value, "validated_on")
        for k, x in value.items():
            at = _sub("validated_on", k)
            if k in ("scene_family", "backend", "robot", "code", "by", "skipped"):
                self.text(x, at, limit=MAX_LINE, line=True)
            elif k in ("trials", "setup_failures"):
                self.integer(x, at, 0, MAX_COUNT)
            elif k in ("lower_bound", "threshold"):
                self.number(x, at, 0, 1)
            elif k in ("seeds", "not_applicable") and (
                    not isinstance(x, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in x)):
                raise self.bad(at, "must be a list of integer seeds")
        return value


@dataclass
class SkillRecord:
    id: str
    version: int
    kind: str
    description: str
    params: dict  # name -> JSON schema
    preconditions: list[str]
    effects: list[str]
    steps: list[dict] = field(default_factory=list)  # composite: [{"skill": id, "args": {param: "?var" or value}}]
    policy: str = ""  # policy: "module:callable"
    provenance: dict = field(default_factory=dict)
    stats: dict = field(default_factory=lambda: {"attempts": 0, "successes": 0, "mean_steps": 0.0})
    status: str = "draft"
    validated_on: dict = field(default_factory=dict)  # {"scene_family": ..., "backend": ...}

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def content_hash(self) -> str:
        """Hash of what the skill does (not of its stats or status)."""
        core = {k: v for k, v in asdict(self).items() if k not in ("stats", "status", "validated_on", "provenance")}
        return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hash"] = self.content_hash()
        return d

    @property
    def success_rate(self) -> float:
        return laplace(self.stats.get("successes", 0), self.stats.get("attempts", 0))

    def stale_reasons(self, expected: dict) -> list[str]:
        """Why this record's validation statistics do not describe the skill as it would run
        now: `expected` holds the "scene_family", "backend", "robot" and "code" (fingerprint)
        of that run. [] when they do, or for a kind with no validation (policy)."""
        if self.kind not in CODE_MODULES:
            return []
        v = self.validated_on
        if not v:
            return ["never validated"]
        out = []
        for key, what in (("scene_family", "scene family"), ("backend", "backend"), ("robot", "robot")):
            if key in expected and v.get(key) != expected[key]:
                out.append(f"{what} {v[key]!r}, not {expected[key]!r}" if key in v else f"{what} not recorded")
        if "code" in expected and v.get("code") != expected["code"]:
            out.append(f"code changed since validation ({v['code']} -> {expected['code']})" if v.get("code")
                       else "no code fingerprint (validated by an older version)")
        return out

    @classmethod
    def from_dict(cls, d, source: str = "skill") -> "SkillRecord":
        """A record from its JSON form, every field checked; anything else is a one-line
        SkillError naming `source` (the file) and the field."""
        source = source if isinstance(source, str) and not (_CONTROL.search(source) or _BAD_CHARS.search(source)) \
            else ascii(source)
        c = _Checker(source)
        if not isinstance(d, dict):
            raise SkillError(f"{source}: a skill record must be a JSON object, got {_json_type(d)}")
        known = [f.name for f in fields(cls)] + ["hash"]
        for k in d:
            if k not in known:
                raise SkillError(f"{source}: field {show(k, 40)} is not a skill record field (expected {', '.join(known)})")
        for name in ("id", "version", "kind", "description", "params", "preconditions", "effects"):
            if name not in d:
                raise c.bad(name, "is missing")
        if not isinstance(d["id"], str) or not _ID.fullmatch(d["id"]):
            raise c.bad("id", f"must be lower_snake_case (a-z, 0-9, _; at most 64 characters), got {show(d['id'])}")
        c.integer(d["version"], "version", 1, MAX_VERSION)
        if d["kind"] not in KINDS:
            raise c.bad("kind", f"must be one of {KINDS}, got {show(d['kind'])}")
        kind = d["kind"]
        c.text(d["description"], "description", limit=MAX_LINE, line=True)
        params = c.typed(d["params"], dict, "params", "an object")
        if len(params) > 64:
            raise c.bad("params", "has more than 64 parameters")
        for name, schema in params.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise c.bad(_sub("params", name), "is not a parameter name (letters, digits, _; at most 64)")
            c.schema(schema, _sub("params", name))
        preconditions = c.literals(d["preconditions"], "preconditions")
        effects = c.literals(d["effects"], "effects")
        status = d.get("status", "draft")
        if status not in STATUSES:
            raise c.bad("status", f"must be one of {STATUSES}, got {show(status)}")
        steps = d.get("steps", [])
        if kind == "composite":
            steps = c.steps(steps, params)
        elif steps != []:
            raise c.bad("steps", f"must be empty for a {kind} skill (only a composite has child skills)")
        policy = d.get("policy", "")
        if kind == "policy":
            parse_policy(policy, source)
        elif policy != "":
            raise c.bad("policy", f"must be empty for a {kind} skill (only a policy skill names a callable)")
        provenance = c.mapping(d.get("provenance", {}), "provenance")
        stats = c.stats(d.get("stats", {}))
        validated_on = c.validated_on(d.get("validated_on", {}))
        rec = cls(id=d["id"], version=d["version"], kind=kind, description=d["description"], params=params,
                  preconditions=preconditions, effects=effects, steps=steps, policy=policy, provenance=provenance,
                  stats=stats, status=status, validated_on=validated_on)
        if "hash" in d:
            if not isinstance(d["hash"], str):
                raise c.bad("hash", f"must be a string, got {_json_type(d['hash'])}")
            if d["hash"] != rec.content_hash():
                raise c.bad("hash", "does not match the content (the file was edited by hand: bump the version or drop the hash)")
        return rec
