"""Learning skills from experience.

(a) Composite skills from successful traces: contiguous runs of primitives that recur
    across solved tasks are lifted (objects -> variables, consistently) into macro skills,
    saved as drafts and validated in simulation.
(b) Primitive parameters by the cross-entropy method over rollouts (e.g. the push skill's
    overshoot), compared with the hand-set default on held-out seeds.
(c) Policy skills: a record of kind "policy" names a callable "module:function" taking
    (skills, **args) and returning an Outcome; `load_policy` imports and checks it. Only
    modules on the allow-list may be named (`planners` and $SPACELAB_POLICY_MODULES, see
    `planners.skills.record.policy_modules`): records naming others are refused when loaded.

Validation: N seeded rollouts; a seed where the skill does not apply (a composite with no
grounding, a primitive whose setup failed) is skipped, not a failed trial. A composite's
rollout succeeds only if every child succeeds and its predicted effects hold in the symbolic
state afterwards; primitives are tried by the `spacelab manip check` harness
(`sim.manip.check`). Attempts, successes and mean control ticks become the record's stats;
seeds, scene family, backend, robot and the code fingerprint its `validated_on`. The skill is
promoted to "validated" only if the Wilson lower bound of its success rate clears a
threshold; stats measured on another scene family, backend or robot, or by other code, are
stale (`stale`), and `learn_library` measures them again.
"""

from __future__ import annotations

import importlib
import math
from collections import Counter
from dataclasses import replace

import numpy as np

from planners.skills.compose import Planner, scene_objects
from planners.skills.domain import (
    abstract,
    apply,
    composite_groundings,
    expand_composite,
)
from planners.skills.library import SkillLibrary
from planners.skills.record import SkillError, SkillRecord, code_fingerprint, parse_policy, policy_allowed

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


PRIMITIVE_SEEDS = 50  # rollouts per primitive, as `spacelab manip check` (the tests use a few)


def effects_hold(predicted: frozenset, observed: frozenset) -> bool:
    """A composite's predicted effects (all but visibility) are true in the observed state."""
    return {x for x in predicted if x[0] != "visible"} <= observed


def validate(rec: SkillRecord, library: SkillLibrary, make_world, seeds, threshold: float = 0.7,
             scene_family: str = "", backend: str = "mujoco", robot: str = "floating") -> SkillRecord:
    """Run a composite from the seeded states where it applies; promote it or keep it a draft."""
    from sim.manip.skills import Skills
    from sim.manip.state import symbolic_state

    if rec.kind != "composite":
        raise SkillError(f"{rec.key}: validate runs composites; a primitive is validated by validate_primitive "
                         "(the spacelab manip check harness)")
    seeds = [int(s) for s in seeds]
    successes = trials = steps = 0
    not_applicable = []
    for seed in seeds:
        world = make_world(seed)
        objects = scene_objects(world)
        state = abstract(symbolic_state(world))
        grounding = _first_grounding(rec, state, objects)
        if grounding is None:  # the skill does not apply here: no trial
            not_applicable.append(seed)
            continue
        trials += 1
        sk = Skills(world)
        predicted, ok = state, True
        for op, args in expand_composite(rec.steps, grounding):
            predicted = apply(predicted, op, args)
            out = getattr(sk, op)(*args)
            steps += out.steps
            if not out.success:
                ok = False
                break
        if ok:
            ok = effects_hold(predicted, abstract(symbolic_state(world)))
        successes += ok
    return _store(rec, library, trials, successes, steps / trials if trials else 0.0, threshold,
                  {"scene_family": scene_family, "backend": backend, "robot": robot, "code": code_fingerprint("composite"),
                   "seeds": seeds, "not_applicable": not_applicable, "by": "planners.skills.learn.validate"})


def validate_primitive(rec: SkillRecord, library: SkillLibrary, seeds, threshold: float = 0.7, backend: str = "mujoco",
                       robot: str = "floating", progress: bool = False) -> SkillRecord:
    """Run a primitive over seeded states with the `spacelab manip check` harness; a seed whose
    setup failed is no trial. On a backend that cannot run the skill's scenes (the drawer on
    PyBullet) it records no trials and why."""
    from sim.manip.check import check_skills, skill_scene

    seeds = [int(s) for s in seeds]
    res = check_skills([rec.id], seeds=seeds, progress=progress, robot=robot, backend=backend)[rec.id]
    ctx = {"scene_family": skill_scene(rec.id), "backend": backend, "robot": robot, "code": code_fingerprint("primitive"),
           "seeds": seeds, "by": "sim.manip.check.check_skills (spacelab manip check)"}
    if "skipped" in res:
        return _store(rec, library, 0, 0, 0.0, threshold, {**ctx, "skipped": res["skipped"]})
    return _store(rec, library, res["trials"], res["successes"], res["mean_steps"] or 0.0, threshold,
                  {**ctx, "setup_failures": res["setup_failures"]})


