"""CLI input handling: one line on stderr and exit 2 for bad input; `spacelab scene` output is accepted where a scene goes."""

import json

import pytest

from tests.cli_run import run_cli


def test_no_arguments_prints_the_commands_and_exits_2(capsys):
    code, out, err = run_cli(capsys)
    assert code == 2 and out == "" and "spacelab eval" in err and "spacelab list" in err


def test_scene_output_feeds_render_scene_but_is_not_a_map(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "scene", "--suite", "tos-2room", "--index", "1")
    scene = tmp_path / "scene.json"
    scene.write_text(out)
    assert code in (0, None) and set(json.loads(out)) == {"scene", "ground_truth"}
    code, out, err = run_cli(capsys, "render-scene", "--scene-file", str(scene), "--out", str(tmp_path / "s.png"))
    assert code in (0, None) and (tmp_path / "s.png").stat().st_size > 1000, err
    code, out, err = run_cli(capsys, "score", "--pred", str(scene), "--gt", str(scene))
    assert code == 2 and err.count("\n") == 1 and "not a cognitive map" in err
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps(json.loads(scene.read_text())["ground_truth"]))
    code, out, err = run_cli(capsys, "score", "--pred", str(pred), "--gt", str(scene))
    assert code in (0, None) and json.loads(out) == {"pos": 1.0, "dir": 1.0, "facing": 1.0, "overall": 1.0}


@pytest.mark.parametrize("content, message", [
    ('{"seed": 0, "rooms": [{"id": 0, "x0": 0, "y0": 0, "width": "6", "height": 6}], "doors": [], "objects": []}',
     "rooms[0].width must be an integer"),
    ("[" * 50_000, "nested too deeply"),
    ("", "not valid JSON"),
])
def test_a_malformed_scene_file_is_one_line_naming_file_and_field(capsys, tmp_path, content, message):
    f = tmp_path / "bad.json"
    f.write_text(content)
    code, out, err = run_cli(capsys, "render-scene", "--scene-file", str(f), "--out", str(tmp_path / "x.png"))
    assert code == 2 and err.count("\n") == 1 and "bad.json" in err and message in err
