"""`import spacelab` is the public API: a handful of names, cheap to import."""

import subprocess
import sys
from pathlib import Path

import pytest

import spacelab
from perception.probing import ProbeSubject
from scenes.spec import SceneError

ROOT = Path(__file__).resolve().parents[1]


def test_the_api_is_a_handful_of_names():
    assert sorted(spacelab.__all__) == ["evaluate", "load_scene", "make_agent", "make_env", "make_world",
                                        "register_agent", "run_episode", "score_map"]


def test_importing_spacelab_loads_no_physics():
    code = "import sys, spacelab; print(sorted(m for m in ('mujoco', 'pybullet', 'open3d', 'sim') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_load_scene_serves_both_kinds_of_suite():
    assert spacelab.load_scene("tos-2room", 4).seed == 4
    assert spacelab.load_scene("kitchen-drawer", 1).drawer is not None
    with pytest.raises(SceneError, match="unknown suite 'kitchen'"):
        spacelab.load_scene("kitchen", 0)


def test_make_env_runs_an_episode_and_is_a_probe_subject():
    env = spacelab.make_env("tos-2room", 0)
    env.reset(seed=0)
    assert isinstance(env, ProbeSubject)  # what the ProbeTracker reads, typed
    assert env.scene == spacelab.load_scene("tos-2room", 0)
    rec = spacelab.run_episode(env, spacelab.make_agent("oracle"), seed=0)
    assert rec["coverage"] == 1.0 and rec["belief"]["final"]["overall"] == 1.0
    assert spacelab.make_env().scene.suite == "tos-3room"  # the default suite


def test_make_world_gives_a_tabletop_with_its_symbolic_state():
    from sim.manip.state import symbolic_state

    world = spacelab.make_world("table-pick", 0)
    assert ("on", "block_0", "table") in symbolic_state(world)


def test_score_map_reads_dicts_and_text():
    truth = {"agent": {"position": [0, 0], "facing": "north"}, "chair": {"position": [2, 0], "facing": "east"}}
    assert spacelab.score_map(truth, truth)["overall"] == 1.0
    wrong_facing = '{"chair": {"position": [2, 0], "facing": "west"}}'
    scores = spacelab.score_map(wrong_facing, truth)
    assert scores["facing"] == 0.0 and scores["pos"] < 1.0  # the agent entry is missing
    assert spacelab.score_map("no map here", truth)["overall"] == 0.0
