"""launcher=slurm: episodes as a Slurm array job through submitit, results through shard files.

The driver checks the cluster first (sbatch on PATH, the controller answers, the partition
exists: one line each, exit 2), chunks the episodes (`chunk` per array task), submits one array
with the configured partition, time limit, parallelism, CPUs and memory per task and extra
sbatch flags, then merges the tasks' shard files (`shards.py`) as they grow. Liveness comes from
`squeue` (no accounting database needed): a task that left the queue, or ended CANCELLED,
NODE_FAIL, TIMEOUT, ..., with episodes missing from its shard gives one error record per
missing episode, which the next run retries. Each launch is listed in `launches.json` with
the command that cancels it, so a driver that finds a dead predecessor's jobs cancels them and
merges their shards before planning (see `evaluate.run_eval`).

``launcher=submitit launcher.cluster=local`` runs the same tasks as local processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field, fields
from typing import Callable, Iterator

from scenes.jsonio import write_json_atomic
from sim.backends import BackendError
from spacelab.evaluation.jobs import EpisodeJob, EpisodeRecord, record_key
from spacelab.evaluation.rundir import PLACEMENT, record_placement
from spacelab.evaluation.shards import SHARDS, ShardTail, run_task, shard_path

LAUNCHES = "launches.json"
ACTIVE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING",
          "SUSPENDED", "STAGE_OUT", "SIGNALING", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT"}


@dataclass
class SlurmConfig:
    """The launcher's fields (spacelab/conf/launcher/slurm.yaml); `workers` is the array parallelism."""

    name: str = "slurm"
    workers: int = 2
    chunk: int = 25
    partition: str | None = None
    timeout_min: int = 60
    cpus_per_task: int = 1
    mem_gb: float | None = None
    additional: dict = field(default_factory=dict)  # extra sbatch flags, e.g. {account: lab, qos: high}
    setup: list = field(default_factory=list)  # shell lines run before each task (module load ..., source venv)
    cluster: str = "slurm"  # launcher=submitit: "local" runs the tasks as local processes
    poll_s: float = 1.0
    controller_timeout_min: float = 10.0  # give up when squeue fails this long

    @classmethod
    def from_dict(cls, cfg: dict) -> "SlurmConfig":
        names = {f.name: f for f in fields(cls)}
        unknown = sorted(set(cfg) - set(names))
        if unknown:
            raise ValueError(f"unknown launcher field(s) {', '.join(unknown)}; allowed: {', '.join(names)}")
        out = cls(**{k: v for k, v in cfg.items() if v is not None})
        for name in ("workers", "chunk", "timeout_min", "cpus_per_task"):
            v = getattr(out, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"launcher.{name} must be an integer >= 1, got {v!r}")
        if out.mem_gb is not None and (isinstance(out.mem_gb, bool) or not isinstance(out.mem_gb, (int, float)) or out.mem_gb <= 0):
            raise ValueError(f"launcher.mem_gb must be a number > 0 (or null), got {out.mem_gb!r}")
        if not isinstance(out.additional, dict):
            raise ValueError(f"launcher.additional must be a mapping of sbatch flags, got {out.additional!r}")
        if not isinstance(out.setup, list) or not all(isinstance(s, str) for s in out.setup):
            raise ValueError(f"launcher.setup must be a list of shell lines, got {out.setup!r}")
        if out.cluster not in ("slurm", "local"):
            raise ValueError(f"launcher.cluster must be slurm or local, got {out.cluster!r}")
        return out


