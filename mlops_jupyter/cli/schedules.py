"""``mlops schedule add|list|pause|resume|remove``, ``mlops scheduler`` and ``mlops jobs``."""

from __future__ import annotations

from .. import config
from ..scheduling.schedules import MISSED_POLICIES
from .common import Parser, add_group, add_json_flag, print_result, relative_time


def _job_store():
    from ..scheduling.store import JobStore

    return JobStore()


def cmd_schedule_add(args) -> int:
    """Add a cron schedule for a pipeline file or a notebook."""
    from ..scheduling import cron
    from ..scheduling.schedules import build_schedule

    fields = build_schedule(args.target, args.cron, tz=args.tz, params=args.param or [],
                            missed=args.missed, name=args.name)
    schedule = _job_store().add_schedule(fields)
    upcoming = [t.isoformat() for t in cron.next_times(schedule["cron"], schedule["timezone"])]
    print_result({**schedule, "next": upcoming}, args.json, lambda d: (
        f"schedule {d['name']!r}: {d['target_type']} {d['target']} at '{d['cron']}' "
        f"({d['timezone']}), next {relative_time(upcoming[0])}; missed runs: {d['missed']}\n"
        "it fires while a scheduler runs: JupyterLab's server, or `mlops scheduler`"))
    return 0


def cmd_schedule_list(args) -> int:
    """Schedules with their next fire time."""
    from ..scheduling import cron

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
            state = relative_time(row["next"]) if row["enabled"] else "paused"
            lines.append(f"{row['name']:20} {row['cron']:16} {row['timezone']:14} "
                         f"{state:18} {row['target']}")
        return "\n".join(lines)

    print_result(rows, args.json, render)
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

    from ..scheduling.service import Scheduler

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
            lines.append(f"{job['id']:>5} {job['schedule'] or '-'!s:20} {job['trigger']:9} "
                         f"{job['status']:12} "
                         f"{relative_time(job['started'] or job['created']):18} "
                         f"{(job['error'] or '')[:80]}")
        return "\n".join(lines)

    print_result(rows, args.json, render)
    return 0


def cmd_jobs_show(args) -> int:
    """One job, every field."""
    job = _job_store().job(args.id)
    print_result(job, args.json, lambda d: "\n".join(f"{k:14} {v}" for k, v in d.items()))
    return 0


def cmd_jobs_cancel(args) -> int:
    """Stop a running job and its kernels."""
    from ..scheduling.service import cancel_job

    job = cancel_job(_job_store(), args.id)
    print(f"job {job['id']} cancelled ({job['status']})")
    return 0


def add_commands(commands) -> None:
    """Add ``schedule``, ``scheduler`` and ``jobs`` to the ``mlops`` subparsers ``commands``."""
    schedule_commands = add_group(commands, "schedule", "cron schedules of pipelines and notebooks")
    add = schedule_commands.add_parser("add", help="schedule a pipeline file or notebook")
    add.add_argument("target", help="pipeline.yaml or notebook.ipynb")
    add.add_argument("--cron", required=True, metavar="EXPR",
                     help="'minute hour day month weekday' (a 6th field: seconds)")
    add.add_argument("--tz", default="UTC", help="IANA time zone (default UTC)")
    add.add_argument("--param", action="append", metavar="K=V",
                     help="parameter (STEP.NAME=VALUE for pipelines); repeatable")
    add.add_argument("--missed", choices=MISSED_POLICIES, default="skip",
                     help="ticks missed while no scheduler ran (default skip)")
    add.add_argument("--name", help="schedule name (default: the target's file name)")
    add_json_flag(add)
    add.set_defaults(func=cmd_schedule_add)
    listing = schedule_commands.add_parser("list", help="schedules and their next run")
    add_json_flag(listing)
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
    add_json_flag(jobs)
    jobs.set_defaults(func=cmd_jobs)
    job_commands = jobs.add_subparsers(dest="jobs_command", metavar="ACTION",
                                       parser_class=Parser)
    show_job = job_commands.add_parser("show", help="one job")
    show_job.add_argument("id", type=int)
    add_json_flag(show_job)
    show_job.set_defaults(func=cmd_jobs_show)
    cancel = job_commands.add_parser("cancel", help="stop a running job and its kernels")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=cmd_jobs_cancel)
