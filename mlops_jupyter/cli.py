"""The ``mlops`` command: thin over the same services the magics and server use.

Every command has ``--help``, prints one line ``mlops: error: ...`` and exits 2 on
bad input or 1 on other failures, and offers ``--json`` where it prints data.
"""

from __future__ import annotations

import argparse
import json
import os
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
    from .pipelines.runner import RunOptions, parse_overrides, run_pipeline, validate_run_id
    from .pipelines.spec import load_spec

    run_id = validate_run_id(args.run_id, "--run-id")
    spec = load_spec(args.file)
    options = RunOptions(executor=args.executor, scheduler=args.dask_scheduler,
                         force=args.force, only=args.only or [], from_step=args.from_step,
                         max_parallel=args.max_parallel, run_id=run_id,
                         overrides=parse_overrides(args.param or [], spec))
    if not args.json:
        print(f"pipeline {spec.name}: {len(spec.steps)} step(s), executor {args.executor}")
    run = run_pipeline(spec, options, on_change=None if args.json else TerminalProgress())
    _print(run.to_dict(), args.json, lambda d: summary(run))
    return 0 if run.ok else 1


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


def _job_store():
    from .scheduling.store import JobStore

    return JobStore()


def _when(iso: str | None) -> str:
    from .scheduling.humanize import relative

    return relative(iso) if iso else "-"


def cmd_schedule_add(args) -> int:
    """Add a cron schedule for a pipeline file or a notebook."""
    from .scheduling.schedules import build_schedule

    fields = build_schedule(args.target, args.cron, tz=args.tz, params=args.param or [],
                            missed=args.missed, name=args.name)
    schedule = _job_store().add_schedule(fields)
    from .scheduling import cron

    upcoming = [t.isoformat() for t in cron.next_times(schedule["cron"], schedule["timezone"])]
    _print({**schedule, "next": upcoming}, args.json, lambda d: (
        f"schedule {d['name']!r}: {d['target_type']} {d['target']} at '{d['cron']}' "
        f"({d['timezone']}), next {_when(upcoming[0])}; missed runs: {d['missed']}\n"
        "it fires while a scheduler runs: JupyterLab's server, or `mlops scheduler`"))
    return 0


def cmd_schedule_list(args) -> int:
    """Schedules with their next fire time."""
    from .scheduling import cron

    rows = []
    for schedule in _job_store().schedules():
        upcoming = cron.next_times(schedule["cron"], schedule["timezone"], 1)[0].isoformat() \
            if schedule["enabled"] else None
        rows.append({**schedule, "next": upcoming})

    def render(data) -> str:
        if not data:
            return "no schedules (add one with `mlops schedule add TARGET --cron EXPR`)"
        lines = [f"{'NAME':20} {'CRON':16} {'TZ':14} {'NEXT':18} TARGET"]
        for row in data:
            state = _when(row["next"]) if row["enabled"] else "paused"
            lines.append(f"{row['name']:20} {row['cron']:16} {row['timezone']:14} "
                         f"{state:18} {row['target']}")
        return "\n".join(lines)

    _print(rows, args.json, render)
    return 0


def cmd_schedule_state(args) -> int:
    """pause / resume / remove."""
    store = _job_store()
    if args.schedule_command == "remove":
        store.remove_schedule(args.name)
        print(f"schedule {args.name!r} removed (its job history is kept)")
        return 0
    schedule = store.set_enabled(args.name, args.schedule_command == "resume")
    print(f"schedule {args.name!r} {'resumed' if schedule['enabled'] else 'paused'}")
    return 0


def cmd_scheduler(args) -> int:
    """Run the scheduler in the foreground (for machines without JupyterLab)."""
    import logging

    from .scheduling.service import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    scheduler = Scheduler(_job_store(), poll_interval=args.poll_interval)
    print(f"mlops scheduler {scheduler.id}: job store {config.job_db_url().split('://')[0]}, "
          f"tracking {config.tracking_uri()}; Ctrl-C to stop", flush=True)
    scheduler.serve_forever()
    return 0


def cmd_jobs(args) -> int:
    """Job history, newest first."""
    rows = _job_store().jobs(schedule=args.schedule, status=args.status, limit=args.limit)

    def render(data) -> str:
        if not data:
            return "no jobs"
        lines = [f"{'ID':>5} {'SCHEDULE':20} {'TRIGGER':9} {'STATUS':12} {'STARTED':18} ERROR"]
        for job in data:
            lines.append(f"{job['id']:>5} {job['schedule']!s:20} {job['trigger']:9} "
                         f"{job['status']:12} {_when(job['started'] or job['created']):18} "
                         f"{(job['error'] or '')[:80]}")
        return "\n".join(lines)

    _print(rows, args.json, render)
    return 0


