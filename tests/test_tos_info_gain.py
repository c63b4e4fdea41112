"""ToS information gain (perception.tos_info_gain) on small hand-solved cases.

All cases use grid size g = 3: domains live on the integer box [-3, 3]^2 (49 points) around
the start, M = g^2 = 9, and E = sum_i log2(9 / C_i) / (N log2 9). Headings: 0 = +y, clockwise.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.bins import direction_bin, distance_bin, egocentric
from perception.tos_info_gain import TosInformationGainTracker, information_gain_tos, tos_domains

L9 = math.log2(9)
CELLS = np.array([(x, y) for x in range(3) for y in range(3)], float)  # a 3x3 room: grid size 3


def obs(step, pos, heading, *sightings):
    return {"step": step, "position": list(pos), "heading": heading,
            "sightings": [{"name": n, "direction": d, "distance": r, "offset": list(o)} for n, d, r, o in sightings]}


def gain(entities, log, truth):
    return information_gain_tos(CELLS, entities, log, truth, grid_size=3)


def test_one_sighting_front_near():
    # From the start facing +y, "box: front, near": angle exactly 0 (|deg| < 1e-3) and 0 < d <= 2,
    # so x = 0 and y in {1, 2}: C = 2, E = log2(9/2) / log2 9 = 1 - 1/log2 9.
    log = [obs(1, (0, 0), 0.0, ("box", "front", "near", (0, 1)))]
    truth = {"box": (0, 1)}
    assert tos_domains(3, ["box"], log, truth)["box"] == [(0, 1), (0, 2)]
    assert gain(["box"], log, truth) == pytest.approx(1 - 1 / L9)  # 0.6845


def test_two_sightings_intersect():
    # Box truly at (2, 2). From the start facing +y: "front-right, mid distance" = bearing in
    # (22.5, 45] and 2 < d <= 4: (1,2) 26.6 deg d 2.24; (2,2) 45 deg d 2.83; (2,3) 33.7 deg d 3.61
    # ((1,1) too near, (3,3) too far, (1,3) 18.4 deg, (2,1)/(3,2) over 45 deg). C = 3, E = log2 3 / log2 9 = 0.5.
    first = obs(1, (0, 0), 0.0, ("box", "front-right", "mid distance", (2, 2)))
    truth = {"box": (2, 2)}
    assert tos_domains(3, ["box"], [first], truth)["box"] == [(1, 2), (2, 2), (2, 3)]
    assert gain(["box"], [first], truth) == pytest.approx(0.5)
    # Rotated to face +x: "front-left, mid distance" = relative bearing in [-45, -22.5).
    # (1,2) is at -63.4 and (2,3) at -56.3 (beyond the view); only (2,2) at -45 stays: C = 1, E = 1.
    second = obs(2, (0, 0), 90.0, ("box", "front-left", "mid distance", (-2, 2)))
    assert tos_domains(3, ["box"], [first, second], truth)["box"] == [(2, 2)]
    assert gain(["box"], [first, second], truth) == pytest.approx(1.0)


def test_doors_count_in_n():
    # Same sighting as the first case, plus a door nothing has constrained yet: the door's domain
    # is untouched and counts as M (term 0), but it still counts in N = 2: E = log2(9/2) / (2 log2 9).
    log = [obs(1, (0, 0), 0.0, ("box", "front", "near", (0, 1)))]
    truth = {"box": (0, 1), "door_0": (1.5, 3.0)}
    assert gain(["box", "door_0"], log, truth) == pytest.approx(math.log2(4.5) / (2 * L9))  # 0.3423
    assert gain(["box"], log, truth) == pytest.approx(2 * gain(["box", "door_0"], log, truth))


def test_anchor_propagation_and_query_pins():
    # 1. From the start facing +y: "door_0: front, near" -> door in {(0,1), (0,2)} (truth (0,2)).
    #    Box untouched: E = log2(9/2) / (2 log2 9) = 0.3423.
    # 2. Standing in the door's opening (truth (0,2)), the anchor is the door itself, whose
    #    position is uncertain: "box: front, near" -> box in door + {(0,1), (0,2)} within the box
    #    [-3,3]^2 = {(0,2), (0,3)} (from (0,1): (0,2),(0,3); from (0,2): (0,3), (0,4) is outside).
    #    Every door point keeps a support, so C_door = 2, C_box = 2: E = 2 log2(9/2) / (2 log2 9) = 0.6845.
    # 3. Query(door_0) pins the door to (0,2); AC-3 then drops box (0,2) (it needed door (0,1)):
    #    C_door = C_box = 1, E = 1.
    truth = {"door_0": (0, 2), "box": (0, 3)}
    ents = ["box", "door_0"]
    log = [obs(1, (0, 0), 0.0, ("door_0", "front", "near", (0, 2))),
           obs(2, (0, 2), 0.0, ("box", "front", "near", (0, 1))),
           {"step": 3, "query": "door_0"}]
    gains = [gain(ents, log[:k], truth) for k in (1, 2, 3)]
    assert gains == pytest.approx([math.log2(4.5) / (2 * L9), math.log2(4.5) / L9, 1.0])
    d2 = tos_domains(3, ents, log[:2], truth)
    assert d2 == {"box": [(0, 2), (0, 3)], "door_0": [(0, 1), (0, 2)]}
    assert tos_domains(3, ents, log, truth) == {"box": [(0, 3)], "door_0": [(0, 2)]}


def test_query_pins_to_one():
    # A Query alone (no sighting) pins C = 1: E = log2 9 / (2 log2 9) = 0.5 with N = 2.
    truth = {"box": (1, 2), "cup": (2, 0)}
    log = [{"step": 1, "query": "box"}]
    assert tos_domains(3, ["box", "cup"], log, truth) == {"box": [(1, 2)], "cup": None}
    assert gain(["box", "cup"], log, truth) == pytest.approx(0.5)


def test_proximity_pair_used():
    # From the start facing +y: box "front, near" -> {(0,1), (0,2)}; cup "front-right, near" ->
    # bearing 45 and d <= 2 -> {(1,1)} only. The pair is 1 m apart (< 2): "box is west, near to
    # cup" (box - cup = (-1, 0), cardinal 270 = west). West of (1,1) closer than 2 is only (0,1),
    # so the box is pinned too: E = 1 (without the pair it would be (log2 4.5 + log2 9) / (2 log2 9)).
    truth = {"box": (0, 1), "cup": (1, 1)}
    log = [obs(1, (0, 0), 0.0, ("box", "front", "near", (0, 1)), ("cup", "front-right", "near", (1, 1)))]
    assert tos_domains(3, ["box", "cup"], log, truth) == {"box": [(0, 1)], "cup": [(1, 1)]}
    assert gain(["box", "cup"], log, truth) == pytest.approx(1.0)
    far = [obs(1, (0, 0), 0.0, ("box", "front", "near", (0, 1)), ("cup", "front-right", "near", (3, 3)))]
    assert tos_domains(3, ["box", "cup"], far, truth)["box"] == [(0, 1), (0, 2)]  # 4.2 m apart: no pair


def test_pose_next_to_an_object():
    # Standing next to (not on) the cup, the pose is its own variable within 1.5 m of the cup's
    # candidates: the cup pinned at (1,1) leaves the pose 9 points (|p - (1,1)| <= 1.5).
    truth = {"cup": (1, 1), "box": (2, 3)}
    log = [{"step": 1, "query": "cup"},
           obs(2, (1, 2), 0.0, ("box", "front-right", "near", (1, 1)))]
    dom = tos_domains(3, ["box", "cup"], log, truth)
    assert dom["cup"] == [(1, 1)] and (2, 3) in dom["box"]
    assert 1 < len(dom["box"]) <= 9  # wider than from a known pose, narrower than the grid


def _sightings(pos, heading, truth):
    out = []
    for name, xy in truth.items():
        ang, d = egocentric(xy[0] - pos[0], xy[1] - pos[1], heading)
        if d > 1e-9 and abs(ang) <= 45.0:
            h = math.radians(heading)
            dx, dy = xy[0] - pos[0], xy[1] - pos[1]
            off = (dx * math.cos(h) - dy * math.sin(h), dx * math.sin(h) + dy * math.cos(h))
            out.append((name, direction_bin(ang), distance_bin(d), off))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_never_decreases_as_observations_are_added(seed):
    rng = np.random.default_rng(seed)
    pts = [p for p in itertools.product(range(-2, 3), range(1, 4))]
    chosen = rng.choice(len(pts), 3, replace=False)
    truth = {f"o{i}": pts[k] for i, k in enumerate(chosen)}
    truth["door_0"] = (-1, 3)
    log, step = [], 0
    for heading in (0.0, 90.0, 270.0, 0.0):
        step += 1
        log.append(obs(step, (0, 0), heading, *_sightings((0, 0), heading, truth)))
    log.append({"step": step + 1, "query": "o0"})
    ents = list(truth)
    gains = [gain(ents, log[:k], truth) for k in range(len(log) + 1)]
    assert gains[0] == 0.0
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(gains)), gains
    dom = tos_domains(3, ents, log, truth)
    assert all(dom[n] is None or truth[n] in dom[n] for n in ents)  # the truth is never ruled out


@pytest.mark.parametrize("seed", range(6))
def test_the_tracker_equals_a_full_solve_after_every_event(seed):
    """TosInformationGainTracker takes each turn's new events only; after every one it gives the
    float information_gain_tos gives on the whole log, queries and poses next to objects included,
    and an edited (not extended) log or other truth starts it over."""
    rng = np.random.default_rng(seed)
    pts = [p for p in itertools.product(range(-2, 3), range(1, 4))]
    chosen = rng.choice(len(pts), 3, replace=False)
    truth = {f"o{i}": pts[k] for i, k in enumerate(chosen)}
    truth["door_0"] = (-1, 3)
    ents = list(truth)
    tracker = TosInformationGainTracker(CELLS, ents, grid_size=3)
    log = []
    for step in range(1, 9):
        if rng.random() < 0.2:
            log.append({"step": step, "query": str(rng.choice(ents))})
        else:
            pos = (int(rng.integers(-1, 2)), int(rng.integers(0, 2)))
            heading = float(rng.choice([0.0, 90.0, 180.0, 270.0]))
            log.append(obs(step, pos, heading, *_sightings(pos, heading, truth)))
        assert tracker(log, truth) == gain(ents, log, truth)
    edited = [*log[:2], obs(3, (0, 0), 90.0, *_sightings((0, 0), 90.0, truth))]
    assert tracker(edited, truth) == gain(ents, edited, truth)
    moved = {**truth, "o0": (2, 1)}
    assert tracker(edited, moved) == gain(ents, edited, moved)


def test_the_tracker_sees_an_event_changed_in_place():
    truth = {"box": (0, 1)}
    log = [obs(1, (0, 0), 0.0, ("box", "front", "near", (0, 1)))]
    tracker = TosInformationGainTracker(CELLS, ["box"], grid_size=3)
    assert tracker(log, truth) == pytest.approx(1 - 1 / L9)
    log[0]["sightings"].clear()  # the same dict, emptied after it was applied
    assert tracker(log, truth) == gain(["box"], log, truth) == 0.0


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6), st.data())
def test_support_by_pairs_and_by_fft_is_the_dilation(g, data):
    """_Solver._support lists (point, offset) pairs below _PAIRS_BY_FFT and convolves by FFT above:
    both are the box's points p with p - q in rel for some q in src, counted here one by one."""
    import perception.tos_info_gain as tig

    n, m = 2 * g + 1, 4 * g + 1
    density = data.draw(st.sampled_from([0.02, 0.2, 0.9]))
    seed = data.draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    src, rel = rng.random((n, n)) < density, rng.random((m, m)) < density
    want = np.zeros((n, n), bool)
    for (i, j), (a, b) in itertools.product(np.argwhere(src), np.argwhere(rel)):
        x, y = i + a - 2 * g, j + b - 2 * g  # offset index a stands for dx = a - 2g
        if 0 <= x < n and 0 <= y < n:
            want[x, y] = True
    solver, kept = tig._Solver(g), tig._PAIRS_BY_FFT
    for pairs_by_fft in (0, 10**9):  # every call by FFT, every call by pairs
        tig._PAIRS_BY_FFT = pairs_by_fft
        try:
            assert (solver._support(src, rel) == want).all()
        finally:
            tig._PAIRS_BY_FFT = kept
