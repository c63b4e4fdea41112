"""Figures: top-down scene plans with trajectories, and per-episode frame/map figures."""
