"""Skill library files as hostile input: every malformed record is one line naming the file and
the field, the rest of the library still loads; policy modules come from an allow-list; cycles
written by hand are found at load time; any JSON value is a record or a SkillError; and the
`spacelab manip` / `spacelab skills` arguments are checked (one line, exit 2)."""

import json
import os
import shutil
import sys
import tempfile
from json import dumps  # noqa: F401 -- a callable defined elsewhere, named as a policy below

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planners.skills.learn import load_policy, primitive_records
from planners.skills.library import MAX_FILE_BYTES, SkillLibrary
from planners.skills.record import POLICY_ENV, SkillError, SkillRecord, parse_policy
from sim.manip.skills import Outcome
from tests.cli_run import run_cli

GOOD = ["grasp@1", "pick_place@1", "place@1"]
PARAMS = {"x0": {"type": "string", "role": "block"}, "x1": {"type": "string", "role": "any"}}
STEPS = [{"skill": "grasp", "args": {"a0": "?x0"}}, {"skill": "place", "args": {"a0": "?x0", "a1": "?x1"}}]


def composite(id_="bad", version=1, **kw) -> dict:
    """A valid composite record as JSON (no hash, so a field can be changed by hand)."""
    return {"id": id_, "version": version, "kind": "composite", "description": "grasp then place", "params": PARAMS,
            "preconditions": ["derived from grasp"], "effects": ["derived from place"], "steps": STEPS,
            "stats": {"attempts": 3, "successes": 2, "mean_steps": 120.5}, "status": "draft", **kw}


def policy(value, **kw) -> dict:
    return {**composite(**kw), "kind": "policy", "steps": [], "policy": value}


def one_policy(skills, obj):
    """A policy skill (allowed only when this module is listed in $SPACELAB_POLICY_MODULES)."""
    return Outcome(True, 0, "", frozenset())


@pytest.fixture(scope="module")
def good_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    lib = SkillLibrary(str(root))
    for r in primitive_records():
        if r.id in ("grasp", "place"):
            lib.save(r)
    lib.save(SkillRecord.from_dict(composite("pick_place")))
    return root


@pytest.fixture
def library(good_library, tmp_path):
    """A copy of a valid library (two primitives and a composite) to put one bad file into."""
    root = tmp_path / "lib"
    shutil.copytree(good_library, root)
    return root


def load_with(root, name, content) -> SkillLibrary:
    path = root / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return SkillLibrary(str(root))


def assert_one_error(lib, root, name, message):
    assert len(lib.errors) == 1, lib.errors
    err = lib.errors[0]
    assert "\n" not in err and len(err) < 600, err
    assert err.startswith(f"{root / name}: "), err
    assert f"{name}: {message}" in err, err
    assert sorted(lib.skills) == GOOD  # the rest of the library still loads


def deep(n):
    v = 0
    for _ in range(n):
        v = [v]
    return v


