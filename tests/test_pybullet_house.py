"""The mobile Panda (pybullet_data's URDF) in a house on PyBullet: build, pick, place, determinism."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes.house import FURNITURE_KINDS, Furniture, load_house
from sim.manip.house_world import TUCK
from sim.manip.pybullet_house import PyBulletHouseSkills, PyBulletHouseWorld, carry_plan, run_pybullet_case
from sim.manip.pybullet_house_build import furniture_parts, item_mesh


@pytest.fixture(scope="module")
def picked_and_placed():
    """house-3room #1: drive to duck_0 on table_0, pick it, put it back on table_0."""
    w = PyBulletHouseWorld(load_house("house-3room", 1))
    sk = PyBulletHouseSkills(w, seed=1)
    rec = {"nav": sk.navigate_to("duck_0"), "support_top": w.house.piece("table_0").size[2],
           "bottom_before": w.item_bottom("duck_0")}
    rec["pick"] = sk.pick("duck_0")
    rec["bottom_held"] = w.item_bottom("duck_0")
    rec["tilt_held"] = w.item_tilt("duck_0")
    rec["constraints"] = w.p.getNumConstraints(physicsClientId=w.cid)
    rec["place"] = sk.place("duck_0", "table_0")
    yield w, sk, rec
    w.close()


def test_pick_lifts_the_item_by_finger_friction(picked_and_placed):
    _, _, rec = picked_and_placed
    assert rec["nav"].success, rec["nav"].reason
    assert rec["pick"].success, rec["pick"].reason
    assert ("holding", "duck_0") in rec["pick"].state
    assert abs(rec["bottom_before"] - 0.75) < 0.003  # stood on the 0.75 m table top
    assert rec["bottom_held"] >= rec["support_top"] + 0.05
    assert rec["tilt_held"] < 5.0  # held upright, squeezed across its narrowest width
    assert rec["constraints"] == 1  # only the finger gear: nothing ties the item to the hand


def test_place_rests_the_item_on_its_support_with_the_fingers_off(picked_and_placed):
    w, _, rec = picked_and_placed
    out = rec["place"]
    assert out.success, out.reason
    assert ("on", "duck_0", "table_0") in out.state
    f = w.house.piece("table_0")
    v = w.item_pos("duck_0")[:2] - np.asarray(f.position)
    depth = math.cos(f.yaw) * v[0] + math.sin(f.yaw) * v[1]
    lateral = -math.sin(f.yaw) * v[0] + math.cos(f.yaw) * v[1]
    assert abs(lateral) < f.size[0] / 2 and abs(depth) < f.size[1] / 2
    assert abs(w.item_bottom("duck_0") - 0.75) < 0.005
    assert w.finger_contacts("duck_0") == set()
    assert np.abs(w.q() - np.array(TUCK)).max() < 0.03  # the arm tucked again
    assert w.max_penetration <= 0.01


def test_a_case_is_deterministic():
    a = run_pybullet_case("place", "house-3room", 3)
    b = run_pybullet_case("place", "house-3room", 3)
    assert a["success"] and a["item"] == "mug_1", a
    assert np.abs(np.array(a["final"]) - b["final"]).max() <= 1e-9
    assert a["steps"] == b["steps"]


def test_failures_are_outcomes():
    w = PyBulletHouseWorld(load_house("house-3room", 1))
    sk = PyBulletHouseSkills(w)
    try:
        assert sk.pick("teapot").reason.startswith("unknown item 'teapot'")
        assert sk.pick("duck_0").reason == "not parked at table_0"
        assert sk.pick("mug_0").reason == "mug_0 is in the closed dresser_0_drawer1 (drawers and doors are MuJoCo-only)"
        assert sk.place("duck_0", "table_0").reason == "not holding duck_0"
        assert sk.place("duck_0", "sofa").reason == "unknown support or container 'sofa'"
        assert sk.navigate_to("nowhere").reason == "unknown target 'nowhere'"
        assert w.physics_steps == 5 * 8  # none of them moved anything
    finally:
        w.close()


