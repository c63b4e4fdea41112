"""Physics backends, the exploration environment, evaluation runner and CLI."""

import ctypes.util
import os


def _choose_headless_gl() -> None:
    """MuJoCo reads MUJOCO_GL once, when it is first imported: pick EGL, else OSMesa (a value
    the user set wins; with neither library, rendering fails later naming both to install)."""
    if "MUJOCO_GL" not in os.environ:
        osmesa_only = not ctypes.util.find_library("EGL") and ctypes.util.find_library("OSMesa")
        os.environ["MUJOCO_GL"] = "osmesa" if osmesa_only else "egl"


_choose_headless_gl()
