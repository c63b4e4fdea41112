"""The skill library: a directory of skill files, an index rebuilt from them, a dependency graph.

- One file per skill version (`<id>@<version>.json`), written atomically (temp file +
  rename) under an exclusive lock, so concurrent writers (threads or processes) never
  leave a torn or interleaved file.
- Loading validates every file; a corrupted or hand-edited file (bad JSON, a bad field, a
  file too big, not a regular file, a policy module not on the allow-list) is reported
  (file and field, one line) and skipped, never loaded half-way; the rest still load.
- Composite skills form a networkx DiGraph (composite -> child); a save that would close a
  cycle is rejected with the cycle named, and a cycle already on disk (files written by
  hand) is found at load time, named, and the records that close it are skipped. Depth and
  reuse counts come from the graph.

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
import stat
from contextlib import contextmanager

import networkx as nx

from planners.skills.record import SkillError, SkillRecord, show
from scenes.jsonio import write_json_atomic

INDEX = "index.json"
LOCK = ".lock"
MAX_FILE_BYTES = 1_000_000  # a skill record is a few kB


def _printable(path: str) -> str:
    """The path as it can go on one line of an error message."""
    return path if path.isprintable() else ascii(path)


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
        paths: dict[str, str] = {}
        for name in sorted(os.listdir(self.root)):
            if not name.endswith(".json") or name == INDEX or name.startswith("."):
                continue
            path = _printable(os.path.join(self.root, name))
            try:
                rec = self._load(os.path.join(self.root, name), path)
                if name != f"{rec.key}.json":
                    raise SkillError(f"{path}: field 'id'/'version' say {rec.key}, but the file is named {show(name)}")
                self.skills[rec.key] = rec
                paths[rec.key] = path
            except SkillError as e:
                self.errors.append(str(e))
        self._skip_cycles(paths)

    @staticmethod
    def _load(real_path: str, path: str) -> SkillRecord:
        """One record file, read and validated; any problem is a one-line SkillError naming `path`."""
        try:
            st = os.stat(real_path)
            if not stat.S_ISREG(st.st_mode):
                raise SkillError(f"{path}: not a regular file")
            if st.st_size > MAX_FILE_BYTES:
                raise SkillError(f"{path}: {st.st_size} bytes, more than a skill record may hold ({MAX_FILE_BYTES})")
            with open(real_path, "rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
        except OSError as e:
            raise SkillError(f"{path}: cannot be read ({e.strerror or type(e).__name__})") from None
        if len(raw) > MAX_FILE_BYTES:
            raise SkillError(f"{path}: more than {MAX_FILE_BYTES} bytes, more than a skill record may hold")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SkillError(f"{path}: not UTF-8 text (byte {e.start})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SkillError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        except RecursionError:
            raise SkillError(f"{path}: not valid JSON (nested too deeply)") from None
        except ValueError as e:  # an integer with more digits than Python converts
            raise SkillError(f"{path}: not valid JSON ({str(e).splitlines()[0][:80]})") from None
        return SkillRecord.from_dict(data, source=path)

    def _skip_cycles(self, paths: dict[str, str]) -> None:
        """Composites whose children lead back to them (files written by hand: `save` refuses
        them) are named with the cycle and skipped, until the graph has none."""
        while True:
            try:
                cycle = nx.find_cycle(self.graph())
            except nx.NetworkXNoCycle:
                return
            ids = [a for a, _ in cycle]
            first = ids.index(min(ids))
            ids = ids[first:] + ids[:first]
            edges = set(zip(ids, ids[1:] + ids[:1]))
            named = " -> ".join([*ids, ids[0]])
            for key, rec in sorted(self.skills.items()):
                if any((rec.id, s["skill"]) in edges for s in rec.steps):
                    self.errors.append(f"{paths.get(key, key)}: field 'steps' closes a cycle: {named}")
                    del self.skills[key]

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
            if key not in self.skills:
                raise SkillError(f"no skill {key!r} in {_printable(self.root)}")
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
