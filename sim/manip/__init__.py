"""Manipulation: tabletop/kitchen worlds, a symbolic state read from physics, primitive skills, tasks."""
