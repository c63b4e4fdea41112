"""The exploration environment: a gymnasium Env over a physics scene.

One `step` is one turn of the Theory-of-Space grammar (motions, then one final action).
MoveTo drives the physics robot along a collision-free A* path to the target (next to an
object, or into a door's opening), keeping its heading; Rotate turns it in place. The
observation is text; `info` carries the same content in structured form for programs.

Example:
    >>> from scenes import load_suite_scene
    >>> env = ExplorationEnv(load_suite_scene("tos-3room", 0))
    >>> obs, info = env.reset()
    >>> obs, reward, terminated, truncated, info = env.step("Actions: [Observe()]")
    >>> info["cost"]
    1
"""

from __future__ import annotations

import dataclasses
import math

import gymnasium as gym
import numpy as np

from perception import tos_text
from perception.cogmap import CognitiveMap, Entry
from perception.text_obs import Sighting, describe_view, make_sightings
from perception.visibility import ViewConfig, ViewGeometry, sample_points
from scenes.changes import apply_changes
from scenes.frames import facing_name, point_to_start_frame
from scenes.grid import neighbours_of_object, walkable_graph
from scenes.keep import Kept
from scenes.spec import SceneSpec
from sim.actions import (
    COSTS,
    DEFAULT_MAX_STEPS,
    ActionError,
    MoveTo,
    Observe,
    Query,
    Rotate,
    Term,
    format_turn,
    parse_turn,
)
from sim.backends import Backend, make_backend
from sim.navigation import DriveConfig, NodeIndex, drive_path, plan_path, rotate_to

POSE_TOLERANCE = 0.1  # m: how far the physics robot may end from its nominal grid pose

_CHARSET = "".join(chr(c) for c in range(32, 127)) + "\n\t"


IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg"}  # vision-mode encodings, the first is the default
OBS_MODES = ("text", "vision", "rgbd")  # text bullets; + the camera view as an image; + RGB-D-seg frames (first = default)
TEXT_PROFILES = ("spacelab", "tos")  # wording of observations and Query replies (first = default); tos: perception.tos_text
DEFAULT_BACKEND = "mujoco"


