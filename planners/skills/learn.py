"""Learning skills from experience.

(a) Composite skills from successful traces: contiguous runs of primitives that recur
    across solved tasks are lifted (objects -> variables, consistently) into macro skills,
    saved as drafts and validated in simulation.
(b) Primitive parameters by the cross-entropy method over rollouts (e.g. the push skill's
    overshoot), compared with the hand-set default on held-out seeds.
(c) Policy skills: a record of kind "policy" names a callable "module:function" taking
    (skills, **args) and returning an Outcome; `load_policy` imports and checks it.

Validation: N seeded rollouts from states where the skill's derived preconditions hold; the
skill is promoted to "validated" only if the Wilson lower bound of its success rate clears
a threshold; a skill validated on another scene family or backend is validated again.
"""

from __future__ import annotations

import importlib
import math
from collections import Counter

import numpy as np

from planners.skills.compose import Planner, scene_objects
from planners.skills.domain import (
    abstract,
    apply,
    composite_groundings,
    expand_composite,
)
from planners.skills.library import SkillLibrary
from planners.skills.record import SkillError, SkillRecord

ROLES = {"grasp": ("block",), "place": ("block", "target"), "open": ("drawer",), "close": ("drawer",)}


def wilson_lower(successes: int, n: int, z: float = 1.96) -> float:
    if n == 0:
        return 0.0
    p = successes / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


def lift(window: list[tuple]) -> tuple[tuple, dict]:
    """[("grasp", ("block_2",)), ("place", ("block_2", "bowl"))] -> signature with variables,
    and the variables' roles."""
    names: dict[str, str] = {}
    roles: dict[str, str] = {}
    lifted = []
    for op, args in window:
        vs = []
        for a, role in zip(args, ROLES[op]):
            if a not in names:
                names[a] = f"x{len(names)}"
                roles[names[a]] = "block" if role == "block" else "any"
            vs.append(names[a])
        lifted.append((op, tuple(vs)))
    return tuple(lifted), roles


def extract_composites(traces: list[list[tuple]], min_count: int = 3, lengths=(2, 3)) -> list[SkillRecord]:
    """Macro skills for the primitive runs that occur at least `min_count` times."""
    counts: Counter = Counter()
    roles_of: dict = {}
    for trace in traces:
        seen = set()
        for n in lengths:
            for i in range(len(trace) - n + 1):
                sig, roles = lift(trace[i:i + n])
                if sig not in seen:
                    counts[sig] += 1
                    roles_of[sig] = roles
                    seen.add(sig)
    out = []
    for sig, c in counts.most_common():
        if c < min_count:
            break
        name = "macro_" + "_".join(op for op, _ in sig)
        params = {v: {"type": "string", "role": roles_of[sig][v]} for v in sorted(roles_of[sig])}
        steps = [{"skill": op, "args": {f"a{k}": f"?{v}" for k, v in enumerate(vs)}} for op, vs in sig]
        desc = " then ".join(f"{op}({', '.join(vs)})" for op, vs in sig)
        out.append(SkillRecord(id=name, version=1, kind="composite", description=desc, params=params,
                               preconditions=[f"derived from {sig[0][0]}"], effects=[f"derived from {sig[-1][0]}"],
                               steps=steps, provenance={"source": "extracted from traces", "occurrences": c}))
    return out


def validate(rec: SkillRecord, library: SkillLibrary, make_world, seeds, threshold: float = 0.7,
             scene_family: str = "", backend: str = "mujoco") -> SkillRecord:
    """Run the skill from seeded states where it applies; promote or keep it a draft."""
    from sim.manip.skills import Skills
    from sim.manip.state import symbolic_state

    successes = trials = 0
    for seed in seeds:
        world = make_world(seed)
        objects = scene_objects(world)
        state = abstract(symbolic_state(world))
        grounding = _first_grounding(rec, state, objects)
        if grounding is None:
            continue
        trials += 1
        sk = Skills(world)
        predicted, ok = state, True
        for op, args in expand_composite(rec.steps, grounding) if rec.kind == "composite" else [(rec.id, ())]:
            predicted = apply(predicted, op, args)
            out = getattr(sk, op)(*args)
            if not out.success:
                ok = False
                break
        if ok:
            observed = abstract(symbolic_state(world))
            ok = {x for x in predicted if x[0] != "visible"} <= observed
        successes += ok
    lb = wilson_lower(successes, trials)
    rec.stats = {"attempts": trials, "successes": successes, "mean_steps": rec.stats.get("mean_steps", 0.0)}
    rec.status = "validated" if trials and lb >= threshold else "draft"
    rec.validated_on = {"scene_family": scene_family, "backend": backend, "lower_bound": round(lb, 3), "trials": trials}
    library.save(rec)
    return rec


def needs_revalidation(rec: SkillRecord, scene_family: str, backend: str) -> bool:
    v = rec.validated_on
    return rec.status != "validated" or v.get("scene_family") != scene_family or v.get("backend") != backend


