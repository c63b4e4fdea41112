"""The skill library: a directory of skill files, an index rebuilt from them, a dependency graph.

- One file per skill version (`<id>@<version>.json`), written atomically (temp file +
  rename) under an exclusive lock, so concurrent writers (threads or processes) never
  leave a torn or interleaved file.
- Loading validates every file; a corrupted or hand-edited file is reported (file and
  field) and skipped, never loaded half-way.
- Composite skills form a networkx DiGraph (composite -> child); a save that would close a
  cycle is rejected with the cycle named. Depth and reuse counts come from the graph.

Example:
    >>> import tempfile
    >>> lib = SkillLibrary(tempfile.mkdtemp())
    >>> lib.errors
    []
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager

import networkx as nx

from planners.skills.record import SkillError, SkillRecord
from scenes.jsonio import write_json_atomic

INDEX = "index.json"
LOCK = ".lock"


class SkillLibrary:
    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(root, exist_ok=True)
        self.reload()

    @contextmanager
    def _locked(self):
        with open(os.path.join(self.root, LOCK), "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    # -- reading ---------------------------------------------------------------------
    def reload(self) -> None:
        self.skills: dict[str, SkillRecord] = {}
        self.errors: list[str] = []
        for name in sorted(os.listdir(self.root)):
            if not name.endswith(".json") or name == INDEX or name.startswith("."):
                continue
            path = os.path.join(self.root, name)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                try:
                    data = json.loads(text)
                except json.JSONDecodeError as e:
                    raise SkillError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
                rec = SkillRecord.from_dict(data, source=path)
                if name != f"{rec.key}.json":
                    raise SkillError(f"{path}: field 'id'/'version' say {rec.key}, but the file is named {name}")
                self.skills[rec.key] = rec
            except (SkillError, OSError, UnicodeDecodeError) as e:
                self.errors.append(str(e))

    def latest(self, skill_id: str) -> SkillRecord | None:
        versions = [r for r in self.skills.values() if r.id == skill_id and r.status != "deprecated"]
        return max(versions, key=lambda r: r.version) if versions else None

    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for rec in self.skills.values():
            g.add_node(rec.id, kind=rec.kind)
            for s in rec.steps:
                g.add_edge(rec.id, s["skill"])
        return g

    def depth(self, skill_id: str) -> int:
        """Composition depth: 0 for a primitive, 1 + the deepest child otherwise."""
        g = self.graph()
        if skill_id not in g:
            raise KeyError(skill_id)
        return nx.dag_longest_path_length(g.subgraph(nx.descendants(g, skill_id) | {skill_id}))

    def reuse_counts(self) -> dict[str, int]:
        """How many composites use each skill."""
        g = self.graph()
        return {n: g.in_degree(n) for n in g}

    # -- writing ---------------------------------------------------------------------
    def save(self, rec: SkillRecord) -> str:
        SkillRecord.from_dict(rec.to_dict(), source=rec.key)  # the record must be loadable as written
        with self._locked():
            self.reload()
            g = self.graph()
            for s in rec.steps:
                g.add_edge(rec.id, s["skill"])
            try:
                cycle = nx.find_cycle(g, rec.id)
            except nx.NetworkXNoCycle:
                cycle = None
            if cycle:
                raise SkillError(f"{rec.key}: composite would form a cycle: {' -> '.join(a for a, _ in cycle)} -> {cycle[0][0]}")
            path = os.path.join(self.root, f"{rec.key}.json")
            write_json_atomic(path, rec.to_dict())
            self.skills[rec.key] = rec
            self._write_index()
        return path

    def update_stats(self, key: str, success: bool, steps: int) -> None:
        """Record one execution (read-modify-write under the lock)."""
        with self._locked():
            self.reload()
            rec = self.skills[key]
            a, s, m = rec.stats.get("attempts", 0), rec.stats.get("successes", 0), rec.stats.get("mean_steps", 0.0)
            rec.stats = {"attempts": a + 1, "successes": s + int(success), "mean_steps": (m * a + steps) / (a + 1)}
            write_json_atomic(os.path.join(self.root, f"{key}.json"), rec.to_dict())
            self._write_index()

    def _write_index(self) -> None:
        write_json_atomic(os.path.join(self.root, INDEX), {
            k: {"id": r.id, "version": r.version, "kind": r.kind, "status": r.status, "hash": r.content_hash(),
                "stats": r.stats} for k, r in sorted(self.skills.items())
        })
