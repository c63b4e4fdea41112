"""A video of a house task played by the mobile Panda in MuJoCo (`spacelab render-episode`
with a house suite).

The task runs `sim.manip.house_skills.HouseSkills` on a `HouseWorld` whose `step` also
records: `RecordingHouseWorld` advances physics in the same chunks the skills ask for, cut
at every `every`-th physics step to render a frame (stepping 10 then 15 steps is the same
physics as 25 steps, so recording leaves the run unchanged). Frames come from MuJoCo's
offscreen renderer (EGL, else OSMesa; see `robots.headless_mujoco`) through a chase camera
that follows the base from behind, 35 degrees to the side and above (walls drawn
translucent: the camera often stands behind one), with the running skill in a corner. An ``.mp4`` is written with imageio-ffmpeg,
a ``.gif`` with imageio's GIF writer.

The default plan is the issue's pick-and-place across rooms,
`sim.manip.pybullet_house.carry_plan` (the same plan the PyBullet check runs): the item on
a support drawn as `sim.manip.house_check` draws it, then a table (else a counter or shelf)
in another room: navigate_to(item), pick(item), navigate_to(table), place(item, table). The
plan stops at the first failed skill.

Example:
    >>> default_plan(load_house("house-3room", 1))
    [('navigate_to', 'block_2'), ('pick', 'block_2'), ('navigate_to', 'table_0'), ('place', 'block_2', 'table_0')]
"""

from __future__ import annotations

import math

import numpy as np

from robots.headless_mujoco import mujoco
from scenes.house import load_house
from sim.backends import BackendError
from sim.manip.house_skills import HOUSE_PRIMITIVES, HouseSkills
from sim.manip.house_world import HouseWorld
from sim.manip.pybullet_house import carry_plan as default_plan

CHASE_DISTANCE = 3.4  # m from the look-at point
CHASE_ELEVATION = -50.0  # deg: the camera sits about 3.4 m up, above the 2.5 m walls
WALL_ALPHA = 0.25
CHASE_SMOOTHING = 0.15  # of the way the camera's azimuth turns toward the base's per frame
CHASE_SIDE = 35.0  # deg off straight behind: the mast and head would hide the arm


class RecordingHouseWorld(HouseWorld):
    """A HouseWorld that calls `on_frame(world)` after every `every` physics steps."""

    def __init__(self, house, every: int, on_frame, start=None) -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1 physics step, got {every}")
        super().__init__(house, start=start)
        self.every, self.on_frame, self._since = int(every), on_frame, 0

    def step(self, n: int = 1) -> None:
        while n > 0:
            k = min(n, self.every - self._since)
            super().step(k)
            n -= k
            self._since += k
            if self._since == self.every:
                self._since = 0
                self.on_frame(self)


def check_plan(plan, house=None) -> list[tuple]:
    """The plan as tuples (skill, *names), or a one-line ValueError naming the first bad step:
    an unknown skill, a wrong number of arguments, or (with `house`) a name that is not one of
    its items, furniture pieces or containers."""
    if not isinstance(plan, (list, tuple)):
        raise ValueError(f"plan step list must be a list of [skill, *names], got {type(plan).__name__}")
    known = None
    if house is not None:
        known = {i.name for i in house.items} | {f.name for f in house.furniture} | set(house.names("container"))
    out = []
    for step in plan:
        if not isinstance(step, (list, tuple)) or not step or not isinstance(step[0], str) or step[0] not in HOUSE_PRIMITIVES:
            raise ValueError(f"plan step {step!r} must be [skill, *names] with skill one of: {', '.join(HOUSE_PRIMITIVES)}")
        n = len(HOUSE_PRIMITIVES[step[0]].params)
        if len(step) - 1 != n or not all(isinstance(a, str) for a in step[1:]):
            raise ValueError(f"plan step {list(step)!r}: {step[0]} takes {n} name argument(s)")
        bad = [a for a in step[1:] if known is not None and a not in known]
        if bad:
            raise ValueError(f"plan step {list(step)!r}: unknown item, furniture or container {bad[0]!r} in this house")
        out.append(tuple(step))
    return out


class _Camera:
    """A chase camera behind the base; its azimuth follows the base's yaw smoothly."""

    def __init__(self, w: HouseWorld) -> None:
        self.cam = mujoco.MjvCamera()
        self.cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        self.cam.distance, self.cam.elevation = CHASE_DISTANCE, CHASE_ELEVATION
        self.azimuth = math.degrees(float(w.base_pose()[2])) + CHASE_SIDE

    def update(self, w: HouseWorld) -> mujoco.MjvCamera:
        x, y, yaw = (float(v) for v in w.base_pose())
        d = (math.degrees(yaw) + CHASE_SIDE - self.azimuth + 180.0) % 360.0 - 180.0
        self.azimuth += CHASE_SMOOTHING * d
        self.cam.azimuth = self.azimuth  # MuJoCo looks along the azimuth: from behind the base
        self.cam.lookat[:] = [x, y, 0.7]
        return self.cam


