"""The mobile Panda: URDF import, limits, actuators, cameras, IK."""

import numpy as np
import pytest

from robots import ROBOTS
from robots.headless_mujoco import mujoco
from robots.mobile_panda import ARM_JOINTS, FINGER_JOINTS, PandaIK, add_mobile_panda, grasp_rotation


@pytest.fixture(scope="module")
def model():
    spec = mujoco.MjSpec()
    ROBOTS.make("mobile-panda", spec)
    return spec.compile()


def test_robot_has_real_panda_limits_actuators_and_cameras(model):
    assert [round(float(model.joint(j).range[1]), 4) for j in ARM_JOINTS] == [2.9671, 1.8326, 2.9671, 0.0, 2.9671,
                                                                             3.8223, 2.9671]
    assert [round(float(model.joint(j).range[1]), 3) for j in FINGER_JOINTS] == [0.04, 0.04]
    assert model.nu == 12  # 7 arm + 2 fingers + 3 base
    assert {model.camera(i).name for i in range(model.ncam)} == {"head_rgbd", "wrist"}
    # the one equality is the URDF's finger mimic (a joint coupling); no weld: items are held by friction
    assert [int(t) for t in model.eq_type] == [int(mujoco.mjtEq.mjEQ_JOINT)]


def test_every_panda_link_collides(model):
    links = {model.body(model.geom_bodyid[g]).name for g in range(model.ngeom)
             if model.geom_contype[g] and model.body(model.geom_bodyid[g]).name.startswith("mp_panda_link")}
    assert links == {f"mp_panda_link{i}" for i in range(8)}


def test_ik_reaches_a_top_down_grasp():
    ik = PandaIK()
    q = ik.solve(ik.q_home, (0.55, 0.1, 0.3), grasp_rotation("down", 0.3))
    pos_err, ang_err = ik.error(q, (0.55, 0.1, 0.3), grasp_rotation("down", 0.3))
    assert pos_err < 0.005 and ang_err < 0.02


def test_unknown_approach_is_one_line():
    with pytest.raises(ValueError, match="unknown approach 'side'"):
        grasp_rotation("side")


def test_add_mobile_panda_places_the_base():
    spec = mujoco.MjSpec()
    add_mobile_panda(spec, pos=(1.0, 2.0))
    m = spec.compile()
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    assert np.allclose(d.xpos[m.body("mp_base").id][:2], [1.0, 2.0])


def test_pitched_grasp_tilts_the_fingers_toward_x():
    r = grasp_rotation("down", 0.0, np.radians(30))
    assert np.allclose(r[:, 2], [0.5, 0.0, -np.sqrt(3) / 2])  # fingers: 30 degrees from straight down
    assert np.allclose(r[:, 1], [0.0, -1.0, 0.0])  # finger axis stays horizontal
    assert np.allclose(grasp_rotation("down", 0.3, np.pi / 2), grasp_rotation("front", 0.3))
