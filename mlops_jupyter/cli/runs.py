"""``mlops runs list|show`` (and ``compare|diff`` from :mod:`.run_comparison`): the
runs workspace from the command line."""

from __future__ import annotations

import datetime as dt
import os

from ..exceptions import NotFoundError
from . import run_comparison
from .common import add_group, add_json_flag, print_result


def _experiment_id(experiment: str | None) -> tuple[str, str]:
    """(id, name) of ``experiment`` (a name or an id); the most recently updated one
    when None."""
    from ..tracking import queries

    experiments = queries.list_experiments()
    if experiment is None:
        if not experiments:
            raise NotFoundError("no experiments yet (track a notebook with %mlops track)")
        return experiments[0]["experiment_id"], experiments[0]["name"]
    for item in experiments:
        if experiment in (item["name"], item["experiment_id"]):
            return item["experiment_id"], item["name"]
    raise NotFoundError(f"no active experiment named {experiment[:100]!r}")


def _when(ms: int | None) -> str:
    if not ms:
        return "-"
    return dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _state(run: dict) -> str:
    if run.get("cached"):
        return "CACHED"
    return run["status"]


def _marks(run: dict) -> str:
    marks = []
    if run.get("cached") and run.get("cached_from_run_id"):
        marks.append(f"cached from {run['cached_from_run_id'][:8]}")
    if run.get("scheduled"):
        marks.append(f"scheduled job {run['job_id']}")
    if run.get("child_count"):
        marks.append(f"{run['child_count']} children")
    if run.get("error"):
        marks.append(run["error"][:120])
    return "  ".join(marks)


def cmd_runs_list(args) -> int:
    """One page of an experiment's runs: the top level, a run's children (--parent) or
    what a filter matches."""
    from ..tracking import queries

    experiment_id, name = _experiment_id(args.experiment)
    page = queries.list_runs(experiment_id, status=args.status, max_results=args.limit,
                             filter_string=args.filter, order_by=args.order_by,
                             parent=args.parent)

    def render(data) -> str:
        if not data["runs"]:
            return f"no runs in {name} matched"
        lines = [f"experiment {name} ({experiment_id})"]
        for run in data["runs"]:
            duration = "-" if run["duration_s"] is None else f"{run['duration_s']:.1f}s"
            label = run["run_name"] or run["run_id"]
            metrics = " ".join(f"{key}={value:.4g}" for key, value in
                               sorted(run["metrics"].items())[:3])
            lines.append(f"{run['run_id']}  {_state(run):9} {run['kind'] or '-':9} "
                         f"{_when(run['start_time'])}  {duration:>8}  {label}  {metrics}  "
                         f"{_marks(run)}".rstrip())
        if data["next_page_token"]:
            lines.append("(more: raise --limit)")
        return "\n".join(lines)

    print_result({"experiment_id": experiment_id, **page}, args.json, render)
    return 0


def cmd_runs_show(args) -> int:
    """Everything about one run (metadata only; no model is loaded)."""
    from ..runs.service import RunsService

    detail = RunsService(os.getcwd()).run_detail(args.run).to_json()

    def render(data) -> str:
        lines = [f"{data['run_name'] or data['run_id']}  ({data['run_id']})",
                 f"  status      {_state(data)}  {_marks(data)}".rstrip(),
                 f"  experiment  {data.get('experiment_name')} ({data['experiment_id']})",
                 f"  kind        {data.get('kind') or '-'}",
                 f"  started     {_when(data.get('start_time'))}",
                 f"  duration    {data.get('duration_s')}"]
        if data.get("parent"):
            lines.append(f"  parent      {data['parent']['run_id']} "
                         f"{data['parent'].get('run_name') or ''}".rstrip())
        for title, values in (("params", data.get("params")), ("metrics", data.get("metrics"))):
            if values:
                lines.append(f"{title}:")
                lines.extend(f"  {key} = {value}" for key, value in sorted(values.items()))
        error = data.get("error_detail")
        if error:
            lines.append(f"error: {error.get('type')}: {error.get('message')}")
            if error.get("traceback"):
                lines.extend("  " + line for line in error["traceback"].splitlines()[-8:])
        if data.get("git"):
            git = data["git"]
            lines.append(f"git: {git.get('commit')} {git.get('branch') or ''}"
                         f"{' (dirty)' if git.get('dirty') else ''}")
        for child in data.get("children", [])[:50]:
            lines.append(f"  child {child['run_id']} {_state(child):9} "
                         f"{child.get('run_name') or ''}")
        for version in data.get("model_versions", []):
            lines.append(f"model {version['name']} v{version['version']}")
        for item in data.get("related", []):
            lines.append(f"related {item['kind']}: {item['label']} ({item['id']})")
        if data.get("artifacts"):
            lines.append(f"artifacts: {len(data['artifacts'])} entries")
        return "\n".join(lines)

    print_result(detail, args.json, render)
    return 0


def add_commands(commands) -> None:
    """Add ``mlops runs list|show`` (and the comparison part's ``compare|diff``)."""
    runs_commands = add_group(commands, "runs", "list, show, compare and diff tracked runs")
    listing = runs_commands.add_parser(
        "list", help="an experiment's runs: top level, a run's children, or a search")
    listing.add_argument("--experiment", help="name or id (default: the most recently "
                                              "updated experiment)")
    listing.add_argument("--filter", help="MLflow filter, e.g. \"metrics.accuracy > 0.9 "
                                          "and params.model = 'forest'\" (lists flat)")
    listing.add_argument("--order-by", help="start_time, run_name, metrics.KEY or "
                                            "params.KEY, then ASC or DESC")
    listing.add_argument("--status", choices=("RUNNING", "FINISHED", "FAILED", "KILLED"))
    listing.add_argument("--parent", help="a run id: list its children")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (1-500)")
    add_json_flag(listing)
    listing.set_defaults(func=cmd_runs_list)
    show = runs_commands.add_parser("show", help="everything about one run")
    show.add_argument("run", help="the run id")
    add_json_flag(show)
    show.set_defaults(func=cmd_runs_show)
    run_comparison.add_commands(runs_commands)
