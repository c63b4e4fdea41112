"""Registers spacelab's environments with gymnasium, so `gymnasium.make` can build them by name.

    spacelab/Explore-v0          ExplorationEnv on a scene of a suite (text actions and observations)
    spacelab/TabletopControl-v0  ManipEnv on a table scene (continuous TCP displacement + grip)
    spacelab/HouseControl-v0     HouseEnv: the mobile Panda in a house (arm joint or end-effector
                                 deltas, base deltas, grip; `control="joint"` or `"ee"`)

A scene is named by its suite and index (`suite=`, `index=`) or passed whole (`scene=`); every
other keyword goes to the env. Importing this module registers them (again harmlessly):

    >>> import gymnasium as gym
    >>> import sim.gym_envs
    >>> env = gym.make("spacelab/Explore-v0", suite="tos-3room", index=0)
    >>> obs, info = env.reset(seed=0)

Without importing spacelab first, gymnasium's "module:id" form imports this module itself:
`gym.make("sim.gym_envs:spacelab/Explore-v0")`. (gymnasium >= 1.0 no longer loads plugins from
the "gymnasium.envs" package entry point group, so there is no import-free registration.)
"""

from __future__ import annotations

import gymnasium as gym

from scenes.spec import SceneSpec
from scenes.suites import DEFAULT_SUITE, DEFAULT_TABLE_SUITE, load_suite_scene, load_table_scene
from scenes.tabletop import TableSpec
from sim.env import ExplorationEnv
from sim.manip.env import ManipEnv
from sim.manip.house_env import DEFAULT_HOUSE_SUITE, HouseEnv

EXPLORE_ID = "spacelab/Explore-v0"
TABLETOP_ID = "spacelab/TabletopControl-v0"
HOUSE_ID = "spacelab/HouseControl-v0"


def make_exploration_env(suite: str = DEFAULT_SUITE, index: int = 0, scene: SceneSpec | None = None,
                         **kwargs) -> ExplorationEnv:
    """ExplorationEnv on `scene`, or else on scene `index` of `suite`; kwargs go to ExplorationEnv."""
    return ExplorationEnv(load_suite_scene(suite, index) if scene is None else scene, **kwargs)


def make_tabletop_env(suite: str = DEFAULT_TABLE_SUITE, index: int = 0, spec: TableSpec | None = None,
                      **kwargs) -> ManipEnv:
    """ManipEnv on `spec`, or else on table scene `index` of `suite`; kwargs go to ManipEnv."""
    return ManipEnv(load_table_scene(suite, index) if spec is None else spec, **kwargs)


def make_house_env(suite: str = DEFAULT_HOUSE_SUITE, index: int = 0, **kwargs) -> HouseEnv:
    """HouseEnv on house `index` of `suite` (or `house=` a HouseSpec); kwargs go to HouseEnv."""
    return HouseEnv(suite, index, **kwargs)


# gymnasium.make reads a creator's metadata to choose render wrappers ("human", "rgb_array_list")
make_exploration_env.metadata = ExplorationEnv.metadata
make_tabletop_env.metadata = ManipEnv.metadata
make_house_env.metadata = HouseEnv.metadata

# All envs truncate by themselves (max_steps), so no TimeLimit wrapper (max_episode_steps) is added.
_SPECS = {
    EXPLORE_ID: f"{__name__}:make_exploration_env",
    TABLETOP_ID: f"{__name__}:make_tabletop_env",
    HOUSE_ID: f"{__name__}:make_house_env",
}


def register_envs() -> list[str]:
    """Register the spacelab envs with gymnasium (a no-op for ids already registered); returns the ids."""
    for env_id, entry_point in _SPECS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)
    return list(_SPECS)


register_envs()

__all__ = ["EXPLORE_ID", "HOUSE_ID", "TABLETOP_ID", "make_exploration_env", "make_house_env", "make_tabletop_env",
           "register_envs"]
