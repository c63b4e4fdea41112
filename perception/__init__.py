"""Sensors' data, visibility, text observations, mapping, cognitive maps and belief scoring."""
