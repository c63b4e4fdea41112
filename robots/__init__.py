"""Robot models authored with MjSpec from primitive geoms, and their controllers."""
