"""Exploration agents, skills and planners."""
