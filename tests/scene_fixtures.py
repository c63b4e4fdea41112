"""Hand-made scenes with known geometry for exact tests."""

from scenes.catalog import CATALOG
from scenes.spec import Door, ObjectSpec, Room, SceneSpec


def obj(name, pos, heading=0.0, room=0, category=None):
    cat = CATALOG[category or name]
    return ObjectSpec(name, cat.name, pos, heading if cat.has_facing else 0.0, cat.size, cat.has_facing, room)


def two_rooms(door_open: bool = True) -> SceneSpec:
    """Room 0 = [0,6]x[0,6], room 1 = [6,12]x[0,6], door in x=6 at y=3.5.

    The agent starts at (3.5, 3.5) facing east, looking straight through the door.
    - lamp (room 1) is on that line: visible through the open door.
    - vase (room 1) is 26.6 deg right: inside the field of view but behind the wall.
    - box (room 0) is at the same bearing in the agent's own room: visible.
    - chair (room 0) faces south, 26.6 deg left.
    """
    return SceneSpec(
        seed=0,
        rooms=(Room(0, 0, 0, 6, 6), Room(1, 6, 0, 6, 6)),
        doors=(Door("door_0", (6.0, 3.5), "y", (0, 1), door_open),),
        objects=(
            obj("lamp", (9.5, 3.5), room=1),
            obj("vase", (9.5, 0.5), room=1),
            obj("box", (5.5, 2.5)),
            obj("chair", (5.5, 4.5), heading=180.0),
        ),
        start_position=(3.5, 3.5),
        start_heading=90.0,
    )


def with_dropped_box(spec: SceneSpec, height: float = 0.6) -> SceneSpec:
    """The same scene with a dynamic box released `height` m above the floor in room 0."""
    import dataclasses

    box = dataclasses.replace(obj("crate", (1.5, 1.5)), dynamic=True, drop_height=height)
    return dataclasses.replace(spec, objects=spec.objects + (box,))


def play(job: dict) -> dict:
    """Run one episode job given as plain data; its record as the JSON line would hold it."""
    from spacelab.evaluation.jobs import EpisodeJob
    from spacelab.evaluation.runner import run_job

    return run_job(EpisodeJob.from_dict(job)).to_dict()
