"""The `spacelab` command.

    spacelab eval [hydra overrides]        run a suite with agents (writes episodes.jsonl, summary.json)
    spacelab scene --suite S --index I     print a scene's SceneSpec and ground truth as JSON
    spacelab render-scene ...              top-down PNG of a scene (and an episode's trajectory)
    spacelab render-episode ...            frames, fused map and believed vs true layout of one episode (PNG, mp4)
    spacelab render-catalog --out DIR      every object category from four sides (catalog.png) and one picture each
    spacelab score --pred P.json --gt G.json   belief metrics (pos, dir, facing, overall) of a cognitive map
                   [--profile tos|spacelab] [--seen NAMES]   (or --pairs FILE.jsonl: one line of scores per line)
    spacelab report RUN_DIR [RUN_DIR ...]  leaderboard, plots and an HTML page from run directories
    spacelab status RUN_OR_SWEEP_DIR       done, failed and remaining episodes (also while the run goes on)
    spacelab serve [--host H] [--port P]   HTTP environment server (sessions: create, step, probe, record)
    spacelab mcp                           MCP tool server over stdio (observe, move_to, rotate, query, probe, ...)
    spacelab manip check|tasks ...         manipulation: skill success over seeded states, task success
    spacelab skills list|show|validate|learn|evaluate   the skill library and the composition benchmark
    spacelab bench [--clusters]            throughput numbers (physics, exploration, workers; Slurm and Ray)
    spacelab list [KIND]                   what is registered: agents, backends, suites, table-suites,
                                           protocols, launchers, robots, tasks (with a line on each)

Bad input ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from scenes.registry import Entry
from scenes.spec import SceneError
from scenes.suites import DEFAULT_SUITE
from sim.backends import BackendError

USER_ERRORS = (SceneError, BackendError, ValueError, OSError)  # unknown names, RemoteError, SkillError: ValueErrors


def fail(msg: str) -> None:
    print(f"spacelab: error: {msg}", file=sys.stderr)
    raise SystemExit(2)


LAYERS = ("scenes", "robots", "perception", "sim", "planners")  # spacelab's own top-level packages
REGISTRIES = {  # kind -> where its registry lives (imported only when listed)
    "agents": "planners.agents:AGENTS", "backends": "sim.backends:BACKENDS", "suites": "scenes.suites:SUITES",
    "table-suites": "scenes.suites:TABLE_SUITES", "protocols": "spacelab.evaluation.protocols:PROTOCOLS",
    "launchers": "spacelab.evaluation.launchers:LAUNCHERS", "robots": "robots:ROBOTS", "tasks": "sim.manip.tasks:TASKS",
}


def foreign_layers(root: Path = Path(__file__).resolve().parents[1]) -> list[str]:
    """One line per layer name that Python resolves to a package other than spacelab's own
    (`perception` and friends are also names on PyPI): which file, and from which distribution."""
    problems = []
    dists = importlib.metadata.packages_distributions()
    for name in LAYERS:
        spec = importlib.util.find_spec(name)
        where = Path(next(iter(spec.submodule_search_locations or []), spec.origin or "")).resolve() if spec else None
        if where is None or where.parent != root:
            owner = ", ".join(d for d in dists.get(name, []) if d != "spacelab") or "an unknown source"
            problems.append(f"package {name!r} resolves to {where} (from {owner}), not to spacelab's {root / name}; "
                            f"uninstall it or use a fresh virtual environment")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for problem in foreign_layers():
        fail(problem)
    if not argv:  # a command is needed: say which there are, and fail like any other usage error
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    cmd, rest = argv[0], argv[1:]
    commands = _commands()
    if cmd not in commands:
        fail(f"unknown command {cmd!r}; choose one of: {', '.join(commands)}")
    try:
        return commands[cmd](rest)
    except USER_ERRORS as e:
        fail(str(e))
    return 0


def _commands() -> dict:
    return {"eval": _eval, "scene": _scene, "render-scene": _render, "render-episode": _render_episode,
            "render-catalog": _render_catalog, "score": _score,
            "report": _report, "serve": _serve, "mcp": _mcp, "manip": _manip, "skills": _skills, "bench": _bench,
            "list": _list, "status": _status}


def _status(rest: list[str]) -> int:
    from spacelab.evaluation.status import format_status, statuses

    p = argparse.ArgumentParser(prog="spacelab status", description=(
        "Done, failed and remaining episodes of a run or sweep directory of spacelab eval (also while it runs)."))
    p.add_argument("dir", help="a run directory (runs/eval/...) or a sweep directory (runs/sweep/...)")
    a = _parse(p, rest)
    print(format_status(statuses(a.dir)))
    return 0


def _list(rest: list[str]) -> int:
    p = argparse.ArgumentParser(prog="spacelab list", description="What is registered, with a line on each.")
    p.add_argument("kind", nargs="?", choices=list(REGISTRIES), help="one kind (default: all)")
    a = _parse(p, rest)
    for kind in [a.kind] if a.kind else REGISTRIES:
        registry = Entry(kind, REGISTRIES[kind]).load()
        print(f"{kind}:\n{registry.help()}")
    return 0


def _mcp(rest: list[str]) -> int:
    p = argparse.ArgumentParser(prog="spacelab mcp", description=(
        "MCP tool server over stdio: one episode per process, driven by an assistant through tools "
        "(start_episode, rotate, move_to, observe, query, terminate, probe, status, record). "
        "Register this command with your assistant; it reads JSON-RPC on stdin."))
    _parse(p, rest)
    from spacelab.serving.mcp import main as mcp_main

    mcp_main()
    return 0


SENSOR_FIELDS = {"obs_mode": "mode", "image_format": "image_format", "fov_deg": "fov_deg", "max_range": "max_range"}
PRESET_FIELDS = ("agents", "protocols", "launcher")  # set by the agent=, protocol= and launcher= groups


def eval_defaults(cfg) -> dict:
    """The Hydra node of `spacelab eval`'s defaults, read from an EvalConfig so that each
    default lives in one place; the sensor fields sit under `sensors` as the groups set them."""
    data = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in PRESET_FIELDS}
    data["sensors"] = {key: data.pop(name) for name, key in SENSOR_FIELDS.items()}
    return data


def check_presets(overrides: list[str], conf: Path = Path(__file__).parent / "conf") -> None:
    """One line naming the choices for a preset that does not exist (`agent=scoot`), before
    Hydra answers with a dozen; sweeps (`agent=scout,strategist`) are checked value by value."""
    for override in overrides:
        key, eq, value = override.partition("=")
        group = conf / key
        if not eq or not key.isidentifier() or not group.is_dir():
            continue
        choices = sorted(f.stem for f in group.glob("*.yaml"))
        for v in value.split(","):
            if v not in choices:
                fail(f"unknown {key} preset {v!r}; choose one of: {', '.join(choices)} (or set the fields directly)")


def check_run_dir(overrides: list[str]) -> None:
    """One line, before Hydra tries, when the run directory cannot be created or written."""
    for override in overrides:
        key, eq, value = override.partition("=")
        if key in ("hydra.run.dir", "hydra.sweep.dir") and eq:
            try:
                os.makedirs(value, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=value, prefix=".write-test-"):
                    pass
            except OSError as e:
                fail(f"cannot write results to {key}={value}: {e.strerror or e}")


def _eval(rest: list[str]) -> int:
    import hydra
    from hydra.core.config_store import ConfigStore
    from hydra.core.hydra_config import HydraConfig
    from hydra.errors import HydraException
    from hydra.types import RunMode
    from omegaconf import DictConfig, OmegaConf

    from spacelab.evaluation.evaluate import EvalConfig, run_eval, summary_table
    from spacelab.evaluation.protocols import PROTOCOLS
    from spacelab.evaluation.sweep import MULTIRUN, SweepProgress, plan_sweep

    ConfigStore.instance().store(name="eval_defaults", node=eval_defaults(EvalConfig()))

    def eval_fields(data: dict) -> dict:
        """EvalConfig's fields from the composed Hydra config (progress and workers taken out)."""
        data = dict(data)
        data.pop("progress", None)
        data.pop("workers", None)  # already inside launcher
        sensors = dict(data.pop("sensors", {}) or {})
        data["obs_mode"] = sensors.pop("mode")
        data.update(sensors)  # image_format, fov_deg, max_range
        data["agent_options"] = data.get("agent_options") or {}
        for key in ("agents", "protocols"):
            v = data.get(key)
            data[key] = [v] if isinstance(v, str) else list(v or [])
        if data["protocols"] == ["all"]:
            data["protocols"] = list(PROTOCOLS)
        return data

    sweep = None
    if set(rest) & set(MULTIRUN):  # one progress bar across the sweep (spacelab.evaluation.sweep)
        counts = plan_sweep(rest, lambda data: EvalConfig(**eval_fields(data)))
        sweep = SweepProgress(counts) if counts else None

    @hydra.main(version_base=None, config_path="conf", config_name="eval")
    def task(cfg: DictConfig) -> None:
        logging.getLogger("OpenGL").setLevel(logging.WARNING)  # PyOpenGL's INFO notes are not ours to show
        hc = HydraConfig.get()
        out_dir = hc.runtime.output_dir
        data = OmegaConf.to_container(cfg, resolve=True)
        progress = bool(data.get("progress", True))
        data = eval_fields(data)
        meta = {"overrides": list(hc.overrides.task), "job_num": hc.job.get("num"), "output_dir": out_dir}
        bar = sweep.start(hc.sweep.dir, progress) if sweep is not None and hc.mode == RunMode.MULTIRUN else None
        try:
            ecfg = EvalConfig(**data)
            summary = run_eval(ecfg, out_dir, progress=progress, meta=meta, bar=bar)
        except TypeError as e:
            fail(f"bad config: {e}")
        except USER_ERRORS as e:
            fail(str(e))
        print(summary_table(summary))
        run = summary["run"]
        print(f"{run['episodes_run']} episodes run ({run['episodes_resumed']} resumed), "
              f"{summary['n_errors']} errors, {run['wall_time_s']} s on {run['workers']} {run['launcher']} workers")
        print(f"results: {out_dir}/episodes.jsonl, {out_dir}/summary.json")
        if run["episodes_run"] and run["errors_this_run"] == run["episodes_run"]:
            fail(f"all {run['episodes_run']} episodes failed, e.g. {run['error_examples'][0]} "
                 f"(tracebacks in {out_dir}/episodes.jsonl)")

    check_presets(rest)
    check_run_dir(rest)
    saved = sys.argv
    sys.argv = ["spacelab eval"] + rest
    try:
        task()
    except SystemExit as e:
        # Hydra reports bad overrides/configs itself and exits 1; keep spacelab's code 2.
        raise SystemExit(2 if e.code == 1 else e.code) from None
    except HydraException as e:  # Hydra re-raises instead of reporting when a tracer runs (debugger, coverage)
        fail(" ".join(str(e).split()))
    finally:
        sys.argv = saved
        if sweep is not None:
            sweep.close()
    return 0


