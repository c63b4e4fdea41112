"""Success rates of the primitive skills over seeded initial states: `spacelab manip check`.

Each skill has a test scene family and a rule for its arguments; a run whose setup (for
place and close: a grasp or an open first) fails is counted as a failure of the setup
skill, not of the skill under test, and reported separately.
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


def run_skill_case(skill: str, seed: int, robot: str = "floating", backend: str = "mujoco") -> dict:
    """One seeded trial: returns {"success", "setup_ok", "reason", "state"}."""
    rng = np.random.default_rng([seed, 99])
    drawer = skill in DRAWER_SKILLS
    w = make_world(load_table_scene("kitchen-drawer" if drawer else "table-clutter" if skill == "grasp" else "table-pick",
                                    seed), backend=backend, robot=robot)
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
        return {"success": False, "setup_ok": False, "reason": "setup failed", "state": []}
    return {"success": out.success, "setup_ok": setup_ok, "reason": out.reason, "steps": out.steps,
            "state": sorted(map(list, out.state))}


def check_skills(skills: list[str] | None = None, n: int = 50, progress: bool = True, robot: str = "floating",
                 backend: str = "mujoco") -> dict:
    check_backend(backend, robot)
    out = {}
    for skill in skills or list(PRIMITIVES):
        if skill not in PRIMITIVES:
            raise ValueError(f"unknown skill {skill!r}; choose from: {', '.join(PRIMITIVES)}")
        if skill in DRAWER_SKILLS and missing_drawer(backend):
            out[skill] = {"skipped": missing_drawer(backend)}
            continue
        runs = [run_skill_case(skill, s, robot, backend) for s in tqdm(range(n), desc=skill, disable=not progress, leave=False)]
        valid = [r for r in runs if r["setup_ok"]]
        out[skill] = {"trials": len(valid), "setup_failures": n - len(valid),
                      "success_rate": round(sum(r["success"] for r in valid) / len(valid), 3) if valid else None,
                      "failures": sorted({r["reason"] for r in valid if not r["success"]})[:5]}
    return out
