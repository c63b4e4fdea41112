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
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

KINDS = ("primitive", "composite", "policy")
STATUSES = ("draft", "validated", "deprecated")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
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
        def bad(field_name, why):
            return SkillError(f"{source}: field '{field_name}' {why}")

        if not isinstance(d, dict):
            raise SkillError(f"{source}: a skill record must be a JSON object")
        for name, typ in (("id", str), ("version", int), ("kind", str), ("description", str), ("params", dict),
                          ("preconditions", list), ("effects", list)):
            if name not in d:
                raise bad(name, "is missing")
            if not isinstance(d[name], typ) or (typ is int and isinstance(d[name], bool)):
                raise bad(name, f"must be {typ.__name__}, got {type(d[name]).__name__}")
        if not _ID.match(d["id"]):
            raise bad("id", f"must be lower_snake_case, got {d['id']!r}")
        if d["version"] < 1:
            raise bad("version", "must be >= 1")
        if d["kind"] not in KINDS:
            raise bad("kind", f"must be one of {KINDS}, got {d['kind']!r}")
        status = d.get("status", "draft")
        if status not in STATUSES:
            raise bad("status", f"must be one of {STATUSES}, got {status!r}")
        for name in ("preconditions", "effects"):
            if not all(isinstance(x, str) for x in d[name]):
                raise bad(name, "must be a list of strings")
        steps = d.get("steps", [])
        if d["kind"] == "composite":
            if not isinstance(steps, list) or not steps:
                raise bad("steps", "must list the child skills of a composite")
            for i, s in enumerate(steps):
                if not isinstance(s, dict) or not isinstance(s.get("skill"), str) or not isinstance(s.get("args", {}), dict):
                    raise bad(f"steps[{i}]", "must be {\"skill\": id, \"args\": {...}}")
        if d["kind"] == "policy" and not re.match(r"^[\w.]+:\w+$", d.get("policy", "")):
            raise bad("policy", "must name a callable as 'module:function'")
        stats = d.get("stats", {"attempts": 0, "successes": 0, "mean_steps": 0.0})
        if not isinstance(stats, dict) or not all(isinstance(stats.get(k, 0), (int, float)) for k in ("attempts", "successes")):
            raise bad("stats", "must hold numeric attempts and successes")
        rec = cls(id=d["id"], version=d["version"], kind=d["kind"], description=d["description"], params=d["params"],
                  preconditions=list(d["preconditions"]), effects=list(d["effects"]), steps=steps,
                  policy=d.get("policy", ""), provenance=d.get("provenance", {}), stats=stats, status=status,
                  validated_on=d.get("validated_on", {}))
        if "hash" in d and d["hash"] != rec.content_hash():
            raise bad("hash", "does not match the content (the file was edited by hand: bump the version or drop the hash)")
        return rec