def _scene(rest: list[str]) -> int:
    from scenes.suites import load_suite_scene

    p = argparse.ArgumentParser(prog="spacelab scene", description="Print a scene's SceneSpec and ground truth (start frame).")
    p.add_argument("--suite", required=True)
    p.add_argument("--index", type=int, required=True)
    a = _parse(p, rest)
    spec = load_suite_scene(a.suite, a.index)
    print(json.dumps({"scene": spec.to_dict(), "ground_truth": spec.ground_truth()}, indent=2, sort_keys=True))
    return 0


def _render(rest: list[str]) -> int:
    from scenes.spec import SceneSpec
    from scenes.suites import load_suite_scene
    from spacelab.figures.topdown import find_episode, render_topdown

    p = argparse.ArgumentParser(prog="spacelab render-scene", description="Top-down PNG of a scene and, optionally, an episode.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--suite", help="suite name (with --index)")
    src.add_argument("--scene-file", help="a SceneSpec JSON file")
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--episodes", help="episodes.jsonl of a run: draw the trajectory of the matching episode")
    p.add_argument("--agent", help="which agent's episode to draw (default: the first matching)")
    p.add_argument("--out", default="scene.png")
    a = _parse(p, rest)
    spec = SceneSpec.load(a.scene_file) if a.scene_file else load_suite_scene(a.suite, a.index)
    episode = find_episode(a.episodes, spec, a.agent) if a.episodes else None
    render_topdown(spec, a.out, episode=episode)
    print(a.out)
    return 0