def _see_through_walls(scene, walls: set[int], alpha: float = WALL_ALPHA) -> None:
    """Draw the walls translucent in this frame only (the model is untouched): the chase
    camera often stands behind one."""
    for k in range(scene.ngeom):
        g = scene.geoms[k]
        if g.objtype == mujoco.mjtObj.mjOBJ_GEOM and g.objid in walls:
            g.rgba[3] = alpha


def _label(img: np.ndarray, text: str) -> np.ndarray:
    import cv2

    img = np.ascontiguousarray(img)
    scale = max(0.35, img.shape[0] / 720)
    cv2.putText(img, text, (8, int(22 * scale / 0.5)), cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), 2, cv2.LINE_AA)
    cv2.putText(img, text, (8, int(22 * scale / 0.5)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return img


def write_house_video(suite: str, index: int, out: str, plan: list[tuple] | None = None, fps: int = 20,
                      size: tuple[int, int] = (480, 360), speed: float = 2.0) -> dict:
    """Play `plan` (default: `default_plan`) in house `index` of `suite` and write the frames to
    `out` (.mp4 or .gif); one frame every `speed / fps` s of simulated time. Returns the frames
    written, the skills' outcomes and the physics steps."""
    if not str(out).lower().endswith((".mp4", ".gif")):
        raise ValueError(f"video file {out!r} must end in .mp4 or .gif")
    width, height = (int(v) for v in size)
    if not (16 <= width <= 1920 and 16 <= height <= 1080) or fps < 1 or not 0.1 <= speed <= 100:
        raise ValueError(f"size must be within 16..1920 x 16..1080, fps >= 1 and speed in 0.1..100; got {size}, {fps}, {speed}")
    try:
        import imageio.v2 as imageio
    except ImportError:
        raise BackendError("a house video needs imageio (and imageio-ffmpeg for mp4): pip install 'spacelab[video]'") from None
    house = load_house(suite, index)
    plan = check_plan(default_plan(house) if plan is None else plan, house)
    state = {"label": "", "frames": 0, "last": None}
    gif = out.lower().endswith(".gif")
    writer_kw = {"duration": 1000.0 / fps, "loop": 0} if gif else {"fps": fps, "macro_block_size": 1}
    every = max(1, round(speed / (fps * 0.002)))  # house physics: 2 ms steps
    with imageio.get_writer(out, **writer_kw) as writer:
        renderer = camera = None

        def on_frame(w: HouseWorld) -> None:
            renderer.update_scene(w.data, camera.update(w))
            _see_through_walls(renderer.scene, walls)
            img = _label(renderer.render(), state["label"])
            if gif and state["last"] is not None and np.array_equal(img, state["last"]):
                return  # a GIF stores a repeated picture once (Pillow merges it): count what the file holds
            writer.append_data(img)
            state["frames"] += 1
            state["last"] = img

        w = RecordingHouseWorld(house, every, on_frame)
        w.model.vis.global_.offwidth = max(w.model.vis.global_.offwidth, width)
        w.model.vis.global_.offheight = max(w.model.vis.global_.offheight, height)
        renderer, camera = mujoco.Renderer(w.model, height=height, width=width), _Camera(w)
        walls = {g for g in range(w.model.ngeom) if w.model.geom(g).name.startswith("wall_")}
        try:
            sk = HouseSkills(w, seed=index)
            on_frame(w)
            outcomes = []
            for step in plan:
                state["label"] = f"{step[0]}({', '.join(step[1:])})"
                o = getattr(sk, step[0])(*step[1:])
                outcomes.append({"skill": step[0], "args": list(step[1:]), "success": o.success, "reason": o.reason,
                                 "steps": o.steps})
                if not o.success:
                    break
            state["label"] += " - done" if outcomes[-1]["success"] else " - failed"
            for _ in range(max(1, fps // 2)):  # hold the last picture half a second
                on_frame(w)
        finally:
            renderer.close()
    return {"out": out, "frames": state["frames"], "fps": fps, "size": [width, height], "physics_steps": w.physics_steps,
            "steps_per_frame": every, "plan": [list(s) for s in plan], "outcomes": outcomes,
            "success": all(o["success"] for o in outcomes) and len(outcomes) == len(plan),
            "max_penetration_m": round(w.max_penetration, 4)}


__all__ = ["RecordingHouseWorld", "check_plan", "default_plan", "write_house_video"]
