"""House planners: agents that play house tasks (fetch, stow, find, rearrange) with skills.

- `base`: the `HouseAgent` interface and `run_task`, the loop (`spacelab.evaluation.house_episode` measures it);
- `search`: A* over the symbolic house state (primitives and composites);
- `library`: composites, validated on the symbolic twin before the search may use them;
- `belief_planner`: the belief-space planner (`oracle-planner`, `belief-planner`, `perception-planner`);
- `llm_planner` and `prompts`: a language model picks the next skill (`llm-planner`).
"""
