"""Top-down picture of a house-task episode: the house (rooms, walls, doors, furniture), the
robot's path, the containers it opened (orange; hatched when empty) and the items it moved
(an arrow from where it picked each one to where it placed it).

Example:
    >>> import tempfile, os
    >>> from scenes.house import load_house
    >>> rec = {"agent": "oracle-planner", "task": "fetch", "success": True, "skill_calls": 2,
    ...        "path": [[2.5, 2.5], [9.5, -3.5]], "containers_opened": [],
    ...        "items_moved": [{"item": "duck_0", "from": "table_0", "to": "counter_0"}]}
    >>> out = os.path.join(tempfile.mkdtemp(), "ep.png")
    >>> render_house_episode(load_house("house-3room", 0), rec, out)
    >>> os.path.getsize(out) > 10_000
    True
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import patches  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from scenes.house import HouseSpec  # noqa: E402
from spacelab.figures.topdown import draw_topdown  # noqa: E402


def _centres(house: HouseSpec) -> dict[str, tuple[float, float]]:
    out = {}
    for f in house.furniture:
        out[f.name] = f.position
        for c in f.containers:
            out[c] = f.position
    return out


def render_house_episode(house: HouseSpec, record: dict, out_path: str, dpi: int = 120) -> None:
    """Write the PNG of one house-task record (`spacelab.evaluation.house_episode`)."""
    xmin, ymin, xmax, ymax = house.scene.bounds
    fig, ax = plt.subplots(figsize=(max(4, (xmax - xmin) * 0.6), max(4, (ymax - ymin) * 0.6)))
    draw_topdown(ax, house.scene)
    centre = _centres(house)
    path = record.get("path") or []
    if path:
        ax.plot([p[0] for p in path], [p[1] for p in path], "-o", color="#1d3557", lw=1.6, ms=3, zorder=7)
    for k, o in enumerate(record.get("containers_opened") or []):
        c = centre.get(o.get("container"))
        if c is None:
            continue
        empty = not o.get("items")
        ax.add_patch(patches.Circle(c, 0.42 + 0.08 * k, fill=False, ec="#f4a261", lw=2.2, zorder=8,
                                    hatch="//" if empty else None))
    for m in record.get("items_moved") or []:
        a, b = centre.get(m.get("from")), centre.get(m.get("to"))
        if a is None or b is None:
            continue
        ax.annotate("", xy=b, xytext=a, zorder=9,
                    arrowprops={"arrowstyle": "-|>", "color": "#e63946", "lw": 2.0, "connectionstyle": "arc3,rad=0.15"})
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, m.get("item", ""), color="#e63946", fontsize=7, zorder=10,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 0.5})
    ok = "success" if record.get("success") else "failed"
    ax.set_title(f"{house.suite} #{house.seed}: {record.get('agent')} on {record.get('task')}, {ok}, "
                 f"{record.get('skill_calls')} skill calls, {record.get('replans', 0)} replans", fontsize=9)
    handles = [Line2D([], [], color="#1d3557", marker="o", ms=3, lw=1.6, label="robot path (after each skill)"),
               patches.Patch(fill=False, ec="#f4a261", lw=2, label="container opened"),
               patches.Patch(fill=False, ec="#f4a261", lw=2, hatch="//", label="opened, empty"),
               Line2D([], [], color="#e63946", lw=2, label="item moved (picked -> placed)")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(out_path, dpi=dpi)
    plt.close(fig)


__all__ = ["render_house_episode"]
