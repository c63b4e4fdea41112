"""A picture of one episode from the robot's eyes: `spacelab render-episode`.

The episode is played again (same seed, same agent: deterministic) with RGB-D frames
rendered at every Observe. The figure shows up to six egocentric frames with their depth,
the map fused from all frames (occupancy grid in the start frame: the mapper's own, or one
built from the true poses for other agents), and the final believed layout over the true
one. With `video=`, every frame also goes into an mp4 (imageio-ffmpeg).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from perception.mapping import FREE, OCCUPIED, OccupancyGrid  # noqa: E402
from planners.agents import make_agent  # noqa: E402
from scenes.frames import to_start_frame  # noqa: E402
from scenes.suites import load_suite_scene  # noqa: E402
from sim.actions import DEFAULT_MAX_STEPS  # noqa: E402
from sim.backends import BackendError  # noqa: E402
from sim.env import ExplorationEnv  # noqa: E402
from spacelab.evaluation.episode import run_episode  # noqa: E402
from spacelab.figures.topdown import draw_topdown  # noqa: E402


class _Recorder:
    """Wraps an agent: passes everything through and keeps the frames it was shown."""

    def __init__(self, agent) -> None:
        self.agent, self.frames, self.grid = agent, [], OccupancyGrid()

    def __getattr__(self, name):
        return getattr(self.agent, name)

    def observe(self, observation, info):
        f = info.get("frame")
        if f is not None and info.get("final") == "Observe":
            pose = info["pose"]
            self.frames.append((info["step"], f))
            self.grid.integrate(f.depth, f.intrinsics, tuple(pose["position"]), float(pose["heading"]))
        self.agent.observe(observation, info)

    def act(self, observation, info):
        return self.agent.act(observation, info)

    def reset(self, seed=0, max_steps=DEFAULT_MAX_STEPS):
        self.agent.reset(seed, max_steps)


def occupancy_in_world(occ: OccupancyGrid, spec, res: float = 0.05) -> np.ndarray:
    """RGB image of an occupancy grid (kept in the start frame) resampled onto the world grid
    of the scene's bounds, rows south to north: it lines up with `draw_topdown`."""
    xmin, ymin, xmax, ymax = spec.bounds
    xs, ys = np.arange(xmin, xmax, res) + res / 2, np.arange(ymin, ymax, res) + res / 2
    world = np.stack(np.meshgrid(xs, ys), axis=-1)
    ij = occ.to_cell(to_start_frame(world, spec.start_position, spec.start_heading))
    cells = occ.grid[ij[..., 1], ij[..., 0]]
    img = np.full(cells.shape + (3,), 0.55)
    img[cells == FREE] = 0.97
    img[cells == OCCUPIED] = 0.1
    return img


def render_episode(suite: str, index: int, agent: str, out: str, seed: int | None = None, video: str | None = None) -> dict:
    spec = load_suite_scene(suite, index)
    rec_agent = _Recorder(make_agent(agent))
    env = ExplorationEnv(spec, obs_mode="rgbd")
    record = run_episode(env, rec_agent, seed=index if seed is None else seed)
    record["agent"] = agent
    frames = rec_agent.frames
    shown = frames[:: max(1, len(frames) // 6)][:6]
    fig = plt.figure(figsize=(18, 9))
    grid = fig.add_gridspec(3, 6, height_ratios=[1, 1, 2.2])
    # one depth scale for every panel, so that equal colours mean equal distances
    finite = [f.depth[np.isfinite(f.depth)] for _, f in shown]
    depth_max = max((float(d.max()) for d in finite if d.size), default=1.0)
    depth_im = None
    for k, (step, f) in enumerate(shown):
        ax = fig.add_subplot(grid[0, k])
        ax.imshow(f.rgb)
        ax.set_title(f"turn {step}", fontsize=8)
        ax.axis("off")
        ax = fig.add_subplot(grid[1, k])
        depth_im = ax.imshow(np.where(np.isfinite(f.depth), f.depth, np.nan), cmap="viridis", vmin=0.0, vmax=depth_max)
        ax.axis("off")
    if depth_im is not None:
        fig.colorbar(depth_im, ax=fig.axes[-1], fraction=0.046, pad=0.02, label="depth (m)")
    agent_grid = getattr(rec_agent.agent, "grid", None)  # the mapper's own map, when it keeps one
    occ = agent_grid if isinstance(agent_grid, OccupancyGrid) else rec_agent.grid
    ax = fig.add_subplot(grid[2, :3])
    xmin, ymin, xmax, ymax = spec.bounds
    ax.imshow(occupancy_in_world(occ, spec), origin="lower", extent=(xmin, xmax, ymin, ymax))
    ax.set_xlim(xmin - 0.5, xmax + 0.5)
    ax.set_ylim(ymin - 0.5, ymax + 0.5)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m, east)")
    ax.set_ylabel("y (m, north)")
    ax.set_title("fused occupancy map, in the frame of the plan beside it\n(white free, black occupied, grey unknown)",
                 fontsize=9)
    ax = fig.add_subplot(grid[2, 3:])
    draw_topdown(ax, spec, episode=record, belief=record.get("final_map"))
    fig.suptitle(f"{suite} #{index} — {agent}: belief {record['belief']['final']['overall']:.3f}, "
                 f"coverage {record['coverage']:.2f}", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    if video:
        try:
            import imageio.v2 as imageio
        except ImportError:
            raise BackendError("an mp4 needs imageio and imageio-ffmpeg: pip install 'spacelab[video]'") from None
        with imageio.get_writer(video, fps=2, macro_block_size=1) as w:
            for _, f in frames:
                w.append_data(np.repeat(np.repeat(f.rgb, 2, axis=0), 2, axis=1))
    return record
