"""Issue #19: every catalog category is a model of primitive parts, inside its footprint, whose
parts all belong to their object in both engines, with a front you can tell from the back."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes import load_suite_scene
from scenes.catalog import CATALOG
from scenes.object_models import INSET, MAX_PARTS, MODELS, SHAPES, is_dark, material_rgba, parts
from sim.backends import make_backend
from sim.cameras import RayCastCamera
from sim.compile_mujoco import HULL_GROUP, PART_GROUP, compile_scene

FACED = [n for n, c in CATALOG.items() if c.has_facing]


def _box(p):
    e = p.half_extents()
    return np.subtract(p.pos, e), np.add(p.pos, e)


def _inside(category, size, slack=1e-9):
    w, d, h = size
    for p in parts(category, size):
        lo, hi = _box(p)
        if lo[0] < -d / 2 + INSET - slack or hi[0] > d / 2 - INSET + slack or lo[1] < -w / 2 + INSET - slack \
                or hi[1] > w / 2 - INSET + slack or lo[2] < -slack or hi[2] > h - INSET + slack:
            return False
    return True


def test_every_category_has_a_model_of_several_parts():
    assert set(MODELS) == set(CATALOG)
    counts = {n: len(parts(n, c.size)) for n, c in CATALOG.items()}
    assert all(2 < k <= MAX_PARTS for k in counts.values()), counts
    assert counts["chair"] == 10 and counts["lamp"] == 4 and counts["bookshelf"] == 16
    assert all(p.shape in SHAPES for m in MODELS.values() for p in m)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_parts_fit_inside_the_footprint_and_height(name):
    assert _inside(name, CATALOG[name].size)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(CATALOG)), st.floats(0.2, 2.0), st.floats(0.2, 2.0), st.floats(0.2, 2.5))
def test_parts_fit_any_footprint(name, w, d, h):
    assert _inside(name, (w, d, h), slack=1e-7)


def test_chair_parts_are_where_a_chair_has_them():
    w, d, h = CATALOG["chair"].size  # 0.6 x 0.6 x 0.9
    ps = parts("chair", (w, d, h))
    legs = [p for p in ps[:4]]
    assert sorted((round(p.pos[0], 3), round(p.pos[1], 3)) for p in legs) == [(-0.25, -0.25), (-0.25, 0.25), (0.25, -0.25),
                                                                               (0.25, 0.25)]
    back = ps[-1]
    assert back.pos[0] < -0.25 and back.pos[2] + back.size[2] == pytest.approx(0.97 * (h - INSET))  # backrest behind, on top
    apron = [p for p in ps if p.material == "front"]
    assert len(apron) == 1 and apron[0].pos[0] > 0.25 and is_dark("chair", "front")


@pytest.mark.parametrize("name", FACED)
def test_faced_models_are_not_symmetric_under_a_half_turn(name):
    """Turning the model by 180 degrees about z does not give back the same parts (shape or colour)."""
    ps = parts(name, CATALOG[name].size)
    layout = {(p.shape, round(p.pos[0], 4), round(p.pos[1], 4), round(p.pos[2], 4), p.material) for p in ps}
    turned = {(s, round(-x, 4) + 0.0, round(-y, 4) + 0.0, z, m) for s, x, y, z, m in layout}
    assert layout != turned
    # and the dark parts (the front cue) sit in the front half or on the middle line
    dark_x = [p.pos[0] for p in ps if is_dark(name, p.material)]
    assert dark_x and sum(dark_x) / len(dark_x) > -1e-9


def test_materials_are_the_catalog_colour_and_its_dark_front():
    assert material_rgba("oven", "body") == CATALOG["oven"].rgba
    assert material_rgba("oven", "front") == pytest.approx((0.105, 0.0525, 0.14, 1.0))
    assert is_dark("tv", "screen") and not is_dark("fridge", "white")


def test_models_are_deterministic():
    for name, c in CATALOG.items():
        assert parts(name, c.size) == parts(name, c.size)
    a, b = compile_scene(load_suite_scene("tos-3room", 3)).model, compile_scene(load_suite_scene("tos-3room", 3)).model
    assert a.ngeom == b.ngeom and np.array_equal(a.geom_size, b.geom_size) and np.array_equal(a.geom_rgba, b.geom_rgba)


def test_every_part_geom_maps_to_its_object_in_mujoco():
    spec = load_suite_scene("tos-3room", 0)
    scene = compile_scene(spec)
    m = scene.model
    for i, o in enumerate(spec.objects):
        bodies = [m.body(f"obj:{o.name}").id, m.body(f"look:{o.name}").id]
        geoms = np.flatnonzero(np.isin(m.geom_bodyid, bodies))
        part_geoms = geoms[m.geom_group[geoms] == PART_GROUP]
        assert len(part_geoms) == len(parts(o.category, o.size))
        assert np.all(scene.geom_entity[geoms] == i)
        hull = geoms[m.geom_group[geoms] == HULL_GROUP]
        assert len(hull) == 1 + o.has_facing  # the footprint body, plus the front plate on faced objects
        assert np.all(m.geom_contype[part_geoms] == 0) and np.all(m.geom_conaffinity[part_geoms] == 0)
        assert np.all(m.geom_matid[part_geoms] >= 0)
        assert np.allclose(m.mat_rgba[m.geom_matid[part_geoms]], m.geom_rgba[part_geoms])  # ray-cast colours = materials


def test_every_part_pixel_maps_to_its_object_in_pybullet():
    spec = load_suite_scene("tos-3room", 1)
    pb = make_backend("pybullet")
    pb.load(spec)
    try:
        p = pb.p
        for o in spec.objects[:4]:
            uid = pb.object_body[o.name]
            base = [v for v in p.getVisualShapeData(uid, physicsClientId=pb.cid) if v[1] == -1]
            assert len(base) == len(parts(o.category, o.size))
            eye = [o.position[0] + 1.2, o.position[1] - 1.2, 1.5]
            view = p.computeViewMatrix(eye, [o.position[0], o.position[1], 0.3], [0, 0, 1], physicsClientId=pb.cid)
            proj = p.computeProjectionMatrixFOV(60, 1, 0.05, 50, physicsClientId=pb.cid)
            seg = np.asarray(p.getCameraImage(64, 64, view, proj, renderer=p.ER_TINY_RENDERER, physicsClientId=pb.cid)[4])
            ids = {int(v) & ((1 << 24) - 1) for v in np.unique(seg) if v >= 0}
            assert uid in ids
            assert pb.body_entity[uid] == spec.objects.index(o)
    finally:
        pb.close()


def test_dynamic_objects_keep_their_mass_on_the_hull():
    from tests.scene_fixtures import two_rooms, with_dropped_box

    spec = with_dropped_box(two_rooms(), height=0.6)
    m = compile_scene(spec).model
    body = m.body("obj:crate").id
    w, d, h = spec.object("crate").size
    assert m.body_mass[body] == pytest.approx(500.0 * w * d * h)  # DENSITY x the footprint box, parts weigh nothing


def test_ray_cast_camera_sees_parts_not_hulls():
    """Through a chair's legs the camera sees the floor behind; hull geoms are never hit."""
    spec = load_suite_scene("tos-3room", 1)
    b = make_backend("mujoco")
    b.load(spec)
    cam = RayCastCamera(64)
    cam.render(b)
    source = cam._scene.source
    assert not np.any(b.model.geom_group[source] == HULL_GROUP)
    assert math.isclose(len(source), np.sum((b.model.geom_group != HULL_GROUP) & (b.model.geom_bodyid != b.scene.robot_body)))


def test_render_catalog_writes_the_sheet_and_one_picture_per_category(tmp_path):
    import cv2

    from spacelab.cli import main

    assert main(["render-catalog", "--out", str(tmp_path), "--tile", "32", "--categories", "chair", "tv"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.png", "chair.png", "tv.png"]
    sheet = cv2.imread(str(tmp_path / "catalog.png"))
    assert sheet.shape == (16 + 34 + 6, 2 * (4 * 34 + 6), 3)  # label bar + bordered tiles, four views each
    pic = cv2.imread(str(tmp_path / "chair.png"))
    assert pic.shape == (384, 384, 3) and pic.std() > 10  # a picture, not a blank image
