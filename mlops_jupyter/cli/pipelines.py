"""``mlops pipeline run|show|history|init``: notebook pipelines from the command line."""

from __future__ import annotations

from pathlib import Path

from .. import names
from .common import add_group, add_json_flag, print_result


def cmd_pipeline_run(args) -> int:
    """Run a pipeline; exit 1 when any step did not succeed."""
    from ..pipelines.overrides import parse_overrides
    from ..pipelines.progress import TerminalProgress, summary
    from ..pipelines.runner import RunOptions, run_pipeline
    from ..pipelines.spec import load_spec

    run_id = names.check_run_id(args.run_id, "--run-id")
    spec = load_spec(args.file)
    options = RunOptions(executor=args.executor, scheduler=args.dask_scheduler,
                         force=args.force, only=args.only or [], from_step=args.from_step,
                         max_parallel=args.max_parallel, run_id=run_id,
                         overrides=parse_overrides(args.param or [], spec))
    if not args.json:
        print(f"pipeline {spec.name}: {len(spec.steps)} step(s), executor {args.executor}")
    run = run_pipeline(spec, options, on_change=None if args.json else TerminalProgress())
    print_result(run.to_dict(), args.json, lambda d: summary(run))
    return 0 if run.ok else 1


def cmd_pipeline_show(args) -> int:
    """The DAG, each step's cache state and its last status."""
    from ..pipelines.plan import last_run, plan, render_plan
    from ..pipelines.spec import load_spec

    spec = load_spec(args.file)
    rows = plan(spec)
    last = last_run(spec)
    data = {"pipeline": spec.name, "experiment": spec.experiment, "steps": rows,
            "last_run": {k: last.get(k) for k in ("run_id", "status", "run_dir")} if last else None}
    print_result(data, args.json, lambda d: render_plan(spec, rows) + (
        f"\nlast run {last['run_id']}: {last['status']} ({last['run_dir']})" if last else
        "\nnever run"))
    return 0


def cmd_pipeline_history(args) -> int:
    """The pipeline's past runs, newest first (manual and scheduled)."""
    from datetime import datetime

    from ..exceptions import UsageError
    from ..pipelines.history import MAX_LIMIT, run_history
    from ..pipelines.spec import load_spec

    if not 1 <= args.limit <= MAX_LIMIT:
        raise UsageError(f"--limit must be 1-{MAX_LIMIT}")
    spec = load_spec(args.file)
    history = run_history(spec.path.resolve(), spec.experiment, spec.name, limit=args.limit,
                          relative=lambda path: str(path))

    def render(data) -> str:
        if not data["runs"]:
            return f"pipeline {spec.name}: never run"
        lines = [f"pipeline {spec.name}: {data['total']} run(s), newest first"]
        for run in data["runs"]:
            started = datetime.fromtimestamp(run["started"]).strftime("%Y-%m-%d %H:%M:%S") \
                if run["started"] else "?"
            took = f"{run['duration']:.1f} s" if run["duration"] is not None else "-"
            lines.append(f"  {run['run_id']:<24} {run['status']:<9} {run['trigger']:<9} "
                         f"{started}  {took:>9}  {run['ok']} ok, {run['failed']} failed, "
                         f"{run['cached']} cached")
            if run["error"]:
                lines.append(f"      {run['error']}")
        return "\n".join(lines)

    print_result(history.model_dump(), args.json, render)
    return 0


def cmd_pipeline_init(args) -> int:
    """Write a starter pipeline.yaml from notebooks' parameters cells."""
    from ..pipelines.scaffold import init_pipeline

    out = Path(args.out)
    init_pipeline(args.notebooks, out, name=args.name, force=args.force)
    print(f"wrote {out} with {len(args.notebooks)} step(s); edit inputs/outputs, then "
          f"`mlops pipeline run {out}`")
    return 0


def add_commands(commands) -> None:
    """Add ``pipeline run|show|history|init`` to the ``mlops`` subparsers ``commands``."""
    pipeline_commands = add_group(commands, "pipeline", "notebook pipelines: run, show, init")
    run = pipeline_commands.add_parser("run", help="run a pipeline (cached steps are skipped)")
    run.add_argument("file", help="pipeline.yaml")
    run.add_argument("--param", action="append", metavar="STEP.NAME=VALUE",
                     help="override a step parameter (repeatable)")
    run.add_argument("--executor", choices=("local", "dask"), default="local")
    run.add_argument("--dask-scheduler", metavar="tcp://HOST:PORT",
                     help="scheduler address for --executor dask (default: "
                     "start a local cluster)")
    run.add_argument("--force", action="store_true", help="ignore the cache")
    run.add_argument("--only", action="append", metavar="STEP",
                     help="run just this step (repeatable); its upstream outputs must exist")
    run.add_argument("--from", dest="from_step", metavar="STEP",
                     help="run this step and everything downstream of it")
    run.add_argument("--max-parallel", type=int, metavar="N",
                     help="steps at once (default: the number of cores)")
    run.add_argument("--run-id", metavar="ID", help="name of the run folder (default: a "
                     "timestamp); letters, digits, '-', '_'")
    add_json_flag(run, "print the run as JSON")
    run.set_defaults(func=cmd_pipeline_run)
    show = pipeline_commands.add_parser("show", help="the DAG, cache state and last status")
    show.add_argument("file", help="pipeline.yaml")
    add_json_flag(show)
    show.set_defaults(func=cmd_pipeline_show)
    history = pipeline_commands.add_parser(
        "history", help="past runs, newest first (manual and scheduled)")
    history.add_argument("file", help="pipeline.yaml")
    history.add_argument("--limit", type=int, default=10, metavar="N",
                         help="how many runs (1-50, default 10)")
    add_json_flag(history)
    history.set_defaults(func=cmd_pipeline_history)
    init = pipeline_commands.add_parser("init", help="write a starter pipeline.yaml")
    init.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    init.add_argument("--out", default="pipeline.yaml", help="where to write it")
    init.add_argument("--name", help="pipeline name (default: the folder's name)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_pipeline_init)
