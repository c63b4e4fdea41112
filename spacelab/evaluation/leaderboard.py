"""Aggregate episode records into leaderboard rows (one per agent x protocol) and tables.

Example:
    >>> rows = aggregate([{"agent": "scout", "protocol": "active", "error": None, "coverage": 1.0,
    ...                    "full_coverage": True, "steps": 12, "steps_to_full_coverage": 10, "n_invalid": 0, "cost": 11}])
    >>> rows[0]["coverage"], rows[0]["episodes"]
    (1.0, 1)
"""

from __future__ import annotations

import math

import numpy as np

# (column title, row key, how to read it from one record)
METRICS = [
    ("coverage", "coverage", lambda r: r.get("coverage")),
    ("full cov.", "full_coverage_rate", lambda r: float(r["full_coverage"]) if "full_coverage" in r else None),
    ("steps", "steps", lambda r: r.get("steps")),
    ("steps→full", "steps_to_full_coverage", lambda r: r.get("steps_to_full_coverage")),
    ("invalid/ep", "invalid_per_episode", lambda r: r.get("n_invalid")),
    ("cost", "cost", lambda r: r.get("cost")),
    ("belief", "belief_overall", lambda r: _get(r, "belief", "final", "overall")),
    ("pos", "belief_pos", lambda r: _get(r, "belief", "final", "pos")),
    ("dir", "belief_dir", lambda r: _get(r, "belief", "final", "dir")),
    ("facing", "belief_facing", lambda r: _get(r, "belief", "final", "facing")),
    ("info gain", "info_gain", lambda r: _get(r, "belief", "info_gain") if "belief" in r else r.get("info_gain")),
    ("free cov.", "free_coverage", lambda r: r.get("free_coverage")),
    ("perception", "perception", lambda r: _get(r, "belief", "perception")),
    ("stability", "stability", lambda r: _get(r, "belief", "stability")),
    ("unexpl. F1", "unexplored_f1", lambda r: _get(r, "belief", "unexplored_f1")),
    ("ident. F1", "identification_f1", lambda r: _get(r, "false_belief", "identification_f1")),
    ("changed belief", "changed_belief", lambda r: _get(r, "false_belief", "changed_belief")),
    ("inertia", "belief_inertia", lambda r: _get(r, "false_belief", "belief_inertia")),
    ("redundant", "redundant_steps", lambda r: _get(r, "false_belief", "redundant_steps")),
    ("QA acc.", "qa_accuracy", lambda r: _get(r, "exploitation", "accuracy")),
    # house tasks (spacelab.evaluation.house_episode)
    ("success", "success_rate", lambda r: float(r["success"]) if "success" in r else None),
    ("skill calls", "skill_calls", lambda r: r.get("skill_calls")),
    ("sim s", "sim_seconds", lambda r: r.get("sim_seconds")),
    ("replans", "replans", lambda r: r.get("replans")),
    ("wasted", "wasted_actions", lambda r: r.get("wasted_actions")),
    ("empty opened", "empty_containers_opened", lambda r: r.get("empty_containers_opened")),
    ("revisits", "rooms_revisited", lambda r: r.get("rooms_revisited")),
    ("contain. acc.", "containment_accuracy", lambda r: r.get("containment_accuracy")),
    ("contain. acc. (mean over calls)", "containment_accuracy_mean",
     lambda r: float(np.mean(r["containment_curve"])) if r.get("containment_curve") else None),
    ("map pos", "belief_map_pos", lambda r: _get(r, "belief_map", "pos")),
    ("invalid", "invalid_replies", lambda r: r.get("invalid_replies")),
    ("expansions", "node_expansions", lambda r: r.get("node_expansions")),
    ("library calls", "library_calls", lambda r: r.get("library_calls")),
]
TABLE_COLUMNS = ["coverage", "full_coverage_rate", "steps", "steps_to_full_coverage", "invalid_per_episode", "cost",
                 "belief_overall", "info_gain", "identification_f1", "belief_inertia", "redundant_steps", "qa_accuracy"]
