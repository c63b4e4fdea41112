"""Skill validation: stats come from seeded rollouts, a rollout counts only when the effects
hold, seeds where a skill does not apply are no trials, and stale stats are named."""

import json
import math

import pytest

import sim.manip.check as check
import sim.manip.skills as manip_skills
from planners.skills.compose import LAMBDA, Planner
from planners.skills.learn import (
    effects_hold,
    expected_context,
    learn_library,
    primitive_records,
    stale,
    validate,
    validate_primitive,
)
from planners.skills.library import SkillLibrary
from planners.skills.record import SkillError, SkillRecord, code_fingerprint
from scenes.tabletop import generate_table
from sim.manip.skills import Outcome, Skills
from sim.manip.state import symbolic_state
from sim.manip.world import ManipWorld

GRASP_PLACE = [{"skill": "grasp", "args": {"a0": "?x0"}}, {"skill": "place", "args": {"a0": "?x0", "a1": "?x1"}}]


def macro(params=None):
    return SkillRecord(id="macro_grasp_place", version=1, kind="composite", description="t",
                       params=params or {"x0": {"role": "block"}, "x1": {"role": "any"}}, preconditions=[], effects=[],
                       steps=GRASP_PLACE)


def primitive(name):
    return next(r for r in primitive_records() if r.id == name)


def world(seed):
    return ManipWorld(generate_table(seed, n_blocks=3, containers=1, drawer=False))


# -- composites -----------------------------------------------------------------------

def test_a_composite_rollout_succeeds_when_its_children_do_and_its_effects_hold(tmp_path):
    lib = SkillLibrary(str(tmp_path))
    rec = validate(macro(), lib, world, [0, 1, 2], scene_family="fam")
    assert rec.stats["attempts"] == 3 and rec.stats["successes"] == 3 and rec.stats["mean_steps"] > 0
    assert rec.validated_on["seeds"] == [0, 1, 2] and rec.validated_on["not_applicable"] == []
    assert rec.validated_on["code"] == code_fingerprint("composite") and rec.validated_on["lower_bound"] == 0.438


class ClaimingSkills(Skills):
    """A place controller that reports success without putting the block anywhere."""

    def place(self, obj, target):
        return Outcome(True, 1, "", symbolic_state(self.w))


def test_children_reporting_success_are_not_enough_the_effects_must_hold(tmp_path, monkeypatch):
    """Bug 2a: a validation that ignores whether the predicted effects hold counts these 3 rollouts as successes."""
    monkeypatch.setattr(manip_skills, "Skills", ClaimingSkills)
    rec = validate(macro(), SkillLibrary(str(tmp_path)), world, [0, 1, 2], scene_family="fam")
    assert rec.stats["attempts"] == 3 and rec.stats["successes"] == 0 and rec.status == "draft"
    assert rec.validated_on["lower_bound"] == 0.0


def test_effects_hold_compares_everything_but_visibility():
    predicted = frozenset({("in", "block_0", "bowl"), ("visible", "block_0")})
    assert effects_hold(predicted, frozenset({("in", "block_0", "bowl"), ("on", "block_1", "table")}))
    assert not effects_hold(predicted, frozenset({("holding", "block_0"), ("visible", "block_0")}))


def one_or_two_blocks(seed):
    return ManipWorld(generate_table(seed, n_blocks=2 if seed % 2 == 0 else 1, containers=0))


def test_seeds_where_a_composite_does_not_apply_are_not_trials(tmp_path):
    """Bug 2b: stacking needs two blocks; the one-block seeds (1, 3) must not count as failed attempts."""
    rec = validate(macro({"x0": {"role": "block"}, "x1": {"role": "block"}}), SkillLibrary(str(tmp_path)),
                   one_or_two_blocks, [0, 1, 2, 3], scene_family="fam")
    assert rec.stats["attempts"] == 2 and rec.stats["successes"] == 2
    assert rec.validated_on["trials"] == 2 and rec.validated_on["not_applicable"] == [1, 3]
    assert rec.validated_on["lower_bound"] == 0.342  # Wilson(2 of 2), not Wilson(2 of 4)