def _manip(rest: list[str]) -> int:
    from tqdm import tqdm

    from scenes.jsonio import write_json_atomic
    from sim.manip.base import MANIP_BACKENDS, check_backend, missing_drawer, tabletop_robots
    from sim.manip.check import check_skills
    from sim.manip.tasks import TASKS, needs_drawer, run_task

    def at_least_one(text: str) -> int:  # a count of seeds: an integer >= 1 (argparse: one line, exit 2)
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text[:40]!r}") from None
        if n < 1:
            raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
        return n

    p = argparse.ArgumentParser(prog="spacelab manip", description="Manipulation skills and tasks.")
    p.add_argument("what", choices=["check", "tasks"])
    p.add_argument("--n", type=at_least_one, default=50, help="seeded initial states per skill or task (>= 1)")
    p.add_argument("--skills", nargs="*", help="skills to check (default: all)")
    p.add_argument("--robot", choices=list(tabletop_robots()) + ["mobile-panda"], default="floating")
    p.add_argument("--backend", choices=list(MANIP_BACKENDS), default="mujoco")
    p.add_argument("--suite", choices=["house-2room", "house-3room", "house-4room"],
                   help="check the mobile-panda house skills in this house suite")
    p.add_argument("--out", help="write the results as JSON")
    a = _parse(p, rest)
    if (a.robot == "mobile-panda") != bool(a.suite):
        p.error("--robot mobile-panda goes with --suite house-Nroom (and a house suite with that robot)")
    if a.what == "tasks" and a.suite:
        from sim.manip.house_tasks import HOUSE_MANIP_TASKS
        from spacelab.evaluation.house_episode import run_house_manip_task

        res = {}
        print(f"house task success over {a.n} {a.suite} houses (mobile-panda, oracle-planner, MuJoCo)")
        for name in HOUSE_MANIP_TASKS:
            runs = [run_house_manip_task(name, a.suite, s) for s in tqdm(range(a.n), desc=name, leave=False)]
            ok = [r for r in runs if r["success"]]
            res[name] = {"success_rate": round(len(ok) / len(runs), 3), "runs": len(runs),
                         "mean_skill_calls": round(sum(r["skill_calls"] for r in runs) / len(runs), 2),
                         "mean_sim_seconds": round(sum(r["sim_seconds"] for r in runs) / len(runs), 2),
                         "failures": sorted({f"{r['index']}: {r['failure']}" for r in runs if not r["success"]})[:10]}
            print(f"  {name:20s} {100 * res[name]['success_rate']:.0f}% of {a.n}"
                  + (f"  failures: {'; '.join(res[name]['failures'][:3])}" if res[name]["failures"] else ""))
    elif a.what == "check" and a.suite:
        from sim.manip.house_check import check_house_skills

        res = check_house_skills(a.suite, a.skills, a.n, progress=False)
        print(f"house skill success over {a.n} seeded {a.suite} cases (mobile-panda)")
        for k, v in res.items():
            print(f"  {k:12s} {v}")
    elif a.what == "check":
        res = check_skills(a.skills, a.n, robot=a.robot, backend=a.backend)
        print(f"skill success over {a.n} seeded states ({a.robot} gripper, {a.backend})")
        for k, v in res.items():
            if "skipped" in v:
                print(f"  {k:12s} skipped: {v['skipped']}")
                continue
            rate = "-" if v["success_rate"] is None else f"{100 * v['success_rate']:.0f}%"
            ticks = "" if v["mean_steps"] is None else f", {v['mean_steps']} ticks on average"
            print(f"  {k:12s} {rate:>5s}  ({v['trials']} trials, {v['setup_failures']} setup failures{ticks})"
                  + (f"  failures: {'; '.join(v['failures'])}" if v["failures"] else ""))
    else:
        check_backend(a.backend, a.robot)
        res = {}
        print(f"task success over {a.n} seeds ({a.robot} gripper, {a.backend})")
        for name in TASKS:
            task = TASKS.load(name)
            if needs_drawer(task) and missing_drawer(a.backend):
                res[name] = {"skipped": missing_drawer(a.backend)}
                print(f"  {name:20s} skipped: {missing_drawer(a.backend)}")
                continue
            runs = [run_task(task, s, backend=a.backend, robot=a.robot) for s in tqdm(range(a.n), desc=name, leave=False)]
            res[name] = {"success_rate": round(sum(r["success"] for r in runs) / len(runs), 3), "runs": len(runs)}
            print(f"  {name:20s} {100 * res[name]['success_rate']:.0f}% of {a.n}")
    if a.out:
        write_json_atomic(a.out, res)
    return 0


