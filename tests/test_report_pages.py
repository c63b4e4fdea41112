"""The report: suites kept apart, each episode shown once, readable column names."""

import os
import shutil

import spacelab
from spacelab.evaluation.report import make_report


def test_a_report_over_two_suites_and_a_copied_run(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    spacelab.evaluate(str(a), suite="tos-2room", agents=["scout"], n_scenes=2, launcher={"name": "local", "workers": 1})
    spacelab.evaluate(str(b), suite="tos-3room", agents=["scout"], n_scenes=1, launcher={"name": "local", "workers": 1})
    shutil.copytree(a, tmp_path / "a-copy")
    out = tmp_path / "report"
    res = make_report([str(a), str(b), str(tmp_path / "a-copy")], str(out), pictures=5)
    assert [(r["suite"], r["profile"], r["agent"], r["episodes"]) for r in res["rows"]] == [
        ("tos-2room", "tos", "scout", 2), ("tos-3room", "tos", "scout", 1)]
    assert res["pictures"] == 3 and len([f for f in os.listdir(out) if f.startswith("ep_")]) == 3
    page = (out / "index.html").read_text()
    assert '<div class="scroll">' in page and '<th title="belief_overall">' in page and "belief_overall</th>" not in page
    assert res["table"].splitlines()[0].split()[:4] == ["suite", "profile", "agent", "protocol"]
    assert (out / "leaderboard.json").stat().st_mode & 0o777 == 0o644 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
