"""sim.raycast, the camera's compiled ray caster, against mj_multiRay: the same geom, distance and
normal bit for bit on random primitive geoms and rays (hypothesis), whole frames equal on real
scenes, and its tile binning by hand (what goes into which tile, what goes nowhere)."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from robots.headless_mujoco import mujoco
from scenes import load_suite_scene
from sim import raycast
from sim.backends import make_backend
from sim.cameras import RayCastCamera
from sim.navigation import rotate_to

TYPES = {"plane": raycast.PLANE, "sphere": raycast.SPHERE, "capsule": raycast.CAPSULE,
         "ellipsoid": raycast.ELLIPSOID, "cylinder": raycast.CYLINDER, "box": raycast.BOX}
_unit = st.floats(-1.0, 1.0, allow_nan=False)
_geom = st.tuples(st.sampled_from(sorted(TYPES)),
                  st.tuples(*[st.floats(0.05, 1.5) | st.just(0.0)] * 3),  # size (a plane of size 0: infinite)
                  st.tuples(*[st.floats(-3.0, 3.0)] * 3),  # position
                  st.tuples(*[_unit] * 4))  # orientation (normalised; all zeros: identity)


def _model(geoms):
    spec = mujoco.MjSpec()
    for kind, size, pos, quat in geoms:
        q = np.array(quat)
        q = q / np.linalg.norm(q) if np.linalg.norm(q) > 1e-3 else np.array([1.0, 0.0, 0.0, 0.0])
        size = [v if v > 0 or (kind == "plane" and k < 2) else 0.05 for k, v in enumerate(size)]
        spec.worldbody.add_geom(type=mujoco.mjtGeom(TYPES[kind]), size=size, pos=list(pos), quat=list(q))
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    return model, data


def _both(model, data, origin, dirs):
    """mj_multiRay and sim.raycast (every geom in one tile) on the same rays."""
    n = len(dirs)
    g1, d1, n1 = np.empty(n, np.int32), np.empty(n), np.empty((n, 3))
    mujoco.mj_multiRay(model, data, origin, dirs.reshape(-1), None, True, -1, g1, d1, n1.reshape(-1), n, 1e6)
    g2, d2, n2 = np.empty(n, np.int32), np.empty(n), np.empty((n, 3))
    start, ids = np.array([0, model.ngeom]), np.arange(model.ngeom, dtype=np.int32)
    raycast.cast(model.geom_type, data.geom_xpos, data.geom_xmat, model.geom_size, start, ids, origin, dirs,
                 np.zeros(n, np.int64), 1, 1, g2, d2, n2)
    return (g1, d1, n1), (g2, d2, n2)


@settings(max_examples=60, deadline=None)
@given(st.lists(_geom, min_size=1, max_size=5), st.tuples(*[st.floats(-4.0, 4.0)] * 3),
       st.integers(0, 2**32 - 1))
def test_hits_are_mj_multiray_bit_for_bit(geoms, origin, seed):
    model, data = _model(geoms)
    rng = np.random.default_rng(seed)
    origin = np.array(origin)
    # rays at the geoms' centres (hits, often at their edges and from inside), and anywhere
    aim = data.geom_xpos[rng.integers(0, model.ngeom, 48)] + rng.normal(0.0, 0.6, (48, 3)) - origin
    axes = np.vstack([np.eye(3), -np.eye(3)])  # parallel to faces, planes and cylinder axes
    dirs = np.vstack([aim, rng.normal(size=(16, 3)), axes, [[0.0, 0.0, 0.0]]])
    dirs[:-1] /= np.linalg.norm(dirs[:-1], axis=1, keepdims=True)
    (g1, d1, n1), (g2, d2, n2) = _both(model, data, origin, dirs)
    assert g2.tolist() == g1.tolist()
    assert d2.tobytes() == d1.tobytes()
    assert n2.tobytes() == n1.tobytes()


def test_a_box_straight_ahead_by_hand():
    # a unit cube 3 m below the origin, its top face at 2.5 m; a ray straight down meets it with normal +z;
    # the ray through its edge (x = 0.5 at depth 2.5) still hits it, one just outside goes on to the floor plane
    geoms = [("box", (0.5, 0.5, 0.5), (0.0, 0.0, -3.0), (0.0, 0.0, 0.0, 0.0)),
             ("plane", (0.0, 0.0, 1.0), (0.0, 0.0, -5.0), (0.0, 0.0, 0.0, 0.0))]
    model, data = _model(geoms)
    edge, out = np.array([0.5, 0.0, -2.5]), np.array([0.51, 0.0, -2.5])
    dirs = np.array([[0.0, 0.0, -1.0], edge / np.linalg.norm(edge), out / np.linalg.norm(out)])
    (g1, d1, _), (g2, d2, n2) = _both(model, data, np.zeros(3), dirs)
    assert g2.tolist() == [0, 0, 1] == g1.tolist()
    assert d2[0] == 2.5 and n2[0].tolist() == [0.0, 0.0, 1.0]
    assert abs(d2[1] - np.linalg.norm(edge)) < 1e-12
    assert abs(d2[2] - 5.0 / 2.5 * np.linalg.norm(out)) < 1e-12  # the plane 5 m down, along the same ray


def test_a_ray_along_an_infinite_plane_misses_it():
    model, data = _model([("plane", (0.0, 0.0, 1.0), (0.0, 0.0, -1.0), (0.0, 0.0, 0.0, 0.0))])
    dirs = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])
    (g1, d1, _), (g2, d2, _) = _both(model, data, np.zeros(3), dirs)
    assert g2.tolist() == [-1, -1, 0] == g1.tolist() and d2.tolist() == [-1.0, -1.0, 1.0]


def test_tiles_by_hand():
    # camera at the origin looking down -z (rot = identity: x right, y up), 64 x 64 px, f = 32 (fovy 90)
    gtype = np.array([raycast.BOX, raycast.BOX, raycast.BOX, raycast.PLANE])
    xpos = np.array([[0.22, 0.0, -4.0],  # ahead, near the image centre: 0.5 m half width at 3.5-4.5 m
                     [0.0, 0.0, 4.0],    # behind the camera: in no tile
                     [0.0, 0.0, 0.0],    # around the camera: in every tile
                     [0.0, 0.0, -10.0]])  # a plane: in every tile
    xmat = np.tile(np.eye(3).reshape(1, 9), (4, 1))
    half = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.2, 0.2, 0.2], [1.0, 1.0, 1.0]])
    rbound, visible = np.linalg.norm(half, axis=1), np.ones(4, bool)

    def bins(cutoff=50.0):
        return raycast.bin_tiles(gtype, xpos, xmat, half, rbound, visible, cutoff, np.zeros(3), np.eye(3), 32.0, 64, 64, 8)

    start, ids = bins()
    tiles = {g: {t for t in range(64) if g in ids[start[t]:start[t + 1]]} for g in range(4)}
    assert tiles[1] == set() and tiles[2] == set(range(64)) and tiles[3] == set(range(64))
    # the near face (3.5 m) spans columns 32 + 32 * (0.22 -+ 0.5) / 3.5 = 29.4 .. 38.6 and rows 27.4 .. 36.6;
    # with 2 px to spare: columns 27..40 (tiles 3..5), rows 25..38 (tiles 3..4)
    assert tiles[0] == {r * 8 + c for r in (3, 4) for c in (3, 4, 5)}
    assert all(list(ids[start[t]:start[t + 1]]) == sorted(ids[start[t]:start[t + 1]]) for t in range(64))
    visible[0] = False  # a geom no ray can hit goes nowhere
    assert 0 not in bins()[1]
    visible[0] = True  # nor one past the cutoff (4.006 m away, bounding radius 0.866)
    assert 0 in bins(cutoff=3.2)[1] and 0 not in bins(cutoff=3.1)[1]


def test_frames_equal_mj_multiray_frames():
    b = make_backend("mujoco")
    b.load(load_suite_scene("tos-3room", 1))
    cams = [RayCastCamera(128, rays="compiled"), RayCastCamera(128, rays="mujoco"),
            RayCastCamera(64, stride=1, rays="compiled", threads=2), RayCastCamera(64, stride=1, rays="mujoco")]
    for heading in (0.0, 135.0, 250.0):
        rotate_to(b, heading)
        a, m, a1, m1 = (c.render(b) for c in cams)
        for x, y in ((a, m), (a1, m1)):
            assert np.array_equal(x.rgb, y.rgb) and np.array_equal(x.segmentation, y.segmentation)
            assert np.array_equal(x.depth, y.depth)
    assert cams[0]._compiled and not cams[1]._compiled


@settings(max_examples=40, deadline=None)
@given(st.lists(_geom, min_size=1, max_size=6), st.tuples(*[st.floats(-2.0, 2.0)] * 3),
       st.tuples(*[_unit] * 4), st.floats(30.0, 150.0), st.sampled_from([4, 8, 16]))
@example(geoms=[("box", (1.0, 1.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0))], origin=(0.0, 1.0, 0.0),
         quat=(0.0, 0.0, 0.0, 0.0), fovy=30.0, tile=4)  # the camera on a box's face: hits at distance 0
def test_tiles_lose_no_hit(geoms, origin, quat, fovy, tile):
    """Casting a camera's pixels through the tiles finds what testing every geom finds, whatever the
    camera pose and field of view, with geoms behind, beside and around the camera."""
    from perception.sensors import Intrinsics

    model, data = _model(geoms)
    q = np.array(quat)
    q = q / np.linalg.norm(q) if np.linalg.norm(q) > 1e-3 else np.array([1.0, 0.0, 0.0, 0.0])
    rot = np.empty(9)
    mujoco.mju_quat2Mat(rot, q)
    rot = rot.reshape(3, 3)
    intr = Intrinsics(24, 24, fovy)
    rays = intr.pixel_rays().reshape(-1, 3)
    dirs = (rays / np.linalg.norm(rays, axis=1, keepdims=True)) @ rot.T
    origin, pix, n = np.array(origin), np.arange(len(dirs)), len(dirs)
    half = raycast.local_half(model.geom_type, model.geom_size)
    start, ids = raycast.bin_tiles(model.geom_type, data.geom_xpos, data.geom_xmat, half, model.geom_rbound,
                                   np.ones(model.ngeom, bool), 1e6, origin, rot, intr.f, 24, 24, tile)
    g1, d1, n1 = np.empty(n, np.int32), np.empty(n), np.empty((n, 3))
    raycast.cast(model.geom_type, data.geom_xpos, data.geom_xmat, model.geom_size, start, ids, origin, dirs, pix, 24,
                 tile, g1, d1, n1)
    (g0, d0, n0), _ = _both(model, data, origin, dirs)
    assert g1.tolist() == g0.tolist() and d1.tobytes() == d0.tobytes() and n1.tobytes() == n0.tobytes()


_wild = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e300, -1e300, 1e-300, 0.0])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(*[_wild] * 3), min_size=1, max_size=4), st.lists(_wild, min_size=9, max_size=9),
       st.tuples(*[_wild] * 3), st.lists(_wild, min_size=9, max_size=9))
def test_tiles_of_non_finite_and_huge_poses_stay_in_bounds(xpos, xmat, pos, rot):
    """Whatever the poses (NaN, inf, 1e300), the bins name real geoms and real tiles: no index can
    leave its array (the camera refuses non-finite poses itself; this is the kernel's own guard)."""
    n = len(xpos)
    gtype = np.array([raycast.BOX, raycast.SPHERE, raycast.CYLINDER, raycast.PLANE][:n])
    half = np.full((n, 3), 0.5)
    start, ids = raycast.bin_tiles(gtype, np.array(xpos), np.tile(np.array(xmat), (n, 1)), half, np.full(n, 0.9),
                                   np.ones(n, bool), 50.0, np.array(pos), np.array(rot).reshape(3, 3), 16.0, 32, 32, 8)
    assert len(start) == 17 and start[0] == 0 and (np.diff(start) >= 0).all() and start[-1] == len(ids) <= 16 * n
    assert ((ids >= 0) & (ids < n)).all()


def test_paint_levels_stay_in_the_table():
    from sim.camera_refine import paint

    colour = np.arange(2 * 4 * 3, dtype=np.uint8).reshape(8, 3)  # 2 rows (nothing, geom 0) x 4 shades
    geom = np.array([[0, 0, 0, 0, -1, 0]], np.int32)
    cos = np.array([[0.5, 1.0, 1.5, np.nan, np.inf, -np.inf]])
    depth = np.zeros((1, 6))
    rgb, ent = paint(geom, depth, cos, colour, np.array([-1, 7], np.int32), 4, np.inf)
    # geom 0's rows are 4..7: 0.5 -> level int(2.0) = 2, 1.0 and more -> 3, NaN and -inf -> 0; nothing hit -> row 3
    assert rgb[0, :, 0].tolist() == [colour[6, 0], colour[7, 0], colour[7, 0], colour[4, 0], colour[3, 0], colour[4, 0]]
    assert ent.tolist() == [[7, 7, 7, 7, -1, 7]] and depth[0, 4] == np.inf and depth[0, 0] == 0.0
