"""Physics backends behind one interface (see base.Backend)."""

from __future__ import annotations

from sim.backends.base import Backend, BackendError

BACKENDS = ("mujoco",)


def make_backend(name: str) -> Backend:
    """Create a backend by name. Example: ``make_backend("mujoco")``."""
    if name == "mujoco":
        from sim.backends.mujoco_cpu import MujocoBackend

        return MujocoBackend()
    raise BackendError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "BackendError", "make_backend"]