# (name, record as JSON, expected message after "<file>: ")
FIELD_CASES = [
    ("id-missing", {k: v for k, v in composite().items() if k != "id"}, "field 'id' is missing"),
    ("id-number", composite(id_=5), "field 'id' must be lower_snake_case"),
    ("id-caps", composite(id_="Bad"), "field 'id' must be lower_snake_case"),
    ("id-newline", composite(id_="bad\n"),
     "field 'id' must be lower_snake_case (a-z, 0-9, _; at most 64 characters), got 'bad\\n'"),
    ("id-path", composite(id_="../bad"), "field 'id' must be lower_snake_case"),
    ("id-long", composite(id_="b" * 65), "field 'id' must be lower_snake_case"),
    ("id-file-mismatch", composite(id_="other"), "field 'id'/'version' say other@1, but the file is named 'bad@1.json'"),
    ("version-string", composite(version="1"), "field 'version' must be an integer, got string"),
    ("version-zero", composite(version=0), "field 'version' must be >= 1, got 0"),
    ("version-bool", composite(version=True), "field 'version' must be an integer, got boolean"),
    ("version-float", composite(version=1.0), "field 'version' must be an integer, got number"),
    ("version-huge", composite(version=10**300), "field 'version' must be >= 1 and <= 1000000000"),
    ("kind-unknown", {**composite(), "kind": "magic"}, "field 'kind' must be one of ('primitive', 'composite', 'policy')"),
    ("kind-list", {**composite(), "kind": ["composite"]}, "field 'kind' must be one of"),
    ("description-number", {**composite(), "description": 7}, "field 'description' must be a string, got integer"),
    ("description-newline", {**composite(), "description": "a\nb"}, "field 'description' must be one line of text"),
    ("description-long", {**composite(), "description": "x" * 3000}, "field 'description' is longer than 2000 characters"),
    ("params-list", {**composite(), "params": []}, "field 'params' must be an object, got array"),
    ("params-schema-string", {**composite(), "params": {"x0": "block", "x1": {}}},
     "field 'params.x0' must be an object (a JSON schema), got string"),
    ("params-name", {**composite(), "params": {**PARAMS, "bad name": {}}}, "field 'params['bad name']' is not a parameter name"),
    ("params-role", {**composite(), "params": {**PARAMS, "x1": {"role": "robot"}}},
     "field 'params.x1.role' must be one of ('block', 'any'), got 'robot'"),
    ("params-type", {**composite(), "params": {**PARAMS, "x1": {"type": "blob"}}}, "field 'params.x1.type' must be one of"),
    ("params-nan", {**composite(), "params": {**PARAMS, "x1": {"minimum": float("nan")}}},
     "field 'params.x1.minimum' must be a finite number"),
    ("params-min-items", {**composite(), "params": {**PARAMS, "x1": {"minItems": -1}}},
     "field 'params.x1.minItems' must be >= 0, got -1"),
    ("params-min-over-max", {**composite(), "params": {**PARAMS, "x1": {"minimum": 2, "maximum": 1}}},
     "field 'params.x1.minimum' is greater than maximum"),
    ("params-schema-nesting", {**composite(), "params": {**PARAMS, "x1": {"items": {"items": {"items": {"items": {}}}}}}},
     "field 'params.x1.items.items.items.items' nests schemas more than 4 levels deep"),
    ("params-deep-default", {**composite(), "params": {**PARAMS, "x1": {"default": deep(40)}}},
     "field 'params.x1.default" + "[0]" * 15 + "' is nested more than 16 levels deep"),
    ("preconditions-string", {**composite(), "preconditions": "holding(x)"},
     "field 'preconditions' must be a list of strings, got string"),
    ("preconditions-number", {**composite(), "preconditions": ["ok", 5]},
     "field 'preconditions[1]' must be a string, got integer"),
    ("effects-empty-string", {**composite(), "effects": [" "]}, "field 'effects[0]' must not be empty"),
    ("effects-line-separator", {**composite(), "effects": ["a\u2028b"]}, "field 'effects[0]' must be one line of text"),
    ("effects-surrogate", {**composite(), "effects": ["\ud800"]}, "field 'effects[0]' holds an unpaired surrogate"),
    ("effects-too-many", {**composite(), "effects": ["e"] * 101}, "field 'effects' has more than 100 entries"),
    ("status-unknown", {**composite(), "status": "done"}, "field 'status' must be one of ('draft', 'validated', 'deprecated')"),
    ("steps-number", {**composite(), "steps": 5}, "field 'steps' must list the child skills of a composite"),
    ("steps-empty", {**composite(), "steps": []}, "field 'steps' must list the child skills of a composite"),
    ("steps-item-number", {**composite(), "steps": [5]},
     "field 'steps[0]' must be {\"skill\": id, \"args\": {...}}, got integer"),
    ("steps-no-args", {**composite(), "steps": [{"skill": "grasp"}]}, "field 'steps[0]' must be {\"skill\": id"),
    ("steps-extra-key", {**composite(), "steps": [{"skill": "grasp", "args": {}, "run": "rm"}]}, "field 'steps[0]' must be {"),
    ("steps-skill-id", {**composite(), "steps": [{"skill": "Grasp!", "args": {}}]},
     "field 'steps[0].skill' must be a skill id (lower_snake_case), got 'Grasp!'"),
    ("steps-args-list", {**composite(), "steps": [{"skill": "grasp", "args": []}]}, "field 'steps[0].args' must be an object"),
    ("steps-unknown-variable", {**composite(), "steps": [{"skill": "grasp", "args": {"a0": "?x9"}}]},
     "field 'steps[0].args.a0' names '?x9', which is not one of the parameters ['x0', 'x1']"),
    ("steps-arg-list", {**composite(), "steps": [{"skill": "grasp", "args": {"a0": [1]}}]},
     "field 'steps[0].args.a0' must be a '?parameter' or a constant string or number, got array"),
    ("steps-too-many", {**composite(), "steps": STEPS * 33}, "field 'steps' has more than 64 children"),
    ("steps-on-primitive", {**composite(), "kind": "primitive"}, "field 'steps' must be empty for a primitive skill"),
    ("policy-number", policy(5), "field 'policy' must name a callable as 'module:function', got 5"),
    ("policy-os-system", policy("os:system"), "field 'policy' names 'os:system', whose module is not allowed for policy skills"),
    ("policy-builtins-eval", policy("builtins:eval"), "field 'policy' names 'builtins:eval', whose module is not allowed"),
    ("policy-subprocess", policy("subprocess:check_output"),
     "field 'policy' names 'subprocess:check_output', whose module is not"),
    ("policy-prefix-trick", policy("planners_evil.x:run"), "field 'policy' names 'planners_evil.x:run', whose module is not"),
    ("policy-relative", policy(".planners:run"), "field 'policy' must name a callable as 'module:function'"),
    ("policy-private", policy("planners.skills.learn:__import__"), "field 'policy' must name a callable as 'module:function'"),
    ("policy-on-primitive", {**composite(), "kind": "primitive", "steps": [], "policy": "planners.x:run"},
     "field 'policy' must be empty for a primitive skill"),
    ("provenance-string", {**composite(), "provenance": "me"}, "field 'provenance' must be an object, got string"),
    ("provenance-infinity", {**composite(), "provenance": {"n": float("inf")}}, "field 'provenance.n' must be a finite number"),
    ("provenance-huge-int", {**composite(), "provenance": {"n": 10**100}}, "field 'provenance.n' is an integer beyond +-2**53"),
    ("stats-list", {**composite(), "stats": []}, "field 'stats' must be an object, got array"),
    ("stats-negative", {**composite(), "stats": {"attempts": -1, "successes": 0}}, "field 'stats.attempts' must be >= 0, got -1"),
    ("stats-float", {**composite(), "stats": {"attempts": 1.5}}, "field 'stats.attempts' must be an integer, got number"),
    ("stats-bool", {**composite(), "stats": {"attempts": True}}, "field 'stats.attempts' must be an integer, got boolean"),
    ("stats-string", {**composite(), "stats": {"successes": "3"}}, "field 'stats.successes' must be an integer, got string"),
    ("stats-more-successes", {**composite(), "stats": {"attempts": 3, "successes": 5}},
     "field 'stats.successes' (5) must not exceed stats.attempts (3)"),
    ("stats-huge", {**composite(), "stats": {"attempts": 10**400, "successes": 0}},
     "field 'stats.attempts' must be >= 0 and <= 1000000000000"),
    ("stats-mean-nan", {**composite(), "stats": {"mean_steps": float("nan")}},
     "field 'stats.mean_steps' must be a finite number"),
    ("stats-mean-negative", {**composite(), "stats": {"mean_steps": -1}}, "field 'stats.mean_steps' must be between 0 and"),
    ("stats-unknown", {**composite(), "stats": {"wins": 3}}, "field 'stats.wins' is not a statistic"),
    ("validated-on-list", {**composite(), "validated_on": []}, "field 'validated_on' must be an object, got array"),
    ("validated-on-bound", {**composite(), "validated_on": {"lower_bound": 2}},
     "field 'validated_on.lower_bound' must be between 0 and 1, got 2"),
    ("validated-on-seeds", {**composite(), "validated_on": {"seeds": "0-9"}},
     "field 'validated_on.seeds' must be a list of integer seeds"),
    ("validated-on-trials", {**composite(), "validated_on": {"trials": -3}}, "field 'validated_on.trials' must be >= 0"),
    ("unknown-field", {**composite(), "efects": []}, "field 'efects' is not a skill record field"),
    ("hash-number", {**composite(), "hash": 5}, "field 'hash' must be a string, got integer"),
    ("hash-edited", {**composite(), "hash": "0123456789abcdef"}, "field 'hash' does not match the content"),
]