def _store(rec: SkillRecord, library: SkillLibrary, trials: int, successes: int, mean_steps: float, threshold: float,
           context: dict) -> SkillRecord:
    lb = wilson_lower(successes, trials)
    rec.stats = {"attempts": trials, "successes": successes, "mean_steps": round(float(mean_steps), 1)}
    rec.status = "validated" if trials and lb >= threshold else "draft"
    rec.validated_on = {**context, "trials": trials, "lower_bound": round(lb, 3), "threshold": threshold}
    library.save(rec)
    return rec


def expected_context(rec: SkillRecord, backend: str = "mujoco", robot: str = "floating") -> dict:
    """Where and with what code a skill's stats must have been measured to describe it now."""
    from planners.skills.benchmark import SCENE_FAMILY
    from sim.manip.check import skill_scene

    family = skill_scene(rec.id) if rec.kind == "primitive" else SCENE_FAMILY
    return {"scene_family": family, "backend": backend, "robot": robot, "code": code_fingerprint(rec.kind)}


def stale(library: SkillLibrary, backend: str = "mujoco", robot: str = "floating") -> dict[str, list[str]]:
    """Skill key -> why its stats are stale (never validated, other scene family, backend or
    robot, changed code); skills with current stats are left out."""
    out = {}
    for key, rec in sorted(library.skills.items()):
        why = rec.stale_reasons(expected_context(rec, backend, robot))
        if why:
            out[key] = why
    return out


def needs_revalidation(rec: SkillRecord, context: dict, seeds) -> bool:
    """Stale stats, or stats from other seeds than the ones asked for."""
    return bool(rec.stale_reasons(context)) or rec.validated_on.get("seeds") != [int(s) for s in seeds]


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
    """The callable a policy skill names (module:function), checked to be on the allow-list
    (before anything is imported), to exist, to be callable and to be defined in an allowed
    module (not, say, `os.system` imported into one)."""
    if rec.kind != "policy":
        raise SkillError(f"{rec.key}: not a policy skill")
    module, fn = parse_policy(rec.policy, rec.key)
    try:
        f = getattr(importlib.import_module(module), fn)
    except Exception as e:  # noqa: BLE001 -- an allowed module that fails to import is the record's error, in one line
        why = " ".join(str(e).split())[:200] or type(e).__name__
        raise SkillError(f"{rec.key}: field 'policy' names {rec.policy!r}, which cannot be imported ({why})") from None
    if not callable(f):
        raise SkillError(f"{rec.key}: field 'policy' names {rec.policy!r}, which is not callable")
    home = getattr(f, "__module__", None)
    if not isinstance(home, str) or not policy_allowed(home):
        raise SkillError(f"{rec.key}: field 'policy' names {rec.policy!r}, which is defined in {home!r}, "
                         "not in an allowed module")
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


def primitive_records() -> list[SkillRecord]:
    """Library records for the tabletop primitives, not yet validated (no stats): `validate_primitive`
    measures them."""
    from sim.manip.skills import PRIMITIVES

    return [SkillRecord(id=s.name, version=1, kind="primitive", description=s.description, params=s.params,
                        preconditions=list(s.preconditions), effects=list(s.effects),
                        provenance={"source": "sim.manip.skills"})
            for s in PRIMITIVES.values()]


def _fresh(rec: SkillRecord, library: SkillLibrary, context: dict, seeds) -> SkillRecord | None:
    """The record to validate: `rec` as a new version when its content changed, or None when the
    library already holds it with current stats from these seeds."""
    old = library.latest(rec.id)
    if old is not None and replace(rec, version=old.version).content_hash() == old.content_hash():
        return None if not needs_revalidation(old, context, seeds) else old
    rec.version = max([r.version for r in library.skills.values() if r.id == rec.id], default=0) + 1
    return rec


def learn_library(library: SkillLibrary, train_seeds, validate_seeds, min_count: int = 3, threshold: float = 0.7,
                  progress=None, primitive_seeds=range(PRIMITIVE_SEEDS)) -> dict:
    """Primitives measured, traces from training chains, composites extracted, validated, saved.
    Skills whose stats are current (same content, context, code and seeds) are not run again."""
    from planners.skills.benchmark import SCENE_FAMILY, chain_goals, make_world

    results = {}

    def measure(recs, seeds, run) -> None:
        """Validate each record whose stats are not current (`run(record)` does it), and note its status."""
        for rec in recs:
            todo = _fresh(rec, library, expected_context(rec), seeds)
            if todo is None:
                results[rec.id] = library.latest(rec.id).status
                continue
            if progress:
                progress(rec.id)
            results[rec.id] = run(todo).status

    measure(primitive_records(), primitive_seeds, lambda r: validate_primitive(r, library, primitive_seeds, threshold))
    traces = collect_traces(make_world, lambda w, s: chain_goals(w, s), train_seeds)
    candidates = extract_composites(traces, min_count=min_count)
    measure(candidates, validate_seeds, lambda r: validate(r, library, make_world, validate_seeds, threshold,
                                                            scene_family=SCENE_FAMILY, backend="mujoco"))
    return {"traces": len(traces), "candidates": [r.id for r in candidates], "status": results}
