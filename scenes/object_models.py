"""What each catalog category looks like: a list of primitive parts per category, as plain data.

A model is drawn in a unit frame that the object's footprint scales: x along the facing
(-0.5 back, +0.5 front), y across it (-0.5 right ... +0.5 left, seen from the back), z up
from the floor (0 .. 1). `parts(category, size)` scales a model to an object's
(width, depth, height): x by depth, y by width, z by height; a cylinder's or capsule's
radius by the smaller of its two cross dimensions, a sphere's by the smallest of all
three (the footprint less INSET on every side but the floor). Every part stays inside the footprint box and the height (tested), so navigation,
the grid and the collision/visibility hull (the footprint box, see sim.compile_mujoco)
keep their meaning. Both the MuJoCo and the PyBullet builders draw these parts; the ray-cast
camera colours them from the same materials.

Materials are names: "body" is the category's catalog colour, "front" the same colour at
0.35x brightness (the front cue of objects with a facing: screens, doors, drawer fronts,
a chair's apron), the rest fixed colours in `MATERIALS`.

Example:
    >>> [p.shape for p in MODELS["lamp"]]
    ['cylinder', 'cylinder', 'cylinder', 'cylinder']
    >>> p = parts("lamp", (0.4, 0.4, 1.2))[1]
    >>> round(p.size[0], 3), round(p.pos[2], 3)   # the pole: 1.6 cm radius, centred at 0.47 m
    (0.016, 0.467)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scenes.catalog import CATALOG

FRONT_SHADE = 0.35  # the front cue's brightness relative to the body colour (the old panel's)
DARK_RATIO = 0.6  # a part darker than this share of the body's brightness counts as dark

# Fixed materials (rgb). "body" and "front" come from the category's colour.
MATERIALS: dict[str, tuple[float, float, float]] = {
    "wood": (0.58, 0.40, 0.24),
    "darkwood": (0.30, 0.19, 0.11),
    "metal": (0.70, 0.71, 0.74),
    "black": (0.05, 0.05, 0.06),
    "white": (0.93, 0.93, 0.90),
    "screen": (0.03, 0.04, 0.07),
    "cream": (0.93, 0.87, 0.72),
    "terracotta": (0.72, 0.36, 0.20),
    "soil": (0.25, 0.17, 0.10),
    "leaf": (0.16, 0.52, 0.18),
    "gold": (0.83, 0.68, 0.25),
    "red": (0.75, 0.12, 0.12),
    "blue": (0.15, 0.28, 0.70),
    "yellow": (0.92, 0.80, 0.20),
    "green": (0.20, 0.55, 0.30),
    "tape": (0.78, 0.62, 0.35),
}
SHAPES = ("box", "cylinder", "sphere", "capsule")
INSET = 0.002  # m between the footprint box (the hull) and the parts: rays meet the hull first, never a tie
MAX_PARTS = 16  # PyBullet draws at most 16 shapes in one visual shape array (more crash it)


@dataclass(frozen=True)
class Part:
    """One primitive in the unit frame (see the module docstring).

    pos: centre (x, y, z) in footprint fractions. half: box half extents per axis; for a
    cylinder or capsule (radius, -, half length); for a sphere (radius, -, -), all in the
    fractions described above. axis: the long axis of a cylinder or capsule ("x", "y", "z").
    roll: degrees about the x axis (fan blades). material: a name in MATERIALS, "body" or "front".
    """

    shape: str
    pos: tuple[float, float, float]
    half: tuple[float, float, float]
    material: str = "body"
    axis: str = "z"
    roll: float = 0.0


@dataclass(frozen=True)
class ScaledPart:
    """A part in metres in the object's body frame: x front, y left, z up from the floor.

    size: MuJoCo's convention (box: half extents; cylinder/capsule: radius, half length;
    sphere: radius). quat: (w, x, y, z) orientation of the part (its long axis on z).
    """

    shape: str
    pos: tuple[float, float, float]
    size: tuple[float, ...]
    quat: tuple[float, float, float, float]
    rgba: tuple[float, float, float, float]
    material: str

    def half_extents(self) -> tuple[float, float, float]:
        """Half extents of the part's axis-aligned bounding box in the body frame."""
        if self.shape == "box":
            local = self.size
        elif self.shape == "sphere":
            return (self.size[0],) * 3
        else:
            r, hl = self.size[0], self.size[1] + (self.size[0] if self.shape == "capsule" else 0.0)
            local = (r, r, hl)
        m = _matrix(self.quat)
        return tuple(sum(abs(m[i][j]) * local[j] for j in range(3)) for i in range(3))


