"""MuJoCo, imported once with a headless OpenGL backend chosen first.

MuJoCo reads MUJOCO_GL a single time, when it is first imported, so every spacelab module
takes mujoco from here (``from robots.headless_mujoco import mujoco``) and none imports it
directly: whichever module a program imports first, rendering is headless (EGL, else
OSMesa). A value the user set wins; with neither library, rendering fails later with a
message naming both to install.

Example:
    >>> mujoco.MjModel.from_xml_string("<mujoco/>").nbody
    1
"""

from __future__ import annotations

import ctypes.util
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

__all__ = ["choose_headless_gl", "mujoco"]