def test_validate_runs_composites_only(tmp_path):
    with pytest.raises(SkillError, match="grasp@1: validate runs composites"):
        validate(primitive("grasp"), SkillLibrary(str(tmp_path)), world, [0])


# -- primitives -----------------------------------------------------------------------

def test_primitive_stats_are_the_check_harness_rollouts(tmp_path):
    lib = SkillLibrary(str(tmp_path))
    rec = validate_primitive(primitive("push"), lib, [0, 1, 2])
    runs = [check.run_skill_case("push", s) for s in (0, 1, 2)]
    assert rec.stats == {"attempts": 3, "successes": sum(r["success"] for r in runs),
                         "mean_steps": round(sum(r["steps"] for r in runs) / 3, 1)}
    v = rec.validated_on
    assert (v["seeds"], v["trials"], v["setup_failures"], v["backend"], v["robot"], v["scene_family"]) == \
        ([0, 1, 2], 3, 0, "mujoco", "floating", "table-pick")
    assert v["code"] == code_fingerprint("primitive") and rec.status == "draft"  # 3 rollouts: too few to promote
    saved = json.loads((tmp_path / "push@1.json").read_text())
    assert saved["stats"] == rec.stats and saved["validated_on"]["seeds"] == [0, 1, 2]


def fake_case(skill, seed, robot="floating", backend="mujoco"):
    """Seed 0 works, seed 1 fails, seed 2's setup fails, seed 3 works."""
    if seed == 2:
        return {"success": False, "setup_ok": False, "reason": "setup failed", "steps": 0, "state": []}
    return {"success": seed != 1, "setup_ok": True, "reason": "" if seed != 1 else "slipped", "steps": 100 + seed,
            "state": []}


def test_primitive_failures_count_and_setup_failures_are_no_trials(tmp_path, monkeypatch):
    monkeypatch.setattr(check, "run_skill_case", fake_case)
    rec = validate_primitive(primitive("place"), SkillLibrary(str(tmp_path)), [0, 1, 2, 3])
    assert rec.stats == {"attempts": 3, "successes": 2, "mean_steps": 101.3}
    assert rec.validated_on["setup_failures"] == 1 and rec.validated_on["trials"] == 3


def test_enough_clean_rollouts_promote_a_primitive(tmp_path, monkeypatch):
    monkeypatch.setattr(check, "run_skill_case", lambda skill, seed, robot, backend: {
        "success": True, "setup_ok": True, "reason": "", "steps": 10, "state": []})
    rec = validate_primitive(primitive("reach"), SkillLibrary(str(tmp_path)), range(10))
    assert rec.status == "validated" and rec.validated_on["lower_bound"] == 0.722


def test_a_drawer_primitive_on_pybullet_has_no_trials_and_says_why(tmp_path):
    rec = validate_primitive(primitive("open"), SkillLibrary(str(tmp_path)), [0, 1], backend="pybullet")
    assert rec.stats["attempts"] == 0 and rec.status == "draft"
    assert rec.validated_on["skipped"] == "the drawer is MuJoCo-only" and rec.validated_on["backend"] == "pybullet"


def test_learning_measures_primitives_once_per_seed_set(tmp_path, monkeypatch):
    calls = []
    real = check.check_skills
    monkeypatch.setattr(check, "check_skills", lambda *a, **k: calls.append(a[0][0]) or real(*a, **k))
    lib = SkillLibrary(str(tmp_path))
    res = learn_library(lib, [], [], primitive_seeds=[0, 1])  # no training chains: primitives only
    assert sorted(calls) == sorted(r.id for r in primitive_records()) and res["candidates"] == []
    assert all(lib.latest(r.id).stats["attempts"] == 2 for r in primitive_records())
    calls.clear()
    learn_library(lib, [], [], primitive_seeds=[0, 1])
    assert calls == []  # current stats from the same seeds are kept
    learn_library(lib, [], [], primitive_seeds=[0, 1, 2])
    assert len(calls) == len(primitive_records()) and lib.latest("grasp").stats["attempts"] == 3


