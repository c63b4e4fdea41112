"""Physics backends behind one interface (see base.Backend)."""

from __future__ import annotations

from sim.backends.base import Backend, BackendError

BACKENDS = ("mujoco", "pybullet", "mujoco-batch", "mujoco-warp", "mujoco-warp-cpu")


def make_backend(name: str) -> Backend:
    """Create a backend by name. Example: ``make_backend("mujoco")``."""
    if name == "mujoco":
        from sim.backends.mujoco_cpu import MujocoBackend

        return MujocoBackend()
    if name == "pybullet":
        from sim.backends.pybullet_backend import PyBulletBackend

        return PyBulletBackend()
    if name in ("mujoco-batch", "mujoco-warp", "mujoco-warp-cpu"):
        from sim.backends.batch import BatchWorld, MujocoBatch, WarpBatch

        if name == "mujoco-batch":
            return BatchWorld(MujocoBatch(nworld=1, nthread=1))
        return BatchWorld(WarpBatch(nworld=1, device="cpu" if name.endswith("cpu") else None))
    raise BackendError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "BackendError", "make_backend"]
