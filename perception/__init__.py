"""Sensors, visibility, observations, cognitive maps and belief scoring."""

import sim  # noqa: F401  (picks MuJoCo's headless GL backend before mujoco is imported)