@pytest.mark.parametrize("record, message", [c[1:] for c in FIELD_CASES], ids=[c[0] for c in FIELD_CASES])
def test_a_malformed_record_is_one_line_naming_file_and_field_and_the_rest_loads(library, record, message):
    lib = load_with(library, "bad@1.json", record)
    assert_one_error(lib, library, "bad@1.json", message)


def test_there_are_at_least_thirty_field_cases():
    assert len(FIELD_CASES) >= 30 and len({c[0] for c in FIELD_CASES}) == len(FIELD_CASES)


FILE_CASES = [
    ("empty", "", "not valid JSON (line 1, column 1: Expecting value)"),
    ("truncated", '{"id": "bad", "version": 1, "kind": ', "not valid JSON"),
    ("deep", "[" * 100_000, "not valid JSON (nested too deeply)"),
    ("huge-integer", '{"id": "bad", "version": 1' + "0" * 5000 + "}", "not valid JSON (Exceeds the limit"),
    ("not-utf8", b'{"id": "\xff"}', "not UTF-8 text (byte 8)"),
    ("array", [composite()], "a skill record must be a JSON object, got array"),
    ("null", None, "a skill record must be a JSON object, got null"),
    ("too-big", " " * (MAX_FILE_BYTES + 1), f"{MAX_FILE_BYTES + 1} bytes, more than a skill record may hold"),
]