def _first_grounding(rec: SkillRecord, state, objects) -> dict | None:
    return next((binding for _c, binding, _s in composite_groundings(rec.params, rec.steps, state, objects)), None)


def push_error(overshoot: float, seeds, distance: float = 0.08) -> float:
    """Mean |achieved - asked| displacement of the push skill with a given overshoot (m)."""
    from scenes.suites import load_table_scene
    from sim.manip.skills import Skills, push_direction
    from sim.manip.world import ManipWorld

    errs = []
    for seed in seeds:
        w = ManipWorld(load_table_scene("table-pick", seed))
        d = push_direction(w, "block_0")
        p0 = w.block_pos("block_0")
        Skills(w).push("block_0", d, distance, overshoot=overshoot)
        v = {"+x": (1, 0, 0), "-x": (-1, 0, 0), "+y": (0, 1, 0), "-y": (0, -1, 0)}[d]
        errs.append(abs(float((w.block_pos("block_0") - p0) @ np.array(v)) - distance))
    return float(np.mean(errs))


def cem(objective, mean: float, std: float, iterations: int = 4, population: int = 8, elites: int = 3, seed: int = 0,
        bounds=(0.0, 0.05)) -> tuple[float, list[dict]]:
    """Cross-entropy method on one scalar parameter; returns the final mean and the history."""
    rng = np.random.default_rng(seed)
    history = []
    for it in range(iterations):
        xs = np.clip(rng.normal(mean, std, population), *bounds)
        scores = np.array([objective(float(x)) for x in xs])
        best = xs[np.argsort(scores)[:elites]]
        mean, std = float(best.mean()), float(max(best.std(), 1e-4))
        history.append({"iteration": it, "mean": mean, "std": std, "best_score": float(scores.min())})
    return mean, history


def load_policy(rec: SkillRecord):
    """The callable a policy skill names (module:function), checked to exist."""
    if rec.kind != "policy":
        raise SkillError(f"{rec.key}: not a policy skill")
    module, _, fn = rec.policy.partition(":")
    try:
        f = getattr(importlib.import_module(module), fn)
    except (ImportError, AttributeError) as e:
        raise SkillError(f"{rec.key}: field 'policy' names {rec.policy!r}, which cannot be imported ({e})") from None
    if not callable(f):
        raise SkillError(f"{rec.key}: field 'policy' names {rec.policy!r}, which is not callable")
    return f


def collect_traces(make_world, goals_for, seeds, planner: Planner | None = None) -> list[list[tuple]]:
    """Primitive sequences of successful executions (library off) on training seeds."""
    from planners.skills.compose import execute
    from sim.manip.skills import Skills

    traces = []
    for seed in seeds:
        w = make_world(seed)
        for goal in goals_for(w, seed):
            ex = execute(w, Skills(w), planner or Planner(), goal)
            if ex.success:
                traces.append([(t["skill"], tuple(t["args"])) for t in ex.trace if t["success"]])
    return traces


CHECKED = {"reach": 50, "grasp": 50, "place": 50, "push": 48, "open": 50, "close": 50, "navigate": 50, "look_around": 50}


def primitive_records() -> list[SkillRecord]:
    """Library records for the tabletop primitives (validated by `spacelab manip check`)."""
    from sim.manip.skills import PRIMITIVES

    return [SkillRecord(id=s.name, version=1, kind="primitive", description=s.description, params=s.params,
                        preconditions=list(s.preconditions), effects=list(s.effects),
                        provenance={"source": "sim.manip.skills"}, status="validated",
                        # prior from `spacelab manip check --n 50` (floating gripper)
                        stats={"attempts": 50, "successes": CHECKED.get(s.name, 48), "mean_steps": 0.0},
                        validated_on={"scene_family": "tabletop", "backend": "mujoco", "by": "spacelab manip check"})
            for s in PRIMITIVES.values()]


def learn_library(library: SkillLibrary, train_seeds, validate_seeds, min_count: int = 3, threshold: float = 0.7,
                  progress=None) -> dict:
    """Primitives in, traces from training chains, composites extracted, validated, saved."""
    from planners.skills.benchmark import chain_goals, make_world

    for rec in primitive_records():
        if library.latest(rec.id) is None:
            library.save(rec)
    traces = collect_traces(make_world, lambda w, s: chain_goals(w, s), train_seeds)
    candidates = extract_composites(traces, min_count=min_count)
    results = {}
    for rec in candidates:
        if progress:
            progress(rec.id)
        old = library.latest(rec.id)
        if old is not None and old.content_hash() == rec.content_hash() and not needs_revalidation(old, "chains", "mujoco"):
            results[rec.id] = old.status
            continue
        if old is not None:
            rec.version = old.version + (old.content_hash() != rec.content_hash())
        validate(rec, library, make_world, validate_seeds, threshold, scene_family="chains", backend="mujoco")
        results[rec.id] = rec.status
    return {"traces": len(traces), "candidates": [r.id for r in candidates], "status": results}
