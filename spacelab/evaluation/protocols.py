"""Evaluation protocols (Theory of Space): active, passive, false belief, exploitation.

- active: the agent explores and is probed every step.
- passive: a proxy (the scout) chooses the actions; the agent only reads the same
  observations and is probed. Active minus passive belief accuracy = the Active-Passive Gap.
- false-belief: after an active exploration, 4 objects are moved (>= 6 m) or turned (not
  both); the agent restarts at the start with its memory, explores again, and reports
  what changed. Scored by identification F1, belief accuracy on the changed objects,
  redundant steps and Belief Inertia (share of changed objects whose final belief is
  still closer to the old state than to the new one).
- exploitation: questions generated from the ground truth, answered from the agent's map.
"""

from __future__ import annotations

import json
import math

from perception.belief import score_map, set_f1
from perception.cogmap import MAX_REPLY_CHARS, CognitiveMap, extract_json, normalise_name
from planners.agents import make_agent
from scenes.changes import FALSE_BELIEF_CHANGES, plan_changes
from scenes.registry import Registry
from sim.env import ExplorationEnv
from spacelab.evaluation.episode import run_episode
from spacelab.evaluation.jobs import EpisodeJob

PROTOCOLS = Registry("protocol")


def register_protocol(name: str, entry_point, doc: str = "") -> None:
    """A protocol is a callable ``(env, agent, job: EpisodeJob) -> dict`` of measurements."""
    PROTOCOLS.register(name, entry_point, doc=doc)


def run_active(env: ExplorationEnv, agent, job: EpisodeJob) -> dict:
    return run_episode(env, agent, seed=job.seed)


def run_passive(env: ExplorationEnv, agent, job: EpisodeJob) -> dict:
    rec = run_episode(env, agent, seed=job.seed, driver=make_agent(job.proxy))
    rec["proxy"] = job.proxy
    return rec


def run_false_belief_job(env: ExplorationEnv, agent, job: EpisodeJob) -> dict:
    return run_false_belief(env, agent, job.seed)


def run_false_belief(env: ExplorationEnv, agent, seed: int, k: int = FALSE_BELIEF_CHANGES, min_move: float = 6.0) -> dict:
    explore = run_episode(env, agent, seed=seed)
    before = env.truth_map()
    changes = plan_changes(env.scene, seed=seed, k=k, min_move=min_move)
    env.apply_changes(changes)
    revisit = run_episode(env, agent, seed=seed, fresh=False)
    after = env.truth_map()
    changed = {c.name for c in changes}

    reply = _safe_probe(agent, "changes")
    reported, report_error = _changes_from(reply)
    final = CognitiveMap.from_dict(revisit.get("final_map", {}))
    inertia_hits = []
    for c in changes:
        e = final.entries.get(c.name)
        if e is None or e.position is None:
            continue
        if c.kind == "moved":
            inertia_hits.append(math.dist(e.position, before.entries[c.name].position)
                                < math.dist(e.position, after.entries[c.name].position))
        elif e.facing is not None:
            inertia_hits.append(e.facing == before.entries[c.name].facing)
    first_seen = revisit["first_seen"]
    all_seen = max(first_seen[n] for n in changed) if changed <= set(first_seen) else None
    fb = {
        "changes": [c.to_dict() for c in changes],
        "reported": sorted(reported),
        "report_error": report_error,
        "identification_f1": round(set_f1(reported, changed), 4),
        "changed_belief": round(score_map(final.restricted(changed | {"agent"}), after.restricted(changed | {"agent"}))["overall"], 4),
        "belief_inertia": round(sum(inertia_hits) / len(inertia_hits), 4) if inertia_hits else None,
        "changes_seen": sorted(changed & set(revisit["observed"])),
        # turns spent after every change had been seen again (an ideal agent stops there)
        "redundant_steps": (revisit["steps"] - all_seen) if all_seen is not None else None,
    }
    rec = dict(revisit)
    # the top level is the revisit phase (physics_steps, sim_time_s, ... count from its reset); the first phase here
    rec["exploration"] = {k: explore[k] for k in ("steps", "coverage", "actions", "belief", "physics_steps", "sim_time_s")}
    rec["false_belief"] = fb
    return rec


def _safe_probe(agent, kind: str):
    try:
        return agent.probe(kind)
    except Exception as e:  # a failing probe is a bad reply, not a crash
        return f"{type(e).__name__}: {e}"


def _bare_list(text: str) -> list | None:
    """The reply as a JSON list when it is nothing else (a bare report like '["lamp"]')."""
    if len(text) > MAX_REPLY_CHARS or not text.strip().startswith("["):
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, list) else None


def _changes_from(reply) -> tuple[set[str], str | None]:
    """Names in a changes report: {"changes": [{"name": ...} | "name", ...]} or a bare list."""
    obj = reply
    if isinstance(reply, str):
        obj = _bare_list(reply)
        if obj is None:
            obj, err = extract_json(reply)
            if err:
                return set(), err
    items = obj.get("changes") if isinstance(obj, dict) else obj if isinstance(obj, list) else None
    if not isinstance(items, list):
        return set(), "changes probe needs {\"changes\": [...]}"
    names = set()
    for it in items:
        n = it.get("name") if isinstance(it, dict) else it
        if isinstance(n, str):
            names.add(normalise_name(n))
    return names, None


register_protocol("active", run_active, "the agent explores and is probed every turn")
register_protocol("passive", run_passive, "a proxy (proxy=, default scout) drives; the agent reads and is probed")
register_protocol("false-belief", run_false_belief_job, "explore, 4 objects move or turn, find and report the changes")
register_protocol("exploitation", "spacelab.evaluation.exploitation:run_exploitation_job",
                  "explore, then answer questions generated from the ground truth")
