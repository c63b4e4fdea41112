"""Robot models authored with MjSpec from primitive geoms, and their controllers."""

import os

# Headless by default: MuJoCo picks its GL backend when it is first imported.
os.environ.setdefault("MUJOCO_GL", "egl")
