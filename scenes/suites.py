"""Fixed, named scene suites. Scene i of a suite is generated from seed i.

Example:
    >>> load_suite_scene("tos-2room", 5).seed
    5
"""

from __future__ import annotations

from dataclasses import dataclass

from scenes.generate import generate_scene
from scenes.spec import SceneError, SceneSpec


@dataclass(frozen=True)
class Suite:
    name: str
    n_rooms: int
    size: int  # number of scenes
    room_size: int = 6
    objects_per_room: int = 4


SUITES: dict[str, Suite] = {
    s.name: s
    for s in [
        Suite("tos-2room", n_rooms=2, size=100),
        Suite("tos-3room", n_rooms=3, size=100),
        Suite("tos-4room", n_rooms=4, size=100),
    ]
}


def get_suite(name: str) -> Suite:
    if name not in SUITES:
        raise SceneError(f"unknown suite {name!r}; choose one of: {', '.join(SUITES)}")
    return SUITES[name]


def load_suite_scene(suite: str, index: int) -> SceneSpec:
    s = get_suite(suite)
    if not 0 <= index < s.size:
        raise SceneError(f"index {index} is out of range for suite {suite!r} (0..{s.size - 1})")
    return generate_scene(
        seed=index, n_rooms=s.n_rooms, room_size=s.room_size, objects_per_room=s.objects_per_room, suite=suite
    )