def _skills(rest: list[str]) -> int:
    from planners.skills.learn import PRIMITIVE_SEEDS
    from planners.skills.library import SkillLibrary
    from planners.skills.record import SkillError
    from scenes.jsonio import write_json_atomic
    from sim.manip.base import MANIP_BACKENDS

    def at_least(lo: int):  # counts: integers >= lo (argparse: one line, exit 2)
        def parse(text: str) -> int:
            try:
                n = int(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"must be an integer >= {lo}, got {text[:40]!r}") from None
            if n < lo:
                raise argparse.ArgumentTypeError(f"must be >= {lo}, got {n}")
            return n
        return parse

    p = argparse.ArgumentParser(prog="spacelab skills", description="Skill library, learning and the chain benchmark.")
    p.add_argument("what", choices=["list", "show", "validate", "learn", "evaluate"])
    p.add_argument("name", nargs="?", help="skill id (show, validate)")
    p.add_argument("--library", default="skills",
                   help="library directory (default ./skills); must exist, except for learn, which creates it")
    p.add_argument("--chains", type=at_least(1), default=100, help="evaluate: number of chains")
    p.add_argument("--train", type=at_least(0), default=12, help="learn: training chains")
    p.add_argument("--validate-seeds", type=at_least(1), default=10, help="learn/validate: rollouts per composite skill")
    p.add_argument("--primitive-seeds", type=at_least(1), default=PRIMITIVE_SEEDS,
                   help=f"learn/validate: rollouts per primitive skill (spacelab manip check seeds; default {PRIMITIVE_SEEDS})")
    p.add_argument("--backend", choices=list(MANIP_BACKENDS), default="mujoco",
                   help="validate: where to run primitives; list: stats from elsewhere are marked stale")
    p.add_argument("--workers", type=at_least(1), default=2)
    p.add_argument("--out", default="runs/skills", help="evaluate: output directory")
    a = _parse(p, rest)
    if os.path.exists(a.library) and not os.path.isdir(a.library):
        fail(f"--library {a.library!r} is not a directory")
    if a.what != "learn" and not os.path.isdir(a.library):  # reading a library never creates one
        fail(f"--library {a.library!r}: no such directory (spacelab skills learn creates a library)")
    lib = SkillLibrary(a.library)
    for err in lib.errors:  # corrupted files are named and skipped
        print(f"spacelab: skipped {err}", file=sys.stderr)
    if a.what == "list":
        from planners.skills.learn import stale

        reuse, old = lib.reuse_counts(), stale(lib, a.backend)
        for key, r in sorted(lib.skills.items()):
            print(f"{key:34s} {r.kind:9s} {r.status:10s} depth {lib.depth(r.id)}  used by {reuse.get(r.id, 0)}  "
                  f"runs {r.stats.get('attempts', 0)} ok {r.stats.get('successes', 0)}  {r.description}"
                  + (f"  [stale: {'; '.join(old[key])}]" if key in old else ""))
        return 0
    if a.what == "show":
        rec = lib.latest(a.name or "")
        if rec is None:
            raise SkillError(f"no skill {a.name!r} in {a.library}")
        print(json.dumps(rec.to_dict(), indent=2))
        return 0
    if a.what == "validate":
        from planners.skills.benchmark import SCENE_FAMILY, make_world
        from planners.skills.learn import validate, validate_primitive
        from sim.manip.base import missing_drawer

        latest = {r.id: lib.latest(r.id) for r in lib.skills.values()}
        targets = [lib.latest(a.name)] if a.name else [r for r in latest.values() if r and r.kind != "policy"]
        if a.name and targets[0] is None:
            raise SkillError(f"no skill {a.name!r} in {a.library}")
        for rec in sorted(targets, key=lambda r: (r.kind != "primitive", r.id)):
            if rec.kind == "primitive":
                validate_primitive(rec, lib, range(a.primitive_seeds), backend=a.backend)
            elif rec.kind == "composite" and missing_drawer(a.backend):  # the chain scenes have a drawer
                print(f"{rec.key}: skipped: {missing_drawer(a.backend)}")
                continue
            elif rec.kind == "composite":
                validate(rec, lib, lambda s: make_world(s, a.backend), range(2000, 2000 + a.validate_seeds),
                         scene_family=SCENE_FAMILY, backend=a.backend)
            else:
                raise SkillError(f"{rec.key}: a policy skill has no validation harness")
            v = rec.validated_on
            print(f"{rec.key}: {rec.status} ({rec.stats['successes']}/{v['trials']} successes, lower bound "
                  f"{v['lower_bound']}, {v['backend']})" + (f" skipped: {v['skipped']}" if v.get("skipped") else ""))
        return 0
    if a.what == "learn":
        from planners.skills.learn import learn_library

        res = learn_library(lib, range(1000, 1000 + a.train), range(2000, 2000 + a.validate_seeds),
                            progress=lambda n: print(f"validating {n} ...", flush=True),
                            primitive_seeds=range(a.primitive_seeds))
        composites = set(res["candidates"])
        prims = [f"{k} ({v})" for k, v in res["status"].items() if k not in composites]
        macros = [f"{k} ({v})" for k, v in res["status"].items() if k in composites]
        print(f"{res['traces']} successful traces; primitives: {', '.join(prims)}; composites: {', '.join(macros) or 'none'}")
        return 0
    from planners.skills.benchmark import evaluate, plot_chains

    os.makedirs(a.out, exist_ok=True)
    seeds = range(100, 100 + a.chains)  # scenes never used for learning (transfer)
    results = {"library off": evaluate(seeds, None, a.workers), "library on": evaluate(seeds, a.library, a.workers)}
    off, on = results["library off"], results["library on"]
    lib.reload()
    created = [r for r in lib.skills.values() if r.kind == "composite" and r.status == "validated"]
    summary = {k: {kk: vv for kk, vv in v.items() if kk != "per_chain"} for k, v in results.items()}
    summary["reuse_factor"] = round(on["composite_calls"] / len(created), 2) if created else None
    summary["expansion_reduction"] = (round(1 - on["expansions_per_solved"] / off["expansions_per_solved"], 3)
                                      if off["expansions_per_solved"] else None)
    write_json_atomic(os.path.join(a.out, "skills_benchmark.json"), {**summary, "per_chain": results})
    plot_chains(results, os.path.join(a.out, "chains.png"))
    for name, r in summary.items():
        if isinstance(r, dict):
            print(f"{name:12s} avg chain {r['avg_chain_length']}  in-a-row {r['in_a_row']}  expansions/task "
                  f"{r['expansions_per_solved']}  sim steps/task {r['physics_steps_per_solved']}  s/chain {r['wall_s_per_chain']}"
                  f"  primitive success {r['primitive_success_rate']}")
    print(f"expansions saved by the library: {100 * (summary['expansion_reduction'] or 0):.0f}%  reuse factor "
          f"{summary['reuse_factor']}  -> {a.out}/skills_benchmark.json, {a.out}/chains.png")
    return 0