class ExplorationEnv(gym.Env):
    """Partially observable multi-room exploration with symbolic actions.

    Args:
        scene: the SceneSpec to explore.
        backend: a Backend or its name ("mujoco").
        max_steps: turn budget; the episode is truncated (forced Term) when it runs out.
        view: field of view and range.
        render_mode: None or "rgb_array" (the robot camera's view); render() returns that image either way.
        text_profile: "spacelab" (default) or "tos": the wording of the text (perception.tos_text writes
            observations, Query replies and motion messages as Theory of Space's code does).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}  # one frame per turn

    def __init__(
        self,
        scene: SceneSpec,
        backend: Backend | str = DEFAULT_BACKEND,
        max_steps: int = DEFAULT_MAX_STEPS,
        view: ViewConfig = ViewConfig(),
        drive: DriveConfig = DriveConfig(),
        obs_mode: str = OBS_MODES[0],
        image_size: int = 128,
        image_format: str = next(iter(IMAGE_MIME)),
        render_mode: str | None = None,
        text_profile: str = TEXT_PROFILES[0],
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {', '.join(OBS_MODES)}, got {obs_mode!r}")
        if text_profile not in TEXT_PROFILES:
            raise ValueError(f"text_profile must be one of {', '.join(TEXT_PROFILES)}, got {text_profile!r}")
        self.text_profile = text_profile
        if image_format not in IMAGE_MIME:
            raise ValueError(f"image_format must be one of {', '.join(IMAGE_MIME)}, got {image_format!r}")
        self.image_format = image_format
        self.camera = None
        if obs_mode == "rgbd":  # RGB, depth and segmentation frames for perception agents
            from sim.cameras import RayCastCamera

            self.camera = RayCastCamera(image_size)
        self.obs_mode = obs_mode
        self.image_size = image_size
        self.backend = make_backend(backend) if isinstance(backend, str) else backend
        self.backend.load(scene)
        self._physics_base = 0
        self.max_steps = max_steps
        self.view = view
        self.drive = drive
        self._names = self.backend.entity_names
        self._index = {n: i for i, n in enumerate(self._names)}
        self._set_scene(scene)
        self.action_space = gym.spaces.Text(max_length=4096, charset=_CHARSET)
        self.observation_space = gym.spaces.Text(max_length=65536, charset=_CHARSET)

    def _set_scene(self, scene: SceneSpec) -> None:
        """Everything derived from the scene layout (shared with other envs on the same scene: `SceneTables`)."""
        self.scene = scene
        t = scene_tables(scene, self.view)
        self.graph, self._nodes, self._targets, self.free_cells = t.graph, t.nodes, t.targets, t.free_cells
        self._geometry, self._paths = t.geometry, t.paths
        self._truth = scene.ground_truth()
        self._truth_parts: tuple | None = None  # truth_map's entries, rooms and doors, read from _truth on first use
        self._object_names = [o.name for o in scene.objects]
        self._view_cache: tuple | None = None  # (key, visible entities, visible free cells) of the last view
        self._pose_cache: dict = {}  # (pose_xy, heading) -> start-frame position, heading (pure functions of the scene)

    def apply_changes(self, changes) -> None:
        """Move or turn objects (false-belief protocol); takes effect in physics and truth.
        Call reset() afterwards to start the next phase at the start pose."""
        for c in changes:
            self.backend.set_object_pose(c.name, c.new_position[0], c.new_position[1], c.new_heading)
        self._set_scene(apply_changes(self.scene, changes))

    # -- gymnasium API -----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.backend.reset()
        self._view_cache = None
        self._physics_base = self.backend.physics_steps  # the backend counts since load; episodes count from here
        self.pose_xy = tuple(self.scene.start_position)
        self.heading = float(self.scene.start_heading)
        self.steps = 0
        self.cost = 0
        self.invalid = 0
        self.done = False
        self.observed: set[str] = set()  # every entity (object or door) seen so far
        self.contact_ticks = 0  # control ticks in which the robot touched a wall or object
        self.observation_log: list[dict] = []  # every Observe: start-frame pose and sightings
        self.seen_free = np.zeros(len(self.free_cells), bool)
        self.last_sightings: list[Sighting] = []
        self.trajectory = [self._world_pose()]
        obs = (
            "You are at your start position. Call your current facing 'north'. "
            f"You have {self.max_steps} turns. Send 'Actions: [<motions> <final>]'."
        ) if self.text_profile == "spacelab" else tos_text.room_description(self.scene)
        info = self._info(invalid=None, sightings=[], new=[], turn="", final=None)
        info["scene"] = f"{self.scene.suite}/{self.scene.seed}"
        # the segmentation sensor's legend: entity index -> name (objects first, then doors)
        info["entities"] = list(self._names)
        info["n_objects"] = len(self.scene.objects)
        info["n_rooms"] = len(self.scene.rooms)  # the room description says it too ("Imagine 3 rooms ...")
        info["text_profile"] = self.text_profile  # so that a language agent can prompt in the same wording
        return obs, info

    def step(self, action):
        if self.done:
            raise RuntimeError("episode is over: call reset() before step()")
        self.steps += 1
        messages: list[str] = []
        invalid = None
        sightings: list[Sighting] = []
        new: list[str] = []
        image = frame = None
        terminated = False
        final_kind = None
        queried = None
        turn = action if isinstance(action, str) else format_turn(action) if isinstance(action, list) else str(action)
        try:
            actions = _parse(action)
            if self.text_profile == "tos":  # agents prompted in ToS's words name doors by colour ("red door")
                actions = [dataclasses.replace(a, target=tos_text.resolve_name(a.target)) if hasattr(a, "target") else a
                           for a in actions]
            turn = format_turn(actions)
            for a in actions[:-1]:
                messages.append(self._motion(a))
            final = actions[-1]
            final_kind = type(final).__name__
            self.cost += COSTS[type(final).__name__]
            if isinstance(final, Observe):
                sightings, new = self._observe()
                if self.obs_mode == "vision":
                    image = self._camera_image()
                    messages.append("You observe the attached image.")
                elif self.obs_mode == "rgbd":
                    frame = self.camera.render(self.backend)
                    messages.append("You observe the attached RGB-D frame.")
                elif self.text_profile == "tos":
                    messages.append(tos_text.observation(self.scene, sightings, self.pose_xy, self.heading))
                else:
                    messages.append(describe_view(sightings))
            elif isinstance(final, Query):
                messages.append(self._query(final.target))
                queried = final.target
            elif isinstance(final, Term):
                terminated = True
                messages.append("Exploration terminated.")
        except ActionError as e:
            invalid = str(e)
            if len(turn) > 300:  # keep records small whatever a model sends
                turn = turn[:300] + f"... ({len(turn)} characters)"
            self.invalid += 1
            messages.append(f"Invalid action: {e}")
        truncated = not terminated and self.steps >= self.max_steps
        if truncated:
            messages.append("Step budget spent: exploration ended." if self.text_profile == "spacelab" else tos_text.BUDGET_SPENT)
        self.done = terminated or truncated
        reward = float(sum(1 for n in new if self._index[n] < len(self.scene.objects)))
        info = self._info(invalid=invalid, sightings=sightings, new=new, turn=turn, final=final_kind)
        if queried is not None and invalid is None:  # the reply's facts, for program agents (start frame)
            name = self._names[self._entity(queried)]
            gt = self._truth[name]
            info["query"] = {"name": name, "position": list(gt["position"]), "facing": gt["facing"]}
        if image is not None:
            info["image"], info["image_mime"] = image, IMAGE_MIME[self.image_format]
        if frame is not None:
            info["frame"] = frame  # perception.sensors.Frame (in memory only, never stored)
        text = "\n".join(messages) if self.text_profile == "spacelab" else tos_text.join(messages)
        return text, reward, terminated, truncated, info

    def render(self):
        return self.backend.render()

    def close(self):
        self.backend.close()

    # -- actions ---------------------------------------------------------------------
    def _motion(self, a) -> str:
        if isinstance(a, Rotate):
            target = (self.heading + a.degrees) % 360.0
            result = rotate_to(self.backend, target, self.drive)
            self.trajectory.append(self._world_pose())
            if not result.success:
                raise ActionError(f"{a} failed: {result.reason}")
            self.heading = target
            if self.text_profile == "tos":
                return tos_text.rotated(a.degrees)
            sense = "clockwise" if a.degrees > 0 else "counterclockwise"
            return f"You rotated {sense} {abs(a.degrees)} degrees."
        assert isinstance(a, MoveTo)
        idx = self._entity(a.target)
        if a.target not in self.observed:
            raise ActionError(f"cannot move to {a.target}: it has not been observed yet")
        if idx not in self._visible():
            raise ActionError(f"cannot move to {a.target}: it is not in your field of view now")
        start_xy = self.pose_xy
        path = self._path_to(self._nodes.nearest(self.pose_xy), idx)
        if path is None:
            raise ActionError(f"cannot move to {a.target}: no free place next to it can be reached")
        if len(path) > 1:
            result = drive_path(self.backend, path[1:], self.heading, self.drive)
            self.contact_ticks += result.contacts
            self.trajectory.extend(result.trace[1:])
            self.trajectory.append(self._world_pose())
            x, y, _ = self.backend.robot_pose()
            if not result.success or math.dist((x, y), path[-1]) > POSE_TOLERANCE:
                self.pose_xy = self._nodes.nearest((x, y))
                raise ActionError(f"{a} failed: {result.reason or 'ended away from its goal'}")
        self.pose_xy = tuple(path[-1])
        if self.text_profile == "tos":
            return tos_text.moved(self.scene, a.target, start_xy)
        return f"You moved to {a.target}."

    def _path_to(self, here, idx: int) -> list | None:
        """The shortest A* path from node `here` to entity `idx` (a door's opening, or the nearest free cell
        next to an object; ties by end cell), or None. A function of the scene only, so kept per scene."""
        key = (here, idx)
        if key in self._paths:
            return self._paths[key]
        n_obj = len(self.scene.objects)
        goals = [self.scene.doors[idx - n_obj].position] if idx >= n_obj else neighbours_of_object(
            self.graph, self.scene.objects[idx].position
        )
        paths = [p for p in (plan_path(self.graph, here, g) for g in goals) if p is not None]
        path = min(paths, key=lambda p: (_length(p), p[-1])) if paths else None
        if len(self._paths) >= _PATHS_MAX:
            self._paths.clear()
        self._paths[key] = path
        return path

    def _camera_image(self) -> str:
        """The robot camera's RGB view as base64 PNG or JPEG (quality 90) for vision mode."""
        import base64

        import cv2

        rgb = self.backend.render(self.image_size, self.image_size)
        params = [int(cv2.IMWRITE_JPEG_QUALITY), 90] if self.image_format == "jpeg" else []
        ok, buf = cv2.imencode("." + self.image_format, rgb[:, :, ::-1], params)
        return base64.b64encode(buf.tobytes()).decode("ascii") if ok else ""

    def _entity(self, name: str) -> int:
        if name not in self._index:
            raise ActionError(f"unknown object {name!r}: name an object or door you have observed")
        return self._index[name]

    def _view(self, cells: bool) -> tuple[list[int], np.ndarray | None]:
        """Visible entities (and free cells) now. The robot does not move between turns, so a MoveTo's
        check after an Observe reuses that Observe's view: same pose, same physics state, same answer."""
        key = (self.pose_xy, self.heading, self.backend.physics_steps)
        if self._view_cache is not None and self._view_cache[0] == key and (not cells or self._view_cache[2] is not None):
            return self._view_cache[1], self._view_cache[2]
        if self._geometry.cfg is not self.view and self._geometry.cfg != self.view:  # replaced after the scene was set
            self._geometry = scene_tables(self.scene, self.view).geometry
        seen, free = self._geometry.observe(self.backend, self.pose_xy, self.heading, with_cells=cells)
        self._view_cache = (key, seen, free)
        return seen, free

    def _visible(self) -> list[int]:
        return list(self._view(cells=False)[0])

    def _observe(self) -> tuple[list[Sighting], list[str]]:
        seen, free = self._view(cells=True)
        seen = list(seen)
        sightings = make_sightings(self.scene, seen, self.pose_xy, self.heading)
        new = sorted(s.name for s in sightings if s.name not in self.observed)
        self.observed.update(s.name for s in sightings)
        self.seen_free |= free
        pose = self.start_frame_pose()
        self.observation_log.append({"step": self.steps, "position": pose["position"], "heading": pose["heading"],
                                     "sightings": [x.to_dict() for x in sightings]})
        self.last_sightings = sightings
        return sightings, new

    def _query(self, name: str) -> str:
        idx = self._entity(name)
        if name not in self.observed:
            raise ActionError(f"cannot query {name}: it has not been observed yet")
        gt = self._truth[self._names[idx]]
        x, y = gt["position"]
        if self.text_profile == "tos":
            return tos_text.query_reply(self.scene, name, (x, y), gt["facing"])
        facing = f", facing {gt['facing']}" if gt["facing"] else ""
        return f"{name} is at ({_num(x)}, {_num(y)}){facing}."

    # -- state -----------------------------------------------------------------------
    def _world_pose(self) -> list[float]:
        x, y, h = self.backend.robot_pose()
        return [round(x, 4), round(y, 4), round(h, 3)]

    def start_frame_pose(self) -> dict:
        key = (self.pose_xy, self.heading)
        if key not in self._pose_cache:
            p = point_to_start_frame(*self.pose_xy, self.scene.start_position, self.scene.start_heading)
            rel = (self.heading - self.scene.start_heading) % 360.0
            self._pose_cache[key] = (tuple(round(float(v), 6) + 0.0 for v in p), rel, facing_name(rel))
        position, rel, facing = self._pose_cache[key]
        return {"position": list(position), "heading": rel, "facing": facing}

    def truth_map(self) -> CognitiveMap:
        """Ground truth in the start frame, with the agent where it is now. A new map each call; its
        entries (read-only) are the scene's, read once per scene (probes ask every turn)."""
        if self._truth_parts is None:
            self._truth_parts = (CognitiveMap.from_dict(self._truth).entries,
                                 [(r.id, sorted(o.name for o in self.scene.objects if o.room == r.id)) for r in self.scene.rooms],
                                 [(d.name, list(d.rooms)) for d in self.scene.doors])
        entries, rooms, doors = self._truth_parts
        truth = CognitiveMap(dict(entries), [{"id": i, "objects": list(objs)} for i, objs in rooms],
                             [{"name": n, "rooms": list(rs)} for n, rs in doors])
        pose = self.start_frame_pose()
        truth.entries["agent"] = Entry(tuple(pose["position"]), pose["facing"])
        return truth

    def local_truth(self) -> CognitiveMap:
        """What the last Observe showed, in the agent's frame (+x right, +y ahead, "north" = ahead)."""
        rel = {"forward": "north", "right": "east", "backward": "south", "left": "west"}
        return CognitiveMap({s.name: Entry(tuple(s.offset), rel.get(s.facing)) for s in self.last_sightings})

    @property
    def physics_steps(self) -> int:
        """Physics steps taken in this episode (since the last reset)."""
        return self.backend.physics_steps - self._physics_base

    @property
    def free_space_coverage(self) -> float:
        n = len(self.seen_free)  # seen_free.mean(), without its Python wrapper: count / n is the same float64 quotient
        return int(np.count_nonzero(self.seen_free)) / n if n else 1.0

    @property
    def object_coverage(self) -> float:
        objs = self._object_names
        return sum(n in self.observed for n in objs) / len(objs) if objs else 1.0

    def _info(self, invalid, sightings, new, turn, final) -> dict:
        return {
            "step": self.steps,
            "steps_left": self.max_steps - self.steps,
            "turn": turn,
            "final": final if invalid is None else None,  # "Observe" | "Query" | "Term" when it ran
            "invalid": invalid,
            "sightings": [s.to_dict() for s in sightings],
            "new": new,
            "observed": sorted(self.observed),
            "coverage": self.object_coverage,
            "pose": self.start_frame_pose(),
            "cost": self.cost,
            "physics_steps": self.physics_steps,
            "contact_ticks": self.contact_ticks,
        }