def test_the_wrapper_urdf_is_the_panda_on_a_holonomic_base():
    w = PyBulletHouseWorld(load_house("house-2room", 0), start=(1.5, 0.5, 0.0))
    try:
        p, r = w.p, w.robot
        lim = [p.getJointInfo(r.body, j, physicsClientId=w.cid)[8:10] for j in r.arm_joints]
        assert lim[3] == pytest.approx((-3.1416, 0.0)) and lim[5] == pytest.approx((-0.0873, 3.8223))
        assert [p.getJointInfo(r.body, j, physicsClientId=w.cid)[10] for j in r.arm_joints] == [87, 87, 87, 87, 12, 12, 12]
        link0, yaw = w.mount()
        assert link0 == pytest.approx((1.62, 0.5, 0.42), abs=1e-3) and yaw == pytest.approx(0.0, abs=1e-4)
        tcp = w.tcp()
        for j, q in zip(r.base_joints, (2.5, 0.5, 0.0)):  # the base carries the arm: 1 m along x
            p.resetJointState(r.body, j, q, physicsClientId=w.cid)
        assert w.tcp() - tcp == pytest.approx((1.0, 0.0, 0.0), abs=1e-6)
    finally:
        w.close()


def test_furniture_tops_are_collision_bodies_at_their_real_heights():
    house = load_house("house-3room", 1)
    w = PyBulletHouseWorld(house)
    try:
        for f in house.furniture:
            if f.kind not in ("table", "counter", "shelf"):
                continue
            x, y = f.to_world(-0.25, -0.15)  # a spot no item stands on
            hit = w.p.rayTest([x, y, 2.0], [x, y, 0.0], physicsClientId=w.cid)[0]
            assert hit[0] == w.pieces[f.name]
            assert hit[3][2] == pytest.approx(FURNITURE_KINDS[f.kind].size[2], abs=1e-4)
    finally:
        w.close()


def test_the_contact_monitor_sees_an_arm_pushed_into_a_table():
    w = PyBulletHouseWorld(load_house("house-3room", 1))
    sk = PyBulletHouseSkills(w)
    try:
        assert sk.navigate_to("table_0").success
        assert w.max_penetration == 0.0
        w.ik.place_base(*w.mount())  # the IK copy's arm where the real arm is parked
        f = w.house.piece("table_0")
        x, y = f.to_world(-0.2, 0.0)
        q, _, _ = w.ik.solve(w.q(), [x, y, 0.70], [1.0, 0.0, 0.0, 0.0])  # 5 cm below the top
        for j, v in zip(w.robot.arm_joints, q):  # planted: teleport the hand into the table
            w.p.resetJointState(w.body, j, v, physicsClientId=w.cid)
        w.set_arm_target(q)
        w.step(1)
        assert w.max_penetration > 0.005 and w.worst_contact[1] == "table_0"
        assert w.worst_contact[0].startswith(("panda_link", "panda_hand", "panda_leftfinger", "panda_rightfinger"))
    finally:
        w.close()


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(FURNITURE_KINDS)), facing=st.sampled_from([(1, 0), (0, 1), (-1, 0), (0, -1)]))
def test_furniture_parts_stay_inside_the_piece(kind, facing):
    size = FURNITURE_KINDS[kind].size
    f = Furniture("p", kind, 0, (0.5, 0.5), facing, size)
    parts = furniture_parts(f)
    tops = [c[2] + s[2] / 2 for s, c, _ in parts]
    assert max(tops) == pytest.approx(size[2])
    for s, c, _ in parts:
        assert abs(c[1]) + s[1] / 2 <= size[0] / 2 + 1e-9  # across the front
        assert -size[1] / 2 - 1e-9 <= c[0] - s[0] / 2 and c[0] + s[0] / 2 <= size[1] / 2 + 0.12  # knobs stand proud
        assert c[2] - s[2] / 2 >= -1e-9


def test_item_meshes_are_centred_and_upright():
    for kind, (height, narrow) in {"mug": (0.09, 0.074), "duck": (0.054, 0.041)}.items():
        verts = item_mesh(kind)[4]
        ext = verts.max(0) - verts.min(0)
        assert ext[2] == pytest.approx(height, abs=0.003)
        assert min(ext[:2]) == pytest.approx(narrow, abs=0.004)
        assert verts[:, 2].min() == pytest.approx(-verts[:, 2].max())
    with pytest.raises(ValueError, match="item kind 'block' has no mesh"):
        item_mesh("block")


@pytest.mark.slow
def test_carry_across_rooms_places_the_item_on_another_rooms_support():
    house = load_house("house-3room", 0)
    plan = carry_plan(house)
    assert plan == [("navigate_to", "duck_0"), ("pick", "duck_0"), ("navigate_to", "counter_0"),
                    ("place", "duck_0", "counter_0")]
    r = run_pybullet_case("carry", "house-3room", 0)
    assert r["success"], r["reason"]
    f = house.piece("counter_0")
    assert np.abs(np.array(r["final"][:2]) - f.position).max() < 0.4  # on the counter, in the other room
    assert r["penetration"] <= 0.01
    with pytest.raises(ValueError, match="unknown PyBullet house skill 'open'"):
        run_pybullet_case("open", "house-3room", 0)
