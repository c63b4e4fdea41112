"""One progress bar across a whole `spacelab eval -m` sweep, and sweep.json for `spacelab status`.

Before Hydra runs the first job, the sweep's overrides are expanded the way Hydra's basic
sweeper does (the cartesian product of every `key=a,b,c`), each job's config is composed and its
episodes are counted. The bar's total is their sum; each run advances it by its episodes,
resumed ones included. When the sweep cannot be planned (an unusual sweeper or override), each
run shows its own bar as without -m.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any, Callable

from scenes.jsonio import write_json_atomic
from spacelab.evaluation.evaluate import EvalConfig, make_jobs
from spacelab.evaluation.status import SWEEP

MULTIRUN = ("-m", "--multirun")


def expand(overrides: list[str]) -> list[list[str]] | None:
    """Each job's overrides, in Hydra's job order; None for sweeps that are not lists of values."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    choices: dict[str, list[str]] = {}
    for o in OverridesParser.create().parse_overrides(overrides):
        key = o.get_key_element()
        if not o.is_sweep_override():
            choices[key] = [f"{key}={o.get_value_element_as_str()}"]
        elif o.is_discrete_sweep():
            choices[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
        else:
            return None
    return [list(job) for job in itertools.product(*choices.values())]


def plan_sweep(argv: list[str], to_config: Callable[[dict], EvalConfig]) -> list[int] | None:
    """Episodes of each job of `spacelab eval -m ARGV`, or None when the sweep cannot be planned."""
    overrides = [a for a in argv if a not in MULTIRUN]
    if any(a.startswith("-") for a in overrides):
        return None
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    try:
        jobs = expand(overrides)
        if jobs is None:
            return None
        counts = []
        with initialize_config_module("spacelab.conf", version_base=None):
            for job in jobs:
                own = [o for o in job if not o.lstrip("+~").startswith(("hydra.", "hydra/"))]
                cfg = OmegaConf.to_container(compose("eval", overrides=own), resolve=True)
                counts.append(len(make_jobs(to_config(cfg))))
        return counts
    except Exception:  # the job itself reports a bad override, with Hydra's own words
        return None


@dataclass
class SweepProgress:
    counts: list[int]
    bar: Any = None

    def start(self, sweep_dir: str, progress: bool):
        """The shared bar (None without progress); writes sweep.json on the first call."""
        path = os.path.join(sweep_dir, SWEEP)
        if not os.path.exists(path):
            write_json_atomic(path, {"jobs": [{"subdir": str(i), "episodes": n} for i, n in enumerate(self.counts)]})
        if self.bar is None and progress:
            from tqdm import tqdm

            self.bar = tqdm(total=sum(self.counts), desc=f"sweep of {len(self.counts)} runs", unit="ep")
        return self.bar

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