def _render_episode(rest: list[str]) -> int:
    from scenes.house import HOUSE_SUITES
    from spacelab.figures.episode import render_episode

    p = argparse.ArgumentParser(prog="spacelab render-episode", description="Replay an episode and draw what the robot saw; "
                                "with a house suite, write a video of a house task played by the mobile Panda.")
    p.add_argument("--suite", default=DEFAULT_SUITE)
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--agent", default="mapper")
    p.add_argument("--robot", help="house suites: mobile-panda (the only house robot, the default)")
    p.add_argument("--out", default="episode.png")
    p.add_argument("--video", help="also write the frames as an mp4 (house suites: the video file, .mp4 or .gif)")
    p.add_argument("--plan", help='house suites: a JSON list of skill steps, e.g. [["navigate_to", "table_0"]] '
                                  "(default: pick an item up and place it in another room)")
    p.add_argument("--fps", type=int, default=20, help="house suites: frames per second")
    p.add_argument("--size", type=int, nargs=2, default=(480, 360), metavar=("W", "H"), help="house suites: frame size")
    a = _parse(p, rest)
    if a.suite in HOUSE_SUITES:
        from spacelab.figures.house_video import write_house_video

        if a.robot not in (None, "mobile-panda"):
            raise ValueError(f"unknown robot {a.robot!r} for suite {a.suite}; choose: mobile-panda")
        out = a.video or (a.out if a.out.lower().endswith((".mp4", ".gif")) else "house_episode.mp4")
        try:
            plan = json.loads(a.plan) if a.plan else None
        except json.JSONDecodeError as e:
            raise ValueError(f"--plan must be a JSON list of [skill, *names] steps: {e}") from None
        rec = write_house_video(a.suite, a.index, out, plan=plan, fps=a.fps, size=tuple(a.size))
        done = ", ".join(f"{o['skill']} {'ok' if o['success'] else 'failed: ' + o['reason']}" for o in rec["outcomes"])
        print(f"{out}: {rec['frames']} frames ({done})")
        return 0
    if a.robot is not None:
        raise ValueError(f"--robot is for house suites ({', '.join(HOUSE_SUITES)}), not {a.suite}")
    rec = render_episode(a.suite, a.index, a.agent, a.out, video=a.video)
    if rec.get("error"):
        raise ValueError(rec["error"])
    print(a.out + (f", {a.video}" if a.video else ""))
    return 0


