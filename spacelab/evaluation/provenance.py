"""What produced a run: resolved config, package versions, git revision, machine."""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
import sys
import time
from importlib import metadata

PACKAGES = ("spacelab", "mujoco", "numpy", "gymnasium", "networkx", "hydra-core", "omegaconf", "pyarrow", "ray", "submitit")


def package_versions() -> dict[str, str | None]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def git_revision() -> dict:
    """The spacelab checkout's commit and whether it had uncommitted changes (None outside git)."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if rev.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain"], capture_output=True, text=True, timeout=5)
        return {"commit": rev.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def run_info(cfg, meta: dict | None, started: float) -> dict:
    return {
        "config": dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else cfg,
        "hydra": meta or {},
        "versions": package_versions(),
        "git": git_revision(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
