"""Per-step probing of an agent's beliefs during an episode, and the derived metrics.

After every turn the agent is asked for its global map (start frame); after every
Observe also for its local map (agent frame) and the unexplored-region probe. Replies go
through the tolerant parser: an unreadable reply is scored as an empty map and counted.

Per step we log: belief accuracy against the full ground truth and against what has been
seen so far; self-tracking (the "agent" entry vs the true pose); perception (local map vs
truth for newly seen objects); local-global consistency (the local map placed with the
agent's own believed pose vs its global map); stability (an object out of view must not
drift more than 0.5 m further from the truth); unexplored-region F1 (doors named as
leading to unexplored space vs doors whose rooms still hold unseen objects); ToS
information gain; object and free-space coverage.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np

from perception.belief import score_map, set_f1, std_calibration, topology_f1
from perception.cogmap import (
    CognitiveMap,
    Entry,
    extract_json,
    normalise_name,
    parse_map,
)
from perception.efficiency import InformationGainTracker
from perception.tos_info_gain import TosInformationGainTracker
from perception.tos_metrics import PROFILES, episode_scale, parse_map_tos, score_map_tos
from perception.tos_metrics import score as tos_score
from perception.tos_text import normalise_reply
from scenes.frames import FACINGS, facing_name, to_start_frame
from scenes.grid import room_cells
from scenes.spec import SceneSpec

DRIFT_TOLERANCE = 0.5  # m
_LOCAL_TO_DEG = {"north": 0.0, "east": 90.0, "south": 180.0, "west": 270.0}


@runtime_checkable
class ProbeSubject(Protocol):
    """What probing reads from an exploration episode (`sim.env.ExplorationEnv` is one)."""

    scene: SceneSpec
    observed: set[str]  # names of the entities seen so far
    observation_log: list[dict]  # what each Observe showed, for information gain (see perception.efficiency)

    @property
    def free_space_coverage(self) -> float:
        """Share of free floor cells seen so far."""

    def truth_map(self) -> CognitiveMap:
        """The true global map, start frame, with the agent's current pose."""

    def local_truth(self) -> CognitiveMap:
        """The true local map: visible entities in the agent's frame."""


