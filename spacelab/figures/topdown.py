"""Top-down pictures of scenes and episodes (matplotlib, headless).

Rooms are shaded, walls drawn from the same segments the physics compiler uses, doors
marked in their openings, objects drawn to scale in their category colour with an arrow
for their facing, the start pose as a triangle, and an episode's trajectory on top.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import patches  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from scenes.catalog import CATALOG  # noqa: E402
from scenes.frames import FACINGS, from_start_frame, heading_to_vec  # noqa: E402
from scenes.jsonio import read_jsonl  # noqa: E402
from scenes.spec import SceneError, SceneSpec  # noqa: E402
from sim.compile_mujoco import wall_segments  # noqa: E402


def find_episode(path: str, spec: SceneSpec, agent: str | None = None) -> dict:
    """The record in an episodes.jsonl that matches this scene (and agent)."""
    for r in read_jsonl(path):
        if r.get("suite") == spec.suite and r.get("index") == spec.seed and (agent is None or r.get("agent") == agent):
            if r.get("error") is None:
                return r
    who = f" for agent {agent!r}" if agent else ""
    raise SceneError(f"no finished episode of {spec.suite or 'this scene'} #{spec.seed}{who} in {path}")


def render_topdown(spec: SceneSpec, out_path: str, episode: dict | None = None, dpi: int = 120,
                   belief: dict | None = None) -> None:
    """Top-down PNG. `belief`: a cognitive map (start frame) drawn as hollow markers with a
    line from each believed position to the true one."""
    xmin, ymin, xmax, ymax = spec.bounds
    fig, ax = plt.subplots(figsize=(max(4, (xmax - xmin) * 0.6), max(4, (ymax - ymin) * 0.6)))
    draw_topdown(ax, spec, episode, belief)
    fig.tight_layout()
    fig.savefig(out_path, dpi=dpi)
    plt.close(fig)


def draw_topdown(ax, spec: SceneSpec, episode: dict | None = None, belief: dict | None = None) -> None:
    """Draw the scene (and an episode's path, and a believed map) on a matplotlib axis."""
    xmin, ymin, xmax, ymax = spec.bounds
    for r in spec.rooms:
        ax.add_patch(patches.Rectangle((r.x0, r.y0), r.width, r.height, color="#f3efe6", zorder=0))
        ax.text(r.x0 + 0.15, r.y0 + r.height - 0.35, f"room {r.id}", fontsize=7, color="#888")
    for x0, y0, x1, y1 in wall_segments(spec):
        ax.plot([x0, x1], [y0, y1], color="#333", lw=3, solid_capstyle="butt", zorder=2)
    for d in spec.doors:
        x, y = d.position
        dx, dy = (0.5, 0) if d.axis == "x" else (0, 0.5)
        ax.plot([x - dx, x + dx], [y - dy, y + dy], color="#2a9d8f" if d.open else "#8b4513", lw=3, zorder=3)
        ax.text(x, y, d.name, fontsize=6, ha="center", va="bottom", color="#2a9d8f", zorder=6)
    for o in spec.objects:
        cat = CATALOG.get(o.category)
        color = cat.rgba[:3] if cat else (0.5, 0.5, 0.5)
        w, dpt = o.size[0], o.size[1]
        if cat is not None and cat.shape == "cylinder":
            ax.add_patch(patches.Circle(o.position, w / 2, color=color, zorder=4))
        else:
            # Footprint: width across the facing, depth along it.
            horiz = o.heading % 180 == 90
            sx, sy = (dpt, w) if horiz else (w, dpt)
            ax.add_patch(patches.Rectangle((o.position[0] - sx / 2, o.position[1] - sy / 2), sx, sy, color=color, zorder=4))
        # the name goes behind the object (opposite its facing arrow), on a light patch, so no arrow crosses it
        label_dir = -heading_to_vec(o.heading) if o.has_facing else np.array([0.0, -1.0])
        if o.has_facing:
            v = heading_to_vec(o.heading) * 0.6
            ax.arrow(o.position[0], o.position[1], v[0], v[1], width=0.04, head_width=0.18, color="black", zorder=5)
        lx, ly = np.asarray(o.position) + 0.55 * label_dir
        ax.text(lx, ly, o.name, fontsize=6, ha="center", va="center", zorder=6,
                bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.6})
    _pose_marker(ax, spec.start_position, spec.start_heading, "#e63946", "start")
    if episode is not None and episode.get("trajectory"):
        traj = episode["trajectory"]
        ax.plot([p[0] for p in traj], [p[1] for p in traj], "-o", color="#1d3557", lw=1.5, ms=3, zorder=7)
        _pose_marker(ax, traj[-1][:2], traj[-1][2], "#1d3557", "end")
        title = (f"{spec.suite} #{spec.seed} — {episode.get('agent')}: {episode.get('steps')} turns, "
                 f"coverage {episode.get('coverage', 0):.2f}")
    else:
        title = f"{spec.suite or 'scene'} #{spec.seed}"
    if belief:
        _draw_belief(ax, spec, belief)
        title += " — hollow: believed"
    ax.set_title(title, fontsize=9)
    _legend(ax, episode is not None and bool(episode.get("trajectory")), bool(belief))
    ax.set_xlim(xmin - 0.5, xmax + 0.5)
    ax.set_ylim(ymin - 0.5, ymax + 0.5)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m, east)")
    ax.set_ylabel("y (m, north)")


