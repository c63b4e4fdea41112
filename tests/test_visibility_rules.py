"""Visibility rules against fake ray casters (no physics): the sample points, the field of
view and range edges, the hit tolerance, doors and floor cells, with hand-computed answers."""

import math

import numpy as np

from perception.visibility import (
    HIT_TOLERANCE,
    ViewConfig,
    sample_points,
    unoccluded,
    visible_cells,
    visible_entities,
)
from scenes.spec import Door, ObjectSpec, Room, SceneSpec

EDGE = 90.0 / 2 + 1e-6  # the default half field of view with its slack: 45.000001 degrees


class Caster:
    """A RayCaster whose world is spheres (centre, radius, entity); records every call."""

    def __init__(self, camera, spheres=()):
        self.camera = np.asarray(camera, float)
        self.spheres = [(np.asarray(c, float), r, e) for c, r, e in spheres]
        self.calls = []

    def camera_position(self):
        return self.camera.copy()

    def cast_rays(self, origin, dirs, cutoff):
        self.calls.append((np.array(origin), np.array(dirs), cutoff))
        dist, hit = np.full(len(dirs), -1.0), np.full(len(dirs), -1)
        for i, d in enumerate(dirs):
            best = None
            for c, r, e in self.spheres:
                oc = origin - c
                b = float(d @ oc)
                disc = b * b - (float(oc @ oc) - r * r)
                if disc < 0:
                    continue
                t = -b - math.sqrt(disc)
                t = t if t >= 0 else -b + math.sqrt(disc)
                if 0 <= t <= cutoff and (best is None or t < best[0]):
                    best = (t, e)
            if best is not None:
                dist[i], hit[i] = best
        return dist, hit


class Scripted(Caster):
    """Answers every cast with fixed (dist, entity) arrays."""

    def __init__(self, camera, dist, hit):
        super().__init__(camera)
        self.answer = (np.asarray(dist, float), np.asarray(hit, int))

    def cast_rays(self, origin, dirs, cutoff):
        self.calls.append((np.array(origin), np.array(dirs), cutoff))
        return self.answer


def thing(name, pos, size=(0.4, 0.4, 0.8)):
    return ObjectSpec(name, "box", pos, 0.0, size, False, 0)


def scene(objects=(), doors=()):
    return SceneSpec(0, (Room(0, 0, 0, 20, 20),), tuple(doors), tuple(objects), (1.0, 1.0), 0.0)


def ahead(agent, bearing, dist):
    """World point `dist` m from `agent` at compass `bearing`."""
    return (agent[0] + dist * math.sin(math.radians(bearing)), agent[1] + dist * math.cos(math.radians(bearing)))


# -- sample points ---------------------------------------------------------------------


def test_sample_points_are_the_body_middle_the_top_and_its_inset_corners_and_three_points_across_doors():
    spec = scene([thing("crate", (2.0, 3.0), size=(0.6, 1.0, 0.5))],
                 [Door("door_0", (5.0, 6.0), "x", (0, 1)), Door("door_1", (6.0, 2.0), "y", (0, 1))])
    pts, owner, centres = sample_points(spec)
    # r = 0.35 * min(0.6, 1.0) = 0.21, h = 0.5: middle at 0.25, top centre at 0.485, corners at 0.475
    want = [(2.0, 3.0, 0.25), (2.0, 3.0, 0.485),
            (1.79, 2.79, 0.475), (1.79, 3.21, 0.475), (2.21, 2.79, 0.475), (2.21, 3.21, 0.475),
            # door in an east-west wall: spread along x; in a north-south wall: along y; all at 1 m
            (4.7, 6.0, 1.0), (5.0, 6.0, 1.0), (5.3, 6.0, 1.0),
            (6.0, 1.7, 1.0), (6.0, 2.0, 1.0), (6.0, 2.3, 1.0)]
    np.testing.assert_allclose(pts, want, atol=1e-12)
    assert owner.tolist() == [0] * 6 + [1] * 3 + [2] * 3
    np.testing.assert_allclose(centres, [(2.0, 3.0), (5.0, 6.0), (6.0, 2.0)])


def test_sample_points_are_float_and_integer_indexed_whatever_the_input():
    _, owner, centres = sample_points(scene([thing("crate", (2, 3))]))  # integer positions, as JSON may hold
    assert centres.dtype == np.float64 and centres.tolist() == [[2.0, 3.0]]
    pts, owner, centres = sample_points(scene())
    assert owner.dtype.kind == "i" and len(pts) == len(owner) == len(centres) == 0


