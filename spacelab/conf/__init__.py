"""Hydra configs shipped with spacelab."""