def B(x, y, z, hx, hy, hz, material="body", roll=0.0) -> Part:
    return Part("box", (x, y, z), (hx, hy, hz), material, "z", roll)


def C(x, y, z, r, hl, material="body", axis="z") -> Part:
    return Part("cylinder", (x, y, z), (r, 0.0, hl), material, axis)


def S(x, y, z, r, material="body") -> Part:
    return Part("sphere", (x, y, z), (r, 0.0, 0.0), material)


def K(x, y, z, r, hl, material="body", axis="z") -> Part:
    return Part("capsule", (x, y, z), (r, 0.0, hl), material, axis)


def _legs(x, y, half, z_top, material="body"):
    """Four box legs at (+-x, +-y), floor to z_top."""
    return [B(sx * x, sy * y, z_top / 2, half, half, z_top / 2, material) for sx in (1, -1) for sy in (1, -1)]


def _sofa(arm: float, cushions: int) -> list[Part]:
    seat_w = 0.5 - arm
    out = [
        B(0.0, 0.0, 0.22, 0.5, 0.5, 0.12),  # base
        *_legs(0.44, 0.44, 0.05, 0.1, "darkwood"),
        B(-0.39, 0.0, 0.62, 0.11, 0.5, 0.38),  # back, up to the full height
        *[B(0.04, s * (0.5 - arm / 2), 0.52, 0.46, arm / 2, 0.18) for s in (1, -1)],  # arms
        B(0.49, 0.0, 0.22, 0.01, seat_w - 0.02, 0.09, "front"),  # the seat's front skirt
    ]
    w = seat_w / cushions
    out += [B(0.08, -seat_w + w * (2 * k + 1), 0.40, 0.36, w - 0.01, 0.06, "cream") for k in range(cushions)]
    return out


def _screen(base_x: float, with_keyboard: bool) -> list[Part]:
    """A flat screen on a neck and foot (TV, monitor): housing behind, dark glass in front."""
    out = [
        B(base_x, 0.0, 0.02, 0.3 if not with_keyboard else 0.18, 0.3, 0.02, "metal"),  # foot
        B(base_x, 0.0, 0.22, 0.08, 0.05, 0.2, "metal"),  # neck
    ]
    if with_keyboard:  # monitor: screen at the back, a keyboard in front where you sit
        out += [B(-0.2, 0.0, 0.66, 0.12, 0.5, 0.32), B(-0.05, 0.0, 0.66, 0.03, 0.46, 0.28, "front"),
                B(0.32, 0.0, 0.03, 0.17, 0.42, 0.03, "black"), B(0.32, 0.0, 0.065, 0.14, 0.38, 0.006, "metal")]
    else:  # TV: the screen at the front of its stand
        out += [B(0.2, 0.0, 0.68, 0.2, 0.5, 0.3), B(0.44, 0.0, 0.69, 0.04, 0.47, 0.27, "screen"),
                B(0.45, 0.0, 0.4, 0.05, 0.2, 0.015, "metal")]  # a logo strip under the screen
    return out


