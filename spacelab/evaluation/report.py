"""`spacelab report`: leaderboard, curves and pictures from one or more run directories.

Writes into the output directory: `leaderboard.json`, `belief_vs_step.png` (belief
accuracy, object coverage and information gain against the step), one top-down picture
per shown episode (ground truth, the agent's final believed map and its path), and
`index.html` tying them together. Everything is static: open index.html in a browser.
"""

from __future__ import annotations

import html
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from scenes.changes import Change, apply_changes  # noqa: E402
from scenes.house import load_house  # noqa: E402
from scenes.jsonio import write_json_atomic, write_text_atomic  # noqa: E402
from scenes.spec import SceneError  # noqa: E402
from scenes.suites import load_suite_scene  # noqa: E402
from spacelab.evaluation.jobs import read_records, record_key  # noqa: E402
from spacelab.evaluation.leaderboard import METRICS, aggregate, column_titles, format_table  # noqa: E402
from spacelab.figures.house_topdown import render_house_episode  # noqa: E402
from spacelab.figures.topdown import render_topdown  # noqa: E402

CURVES = [("overall", "belief accuracy (overall)"), ("coverage", "object coverage"), ("info_gain", "information gain")]


def find_runs(d: str) -> list[str]:
    """`d` itself if it holds episodes.jsonl, else its sweep job subdirectories that do."""
    if os.path.isfile(os.path.join(d, "episodes.jsonl")):
        return [d]
    subs = sorted((os.path.join(d, s) for s in os.listdir(d)) if os.path.isdir(d) else [])
    return [s for s in subs if os.path.isfile(os.path.join(s, "episodes.jsonl"))]


def skills_results(run_dirs: list[str]) -> list[tuple[str, dict]]:
    """(dir, skills_benchmark.json) for every `spacelab skills evaluate` output among the dirs."""
    out = []
    for d in run_dirs:
        path = os.path.join(d, "skills_benchmark.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                out.append((d, json.load(f)))
    return out


def load_runs(run_dirs: list[str]) -> list[dict]:
    records = []
    for d in run_dirs:
        if os.path.isfile(os.path.join(d, "skills_benchmark.json")):
            continue  # a skills benchmark, reported on its own
        found = find_runs(d)
        if not found:
            raise SceneError(f"{d} is not a run or sweep directory (no episodes.jsonl in it or its subdirectories)")
        for run in found:
            records += read_records(os.path.join(run, "episodes.jsonl"))
    if not records:
        raise SceneError(f"no episode records in {', '.join(run_dirs)}")
    unique = {record_key(r): r for r in records}  # the same episode in two run dirs counts (and shows) once
    return list(unique.values())


def leaderboard_rows(records: list[dict]) -> list[dict]:
    """Leaderboard rows per suite and profile (a sweep's suites, and tos- and spacelab-scored
    runs, are not merged), each naming its suite and profile."""
    groups = sorted({(r["suite"], r.get("profile", "spacelab")) for r in records})
    return [{"suite": s, "profile": p, **row} for s, p in groups
            for row in aggregate([r for r in records if (r["suite"], r.get("profile", "spacelab")) == (s, p)])]


def step_curves(records: list[dict], key: str) -> dict[tuple, np.ndarray]:
    """Mean of a per-step probe value for each (agent, protocol); episodes that ended early
    keep their last value (the belief they stopped with)."""
    out = {}
    groups: dict[tuple, list[list[float]]] = {}
    for r in records:
        rows = r.get("probes") or []
        if r.get("error") is None and rows:
            groups.setdefault((r["agent"], r.get("protocol", "active")), []).append([row.get(key) or 0.0 for row in rows])
    for g, series in groups.items():
        n = max(len(s) for s in series)
        out[g] = np.mean([s + [s[-1]] * (n - len(s)) for s in series], axis=0)
    return out


def plot_containment(records: list[dict], path: str) -> None:
    """House tasks: mean containment accuracy of the agent's belief after each skill call."""
    groups: dict[tuple, list[list[float]]] = {}
    for r in records:
        if r.get("error") is None and r.get("containment_curve"):
            groups.setdefault((r["agent"], r.get("protocol", "active")), []).append(list(r["containment_curve"]))
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for (agent, protocol), series in sorted(groups.items()):
        n = max(len(s) for s in series)
        ys = np.mean([s + [s[-1]] * (n - len(s)) for s in series], axis=0)
        ax.plot(np.arange(n), ys, marker=".", label=f"{agent} ({protocol})")
    ax.set_xlabel("skill calls")
    ax.set_ylabel("containment accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(records: list[dict], path: str) -> None:
    if records and all(r.get("task") for r in records):
        return plot_containment(records, path)
    fig, axes = plt.subplots(1, len(CURVES), figsize=(5 * len(CURVES), 3.6))
    for ax, (key, label) in zip(axes, CURVES):
        for (agent, protocol), ys in sorted(step_curves(records, key).items()):
            ax.plot(np.arange(1, len(ys) + 1), ys, marker=".", label=f"{agent} ({protocol})")
        ax.set_xlabel("step (turn)")
        ax.set_ylabel(label)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def make_report(run_dirs: list[str], out_dir: str, pictures: int = 3) -> dict:
    skills = skills_results(run_dirs)
    os.makedirs(out_dir, exist_ok=True)
    if skills and len(skills) == len(run_dirs):
        return _skills_report(skills, out_dir)
    records = load_runs(run_dirs)
    rows = leaderboard_rows(records)
    write_json_atomic(os.path.join(out_dir, "leaderboard.json"), rows)
    plot_curves(records, os.path.join(out_dir, "belief_vs_step.png"))
    shown: dict[tuple, int] = {}
    figures = []
    for r in records:
        key = (r["suite"], r["agent"], r.get("protocol", "active"))
        if r.get("error") is not None or shown.get(key, 0) >= pictures:
            continue
        shown[key] = shown.get(key, 0) + 1
        name = f"ep_{r['agent']}_{key[2]}_{r['suite']}_{r['index']}_{r.get('config_hash', '')}.png".replace("@", "-")
        if r.get("task"):  # a house task: path, containers opened, items moved
            render_house_episode(load_house(r["suite"], r["index"]), r, os.path.join(out_dir, name))
        else:
            render_topdown(_scene_of(r), os.path.join(out_dir, name), episode=r, belief=r.get("final_map"))
        figures.append((name, r))
    table = format_table(rows)
    write_text_atomic(os.path.join(out_dir, "index.html"), _html(rows, figures, run_dirs))
    return {"rows": rows, "table": table, "out_dir": out_dir, "pictures": len(figures)}


def _skills_report(skills, out_dir: str) -> dict:
    from planners.skills.benchmark import plot_chains

    rows, sections = [], []
    for k, (d, res) in enumerate(skills):
        per = res["per_chain"]
        name = f"chains_{k}.png"
        plot_chains(per, os.path.join(out_dir, name))
        for cond in ("library off", "library on"):
            r = res[cond]
            rows.append({"agent": f"{os.path.basename(d.rstrip('/'))}: {cond}", "protocol": "chains", "episodes": r["chains"],
                         "errors": 0, "avg_chain_length": r["avg_chain_length"], **{f"{i}_in_a_row": r["in_a_row"][str(i)]
                                                                                   for i in range(1, 6)},
                         "expansions_per_task": r["expansions_per_solved"], "sim_steps_per_task": r["physics_steps_per_solved"],
                         "s_per_chain": r["wall_s_per_chain"]})
        sections.append(f'<img src="{name}" width="600">')
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in cols) + "</tr>" for r in rows)
    write_json_atomic(os.path.join(out_dir, "leaderboard.json"), rows)
    write_text_atomic(os.path.join(out_dir, "index.html"), f"""<!doctype html><html><head><meta charset="utf-8">
<title>spacelab skills report</title></head><body style="font-family:sans-serif"><h1>Skill composition</h1>
<table border="1" cellspacing="0" cellpadding="4"><tr>{head}</tr>{body}</table>{''.join(sections)}</body></html>""")
    table = "\n".join(f"{r['agent']:40s} avg chain {r['avg_chain_length']}  expansions/task {r['expansions_per_task']}"
                      for r in rows)
    return {"rows": rows, "table": table, "out_dir": out_dir, "pictures": len(sections)}


