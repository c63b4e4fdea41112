"""Run one `EpisodeJob` from scratch and keep its `EpisodeRecord`.

An episode that raises is recorded with its error and traceback instead of stopping
the caller, so a sweep never loses the other episodes.

Example:
    >>> rec = run_job(EpisodeJob("tos-2room", 0, "scout"))
    >>> rec.error is None, rec.result["coverage"]
    (True, 1.0)
"""

from __future__ import annotations

import importlib
import traceback

from planners.agents import make_agent
from scenes.suites import load_suite_scene, profile_of
from sim.env import ExplorationEnv
from spacelab.evaluation.jobs import EpisodeJob, EpisodeRecord
from spacelab.evaluation.protocols import PROTOCOLS


def run_job(job: EpisodeJob) -> EpisodeRecord:
    """Play `job` (a fresh scene, env and agent); never raises."""
    record = EpisodeRecord.for_job(job)
    try:
        for module in job.plugins:  # registrations made outside spacelab, in whichever process runs this
            importlib.import_module(module)
        if job.task:  # a house task played by a planner agent
            from spacelab.evaluation.house_episode import run_house_job
            record.result = run_house_job(job)
            return record
        protocol = PROTOCOLS.load(job.protocol)
        profile = profile_of(job.suite, job.profile)
        env = ExplorationEnv(load_suite_scene(job.suite, job.index), backend=job.backend, max_steps=job.max_steps,
                             obs_mode=job.obs_mode, image_format=job.image_format, view=job.view, text_profile=profile)
        try:
            agent = make_agent(job.agent, job.options)
            record.result = {**protocol(env, agent, job), "profile": profile}
        finally:
            env.close()
    except Exception as e:  # a crashing episode is data, not the end of the run
        record.error = f"{type(e).__name__}: {e}"
        record.traceback = traceback.format_exc()
    return record
