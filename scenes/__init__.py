"""Procedural scene specs (rooms, doors, objects), suites and their ground truth."""

from scenes.generate import generate_scene
from scenes.spec import Door, ObjectSpec, Room, SceneError, SceneSpec
from scenes.suites import SUITES, load_suite_scene

__all__ = ["Door", "ObjectSpec", "Room", "SceneError", "SceneSpec", "SUITES", "generate_scene", "load_suite_scene"]