TASK_COLUMNS = ["success_rate", "success_ci95", "skill_calls", "sim_seconds", "replans", "wasted_actions",
                "containment_accuracy", "info_gain", "node_expansions", "library_calls", "invalid_replies", "belief_inertia"]


def _get(r: dict, *keys):
    for k in keys:
        if not isinstance(r, dict) or k not in r:
            return None
        r = r[k]
    return r


def aggregate(records: list[dict]) -> list[dict]:
    """One row per (agent, protocol) in first-seen order: episode counts, means and a 95% CI
    of the final belief accuracy."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["agent"], r.get("protocol", "active")), []).append(r)
    rows = []
    for (agent, protocol), rs in groups.items():
        ok = [r for r in rs if r.get("error") is None]
        row = {"agent": agent, "protocol": protocol, "episodes": len(rs), "errors": len(rs) - len(ok)}
        tasks = sorted({r["task"] for r in rs if r.get("task")})
        if tasks:
            row["task"] = ",".join(tasks)
        for _, key, read in METRICS:
            xs = [v for v in (read(r) for r in ok) if v is not None]
            row[key] = round(float(np.mean(xs)), 4) if xs else None
        beliefs = [v for v in (_get(r, "belief", "final", "overall") for r in ok) if v is not None]
        row["belief_ci95"] = round(1.96 * float(np.std(beliefs, ddof=1)) / math.sqrt(len(beliefs)), 4) if len(beliefs) > 1 else None
        if tasks:  # a crashed episode is a failed one
            row["success_ci95"] = wilson_ci95(sum(bool(r.get("success")) for r in ok), len(rs))
            row["success_rate"] = round(sum(bool(r.get("success")) for r in ok) / len(rs), 4)
        rows.append(row)
    _add_gaps(rows)
    return rows


def wilson_ci95(successes: int, n: int) -> list[float] | None:
    """Wilson 95 % interval [low, high] of a success rate (stays inside [0, 1] at 0 and 100 %).

    >>> wilson_ci95(45, 50)
    [0.7864, 0.9565]
    """
    if n <= 0:
        return None
    z2 = 1.96 ** 2
    p = successes / n
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(z2) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return [round(centre - half, 4), round(centre + half, 4)]


def _add_gaps(rows: list[dict]) -> None:
    """Active-Passive Gap: an agent's active belief accuracy minus its passive one."""
    by = {(r["agent"], r["protocol"]): r for r in rows}
    for r in rows:
        a, p = by.get((r["agent"], "active")), by.get((r["agent"], "passive"))
        r["active_passive_gap"] = (
            round(a["belief_overall"] - p["belief_overall"], 4)
            if a and p and a["belief_overall"] is not None and p["belief_overall"] is not None else None
        )


def column_titles() -> dict[str, str]:
    """Readable names for the leaderboard's columns (the JSON keys stay snake_case)."""
    return {key: t for t, key, _ in METRICS} | {"active_passive_gap": "A-P gap", "belief_ci95": "±95%",
                                                "success_ci95": "success 95% CI"}


def format_table(rows: list[dict], title: str = "", columns: list[str] | None = None) -> str:
    """Fixed-width text table; columns with no value in any row are left out."""
    titles = column_titles()
    columns = [c for c in (columns or TABLE_COLUMNS) if any(r.get(c) is not None for r in rows)]
    lead = [k for k in ("suite", "profile", "task") if any(k in r for r in rows)] + ["agent", "protocol"]
    head = lead + ["episodes", "errors"] + [titles.get(c, c) for c in columns]
    body = [[str(r.get(k, "")) for k in lead] + [str(r["episodes"]), str(r["errors"])] + [_fmt(r.get(c)) for c in columns]
            for r in rows]
    table = [head] + body
    widths = [max(len(x[i]) for x in table) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w) if i < len(lead) else v.rjust(w) for i, (v, w) in enumerate(zip(x, widths))) for x in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return (title + "\n" if title else "") + "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.3f}"
    return str(int(v)) if isinstance(v, (int, float)) else str(v)