# Each facing model has its use side at +x; tested: not symmetric under a 180-degree turn, and its
# dark parts (darker than DARK_RATIO x the body) lie in its front half or symmetric about the middle.
MODELS: dict[str, list[Part]] = {
    "chair": [
        *_legs(0.42, 0.42, 0.06, 0.47),
        B(0.0, 0.0, 0.5, 0.5, 0.5, 0.035),  # seat
        B(0.05, 0.0, 0.555, 0.42, 0.44, 0.025, "cream"),  # cushion
        B(0.47, 0.0, 0.42, 0.03, 0.4, 0.05, "front"),  # front apron
        *[B(-0.43, s * 0.42, 0.76, 0.06, 0.06, 0.22) for s in (1, -1)],  # back posts
        B(-0.45, 0.0, 0.82, 0.04, 0.38, 0.15),  # backrest
    ],
    "armchair": _sofa(arm=0.16, cushions=1),
    "sofa": _sofa(arm=0.1, cushions=2),
    "tv": _screen(base_x=-0.2, with_keyboard=False),
    "monitor": _screen(base_x=-0.3, with_keyboard=True),
    "bed": [
        *_legs(0.45, 0.45, 0.04, 0.15, "darkwood"),
        B(0.0, 0.0, 0.25, 0.5, 0.5, 0.1, "cream"),  # frame
        B(0.02, 0.0, 0.44, 0.45, 0.47, 0.09, "white"),  # mattress
        B(0.14, 0.0, 0.555, 0.34, 0.48, 0.025),  # blanket over the foot end
        B(-0.3, 0.0, 0.57, 0.1, 0.36, 0.05, "white"),  # pillow
        B(-0.47, 0.0, 0.6, 0.03, 0.5, 0.4, "cream"),  # headboard at the back
        B(0.485, 0.0, 0.3, 0.015, 0.46, 0.12, "front"),  # low footboard where you get in
    ],
    "bookshelf": [
        B(-0.46, 0.0, 0.5, 0.04, 0.5, 0.5),  # back panel
        *[B(0.0, s * 0.475, 0.5, 0.5, 0.025, 0.5) for s in (1, -1)],  # sides
        *[B(0.02, 0.0, z, 0.48, 0.45, 0.02) for z in (0.03, 0.35, 0.67, 0.98)],  # shelves
        *[B(0.14 + 0.04 * (k % 2), x0 + 0.13 * k, 0.05 + hz + 0.32 * lvl, 0.3, 0.055, hz, m)
          for lvl, (x0, row) in enumerate(((-0.38, ("red", "blue", "front")), (-0.05, ("yellow", "front", "blue")),
                                           (-0.3, ("green", "cream", "red"))))
          for k, (m, hz) in enumerate(zip(row, (0.12, 0.1, 0.13)))],  # books
    ],
    "cabinet": [
        B(-0.05, 0.0, 0.52, 0.45, 0.5, 0.48),  # carcass
        B(0.0, 0.0, 0.02, 0.4, 0.44, 0.02, "black"),  # plinth
        *[B(0.44, s * 0.245, 0.52, 0.04, 0.24, 0.44, "front") for s in (1, -1)],  # doors
        *[B(0.49, s * 0.06, 0.62, 0.01, 0.02, 0.1, "metal") for s in (1, -1)],  # handles
    ],
    "desk": [
        B(0.0, 0.0, 0.965, 0.5, 0.5, 0.035),  # top
        B(-0.44, -0.1, 0.6, 0.03, 0.38, 0.3),  # modesty panel at the back
        B(-0.02, 0.31, 0.465, 0.46, 0.18, 0.465),  # drawer pedestal
        *[B(0.46, 0.31, z, 0.02, 0.16, 0.12, "front") for z in (0.18, 0.46, 0.74)],  # drawer fronts
        *[B(0.485, 0.31, z, 0.01, 0.06, 0.015, "metal") for z in (0.2, 0.48, 0.76)],  # drawer pulls
        *[B(sx * 0.44, -0.44, 0.465, 0.05, 0.05, 0.465) for sx in (1, -1)],  # legs on the open side
    ],
    "fridge": [
        B(-0.04, 0.0, 0.5, 0.46, 0.5, 0.5),  # cabinet
        B(0.45, 0.0, 0.72, 0.03, 0.49, 0.27, "white"),  # upper door
        B(0.45, 0.0, 0.225, 0.03, 0.49, 0.205, "white"),  # lower door
        B(0.45, 0.0, 0.44, 0.031, 0.49, 0.008, "black"),  # the gap between the doors
        B(0.49, 0.38, 0.72, 0.01, 0.025, 0.18, "black"),  # handles
        B(0.49, 0.38, 0.3, 0.01, 0.025, 0.1, "black"),
        B(0.0, 0.0, 0.005, 0.42, 0.42, 0.005, "black"),  # kick plate
    ],
    "oven": [
        B(-0.03, 0.0, 0.5, 0.47, 0.5, 0.48),  # body
        B(0.465, 0.0, 0.42, 0.025, 0.38, 0.24, "screen"),  # glass door
        B(0.46, 0.0, 0.86, 0.04, 0.5, 0.07, "front"),  # control panel
        *[C(0.47, y, 0.86, 0.08, 0.03, "metal", axis="x") for y in (-0.33, -0.12, 0.12, 0.33)],  # knobs
        B(0.485, 0.0, 0.7, 0.015, 0.34, 0.015, "metal"),  # door handle
        *[C(x, y, 0.985, 0.16, 0.012, "black") for x in (-0.22, 0.18) for y in (-0.22, 0.22)],  # burners
    ],
    "piano": [
        B(-0.22, 0.0, 0.5, 0.28, 0.5, 0.5),  # upright case
        B(0.05, 0.0, 0.55, 0.08, 0.5, 0.06),  # key bed under the keyboard
        B(0.26, 0.0, 0.6, 0.2, 0.46, 0.015, "white"),  # white keys
        *[B(0.2, y, 0.625, 0.13, 0.025, 0.012, "front") for y in (-0.36, -0.24, -0.06, 0.06, 0.18, 0.36)],  # black keys
        B(0.31, 0.0, 0.575, 0.18, 0.48, 0.012),  # keyboard shelf
        *[B(0.41, s * 0.45, 0.28, 0.04, 0.04, 0.28) for s in (1, -1)],  # front legs
        B(0.0, 0.0, 0.85, 0.04, 0.35, 0.08, "darkwood"),  # music desk
        *[B(0.14, y, 0.05, 0.06, 0.03, 0.01, "gold") for y in (-0.06, 0.06)],  # pedals
    ],
    "table": [
        C(0.0, 0.0, 0.96, 0.5, 0.04),  # round top
        C(0.0, 0.0, 0.5, 0.06, 0.43, "darkwood"),  # pedestal
        C(0.0, 0.0, 0.04, 0.32, 0.04, "darkwood"),  # foot
    ],
    "lamp": [
        C(0.0, 0.0, 0.02, 0.38, 0.02, "metal"),  # base
        C(0.0, 0.0, 0.39, 0.04, 0.35, "metal"),  # pole
        C(0.0, 0.0, 0.86, 0.5, 0.12),  # shade
        C(0.0, 0.0, 0.72, 0.34, 0.02),  # the shade's lower rim, narrower: a cone's silhouette
    ],
    "plant": [
        C(0.0, 0.0, 0.17, 0.3, 0.17, "terracotta"),  # pot
        C(0.0, 0.0, 0.345, 0.34, 0.015, "terracotta"),  # rim
        C(0.0, 0.0, 0.36, 0.28, 0.005, "soil"),
        C(0.0, 0.0, 0.45, 0.04, 0.1, "darkwood"),  # stem
        S(0.0, 0.0, 0.62, 0.3), S(0.16, 0.12, 0.7, 0.26), S(-0.15, -0.12, 0.72, 0.26),
        S(-0.1, 0.18, 0.76, 0.22), S(0.1, -0.16, 0.77, 0.22),  # leaves
    ],
    "vase": [
        C(0.0, 0.0, 0.1, 0.25, 0.1),  # foot
        S(0.0, 0.0, 0.45, 0.45),  # belly
        C(0.0, 0.0, 0.7, 0.2, 0.12),  # neck
        C(0.0, 0.0, 0.83, 0.3, 0.02),  # lip
        C(0.04, 0.0, 0.9, 0.02, 0.1, "leaf"),  # stems and flowers
        S(0.05, 0.0, 0.92, 0.08, "red"), S(-0.08, 0.08, 0.93, 0.07, "yellow"),
    ],
    "box": [
        B(0.0, 0.0, 0.48, 0.5, 0.5, 0.48),
        B(0.0, 0.0, 0.97, 0.5, 0.08, 0.01, "tape"),  # tape along the top seam
        B(0.0, 0.0, 0.97, 0.005, 0.5, 0.01, "darkwood"),  # the flaps' seam
        B(0.5 - 0.01, 0.2, 0.6, 0.01, 0.18, 0.12, "white"),  # a shipping label
    ],
    "barrel": [
        C(0.0, 0.0, 0.5, 0.47, 0.5),  # staves
        *[C(0.0, 0.0, z, 0.5, 0.03, "metal") for z in (0.12, 0.5, 0.88)],  # hoops
        C(0.0, 0.0, 0.995, 0.42, 0.005, "darkwood"),  # lid
    ],
    "stool": [
        C(0.0, 0.0, 0.94, 0.5, 0.06),  # seat
        *[C(0.3 * math.cos(a), 0.3 * math.sin(a), 0.44, 0.07, 0.44, "darkwood") for a in (0.0, 2.094, 4.189)],  # legs
        C(0.0, 0.0, 0.35, 0.3, 0.015, "darkwood"),  # foot ring
    ],
    "trashcan": [
        C(0.0, 0.0, 0.44, 0.44, 0.44),  # bin
        C(0.0, 0.0, 0.91, 0.5, 0.03, "metal"),  # lid
        B(0.0, 0.0, 0.96, 0.06, 0.2, 0.02, "black"),  # lid handle
        C(0.0, 0.0, 0.02, 0.46, 0.02, "black"),  # foot ring
    ],
    "globe": [
        C(0.0, 0.0, 0.02, 0.34, 0.02, "darkwood"),  # base
        C(0.0, 0.0, 0.2, 0.05, 0.16, "gold"),  # post
        S(0.0, 0.0, 0.63, 0.36),  # the globe (ocean)
        S(0.2, 0.12, 0.78, 0.14, "leaf"), S(-0.08, -0.26, 0.6, 0.13, "leaf"), S(-0.18, 0.2, 0.5, 0.12, "leaf"),
        C(0.0, 0.0, 0.63, 0.45, 0.01, "gold"),  # equator ring
    ],
    "fan": [
        C(0.0, 0.0, 0.02, 0.4, 0.02, "metal"),  # base
        C(0.0, 0.0, 0.36, 0.04, 0.32, "metal"),  # pole
        C(-0.14, 0.0, 0.76, 0.16, 0.12, "metal", axis="x"),  # motor
        C(0.08, 0.0, 0.76, 0.08, 0.05, "black", axis="x"),  # hub
        *[B(0.1, 0.0, 0.76, 0.01, 0.46, 0.05, roll=a) for a in (0.0, 60.0, 120.0)],  # three blade pairs
    ],
    "heater": [
        *[B(0.0, -0.42 + 0.168 * k, 0.52, 0.38, 0.06, 0.38) for k in range(6)],  # fins
        C(0.0, 0.0, 0.18, 0.15, 0.5, "metal", axis="y"),  # bottom pipe
        C(0.0, 0.0, 0.8, 0.15, 0.5, "metal", axis="y"),  # top pipe
        *[B(0.0, s * 0.4, 0.04, 0.45, 0.05, 0.04, "black") for s in (1, -1)],  # feet
        B(0.48, -0.47, 0.86, 0.02, 0.03, 0.05, "black"),  # valve
    ],
    "crate": [
        *[B(sx * 0.46, sy * 0.46, 0.5, 0.04, 0.04, 0.5, "darkwood") for sx in (1, -1) for sy in (1, -1)],  # posts
        *[B(s * 0.47, 0.0, z, 0.03, 0.42, 0.12) for s in (1, -1) for z in (0.2, 0.72)],  # slats
        *[B(0.0, s * 0.47, z, 0.42, 0.03, 0.12) for s in (1, -1) for z in (0.2, 0.72)],
        B(0.0, 0.0, 0.03, 0.42, 0.42, 0.03, "darkwood"),  # floor board
    ],
}


