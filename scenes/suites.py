"""Fixed, named scene suites: exploration houses (`SUITES`) and tabletops (`TABLE_SUITES`).

Scene i of a suite is generated from seed i, so a suite name and an index name one scene
on every machine and backend. A new suite is one `register_suite` line.

Example:
    >>> load_suite_scene("tos-2room", 5).seed
    5
    >>> len(load_table_scene("table-pick", 0).blocks)
    2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from scenes.generate import generate_scene
from scenes.keep import Kept
from scenes.registry import Registry
from scenes.spec import SceneError, SceneSpec
from scenes.tabletop import TableSpec, generate_table


@dataclass(frozen=True)
class Suite:
    """Scene i is ``generate(seed=i, suite=name, **params)`` for i in 0..size-1."""

    name: str
    generate: Callable[..., Any]
    params: dict = field(default_factory=dict)
    size: int = 100
    profile: str = "spacelab"  # how evaluations word observations and score maps by default: "tos" or "spacelab"

    def scene(self, index: int):
        """Scene `index`, generated once per process: scene i is a function of the generator, its
        parameters and i, and specs are frozen, so every caller can share it (a spec that is not
        hashable, hence not frozen, or parameters that are not, get a fresh generation each time;
        Kept builds without keeping for a key it cannot hash)."""
        if not 0 <= index < self.size:
            raise SceneError(f"index {index} is out of range for suite {self.name!r} (0..{self.size - 1})")

        def generate():
            spec = self.generate(seed=index, suite=self.name, **self.params)
            try:
                hash(spec)
            except TypeError:  # not frozen: not kept, and handed to this caller alone
                raise _NotFrozen(spec) from None
            return spec

        try:
            return _SCENES.get((self.name, self.generate, tuple(sorted(self.params.items())), index), generate)
        except _NotFrozen as e:
            return e.spec


class _NotFrozen(Exception):
    def __init__(self, spec: Any) -> None:
        super().__init__("scene spec is not hashable")
        self.spec = spec


_SCENES = Kept(1024)  # (suite name, generator, parameters, index) -> the scene


DEFAULT_SUITE = "tos-3room"  # the Theory-of-Space default: 3 rooms
DEFAULT_TABLE_SUITE = "table-pick"
SUITES = Registry("suite", error=SceneError)
TABLE_SUITES = Registry("table suite", error=SceneError)


def register_suite(name: str, generate: Callable[..., Any], size: int = 100, doc: str = "", table: bool = False,
                   profile: str = "spacelab", **params: Any) -> None:
    """Register a suite: exploration by default, a tabletop with table=True; `profile` is the
    evaluation profile its episodes use unless a run says otherwise."""
    (TABLE_SUITES if table else SUITES).register(name, Suite(name, generate, params, size, profile), doc=doc)


for _n in (2, 3, 4):
    register_suite(f"tos-{_n}room", generate_scene, n_rooms=_n, room_size=6, objects_per_room=4, profile="tos",
                   doc=f"{_n} rooms of 6 m x 6 m, 4 objects per room (Theory of Space layout; tos profile)")
register_suite("table-pick", generate_table, table=True, n_blocks=2, containers=1, doc="2 blocks and a bowl")
register_suite("table-stack", generate_table, table=True, n_blocks=4, containers=0, doc="4 blocks to stack")
register_suite("table-clutter", generate_table, table=True, n_blocks=6, containers=1, clutter=0.8,
               doc="6 blocks packed close, and a bowl")
register_suite("kitchen-drawer", generate_table, table=True, n_blocks=2, containers=1, drawer=True, hidden=1,
               doc="a cabinet whose sliding drawer hides a block")


def get_suite(name: str) -> Suite:
    return SUITES.load(name)


def profile_of(suite: str, profile: str = "") -> str:
    """The profile an episode of `suite` runs under: `profile` when given, else the suite's own."""
    return profile or get_suite(suite).profile


def load_suite_scene(suite: str, index: int) -> SceneSpec:
    return SUITES.load(suite).scene(index)


def load_table_scene(suite: str, index: int) -> TableSpec:
    return TABLE_SUITES.load(suite).scene(index)


def _register_houses() -> None:
    from scenes.house import house_scene

    for n in (2, 3, 4):
        register_suite(f"house-{n}room", house_scene, n_rooms=n,
                       doc=f"{n}-room house with manipulation furniture (drawers, hinged cupboard, shelves) and items "
                           "(`scenes.house.load_house` gives the full HouseSpec)")


_register_houses()