class ProbeTracker:
    """Asks an agent for its maps after every turn of an episode and scores the replies.

    `profile` "tos" reads and scores the global map by Theory of Space's own rules
    (perception.tos_metrics: its parsing and name matching, L fixed once per episode, the
    zero vector as north), and reads replies in ToS's wording (door colours); "spacelab" by
    ours (perception.belief). The other per-step metrics (self-tracking, perception,
    consistency, stability, unexplored F1) use spacelab's rules in both.
    """

    def __init__(self, env: ProbeSubject, profile: str = "spacelab") -> None:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        self.profile = profile
        self.env = env
        self.scale = episode_scale(env.truth_map())  # ToS's L: once per episode, from every object
        self.tos_global: CognitiveMap | None = None  # the last global map as ToS's parser reads it
        spec = env.scene
        cells = np.array([c for r in spec.rooms for c in room_cells(r)], float)
        self.cells = to_start_frame(cells, spec.start_position, spec.start_heading)
        self.objects = [o.name for o in spec.objects]
        self.rows: list[dict] = []
        self.probe_errors: list[dict] = []
        self._prev_err: dict[str, float] = {}
        self._drift = [0, 0]  # drifted, considered
        self.last_global = CognitiveMap()
        self._bins: dict = {}  # direction bins already computed this episode (see belief.score_map)
        self._gain = InformationGainTracker(self.cells, self.objects)  # information_gain, one Observe at a time
        # ToS's information gain (tos profile), solving only each turn's new events
        self._tos_gain = TosInformationGainTracker(self.cells, self.objects + [d.name for d in spec.doors])

    def _ask(self, agent, kind: str, step: int) -> CognitiveMap | dict | None:
        try:
            reply = agent.probe(kind)
        except Exception as e:  # a probe that raises is an unreadable reply, not a crash
            reply, err = None, f"{type(e).__name__}: {e}"
        else:
            err = None
            if self.profile == "tos":  # ToS wording in replies: colour door names, {"origin","objects"} maps
                reply = normalise_reply(kind, reply)
        if kind == "unexplored":
            obj, err2 = extract_json(reply) if err is None else (None, err)
            if obj is not None and isinstance(obj.get("unexplored"), list):
                return obj
            err = err2 or "unexplored probe needs {\"unexplored\": [door names]}"
            self.probe_errors.append({"step": step, "kind": kind, "error": err[:200]})
            return None
        if err is not None:
            m, perr = CognitiveMap(), err
        else:
            m, perr = parse_map(reply)
            if self.profile == "tos" and kind == "global":  # scored as ToS reads it (the record keeps our fuller read)
                self.tos_global, perr = parse_map_tos(reply)
        if perr:
            self.probe_errors.append({"step": step, "kind": kind, "error": perr[:200]})
        return m

    def after_step(self, agent, info: dict) -> dict:
        env, step = self.env, info["step"]
        truth = env.truth_map()
        seen_names = set(env.observed) | {"agent"}
        self.tos_global = None
        pred = self._ask(agent, "global", step)
        if self.profile == "tos":
            read = self.tos_global if self.tos_global is not None else CognitiveMap()
            full = score_map_tos(read, truth, self.scale)
            seen = tos_score(read, truth, "tos", seen=seen_names, scale=self.scale)
        else:
            full = score_map(pred, truth, self._bins)
            seen = score_map(pred, truth.restricted(seen_names), self._bins)
        exact_gain = round(self._gain(env.observation_log), 4)
        if self.profile == "tos":  # ToS's rules (perception.tos_info_gain): propagated domains, doors, Query
            queries = self.__dict__.setdefault("_tos_queries", [])
            if info.get("final") == "Query":
                target = info["turn"].rsplit("Query(", 1)[-1].split(")", 1)[0].strip()  # the final, canonical turn
                queries.append({"step": step, "query": target})
            events = sorted([*env.observation_log, *queries], key=lambda e: e["step"])
            places = {n: truth.entries[n].position for n in self._tos_gain.entities if n in truth.entries}
            gain = round(self._tos_gain(events, places), 4)
        else:
            gain = exact_gain
        row = {
            "step": step, "coverage": info["coverage"], "free_coverage": round(env.free_space_coverage, 4),
            "info_gain": gain, "info_gain_exact": exact_gain,
            "cost": info["cost"],
            **{k: round(full[k], 4) for k in ("pos", "dir", "facing", "overall")},
            "overall_seen": round(seen["overall"], 4),
        }
        a, t = pred.entries.get("agent"), truth.entries["agent"]
        row["self_pos_error"] = round(math.dist(a.position, t.position), 4) if a and a.position else None
        row["self_facing"] = float(bool(a and a.facing == t.facing))
        row["stability"] = self._stability(pred, truth, info)
        if info.get("final") == "Observe":
            local = self._ask(agent, "local", step)
            new = [n for n in info["new"] if n in self.objects]
            ltruth = env.local_truth()
            row["perception"] = round(score_map(local, ltruth.restricted(new), self._bins)["overall"], 4) if new else None
            row["consistency"] = self._consistency(local, pred)
            unexplored = self._ask(agent, "unexplored", step)
            if unexplored is not None:
                names = {normalise_name(n) for n in unexplored["unexplored"] if isinstance(n, str)}
                row["unexplored_f1"] = round(set_f1(names, self._unexplored_truth()), 4)
        self.last_global = pred
        self.rows.append(row)
        return row

    def _stability(self, pred: CognitiveMap, truth: CognitiveMap, info: dict) -> float | None:
        in_view = {s["name"] for s in info["sightings"]}
        drifted = considered = 0
        errs = {}
        for name, e in pred.entries.items():
            if name in self.objects and e.position is not None:
                errs[name] = math.dist(e.position, truth.entries[name].position)
                if name in self._prev_err and name not in in_view:
                    considered += 1
                    drifted += errs[name] > self._prev_err[name] + DRIFT_TOLERANCE
        self._prev_err = errs
        self._drift[0] += drifted
        self._drift[1] += considered
        return round(1 - drifted / considered, 4) if considered else None

    def _consistency(self, local: CognitiveMap, glob: CognitiveMap) -> float | None:
        names = [n for n, e in local.entries.items() if e.position is not None]
        if not names:
            return None
        me = glob.entries.get("agent")
        if me is None or me.position is None or me.facing not in FACINGS:
            return 0.0
        h = math.radians(_LOCAL_TO_DEG[me.facing])
        placed = CognitiveMap()
        for n in names:
            r, f = local.entries[n].position
            x = me.position[0] + r * math.cos(h) + f * math.sin(h)
            y = me.position[1] - r * math.sin(h) + f * math.cos(h)
            lf = local.entries[n].facing
            placed.entries[n] = Entry((x, y), facing_name(_LOCAL_TO_DEG[me.facing] + _LOCAL_TO_DEG[lf]) if lf in _LOCAL_TO_DEG else None)
        ref = glob.restricted(names)
        if not ref.entries:
            return 0.0
        return round(score_map(placed, ref, self._bins)["overall"], 4)

    def _unexplored_truth(self) -> set[str]:
        spec, observed = self.env.scene, self.env.observed
        unseen_rooms = {o.room for o in spec.objects if o.name not in observed}
        return {d.name for d in spec.doors if d.name in observed and set(d.rooms) & unseen_rooms}

    def summary(self) -> dict:
        rows = self.rows
        last = rows[-1] if rows else {}

        def mean(key):
            xs = [r[key] for r in rows if r.get(key) is not None]
            return round(float(np.mean(xs)), 4) if xs else None

        truth = self.env.truth_map()
        calib = std_calibration(self.last_global, truth)
        topo = topology_f1(self.last_global, truth) if self.last_global.rooms else None
        return {
            "final": {k: last.get(k) for k in ("pos", "dir", "facing", "overall", "overall_seen")},
            "info_gain": last.get("info_gain"),
            "free_coverage": last.get("free_coverage"),
            "perception": mean("perception"),
            "consistency": mean("consistency"),
            "self_pos_error": mean("self_pos_error"),
            "self_facing": mean("self_facing"),
            "stability": round(1 - self._drift[0] / self._drift[1], 4) if self._drift[1] else None,
            "unexplored_f1": mean("unexplored_f1"),
            "std_calibration": round(calib, 4) if calib is not None else None,
            "topology_f1": round(topo, 4) if topo is not None else None,
            "probe_errors": len(self.probe_errors),
        }
