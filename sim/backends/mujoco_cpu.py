"""MuJoCo on the CPU: one MjModel/MjData pair, rays through mj_multiRay."""

from __future__ import annotations

import math

import numpy as np

from robots.headless_mujoco import mujoco
from scenes.frames import heading_to_mujoco_yaw, mujoco_yaw_to_heading
from scenes.spec import SceneSpec
from sim import native_mujoco as nm
from sim.backends.base import Backend, BackendError
from sim.compile_mujoco import PART_GROUP, ROBOT_ENTITY, CompiledScene, compile_scene


class MujocoBackend(Backend):
    name = "mujoco"

    def __init__(self) -> None:
        self.scene: CompiledScene | None = None
        self._steps = 0
        self._renderer = None

    # -- lifecycle -----------------------------------------------------------------
    def load(self, spec: SceneSpec) -> None:
        self.close()
        self.scene = compile_scene(spec)
        self.model = self.scene.model
        self.data = mujoco.MjData(self.model)
        self._bind()
        self._steps = 0
        self.reset()

    def _bind(self) -> None:
        """Views into the MjData that the control loop reads every tick (valid as long as `self.data`)."""
        d, q, v = self.data, self.scene.robot_qpos, self.scene.robot_qvel
        self._opt = self.model.opt  # a live view of the model's options (each `model.opt` builds a new wrapper)
        self._pose = d.qpos[q[0]:q[0] + 3] if list(q) == list(range(q[0], q[0] + 3)) else None
        self._vel = d.qvel[v[0]:v[0] + 3] if list(v) == list(range(v[0], v[0] + 3)) else None
        self._ctrl = d.ctrl
        self._warn = d.warning.number
        # the control loop's per-tick reads and writes through memoryviews: item access gives and takes
        # plain Python floats/ints (no numpy scalars), the same float64 values as the arrays' own indexing
        self._ctrl3 = memoryview(d.ctrl) if d.ctrl.shape == (3,) else None
        self._warn_mv = memoryview(d.warning.number)
        self._pose_mv = memoryview(self._pose) if self._pose is not None else None
        self._cam = d.cam_xpos[self.scene.camera]  # a view: the camera's world position as mj_forward/mj_step leave it
        ent = np.append(-1, self.scene.geom_entity).astype(np.int32)
        self._ray_entity = np.where(ent == ROBOT_ENTITY, -1, ent)
        self._handle = None
        self._native = None

    def step_handle(self):
        """A `sim.native_mujoco.StepHandle` on this MjData, for the compiled base controller; None where it
        cannot stand in for `step` (kernels unavailable, pose/velocity/control not the robot's three
        contiguous entries, no contact sensor, or `step` is not this class's own: a subclass or a
        test that replaces it must see every tick)."""
        if type(self).step is not _OWN_STEP:
            return None
        if self._handle is None:
            adr = self.scene.contact_adr
            if not (nm.available() and self._pose is not None and self._vel is not None and self._ctrl3 is not None
                    and adr >= 0):
                self._handle = False
                return None
            self._handle = nm.StepHandle(
                mj_step=nm.address(nm.step_function()), model=self.model._address, data=self.data._address, pose=self._pose,
                vel=self._vel, ctrl=self.data.ctrl, warnings=self.data.warning.number,
                contacts=self.data.sensordata[adr:adr + 1], bad=np.array([_BADQPOS, _BADQVEL, _BADQACC]),
                refused=np.zeros(3), advance=self._advance)
        return self._handle or None

    def _advance(self, nsteps: int) -> None:
        self._steps += nsteps

    def reset(self, state: np.ndarray | None = None) -> None:
        mujoco.mj_resetData(self.model, self.data)
        if state is None:
            self.data.qpos[:] = self.scene.initial_qpos
        else:
            mujoco.mj_setState(self.model, self.data, np.asarray(state, dtype=np.float64), _STATE)
        mujoco.mj_forward(self.model, self.data)

    def get_state(self) -> np.ndarray:
        out = np.empty(mujoco.mj_stateSize(self.model, _STATE))
        mujoco.mj_getState(self.model, self.data, out, _STATE)
        return out

    def step(self, ctrl, nsteps: int = 1) -> None:
        if not math.isfinite(sum(ctrl)):  # NaN or inf anywhere makes the sum non-finite
            raise BackendError(f"control contains NaN or inf: {list(ctrl)}")
        c = self._ctrl3
        if c is not None and type(ctrl) is tuple and len(ctrl) == 3:  # the control loop's commands
            c[0], c[1], c[2] = ctrl
        else:
            self._ctrl[:] = ctrl
        mujoco.mj_step(self.model, self.data, nsteps)
        self._steps += nsteps
        # MuJoCo detects bad qpos/qvel/qacc itself, resets the data and counts a warning.
        w = self._warn_mv
        if w[_BADQPOS] or w[_BADQVEL] or w[_BADQACC]:
            raise BackendError("simulation diverged (MuJoCo reported bad qpos/qvel/qacc)")

    # -- queries ---------------------------------------------------------------------
    @property
    def timestep(self) -> float:
        return float(self._opt.timestep)

    @property
    def physics_steps(self) -> int:
        return self._steps

    @property
    def entity_names(self) -> list[str]:
        return self.scene.entity_names

    def robot_pose(self) -> tuple[float, float, float]:
        x, y, yaw = (self._pose_mv if self._pose_mv is not None else self.data.qpos[self.scene.robot_qpos]).tolist()
        return x, y, (90.0 - math.degrees(yaw)) % 360.0  # scenes.frames.mujoco_yaw_to_heading, inlined (every tick)

    def object_poses(self) -> dict[str, tuple[float, float, float]]:
        out = {}
        for o in self.scene.spec.objects:
            b = self.data.body(f"obj:{o.name}")
            w, _, _, z = b.xquat.tolist()
            heading = mujoco_yaw_to_heading(2 * math.atan2(z, w))
            out[o.name] = (float(b.xpos[0]), float(b.xpos[1]), round(heading, 6) % 360.0)
        return out

    def set_object_pose(self, name: str, x: float, y: float, heading: float) -> None:
        bid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, f"obj:{name}")
        if bid < 0:
            raise BackendError(f"no object named {name!r} in this scene")
        yaw = heading_to_mujoco_yaw(heading)
        self.model.body_pos[bid] = (x, y, 0.0)
        self.model.body_quat[bid] = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
        mujoco.mj_forward(self.model, self.data)

    def robot_velocity(self) -> np.ndarray:
        return self._vel.copy() if self._vel is not None else self.data.qvel[self.scene.robot_qvel]

    def camera_position(self) -> np.ndarray:
        self.data  # noqa: B018  (a batch world's mirror is brought up to date here; `_cam` is a view into it)
        return self._cam.copy()

    def robot_contacts(self) -> int:
        if not self.data.ncon:
            return 0
        body = self.model.geom_bodyid
        c = self.data.contact[: self.data.ncon]
        rb = self.scene.robot_body
        return int(np.sum((body[c.geom1] == rb) | (body[c.geom2] == rb))) if self.data.ncon else 0

    def cast_rays(self, origin, dirs, cutoff):
        dirs = np.ascontiguousarray(dirs, dtype=np.float64).reshape(-1, 3)
        origin = np.ascontiguousarray(origin, dtype=np.float64).reshape(3)
        if self._native_rays():  # mj_multiRay from numba: the same call, without the numpy around it
            return nm.cast_rays(_MULTIRAY, self.model._address, self.data._address, origin, dirs, _HULLS_AND_WALLS,
                                int(self.scene.robot_body), float(cutoff), self._ray_entity)
        n = len(dirs)
        geomid, dist = np.empty(n, np.int32), np.empty(n)  # filled by hand: np.full is a Python function, slower
        geomid.fill(-1)
        dist.fill(-1.0)
        if n:
            mujoco.mj_multiRay(
                self.model, self.data, origin, dirs.reshape(-1), _HULLS_AND_WALLS, True,
                self.scene.robot_body, geomid, dist, None, n, float(cutoff),
            )
        # geom -> entity, with "nothing hit" (-1) and the robot's own geoms mapped to -1, in one lookup
        return dist, self._ray_entity[geomid + 1]

    def view_rays(self, tables: tuple, heading: float, half: float, with_cells: bool, n_cells: int, points: np.ndarray,
                  tolerance: float, cutoff: float):
        """A view's rays picked, cast and judged in one compiled call (`perception.visibility.ViewGeometry.observe`
        uses it where a backend has it); None where the compiled rays are not available here, or where
        `cast_rays` or `camera_position` is not this class's own (a subclass or a test that replaces one
        must see every view's rays)."""
        cls = type(self)
        if not (cls.cast_rays is _OWN_CAST and cls.camera_position is _OWN_CAMERA and self._native_rays()):
            return None
        ent, bearing, ptr, rows, near_i, near_row, near_b = tables
        d = self.data  # first: a batch world's mirror is brought up to date here, and `_cam` is a view into it
        return nm.view_rays(_MULTIRAY, self.model._address, d._address, _HULLS_AND_WALLS, int(self.scene.robot_body),
                            cutoff, self._ray_entity, self._cam, ent, bearing, ptr, rows, near_i, near_row, near_b,
                            heading, half, with_cells, n_cells, points, tolerance)

    def _native_rays(self) -> bool:
        if self._native is None:
            self._native = nm.MJ_MULTIRAY is not None and nm.available()
        return self._native

    def render(self, width: int = 128, height: int = 128) -> np.ndarray:
        if self._renderer is None or (self._renderer.width, self._renderer.height) != (width, height):
            self._renderer = _make_renderer(self.model, width, height)
        self._renderer.update_scene(self.data, camera=self.scene.camera)
        return self._renderer.render().copy()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


