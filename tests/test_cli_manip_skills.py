"""`spacelab manip check|tasks` and `spacelab skills validate|learn|list`, run in-process with few seeds."""

import json
import re

import pytest

from planners.skills.learn import primitive_records
from planners.skills.library import SkillLibrary
from planners.skills.record import SkillRecord, code_fingerprint
from sim.manip.tasks import TASKS
from spacelab.cli import main

DRAWER = "the drawer is MuJoCo-only"


def run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


# -- spacelab manip ---------------------------------------------------------------------

def test_manip_check_prints_and_writes_each_skills_rate(tmp_path, capsys):
    out = run(capsys, "manip", "check", "--n", "2", "--skills", "reach", "place", "--out", str(tmp_path / "c.json"))
    res = json.loads((tmp_path / "c.json").read_text())
    assert list(res) == ["place", "reach"]  # sorted keys
    for skill, scene in (("reach", "table-pick"), ("place", "table-pick")):
        r = res[skill]
        assert (r["trials"], r["successes"], r["setup_failures"], r["success_rate"], r["seeds"], r["scene"]) == \
            (2, 2, 0, 1.0, [0, 1], scene)
        assert f"  {skill:12s}  100%  (2 trials, 0 setup failures, {r['mean_steps']} ticks on average)" in out
    assert out.splitlines()[0] == "skill success over 2 seeded states (floating gripper, mujoco)"


def test_manip_check_on_pybullet_skips_the_drawer_skills(tmp_path, capsys):
    out = run(capsys, "manip", "check", "--n", "1", "--skills", "push", "open", "--backend", "pybullet",
              "--out", str(tmp_path / "c.json"))
    res = json.loads((tmp_path / "c.json").read_text())
    assert res["open"] == {"skipped": DRAWER} and res["push"]["trials"] == 1
    assert f"  open         skipped: {DRAWER}" in out.splitlines()


def test_manip_check_names_an_unknown_skill(capsys):
    with pytest.raises(SystemExit) as e:
        main(["manip", "check", "--n", "1", "--skills", "juggle"])
    assert e.value.code == 2
    assert capsys.readouterr().err.startswith("spacelab: error: unknown skill 'juggle'; choose from: reach, grasp")


def test_manip_tasks_runs_every_task(tmp_path, capsys):
    out = run(capsys, "manip", "tasks", "--n", "1", "--out", str(tmp_path / "t.json"))
    res = json.loads((tmp_path / "t.json").read_text())
    assert res == {name: {"success_rate": 1.0, "runs": 1} for name in TASKS}
    assert out.splitlines() == ["task success over 1 seeds (floating gripper, mujoco)"] + \
        [f"  {name:20s} 100% of 1" for name in TASKS]


def test_manip_tasks_on_pybullet_says_which_tasks_it_skips(tmp_path, capsys):
    out = run(capsys, "manip", "tasks", "--n", "1", "--backend", "pybullet", "--out", str(tmp_path / "t.json"))
    res = json.loads((tmp_path / "t.json").read_text())
    assert res["put-in-drawer"] == res["find-hidden-object"] == {"skipped": DRAWER}
    assert res["pick-and-place"] == {"success_rate": 1.0, "runs": 1}
    assert f"  {'put-in-drawer':20s} skipped: {DRAWER}" in out.splitlines()


# -- spacelab skills --------------------------------------------------------------------

def test_skills_learn_measures_the_primitives_and_list_marks_stale_stats(tmp_path, capsys):
    lib_dir = str(tmp_path / "lib")
    out = run(capsys, "skills", "learn", "--library", lib_dir, "--train", "0", "--primitive-seeds", "2")
    names = [r.id for r in primitive_records()]
    assert out.splitlines()[-1] == ("0 successful traces; primitives: " + ", ".join(f"{n} (draft)" for n in names)
                                    + "; composites: none")
    lib = SkillLibrary(lib_dir)
    for name in names:
        rec = lib.latest(name)
        assert rec.stats["attempts"] == 2 and rec.validated_on["seeds"] == [0, 1]
        assert rec.validated_on["code"] == code_fingerprint("primitive")
    listing = run(capsys, "skills", "list", "--library", lib_dir).splitlines()
    assert len(listing) == len(names) and all("runs 2 ok 2" in line and "stale" not in line for line in listing)

    d = json.loads((tmp_path / "lib" / "close@1.json").read_text())
    d["validated_on"]["code"] = "000000000000"  # measured by other controller code
    (tmp_path / "lib" / "close@1.json").write_text(json.dumps(d))
    listing = run(capsys, "skills", "list", "--library", lib_dir).splitlines()
    assert listing[0].startswith("close@1") and listing[0].endswith(
        f"[stale: code changed since validation (000000000000 -> {code_fingerprint('primitive')})]")
    assert not any("stale" in line for line in listing[1:])
    listing = run(capsys, "skills", "list", "--library", lib_dir, "--backend", "mujoco-batch").splitlines()
    assert all("backend 'mujoco', not 'mujoco-batch'" in line for line in listing)

    out = run(capsys, "skills", "learn", "--library", lib_dir, "--train", "0", "--primitive-seeds", "2")
    assert out.splitlines()[:-1] == ["validating close ..."]  # only the stale one is measured again


def test_skills_validate_primitives_and_composites(tmp_path, capsys):
    lib_dir = str(tmp_path / "lib")
    lib = SkillLibrary(lib_dir)
    for r in primitive_records():
        if r.id in ("grasp", "place"):
            lib.save(r)
    lib.save(SkillRecord(id="macro_grasp_place", version=1, kind="composite", description="t",
                         params={"x0": {"role": "block"}, "x1": {"role": "any"}}, preconditions=[], effects=[],
                         steps=[{"skill": "grasp", "args": {"a0": "?x0"}},
                                {"skill": "place", "args": {"a0": "?x0", "a1": "?x1"}}]))

    out = run(capsys, "skills", "validate", "grasp", "--library", lib_dir, "--primitive-seeds", "3")
    assert out.splitlines() == ["grasp@1: draft (3/3 successes, lower bound 0.438, mujoco)"]
    out = run(capsys, "skills", "validate", "macro_grasp_place", "--library", lib_dir, "--validate-seeds", "2")
    assert out.splitlines() == ["macro_grasp_place@1: draft (2/2 successes, lower bound 0.342, mujoco)"]
    macro = SkillLibrary(lib_dir).latest("macro_grasp_place")
    assert macro.validated_on["seeds"] == [2000, 2001] and macro.validated_on["scene_family"] == "chains"
    assert macro.stats["attempts"] == 2 and macro.stats["mean_steps"] > 0

    out = run(capsys, "skills", "validate", "--library", lib_dir, "--primitive-seeds", "1", "--backend", "pybullet")
    assert out.splitlines() == ["grasp@1: draft (1/1 successes, lower bound 0.207, pybullet)",
                                "place@1: draft (1/1 successes, lower bound 0.207, pybullet)",
                                f"macro_grasp_place@1: skipped: {DRAWER}"]
    listing = run(capsys, "skills", "list", "--library", lib_dir).splitlines()
    assert [re.search(r"\[stale: (.*)\]$", line).group(1) for line in listing if line.startswith(("grasp", "place"))] \
        == ["backend 'pybullet', not 'mujoco'"] * 2

    with pytest.raises(SystemExit) as e:
        main(["skills", "validate", "nothing_here", "--library", lib_dir])
    assert e.value.code == 2 and "no skill 'nothing_here'" in capsys.readouterr().err
