"""Mobile-Panda skills in a house: navigate, pick and place by finger contact, failures as outcomes."""

import pytest

from scenes.house import load_house
from sim.manip.house_skills import HouseSkills
from sim.manip.house_world import HouseWorld


@pytest.mark.slow
def test_navigate_pick_place_on_a_table_without_penetration():
    w = HouseWorld(load_house("house-3room", 1))
    sk = HouseSkills(w)
    assert sk.navigate_to("duck_0").success
    assert sk.pick("duck_0").success
    assert ("holding", "duck_0") in w.symbolic_state()
    out = sk.place("duck_0", "table_0")
    assert out.success, out.reason
    assert ("on", "duck_0", "table_0") in out.state
    assert w.max_penetration <= 0.01


def test_failures_are_outcomes_not_exceptions():
    w = HouseWorld(load_house("house-2room", 0))
    sk = HouseSkills(w)
    assert sk.pick("teapot").reason.startswith("unknown item 'teapot'")
    assert sk.open("fridge_9").reason.startswith("unknown container 'fridge_9'")
    hidden = next(i for i in w.house.items if i.relation == "in")
    assert sk.pick(hidden.name).reason == f"{hidden.name} is not visible (inside a closed container)"
    assert sk.navigate_to("nowhere").reason == "unknown target 'nowhere'"