def cmd_jobs_show(args) -> int:
    job = _job_store().job(args.id)
    _print(job, args.json, lambda d: "\n".join(f"{k:14} {v}" for k, v in d.items()))
    return 0


def cmd_jobs_cancel(args) -> int:
    from .scheduling.service import cancel_job

    job = cancel_job(_job_store(), args.id)
    print(f"job {job['id']} cancelled ({job['status']})")
    return 0


def cmd_models_list(args) -> int:
    """Registered models, their versions, metrics and aliases (metadata only)."""
    from .registry.listing import list_models

    models = list_models()

    def render(data) -> str:
        if not data:
            return "no registered models (register one with %mlops register VAR --name NAME)"
        lines = []
        for model in data:
            aliases = ", ".join(f"@{a}=v{v}" for a, v in sorted(model["aliases"].items()))
            lines.append(f"{model['name']}  ({len(model['versions'])} versions) {aliases}")
            for version in model["versions"][: args.versions]:
                metrics = "  ".join(f"{k}={v:.4g}" for k, v in
                                    sorted(version["metrics"].items())[:4])
                held = " ".join(f"@{a}" for a in version["aliases"])
                lines.append(f"  v{version['version']:<4} {version['flavor'] or '?':8} "
                             f"{held:22} {metrics}")
        return "\n".join(lines)

    _print(models, args.json, render)
    return 0


def cmd_models_promote(args) -> int:
    """Move an alias to a version through the promotion gate."""
    from .registry import promote

    result = promote(args.model, args.version, args.alias, thresholds=args.threshold,
                     force=args.force, reason=args.reason, margin=args.margin,
                     metric=args.metric, higher_is_better=_higher_is_better(args))

    def render(data) -> str:
        head = (f"{args.model} v{args.version} -> @{args.alias}: "
                f"{'promoted' if data['promoted'] else 'refused'}"
                f"{' (forced)' if args.force and data['promoted'] else ''}")
        return "\n".join([head, *_verdict_lines(data["verdict"])])

    _print(result, args.json, render)
    return 0 if result["promoted"] else 1


def _higher_is_better(args) -> bool | None:
    return None if args.lower_is_better is None else not args.lower_is_better


def _verdict_lines(verdict: dict) -> list[str]:
    return [f"  {'ok ' if check['passed'] else 'NO '} {check['reason']}"
            for check in verdict.get("checks", [])] or [("  (no checks: no thresholds "
                                                         "and no holder to beat)")]


def _policy_lines(policy: dict | None) -> list[str]:
    if policy is None:
        return ["no gate declared (promotions compare run metrics on accuracy)"]
    evaluation = policy.get("evaluation")
    direction = "higher" if policy["higher_is_better"] else "lower"
    return [f"thresholds: {', '.join(policy['thresholds']) or '(none)'}",
            (f"beat the holder on {policy['metric']} ({direction} is better) "
            f"by {policy['margin']:g}"),
            "scored on: " + (f"{os.path.basename(evaluation['data'])} "
                             f"(target {evaluation['target']})" if evaluation
                             else "the versions' own run metrics")]


def cmd_models_gate(args) -> int:
    """Show, declare or preview a model's promotion gate."""
    from .registry import gate, policy

    if args.set and args.version:
        raise UsageError("--set and --version do not go together")
    if args.set:
        fields = {key: value for key, value in {
            "thresholds": args.threshold, "metric": args.metric, "margin": args.margin,
            "higher_is_better": _higher_is_better(args)}.items() if value is not None}
        if args.data or args.target:
            fields["evaluation"] = {"data": os.path.abspath(args.data or ""),
                                    "target": args.target}
        declared = policy.parse_policy(fields, where="gate")
        policy.declare_policy(args.model, declared)
        _print(declared.to_dict(), args.json,
               lambda data: "\n".join([f"gate of {args.model} declared:",
                                       *_policy_lines(data)]))
        return 0
    if args.version:
        verdict = gate.evaluate_gate(
            args.model, args.version, thresholds=args.threshold, compare_to=args.alias,
            margin=args.margin, metric=args.metric, higher_is_better=_higher_is_better(args),
            score=args.score)
        hint = [("  (compared on run metrics: --score scores both versions on the evaluation "
                "dataset)")] if verdict.get("scorable") and \
            verdict["scores"].get("source") == "run metrics" else []
        _print(verdict, args.json, lambda data: "\n".join([
            (f"{args.model} v{args.version} -> @{args.alias}: gate "
            f"{'passes' if data['passed'] else 'refuses'}"), *_verdict_lines(data), *hint]))
        return 0 if verdict["passed"] else 1
    declared = policy.declared_policy(args.model)
    _print({"policy": None if declared is None else declared.to_dict()}, args.json,
           lambda data: "\n".join(_policy_lines(data["policy"])))
    return 0


