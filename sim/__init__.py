"""Physics backends, the exploration environment, evaluation runner and CLI."""

import os

# Headless by default: MuJoCo picks its GL backend when it is first imported.
os.environ.setdefault("MUJOCO_GL", "egl")
