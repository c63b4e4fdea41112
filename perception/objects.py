"""Objects from pixels: detections from segmentation (or colour), 3-D positions from depth,
facing from the front-panel cue, and tracks with uncertainty that follow moves.

A detection is one entity seen in one frame: its start-frame position (the centre of its
top face when visible, else of its visible surface pushed back along the view), its
facing when the dark front panel is in view (and the facings ruled out by plain sides seen
squarely), and a measurement noise growing with range.
A track fuses detections of one object (inverse-variance weighting). Evidence that
disagrees by more than 4 sigma and 0.75 m is a move, not noise: the track jumps to the new
place and is marked "moved" instead of averaging old and new into a ghost; a clearly seen
new facing marks it "rotated".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from perception.closest_part import fit_steps
from perception.mapping import back_project, camera_to_start
from perception.sensors import Frame, label_counts
from perception.shading import albedo_at
from scenes import object_models
from scenes.catalog import CATALOG
from scenes.frames import FACINGS

MIN_PIXELS = 6
MOVE_SIGMAS, MOVE_METRES = 4.0, 0.75


@dataclass
class Detection:
    name: str
    position: np.ndarray  # start-frame (x, y)
    facing: str | None  # start-frame facing, when the front panel is seen
    sigma: float  # m
    pixels: int
    ruled_out: frozenset = frozenset()  # facings whose face was seen squarely and plain (no panel)


def detect_segmentation(frame: Frame, names: list[str], n_objects: int, pose_xy, heading_deg: float) -> list[Detection]:
    """One detection per object entity present in the segmentation image."""
    seg = frame.segmentation
    albedo = albedo_brightness(frame, (seg >= 0) & (seg < n_objects) & np.isfinite(frame.depth))
    out = []
    for e, count in zip(*label_counts(seg)):
        if e < 0 or e >= n_objects or count < MIN_PIXELS:
            continue
        det = _locate(frame, seg == e, names[e], pose_xy, heading_deg, albedo)
        if det is not None:
            out.append(det)
    return out


def detect_colour(frame: Frame, candidates: list[str], pose_xy, heading_deg: float, tolerance: float = 0.12) -> list[Detection]:
    """Without segmentation: pixels near a category's colour (lit or in shadow), split into
    blobs with OpenCV; the largest blob of a colour is that object."""
    rgb = frame.rgb.astype(np.float32) / 255.0
    brightness = rgb.sum(axis=2, keepdims=True) + 1e-6
    chroma = rgb / brightness
    out = []
    for name in candidates:
        cat = _category(name)
        if cat is None:
            continue
        ref = np.asarray(cat.rgba[:3], np.float32)
        ref_chroma = ref / (ref.sum() + 1e-6)
        close = np.linalg.norm(chroma - ref_chroma, axis=2) < tolerance
        close &= np.abs(brightness[..., 0] - ref.sum() * 0.8) < ref.sum() * 0.7 + 0.1
        n, labels, stats, _ = cv2.connectedComponentsWithStats(close.astype(np.uint8), connectivity=8)
        if n <= 1:
            continue
        best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        mask = labels == best
        if mask.sum() >= MIN_PIXELS:
            det = _locate(frame, mask, name, pose_xy, heading_deg, albedo_brightness(frame))
            if det is not None:
                out.append(det)
    return out


def albedo_brightness(frame: Frame, where: np.ndarray | None = None) -> np.ndarray:
    """Per-pixel brightness with the viewing-angle shading taken out: surface normals from
    the depth image (cross product of neighbouring points), shade = 0.35 + 0.65 |n . view|
    (the renderer's Lambert model), brightness / shade. Edges give noise; callers use medians.

    where: only these pixels are wanted (the others are left 0): the same values, computed
    pixel by pixel with the arithmetic of np.gradient, np.cross and np.linalg.norm."""
    if where is not None:
        return _albedo_at(frame, where)
    pts = frame.intrinsics.pixel_rays() * np.where(np.isfinite(frame.depth), frame.depth, 0.0)[..., None]
    du, dv = np.gradient(pts, axis=1), np.gradient(pts, axis=0)
    n = np.cross(du, dv)
    n /= np.linalg.norm(n, axis=2, keepdims=True) + 1e-12
    view = pts / (np.linalg.norm(pts, axis=2, keepdims=True) + 1e-12)
    shade = 0.35 + 0.65 * np.abs((n * view).sum(axis=2))
    return frame.rgb.astype(np.float32).sum(axis=2) / shade


def _albedo_at(frame: Frame, where: np.ndarray) -> np.ndarray:
    """albedo_brightness(frame) at the pixels `where` (0 elsewhere), pixel by pixel with the
    whole-image arithmetic (perception.shading.albedo_at)."""
    out = np.zeros(frame.depth.shape)
    i, j = np.nonzero(where)
    if len(i):
        albedo_at(frame.intrinsics.pixel_rays(), np.asarray(frame.depth, dtype=np.float64), frame.rgb, i, j, out)
    return out


def _locate(frame: Frame, mask: np.ndarray, name: str, pose_xy, heading_deg: float, albedo: np.ndarray) -> Detection | None:
    pts = camera_to_start(back_project(frame.depth, frame.intrinsics, mask), pose_xy, heading_deg)
    if len(pts) < MIN_PIXELS:
        return None
    top = pts[pts[:, 2] >= pts[:, 2].max() - 0.01]
    cam = camera_to_start(np.zeros((1, 3)), pose_xy, heading_deg)[0, :2]
    if len(top) >= 12:  # the top face's centre is the footprint centre (faces are axis-aligned)
        centre = (top[:, :2].min(axis=0) + top[:, :2].max(axis=0)) / 2
    else:  # only sides visible: push the visible surface back by half its width
        centre = pts[:, :2].mean(axis=0)
        view = centre - cam
        view /= np.linalg.norm(view) + 1e-9
        lateral = pts[:, :2] @ np.array([-view[1], view[0]])
        centre = centre + view * 0.5 * min(1.0, float(lateral.max() - lateral.min())) * 0.8
    dark = _dark(albedo[mask & np.isfinite(frame.depth)], name)
    cat = _category(name)
    fit = fit_model(pts, dark, cat.name, cat.size, centre) if cat is not None and len(dark) == len(pts) else None
    shape_facing = None
    if fit is not None:
        centre, shape_facing = fit
    rng = float(np.linalg.norm(centre - cam))
    facing = shape_facing or _facing(dark, pts, centre, cat)
    ruled_out = _plain_faces(dark, pts, cam, centre, cat) - {facing}
    return Detection(name, centre, facing, sigma=0.05 + 0.03 * rng, pixels=int(mask.sum()), ruled_out=ruled_out)


def _category(name: str):
    return CATALOG.get(name if name in CATALOG else name.rsplit("_", 1)[0])


def _dark(lum: np.ndarray, name: str) -> np.ndarray:
    """Pixels of the dark front panel (albedo 0.35x the body's): darker than 0.6x the body's
    albedo brightness, known from the catalog colour (else the median pixel, which fails
    when the panel fills most of the view)."""
    cat = _category(name)
    body = 255.0 * sum(cat.rgba[:3]) if cat is not None else float(np.median(lum)) if len(lum) else 0.0
    return lum < 0.6 * body


def _facing(dark: np.ndarray, pts: np.ndarray, centre: np.ndarray, cat=None) -> str | None:
    """Dark parts mark the front (screens, doors, drawer fronts, aprons): facing = from the
    centre towards the dark pixels, snapped to a compass direction, when they lie at least
    a fifth of the footprint's depth (and 5 cm) off the centre."""
    if len(dark) < MIN_PIXELS or len(dark) != len(pts):
        return None
    if dark.sum() < 3:
        return None
    v = pts[dark, :2].mean(axis=0) - centre
    if np.linalg.norm(v) < (max(0.05, 0.2 * cat.size[1]) if cat is not None else 0.12):
        return None
    heading = math.degrees(math.atan2(v[0], v[1])) % 360.0
    return FACINGS[int(round(heading / 90.0)) % 4]


FIT_ROBUST = 0.1  # m: a point farther than this from every part counts this much (occlusion, other objects)
FIT_DECISIVE = 0.6  # a heading wins on shape alone when its fit costs less than this share of the next best
FIT_STARTS = 5  # per heading: the given start and four shifted ones
FIT_STEPS = 4  # closest-point steps per fit

# rows: body x, body y of the four axis-aligned headings, in the start frame
_BASES = np.stack([
    np.stack([f, np.array([-f[1], f[0]])])
    for f in (np.array([math.sin(math.radians(90 * k)), math.cos(math.radians(90 * k))]) for k in range(4))
])


def fit_model(pts: np.ndarray, dark: np.ndarray, category: str, size, start: np.ndarray) -> tuple[np.ndarray, str | None] | None:
    """Fit the category's model (scenes.object_models) to the object's points: for each of the
    four axis-aligned headings, the footprint centre that puts the points on the parts'
    surfaces (dark points on dark parts, plain on plain), by a few closest-point steps from
    `start` and from four shifted starts. Returns (centre, facing): facing is the best
    heading's when the category has a facing and that fit is decisive (cost below
    FIT_DECISIVE x the next heading's), else None.

    The 20 (heading, start) fits are independent; each runs its FIT_STEPS closest-point steps
    in one compiled loop (`perception.closest_part.fit_steps`), with the arithmetic of the
    numpy formulation."""
    cat = CATALOG.get(category)
    if cat is None or len(pts) < MIN_PIXELS:
        return None
    model = _model_table(category, tuple(size))
    step = max(1, len(pts) // 150)
    p, d = pts[::step], dark[::step]
    r = 0.25 * max(size[0], size[1])
    starts = [np.asarray(start, float)] + [np.asarray(start, float) + o for o in ((r, 0), (-r, 0), (0, r), (0, -r))]
    heading = np.repeat(np.arange(4), FIT_STARTS)  # fit j: heading j // 5, start j % 5
    centres, final = fit_steps(p, d, model, np.array(starts * 4), _BASES[heading], FIT_ROBUST, FIT_STEPS)
    costs = np.minimum(final, FIT_ROBUST).mean(axis=1)  # each row's mean is the 1-D mean of that fit alone
    best = []
    for k in range(4):
        i = min(range(FIT_STARTS), key=lambda s: float(costs[k * FIT_STARTS + s]))  # the first of equal costs
        best.append((float(costs[k * FIT_STARTS + i]), k, centres[k * FIT_STARTS + i]))
    best.sort(key=lambda x: x[0])
    cost, k, t_best = best[0]
    facing = FACINGS[k] if cat.has_facing and cost < FIT_DECISIVE * best[1][0] else None
    return t_best, facing


_MODEL_CACHE: dict = {}


def _model_table(category: str, size: tuple) -> tuple:
    """Part centres, half extents (boxes; sphere radius in [0]; cylinder radius, -, half length),
    kinds (0 box, 1 sphere, 2 vertical cylinder) and darkness, in the body frame."""
    key = (category, size)
    if key not in _MODEL_CACHE:
        ps = object_models.parts(category, size)
        centre = np.array([q.pos for q in ps], float)
        half, kind = [], []
        for q in ps:
            if q.shape == "sphere":
                half.append((q.size[0], q.size[0], q.size[0]))
                kind.append(1)
            elif q.shape == "cylinder" and q.quat == (1.0, 0.0, 0.0, 0.0):
                half.append((q.size[0], q.size[0], q.size[1]))
                kind.append(2)
            else:
                half.append(q.half_extents())
                kind.append(0)
        dark = np.array([object_models.is_dark(category, q.material) for q in ps])
        _MODEL_CACHE[key] = (centre, np.array(half, float), np.array(kind), dark)
    return _MODEL_CACHE[key]


# The side faces, in the start frame: (axis, outward sign, facing name).
_SIDES = ((1, 1.0, FACINGS[0]), (0, 1.0, FACINGS[1]), (1, -1.0, FACINGS[2]), (0, -1.0, FACINGS[3]))


def _plain_faces(dark: np.ndarray, pts: np.ndarray, cam: np.ndarray, centre: np.ndarray, cat) -> frozenset:
    """Facings ruled out: side faces the camera looks at squarely (from >= 0.1 m beyond the
    face plane) whose pixels (>= 10 within 2 cm of the plane) carry no dark panel. With a
    catalog size, the plane must also sit half a footprint from the centre, so that an
    occluded or clipped view is not taken for a face."""
    if len(dark) < MIN_PIXELS or len(dark) != len(pts):
        return frozenset()
    halves = (cat.size[0] / 2, cat.size[1] / 2) if cat is not None else None
    side = pts[:, 2] < pts[:, 2].max() - 0.02  # not the top face
    if side.sum() < 10:
        return frozenset()
    side_pts, side_dark = pts[side], dark[side]
    out = set()
    for axis, sign, name in _SIDES:
        coord = side_pts[:, axis]
        plane = coord.max() if sign > 0 else coord.min()
        if sign * (cam[axis] - plane) < 0.1:
            continue
        if halves is not None and min(abs(abs(plane - centre[axis]) - h) for h in halves) > 0.06:
            continue
        on_face = np.abs(coord - plane) < 0.02
        if on_face.sum() >= 10 and side_dark[on_face].mean() < 0.05:
            out.add(name)
    return frozenset(out)


@dataclass
class Track:
    name: str
    mean: np.ndarray
    var: float  # m^2, isotropic
    facing: str | None = None
    hits: int = 1
    changed: str | None = None
    ruled_out: set = field(default_factory=set)  # facings seen to be plain sides

    @property
    def std(self) -> float:
        return math.sqrt(self.var)

    @property
    def best_facing(self) -> str | None:
        """The seen facing, else the first (in compass order) not ruled out by plain sides seen
        (a guess among the rest when more than one is left), else None."""
        if self.facing is not None:
            return self.facing
        left = [f for f in FACINGS if f not in self.ruled_out]
        return left[0] if 0 < len(left) < len(FACINGS) else None


@dataclass
class ObjectTracker:
    tracks: dict[str, Track] = field(default_factory=dict)
    watch_changes: bool = False  # set after a restart: report moves and turns

    def update(self, det: Detection) -> Track:
        t = self.tracks.get(det.name)
        r = det.sigma ** 2
        if t is None:
            t = self.tracks[det.name] = Track(det.name, det.position.copy(), r, det.facing, ruled_out=set(det.ruled_out))
            return t
        gap = float(np.linalg.norm(det.position - t.mean))
        if gap > MOVE_METRES and gap > MOVE_SIGMAS * math.sqrt(t.var + r):
            t.mean, t.var, t.hits = det.position.copy(), r, 1  # moved: start again from the new evidence
            t.ruled_out = set(det.ruled_out)
            if self.watch_changes:
                t.changed = "moved"
        else:
            k = t.var / (t.var + r)
            t.mean = t.mean + k * (det.position - t.mean)
            t.var = (1 - k) * t.var
            t.hits += 1
        if det.facing is None and t.facing in det.ruled_out:  # the believed front is a plain side now: turned
            if self.watch_changes and t.changed is None:
                t.changed = "rotated"
            t.facing, t.ruled_out = None, set()
        t.ruled_out |= det.ruled_out
        if det.facing is not None:
            if t.facing is not None and det.facing != t.facing and self.watch_changes and t.changed is None:
                t.changed = "rotated"
            t.facing = det.facing
            t.ruled_out.discard(det.facing)
        return t