def test_learning_replaces_written_in_stats(tmp_path):
    """A record from the old learner: 50 attempts that were never run, no seeds, no fingerprint."""
    lib = SkillLibrary(str(tmp_path))
    old = primitive("push")
    old.status, old.stats = "validated", {"attempts": 50, "successes": 48, "mean_steps": 0.0}
    old.validated_on = {"scene_family": "tabletop", "backend": "mujoco", "by": "spacelab manip check"}
    lib.save(old)
    assert stale(lib)["push@1"] == ["scene family 'tabletop', not 'table-pick'", "robot not recorded",
                                    "no code fingerprint (validated by an older version)"]
    learn_library(lib, [], [], primitive_seeds=[0, 1])
    push = SkillLibrary(str(tmp_path)).latest("push")
    assert push.stats["attempts"] == 2 and push.validated_on["seeds"] == [0, 1] and "push@1" not in stale(lib)


def test_learning_versions_changed_content_only(tmp_path):
    lib = SkillLibrary(str(tmp_path))
    grasp = primitive("grasp")
    grasp.version = 2  # the current content, saved as version 2
    validate_primitive(grasp, lib, [0])
    place = primitive("place")
    place.description = "an older controller"
    lib.save(place)
    learn_library(lib, [], [], primitive_seeds=[0])
    lib = SkillLibrary(str(tmp_path))
    assert sorted(k for k in lib.skills if k.startswith(("grasp", "place"))) == ["grasp@2", "place@1", "place@2"]
    assert lib.skills["place@1"].stats["attempts"] == 0 and lib.skills["place@2"].stats["attempts"] == 1


# -- staleness ------------------------------------------------------------------------

def test_stale_reasons_name_what_changed(tmp_path):
    lib = SkillLibrary(str(tmp_path))
    rec = validate_primitive(primitive("navigate"), lib, [0])
    now = expected_context(rec)
    assert rec.stale_reasons(now) == [] and stale(lib) == {}
    assert rec.stale_reasons({**now, "backend": "pybullet"}) == ["backend 'mujoco', not 'pybullet'"]
    assert rec.stale_reasons({**now, "scene_family": "chains"}) == ["scene family 'table-pick', not 'chains'"]
    assert stale(lib, backend="mujoco-batch") == {"navigate@1": ["backend 'mujoco', not 'mujoco-batch'"]}
    rec.validated_on["code"] = "000000000000"  # measured by other controller code
    assert rec.stale_reasons(now) == [f"code changed since validation (000000000000 -> {code_fingerprint('primitive')})"]
    assert primitive("grasp").stale_reasons(expected_context(primitive("grasp"))) == ["never validated"]
    policy = SkillRecord(id="nudge", version=1, kind="policy", description="t", params={}, preconditions=[], effects=[],
                         policy="tests.test_skills:nudge")
    assert policy.stale_reasons(expected_context(policy)) == []


def test_code_fingerprint_follows_the_controller_source():
    fp = code_fingerprint("primitive")
    assert len(fp) == 12 and fp != code_fingerprint("composite") and code_fingerprint("policy") == ""
    code_fingerprint.cache_clear()
    assert code_fingerprint("primitive") == fp  # same source, same fingerprint


# -- planner costs come from the records ----------------------------------------------

def test_planner_costs_use_measured_stats_and_assume_nothing_without_them(tmp_path):
    assert Planner()._cost("grasp") == pytest.approx(math.log(2))  # no record: a coin flip, no step estimate
    lib = SkillLibrary(str(tmp_path))
    for name, (ok, steps) in {"grasp": (3, 124.0), "place": (2, 160.0)}.items():
        r = primitive(name)
        r.stats = {"attempts": 3, "successes": ok, "mean_steps": steps}
        lib.save(r)
    m = macro()
    m.status, m.stats = "validated", {"attempts": 0, "successes": 0, "mean_steps": 0.0}
    lib.save(m)
    p = Planner(lib)
    assert p._cost("grasp") == pytest.approx(-math.log(4 / 5) + LAMBDA * 1.24)
    assert p._cost("place") == pytest.approx(-math.log(3 / 5) + LAMBDA * 1.60)
    # the macro has no trials of its own: its children's success (4/5 * 3/5 < 1/2, so 1/2) and their summed steps
    assert p._cost("macro_grasp_place") == pytest.approx(math.log(2) + LAMBDA * 2.84)
