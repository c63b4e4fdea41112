import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.mapping import (
    FREE,
    OCCUPIED,
    OccupancyGrid,
    back_project,
    camera_to_start,
    frontiers,
    segment_rooms,
)
from perception.objects import Detection, ObjectTracker, detect_segmentation
from perception.sensors import Intrinsics
from scenes import load_suite_scene
from scenes.frames import to_start_frame
from sim.backends import make_backend
from sim.cameras import GLCamera, RayCastCamera
from tests.scene_fixtures import play, two_rooms


def _backend(spec, heading=None):
    b = make_backend("mujoco")
    b.load(spec)
    if heading is not None:  # turn the robot in place to a compass heading
        from sim.navigation import rotate_to

        rotate_to(b, heading)
    return b


def _pose(spec, b):
    """The agent's own (start-frame) pose, as the env reports it."""
    x, y, h = b.robot_pose()
    p = to_start_frame((x, y), spec.start_position, spec.start_heading)
    return (float(p[0]), float(p[1])), (h - spec.start_heading) % 360.0


def test_back_projection_recovers_a_known_box():
    spec = two_rooms()  # box (0.5 m cube) at world (5.5, 2.5); start (3.5, 3.5) facing east
    b = _backend(spec)
    frame = RayCastCamera(128).render(b)
    box = spec.entity_names.index("box") if hasattr(spec, "entity_names") else b.entity_names.index("box")
    xy, heading = _pose(spec, b)
    dets = {d.name: d for d in detect_segmentation(frame, b.entity_names, len(spec.objects), xy, heading)}
    truth = to_start_frame((5.5, 2.5), spec.start_position, spec.start_heading)
    assert np.linalg.norm(dets["box"].position - truth) < 0.02
    # every box pixel back-projects onto the box's surface
    pts = camera_to_start(back_project(frame.depth, frame.intrinsics, frame.segmentation == box), xy, heading)
    assert np.all(np.abs(pts[:, :2] - truth) <= 0.25 + 0.01) and np.all((pts[:, 2] > -0.01) & (pts[:, 2] < 0.51))


def test_segmentation_ids_are_the_right_objects():
    spec = load_suite_scene("tos-3room", 1)
    b = _backend(spec)
    for heading in (0.0, 90.0, 180.0, 270.0):
        from sim.navigation import rotate_to

        rotate_to(b, heading)
        frame = RayCastCamera(96).render(b)
        xy, h = _pose(spec, b)
        for e in np.unique(frame.segmentation):
            if 0 <= e < len(spec.objects):
                o = spec.objects[e]
                pts = camera_to_start(back_project(frame.depth, frame.intrinsics, frame.segmentation == e), xy, h)
                centre = to_start_frame(o.position, spec.start_position, spec.start_heading)
                reach = 0.5 * np.hypot(o.size[0], o.size[1]) + 0.05
                assert np.all(np.linalg.norm(pts[:, :2] - centre, axis=1) <= reach), o.name


def test_closed_door_hides_the_next_room_in_the_image():
    lamp, vase = 0, 1  # room 1 objects of the fixture
    for cam in (RayCastCamera(96), GLCamera(96)):
        open_ids = np.unique(cam.render(_backend(two_rooms(door_open=True))).segmentation)
        closed = cam.render(_backend(two_rooms(door_open=False)))
        assert lamp in open_ids
        assert lamp not in np.unique(closed.segmentation) and vase not in np.unique(closed.segmentation)


@pytest.mark.parametrize("index,heading", [(0, 0.0), (1, 90.0), (2, 180.0), (4, 270.0)])
def test_the_two_cameras_agree(index, heading):
    spec = load_suite_scene("tos-3room", index)
    b = _backend(spec, heading)
    rc, gl = RayCastCamera(128).render(b), GLCamera(128).render(b)
    both = np.isfinite(rc.depth) & np.isfinite(gl.depth)
    assert (np.isfinite(rc.depth) == np.isfinite(gl.depth)).mean() > 0.99
    assert (np.abs(rc.depth[both] - gl.depth[both]) < 0.01).mean() >= 0.99
    doors = rc.segmentation >= len(spec.objects)  # door signs exist only in the ray-cast camera
    seg = np.where(doors, -1, rc.segmentation)
    assert (seg == gl.segmentation).mean() >= 0.98