@pytest.mark.parametrize("content, message", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_an_unreadable_file_is_one_line_naming_the_file_and_the_rest_loads(library, content, message):
    lib = load_with(library, "bad@1.json", content)
    assert_one_error(lib, library, "bad@1.json", message)


def test_a_directory_or_a_fifo_is_not_read(library):
    (library / "dir@1.json").mkdir()
    os.mkfifo(library / "fifo@1.json")  # opening it would block forever
    lib = SkillLibrary(str(library))
    assert lib.errors == [f"{library / 'dir@1.json'}: not a regular file", f"{library / 'fifo@1.json'}: not a regular file"]
    assert sorted(lib.skills) == GOOD


def test_an_odd_file_name_stays_on_one_line(library):
    lib = load_with(library, "bad\n@1.json", composite())
    assert len(lib.errors) == 1 and "\n" not in lib.errors[0] and "bad\\n@1.json" in lib.errors[0]
    assert sorted(lib.skills) == GOOD


def test_errors_from_from_dict_name_the_source_and_saving_refuses_what_loading_would():
    with pytest.raises(SkillError, match=r"^pick\.json: field 'stats\.successes' \(4\)"):
        SkillRecord.from_dict(composite(stats={"attempts": 1, "successes": 4}), source="pick.json")
    rec = SkillRecord.from_dict(composite("fine"))
    rec.stats = {"attempts": -5, "successes": 0, "mean_steps": 0.0}
    with pytest.raises(SkillError, match="field 'stats.attempts' must be >= 0"):
        SkillLibrary(tempfile.mkdtemp()).save(rec)


def test_missing_stats_are_filled_in_and_a_valid_record_round_trips():
    d = composite("ok")
    d.pop("stats")
    rec = SkillRecord.from_dict(d)
    assert rec.stats == {"attempts": 0, "successes": 0, "mean_steps": 0.0}
    assert SkillRecord.from_dict(rec.to_dict()).to_dict() == rec.to_dict()
    for r in primitive_records():  # every shipped primitive passes the schema checks
        assert SkillRecord.from_dict(r.to_dict()).content_hash() == r.content_hash()


# -- the policy allow-list ----------------------------------------------------------------

@pytest.mark.parametrize("value", ["os:system", "builtins:eval", "subprocess:run", "subprocess:Popen", "posix:system",
                                   "importlib:import_module", "tests.test_skill_library_inputs:one_policy"])
def test_policy_modules_off_the_allow_list_are_refused_at_load_time(library, monkeypatch, value):
    monkeypatch.delenv(POLICY_ENV, raising=False)
    lib = load_with(library, "bad@1.json", policy(value))
    assert_one_error(lib, library, "bad@1.json", f"field 'policy' names {value!r}, whose module is not allowed for policy "
                     f"skills (allowed: planners; add modules to ${POLICY_ENV})")


def test_listed_modules_are_allowed_and_load(library, monkeypatch):
    monkeypatch.setenv(POLICY_ENV, "mypkg.policies, tests.test_skill_library_inputs.")
    lib = load_with(library, "mine@1.json", policy("tests.test_skill_library_inputs:one_policy", id_="mine"))
    assert lib.errors == [] and sorted(lib.skills) == sorted([*GOOD, "mine@1"])
    act = load_policy(lib.skills["mine@1"])  # this file, imported again as tests.test_skill_library_inputs
    assert act.__qualname__ == "one_policy" and act(None, "block_0").success
    assert parse_policy("mypkg.policies.sub:act") == ("mypkg.policies.sub", "act")  # a package covers its modules
    with pytest.raises(SkillError, match="'mypkg.policiesx:act', whose module is not allowed"):
        parse_policy("mypkg.policiesx:act")  # a prefix of a name is not the package
    with pytest.raises(SkillError, match="'os:system', whose module is not allowed"):
        parse_policy("os:system")


def test_a_malformed_allow_list_is_named(library, monkeypatch):
    monkeypatch.setenv(POLICY_ENV, "mypkg;rm -rf /")
    lib = load_with(library, "bad@1.json", policy("planners.skills.learn:cem"))
    assert_one_error(lib, library, "bad@1.json",
                     f"field 'policy' cannot be checked: ${POLICY_ENV}: 'mypkg;rm -rf /' is not a module name")


def test_load_policy_checks_before_importing_and_refuses_callables_from_elsewhere(monkeypatch):
    monkeypatch.delenv(POLICY_ENV, raising=False)
    sys.modules.pop("antigravity", None)
    rec = SkillRecord(id="x", version=1, kind="policy", description="", params={}, preconditions=[], effects=[],
                      policy="antigravity:geohash")  # built directly, never through from_dict
    with pytest.raises(SkillError, match="'antigravity:geohash', whose module is not allowed"):
        load_policy(rec)
    assert "antigravity" not in sys.modules  # refused before any import
    rec.policy = "planners.skills.learn:np"  # a module imported into an allowed one is not callable
    with pytest.raises(SkillError, match="which is not callable"):
        load_policy(rec)
    rec.policy = "planners.skills.learn:Counter"  # defined in collections, re-exported by an allowed module
    with pytest.raises(SkillError, match="which is defined in 'collections', not in an allowed module"):
        load_policy(rec)
    monkeypatch.setenv(POLICY_ENV, "tests.test_skill_library_inputs")
    rec.policy = "tests.test_skill_library_inputs:dumps"  # json.dumps, imported into a listed module
    with pytest.raises(SkillError, match="defined in 'json'"):
        load_policy(rec)
    rec.policy = "planners.skills.nowhere:act"
    with pytest.raises(SkillError, match="'planners.skills.nowhere:act', which cannot be imported"):
        load_policy(rec)


# -- cycles written by hand -----------------------------------------------------------------

def test_a_cycle_written_to_disk_is_found_at_load_time_and_named(library):
    for name, child in (("alpha", "beta"), ("beta", "gamma"), ("gamma", "alpha"), ("delta", "alpha")):
        load_with(library, f"{name}@1.json", composite(name, steps=[{"skill": child, "args": {"a0": "?x0"}}]))
    load_with(library, "selfish@1.json", composite("selfish", steps=[{"skill": "selfish", "args": {}}]))
    load_with(library, "beta@2.json", composite("beta", version=2, steps=[{"skill": "grasp", "args": {"a0": "?x0"}}]))
    lib = SkillLibrary(str(library))
    cycle = "alpha -> beta -> gamma -> alpha"
    assert sorted(lib.errors) == sorted([
        f"{library / 'alpha@1.json'}: field 'steps' closes a cycle: {cycle}",
        f"{library / 'beta@1.json'}: field 'steps' closes a cycle: {cycle}",
        f"{library / 'gamma@1.json'}: field 'steps' closes a cycle: {cycle}",
        f"{library / 'selfish@1.json'}: field 'steps' closes a cycle: selfish -> selfish",
    ])
    assert sorted(lib.skills) == sorted([*GOOD, "beta@2", "delta@1"])  # beta@2 does not close it
    assert lib.depth("delta") == 1 and lib.depth("beta") == 1  # the graph is a DAG again


def test_a_two_file_cycle_is_named_through_the_cli(library, capsys):
    load_with(library, "ping@1.json", composite("ping", steps=[{"skill": "pong", "args": {}}]))
    load_with(library, "pong@1.json", composite("pong", steps=[{"skill": "ping", "args": {}}]))
    code, out, err = run_cli(capsys, "skills", "list", "--library", str(library))
    assert code == 0 and len(out.splitlines()) == len(GOOD)
    assert err.splitlines() == [f"spacelab: skipped {library / n}: field 'steps' closes a cycle: ping -> pong -> ping"
                                for n in ("ping@1.json", "pong@1.json")]


# -- any JSON value ------------------------------------------------------------------------

SCALARS = (st.none() | st.booleans() | st.integers() | st.sampled_from([10**30, -(2**63), 10**400, 2**53 + 1])
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=20) | st.sampled_from(["", "\n", "\ud800", "a\u2028b", "?x0", "os:system", "grasp",
                                                        "planners.x:y", "composite", "policy", "draft"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8) | st.sampled_from(list(composite()) + ["hash", "attempts", "a0",
                                                                                                  "skill", "args"]),
                                      inner, max_size=4), max_leaves=20)
