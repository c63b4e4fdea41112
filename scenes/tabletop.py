"""Tabletop and kitchen manipulation scenes as plain data, seeded.

A TableSpec holds a table, blocks (free bodies), containers (open trays), and optionally
a cabinet with a sliding drawer that may hide blocks at the start. Difficulty scales with
the number of blocks and with clutter (how close they are placed).

Example:
    >>> spec = generate_table(seed=0, n_blocks=3, drawer=True, hidden=1)
    >>> TableSpec.from_json(spec.to_json()) == spec
    True
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import numpy as np

from scenes.spec import SceneError, parse_json

TABLE_TOP = 0.40  # m
TABLE_HALF = (0.45, 0.35)  # half extents x, y
BLOCK_HALF = 0.025  # 5 cm cubes
BLOCK_COLOURS = [(0.85, 0.15, 0.15), (0.15, 0.55, 0.85), (0.2, 0.7, 0.25), (0.95, 0.8, 0.15), (0.6, 0.3, 0.75),
                 (0.95, 0.5, 0.1), (0.4, 0.4, 0.4), (0.1, 0.75, 0.75)]


@dataclass(frozen=True)
class Block:
    name: str
    position: tuple[float, float]  # on the table (or in the drawer, see `in_drawer`)
    yaw: float = 0.0  # degrees
    rgb: tuple[float, float, float] = (0.8, 0.2, 0.2)
    in_drawer: bool = False


@dataclass(frozen=True)
class Container:
    name: str
    position: tuple[float, float]
    half: tuple[float, float] = (0.07, 0.07)  # inner half extents
    height: float = 0.04


@dataclass(frozen=True)
class Drawer:
    name: str = "drawer"
    position: tuple[float, float] = (0.25, 0.15)  # cabinet centre on the table
    travel: float = 0.16  # how far it opens, m


@dataclass(frozen=True)
class TableSpec:
    seed: int
    blocks: tuple[Block, ...]
    containers: tuple[Container, ...] = ()
    drawer: Drawer | None = None
    suite: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TableSpec":
        d = parse_json(text, "table scene file")
        try:
            return cls(
                seed=int(d["seed"]),
                blocks=tuple(Block(**{**b, "position": tuple(b["position"]), "rgb": tuple(b["rgb"])}) for b in d["blocks"]),
                containers=tuple(Container(**{**c, "position": tuple(c["position"]), "half": tuple(c["half"])})
                                 for c in d.get("containers", [])),
                drawer=Drawer(**{**d["drawer"], "position": tuple(d["drawer"]["position"])}) if d.get("drawer") else None,
                suite=str(d.get("suite", "")),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as e:  # ValueError/OverflowError: NaN or inf seed
            raise SceneError(f"malformed table scene: {e}") from None

    def names(self) -> list[str]:
        return [b.name for b in self.blocks] + [c.name for c in self.containers] + ([self.drawer.name] if self.drawer else [])


def generate_table(seed: int, n_blocks: int = 3, containers: int = 1, drawer: bool = False, hidden: int = 0,
                   clutter: float = 0.0, suite: str = "") -> TableSpec:
    """Blocks at least (0.12 - 0.06*clutter) m apart on the free part of the table."""
    if n_blocks > len(BLOCK_COLOURS):
        raise SceneError(f"at most {len(BLOCK_COLOURS)} blocks, got {n_blocks}")
    if hidden > n_blocks or (hidden and not drawer):
        raise SceneError("hidden blocks need a drawer and cannot outnumber the blocks")
    rng = np.random.default_rng([seed, 31337])
    dr = Drawer() if drawer else None
    spacing = 0.12 - 0.06 * float(np.clip(clutter, 0, 1))
    keepout = []  # (x, y, radius)
    if dr:
        keepout.append((dr.position[0], dr.position[1] - 0.12, 0.28))  # the cabinet and the open drawer's path
    cons = []
    for k in range(containers):
        for _ in range(200):
            p = (float(rng.uniform(-0.3, 0.1)), float(rng.uniform(-0.2, 0.2)))
            if all(math.dist(p, (x, y)) > r + 0.1 for x, y, r in keepout):
                cons.append(Container(f"bowl_{k}" if containers > 1 else "bowl", (round(p[0], 3), round(p[1], 3))))
                keepout.append((p[0], p[1], 0.1))
                break
        else:
            raise SceneError("no room for the containers; use fewer")
    blocks = []
    colours = rng.permutation(len(BLOCK_COLOURS))
    for i in range(n_blocks):
        name = f"block_{i}"
        rgb = BLOCK_COLOURS[colours[i]]
        if i < hidden:
            blocks.append(Block(name, (0.0, -0.02 + 0.06 * (i - (hidden - 1) / 2)), 0.0, rgb, in_drawer=True))
            continue
        for _ in range(500):
            p = (float(rng.uniform(-0.35, 0.35)), float(rng.uniform(-0.25, 0.22)))
            if all(math.dist(p, (x, y)) > r + 0.03 for x, y, r in keepout) and all(
                math.dist(p, b.position) >= spacing for b in blocks if not b.in_drawer
            ):
                blocks.append(Block(name, (round(p[0], 3), round(p[1], 3)), float(rng.choice([0.0, 30.0, 45.0, 60.0])), rgb))
                break
        else:
            raise SceneError(f"could not place {n_blocks} blocks with clutter {clutter}; use fewer")
    return TableSpec(seed=seed, blocks=tuple(blocks), containers=tuple(cons), drawer=dr, suite=suite)