@dataclasses.dataclass
class SceneTables:
    """What an env derives from a scene layout and its view config, built once per process and shared
    by every env on that scene (the benchmarks build fresh envs on the same scenes over and over):
    the walkable graph and its node table, the Observe's sample points, free cells and per-position
    tables, and the MoveTo paths found so far. Shared, so read-only to everything but their caches."""

    graph: object  # networkx.Graph of walkable cells and door openings (scenes.grid.walkable_graph)
    nodes: NodeIndex
    targets: tuple  # perception.visibility.sample_points
    free_cells: np.ndarray  # (n, 2) free floor cells, world frame, for free-space coverage
    geometry: ViewGeometry
    paths: dict  # (start node, entity index) -> path or None


_TABLES = Kept(16)  # (scene, view config) -> SceneTables
_PATHS_MAX = 4096  # per scene: (node, entity) pairs; a scene has a few hundred nodes and tens of entities


def scene_tables(scene: SceneSpec, view: ViewConfig) -> SceneTables:
    """The SceneTables of `scene` seen through `view` (scenes and view configs are frozen, so they key it).

    Example:
        >>> from scenes import load_suite_scene
        >>> scene_tables(load_suite_scene("tos-3room", 0), ViewConfig()) is scene_tables(load_suite_scene("tos-3room", 0), ViewConfig())
        True
    """
    return _TABLES.get((scene, view), lambda: _build_tables(scene, view))


def _build_tables(scene: SceneSpec, view: ViewConfig) -> SceneTables:
    graph = walkable_graph(scene)
    targets = sample_points(scene)
    free_cells = np.array([n for n, k in graph.nodes(data="kind") if k == "cell"], float)
    return SceneTables(graph, NodeIndex(graph), targets, free_cells, ViewGeometry(scene, view, targets, free_cells), {})


_PARSED: dict[str, list] = {}  # turn text -> its actions: agents send the same few turns over and over
_PARSED_MAX = 1024


def _parse(action) -> list:
    """parse_turn, remembered for text turns (the actions are frozen dataclasses, the list a fresh copy;
    only turns that parse are kept, so errors are raised as before)."""
    if type(action) is not str:
        return parse_turn(action)
    got = _PARSED.get(action)
    if got is None:
        got = parse_turn(action)
        if len(action) > 200:  # long texts (model replies) are not worth keeping
            return got
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[action] = got
    return list(got)


def _length(path) -> float:
    return float(sum(math.dist(a, b) for a, b in zip(path[:-1], path[1:])))


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.2f}"


__all__ = ["ExplorationEnv", "SceneTables", "scene_tables"]
