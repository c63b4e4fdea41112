"""Sensors, visibility, observations, cognitive maps and belief scoring."""