def _draw_belief(ax, spec: SceneSpec, belief: dict) -> None:
    truth = {o.name: o.position for o in spec.objects} | {d.name: d.position for d in spec.doors}
    for name, e in belief.items():
        pos = e.get("position") if isinstance(e, dict) else None
        if name == "agent" or not pos or name not in truth:
            continue
        w = from_start_frame(pos, spec.start_position, spec.start_heading)
        ax.plot([w[0], truth[name][0]], [w[1], truth[name][1]], color="#e76f51", lw=0.8, zorder=8)
        ax.add_patch(patches.Circle(w, 0.22, fill=False, ec="#e76f51", lw=1.5, zorder=9))
        if e.get("facing") in FACINGS:
            v = heading_to_vec(FACINGS.index(e["facing"]) * 90.0 + spec.start_heading) * 0.35
            ax.plot([w[0], w[0] + v[0]], [w[1], w[1] + v[1]], color="#e76f51", lw=1.2, zorder=9)


def _legend(ax, trajectory: bool, belief: bool) -> None:
    items = [Line2D([], [], color="#333", lw=3, label="wall"), Line2D([], [], color="#2a9d8f", lw=3, label="open door"),
             Line2D([], [], color="#8b4513", lw=3, label="closed door"),
             Line2D([], [], color="black", marker=">", lw=1, label="object facing"),
             Line2D([], [], color="#e63946", marker="^", ls="none", label="start pose")]
    if trajectory:
        items.append(Line2D([], [], color="#1d3557", marker="o", ms=3, lw=1.5, label="driven path, end pose"))
    if belief:
        items.append(Line2D([], [], color="#e76f51", marker="o", mfc="none", lw=0.8, label="believed position -> truth"))
    ax.legend(handles=items, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6, frameon=False)


def _pose_marker(ax, xy, heading, color, label):
    v = heading_to_vec(heading)
    n = [-v[1], v[0]]
    tip = (xy[0] + 0.4 * v[0], xy[1] + 0.4 * v[1])
    left = (xy[0] - 0.25 * v[0] + 0.22 * n[0], xy[1] - 0.25 * v[1] + 0.22 * n[1])
    right = (xy[0] - 0.25 * v[0] - 0.22 * n[0], xy[1] - 0.25 * v[1] - 0.22 * n[1])
    ax.add_patch(patches.Polygon([tip, left, right], color=color, zorder=8))
    ax.text(xy[0], xy[1] + 0.45, label, fontsize=6, color=color, ha="center", zorder=8)
