"""Exploration agents, skills and planners."""

import sim  # noqa: F401  (picks MuJoCo's headless GL backend before mujoco is imported)