def slurm(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a Slurm command; a missing command or a hang is one BackendError line."""
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise BackendError(f"launcher=slurm needs Slurm's {args[0]} on PATH (run from a login node, "
                           "try scripts/slurm-local.sh up, or use launcher=local)") from None
    except subprocess.TimeoutExpired:
        raise BackendError(f"Slurm's {args[0]} did not answer within {timeout:.0f} s (is the controller up?)") from None


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")


def partitions() -> list[str]:
    """The partitions the controller knows; BackendError when it cannot be reached."""
    if shutil.which("sbatch") is None:
        raise BackendError("launcher=slurm needs Slurm's sbatch on PATH (run from a login node, "
                           "try scripts/slurm-local.sh up, or use launcher=local)")
    r = slurm("sinfo", "-h", "-o", "%P")
    if r.returncode != 0:
        raise BackendError(f"cannot reach the Slurm controller: {first_line(r.stderr or r.stdout)}")
    return sorted({p.strip().rstrip("*") for p in r.stdout.split() if p.strip()})


def check_slurm(cfg: dict) -> None:
    """One line when the cluster cannot take the run: no Slurm, no controller, an unknown partition."""
    sc = SlurmConfig.from_dict(cfg)
    if sc.cluster == "local":
        return
    known = partitions()
    if sc.partition and sc.partition not in known:
        raise BackendError(f"unknown Slurm partition {sc.partition!r}; this cluster has: {', '.join(known) or 'none'}")


def array_states(array_id: str) -> dict[int, str] | None:
    """Array task index -> Slurm state for the tasks still known to the controller (None: no answer)."""
    try:
        r = slurm("squeue", "-h", "-r", "-t", "all", "-j", array_id, "-o", "%K|%T", timeout=30)
    except BackendError:
        return None
    if r.returncode != 0:
        return {} if "Invalid job id" in r.stderr else None
    states = {}
    for line in r.stdout.splitlines():
        task, _, state = line.strip().partition("|")
        if task.isdigit() or task == "N/A":  # N/A: a one-task launch, which submitit sends as a plain job
            states[int(task) if task.isdigit() else 0] = state.split()[0] if state else ""
    return states


def register_launch(run_dir: str, launch: str, launcher: str, cancel: list[str] | None) -> None:
    path = os.path.join(run_dir, LAUNCHES)
    known = read_launches(run_dir)
    known.append({"id": launch, "launcher": launcher, "cancel": cancel, "submitted": time.strftime("%Y-%m-%dT%H:%M:%S")})
    write_json_atomic(path, {"launches": known})


def read_launches(run_dir: str) -> list[dict]:
    try:
        with open(os.path.join(run_dir, LAUNCHES), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return []
    launches = data.get("launches") if isinstance(data, dict) else None
    return [x for x in launches or [] if isinstance(x, dict) and isinstance(x.get("id"), str)]


def recover_launches(run_dir: str) -> list[dict]:
    """Records that tasks of earlier launches left in their shards (their driver died before
    merging them), after cancelling those launches' jobs; the shard folders are removed once the
    caller has merged the records (`forget_launches`)."""
    records = []
    for launch in read_launches(run_dir):
        if launch.get("cancel") and shutil.which(launch["cancel"][0]):
            try:
                subprocess.run(launch["cancel"], capture_output=True, timeout=30)
            except (OSError, subprocess.SubprocessError):
                pass
        records += [e.record for e in ShardTail(os.path.join(run_dir, SHARDS, launch["id"])).read()]
    return records


def forget_launches(run_dir: str) -> None:
    for launch in read_launches(run_dir):
        shutil.rmtree(os.path.join(run_dir, SHARDS, launch["id"]), ignore_errors=True)
    try:
        os.unlink(os.path.join(run_dir, LAUNCHES))
    except FileNotFoundError:
        pass


def run_slurm(jobs: list[EpisodeJob], cfg: dict, run_dir: str) -> Iterator[EpisodeRecord]:
    """Checks and submits now (errors before any episode runs); returns the records as they come."""
    sc = SlurmConfig.from_dict(cfg)
    if not jobs:
        return iter(())
    check_slurm(cfg)
    try:
        import submitit
    except ImportError:
        raise BackendError("launcher=slurm needs submitit: pip install 'spacelab[slurm]' (or use launcher=local)") from None
    launch = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    batches = [jobs[i:i + sc.chunk] for i in range(0, len(jobs), sc.chunk)]
    paths = [shard_path(run_dir, launch, k) for k in range(len(batches))]
    os.makedirs(os.path.dirname(paths[0]), exist_ok=True)
    executor = submitit.AutoExecutor(folder=os.path.join(run_dir, "submitit"), cluster=sc.cluster)
    params = {"timeout_min": sc.timeout_min, "cpus_per_task": sc.cpus_per_task, "name": "spacelab"}
    if sc.mem_gb is not None:
        params["mem_gb"] = sc.mem_gb
    if sc.cluster == "slurm":
        params |= {"slurm_array_parallelism": sc.workers, "slurm_additional_parameters": dict(sc.additional),
                   "slurm_setup": list(sc.setup)}
        if sc.partition:
            params["slurm_partition"] = sc.partition
    executor.update_parameters(**params)
    try:
        handles = executor.map_array(run_task, batches, paths)
    except Exception as e:  # sbatch refused (bad flag, QOS, account): its own words, one line
        raise BackendError(f"sbatch refused the array job: {first_line(str(e))[:400]}") from None
    if sc.cluster == "slurm":
        array_id = handles[0].job_id.split("_")[0]
        register_launch(run_dir, launch, "slurm", ["scancel", array_id])
        ended = _squeue_watch(array_id, len(batches), sc.controller_timeout_min)
    else:
        register_launch(run_dir, launch, "submitit-local", None)
        ended = _local_watch(handles)
    logs = [str(h.paths.stderr) for h in handles]
    return _collect(batches, os.path.dirname(paths[0]), ended, sc.poll_s, run_dir, sc.name, logs, launch)


def _squeue_watch(array_id: str, n: int, timeout_min: float) -> Callable[[], dict[int, str] | None]:
    """A function giving the array tasks that have ended, with their final state (None: no answer).
    squeue -r lists every task the controller still knows, pending ones included; a task it no
    longer lists has ended and been purged (MinJobAge)."""
    last_answer = [time.monotonic()]

    def ended() -> dict[int, str] | None:
        states = array_states(array_id)
        if states is None:
            if time.monotonic() - last_answer[0] > 60 * timeout_min:
                raise BackendError(f"the Slurm controller did not answer squeue for {timeout_min:g} min")
            return None
        last_answer[0] = time.monotonic()
        return {t: states.get(t, "left the queue") for t in range(n) if states.get(t) not in ACTIVE}

    return ended


def _local_watch(handles) -> Callable[[], dict[int, str]]:
    def ended() -> dict[int, str]:
        out = {}
        for t, h in enumerate(handles):
            if h.done():
                e = h.exception()
                out[t] = "COMPLETED" if e is None else f"FAILED ({type(e).__name__}: {first_line(str(e))[:200]})"
        return out

    return ended


def _collect(batches: list[list[EpisodeJob]], directory: str, ended, poll_s: float, run_dir: str, launcher: str,
             logs: list[str], launch: str) -> Iterator[EpisodeRecord]:
    """Yield records from the shards until every task has ended; then error records for what is missing."""
    owner = {j.key: t for t, batch in enumerate(batches) for j in batch}
    missing = dict.fromkeys(owner)
    tail = ShardTail(directory)
    with open(os.path.join(run_dir, PLACEMENT), "a", encoding="utf-8") as placement:
        while missing:
            finished = ended()  # before reading: a task that ended by now has flushed its shard
            for entry in tail.read():
                key = record_key(entry.record)
                if key in missing:
                    del missing[key]
                    record_placement(placement, entry.record, launcher, entry.where)
                    yield _record(entry.record)
            if finished is not None:
                for key in [k for k in missing if owner[k] in finished]:
                    task = owner[key]
                    job = next(j for j in batches[task] if j.key == key)
                    del missing[key]
                    yield EpisodeRecord.for_job(job, error=(
                        f"TaskLost: {launcher} array task {task} ended ({finished[task]}) before this episode finished "
                        f"(cancelled, node failure or time limit); see {logs[task]}"))
            if missing:
                time.sleep(poll_s)
    shutil.rmtree(directory, ignore_errors=True)  # everything in it was yielded, hence merged
    _drop_launch(run_dir, launch)


def _drop_launch(run_dir: str, launch: str) -> None:
    rest = [x for x in read_launches(run_dir) if x["id"] != launch]
    if rest:
        write_json_atomic(os.path.join(run_dir, LAUNCHES), {"launches": rest})
    else:
        try:
            os.unlink(os.path.join(run_dir, LAUNCHES))
        except FileNotFoundError:
            pass


def _record(d: dict) -> EpisodeRecord:
    """An EpisodeRecord back from its JSON line (to_dict's inverse)."""
    keys = ("suite", "index", "agent", "seed", "protocol", "config_hash", "error", "traceback")
    result = {k: v for k, v in d.items() if k not in keys and k != "scene"}
    return EpisodeRecord(d["suite"], d["index"], d["agent"], d["seed"], d.get("protocol", "active"), d.get("config_hash", ""),
                         d.get("error"), d.get("traceback"), result)


__all__ = ["SlurmConfig", "check_slurm", "forget_launches", "partitions", "recover_launches", "run_slurm"]
