"""Robot models authored with MjSpec from primitive geoms, and their controllers."""

import sim  # noqa: F401  (picks MuJoCo's headless GL backend before mujoco is imported)