def material_rgba(category: str, material: str) -> tuple[float, float, float, float]:
    """The colour of a material on an object of `category`."""
    cat = CATALOG.get(category)
    body = cat.rgba[:3] if cat is not None else (0.5, 0.5, 0.5)
    if material == "body":
        rgb = body
    elif material == "front":
        rgb = tuple(FRONT_SHADE * c for c in body)
    else:
        rgb = MATERIALS[material]
    return (*(float(c) for c in rgb), 1.0)


def is_dark(category: str, material: str) -> bool:
    """Whether a material reads as dark next to the category's body colour (the front cue's test)."""
    body = sum(material_rgba(category, "body")[:3])
    return sum(material_rgba(category, material)[:3]) < DARK_RATIO * body


def parts(category: str, size: tuple[float, float, float]) -> list[ScaledPart]:
    """The model of `category` scaled to an object of (width, depth, height) metres, in its body frame.

    Unknown categories get one box filling the footprint.
    """
    width, depth, height = (float(v) for v in size)
    # unit-frame axes x, y, z, inset so that the hull's faces lie strictly outside every part
    dims = (depth - 2 * INSET, width - 2 * INSET, height - INSET)
    out = []
    for p in MODELS.get(category, [B(0.0, 0.0, 0.5, 0.5, 0.5, 0.5)]):
        pos = tuple(p.pos[i] * dims[i] for i in range(3))
        if p.shape == "box":
            size_m: tuple[float, ...] = tuple(p.half[i] * dims[i] for i in range(3))
            quat = _quat_x(p.roll)
        elif p.shape == "sphere":
            size_m = (p.half[0] * min(dims),)
        else:
            ax = "xyz".index(p.axis)
            cross = min(dims[i] for i in range(3) if i != ax)
            size_m = (p.half[0] * cross, p.half[2] * dims[ax])
            quat = _AXIS_QUAT[p.axis]
        if p.shape == "sphere":
            quat = (1.0, 0.0, 0.0, 0.0)
        part = ScaledPart(p.shape, pos, size_m, quat, material_rgba(category, p.material), p.material)
        if p.roll:  # a turned box does not scale with the axes: shrink it about its centre until it fits
            ext = part.half_extents()
            room = [min(pos[i] + dims[i] / 2, dims[i] / 2 - pos[i]) for i in range(2)] + [min(pos[2], dims[2] - pos[2])]
            k = min(1.0, *(room[i] / ext[i] for i in range(3) if ext[i] > 0))
            part = ScaledPart(p.shape, pos, tuple(v * k for v in size_m), quat, part.rgba, p.material)
        out.append(part)
    return out


_S = math.sqrt(0.5)
_AXIS_QUAT = {"z": (1.0, 0.0, 0.0, 0.0), "x": (_S, 0.0, _S, 0.0), "y": (_S, -_S, 0.0, 0.0)}


def _quat_x(deg: float) -> tuple[float, float, float, float]:
    a = math.radians(deg) / 2
    return (math.cos(a), math.sin(a), 0.0, 0.0)


def _matrix(q) -> list[list[float]]:
    w, x, y, z = q
    return [[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]]


__all__ = ["DARK_RATIO", "FRONT_SHADE", "INSET", "MATERIALS", "MAX_PARTS", "MODELS", "SHAPES", "Part", "ScaledPart", "is_dark", "material_rgba",
           "parts"]
