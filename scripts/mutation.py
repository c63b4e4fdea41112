"""Mutation testing of the core modules (`make mutation`).

Runs mutmut 3 with the `[tool.mutmut]` section of pyproject.toml (which modules, which fast
tests), then prints one row per mutated module and writes `mutation.json`:

    module  mutants  killed  timeout  survived  no tests  other  equivalent  raw %  score %

score = (killed + timeout) / (mutants - equivalent); raw = (killed + timeout) / mutants. A mutant
is *equivalent* when no test can tell it from the original (the behaviour cannot change); those
are listed in EQUIVALENT below, each with its reason and the exact line it puts in the code
(`--show survived` prints the diffs to copy it from). An entry follows its mutant when mutmut
renumbers the function's mutants; an entry whose line is gone is reported as stale and excludes
nothing. Every other survivor is a gap in the tests: write a behaviour test that kills it.
The exit status is 1 when a module scores below --min-score (default 90 %) or has no mutants,
2 when mutmut itself failed.

By default every run starts from scratch (mutants/ is removed): mutmut keeps verdicts between
runs and does not retest a surviving mutant after new tests are added. `--incremental` keeps
the cache and retests only the mutants that were not killed; `--no-run` reports the last run.

    .venv/bin/python scripts/mutation.py [--no-run] [--incremental] [--show survived] [--min-score 90]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DETECTED = ("killed", "timeout")

# mutant name -> (the mutated line(s) as mutmut shows them, why no test can kill it). "For the inputs
# it gets" marks mutants that differ only outside the domain the code is used on (numeric strings,
# float32 arrays) or only in the last bit of a float; everything else cannot change behaviour at all.
EQUIVALENT: dict[str, tuple[str, str]] = {
    # perception/belief.py
    "perception.belief.x_direction_bin8__mutmut_20": (
        "return int(((theta + 22.5) % 360.0) / 45.0) % 8",
        "x in [0, 360) is non-negative and x / 45.0 never rounds up to the next integer there, so int(x / 45) == x // 45"),
    "perception.belief.x_direction_bin8__mutmut_26": (
        "return int(((theta + 22.5) % 360.0) // 45.0) % 9",
        "theta is rounded to 9 decimals, so (theta + 22.5) % 360 < 360 and the bin is 0..7: % 9 == % 8"),
    # perception/visibility.py
    "perception.visibility.x_sample_points__mutmut_69": (
        "return np.asarray(pts, None), np.asarray(owner, int), np.asarray(centres, float)",
        "every point tuple holds a Python float (0.5 * h, 1.0), and [] defaults to float64 too"),
    "perception.visibility.x_sample_points__mutmut_71": (
        "return np.asarray(pts, ), np.asarray(owner, int), np.asarray(centres, float)",
        "same as mutmut_69: the points are float64 with or without dtype"),
    "perception.visibility.x_visible_cells__mutmut_11": (
        "ang = (np.degrees(np.arctan2(d[:, 0], d[:, 1])) - agent_heading - 180.0) % 360.0 - 180.0",
        "for the inputs it gets: +180 and -180 are equal modulo 360; the results differ at most in the last bit"),
    "perception.visibility.x_visible_cells__mutmut_5": (
        "d = cells - np.asarray(agent_xy, None)[None, :]",
        "for the inputs it gets: numpy promotes the agent position in the subtraction from the float cell centres"),
    "perception.visibility.x_visible_cells__mutmut_7": (
        "d = cells - np.asarray(agent_xy, )[None, :]",
        "same as mutmut_5"),
    # perception/text_obs.py
    "perception.text_obs.x__door_wall__mutmut_12": (
        "outward = 0.0 if delta >= 0 else 180.0",
        "delta == 0 returns None a few lines later whatever outward is"),
    "perception.text_obs.x__door_wall__mutmut_22": (
        "outward = 90.0 if delta >= 0 else 270.0",
        "delta == 0 returns None a few lines later whatever outward is"),
    # perception/bins.py
    "perception.bins.x_direction_index__mutmut_4": (
        "a = (np.asarray(angle_deg, dtype=float) - 180.0) % 360.0 - 180.0",
        ("for the inputs it gets: +180 and -180 are equal modulo 360 and give identical bits for |angle| <= 52 "
         "(every wrapped angle that can be in view); unwrapped angles differ at most in the last bit")),
    "perception.bins.x_direction_index__mutmut_6": (
        "a = (np.asarray(angle_deg, dtype=None) + 180.0) % 360.0 - 180.0",
        "for the inputs it gets: numbers become float in the + 180.0; only numeric strings ('30') would differ"),
    "perception.bins.x_direction_index__mutmut_8": (
        "a = (np.asarray(angle_deg, ) + 180.0) % 360.0 - 180.0",
        "same as mutmut_6"),
    "perception.bins.x_direction_index__mutmut_24": (
        "out[(a >= -45.0 - ANGLE_EPS) & (a <= -22.5)] = 0",
        "-22.5 is overwritten by the next line (bin 1 takes [-22.5, 0))"),
    "perception.bins.x_direction_index__mutmut_25": (
        "out[(a >= -45.0 - ANGLE_EPS) & (a < +22.5)] = 0",
        "[-22.5, 22.5) is overwritten by the bin 1, 3 and 2 lines that follow"),
    "perception.bins.x_direction_index__mutmut_33": (
        "out[(a >= -22.5) & (a <= 0)] = 1",
        "a == 0 is overwritten by the last line (|a| <= ANGLE_EPS is bin 2)"),
    "perception.bins.x_direction_index__mutmut_34": (
        "out[(a >= -22.5) & (a < 1)] = 1",
        "(0, 1) is overwritten by the bin 3 line, 0 by the bin 2 line"),
    "perception.bins.x_direction_index__mutmut_38": (
        "out[(a >= 0) & (a <= 22.5)] = 3",
        "a == 0 is overwritten by the last line (bin 2)"),
    "perception.bins.x_direction_index__mutmut_41": (
        "out[(a > 0) & (a <= 23.5)] = 3",
        "(22.5, 23.5] is overwritten by the bin 4 line that follows"),
    "perception.bins.x_direction_index__mutmut_53": (
        "out[np.abs(a) < ANGLE_EPS] = 2",
        "|a| == ANGLE_EPS cannot happen: near 0, a = w - 180 with w in [128, 256) is a multiple of 2**-45, 1e-6 is not"),
    "perception.bins.x_distance_index__mutmut_3": (
        "d = np.asarray(d, dtype=None)",
        "for the inputs it gets: int and float distances compare and search the same; only numeric strings differ"),
    "perception.bins.x_distance_index__mutmut_5": (
        "d = np.asarray(d, )",
        "same as mutmut_3"),
    "perception.bins.x_distance_index__mutmut_21": (
        "return np.where(d <= DIST_EPS, 0, 1 + np.searchsorted(np.asarray(DISTANCE_EDGES) + DIST_EPS, d, ))",
        "side='left' is searchsorted's default"),
    # scenes/jsonio.py
    "scenes.jsonio.x__current_umask__mutmut_3": (
        "mask = os.umask(1)",
        "os.umask returns the previous mask whatever it sets, and the next line restores it"),
    "scenes.jsonio.x_iter_jsonl__mutmut_10": (
        'with open(path, encoding="UTF-8", errors="replace") as f:',
        "codec names are case-insensitive"),
    "scenes.jsonio.x_write_text_atomic__mutmut_28": (
        'with os.fdopen(fd, "w", encoding="UTF-8") as f:',
        "codec names are case-insensitive"),
    # spacelab/evaluation/protocols.py
    "spacelab.evaluation.protocols.x__changes_from__mutmut_11": (
        'items = obj.get("changes") if isinstance(obj, dict) else obj if (isinstance(obj, list)) or True else None',
        "a non-list obj then fails the isinstance(items, list) check just as None does, with the same message"),
    "spacelab.evaluation.protocols.x_run_false_belief__mutmut_24": (
        "revisit = run_episode(env, agent, seed=seed, fresh=None)",
        "run_episode only tests `if fresh:`; None and False behave the same"),
    # spacelab/evaluation/leaderboard.py
    "spacelab.evaluation.leaderboard.x__add_gaps__mutmut_31": (
        'round(a["belief_overall"] - p["belief_overall"], 5)',
        "both beliefs are already rounded to 4 decimals, so their difference rounds to the same float at 4 or 5"),
}


def load_config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["mutmut"]


def mutmut_command() -> list[str]:
    exe = Path(sys.executable).parent / "mutmut"
    # `python -m mutmut` re-executes mutmut.__main__ and mutmut warns against it
    return [str(exe)] if exe.exists() else [shutil.which("mutmut") or "mutmut"]


def run_mutmut(args: list[str], log: Path) -> int:
    env = dict(os.environ, MUJOCO_GL=os.environ.get("MUJOCO_GL", "egl"))
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as out:
        return subprocess.run(mutmut_command() + args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                              check=False).returncode


def status_names() -> dict:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code


def load_results(modules: list[str]) -> dict[str, dict[str, str]]:
    """module path -> {mutant name: status} from mutmut's mutants/<path>.meta files."""
    status = status_names()
    out = {}
    for path in modules:
        meta = ROOT / "mutants" / (path + ".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        out[path] = {k: status[v] for k, v in codes.items()}
    return out


def mutant_diff(name: str, path: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return get_diff_for_mutant(name, path=path)
    finally:
        os.chdir(cwd)


def changed_lines(diff: str) -> str:
    """The '+' lines of a mutant's diff, stripped: what the mutant puts in the code."""
    return "\n".join(ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++"))


def check_equivalents(results: dict[str, dict[str, str]]) -> tuple[dict[str, str], list[str]]:
    """(equivalent mutant -> reason) for the entries that still match, and the stale entries.

    An entry matches its named mutant when that mutant still puts the listed line in the code;
    when an edit elsewhere in the function renumbered the mutants, the mutant of the same function
    that puts that line in is taken instead."""
    where = {name: path for path, r in results.items() for name in r}
    good, stale = {}, []
    for name, (line, reason) in EQUIVALENT.items():
        match = name if name in where and changed_lines(mutant_diff(name, where[name])) == line else None
        if match is None:
            func = name.rpartition("__mutmut_")[0] + "__mutmut_"
            match = next((n for n in where if n.startswith(func) and changed_lines(mutant_diff(n, where[n])) == line), None)
        if match is None:
            stale.append(f"{name}: no mutant of its function puts in {line!r} any more (remove or update the entry)")
        elif results[where[match]][match] in DETECTED:
            stale.append(f"{match}: listed as equivalent but killed now (remove the entry)")
        else:
            good[match] = reason
    return good, stale


def summarise(results: dict[str, dict[str, str]], equivalent: dict[str, str]) -> list[dict]:
    rows = []
    for path, r in results.items():
        c = Counter(s for name, s in r.items() if name not in equivalent)
        n_eq = sum(1 for name in r if name in equivalent)
        counted = len(r) - n_eq
        detected = sum(c[s] for s in DETECTED)
        rows.append({
            "module": path, "mutants": len(r), "killed": c["killed"], "timeout": c["timeout"], "survived": c["survived"],
            "no_tests": c["no tests"], "other": counted - detected - c["survived"] - c["no tests"],
            "equivalent": n_eq, "score": round(100.0 * detected / counted, 1) if counted else None,
            "raw_score": round(100.0 * detected / len(r), 1) if r else None,
            "not_killed": sorted(name for name, s in r.items() if s not in DETECTED and name not in equivalent),
        })
    return rows


def format_rows(rows: list[dict]) -> str:
    cols = ["module", "mutants", "killed", "timeout", "survived", "no_tests", "other", "equivalent", "raw_score", "score"]
    head = ["module", "mutants", "killed", "timeout", "survived", "no tests", "other", "equivalent", "raw %", "score %"]
    body = [[str(r[c]) if r[c] is not None else "-" for c in cols] for r in rows]
    tot = {c: sum(r[c] for r in rows) for c in cols[1:-2]}
    counted = tot["mutants"] - tot["equivalent"]
    detected = tot["killed"] + tot["timeout"]
    raw = f"{100.0 * detected / tot['mutants']:.1f}" if tot["mutants"] else "-"
    body.append(["total"] + [str(tot[c]) for c in cols[1:-2]] + [raw, f"{100.0 * detected / counted:.1f}" if counted else "-"])
    table = [head] + body
    w = [max(len(x[i]) for x in table) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w[i]) if i == 0 else v.rjust(w[i]) for i, v in enumerate(x)) for x in table]
    lines.insert(1, "  ".join("-" * x for x in w))
    lines.insert(len(lines) - 1, lines[1])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-run", action="store_true", help="only report the results already in mutants/")
    ap.add_argument("--incremental", action="store_true", help="keep mutants/ and retest only what was not killed")
    ap.add_argument("--max-children", type=int, default=None, help="parallel mutmut workers (default: CPU count)")
    ap.add_argument("--min-score", type=float, default=90.0, help="lowest acceptable score per module, in %%")
    ap.add_argument("--json", default="mutation.json", help="where to write the results (relative to the repo root)")
    ap.add_argument("--show", choices=["survived", "all-not-killed", "equivalent"], help="print the diff of these mutants")
    a = ap.parse_args(argv)

    cfg = load_config()
    modules = list(cfg["only_mutate"])
    log = ROOT / "mutants" / "mutation-run.log"
    start = time.monotonic()
    rc = 0
    if not a.no_run:
        extra = ["--max-children", str(a.max_children)] if a.max_children else []
        if not a.incremental:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        print(f"mutmut run on {len(modules)} modules (log: {log.relative_to(ROOT)}) ...", flush=True)
        rc = run_mutmut(["run"] + extra, log)
        if rc == 0 and a.incremental:
            retest = [n for r in load_results(modules).values() for n, s in r.items() if s not in DETECTED]
            if retest:
                print(f"retesting {len(retest)} mutants that were not killed ...", flush=True)
                rc = run_mutmut(["run"] + extra + retest, log)
        if rc != 0:
            tail = log.read_text(errors="replace").replace("\r", "\n").splitlines()[-40:] if log.exists() else []
            print("\n".join(tail))
            print(f"mutmut failed (exit {rc}); see {log}")
            return 2
    elapsed = time.monotonic() - start

    results = load_results(modules)
    if not any(results.values()):
        print("no mutation results in mutants/: run without --no-run first")
        return 2
    equivalent, stale = check_equivalents(results)
    rows = summarise(results, equivalent)
    print(format_rows(rows))
    if not a.no_run:
        print(f"\nwall time: {elapsed / 60:.1f} min")
    for s in stale:
        print(f"stale EQUIVALENT entry (not excluded): {s}")

    if a.show:
        names = {"survived": [n for p, r in results.items() for n, s in r.items() if s == "survived" and n not in equivalent],
                 "all-not-killed": [n for row in rows for n in row["not_killed"]],
                 "equivalent": list(equivalent)}[a.show]
        where = {n: p for p, r in results.items() for n in r}
        for n in names:
            print(f"\n# {n}: {results[where[n]][n]}" + (f" (equivalent: {equivalent[n]})" if n in equivalent else ""))
            print(mutant_diff(n, where[n]))

    # exact scores, not the rounded ones shown; a configured module without mutants is a wrong path
    low = [r for r in rows if r["mutants"] == 0
           or 100.0 * (r["killed"] + r["timeout"]) < a.min_score * (r["mutants"] - r["equivalent"])]
    report = {
        "min_score": a.min_score, "ok": not low, "wall_time_s": None if a.no_run else round(elapsed, 1),
        "modules": rows, "equivalent": equivalent, "stale_equivalent_entries": stale,
    }
    (ROOT / a.json).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"wrote {a.json}")
    for r in low:
        if r["mutants"] == 0:
            print(f"FAIL {r['module']}: no mutants (is the path in only_mutate right?)")
        else:
            print(f"FAIL {r['module']}: {r['score']} % < {a.min_score} % ({len(r['not_killed'])} mutants not killed)")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
