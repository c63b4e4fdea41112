"""`spacelab render-catalog`: every catalog category, as the GL camera draws it.

Each category stands alone in a 5 x 5 m room, facing north, and is photographed from its
front, left, back and right (for objects with a facing: the side a person uses first),
with shadows on. Writes `catalog.png` (a contact sheet: one labelled row of four views per
category, four categories to a line) and `<category>.png` (a three-quarter front view) per
category. Rendering is headless (EGL/OSMesa) and deterministic.

Example:
    >>> from pathlib import Path; import tempfile
    >>> out = render_catalog(tempfile.mkdtemp(), categories=["chair"], tile=48, picture=64)
    >>> sorted(p.name for p in Path(out["sheet"]).parent.iterdir())
    ['catalog.png', 'chair.png']
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from robots.headless_mujoco import mujoco
from scenes.catalog import CATALOG
from scenes.spec import ObjectSpec, Room, SceneSpec
from sim.cameras import set_shadows
from sim.compile_mujoco import compile_scene

VIEWS = (("front", 0.0), ("left", 90.0), ("back", 180.0), ("right", 270.0))  # camera azimuth from the front
PER_LINE = 4  # categories per line of the sheet
LABEL_PX = 16
HIDDEN_GROUP = 5  # the robot's geoms are moved here so no view shows it


def stage(category: str) -> SceneSpec:
    """A 5 x 5 m room with one `category` object at its centre, facing north (+y); the robot in a corner."""
    cat = CATALOG[category]
    obj = ObjectSpec(category, category, (2.5, 2.5), 0.0, cat.size, cat.has_facing, 0)
    return SceneSpec(seed=0, rooms=(Room(0, 0, 0, 5, 5),), doors=(), objects=(obj,), start_position=(0.5, 0.5),
                     start_heading=0.0, suite="catalog")


def render_views(category: str, size: int, azimuths: list[float], elevation: float = -22.0) -> list[np.ndarray]:
    """RGB images (size x size) of `category` from the given azimuths (degrees from its front, counter-clockwise)."""
    scene = compile_scene(stage(category))
    m = scene.model
    m.geom_group[m.geom_bodyid == scene.robot_body] = HIDDEN_GROUP
    m.vis.global_.fovy = 40.0
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    cat = CATALOG[category]
    w, dep, h = cat.size
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_FREE
    cam.lookat[:] = (2.5, 2.5, 0.45 * h)
    cam.distance = 1.35 * max(w, dep, h) + 0.9
    cam.elevation = elevation
    opt = mujoco.MjvOption()
    out = []
    with mujoco.Renderer(m, height=size, width=size) as r:
        for az in azimuths:
            cam.azimuth = 90.0 + 180.0 + az  # the object faces +y (azimuth 90); look back at its front
            r.update_scene(d, camera=cam, scene_option=opt)
            set_shadows(r, True)
            out.append(r.render().copy())
    return out


def _label(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((LABEL_PX, img.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (3, LABEL_PX - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (20, 20, 20), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def render_catalog(out_dir: str | Path, categories: list[str] | None = None, tile: int = 112, picture: int = 384) -> dict:
    """Write the contact sheet and one picture per category into `out_dir`; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(CATALOG) if categories is None else list(categories)
    unknown = [n for n in names if n not in CATALOG]
    if unknown:
        raise ValueError(f"unknown categories {unknown}; known: {', '.join(CATALOG)}")
    blocks, pictures = [], []
    for name in names:
        views = render_views(name, tile, [az for _, az in VIEWS])
        row = np.hstack([np.pad(v, ((1, 1), (1, 1), (0, 0)), constant_values=255) for v in views])
        facing = "" if CATALOG[name].has_facing else " (no facing)"
        blocks.append(_label(row, f"{name}{facing}: front, left, back, right"))
        pic = render_views(name, picture, [35.0], elevation=-20.0)[0]
        path = out / f"{name}.png"
        cv2.imwrite(str(path), pic[:, :, ::-1])
        pictures.append(str(path))
    lines = []
    for i in range(0, len(blocks), PER_LINE):
        line = blocks[i:i + PER_LINE]
        line += [np.full_like(blocks[0], 255)] * (PER_LINE - len(line)) if len(blocks) > PER_LINE else []
        lines.append(np.hstack([np.pad(b, ((0, 6), (0, 6), (0, 0)), constant_values=255) for b in line]))
    sheet = out / "catalog.png"
    cv2.imwrite(str(sheet), np.vstack(lines)[:, :, ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return {"sheet": str(sheet), "pictures": pictures}


__all__ = ["VIEWS", "render_catalog", "render_views", "stage"]