# -- occlusion -------------------------------------------------------------------------


def test_no_points_cast_no_rays():
    c = Caster((0, 0, 1))
    clear = unoccluded(c, np.zeros((0, 3)), None, ViewConfig())
    assert clear.dtype == bool and clear.shape == (0,) and c.calls == []


def test_rays_are_unit_vectors_cut_off_two_metres_past_the_view_range():
    c = Caster((1.0, 1.0, 1.5))
    unoccluded(c, np.array([[1.0, 4.0, 1.5], [5.0, 1.0, 1.5]]), None, ViewConfig(max_range=10.0))
    origin, dirs, cutoff = c.calls[0]
    assert cutoff == 12.0 and origin.tolist() == [1.0, 1.0, 1.5]
    np.testing.assert_allclose(dirs, [[0, 1, 0], [1, 0, 0]])
    unoccluded(c, np.array([[1.0, 4.0, 1.5]]), None, ViewConfig())
    assert c.calls[1][2] == 34.0


def test_a_hit_counts_as_reaching_the_point_within_the_tolerance():
    # five points 2 m ahead of the camera; the engine reports these first hits
    points = np.array([[0.0, 2.0, 1.0]] * 6)
    dist = [2.0 - HIT_TOLERANCE, 2.0 - HIT_TOLERANCE - 0.01, 2.0, 0.0, -1.0, 0.5]
    hit = [3, 3, 3, 3, -1, 5]
    c = Scripted((0.0, 0.0, 1.0), dist, hit)
    # at the tolerance: reached; 1 cm short of it: blocked; at the point: reached; a hit at the camera
    # itself: blocked; no hit at all: reached; a hit on something else halfway: blocked
    assert unoccluded(c, points, None, ViewConfig()).tolist() == [True, False, True, False, True, False]
    # the owner's own body in the way does not hide it
    owner = np.array([3, 3, 3, 3, 3, 4])
    assert unoccluded(c, points, owner, ViewConfig()).tolist() == [True, True, True, True, True, False]


def test_an_honest_cutoff_finds_a_blocker_just_short_of_a_far_point():
    # a point 31.8 m away (inside the 32 m range) with a blocker 0.3 m in front of it: the ray must
    # reach that far to see the blocker
    c = Caster((0.0, 0.0, 1.0), [((0.0, 31.5, 1.0), 0.1, 9)])
    assert unoccluded(c, np.array([[0.0, 31.8, 1.0]]), None, ViewConfig()).tolist() == [False]


# -- entities --------------------------------------------------------------------------

AGENT = (2.0, 1.0)  # x != y, so swapped coordinates show


def test_field_of_view_is_90_degrees_about_the_heading():
    objs = [thing(n, ahead(AGENT, b, 3.0)) for n, b in
            [("front", 0.0), ("r44", 44.5), ("r46", 45.5), ("l44", -44.5), ("l46", -45.5), ("back", 180.0)]]
    spec = scene(objs)
    c = Caster((*AGENT, 1.5))
    assert visible_entities(c, spec, AGENT, 0.0) == [0, 1, 3]
    # turned to face east: r46 is 44.5 degrees left of east, r44 45.5 degrees; the rest are further round
    assert visible_entities(c, spec, AGENT, 90.0) == [2]


def test_field_of_view_edge_is_inclusive_with_its_slack():
    spec = scene([thing("north", (AGENT[0], AGENT[1] + 3.0))])
    c = Caster((*AGENT, 1.5))
    # the object is due north; heading -45.000001 puts it exactly on the edge: 45.000001 degrees right
    assert visible_entities(c, spec, AGENT, -EDGE) == [0]
    assert visible_entities(c, spec, AGENT, -EDGE - 1e-5) == []


def test_range_edges_are_inclusive():
    cfg = ViewConfig(min_range=0.5, max_range=4.0)
    spec = scene([thing(n, (AGENT[0], AGENT[1] + d)) for n, d in [("a", 0.25), ("b", 0.5), ("c", 4.0), ("d", 4.5)]])
    assert visible_entities(Caster((*AGENT, 1.5)), spec, AGENT, 0.0, cfg) == [1, 2]


def test_walls_hide_and_own_bodies_do_not():
    spec = scene([thing("behind_wall", (AGENT[0], AGENT[1] + 5.0)), thing("in_view", ahead(AGENT, 30.0, 3.0))])
    wall = ((AGENT[0], AGENT[1] + 2.0, 1.0), 0.6, 99)  # a sphere 2 m ahead, across every ray to the first
    body = ((*ahead(AGENT, 30.0, 3.0), 0.4), 0.5, 1)  # the second object's own body
    assert visible_entities(Caster((*AGENT, 1.5), [wall, body]), spec, AGENT, 0.0) == [1]


