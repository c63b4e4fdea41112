"""A house task recorded from MuJoCo's offscreen renderer into a video file."""

import imageio.v2 as imageio
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes.house import load_house
from sim.manip.house_skills import HOUSE_PRIMITIVES, HouseSkills
from sim.manip.house_world import HouseWorld
from spacelab.figures.house_video import RecordingHouseWorld, check_plan, default_plan, write_house_video


def test_a_short_plan_writes_as_many_mp4_frames_as_reported(tmp_path):
    out = str(tmp_path / "nav.mp4")
    rec = write_house_video("house-3room", 1, out, plan=[("navigate_to", "shelf_0")], fps=10, size=(96, 72), speed=10.0)
    assert rec["outcomes"] == [{"skill": "navigate_to", "args": ["shelf_0"], "success": True, "reason": "",
                                "steps": rec["physics_steps"]}]
    assert rec["steps_per_frame"] == 500  # 10x real time at 10 fps, 2 ms physics steps
    # a first frame, one per 500 physics steps, half a second (5 frames) held at the end
    assert rec["frames"] == 1 + rec["physics_steps"] // 500 + 5
    reader = imageio.get_reader(out)
    frames = [f for f in reader]  # list() would ask the reader's len(), which is inf for ffmpeg
    assert len(frames) == rec["frames"] == reader.count_frames()
    assert frames[0].shape == (72, 96, 3)
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 5  # the robot drove: the picture changed


def test_a_gif_works_too_and_a_failed_skill_ends_the_plan(tmp_path):
    out = str(tmp_path / "fail.gif")
    rec = write_house_video("house-3room", 1, out, plan=[("pick", "duck_0"), ("navigate_to", "shelf_0")], fps=5,
                            size=(64, 48))
    assert rec["outcomes"] == [{"skill": "pick", "args": ["duck_0"], "success": False, "reason": "not parked at table_0",
                                "steps": 0}]
    # nothing moved: the first frame, then a hold of the same picture, which a GIF stores once
    assert not rec["success"] and rec["frames"] == 2
    assert len([f for f in imageio.get_reader(out)]) == 2


def test_recording_leaves_the_physics_unchanged():
    house = load_house("house-3room", 1)
    seen = []
    rec_w = RecordingHouseWorld(house, 37, lambda w: seen.append(w.physics_steps))
    plain = HouseWorld(house)
    assert HouseSkills(rec_w).navigate_to("shelf_0").success
    assert HouseSkills(plain).navigate_to("shelf_0").success
    assert rec_w.physics_steps == plain.physics_steps
    assert np.array_equal(rec_w.data.qpos, plain.data.qpos)
    assert seen == list(range(37, plain.physics_steps + 1, 37))


def test_the_default_plan_carries_an_item_to_another_room():
    house = load_house("house-3room", 1)
    plan = default_plan(house)
    assert plan == [("navigate_to", "block_2"), ("pick", "block_2"), ("navigate_to", "table_0"),
                    ("place", "block_2", "table_0")]
    assert house.piece(house.item("block_2").furniture).room != house.piece("table_0").room


@pytest.mark.slow
def test_the_default_plan_video_succeeds(tmp_path):
    rec = write_house_video("house-3room", 1, str(tmp_path / "task.mp4"), size=(64, 48), speed=8.0)
    assert rec["success"], rec["outcomes"]
    assert [o["skill"] for o in rec["outcomes"]] == ["navigate_to", "pick", "navigate_to", "place"]
    assert rec["max_penetration_m"] <= 0.01


def test_bad_arguments_say_what_to_fix(tmp_path):
    with pytest.raises(ValueError, match="must end in .mp4 or .gif"):
        write_house_video("house-3room", 1, str(tmp_path / "x.avi"))
    with pytest.raises(ValueError, match="size must be within"):
        write_house_video("house-3room", 1, str(tmp_path / "x.mp4"), size=(4, 4))
    with pytest.raises(ValueError, match="plan step 'fly'"):
        write_house_video("house-3room", 1, str(tmp_path / "x.mp4"), plan=["fly"])
    with pytest.raises(ValueError, match=r"plan step \['pick', 'teapot'\]: unknown item, furniture or container 'teapot'"):
        write_house_video("house-3room", 1, str(tmp_path / "x.mp4"), plan=[["pick", "teapot"]])
    assert not (tmp_path / "x.mp4").exists()  # checked before anything is written


HOUSE = load_house("house-3room", 1)


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.text(max_size=4), st.lists(st.one_of(
    st.text(max_size=5), st.integers(), st.lists(st.one_of(st.text(max_size=12), st.sampled_from(sorted(HOUSE_PRIMITIVES)),
                                                            st.sampled_from(["table_0", "duck_0", "dresser_0_drawer1"]),
                                                            st.integers(), st.lists(st.text(max_size=3), max_size=2)),
                                                  max_size=4)), max_size=4)))
def test_plan_checking_accepts_good_steps_and_names_a_bad_one(plan):
    try:
        checked = check_plan(plan, HOUSE)
    except ValueError as e:
        assert str(e).startswith("plan step ") and "\n" not in str(e)
        return
    for step in checked:
        assert step[0] in HOUSE_PRIMITIVES and len(step) == 1 + len(HOUSE_PRIMITIVES[step[0]].params)
        assert set(step[1:]) <= {"table_0", "duck_0", "dresser_0_drawer1"}


@pytest.mark.parametrize("args,message", [
    (["--robot", "floating"], "unknown robot 'floating'"),
    (["--plan", "[[1"], "--plan must be a JSON list"),
    (["--plan", '[["pick", "no_such_item"]]'], "no_such_item"),
])
def test_render_episode_command_refuses_bad_house_input(capsys, tmp_path, args, message):
    from cli_run import run_cli

    code, out, err = run_cli(capsys, "render-episode", "--suite", "house-2room", "--out", str(tmp_path / "v.mp4"), *args)
    assert code == 2 and err.count("\n") == 1 and message in err
    assert not (tmp_path / "v.mp4").exists()