@pytest.mark.parametrize("index", [0, 3])
def test_adaptive_ray_casting_matches_a_ray_per_pixel(index):
    from sim.navigation import rotate_to

    b = _backend(load_suite_scene("tos-3room", index))
    for heading in (0.0, 90.0, 180.0, 270.0):
        rotate_to(b, heading)
        full, fast = RayCastCamera(128, stride=1).render(b), RayCastCamera(128).render(b)
        assert np.array_equal(np.isfinite(full.depth), np.isfinite(fast.depth))
        both = np.isfinite(full.depth)
        assert np.abs(full.depth[both] - fast.depth[both]).max() < 1e-6
        assert (full.segmentation == fast.segmentation).mean() >= 0.999
        assert np.abs(full.rgb.astype(int) - fast.rgb).max() <= 1


def test_the_camera_sees_an_object_where_it_was_moved():
    spec = two_rooms()
    b = _backend(spec)
    cam = RayCastCamera(128)  # one camera throughout: its ray scene must follow the physics
    box = b.entity_names.index("box")
    before = cam.render(b).segmentation == box
    b.set_object_pose("box", 5.0, 3.0, 0.0)
    after = cam.render(b)
    assert np.array_equal(after.segmentation, RayCastCamera(128).render(b).segmentation)  # a fresh camera agrees
    assert (after.segmentation == box).sum() > 0 and not np.array_equal(after.segmentation == box, before)
    xy, heading = _pose(spec, b)
    det = {d.name: d for d in detect_segmentation(after, b.entity_names, len(spec.objects), xy, heading)}["box"]
    assert np.linalg.norm(det.position - to_start_frame((5.0, 3.0), spec.start_position, spec.start_heading)) < 0.05
    b.set_object_pose("box", 50.0, 50.0, 0.0)  # out of the house: the ray scene is rebuilt and the box is gone
    assert box not in np.unique(cam.render(b).segmentation)


def test_occupancy_grid_carves_free_space_and_marks_walls():
    spec = two_rooms()
    b = _backend(spec, 0.0)  # facing north: the north wall is 2.5 m ahead (y = 6)
    frame = RayCastCamera(64).render(b)
    xy, heading = _pose(spec, b)
    g = OccupancyGrid()
    g.integrate(frame.depth, frame.intrinsics, xy, heading)
    # in the start frame (start facing east), north of the agent is -x
    ahead = g.to_cell(np.array([[xy[0] - 1.5, xy[1]]]))[0]
    wall = g.to_cell(np.array([[xy[0] - 2.47, xy[1]]]))[0]
    assert g.grid[ahead[1], ahead[0]] == FREE and g.grid[wall[1], wall[0]] == OCCUPIED
    assert frontiers(g)  # the rest of the house is unknown
    from sim.navigation import rotate_to

    for h in (90.0, 180.0, 270.0):  # a full sweep maps the room
        rotate_to(b, h)
        frame = RayCastCamera(64).render(b)
        xy, heading = _pose(spec, b)
        g.integrate(frame.depth, frame.intrinsics, xy, heading)
    rooms = segment_rooms(g, {})
    largest = max(rooms.nodes[n]["area"] for n in rooms.nodes)
    assert 15 < largest < 36  # most of the 6 m x 6 m room, furniture and wall margins taken out


