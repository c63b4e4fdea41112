"""Plain data, the bottom layer: procedural scene specs (rooms, doors, objects; tabletops),
suites and their ground truth, plus the two neutral helpers every layer uses: the name
`Registry` (scenes.registry) and atomic JSON/JSONL files (scenes.jsonio)."""

from scenes.generate import generate_scene
from scenes.spec import Door, ObjectSpec, Room, SceneError, SceneSpec
from scenes.suites import SUITES, load_suite_scene

__all__ = ["Door", "ObjectSpec", "Room", "SceneError", "SceneSpec", "SUITES", "generate_scene", "load_suite_scene"]
