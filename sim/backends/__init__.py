"""Physics backends behind one interface (see base.Backend), by name.

Example:
    >>> list(BACKENDS)
    ['mujoco', 'pybullet', 'mujoco-batch', 'mujoco-warp', 'mujoco-warp-cpu']
    >>> make_backend("mujoco").name
    'mujoco'
"""

from __future__ import annotations

from scenes.registry import Registry
from sim.backends.base import Backend, BackendError

BACKENDS = Registry("backend", error=BackendError)
BACKENDS.register("mujoco", "sim.backends.mujoco_cpu:MujocoBackend", doc="MuJoCo on the CPU (default)")
BACKENDS.register("pybullet", "sim.backends.pybullet_backend:PyBulletBackend", doc="PyBullet, p.DIRECT")
BACKENDS.register("mujoco-batch", "sim.backends.batch:mujoco_batch_world", doc="mujoco.batch (threads, bit-identical to mujoco)")
BACKENDS.register("mujoco-warp", "sim.backends.batch:warp_world", doc="MuJoCo Warp on a CUDA GPU")
BACKENDS.register("mujoco-warp-cpu", "sim.backends.batch:warp_world", device="cpu",
                  doc="MuJoCo Warp on the CPU (slow; for parity checks)")


def make_backend(name: str) -> Backend:
    """Create a backend by name. Example: ``make_backend("mujoco")``."""
    return BACKENDS.make(name)


__all__ = ["BACKENDS", "Backend", "BackendError", "make_backend"]
