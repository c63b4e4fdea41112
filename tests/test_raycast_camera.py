"""The coarse-to-fine ray-cast camera equals a ray per pixel: on the views where a planted bug
shows (no look at a silhouette's neighbouring cells, no thin-part boxes), at every stride, and
its thin-part boxes include walls seen end-on."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes import load_suite_scene
from sim.backends import make_backend
from sim.cameras import RayCastCamera
from sim.navigation import rotate_to
from tests.scene_fixtures import two_rooms

# (scene, heading) views of tos-3room where the stride-8 camera went wrong without the neighbouring-cell
# rule (the first four) or without the thin-part boxes (the next two), and one where taking two faces of
# a box for one (a loose face-key tolerance) puts depth 0.4 m off
VIEWS = [(2, 60.0), (5, 60.0), (5, 330.0), (6, 270.0), (0, 300.0), (3, 0.0), (1, 0.0)]


@pytest.mark.parametrize("stride", [2, 4, 8])
def test_every_stride_equals_a_ray_per_pixel(stride):
    for index in sorted({s for s, _ in VIEWS}):
        b = make_backend("mujoco")
        b.load(load_suite_scene("tos-3room", index))
        full, fast = RayCastCamera(128, stride=1, rays="mujoco"), RayCastCamera(128, stride=stride)
        for _, heading in [v for v in VIEWS if v[0] == index]:
            rotate_to(b, heading)
            a, c = full.render(b), fast.render(b)
            hit = np.isfinite(a.depth)
            assert np.array_equal(hit, np.isfinite(c.depth)), (index, heading)
            assert np.abs(a.depth[hit] - c.depth[hit]).max() < 1e-6, (index, heading)
            assert (a.segmentation == c.segmentation).mean() >= 0.999
            assert np.abs(a.rgb.astype(int) - c.rgb).max() <= 1


def test_a_wall_seen_end_on_is_a_thin_box_and_its_far_end_is_not():
    b = make_backend("mujoco")
    b.load(two_rooms())
    cam = RayCastCamera(128)
    cam.render(b)  # builds the ray scene
    # from (6, -3, 1) looking north along the wall x = 6: its south end face (0.1 m thick, 3 m away) is ~2 px wide
    pos = np.array([6.0, -3.0, 1.0])
    rot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # columns: camera x right, y up, z back
    widths = cam._thin_widths(pos, rot)
    assert widths is not None
    f = cam.intr.f
    v, u = int(64 - f * 0.25 / 3.0), 64  # the end face's centre (6, 0, 1.25) in the image
    assert 1.5 < widths[v, u] < 2.5
    assert np.isinf(widths[v, 5]) and np.isinf(widths[v, 122])  # away from it: no thin box


def test_bad_stride_and_threads_are_refused_with_the_allowed_values():
    with pytest.raises(ValueError, match="stride must be 1"):
        RayCastCamera(64, stride=3)
    with pytest.raises(ValueError, match="threads must be an integer"):
        RayCastCamera(64, threads=0)
    with pytest.raises(ValueError, match="rays must be 'compiled'"):
        RayCastCamera(64, rays="optix")


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.integers(-10, 10), st.integers(4097, 10**9), st.floats(allow_nan=True), st.text(max_size=3),
                 st.none(), st.booleans(), st.lists(st.integers(), max_size=2), st.just(np.array(["compiled", "x"]))),
       st.sampled_from(["size", "fovy_deg", "max_depth", "stride", "threads", "rays"]))
def test_hostile_camera_settings_get_one_value_error(value, field):
    good = {"size": 16, "fovy_deg": 90.0, "max_depth": 50.0, "stride": 2, "threads": 1, "rays": "compiled"}
    kwargs = good | {field: value}
    try:
        cam = RayCastCamera(**kwargs)
    except ValueError as e:
        assert field in str(e) and "\n" not in str(e)
        return
    # accepted: a value the camera can work with
    assert cam.intr.width >= 2 and 0 < cam.intr.fovy_deg < 180 and cam.max_depth > 0 and cam.stride in (1, 2, 4, 8)
    assert cam.ray_caster in ("compiled", "mujoco")


@pytest.mark.parametrize("rays", ["compiled", "mujoco"])
@pytest.mark.parametrize("what", ["cam_xpos", "cam_xmat", "body"])
def test_a_non_finite_physics_state_gets_one_error_and_the_camera_goes_on(rays, what):
    from sim.backends import BackendError

    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 1))
    cam = RayCastCamera(64, rays=rays)
    before = cam.render(b)
    if what == "body":  # a moving object's body (the ray scene copies its geoms' poses)
        body = int(b.model.geom_bodyid[cam._scene.source[cam._scene.moving[0]]])
        array, index = b.data.xpos, body
    else:
        array, index = getattr(b.data, what), b.scene.camera
    saved = array[index].copy()
    for bad in (np.nan, np.inf, -np.inf):
        array[index] = bad
        with pytest.raises(BackendError, match="not finite") as e:
            cam.render(b)
        assert "\n" not in str(e.value)
    array[index] = saved
    after = cam.render(b)
    assert np.array_equal(after.depth, before.depth) and np.array_equal(after.segmentation, before.segmentation)


def test_tiny_and_odd_images_render():
    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 0))
    for size in (2, 3, 7, 33):
        a, c = RayCastCamera(size, stride=1).render(b), RayCastCamera(size, stride=8).render(b)
        assert a.depth.shape == (size, size) and np.array_equal(np.isfinite(a.depth), np.isfinite(c.depth))


def _box_corners(x, y, z):
    return np.array([[a, b, c] for a in x for b in y for c in z], float)


def test_thin_box_image_by_hand():
    """sim.camera_refine.thin_width_image at 128 px (f = 64) on three camera-frame boxes, by hand: two
    thin ones 2-2.1 m ahead that overlap (the thinner wins the overlap, whichever comes last), one
    straddling the camera plane (boxed between the near plane at 5 cm and its far side), one seen
    too wide to be thin and one turned away."""
    from sim.camera_refine import thin_width_image

    cam = np.stack([_box_corners((-0.1, 0.1), (-0.1, 0.1), (-2.1, -2.0)),    # 0.02 m: 64 * 0.02 / 2.1 px
                    _box_corners((0.0, 0.3), (-0.1, 0.1), (-2.1, -2.0)),     # 0.04 m: twice as wide
                    _box_corners((0.001, 0.002), (-0.2, 0.2), (-3.0, 0.5)),  # straddles: far side 3 m
                    _box_corners((-1.0, 1.0), (-1.0, 1.0), (-1.1, -1.0)),    # 0.5 m: 29 px, not thin
                    _box_corners((-0.1, 0.1), (-0.1, 0.1), (-2.1, -2.0))])   # turned away
    out, painted = thin_width_image(cam, np.array([0.02, 0.04, 0.01, 0.5, 0.001]),
                                    np.array([True, True, True, True, False]), 64.0, 128, 128, 4.5)
    a, b, c = 64 * 0.02 / 2.1, 64 * 0.04 / 2.1, 64 * 0.01 / 3.0
    want = np.full((128, 128), np.inf)
    want[:, 63:68] = c                     # u from 64 + 64 * min(.001/.05, .001/3) - 1 to ceil(64 + 64 * .002/.05 + 1)
    want[59:69, 63:75] = np.minimum(want[59:69, 63:75], b)  # u 64 - 1 .. 64 + 64 * .3 / 2 + 1, v 64 -+ 3.2 -+ 1
    want[59:69, 59:69] = np.minimum(want[59:69, 59:69], a)
    assert painted and np.array_equal(out, want)
