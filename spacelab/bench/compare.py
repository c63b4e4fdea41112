"""`spacelab bench --compare OLD.json`: every figure of a run beside an earlier run's, with the ratio.

Figures are the numeric leaves of the two bench.json files, named by their path
("perception.cameras.raycast_128"); the ratio is new / old, so > 1 means a bigger number
now (faster for rates, slower for times such as `*_ms_*` and `seconds*`). A figure only one
run has is listed with a dash on the other side.

Example:
    >>> rows = compare_results({"a": 2.0, "b": {"c": 1}}, {"a": 3.0, "b": {"c": 1}})
    >>> [(r[0], r[3]) for r in rows]
    [('a', 1.5), ('b.c', 1.0)]
"""

from __future__ import annotations

import json
import sys


def figures(result: dict, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a bench result, by dotted path (booleans and strings left out)."""
    out: dict[str, float] = {}
    for k, v in result.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= figures(v, name + ".")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[name] = float(v)
    return out


def compare_results(old: dict, new: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(figure, old, new, new / old) for every figure of either run, in the new run's order."""
    a, b = figures(old), figures(new)
    names = list(b) + [k for k in a if k not in b]
    return [(k, a.get(k), b.get(k), round(b[k] / a[k], 3) if k in a and k in b and a[k] else None) for k in names]


def format_comparison(rows, old_name: str = "old", new_name: str = "new") -> str:
    w = max([len(r[0]) for r in rows] + [6])

    def num(v):
        return "-" if v is None else f"{v:g}"

    lines = [f"{'figure'.ljust(w)}  {old_name[:14]:>14}  {new_name[:14]:>14}  {'new/old':>8}"]
    for k, o, n, ratio in rows:
        lines.append(f"{k.ljust(w)}  {num(o):>14}  {num(n):>14}  {num(ratio):>8}")
    return "\n".join(lines)


def compare_files(old_path: str, new_path: str) -> str:
    with open(old_path) as f:
        old = json.load(f)
    with open(new_path) as f:
        new = json.load(f)
    return format_comparison(compare_results(old, new), old_path, new_path)


if __name__ == "__main__":  # python -m spacelab.bench.compare OLD.json NEW.json
    if len(sys.argv) != 3:
        sys.exit("usage: python -m spacelab.bench.compare OLD.json NEW.json")
    print(compare_files(sys.argv[1], sys.argv[2]))