def test_a_closed_door_is_skipped_and_the_doors_after_it_still_count():
    doors = [Door("door_0", (AGENT[0], AGENT[1] + 2.0), "x", (0, 1), open=False),
             Door("door_1", ahead(AGENT, 20.0, 3.0), "x", (0, 2)),
             Door("door_2", ahead(AGENT, -20.0, 3.0), "x", (0, 3))]
    spec = scene([thing("chair", ahead(AGENT, 10.0, 4.0))], doors)
    assert visible_entities(Caster((*AGENT, 1.5)), spec, AGENT, 0.0) == [0, 2, 3]


def test_precomputed_targets_are_used_as_given():
    spec = scene([thing("a", (AGENT[0], AGENT[1] + 3.0)), thing("b", ahead(AGENT, 20.0, 3.0))])
    pts, owner, centres = sample_points(spec)
    moved = centres.copy()
    moved[0] = (AGENT[0], AGENT[1] - 3.0)  # say "a" is behind the agent
    c = Caster((*AGENT, 1.5))
    assert visible_entities(c, spec, AGENT, 0.0, targets=(pts, owner, moved)) == [1]
    assert visible_entities(c, spec, AGENT, 0.0) == [0, 1]


# -- floor cells -----------------------------------------------------------------------

CELL_AGENT = (1.0, 2.0)


def test_visible_cells_field_of_view_facing_west():
    rel = [-46.0, -44.0, 0.0, 44.0, 46.0, 180.0]
    cells = np.array([ahead(CELL_AGENT, 270.0 + r, 3.0) for r in rel])
    got = visible_cells(Caster((*CELL_AGENT, 1.5)), cells, CELL_AGENT, 270.0)
    assert got.tolist() == [False, True, True, True, False, False]


def test_visible_cells_edges_are_inclusive():
    c = Caster((*CELL_AGENT, 1.5))
    x, y = CELL_AGENT
    # exactly 45 degrees right (3, 3) away; due north with the heading putting it on the slack edge
    assert visible_cells(c, np.array([[x + 3.0, y + 3.0]]), CELL_AGENT, 0.0).tolist() == [True]
    assert visible_cells(c, np.array([[x, y + 3.0]]), CELL_AGENT, -EDGE).tolist() == [True]
    assert visible_cells(c, np.array([[x, y + 3.0]]), CELL_AGENT, -EDGE - 1e-5).tolist() == [False]
    cfg = ViewConfig(min_range=0.5, max_range=4.0)
    cells = np.array([[x, y + 0.5], [x, y + 4.0], [x, y + 0.25], [x, y + 4.5]])
    assert visible_cells(c, cells, CELL_AGENT, 0.0, cfg).tolist() == [True, True, False, False]


def test_visible_cells_aim_just_above_the_floor_and_furniture_hides_floor():
    x, y = CELL_AGENT
    cells = np.array([[x, y + 2.0], [x, y + 4.0], [x + 1.0, y + 3.0], [x, y - 2.0]])
    table = ((x, y + 3.0, 0.3), 0.5, 7)  # on the floor between the agent and the second cell
    c = Caster((x, y, 1.5), [table])
    assert visible_cells(c, cells, CELL_AGENT, 0.0).tolist() == [True, False, True, False]
    origin, dirs, _ = c.calls[0]
    assert len(dirs) == 3  # the cell behind the agent casts no ray
    # the rays aim at the cell centres 5 cm up (the default height)
    targets = origin + dirs * np.linalg.norm(np.array([[x, y + 2.0, 0.05], [x, y + 4.0, 0.05],
                                                       [x + 1.0, y + 3.0, 0.05]]) - origin, axis=1)[:, None]
    np.testing.assert_allclose(targets[:, 2], 0.05, atol=1e-12)
    visible_cells(c, cells[:1], CELL_AGENT, 0.0, height=0.3)
    _, d2, _ = c.calls[1]
    np.testing.assert_allclose(d2[0], np.array([0.0, 2.0, 0.3 - 1.5]) / math.hypot(2.0, 1.2))


def test_no_cell_in_view_casts_nothing():
    c = Caster((*CELL_AGENT, 1.5))
    got = visible_cells(c, np.array([[1.0, -5.0]]), CELL_AGENT, 0.0)
    assert got.tolist() == [False] and c.calls == []
