"""Batched physics: many worlds stepped together, on CPU threads or on a GPU.

- `MujocoBatch`: `mujoco.batch.Batch`, one MjData per world, nthread threads,
  bit-identical to stepping the same worlds one by one.
- `WarpBatch`: MuJoCo Warp (`mujoco_warp`), nworld worlds on a CUDA GPU, or on the CPU
  through Warp (slow; for parity checks).

Both compile the scene with the same MjSpec compiler as the CPU backend, so the model is
the same. `BatchWorld` wraps a one-world batch as an ordinary `Backend` (physics stepped
by the batch, rays/contacts/rendering on a CPU mirror of the same state), which is how
the exploration env runs with backend=mujoco-batch or backend=mujoco-warp.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

from robots.headless_mujoco import mujoco
from scenes.spec import SceneSpec
from sim.backends.base import BackendError
from sim.backends.mujoco_cpu import DIVERGENCE_WARNINGS, MujocoBackend
from sim.compile_mujoco import CompiledScene, compile_scene

# isort: split
import mujoco.batch  # noqa: E402,F401  (a submodule `import mujoco` leaves out; after the headless import above)

# the CPU backend's divergence warnings as a slice (a live view of Batch.warning needs them adjacent)
assert DIVERGENCE_WARNINGS == tuple(range(DIVERGENCE_WARNINGS[0], DIVERGENCE_WARNINGS[0] + 3))
_BAD_WARNINGS = slice(DIVERGENCE_WARNINGS[0], DIVERGENCE_WARNINGS[-1] + 1)
_STAGE_NONE = int(mujoco.mjtStage.mjSTAGE_NONE)  # Batch.step's default: no stages computed after the steps


class BatchBackend(ABC):
    name = "batch"
    device = "cpu"

    def __init__(self, nworld: int) -> None:
        if nworld < 1:
            raise BackendError(f"nworld must be >= 1, got {nworld}")
        self.nworld = nworld

    def load(self, spec: SceneSpec) -> None:
        """An exploration scene, compiled as for the CPU backend."""
        self.scene: CompiledScene = compile_scene(spec)
        self.load_model(self.scene.model, self.scene.initial_qpos)

    def load_model(self, model: mujoco.MjModel, initial_qpos: np.ndarray | None = None) -> None:
        """Any compiled model (a tabletop scene, for instance); worlds start at `initial_qpos`
        (default: the model's qpos0)."""
        self.model = model
        self.initial_qpos = np.array(model.qpos0 if initial_qpos is None else initial_qpos, dtype=np.float64)
        self._load()
        self.reset()

    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def reset(self) -> None:
        """Every world back to the scene's initial state."""

    @abstractmethod
    def step(self, ctrl: np.ndarray, nsteps: int = 1) -> None:
        """ctrl: (nworld, nu)."""

    @abstractmethod
    def qpos(self) -> np.ndarray: ...

    @abstractmethod
    def qvel(self) -> np.ndarray: ...

    @abstractmethod
    def set_state(self, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Overwrite every world's (nworld, nq) positions and (nworld, nv) velocities."""

    @abstractmethod
    def sync_body_poses(self) -> None:
        """Take edits of `self.model.body_pos`/`body_quat` (objects moved in the model) into every world."""

    @abstractmethod
    def set_mocap(self, pos: np.ndarray, quat: np.ndarray) -> None:
        """Every world's (nworld, nmocap, 3) mocap positions and (nworld, nmocap, 4) quaternions."""

    @property
    def timestep(self) -> float:
        return float(self.model.opt.timestep)

    def robot_poses(self) -> np.ndarray:
        """(nworld, 3): x, y, compass heading."""
        q = self.qpos()[:, self.scene.robot_qpos]
        return np.column_stack([q[:, 0], q[:, 1], (90.0 - np.degrees(q[:, 2])) % 360.0])


class MujocoBatch(BatchBackend):
    name = "mujoco-batch"

    def __init__(self, nworld: int = 1, nthread: int = 1) -> None:
        super().__init__(nworld)
        self.nthread = nthread

    def _load(self) -> None:
        self.batch = mujoco.batch.Batch(self.model, self.nworld, nthread=self.nthread, persistent=True)
        self._qpos = self.batch.bind("qpos")
        self._qvel = self.batch.bind("qvel")
        self._ctrl = self.batch.bind("ctrl")
        self._sensordata = self.batch.bind("sensordata") if self.model.nsensordata else None
        # mujoco.batch's C++ step without the Python wrapper around it (ids checked for all worlds, then a failure
        # report): that wrapper is ~1 µs a call, ~2 % of a one-world env's control ticks. The public call where
        # the inner object is not there.
        self._step_all = getattr(getattr(self.batch, "_b", None), "step", None)
        # each world's counts of the warnings that mean divergence (a live view; mj_resetData clears them)
        self._diverged = self.batch.warning[:, _BAD_WARNINGS, 1]  # mjWarningStat is (lastinfo, number); slices: a view

    def reset(self) -> None:
        self.batch.reset(stage=0)
        self._qpos[:] = self.initial_qpos[None, :]
        self.batch.forward()

    def step(self, ctrl, nsteps: int = 1) -> None:
        ctrl = np.asarray(ctrl, dtype=np.float64).reshape(self.nworld, -1)
        if not np.isfinite(ctrl).all():
            raise BackendError("control contains NaN or inf")
        self._ctrl[:] = ctrl
        self.advance(nsteps)
        bad = np.flatnonzero(self._diverged.any(axis=1))
        if len(bad):
            raise BackendError(f"simulation diverged in world(s) {bad[:5].tolist()} (MuJoCo reported bad qpos/qvel/qacc)")

    def advance(self, nsteps: int) -> None:
        """`nsteps` steps of every world with the controls already written; a MuJoCo error in a world is a
        BackendError. Divergence is not checked here: MuJoCo resets a world whose qpos, qvel or qacc went
        bad and counts a warning (`_diverged`), as for the CPU backend's MjData."""
        step = self._step_all
        if step is None:
            try:
                self.batch.step(nstep=nsteps)
            except mujoco.batch.SimulationError as e:
                raise BackendError(f"simulation failed: {e}") from None
        elif step(None, nsteps, _STAGE_NONE):  # returns how many worlds failed, as in Batch.step
            bad = np.flatnonzero(self.batch.status)
            raise BackendError(f"simulation failed in world(s) {bad[:5].tolist()}: {self.batch.error(int(bad[0]))}")

    def qpos(self) -> np.ndarray:
        return np.array(self._qpos)

    def qvel(self) -> np.ndarray:
        return np.array(self._qvel)

    def set_state(self, qpos, qvel) -> None:
        self._qpos[:] = qpos
        self._qvel[:] = qvel
        self.batch.forward()

    def sync_body_poses(self) -> None:
        self.batch.set_models(self.model)  # the batch reads caller models, re-set after an edit
        self.batch.forward()

    def set_mocap(self, pos, quat) -> None:
        if self.model.nmocap:
            self.batch.bind("mocap_pos")[:] = pos
            self.batch.bind("mocap_quat")[:] = quat


class WarpBatch(BatchBackend):
    name = "mujoco-warp"

    def __init__(self, nworld: int = 1, device: str | None = None, nconmax: int | None = None,
                 njmax: int | None = None) -> None:
        super().__init__(nworld)
        self.nconmax, self.njmax = nconmax, njmax  # per world; None = MuJoCo Warp's defaults
        try:
            import warp as wp

            wp.config.log_level = 30  # warnings only: no banner, no per-kernel load lines
            import mujoco_warp as mjw
        except ImportError:
            raise BackendError("backend 'mujoco-warp' needs MuJoCo Warp: pip install mujoco-warp (or use backend=mujoco)") from None
        self.wp, self.mjw = wp, mjw
        wp.init()
        if device is None:
            if not wp.is_cuda_available():
                raise BackendError("no CUDA GPU for backend 'mujoco-warp': use backend=mujoco-warp-cpu (slow) or backend=mujoco")
            device = "cuda:0"
        self.device = device

    def _load(self) -> None:
        wp, mjw = self.wp, self.mjw
        d = mujoco.MjData(self.model)
        d.qpos[:] = self.initial_qpos
        mujoco.mj_forward(self.model, d)
        self._d0 = d
        self._render_key = None  # a render context belongs to one model: make a new one on the next render
        with wp.ScopedDevice(self.device):
            self.m_w = mjw.put_model(self.model)
            self.d_w = mjw.put_data(self.model, d, nworld=self.nworld, nconmax=self.nconmax, njmax=self.njmax)

    def reset(self) -> None:
        q = np.repeat(self.initial_qpos[None, :], self.nworld, axis=0)
        self.set_state(q, np.zeros((self.nworld, self.model.nv)))
        self.d_w.ctrl.assign(np.zeros((self.nworld, self.model.nu), dtype=np.float32))
        with self.wp.ScopedDevice(self.device):
            self.mjw.forward(self.m_w, self.d_w)

    def step(self, ctrl, nsteps: int = 1) -> None:
        ctrl = np.asarray(ctrl, dtype=np.float32).reshape(self.nworld, -1)
        if not np.isfinite(ctrl).all():
            raise BackendError("control contains NaN or inf")
        self.d_w.ctrl.assign(ctrl)
        with self.wp.ScopedDevice(self.device):
            for _ in range(nsteps):
                self.mjw.step(self.m_w, self.d_w)
        self.wp.synchronize()

    def qpos(self) -> np.ndarray:
        return self.d_w.qpos.numpy().astype(np.float64)

    def qvel(self) -> np.ndarray:
        return self.d_w.qvel.numpy().astype(np.float64)

    def set_state(self, qpos, qvel) -> None:
        self.d_w.qpos.assign(np.asarray(qpos, dtype=np.float32))
        self.d_w.qvel.assign(np.asarray(qvel, dtype=np.float32))

    def sync_body_poses(self) -> None:
        shape = self.m_w.body_pos.shape
        self.m_w.body_pos.assign(np.broadcast_to(self.model.body_pos, (*shape, 3)).astype(np.float32))
        self.m_w.body_quat.assign(np.broadcast_to(self.model.body_quat, (*shape, 4)).astype(np.float32))
        with self.wp.ScopedDevice(self.device):
            self.mjw.forward(self.m_w, self.d_w)

    def set_mocap(self, pos, quat) -> None:
        if self.model.nmocap:
            self.d_w.mocap_pos.assign(np.asarray(pos, dtype=np.float32))
            self.d_w.mocap_quat.assign(np.asarray(quat, dtype=np.float32))

    def cast_rays(self, origins: np.ndarray, dirs: np.ndarray, bodyexclude: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Rays in every world at once (`mujoco_warp.rays`): origins and unit dirs of shape
        (nworld, nray, 3), or (nray, 3) for the same rays in every world. Returns distances
        and geom ids, (nworld, nray) each, -1 where nothing is hit (as mj_multiRay)."""
        wp, mjw = self.wp, self.mjw
        origins, dirs = np.asarray(origins, np.float32), np.asarray(dirs, np.float32)
        if origins.shape != dirs.shape or origins.shape[-1] != 3 or origins.ndim not in (2, 3):
            raise BackendError(f"cast_rays wants origins and dirs of one shape (nray, 3) or (nworld, nray, 3), "
                               f"got {origins.shape} and {dirs.shape}")
        if origins.ndim == 2:
            origins, dirs = origins[None], dirs[None]
        nw, nray = self.nworld, origins.shape[1]
        with wp.ScopedDevice(self.device):
            dist = wp.zeros((nw, nray), dtype=wp.float32)
            geom = wp.zeros((nw, nray), dtype=wp.int32)
            normal = wp.zeros((nw, nray), dtype=wp.vec3f)
            every_group = wp.types.vector(length=6, dtype=wp.float32)(*[-1.0] * 6)
            mjw.kinematics(self.m_w, self.d_w)
            mjw.rays(self.m_w, self.d_w, wp.array(origins, dtype=wp.vec3f), wp.array(dirs, dtype=wp.vec3f), every_group,
                     True, wp.full(nray, bodyexclude, dtype=wp.int32), dist, geom, normal)
        return dist.numpy().astype(np.float64), geom.numpy()

    def render(self, size: int = 128, camera: int | None = None) -> dict[str, np.ndarray]:
        """One camera (default: the robot's) in every world, with MuJoCo Warp's BVH ray tracer.

        Returns rgb (nworld, size, size, 3) uint8, depth (nworld, size, size) in metres
        along the optical axis (inf where nothing is hit) and geom (nworld, size, size),
        the geom id per pixel (-1 = nothing), the same conventions as the CPU cameras.
        """
        wp, mjw = self.wp, self.mjw
        cam = self.scene.camera if camera is None else camera
        key = (size, cam)
        with wp.ScopedDevice(self.device):
            if self._render_key != key:
                self._rc = mjw.create_render_context(self.model, nworld=self.nworld, cam_res=(size, size), render_rgb=True,
                                                     render_depth=True, render_seg=True, cam_active=[cam],
                                                     use_textures=False, use_shadows=False)
                self._out = (wp.zeros((self.nworld, size, size), dtype=wp.vec3),
                             wp.zeros((self.nworld, size, size), dtype=wp.vec2i))
                self._render_key = key
            mjw.kinematics(self.m_w, self.d_w)  # poses of the current state (a step leaves the previous substep's)
            mjw.camlight(self.m_w, self.d_w)
            mjw.refit_bvh(self.m_w, self.d_w, self._rc)
            mjw.render(self.m_w, self.d_w, self._rc)
            rgb, seg = self._out
            mjw.get_rgb(self._rc, 0, rgb)
            mjw.get_segmentation(self._rc, 0, seg)
        depth = self._rc.depth_data.numpy()[:, : size * size].reshape(self.nworld, size, size).astype(np.float64)
        depth[depth <= 0] = np.inf
        return {"rgb": (np.clip(rgb.numpy(), 0.0, 1.0) * 255 + 0.5).astype(np.uint8), "depth": depth,
                "geom": seg.numpy()[..., 0].astype(np.int32)}


class BatchWorld(MujocoBackend):
    """World 0 of a batch backend as a single-world Backend (for the env).

    The batch steps the physics; a CPU MjData mirrors its state for rays, contacts and
    rendering, so sensing is identical across MuJoCo backends. The mirror is brought up to
    date when something first reads `data` after a step (positions and velocities copied,
    then `mj_forward`: geom and camera poses, contacts), so a control loop that only reads
    the robot's pose and velocity never pays for it: on `mujoco.batch` those come straight
    from the batch's own arrays (world 0), the values the mirror would copy, and so do the
    robot's contacts (its contact sensor, computed in the step from the step's own contacts:
    the count the CPU backend reads from mjData.contact after mj_step). On MuJoCo Warp the
    mirror's mj_forward of the new state gives the contacts."""

    def __init__(self, batch: BatchBackend) -> None:
        super().__init__()
        self.batch = batch
        self.name = batch.name
        self._mirror = None
        self._stale = False  # the mirror's mj_forward is behind its state
        self._behind = False  # the mirror's qpos/qvel are behind the batch's (mujoco.batch only)

    @property
    def data(self) -> mujoco.MjData:
        if self._behind:
            self._copy_state()
        if self._stale:
            self._stale = False
            mujoco.mj_forward(self.model, self._mirror)
        return self._mirror

    @data.setter
    def data(self, d: mujoco.MjData) -> None:
        self._mirror, self._stale, self._behind = d, False, False

    def load(self, spec: SceneSpec) -> None:
        self.close()
        self.batch.load(spec)  # compiles the scene once; the mirror shares the model
        self.scene = self.batch.scene
        self.model = self.batch.model
        self.data = mujoco.MjData(self.model)
        self._bind()
        self._steps = 0
        self.reset()

    def _bind(self) -> None:
        super()._bind()
        b = self.batch
        # mujoco.batch exposes its worlds' arrays: read world 0 there (live views, valid while the batch is)
        self._live = isinstance(b, MujocoBatch) and b.nworld == 1
        if self._live:
            q, v = self.scene.robot_qpos, self.scene.robot_qvel
            self._bq, self._bv = b._qpos[0], b._qvel[0]
            self._bq_mv = memoryview(self._bq)
            if self._pose is not None:
                self._pose = self._bq[q[0]:q[0] + 3]
                self._pose_mv = memoryview(self._pose)
            if self._vel is not None:
                self._vel = self._bv[v[0]:v[0] + 3]
            self._bctrl = memoryview(b._ctrl.reshape(-1)) if b._ctrl.shape == (1, 3) and b._ctrl.flags.c_contiguous else None
            self._bwarn = memoryview(b._diverged[0])  # world 0's bad qpos, qvel, qacc counts (live)
        # the robot's contact sensor in world 0 (MuJoCo computes it in mj_step from the step's own contacts, so
        # the count is the CPU backend's: mjData.contact after mj_step), read without touching the mirror
        adr = self.scene.contact_adr
        self._bcontacts = b._sensordata[0, adr:adr + 1] if self._live and adr >= 0 and b._sensordata is not None else None

    def step_handle(self):
        return None  # the batch steps this world, not the mirror's MjData

    def reset(self, state=None) -> None:
        if state is not None:
            raise BackendError(f"backend {self.name!r} resets to the initial state only")
        self.batch.reset()
        self._sync()
        self.data  # noqa: B018  (the initial state's mj_forward, now)

    def _copy_state(self) -> None:
        m = self._mirror
        m.qpos[:] = self.batch.qpos()[0]
        m.qvel[:] = self.batch.qvel()[0]
        self._behind = False

    def _sync(self) -> None:
        self._copy_state()
        self._stale = True

    def step(self, ctrl, nsteps: int = 1) -> None:
        c = self._bctrl if self._live else None
        if c is not None and type(ctrl) is tuple and len(ctrl) == 3:
            self._step_live(c, ctrl, nsteps)
            return
        self.batch.step(np.asarray(ctrl, dtype=np.float64)[None, :], nsteps)
        self._steps += nsteps
        self._sync()
        if not np.isfinite(self._mirror.qpos).all():
            raise BackendError("simulation diverged (non-finite state)")

    def _step_live(self, c, ctrl: tuple, nsteps: int) -> None:
        """MujocoBatch.step for one world and a control tuple, then the checks of `step`, without numpy
        calls: the same values reach the batch's ctrl, the same errors are raised (divergence as MujocoBackend
        reports it: MuJoCo's bad qpos/qvel/qacc warnings)."""
        c0, c1, c2 = ctrl
        if not (math.isfinite(c0) and math.isfinite(c1) and math.isfinite(c2)):
            raise BackendError("control contains NaN or inf")
        c[0], c[1], c[2] = c0, c1, c2
        self.batch.advance(nsteps)
        self._steps += nsteps
        self._behind = self._stale = True
        w = self._bwarn
        if w[0] or w[1] or w[2]:  # MuJoCo reset the world after bad qpos/qvel/qacc, as MujocoBackend.step reports
            raise BackendError("simulation diverged (MuJoCo reported bad qpos/qvel/qacc)")
        # a finite sum means every entry is finite (a NaN or inf entry makes the sum non-finite); only a
        # non-finite sum needs the entry-by-entry check
        if not math.isfinite(sum(self._bq_mv)) and not np.isfinite(self._bq).all():
            raise BackendError("simulation diverged (non-finite state)")

    def robot_contacts(self) -> int:
        if self._bcontacts is not None:
            return int(self._bcontacts[0])
        if self._behind:
            self._copy_state()
        d = self._mirror
        if self._stale:  # contacts need positions and collision only; the rest of mj_forward waits for a reader
            mujoco.mj_kinematics(self.model, d)
            mujoco.mj_collision(self.model, d)
        if not d.ncon:
            return 0
        body, c, rb = self.model.geom_bodyid, d.contact[: d.ncon], self.scene.robot_body
        return int(np.sum((body[c.geom1] == rb) | (body[c.geom2] == rb)))

    def set_object_pose(self, name: str, x: float, y: float, heading: float) -> None:
        super().set_object_pose(name, x, y, heading)  # edits the shared model and refreshes the mirror
        self.batch.sync_body_poses()


def mujoco_batch_world(nthread: int = 1) -> BatchWorld:
    """One world stepped by `mujoco.batch` (registered as backend "mujoco-batch")."""
    return BatchWorld(MujocoBatch(nworld=1, nthread=nthread))


def warp_world(device: str | None = None) -> BatchWorld:
    """One world stepped by MuJoCo Warp ("mujoco-warp" on the GPU, "mujoco-warp-cpu" with device="cpu")."""
    return BatchWorld(WarpBatch(nworld=1, device=device))