def _render_catalog(rest: list[str]) -> int:
    from spacelab.figures.catalog import render_catalog

    p = argparse.ArgumentParser(prog="spacelab render-catalog", description="Every catalog category from four sides.")
    p.add_argument("--out", required=True, help="directory for catalog.png and one <category>.png each")
    p.add_argument("--tile", type=int, default=112, help="pixels per view on the contact sheet")
    p.add_argument("--categories", nargs="+", help="only these categories (default: all)")
    a = _parse(p, rest)
    if a.tile < 16:
        raise ValueError(f"--tile must be at least 16 pixels, got {a.tile}")
    print(render_catalog(a.out, a.categories, tile=a.tile)["sheet"])
    return 0


def _score(rest: list[str]) -> int:
    from perception.belief import score_map
    from perception.cogmap import CognitiveMap, parse_map
    from perception.tos_metrics import METRICS, PROFILES, extract_json_tos, parse_map_tos, score

    p = argparse.ArgumentParser(prog="spacelab score", description="Score a cognitive map against ground truth.")
    p.add_argument("--pred", help="the agent's map (JSON, or a reply containing it)")
    p.add_argument("--gt", help="ground truth map, or the output of `spacelab scene`")
    p.add_argument("--pairs", metavar="FILE.jsonl",
                   help='many maps: one {"pred": <map or reply text>, "gt": <map>, "seen": [names]} a line; '
                        "prints one line of scores (or {\"line\": n, \"error\": ...}) per line, in order")
    p.add_argument("--profile", choices=PROFILES, default="tos",
                   help="tos: Theory-of-Space's own rules (default); spacelab: spacelab's (docs/tos-profiles.md)")
    p.add_argument("--seen", metavar="NAMES",
                   help="comma-separated names seen so far: score against them (plus the agent) only; "
                        "ToS's scale L stays that of the full ground truth")
    a = _parse(p, rest)
    seen = None if a.seen is None else [n.strip() for n in a.seen.split(",") if n.strip()]
    if a.pairs is not None:
        if a.pred is not None or a.gt is not None:
            fail("spacelab score: give --pairs FILE.jsonl or --pred and --gt, not both")
        return _score_pairs_file(a.pairs, a.profile, seen)
    if a.pred is None or a.gt is None:
        fail("spacelab score: the following arguments are required: --pred, --gt (or --pairs FILE.jsonl)")
    text = _read(a.pred)
    if a.profile == "tos":
        obj, err = extract_json_tos(text)
        pred = parse_map_tos(obj)[0] if obj is not None else CognitiveMap()
        unread = bool(obj) and not any(e.position for e in pred.entries.values())
        hint = "ToS reads only entries like"
    else:
        pred, err = parse_map(text)
        unread = bool(pred.entries) and not any(e.position for e in pred.entries.values())
        hint = "expected e.g."
    if err:
        raise ValueError(f"{a.pred}: {err}")
    if unread:  # "{}" is an empty map; this is none
        raise ValueError(f"{a.pred}: not a cognitive map (no entry has a \"position\": [x, y]); "
                         f"{hint} {{\"chair\": {{\"position\": [1, 2], \"facing\": \"north\"}}}}")
    try:
        gt_obj = json.loads(_read(a.gt))
    except json.JSONDecodeError as e:
        raise ValueError(f"{a.gt}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if isinstance(gt_obj, dict) and isinstance(gt_obj.get("ground_truth"), dict):
        gt_obj = gt_obj["ground_truth"]
    gt = CognitiveMap.from_dict(gt_obj) if isinstance(gt_obj, dict) else CognitiveMap()
    if not any(e.position for e in gt.entries.values()):
        raise ValueError(f"{a.gt}: no ground-truth entries with a position")
    s = score_map(pred, gt) if a.profile == "spacelab" and seen is None else score(pred, gt, a.profile, seen=seen)
    print(json.dumps({k: round(s[k], 6) for k in METRICS}))
    return 0


def _score_pairs_file(path: str, profile: str, seen: list[str] | None) -> int:
    """`spacelab score --pairs`: one line of scores per input line, in order; a bad line is
    {"line": n, "error": ...} in its place (counted on stderr) and the rest are still scored."""
    from perception.tos_metrics import score_pairs

    bad = 0
    out = sys.stdout
    lines = _read(path).split("\n")  # not splitlines(): JSON text may hold a raw U+2028
    if lines and lines[-1] == "":
        lines.pop()
    for row in score_pairs(lines, profile, seen):
        bad += "error" in row
        out.write(json.dumps(row) + "\n")
    out.flush()
    if bad:
        print(f"spacelab score: {bad} bad line(s) in {path}, reported in place", file=sys.stderr)
    return 0


def _report(rest: list[str]) -> int:
    from spacelab.evaluation.report import make_report

    p = argparse.ArgumentParser(prog="spacelab report", description="Leaderboard, plots and HTML from run directories.")
    p.add_argument("runs", nargs="+", help="run directories (each with episodes.jsonl)")
    p.add_argument("--out", help="output directory (default: RUN_DIR/report for one run, ./report otherwise)")
    p.add_argument("--pictures", type=int, default=3, help="top-down pictures per agent and protocol")
    a = _parse(p, rest)
    out = a.out or (os.path.join(a.runs[0], "report") if len(a.runs) == 1 else "report")
    result = make_report(a.runs, out, pictures=a.pictures)
    print(result["table"])
    print(f"report: {os.path.join(out, 'index.html')} ({result['pictures']} episode pictures)")
    return 0


def _serve(rest: list[str]) -> int:
    from spacelab.serving.http import SERVER_KEY_ENV, EnvServer

    p = argparse.ArgumentParser(prog="spacelab serve", description="HTTP environment server (FastAPI + uvicorn).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--max-sessions", type=int, default=32)
    p.add_argument("--session-ttl", type=float, default=1800.0, help="seconds idle before a session is closed")
    p.add_argument("--key", default=None,
                   help=f"server key that creating a session needs (Authorization: Bearer <key>); default ${SERVER_KEY_ENV}")
    a = _parse(p, rest)
    if not 0 <= a.port <= 65535 or a.max_sessions < 1 or not a.session_ttl > 0:
        fail("spacelab serve: --port must be 0..65535, --max-sessions >= 1 and --session-ttl > 0")
    server = EnvServer(a.host, a.port, a.max_sessions, session_ttl_s=a.session_ttl, server_key=a.key)
    key = " (creating sessions needs the server key)" if server.limits.server_key else ""
    print(f"spacelab env server on {server.url}{key} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()  # closes every session when it stops
    except KeyboardInterrupt:  # uvicorn shuts down gracefully, then re-raises the signal
        pass
    return 0


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None


def _bench(rest: list[str]) -> int:
    from spacelab.bench.run import run_bench

    p = argparse.ArgumentParser(prog="spacelab bench", description="Throughput of physics, exploration and workers.")
    p.add_argument("--suite", default=DEFAULT_SUITE)
    p.add_argument("--episodes", type=int, default=100, help="episodes per worker-scaling measurement")
    p.add_argument("--out", default="bench.json")
    p.add_argument("--no-backends", action="store_true", help="skip the per-backend section (PyBullet, batch, Warp)")
    p.add_argument("--clusters", action="store_true",
                   help="also episodes/min on 1 vs 2 Slurm tasks (needs a controller: scripts/slurm-local.sh up) "
                        "and 1 vs 2 Ray nodes (started here with `ray start`), next to the local launcher")
    p.add_argument("--compare", metavar="OLD.json",
                   help="print every figure beside an earlier run's and the ratio new/old (e.g. benchmarks/bench.json)")
    a = _parse(p, rest)
    if a.compare and not os.path.isfile(a.compare):
        raise ValueError(f"--compare: no such file {a.compare!r}")
    run_bench(a.suite, a.episodes, a.out, backends=not a.no_backends, clusters=a.clusters)
    if a.compare:
        from spacelab.bench.compare import compare_files

        print(compare_files(a.compare, a.out))
    return 0


def _parse(p: argparse.ArgumentParser, rest: list[str]):
    p.error = lambda message: fail(f"{p.prog}: {message}")  # one line, exit 2
    return p.parse_args(rest)


if __name__ == "__main__":
    sys.exit(main())