def test_tracks_follow_moves_instead_of_averaging_a_ghost():
    t = ObjectTracker()
    t.update(Detection("chair", np.array([1.0, 2.0]), "east", 0.1, 50))
    t.update(Detection("chair", np.array([1.1, 2.0]), "east", 0.1, 50))
    assert t.tracks["chair"].mean == pytest.approx([1.05, 2.0]) and t.tracks["chair"].std < 0.1
    t.watch_changes = True
    t.update(Detection("chair", np.array([6.0, -1.0]), "east", 0.1, 50))
    assert t.tracks["chair"].mean == pytest.approx([6.0, -1.0]) and t.tracks["chair"].changed == "moved"
    t.update(Detection("lamp", np.array([0.0, 0.0]), "north", 0.1, 50))
    t.update(Detection("lamp", np.array([0.0, 0.05]), "west", 0.1, 50))
    assert t.tracks["lamp"].changed == "rotated" and t.tracks["lamp"].facing == "west"


def test_plain_sides_narrow_the_facing_and_reveal_a_turn():
    spec = two_rooms()  # the chair faces east (start frame); the agent sees its east and south sides
    b = _backend(spec)
    xy, heading = _pose(spec, b)
    chair = {d.name: d for d in detect_segmentation(RayCastCamera(128).render(b), b.entity_names, len(spec.objects),
                                                    xy, heading)}["chair"]
    assert chair.facing == "east" and chair.ruled_out == {"south"}

    def seen(facing=None, plain=()):
        return Detection("chair", np.array([1.0, 2.0]), facing, 0.05, 500, frozenset(plain))

    t = ObjectTracker()
    t.update(seen(plain={"south", "west"}))
    assert t.tracks["chair"].facing is None and t.tracks["chair"].best_facing == "north"  # a guess between two
    t.update(seen(plain={"north"}))
    assert t.tracks["chair"].best_facing == "east"  # the only side left
    t.update(seen(facing="east"))
    t.watch_changes = True
    t.update(seen(plain={"east"}))  # the front seen before is a plain side now: the chair was turned
    track = t.tracks["chair"]
    assert track.changed == "rotated" and track.facing is None and track.ruled_out == {"east"}
    assert track.best_facing == "north"  # the old evidence is dropped: a guess among the other three


def test_mapper_explores_from_pixels_and_is_scored():
    rec = play({"suite": "tos-3room", "index": 0, "agent": "mapper", "seed": 0, "obs_mode": "rgbd"})
    b = rec["belief"]
    assert rec["error"] is None and rec["coverage"] == 1.0
    assert b["final"]["pos"] > 0.95 and b["final"]["dir"] > 0.95 and b["topology_f1"] == 1.0
    assert all(isinstance(e.get("std"), float) for n, e in rec["final_map"].items() if n not in ("agent", "rooms", "doors")
               and "door" not in n)
    oracle = play({"suite": "tos-3room", "index": 0, "agent": "oracle", "seed": 0, "obs_mode": "rgbd",
                      "protocol": "passive", "proxy": "mapper"})
    assert oracle["actions"] == rec["actions"] and oracle["belief"]["final"]["overall"] >= b["final"]["overall"]


def test_mapper_notices_moved_objects():
    rec = play({"suite": "tos-3room", "index": 1, "agent": "mapper", "seed": 1, "obs_mode": "rgbd", "protocol": "false-belief"})
    fb = rec["false_belief"]
    assert rec["error"] is None and fb["identification_f1"] > 0.5 and fb["belief_inertia"] is not None


def test_mapper_needs_frames():
    rec = play({"suite": "tos-2room", "index": 0, "agent": "mapper", "seed": 0})
    assert "sensors=rgbd" in rec["error"]