FIELD_NAMES = [*composite(), "policy", "provenance", "validated_on", "hash", "extra"]


@st.composite
def near_records(draw):
    """A valid record of some kind with a few fields replaced by arbitrary JSON (or dropped)."""
    base = draw(st.sampled_from([composite(), policy("planners.skills.learn:cem"), {**composite(), "kind": "primitive",
                                                                                   "steps": []}]))
    d = dict(base)
    for name in draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=3)):
        if draw(st.booleans()):
            d[name] = draw(JSON)
        else:
            d.pop(name, None)
    return d


def check_any(value):
    try:
        rec = SkillRecord.from_dict(value, source="h@1.json")
    except SkillError as e:
        assert str(e).startswith("h@1.json: ") and "\n" not in str(e)
    else:
        assert isinstance(rec, SkillRecord)
        SkillRecord.from_dict(rec.to_dict())  # what loads can be written and loaded again
        json.dumps(rec.to_dict(), allow_nan=False)  # and is strict JSON
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "h@1.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(value))
        lib = SkillLibrary(root)
        assert len(lib.skills) + len(lib.errors) == 1
        assert all("\n" not in e and e.startswith(os.path.join(root, "h@1.json")) for e in lib.errors)
        for r in lib.skills.values():
            lib.depth(r.id), lib.reuse_counts(), r.success_rate, r.stale_reasons({"backend": "mujoco"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_any_json_value_is_a_record_or_a_skill_error(value):
    check_any(value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_records())
def test_any_nearly_valid_record_is_a_record_or_a_skill_error(value):
    check_any(value)


# -- the CLI -------------------------------------------------------------------------------



@pytest.mark.parametrize("argv, message", [
    (["manip", "tasks", "--n", "0"], "spacelab manip: argument --n: must be >= 1, got 0"),
    (["manip", "check", "--n", "-1"], "spacelab manip: argument --n: must be >= 1, got -1"),
    (["manip", "check", "--n", "two"], "spacelab manip: argument --n: must be an integer >= 1, got 'two'"),
    (["manip", "check", "--n", "9" * 5000], "spacelab manip: argument --n: must be an integer >= 1, got '9999"),
    (["skills", "evaluate", "--chains", "0"], "spacelab skills: argument --chains: must be >= 1, got 0"),
    (["skills", "learn", "--train", "-1"], "spacelab skills: argument --train: must be >= 0, got -1"),
    (["skills", "learn", "--primitive-seeds", "0"], "spacelab skills: argument --primitive-seeds: must be >= 1, got 0"),
    (["skills", "validate", "--validate-seeds", "0"], "spacelab skills: argument --validate-seeds: must be >= 1, got 0"),
    (["skills", "evaluate", "--workers", "0"], "spacelab skills: argument --workers: must be >= 1, got 0"),
])
def test_counts_must_be_in_range(capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith(f"spacelab: error: {message}"), err
    assert len(err) < 300


@pytest.mark.parametrize("what", [["list"], ["show", "grasp"], ["validate"], ["evaluate", "--chains", "1"]])
def test_reading_a_missing_library_is_one_line_naming_it(capsys, tmp_path, what):
    missing = tmp_path / "nowhere"
    code, out, err = run_cli(capsys, "skills", *what, "--library", str(missing))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err == f"spacelab: error: --library {str(missing)!r}: no such directory (spacelab skills learn creates a library)\n"
    assert not missing.exists()  # reading never creates it


def test_a_library_that_is_a_file_is_one_line(capsys, tmp_path):
    f = tmp_path / "lib.json"
    f.write_text("{}")
    for what in ("list", "learn"):
        code, _out, err = run_cli(capsys, "skills", what, "--library", str(f))
        assert code == 2 and err == f"spacelab: error: --library {str(f)!r} is not a directory\n"


def test_learn_creates_a_missing_library(capsys, tmp_path, monkeypatch):
    from planners.skills import learn

    monkeypatch.setattr(learn, "learn_library", lambda lib, *a, **k: {"traces": 0, "candidates": [], "status": {}})
    target = tmp_path / "new" / "lib"
    code, out, _err = run_cli(capsys, "skills", "learn", "--library", str(target), "--train", "0")
    assert code == 0 and target.is_dir() and out.splitlines()[-1].startswith("0 successful traces")


def test_list_skips_bad_files_with_one_line_each(library, capsys):
    (library / "evil@1.json").write_text(json.dumps(policy("os:system", id_="evil")))
    (library / "torn@1.json").write_text('{"id": ')
    code, out, err = run_cli(capsys, "skills", "list", "--library", str(library))
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == GOOD
    assert err.splitlines() == [
        (f"spacelab: skipped {library / 'evil@1.json'}: field 'policy' names 'os:system', whose module is not allowed for "
         f"policy skills (allowed: planners; add modules to ${POLICY_ENV})"),
        f"spacelab: skipped {library / 'torn@1.json'}: not valid JSON (line 1, column 8: Expecting value)",
    ]