def _scene_of(record: dict):
    """The scene as the episode ended: with the false-belief changes applied, if any."""
    spec = load_suite_scene(record["suite"], record["index"])
    changes = (record.get("false_belief") or {}).get("changes")
    if changes:
        spec = apply_changes(spec, [Change(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})
                                    for c in changes])
    return spec


def _html(rows: list[dict], figures, run_dirs) -> str:
    cols = (["suite", "profile", "task", "agent", "protocol", "episodes", "errors"] + [k for _, k, _ in METRICS]
            + ["success_ci95", "belief_ci95", "active_passive_gap"])
    cols = [c for c in cols if any(r.get(c) is not None for r in rows)]
    titles = column_titles()
    head = "".join(f'<th title="{html.escape(c)}">{html.escape(titles.get(c, c))}</th>' for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in cols) + "</tr>" for r in rows
    )
    pics = "".join(
        f'<figure><img src="{html.escape(n)}" width="420"><figcaption>{html.escape(r["agent"])} · '
        f'{html.escape(r.get("protocol", "active"))} · {html.escape(r["scene"])} · '
        + (f'{html.escape(str(r["task"]))}: {"success" if r.get("success") else "failed"}' if r.get("task") else
           f'belief {_cell((r.get("belief") or {}).get("final", {}).get("overall"))}')
        + '</figcaption></figure>'
        for n, r in figures
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>spacelab report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 7px;text-align:right}} th{{white-space:nowrap}}
td:nth-child(-n+4){{text-align:left}} .scroll{{overflow-x:auto;max-width:100%}}
figure{{display:inline-block;margin:6px}} figcaption{{font-size:12px}}</style></head>
<body><h1>spacelab report</h1><p>runs: {html.escape(", ".join(run_dirs))}</p>
<h2>Leaderboard</h2><div class="scroll"><table><tr>{head}</tr>{body}</table></div>
<h2>Belief over the episode (per turn; house tasks: per skill call)</h2><img src="belief_vs_step.png" width="1100">
<h2>Episodes: ground truth, believed map (hollow, red lines to the truth) and path</h2>{pics}
</body></html>
"""


def _cell(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)