def test_render_episode_figure_and_video(tmp_path):
    from spacelab.cli import main

    png, mp4 = tmp_path / "ep.png", tmp_path / "ep.mp4"
    assert main(["render-episode", "--suite", "tos-2room", "--index", "0", "--agent", "mapper", "--out", str(png),
                 "--video", str(mp4)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 50_000
    assert mp4.stat().st_size > 5_000 and b"ftyp" in mp4.read_bytes()[:64]


def test_colour_detector_finds_objects_without_segmentation():
    from perception.objects import detect_colour

    spec = two_rooms()
    b = _backend(spec)
    frame = RayCastCamera(128).render(b)
    xy, heading = _pose(spec, b)
    dets = {d.name: d for d in detect_colour(frame, ["box", "chair", "lamp", "vase"], xy, heading)}
    for name, world in (("box", (5.5, 2.5)), ("chair", (5.5, 4.5))):
        truth = to_start_frame(world, spec.start_position, spec.start_heading)
        assert np.linalg.norm(dets[name].position - truth) < 0.15, name
    assert "vase" not in dets  # behind the wall


def test_tsdf_fuses_depth_into_surfaces():
    from perception.mapping import Tsdf

    spec = two_rooms()
    b = _backend(spec, 0.0)  # facing the north wall, 2.5 m away
    frame = RayCastCamera(64).render(b)
    xy, heading = _pose(spec, b)
    tsdf = Tsdf()
    tsdf.integrate(frame.depth, frame.rgb, frame.intrinsics, xy, heading)
    pts, colours = tsdf.points()
    assert len(pts) > 200 and colours.shape == pts.shape
    wall_x = xy[0] - 2.45  # start frame: north is -x (the start faced east)
    near_wall = np.abs(pts[:, 0] - wall_x) < 0.08
    assert near_wall.mean() > 0.3


def test_headless_gl_is_chosen_whatever_spacelab_module_is_imported_first():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("from sim.cameras import GLCamera\n"  # perception before sim: mujoco must not load first
            "import mujoco.gl_context as g, os\n"
            "print(os.environ['MUJOCO_GL'], g.GLContext.__module__)")
    env = {k: v for k, v in os.environ.items() if k != "MUJOCO_GL"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert out.stdout.split() in (["egl", "mujoco.egl"], ["osmesa", "mujoco.osmesa"]), out.stderr


_BAD_VIEWS = st.one_of(
    st.tuples(st.just("pose_xy"), st.sampled_from([(float("nan"), 0.0), (0.0, float("inf")), (1.0,), "ab", None, (1, 2, 3)])),
    st.tuples(st.just("heading_deg"), st.sampled_from([float("nan"), float("inf"), -float("inf"), None, "90", True])),
    st.tuples(st.just("depth"), st.sampled_from([(8, 8), (16,), (0, 0), (16, 16, 1), "x", None, True, 2j])),
)


def _bad_depth(value) -> np.ndarray:
    """A depth image of the wrong shape (a tuple), or of the right shape holding no distances."""
    return np.full(value, 2.0) if isinstance(value, tuple) else np.full((16, 16), value)


@settings(max_examples=40, deadline=None)
@given(bad=_BAD_VIEWS)
def test_maps_refuse_a_frame_they_cannot_place_and_keep_what_they_had(bad):
    """OccupancyGrid and Tsdf: a non-finite or malformed pose, heading or depth image is one
    ValueError naming the field, and the grid integrated so far is unchanged."""
    from perception.mapping import OccupancyGrid

    intr = Intrinsics(16, 16, 90.0)
    grid = OccupancyGrid()
    grid.integrate(np.full((16, 16), 2.0), intr, (0.0, 0.0), 0.0)
    before = grid.grid.copy()
    args = {"depth": np.full((16, 16), 2.0), "pose_xy": (0.0, 0.0), "heading_deg": 0.0}
    field, value = bad
    args[field] = _bad_depth(value) if field == "depth" else value
    with pytest.raises(ValueError, match=field):
        grid.integrate(args["depth"], intr, args["pose_xy"], args["heading_deg"])
    assert np.array_equal(grid.grid, before)
    with pytest.raises(ValueError, match="max_range"):
        grid.integrate(np.full((16, 16), 2.0), intr, (0.0, 0.0), 0.0, max_range=float("nan"))
    from perception.mapping import Tsdf

    args["rgb"] = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match=field):
        Tsdf().integrate(args["depth"], args["rgb"], intr, args["pose_xy"], args["heading_deg"])
    with pytest.raises(ValueError, match="rgb"):
        Tsdf().integrate(np.full((16, 16), 2.0), np.zeros((8, 8, 3), np.uint8), intr, (0.0, 0.0), 0.0)
