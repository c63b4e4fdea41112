"""MuJoCo, imported once with a headless OpenGL backend chosen first.

MuJoCo reads MUJOCO_GL a single time, when it is first imported, so every spacelab module
takes mujoco from here (``from robots.headless_mujoco import mujoco``) and none imports it
directly: whichever module a program imports first, rendering is headless (EGL, else
OSMesa). A value the user set wins; with neither library, rendering fails later with a
message naming both to install.

It also switches MuJoCo's profiling timers off (`mjcb_time`, which fills `mjData.timer`): the
Python bindings install a clock for them, read ~20 times a step, and it costs ~12 % of every
`mj_step` here. Nothing in spacelab reads the timers; SPACELAB_MUJOCO_TIMERS=1 keeps them, and
`mujoco.set_mjcb_time` installs any clock again.

Example:
    >>> mujoco.MjModel.from_xml_string("<mujoco/>").nbody
    1
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os


def choose_headless_gl(environ=os.environ) -> str:
    """Set MUJOCO_GL to "egl", or "osmesa" when only OSMesa is installed; returns the choice.

    >>> choose_headless_gl({"MUJOCO_GL": "glfw"})
    'glfw'
    """
    if "MUJOCO_GL" not in environ:
        osmesa_only = not ctypes.util.find_library("EGL") and ctypes.util.find_library("OSMesa")
        environ["MUJOCO_GL"] = "osmesa" if osmesa_only else "egl"
    return environ["MUJOCO_GL"]


choose_headless_gl()

import mujoco  # noqa: E402  (after MUJOCO_GL is set: the reason this module exists)


@functools.cache
def mujoco_library() -> ctypes.CDLL | None:
    """The MuJoCo C library the bindings loaded (the same copy, so the same globals), or None; opened once."""
    folder = os.path.dirname(mujoco.__file__)
    name = next((f for f in sorted(os.listdir(folder)) if f.startswith("libmujoco.so")), None)
    return ctypes.CDLL(os.path.join(folder, name)) if name else None


def profiling_timers(on: bool) -> bool:
    """Switch MuJoCo's profiling timers (mjData.timer) on or off; returns whether they were on.

    Off, `mjcb_time` is NULL and MuJoCo skips every timer; the physics is the same to the bit.
    """
    lib = mujoco_library()
    if lib is None:
        return True
    slot = ctypes.c_void_p.in_dll(lib, "mjcb_time")
    was = slot.value is not None
    if on and not was:
        slot.value = _BINDINGS_CLOCK[0]
    elif not on:
        slot.value = None
    return was


_BINDINGS_CLOCK = [ctypes.c_void_p.in_dll(mujoco_library(), "mjcb_time").value if mujoco_library() is not None else None]
if os.environ.get("SPACELAB_MUJOCO_TIMERS", "") != "1":
    profiling_timers(False)

__all__ = ["choose_headless_gl", "mujoco", "mujoco_library", "profiling_timers"]
