"""Leaderboard rules (spacelab/evaluation/leaderboard.py) on hand-made records: grouping,
error episodes left out of the means, the 95% CI, the Active-Passive Gap and the exact text
table."""

import math

import pytest

from spacelab.evaluation.leaderboard import (
    METRICS,
    _fmt,
    aggregate,
    column_titles,
    format_table,
)


def ep(agent, protocol="active", error=None, overall=None, **kw):
    r = {"agent": agent, "error": error, **kw}
    if protocol is not None:
        r["protocol"] = protocol
    if overall is not None:
        r.setdefault("belief", {}).setdefault("final", {})["overall"] = overall
    return r


RECORDS = [
    ep("scout", coverage=1.0, full_coverage=True, steps=10, steps_to_full_coverage=8, n_invalid=0, cost=11,
       belief={"final": {"overall": 0.2, "pos": 0.5, "dir": 0.1, "facing": 1.0}, "info_gain": 0.3}),
    ep("scout", coverage=0.5, full_coverage=False, steps=20, n_invalid=2, cost=21, overall=0.4),
    ep("scout", error="WorkerDied", coverage=0.0, steps=99, overall=0.0),  # counted, not averaged
    ep("scout", protocol=None, coverage=0.25, steps=12, overall=0.6),  # no protocol: active
    ep("scout", "passive", coverage=0.5, overall=0.35),
    ep("strategist", "passive", overall=0.5),
    ep("oracle", overall=0.2),
    ep("oracle", overall=0.6),
]


def test_aggregate_rows_by_hand():
    rows = aggregate(RECORDS)
    assert [(r["agent"], r["protocol"], r["episodes"], r["errors"]) for r in rows] == [
        ("scout", "active", 4, 1), ("scout", "passive", 1, 0), ("strategist", "passive", 1, 0), ("oracle", "active", 2, 0)]
    want = {key: None for _, key, _ in METRICS} | {
        "agent": "scout", "protocol": "active", "episodes": 4, "errors": 1,
        "coverage": 0.5833,  # (1 + 0.5 + 0.25) / 3: the failed episode's 0.0 is left out
        "full_coverage_rate": 0.5, "steps": 14.0, "steps_to_full_coverage": 8.0, "invalid_per_episode": 1.0,
        "cost": 16.0, "belief_overall": 0.4, "belief_pos": 0.5, "belief_dir": 0.1, "belief_facing": 1.0, "info_gain": 0.3,
        # beliefs 0.2, 0.4, 0.6: sample std 0.2 -> 1.96 * 0.2 / sqrt(3) = 0.22632
        "belief_ci95": 0.2263,
        "active_passive_gap": 0.05,  # 0.4 - 0.35
    }
    assert rows[0] == want
    assert rows[1]["belief_ci95"] is None and rows[1]["active_passive_gap"] == 0.05  # one episode: no CI
    assert rows[2]["active_passive_gap"] is None  # no active row for the strategist
    # two beliefs 0.2 and 0.6: sample std 0.2828 -> 1.96 * 0.2828 / sqrt(2) = 0.392
    assert rows[3]["belief_ci95"] == 0.392 and rows[3]["active_passive_gap"] is None


def test_a_group_without_beliefs_has_no_ci_and_no_gap():
    rows = aggregate([ep("scout", coverage=1.0), ep("scout", coverage=0.0), ep("scout", "passive", overall=0.5)])
    assert rows[0]["belief_overall"] is None and rows[0]["belief_ci95"] is None
    assert rows[0]["active_passive_gap"] is None and rows[1]["active_passive_gap"] is None
    assert rows[0]["coverage"] == 0.5 and rows[0]["info_gain"] is None


def test_fmt():
    assert [_fmt(v) for v in (None, 3, 2.0, 0.12345, -1.5, "abc", 12.0)] == ["-", "3", "2", "0.123", "-1.500", "abc", "12"]


def test_column_titles():
    t = column_titles()
    assert t["active_passive_gap"] == "A-P gap" and t["belief_ci95"] == "±95%" and t["belief_overall"] == "belief"
    assert t["steps_to_full_coverage"] == "steps→full" and len(t) == len(METRICS) + 3
    assert t["success_ci95"] == "success 95% CI" and t["success_rate"] == "success"


ROWS = [
    {"agent": "scout", "protocol": "active", "episodes": 12, "errors": 0, "coverage": 0.5, "steps": 14.0, "cost": None,
     "belief_overall": 0.4, "active_passive_gap": 0.05, "belief_ci95": None, "weird": "x"},
    {"agent": "strategist", "protocol": "passive", "episodes": 3, "errors": 1, "coverage": 1.0, "steps": 9.5,
     "cost": None, "belief_overall": None, "active_passive_gap": None, "belief_ci95": None},
]
COLUMNS = ["coverage", "steps", "cost", "belief_overall", "active_passive_gap", "belief_ci95", "weird"]


def test_format_table_exact_text():
    want = "\n".join([
        "agent       protocol  episodes  errors  coverage  steps  belief  A-P gap  weird",
        "----------  --------  --------  ------  --------  -----  ------  -------  -----",
        "scout       active          12       0     0.500     14   0.400    0.050      x",
        "strategist  passive          3       1         1  9.500       -        -      -",
    ])
    assert format_table(ROWS, columns=COLUMNS) == want
    assert format_table(ROWS, "Leaderboard", COLUMNS) == "Leaderboard\n" + want


def test_format_table_default_columns_and_suite_column():
    rows = [{"suite": "tos-2room", "agent": "scout", "protocol": "active", "episodes": 2, "errors": 0, "coverage": 0.75,
             "belief_ci95": 0.1},
            {"agent": "random", "protocol": "active", "episodes": 1, "errors": 1, "coverage": None, "belief_ci95": None}]
    want = "\n".join([
        "suite      agent   protocol  episodes  errors  coverage",
        "---------  ------  --------  --------  ------  --------",
        "tos-2room  scout   active           2       0     0.750",
        "           random  active           1       1         -",
    ])
    assert format_table(rows) == want  # the CI is not a default column
    assert format_table(rows, columns=["belief_ci95"]).splitlines()[0].endswith("errors   ±95%")


@pytest.mark.parametrize("n", [2, 5])
def test_ci95_is_normal_approximation_of_the_mean(n):
    beliefs = [0.1 * (i + 1) for i in range(n)]
    mean = sum(beliefs) / n
    sd = math.sqrt(sum((b - mean) ** 2 for b in beliefs) / (n - 1))
    (row,) = aggregate([ep("a", overall=b) for b in beliefs])
    assert row["belief_ci95"] == round(1.96 * sd / math.sqrt(n), 4)


def test_format_table_profile_column_comes_after_the_suite():
    rows = [{"suite": "tos-3room", "profile": "tos", "agent": "scout", "protocol": "active", "episodes": 1, "errors": 0},
            {"profile": "spacelab", "agent": "scout", "protocol": "active", "episodes": 1, "errors": 0}]
    assert format_table(rows).splitlines() == [
        "suite      profile   agent  protocol  episodes  errors",
        "---------  --------  -----  --------  --------  ------",
        "tos-3room  tos       scout  active           1       0",
        "           spacelab  scout  active           1       0",
    ]
    assert format_table(rows[1:]).splitlines()[0] == "profile   agent  protocol  episodes  errors"
