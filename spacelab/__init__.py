"""spacelab: physics scenes for partially observable exploration and manipulation, agents
probed for their cognitive maps, and batch evaluation. This is the public API.

The library's layers (see the README's ARCHITECTURE section) stay importable on their own;
these few names cover what most users need, and import the layers only when called.

Example:
    >>> import spacelab
    >>> env = spacelab.make_env("tos-2room", 0)
    >>> record = spacelab.run_episode(env, spacelab.make_agent("scout"), seed=0)
    >>> record["coverage"], record["belief"]["final"]["overall"]
    (1.0, 1.0)
    >>> spacelab.load_scene("table-pick", 0).suite
    'table-pick'
"""

from __future__ import annotations

__version__ = "0.1.0"


def load_scene(suite: str, index: int = 0):
    """Scene `index` of a named suite: an exploration house (SceneSpec) or a tabletop (TableSpec)."""
    from scenes.suites import SUITES, TABLE_SUITES, load_suite_scene, load_table_scene

    if suite in TABLE_SUITES and suite not in SUITES:
        return load_table_scene(suite, index)
    return load_suite_scene(suite, index)


def make_env(scene: str | object | None = None, index: int = 0, **kwargs):
    """The exploration env (gymnasium API; also `gymnasium.make("spacelab/Explore-v0")` after
    `import sim.gym_envs`) on a suite scene or a SceneSpec; `kwargs` go to `sim.env.ExplorationEnv`
    (backend=, max_steps=, view=, obs_mode=, ...)."""
    from sim.gym_envs import make_exploration_env

    if scene is None or isinstance(scene, str):  # None: the default suite
        return make_exploration_env(**({} if scene is None else {"suite": scene}), index=index, **kwargs)
    return make_exploration_env(scene=scene, **kwargs)


def make_world(scene: str | object | None = None, index: int = 0, **kwargs):
    """A tabletop manipulation world (symbolic state, skills, tasks); `scene` is a table suite
    name (default: the default table suite) or a TableSpec; `kwargs` (backend=, robot=, ...) go
    to `sim.manip.world.make_world`."""
    from scenes.suites import DEFAULT_TABLE_SUITE
    from sim.manip.world import make_world as _make_world

    if scene is None or isinstance(scene, str):
        scene = load_scene(scene or DEFAULT_TABLE_SUITE, index)
    return _make_world(scene, **kwargs)


def make_agent(name: str, options: dict | None = None):
    """An exploration agent by registered name ("scout", "noisy-oracle@0.5", "llm", ...)."""
    from planners.agents import make_agent as _make_agent

    return _make_agent(name, options)


def register_agent(name: str, entry_point, doc: str = "") -> None:
    """Make an agent available by name everywhere (CLI, eval, servers): one line per agent."""
    from planners.agents import register_agent as _register_agent

    _register_agent(name, entry_point, doc)


def run_episode(env, agent, seed: int = 0) -> dict:
    """Play one probed episode in-process; returns its record (see the README's results format)."""
    from spacelab.evaluation.episode import run_episode as _run_episode

    return _run_episode(env, agent, seed=seed)


def score_map(pred, truth) -> dict:
    """Belief metrics (pos, dir, facing, overall) of a cognitive map against the truth; each
    may be a CognitiveMap, its dict or JSON text (an unreadable prediction scores as empty).

    >>> truth = {"chair": {"position": [1, 2], "facing": "north"}}
    >>> score_map(truth, truth)["overall"]
    1.0
    """
    from perception.belief import score_map as _score_map
    from perception.cogmap import parse_map

    return _score_map(parse_map(pred)[0], parse_map(truth)[0])


def evaluate(out_dir: str, **config) -> dict:
    """Run (or resume) an evaluation into `out_dir`, as `spacelab eval` does; `config` sets
    `EvalConfig` fields (suite=, agents=, protocols=, n_scenes=, launcher=, ...)."""
    from spacelab.evaluation.evaluate import EvalConfig, run_eval

    return run_eval(EvalConfig(**config), out_dir, progress=False)


__all__ = ["evaluate", "load_scene", "make_agent", "make_env", "make_world", "register_agent", "run_episode", "score_map"]
