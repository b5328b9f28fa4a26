"""The ``mlops`` command: thin over the same services the magics and server use.

Every command has ``--help``, prints one line ``mlops: error: ...`` and exits 2 on
bad input or 1 on other failures, and offers ``--json`` where it prints data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__, config
from .exceptions import MLOpsError, NotFoundError, UsageError

EXAMPLE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "example_notebooks"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(f"{message} (see {self.prog} --help)")


def _print(data, as_json: bool, render: Callable[[dict], str]) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else render(data))


# ------------------------------------------------------------------ commands
def cmd_info(args) -> int:
    """Where mlops-jupyter keeps its state."""
    from .tracking.spool import spooled_event_count

    data = {"version": __version__, "home": str(config.home_dir()),
            "tracking_uri": config.tracking_uri(),
            "spooled_events": spooled_event_count(config.spool_dir())}
    _print(data, args.json, lambda d: "\n".join(f"{k:15} {v}" for k, v in d.items()))
    return 0


def cmd_spool_flush(args) -> int:
    """Write events left in the spool by exited kernels."""
    from .tracking.flusher import flush_orphans, quiet_dedicated_process

    quiet_dedicated_process()
    flusher = flush_orphans(config.tracking_uri(), config.spool_dir(), args.timeout)
    data = {"written": flusher.written, "rejected": flusher.rejected,
            "pending": flusher.pending(), "last_error": flusher.last_error}
    _print(data, args.json, lambda d: (
        f"{d['written']} event(s) written, {d['rejected']} rejected, {d['pending']} pending"
        + (f" ({d['last_error']})" if d["last_error"] else "")))
    return 0 if not data["pending"] else 1


def cmd_pipeline_run(args) -> int:
    """Run a pipeline; exit 1 when any step did not succeed."""
    from .pipelines.report import TerminalProgress, summary
    from .pipelines.runner import RunOptions, parse_overrides, run_pipeline
    from .pipelines.spec import load_spec

    spec = load_spec(args.file)
    options = RunOptions(executor=args.executor, scheduler=args.dask_scheduler,
                         force=args.force, only=args.only or [], from_step=args.from_step,
                         max_parallel=args.max_parallel, run_id=_run_id(args.run_id),
                         overrides=parse_overrides(args.param or [], spec))
    if not args.json:
        print(f"pipeline {spec.name}: {len(spec.steps)} step(s), executor {args.executor}")
    run = run_pipeline(spec, options, on_change=None if args.json else TerminalProgress())
    _print(run.to_dict(), args.json, lambda d: summary(run))
    return 0 if run.ok else 1


def _run_id(value: str | None) -> str | None:
    import re

    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", value):
        raise UsageError("--run-id takes letters, digits, '-' and '_' (at most 64)")
    return value


def cmd_pipeline_show(args) -> int:
    """The DAG, each step's cache state and its last status."""
    from .pipelines.report import last_run, plan, render_plan
    from .pipelines.spec import load_spec

    spec = load_spec(args.file)
    rows = plan(spec)
    last = last_run(spec)
    data = {"pipeline": spec.name, "experiment": spec.experiment, "steps": rows,
            "last_run": {k: last.get(k) for k in ("run_id", "status", "run_dir")} if last else None}
    _print(data, args.json, lambda d: render_plan(spec, rows) + (
        f"\nlast run {last['run_id']}: {last['status']} ({last['run_dir']})" if last else
        "\nnever run"))
    return 0


def cmd_pipeline_init(args) -> int:
    """Write a starter pipeline.yaml from notebooks' parameters cells."""
    from .pipelines.report import init_pipeline

    out = Path(args.out)
    init_pipeline(args.notebooks, out, name=args.name, force=args.force)
    print(f"wrote {out} with {len(args.notebooks)} step(s); edit inputs/outputs, then "
          f"`mlops pipeline run {out}`")
    return 0


def cmd_demo(args) -> int:
    """Run the example notebooks headless with tracking on, then say where to look."""
    from .demo import run_demo

    return run_demo(EXAMPLE_NOTEBOOKS if args.notebooks is None else Path(args.notebooks),
                    Path(args.out) if args.out else None)


# -------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops", description="Notebook-native MLOps on MLflow "
                     "(tracking store: $MLFLOW_TRACKING_URI or the embedded SQLite store "
                     "in $MLOPS_JUPYTER_HOME, default ~/.mlops-jupyter).")
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    info = commands.add_parser("info", help="show the home directory, store and spool")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=cmd_info)

    spool = commands.add_parser("spool", help="tracking events not yet written to the store")
    spool_commands = spool.add_subparsers(dest="spool_command", metavar="ACTION",
                                          parser_class=_Parser, required=True)
    flush = spool_commands.add_parser("flush", help="write events left by exited kernels")
    flush.add_argument("--timeout", type=float, default=60.0,
                       help="give up after this many seconds (default 60)")
    flush.add_argument("--json", action="store_true", help="print JSON")
    flush.set_defaults(func=cmd_spool_flush)

    pipeline = commands.add_parser("pipeline", help="notebook pipelines: run, show, init")
    pipeline_commands = pipeline.add_subparsers(dest="pipeline_command", metavar="ACTION",
                                                parser_class=_Parser, required=True)
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
    run.add_argument("--json", action="store_true", help="print the run as JSON")
    run.set_defaults(func=cmd_pipeline_run)
    show = pipeline_commands.add_parser("show", help="the DAG, cache state and last status")
    show.add_argument("file", help="pipeline.yaml")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_pipeline_show)
    init = pipeline_commands.add_parser("init", help="write a starter pipeline.yaml")
    init.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    init.add_argument("--out", default="pipeline.yaml", help="where to write it")
    init.add_argument("--name", help="pipeline name (default: the folder's name)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_pipeline_init)

    demo = commands.add_parser("demo", help="run the end-to-end demo on the example notebooks")
    demo.add_argument("--notebooks", help="folder with the example notebooks")
    demo.add_argument("--out", help="folder for executed notebooks (default: home/demo)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return args.func(args)
    except (UsageError, NotFoundError) as exc:  # bad input
        print(f"mlops: error: {exc}", file=sys.stderr)
        return 2
    except MLOpsError as exc:
        print(f"mlops: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mlops: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