def cmd_models_rollback(args) -> int:
    """Move an alias back to its previous holder."""
    from .registry import rollback

    entry = rollback(args.model, args.alias, reason=args.reason)
    _print(entry, args.json, lambda d: (
        f"{args.model}@{args.alias}: v{d.get('from_version')} -> v{d.get('to_version')} "
        "(rollback)"))
    return 0


def cmd_models_lineage(args) -> int:
    """Where a model version came from: run, notebook or step, data, git."""
    from .registry import lineage, render_tree
    from .registry.common import parse_model_reference

    name, reference = parse_model_reference(args.reference)
    info = lineage(name, reference or "champion")
    _print(info, args.json, render_tree)
    return 0


def cmd_drift_check(args) -> int:
    """Check current data for drift against a model's reference, or compare two files."""
    from .monitoring.checks import compare, run_check
    from .monitoring.render import drift_lines
    from .monitoring.spec import MonitorSpec, load_monitor

    if args.monitor:
        spec = load_monitor(args.monitor)
        if args.model:
            raise UsageError("give a monitor file or --model, not both")
    elif args.model:
        from .registry.common import parse_model_reference

        name, ref = parse_model_reference(args.model)
        spec = MonitorSpec(model=name, reference_of_model=ref)
    elif args.reference or args.current:
        if not (args.reference and args.current):
            raise UsageError("to compare two datasets give both --reference FILE and "
                             "--current FILE")
        data = compare(args.reference, args.current, report=not args.no_report,
                       source="cli")
        _print(data, args.json, lambda d: "\n".join(drift_lines(d)))
        return 0
    else:
        raise UsageError("give a monitor file (monitor.yaml), --model MODEL[@ALIAS], or "
                         "--reference FILE --current FILE")
    data = run_check(spec, current=args.current, reference=args.reference,
                     report=not args.no_report, retrain=not args.no_retrain, source="cli")
    _print(data, args.json, lambda d: "\n".join(drift_lines(d)))
    return 0


def cmd_drift_reference(args) -> int:
    """Store a reference profile for a model version from a data file."""
    from .monitoring.checks import read_frame
    from .monitoring.references import save_reference
    from .registry.common import parse_model_reference, resolve_reference

    name, ref = parse_model_reference(args.model)
    if ref is None:
        raise UsageError("name the version: MODEL/VERSION or MODEL@ALIAS")
    version = resolve_reference(name, ref)
    data = save_reference(name, version.version, read_frame(args.data),
                          prediction_column=args.prediction_column,
                          target_column=args.target_column)
    _print(data, args.json, lambda d: f"reference profile of {d['name']} v{d['version']}: "
                                      f"{d['rows']} rows, {len(d['columns'])} columns")
    return 0


def cmd_drift_history(args) -> int:
    """Past drift checks of a model, newest first."""
    from .monitoring.records import search_checks
    from .registry import common

    common.get_registered_model(args.model)
    checks = search_checks(common.client(), args.model, max_results=args.limit)

    def render(data) -> str:
        if not data["checks"]:
            return f"no drift checks of {args.model} yet (mlops drift check --help)"
        rows = []
        for item in data["checks"]:
            share = item["drift_share"]
            verdict = {True: "DRIFT", False: "ok", None: "?"}[item["dataset_drift"]]
            alerts = f"  alerts: {', '.join(a['rule'] for a in item['alerts'])}" \
                if item["alerts"] else ""
            retrain = f"  retrain: {item['retrain']['status']}" if item["retrain"] else ""
            rows.append(f"{_when(_iso_ms(item['time']))}  v{item['version']:<4} {verdict:6} "
                        f"{'' if share is None else f'{share:.0%}':>5} drifted{alerts}{retrain}")
        return "\n".join(rows)

    _print({"checks": checks}, args.json, render)
    return 0


def _iso_ms(milliseconds: int | None) -> str | None:
    from datetime import datetime, timezone

    if not milliseconds:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc).isoformat()


def cmd_demo(args) -> int:
    """Run the example notebooks headless with tracking on, then say where to look."""
    from .demo import run_demo

    return run_demo(EXAMPLE_NOTEBOOKS if args.notebooks is None else Path(args.notebooks),
                    Path(args.out) if args.out else None, serve=not args.no_serve)


