"""Object catalog for exploration scenes: categories with sizes, shapes, colours and facing.

Every category gets its own colour so that a segmentation-free detector (and a person
looking at a render) can tell categories apart. Sizes are footprints that fit inside one
1 m grid cell, so a robot of radius 0.25 m can always pass between neighbouring cells.

Example:
    >>> CATALOG["chair"].has_facing
    True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One kind of object: footprint (x, y) and height in metres, primitive shape, colour."""

    name: str
    size: tuple[float, float, float]
    shape: str  # "box" or "cylinder" (cylinders use size[0] as diameter)
    rgba: tuple[float, float, float, float]
    has_facing: bool


def _c(name, size, shape, rgb, has_facing):
    return Category(name, tuple(size), shape, (*rgb, 1.0), has_facing)


# Heights stay below the camera (1.5 m) so a tall object hides what is behind it, not
# the whole room. Colours are chosen far apart in RGB.
CATALOG: dict[str, Category] = {
    c.name: c
    for c in [
        _c("chair", (0.6, 0.6, 0.9), "box", (0.85, 0.10, 0.10), True),
        _c("sofa", (0.9, 0.7, 0.8), "box", (0.10, 0.35, 0.85), True),
        _c("tv", (0.9, 0.3, 1.0), "box", (0.10, 0.10, 0.10), True),
        _c("bed", (0.9, 0.9, 0.6), "box", (0.95, 0.75, 0.80), True),
        _c("bookshelf", (0.8, 0.4, 1.3), "box", (0.55, 0.30, 0.10), True),
        _c("cabinet", (0.7, 0.5, 1.0), "box", (0.45, 0.45, 0.45), True),
        _c("desk", (0.9, 0.6, 0.75), "box", (0.80, 0.55, 0.25), True),
        _c("fridge", (0.7, 0.7, 1.4), "box", (0.92, 0.92, 0.95), True),
        _c("oven", (0.6, 0.6, 0.9), "box", (0.30, 0.15, 0.40), True),
        _c("piano", (0.9, 0.5, 1.1), "box", (0.15, 0.05, 0.05), True),
        _c("armchair", (0.7, 0.7, 0.8), "box", (0.10, 0.55, 0.25), True),
        _c("monitor", (0.6, 0.25, 0.5), "box", (0.20, 0.20, 0.55), True),
        _c("table", (0.8, 0.8, 0.75), "cylinder", (0.60, 0.40, 0.20), False),
        _c("lamp", (0.4, 0.4, 1.2), "cylinder", (1.00, 0.90, 0.20), False),
        _c("plant", (0.5, 0.5, 0.9), "cylinder", (0.20, 0.75, 0.20), False),
        _c("vase", (0.3, 0.3, 0.5), "cylinder", (0.10, 0.70, 0.80), False),
        _c("box", (0.5, 0.5, 0.5), "box", (0.85, 0.65, 0.40), False),
        _c("barrel", (0.6, 0.6, 0.9), "cylinder", (0.40, 0.25, 0.05), False),
        _c("stool", (0.45, 0.45, 0.6), "cylinder", (0.95, 0.50, 0.10), False),
        _c("trashcan", (0.4, 0.4, 0.6), "cylinder", (0.35, 0.55, 0.35), False),
        _c("globe", (0.5, 0.5, 0.7), "cylinder", (0.00, 0.45, 0.55), False),
        _c("fan", (0.5, 0.5, 1.1), "cylinder", (0.75, 0.75, 0.55), False),
        _c("heater", (0.7, 0.3, 0.6), "box", (0.80, 0.25, 0.55), False),
        _c("crate", (0.6, 0.6, 0.6), "box", (0.60, 0.60, 0.15), False),
    ]
}