_OWN_STEP = MujocoBackend.step
_OWN_CAST = MujocoBackend.cast_rays
_OWN_CAMERA = MujocoBackend.camera_position
_MULTIRAY = nm.address(nm.MJ_MULTIRAY) if nm.MJ_MULTIRAY is not None else 0  # what nm.cast_rays calls
_STATE = mujoco.mjtState.mjSTATE_INTEGRATION
# Visibility rays skip the objects' model parts: each object's hull encloses them, so the first hit is the same
_HULLS_AND_WALLS = np.array([int(g != PART_GROUP) for g in range(6)], np.uint8)
# the warnings after which MuJoCo has reset an MjData that diverged: bad qpos, qvel, qacc (every MuJoCo backend checks them)
DIVERGENCE_WARNINGS = tuple(int(w) for w in (mujoco.mjtWarning.mjWARN_BADQPOS, mujoco.mjtWarning.mjWARN_BADQVEL,
                                             mujoco.mjtWarning.mjWARN_BADQACC))
_BADQPOS, _BADQVEL, _BADQACC = DIVERGENCE_WARNINGS


def _make_renderer(model, width, height):
    try:
        return mujoco.Renderer(model, height=height, width=width)
    except Exception as e:  # GL libraries missing or no display: say which to install
        raise BackendError(
            f"MuJoCo rendering is unavailable ({e}); set MUJOCO_GL=egl or MUJOCO_GL=osmesa and install "
            "libegl1 or libosmesa6 (scripts/bootstrap.sh does this)"
        ) from None