# -------------------------------------------------------------------- parser
def _gate_arguments(parser) -> None:
    parser.add_argument("--threshold", action="append", metavar="'METRIC >= N'",
                        help="a check on the version's run metrics (repeatable; "
                             "default: the model's declared gate)")
    parser.add_argument("--metric", help="metric compared with the current holder "
                                         "(default: declared, else accuracy)")
    parser.add_argument("--lower-is-better", action="store_true", default=None,
                        help="for losses and errors (rmse, log_loss)")
    parser.add_argument("--margin", type=float,
                        help="how much the version must beat the holder by")


def _group(commands, name: str, text: str):
    """A command with actions (``mlops NAME ACTION``); returns its subparsers."""
    parser = commands.add_parser(name, help=text)
    return parser.add_subparsers(dest=f"{name}_command", metavar="ACTION",
                                 parser_class=_Parser, required=True)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops", description="Notebook-native MLOps on MLflow "
                     "(tracking store: $MLFLOW_TRACKING_URI or the embedded SQLite store "
                     "in $MLOPS_JUPYTER_HOME, default ~/.mlops-jupyter).")
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    info = commands.add_parser("info", help="show the home directory, store and spool")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=cmd_info)

    spool_commands = _group(commands, "spool", "tracking events not yet written to the store")
    flush = spool_commands.add_parser("flush", help="write events left by exited kernels")
    flush.add_argument("--timeout", type=float, default=60.0,
                       help="give up after this many seconds (default 60)")
    flush.add_argument("--json", action="store_true", help="print JSON")
    flush.set_defaults(func=cmd_spool_flush)

    pipeline_commands = _group(commands, "pipeline", "notebook pipelines: run, show, init")
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

    schedule_commands = _group(commands, "schedule", "cron schedules of pipelines and notebooks")
    add = schedule_commands.add_parser("add", help="schedule a pipeline file or notebook")
    add.add_argument("target", help="pipeline.yaml or notebook.ipynb")
    add.add_argument("--cron", required=True, metavar="EXPR",
                     help="'minute hour day month weekday' (a 6th field: seconds)")
    add.add_argument("--tz", default="UTC", help="IANA time zone (default UTC)")
    add.add_argument("--param", action="append", metavar="K=V",
                     help="parameter (STEP.NAME=VALUE for pipelines); repeatable")
    add.add_argument("--missed", choices=("skip", "catch_up_once"), default="skip",
                     help="ticks missed while no scheduler ran (default skip)")
    add.add_argument("--name", help="schedule name (default: the target's file name)")
    add.add_argument("--json", action="store_true", help="print JSON")
    add.set_defaults(func=cmd_schedule_add)
    listing = schedule_commands.add_parser("list", help="schedules and their next run")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_schedule_list)
    for action, text in (("pause", "stop firing (keeps the schedule)"),
                         ("resume", "fire again, from now on"),
                         ("remove", "delete the schedule (keeps its jobs)")):
        sub = schedule_commands.add_parser(action, help=text)
        sub.add_argument("name")
        sub.set_defaults(func=cmd_schedule_state)

    scheduler = commands.add_parser("scheduler", help="run the scheduler in the foreground")
    scheduler.add_argument("--poll-interval", type=float, default=2.0, metavar="S",
                           help="how often to look for new schedules (default 2 s)")
    scheduler.set_defaults(func=cmd_scheduler)

    jobs = commands.add_parser("jobs", help="job history: list, show, cancel")
    jobs.add_argument("--schedule", help="only this schedule's jobs")
    jobs.add_argument("--status", help="only jobs with this status")
    jobs.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    jobs.add_argument("--json", action="store_true", help="print JSON")
    jobs.set_defaults(func=cmd_jobs)
    job_commands = jobs.add_subparsers(dest="jobs_command", metavar="ACTION",
                                       parser_class=_Parser)
    show_job = job_commands.add_parser("show", help="one job")
    show_job.add_argument("id", type=int)
    show_job.add_argument("--json", action="store_true", help="print JSON")
    show_job.set_defaults(func=cmd_jobs_show)
    cancel = job_commands.add_parser("cancel", help="stop a running job and its kernels")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=cmd_jobs_cancel)

    model_commands = _group(commands, "models",
                            "registered models: list, promote, rollback, lineage")
    listing = model_commands.add_parser("list", help="models, versions, metrics, aliases")
    listing.add_argument("--versions", type=int, default=5, metavar="N",
                         help="newest versions shown per model (default 5)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_models_list)
    promote = model_commands.add_parser("promote", help="move an alias through the gate")
    promote.add_argument("model")
    promote.add_argument("version")
    promote.add_argument("--alias", default="champion", help="default champion")
    _gate_arguments(promote)
    promote.add_argument("--force", action="store_true", help="skip the gate (needs --reason)")
    promote.add_argument("--reason", help="why (recorded in the alias history)")
    promote.add_argument("--json", action="store_true", help="print JSON")
    promote.set_defaults(func=cmd_models_promote)
    gate = model_commands.add_parser(
        "gate", help="show, declare (--set) or try (--version) a model's promotion gate",
        description="Without options: the declared gate. --set stores the given fields "
                    "as the model's gate. --version V: the verdict for V now, changing "
                    "nothing.")
    gate.add_argument("model")
    gate.add_argument("--set", action="store_true", help="declare the gate given below")
    gate.add_argument("--version", help="preview the gate's verdict for this version")
    gate.add_argument("--alias", default="champion", help="alias to judge against")
    _gate_arguments(gate)
    gate.add_argument("--data", help="evaluation dataset (.csv/.parquet) both versions "
                                     "are scored on (with --set)")
    gate.add_argument("--target", help="its label column (with --set)")
    gate.add_argument("--score", action="store_true",
                      help="with --version: score both versions on the declared evaluation "
                           "dataset (loads them, each in a short-lived process of its own); "
                           "without it the preview judges on run metrics and loads nothing")
    gate.add_argument("--json", action="store_true", help="print JSON")
    gate.set_defaults(func=cmd_models_gate)
    back = model_commands.add_parser("rollback", help="alias back to its previous holder")
    back.add_argument("model")
    back.add_argument("--alias", default="champion")
    back.add_argument("--reason", help="why (recorded in the alias history)")
    back.add_argument("--json", action="store_true", help="print JSON")
    back.set_defaults(func=cmd_models_rollback)
    trace = model_commands.add_parser("lineage", help="run, notebook/step, data and git")
    trace.add_argument("reference", metavar="MODEL[@ALIAS|/VERSION]")
    trace.add_argument("--json", action="store_true", help="print JSON")
    trace.set_defaults(func=cmd_models_lineage)

    drift_commands = _group(commands, "drift",
                            "drift checks: check, reference, history")
    check = drift_commands.add_parser(
        "check", help="check current data for drift (alerts, retrain per monitor.yaml), "
                      "or compare two data files",
        description="Per-column drift verdicts with Evidently's DataDriftPreset methods "
                    "and thresholds, the dataset verdict, alerts and the retrain loop of "
                    "a monitor file; recorded as a run of experiment mlops-monitoring. "
                    "With --reference and --current only (no monitor file, no --model) "
                    "it compares the two files, no model needed.")
    check.add_argument("monitor", nargs="?", help="a monitor.yaml (model, data, rules)")
    check.add_argument("--model", metavar="MODEL[@ALIAS|/VERSION]",
                       help="check this model (default alias champion) without a file")
    check.add_argument("--current", help="current data, .csv or .parquet")
    check.add_argument("--reference", help="reference data, .csv or .parquet: instead of "
                                           "the model's stored profile, or on its own to "
                                           "compare two files")
    check.add_argument("--no-report", action="store_true",
                       help="skip the Evidently HTML report")
    check.add_argument("--no-retrain", action="store_true",
                       help="alert only; never start the retrain pipeline")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(func=cmd_drift_check)
    reference = drift_commands.add_parser(
        "reference", help="store the reference profile of a model version")
    reference.add_argument("model", metavar="MODEL/VERSION|MODEL@ALIAS")
    reference.add_argument("--data", required=True, help="training data, .csv or .parquet")
    reference.add_argument("--prediction-column", help="the model's output column, if any")
    reference.add_argument("--target-column", help="the label column, if any")
    reference.add_argument("--json", action="store_true", help="print JSON")
    reference.set_defaults(func=cmd_drift_reference)
    history = drift_commands.add_parser("history", help="past checks of a model")
    history.add_argument("model")
    history.add_argument("--limit", type=int, default=50, help="newest N (default 50)")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.set_defaults(func=cmd_drift_history)

    from .dashboards.commands import add_commands as add_dashboard_commands

    add_dashboard_commands(commands)

    demo = commands.add_parser("demo", help="run the end-to-end demo on the example notebooks")
    demo.add_argument("--notebooks", help="folder with the example notebooks")
    demo.add_argument("--out", help="folder for executed notebooks (default: home/demo)")
    demo.add_argument("--no-serve", action="store_true",
                      help="publish the dashboards but do not start the Voila server")
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
