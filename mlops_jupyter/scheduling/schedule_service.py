"""Schedules and jobs as the REST API shows them: no tornado in here.

:class:`ScheduleService` turns requests into calls of the scheduling services and
their answers into what a client may see: targets, run folders and output notebooks
relative to the server root, errors free of absolute paths.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import names, paths
from ..exceptions import ConflictError, MLOpsError, NotFoundError, UsageError
from ..paths import scrub
from ..pipelines.workspace import Workspace
from .contracts import (
    CronPreset,
    CronPreview,
    Job,
    JobList,
    PresetList,
    Schedule,
    ScheduleList,
    ScheduleTarget,
    TargetList,
)
from .host import SchedulerHost
from .schedules import MISSED_POLICIES

#: How many future fire times a preview lists.
PREVIEW_COUNT = 5
#: The most targets ``GET schedules/targets`` lists.
MAX_TARGETS = 200
#: The most jobs one request may list.
MAX_JOBS = 500
#: A schedule shown without its last job (``last_job`` left out of the reply).
_NO_LAST_JOB = object()


class ScheduleService:
    """Schedules and jobs as the REST API shows them, for one server root.

    Args:
        host: the server's job store and scheduler.
        workspace: the server root (targets are relative to it).
    """

    def __init__(self, host: SchedulerHost, workspace: Workspace):
        self.host = host
        self.workspace = workspace

    # -------------------------------------------------------------- helpers
    def _call(self, function, *args, **kwargs):
        """Run a scheduling call; its errors come back free of absolute paths."""
        try:
            return function(*args, **kwargs)
        except MLOpsError as exc:
            raise self.workspace.scrub(exc) from None

    def _relative(self, value: str | None) -> tuple[str | None, bool]:
        """(root-relative path, True) for a path inside the root, else (its name, False)."""
        if not value:
            return None, False
        relative = paths.relative_if_inside(self.workspace.root, value)
        return (relative, True) if relative is not None else (Path(value).name, False)

    def _text(self, value: str | None) -> str | None:
        from .. import config

        if not value:
            return value
        return scrub(value, self.workspace.root, config.home_dir(create=False))

    def _client_schedule(self, schedule: dict[str, Any], now: datetime,
                         last_job: Job | None | object = _NO_LAST_JOB) -> Schedule:
        """The stored ``schedule`` as a client sees it, with its next fire time after
        ``now`` and, when given, its ``last_job``."""
        from . import cron, humanize

        upcoming = None
        if schedule["enabled"]:
            try:
                (upcoming,) = cron.next_times(schedule["cron"], schedule["timezone"], 1,
                                              after=now)
            except UsageError:
                pass  # a zone that vanished from the tz database: nothing is next
        target, inside = self._relative(schedule["target"])
        shown = schedule | {
            "target": target, "target_in_root": inside,
            "next": upcoming.isoformat() if upcoming else None,
            "next_human": humanize.relative(upcoming, now) if upcoming else None}
        if last_job is not _NO_LAST_JOB:
            shown["last_job"] = last_job
        return Schedule(**shown)

    def _client_job(self, job: dict[str, Any]) -> Job:
        """The stored ``job`` as a client sees it: paths inside the root relative to it,
        the others counted, not named."""
        target, target_in_root = self._relative(job["target"])
        run_dir, inside = self._relative(job.get("run_dir"))
        outputs = [self._relative(path) for path in job.get("outputs") or []]
        return Job(**job | {
            "target": target, "target_in_root": target_in_root,
            "run_dir": run_dir if inside else None,
            "outputs": [path for path, inside in outputs if inside],
            "outputs_outside_root": sum(1 for _, inside in outputs if not inside),
            "error": self._text(job.get("error"))})

    def _last_job(self, store, name: str) -> Job | None:
        """The newest job that ran (or runs): a SKIPPED record is only there because
        another job was running, so that one says more about the schedule."""
        jobs = store.jobs(schedule=name, limit=10)
        ran = [job for job in jobs if job["status"] != "SKIPPED"]
        chosen = (ran or jobs or [None])[0]
        return self._client_job(chosen) if chosen else None

    # ------------------------------------------------------------ schedules
    def list_schedules(self) -> ScheduleList:
        """Every schedule with its next fire time and last job; presets; scheduler state."""
        store = self.host.store
        now = datetime.now(timezone.utc)
        schedules = [self._client_schedule(schedule, now,
                                           self._last_job(store, schedule["name"]))
                     for schedule in store.schedules()]
        return ScheduleList(schedules=schedules, presets=self.presets().presets,
                            scheduler=self.host.status(), now=now.isoformat())

    def get_schedule(self, name: str) -> Schedule:
        """One schedule with its next fire time and last job.

        Raises:
            NotFoundError: no such schedule.
        """
        store = self.host.store
        return self._client_schedule(store.schedule(name), datetime.now(timezone.utc),
                                     self._last_job(store, name))

    def targets(self) -> TargetList:
        """The files under the server root a schedule can run: valid pipeline files
        and monitor files (a drift check on a schedule), sorted by path."""
        from ..monitoring.spec import is_monitor_file

        files, truncated = self.workspace.yaml_files()
        found: list[ScheduleTarget] = []
        for path in files:
            if len(found) >= MAX_TARGETS:
                truncated = True
                break
            pipeline = self.workspace.describe_file(path)
            relative = paths.relative_if_inside(self.workspace.root, path)
            if relative is None:
                continue
            if pipeline is not None:
                if pipeline.error is None:
                    found.append(ScheduleTarget(path=relative, kind="pipeline",
                                                name=pipeline.name))
            elif is_monitor_file(path):
                found.append(ScheduleTarget(path=relative, kind="monitor",
                                            name=_monitor_model(path) or path.stem))
        found.sort(key=lambda target: target.path)
        return TargetList(targets=found, truncated=truncated)

    @staticmethod
    def presets() -> PresetList:
        """The named cron expressions of the cron helper."""
        from . import cron

        return PresetList(presets=[CronPreset(label=label, cron=expression)
                                   for label, expression in cron.PRESETS.items()])

    def preview(self, expression: Any, tz: Any) -> CronPreview:
        """The next fire times of ``expression`` in zone ``tz``.

        Raises:
            UsageError: a bad expression or zone, or one that never fires.
        """
        from . import cron, humanize

        tz = "UTC" if tz in (None, "") else tz
        if not isinstance(tz, str):
            raise UsageError("timezone must be an IANA time zone name")
        if not isinstance(expression, str) or not expression.strip():
            raise UsageError("cron must be a cron expression such as '0 2 * * *'")
        local = cron.zone(tz)
        normalised = cron.validate(expression, tz)
        now = datetime.now(timezone.utc)
        times = cron.next_times(normalised, tz, PREVIEW_COUNT, after=now)
        return CronPreview(
            cron=normalised, timezone=tz, next=[moment.isoformat() for moment in times],
            local=[moment.astimezone(local).strftime("%a %Y-%m-%d %H:%M:%S %Z")
                   for moment in times],
            human=[humanize.relative(moment, now) for moment in times])

    def create(self, body: dict[str, Any]) -> Schedule:
        """Validate and store a schedule; the running scheduler looks at it at once.

        Raises:
            UsageError: bad target, cron, zone, parameters, policy or name.
            NotFoundError: the target does not exist.
            ConflictError: a schedule of that name exists.
        """
        from .schedules import build_schedule

        target = body.get("target")
        self.workspace.resolve(target, what="target", must_exist=False)  # hostile paths
        missed = body.get("missed") or "skip"
        if missed not in MISSED_POLICIES:
            raise UsageError(f"missed must be one of {', '.join(MISSED_POLICIES)}")
        params = body.get("params")
        if params is not None and not isinstance(params, (list, dict)):
            raise UsageError("params must be a list of NAME=VALUE or an object")
        if isinstance(params, list) and not all(isinstance(item, str) for item in params):
            raise UsageError("params must be a list of NAME=VALUE strings")
        fields = self._call(build_schedule, target, body.get("cron"),
                            tz=body.get("timezone") or "UTC", params=params or [],
                            missed=missed, name=body.get("name") or None,
                            root=self.workspace.root)
        store = self.host.store
        try:
            created = store.add_schedule(fields)
        except UsageError as exc:
            if self._exists(store, fields["name"]):
                raise ConflictError(exc.message) from None
            raise
        self.host.wake()
        return self._client_schedule(created, datetime.now(timezone.utc), None)

    @staticmethod
    def _exists(store, name: str) -> bool:
        try:
            store.schedule(name)
        except NotFoundError:
            return False
        return True

    def set_enabled(self, name: str, enabled: bool) -> Schedule:
        """Pause (``enabled`` false) or resume schedule ``name``.

        Raises:
            NotFoundError: no such schedule.
        """
        changed = self.host.store.set_enabled(name, enabled)
        if enabled:
            self.host.wake()
        return self._client_schedule(changed, datetime.now(timezone.utc))

    def remove(self, name: str) -> None:
        """Remove schedule ``name`` (its jobs are kept).

        Raises:
            NotFoundError: no such schedule.
        """
        self.host.store.remove_schedule(name)

    def run_now(self, name: str) -> Job:
        """Start a job of schedule ``name`` now, on this server's scheduler.

        Raises:
            NotFoundError: no such schedule.
            ConflictError: the scheduler is disabled here, or the schedule's previous
                job is still running (two runs would write the same files).
        """
        schedule = self.host.store.schedule(name)  # 404 before anything else
        scheduler = self.host.running_scheduler()
        running = scheduler.store.active_job(schedule["id"])
        if running is not None:
            raise ConflictError(f"job {running['id']} of schedule {name!r} is still "
                                f"{running['status']}; wait for it or cancel it")
        return self._client_job(self._call(scheduler.run_now, name))

    # ----------------------------------------------------------------- jobs
    def jobs(self, schedule: str | None, status: str | None, limit: int) -> JobList:
        """Jobs (of ``schedule``, with ``status``), newest first, at most ``limit``.

        Raises:
            UsageError: ``limit`` is not between 1 and :data:`MAX_JOBS`.
        """
        if limit < 1 or limit > MAX_JOBS:
            raise UsageError(f"limit must be between 1 and {MAX_JOBS}")
        found = self.host.store.jobs(schedule=schedule or None, status=status or None,
                                     limit=limit)
        return JobList(jobs=[self._client_job(job) for job in found])

    def job(self, job_id: str) -> Job:
        """Job ``job_id``.

        Raises:
            NotFoundError: no such job.
        """
        return self._client_job(self.host.store.job(_job_id(job_id)))

    def cancel(self, job_id: str) -> Job:
        """Stop a queued or running job (its kernels too).

        Raises:
            NotFoundError: no such job.
            ConflictError: it already ended.
        """
        from .service import cancel_job
        from .store import ACTIVE

        store = self.host.store
        number = _job_id(job_id)
        job = store.job(number)
        if job["status"] not in ACTIVE:
            raise ConflictError(f"job {number} already ended ({job['status']}); "
                                "nothing to cancel")
        try:
            return self._client_job(cancel_job(store, number))
        except UsageError as exc:
            if store.job(number)["status"] not in ACTIVE:  # it ended meanwhile
                raise ConflictError(exc.message) from None
            raise self.workspace.scrub(exc) from None


def _monitor_model(path: Path) -> str | None:
    """The model a monitor file watches (``monitor.model``), for its label."""
    from .. import documents

    try:
        data = documents.load_yaml(documents.read_document(path), path.name)
    except UsageError:
        return None
    model = data.get("monitor", {}).get("model") if isinstance(data, dict) else None
    return model[:128] if isinstance(model, str) else None


def _job_id(text: str) -> int:
    if not names.is_decimal(text) or len(text) > 18:
        raise NotFoundError(f"no job {text[:20]!r}")
    return int(text)
