"""Per-skill success of the mobile Panda over seeded house cases:
`spacelab manip check --suite house-3room --robot mobile-panda`.

Same JSON shape as `sim.manip.check.check_skills`: per check key {"trials", "successes",
"setup_failures", "success_rate", "mean_steps", "failures", "scene", "seeds"}, plus
"max_penetration_m" (deepest arm-vs-furniture/wall contact over the key's runs, from
MuJoCo contacts) and, for the container keys, "by_container" (successes/trials for drawers
and the cupboard); the worst penetration over all keys is under "_penetration".

Check keys (`HOUSE_SKILLS`; each names the skill it calls and the case it draws):

- navigate_to: a random piece; look_at: a piece or an item on a support in the start room;
  look_around: from the start pose;
- open / close: a dresser's top drawer; open_door / close_door: the cupboard's hinged door;
- pick / place: an item on a support (table, counter, shelf), put back on it;
- pick_container / place_container: an item in the top drawer or the cupboard (the
  container opened first), put back into it.

Case `seed` is house `seed` of the suite; the target is drawn with
`np.random.default_rng([seed, 16])`. Setup skills (a navigate before everything, an open
before close or a container pick, a pick before place) that fail make the case a setup
failure, not a trial.

Example:
    >>> sorted(CHECK_SKILL)[:3]
    ['close', 'close_door', 'look_around']
"""

from __future__ import annotations

import numpy as np

from scenes.house import HOUSE_SUITES, load_house
from scenes.spec import SceneError
from sim.manip.check import summarize_runs
from sim.manip.house_skills import HouseSkills
from sim.manip.house_world import HouseWorld

HOUSE_SKILLS = ("navigate_to", "look_at", "look_around", "open", "close", "open_door", "close_door", "pick", "place",
                "pick_container", "place_container")
CHECK_SKILL = {k: k.split("_door")[0].split("_container")[0] for k in HOUSE_SKILLS}  # check key -> skill it calls


def run_house_case(skill: str, suite: str, seed: int) -> dict:
    """One seeded case of check key `skill` (see the module docstring)."""
    if skill not in CHECK_SKILL:
        raise ValueError(f"unknown house check {skill!r}; choose from: {', '.join(HOUSE_SKILLS)}")
    house = load_house(suite, seed)
    rng = np.random.default_rng([seed, 16])
    w = HouseWorld(house)
    sk = HouseSkills(w, seed=seed)
    setup, out, container = True, None, None
    if skill == "navigate_to":
        target = [f.name for f in house.furniture][int(rng.integers(len(house.furniture)))]
        out = sk.navigate_to(target)
    elif skill == "look_at":  # from the start pose, at a piece or an item on a support in the start room
        room = house.scene.room_of(*house.scene.start_position)
        names = [f.name for f in house.furniture if f.room == room]
        names += [i.name for i in house.items if i.relation == "on" and house.piece(i.furniture).room == room]
        target = names[int(rng.integers(len(names)))] if names else house.furniture[0].name
        out = sk.look_at(target)
    elif skill == "look_around":
        out = sk.look_around()
        if out.success and not sk.seen:
            out.success, out.reason = False, "saw nothing"
    elif skill in ("open", "close", "open_door", "close_door"):
        kind = "cupboard" if skill.endswith("_door") else "dresser"
        targets = [f.containers[0] for f in house.furniture if f.kind == kind]
        target = targets[int(rng.integers(len(targets)))]
        setup = sk.navigate_to(target).success
        if setup and skill.startswith("close"):
            setup = sk.open(target).success
        out = getattr(sk, CHECK_SKILL[skill])(target) if setup else None
    else:
        inside = skill.endswith("_container")
        items = [i for i in house.items if (i.relation == "in") == inside]
        it = items[int(rng.integers(len(items)))]
        container = house.piece(it.furniture).kind if inside else None
        setup = sk.navigate_to(it.name).success
        if setup and inside:
            setup = sk.open(it.support).success
        if setup and skill.startswith("place"):
            setup = sk.pick(it.name).success
        out = (sk.pick(it.name) if skill.startswith("pick") else sk.place(it.name, it.support)) if setup else None
    return {"success": bool(out and out.success), "setup_ok": setup, "reason": out.reason if out else "setup failed",
            "steps": out.steps if out else 0, "penetration": w.max_penetration, "container": container,
            "worst_contact": (w.worst_contact.arm_body, w.worst_contact.other) if w.worst_contact else None}


def check_house_skills(suite: str = "house-3room", skills=None, n: int = 50, progress: bool = True, seeds=None) -> dict:
    if suite not in HOUSE_SUITES:
        raise SceneError(f"unknown house suite {suite!r}; choose one of: {', '.join(HOUSE_SUITES)}")
    seeds = [int(s) for s in (range(n) if seeds is None else seeds)]
    out: dict = {}
    worst = 0.0
    for skill in skills or HOUSE_SKILLS:
        if skill not in CHECK_SKILL:
            raise ValueError(f"unknown house check {skill!r}; choose from: {', '.join(HOUSE_SKILLS)}")
        runs = []
        for s in seeds:
            runs.append(run_house_case(skill, suite, s))
            if progress:
                print(f"{skill} seed {s}: {'ok' if runs[-1]['success'] else runs[-1]['reason']}", flush=True)
        valid = [r for r in runs if r["setup_ok"]]
        pen = max((r["penetration"] for r in runs), default=0.0)
        worst = max(worst, pen)
        out[skill] = summarize_runs(runs) | {"max_penetration_m": round(pen, 4), "scene": suite, "seeds": seeds}
        kinds = sorted({r["container"] for r in valid if r["container"]})
        if kinds:
            out[skill]["by_container"] = {
                {"dresser": "drawer"}.get(k, k): f"{sum(r['success'] for r in valid if r['container'] == k)}/"
                                                 f"{sum(r['container'] == k for r in valid)}" for k in kinds}
    out["_penetration"] = {"max_arm_penetration_m": round(worst, 4), "limit_m": 0.01, "ok": worst <= 0.01}
    return out


__all__ = ["CHECK_SKILL", "HOUSE_SKILLS", "check_house_skills", "run_house_case"]
