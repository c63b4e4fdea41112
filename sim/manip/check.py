"""Success rates of the primitive skills over seeded initial states: `spacelab manip check`.

Each skill has a test scene family (`skill_scene`) and a rule for its arguments; a run whose
setup (for place and close: a grasp or an open first) fails is counted as a failure of the
setup skill, not of the skill under test: it is no trial of the skill, and is reported
separately. The skill library's primitive statistics come from this harness
(`planners.skills.learn.validate_primitive`).
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from scenes.suites import load_table_scene
from scenes.tabletop import TABLE_TOP
from sim.manip.base import check_backend, missing_drawer
from sim.manip.skills import PRIMITIVES, Skills, push_direction
from sim.manip.state import REGIONS
from sim.manip.world import make_world

DRAWER_SKILLS = ("open", "close", "look_around")  # tried in the kitchen-drawer scenes


def skill_scene(skill: str) -> str:
    """The scene suite (the scene family) a skill is checked in."""
    return "kitchen-drawer" if skill in DRAWER_SKILLS else "table-clutter" if skill == "grasp" else "table-pick"


def run_skill_case(skill: str, seed: int, robot: str = "floating", backend: str = "mujoco") -> dict:
    """One seeded trial: returns {"success", "setup_ok", "reason", "steps", "state"}."""
    rng = np.random.default_rng([seed, 99])
    w = make_world(load_table_scene(skill_scene(skill), seed), backend=backend, robot=robot)
    sk = Skills(w)
    setup_ok = True
    if skill == "reach":
        out = sk.reach([rng.uniform(-0.3, 0.3), rng.uniform(-0.25, 0.15), TABLE_TOP + rng.uniform(0.08, 0.3)])
    elif skill == "grasp":
        out = sk.grasp(sorted(w.blocks)[seed % len(w.blocks)])
    elif skill == "place":
        setup_ok = sk.grasp("block_0").success
        target = "bowl" if seed % 2 == 0 else "block_1"
        out = sk.place("block_0", target) if setup_ok else None
    elif skill == "push":
        out = sk.push("block_0", push_direction(w, "block_0"), 0.08)
    elif skill == "open":
        out = sk.open("drawer")
    elif skill == "close":
        setup_ok = sk.open("drawer").success
        out = sk.close("drawer") if setup_ok else None
    elif skill == "navigate":
        out = sk.navigate(sorted(REGIONS)[seed % len(REGIONS)])
    elif skill == "look_around":
        out = sk.look_around()
    else:
        raise ValueError(f"unknown skill {skill!r}; choose one of: {', '.join(PRIMITIVES)}")
    if out is None:
        return {"success": False, "setup_ok": False, "reason": "setup failed", "steps": 0, "state": []}
    return {"success": out.success, "setup_ok": setup_ok, "reason": out.reason, "steps": out.steps,
            "state": sorted(map(list, out.state))}


def summarize_runs(runs: list[dict]) -> dict:
    """The shared part of a check key's JSON from its case runs (each with "success", "setup_ok",
    "reason", "steps"): trials are the runs whose setup succeeded; the rate and the mean
    steps are over those (None without any); up to five distinct failure reasons."""
    valid = [r for r in runs if r["setup_ok"]]
    ok = sum(bool(r["success"]) for r in valid)
    return {"trials": len(valid), "successes": ok, "setup_failures": len(runs) - len(valid),
            "success_rate": round(ok / len(valid), 3) if valid else None,
            "mean_steps": round(sum(r["steps"] for r in valid) / len(valid), 1) if valid else None,
            "failures": sorted({r["reason"] for r in valid if not r["success"]})[:5]}


def check_skills(skills: list[str] | None = None, n: int = 50, progress: bool = True, robot: str = "floating",
                 backend: str = "mujoco", seeds=None) -> dict:
    """Per skill over the seeds (default 0..n-1): {"trials", "successes", "setup_failures",
    "success_rate", "mean_steps", "failures", "scene", "seeds"}, or {"skipped": why} for a
    skill the backend cannot run. Trials are the seeds whose setup succeeded; the rate and
    the mean control ticks are over those (None without any)."""
    check_backend(backend, robot)
    seeds = [int(s) for s in (range(n) if seeds is None else seeds)]
    out = {}
    for skill in skills or list(PRIMITIVES):
        if skill not in PRIMITIVES:
            raise ValueError(f"unknown skill {skill!r}; choose from: {', '.join(PRIMITIVES)}")
        if skill in DRAWER_SKILLS and missing_drawer(backend):
            out[skill] = {"skipped": missing_drawer(backend)}
            continue
        runs = [run_skill_case(skill, s, robot, backend) for s in tqdm(seeds, desc=skill, disable=not progress, leave=False)]
        out[skill] = summarize_runs(runs) | {"scene": skill_scene(skill), "seeds": seeds}
    return out
