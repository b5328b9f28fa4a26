"""The job store: schedules, jobs and live schedulers in one SQL database.

SQLite (the default, in the home directory) or any SQLAlchemy URL (PostgreSQL for
a team). All methods return plain dicts, ready for JSON. Exactly-once firing rests
on the database: :meth:`JobStore.claim_tick` inserts the tick's job, and the unique
``(schedule_id, tick)`` constraint lets only one scheduler win.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from .. import config
from ..exceptions import NotFoundError, StoreUnavailableError, UsageError
from .orm import Base, JobRow, ScheduleRow, SchedulerRow, add_missing_columns

QUEUED, RUNNING, SUCCEEDED, FAILED = "QUEUED", "RUNNING", "SUCCEEDED", "FAILED"
#: The trigger of a run started from the Pipelines section (a job with no schedule).
SIDEBAR = "sidebar"
TIMED_OUT, INTERRUPTED, SKIPPED = "TIMED_OUT", "INTERRUPTED", "SKIPPED"
JOB_STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, INTERRUPTED, SKIPPED)
ACTIVE = (QUEUED, RUNNING)
HEARTBEAT_S = 5.0
STALE_AFTER_S = 3 * HEARTBEAT_S


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _naive(moment: datetime | None) -> datetime | None:
    """Stored form: naive UTC (SQLite keeps no zone)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None else None


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat() if moment is not None else None


def schedule_dict(row: ScheduleRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "target_type": row.target_type,
            "target": row.target, "parameters": row.parameters or {}, "cron": row.cron,
            "timezone": row.timezone, "missed": row.missed, "enabled": row.enabled,
            "created": _iso(row.created), "updated": _iso(row.updated),
            "last_tick": _iso(row.last_tick)}


def job_dict(row: JobRow) -> dict[str, Any]:
    return {"id": row.id, "schedule_id": row.schedule_id, "schedule": row.schedule_name,
            "target_type": row.target_type, "target": row.target,
            "parameters": row.parameters or {}, "trigger": row.trigger,
            "tick": _iso(row.tick), "status": row.status, "created": _iso(row.created),
            "started": _iso(row.started), "ended": _iso(row.ended),
            "duration_s": (row.ended - row.started).total_seconds()
            if row.started and row.ended else None,
            "scheduler_id": row.scheduler_id, "pid": row.pid, "host": row.host,
            "run_dir": row.run_dir, "mlflow_run_id": row.mlflow_run_id,
            "outputs": row.outputs or [], "error": row.error, "run_id": row.run_id,
            "options": row.options or {}}


class JobStore:
    """Schedules and jobs in a SQLAlchemy database."""

    def __init__(self, url: str | None = None):
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import sessionmaker

        self.url = url or config.job_db_url()
        options: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            options["connect_args"] = {"timeout": 10}
        try:
            self.engine = create_engine(self.url, **options)
        except Exception as exc:  # noqa: BLE001 - bad URL, missing driver
            raise UsageError(f"cannot use the job store URL: {exc}") from None
        if self.url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(connection, _record):  # WAL: readers never block the writer
                cursor = connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._create_tables()

    def _create_tables(self) -> None:
        from sqlalchemy.exc import OperationalError

        for attempt in range(5):
            try:
                Base.metadata.create_all(self.engine)
                add_missing_columns(self.engine)
                return
            except OperationalError as exc:  # another process created them meanwhile
                if attempt == 4:
                    raise _unavailable(exc) from None

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A transaction; a locked database becomes a clear StoreUnavailableError."""
        from sqlalchemy.exc import OperationalError

        try:
            with self._sessions() as session, session.begin():
                yield session
        except OperationalError as exc:
            raise _unavailable(exc) from None

    def close(self) -> None:
        self.engine.dispose()

    # -------------------------------------------------------------- schedules
    def add_schedule(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert a validated schedule (see schedules.build_schedule).

        Raises:
            UsageError: a schedule of that name exists.
        """
        from sqlalchemy.exc import IntegrityError

        now = _naive(utcnow())
        try:
            with self.session() as session:
                row = ScheduleRow(**fields, created=now, updated=now, last_tick=now)
                session.add(row)
                session.flush()
                return schedule_dict(row)
        except IntegrityError:
            raise UsageError(f"a schedule named {fields['name']!r} already exists") from None

    def schedules(self, enabled_only: bool = False) -> list[dict[str, Any]]:
        from sqlalchemy import select

        with self.session() as session:
            query = select(ScheduleRow).order_by(ScheduleRow.name)
            if enabled_only:
                query = query.where(ScheduleRow.enabled.is_(True))
            return [schedule_dict(row) for row in session.scalars(query)]

    def _schedule_row(self, session, name: str) -> ScheduleRow:
        from sqlalchemy import select

        row = session.scalars(select(ScheduleRow).where(ScheduleRow.name == name)).first()
        if row is None:
            raise NotFoundError(f"no schedule named {name!r}")
        return row

    def schedule(self, name: str) -> dict[str, Any]:
        with self.session() as session:
            return schedule_dict(self._schedule_row(session, name))

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        """Pause or resume; resuming starts counting ticks from now (no backlog)."""
        with self.session() as session:
            row = self._schedule_row(session, name)
            if enabled and not row.enabled:
                row.last_tick = _naive(utcnow())
            row.enabled, row.updated = enabled, _naive(utcnow())
            return schedule_dict(row)

    def remove_schedule(self, name: str) -> None:
        """Delete a schedule; its job history stays (schedule name kept on each job)."""
        with self.session() as session:
            session.delete(self._schedule_row(session, name))

    def advance(self, schedule_id: int, previous: datetime | None, tick: datetime) -> bool:
        """Move a schedule's ``last_tick`` forward, if nobody else did first."""
        from sqlalchemy import update

        with self.session() as session:
            query = update(ScheduleRow).where(ScheduleRow.id == schedule_id)
            query = query.where(ScheduleRow.last_tick == _naive(previous)) if previous \
                else query.where(ScheduleRow.last_tick.is_(None))
            result = session.execute(query.values(last_tick=_naive(tick)))
            return result.rowcount == 1

    # ------------------------------------------------------------------- jobs
    def claim_tick(self, schedule: dict[str, Any], tick: datetime, scheduler_id: str,
                   trigger: str = "cron") -> dict[str, Any] | None:
        """Insert the job of ``schedule`` at ``tick``; None when another scheduler won."""
        from sqlalchemy.exc import IntegrityError

        try:
            return self._insert_job(schedule, trigger, scheduler_id, tick)
        except IntegrityError:
            return None

    def create_job(self, schedule: dict[str, Any], trigger: str,
                   scheduler_id: str | None = None) -> dict[str, Any]:
        """A job outside the cron ticks ("Run now")."""
        return self._insert_job(schedule, trigger, scheduler_id, None)

    def create_run_job(self, target: str, run_id: str, *, parameters: dict[str, Any],
                       options: dict[str, Any], scheduler_id: str,
                       run_dir: str | None = None) -> dict[str, Any]:
        """A run of the pipeline file ``target`` started from the Pipelines section.

        Args:
            target: the pipeline file (absolute path).
            run_id: the run's folder name (``<project>/mlops-runs/<run_id>``).
            parameters: overrides as ``{"step.name": value}``.
            options: ``force``, ``only``, ``from_step`` of the run.
            scheduler_id: the scheduler that starts and watches its process.
            run_dir: the run folder, if already known.
        """
        fields = {"target_type": "pipeline", "target": target, "parameters": parameters}
        return self._insert_job(fields, SIDEBAR, scheduler_id, None, run_id=run_id,
                                options=options, run_dir=run_dir)

    def _insert_job(self, schedule, trigger, scheduler_id, tick, **extra) -> dict[str, Any]:
        with self.session() as session:
            row = JobRow(schedule_id=schedule.get("id"), schedule_name=schedule.get("name"),
                         target_type=schedule["target_type"], target=schedule["target"],
                         parameters=schedule.get("parameters") or {}, trigger=trigger,
                         tick=_naive(tick), status=QUEUED, created=_naive(utcnow()),
                         scheduler_id=scheduler_id, host=socket.gethostname(), outputs=[],
                         **extra)
            session.add(row)
            session.flush()
            return job_dict(row)

    def update_job(self, job_id: int, **changes: Any) -> dict[str, Any]:
        with self.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFoundError(f"no job {job_id}")
            for key, value in changes.items():
                setattr(row, key, _naive(value) if isinstance(value, datetime) else value)
            return job_dict(row)

    def start_job(self, job_id: int, **changes: Any) -> dict[str, Any] | None:
        """QUEUED → RUNNING; None when the job is no longer queued (cancelled)."""
        with self.session() as session:
            row = session.get(JobRow, job_id)
            if row is None or row.status != QUEUED:
                return None
            row.status, row.started = RUNNING, _naive(utcnow())
            for key, value in changes.items():
                setattr(row, key, value)
            return job_dict(row)

    def finish_job(self, job_id: int, status: str, **changes: Any) -> dict[str, Any] | None:
        """End a job unless it already ended (e.g. cancelled meanwhile)."""
        with self.session() as session:
            row = session.get(JobRow, job_id)
            if row is None or row.status not in ACTIVE:
                return job_dict(row) if row else None
            row.status, row.ended = status, _naive(utcnow())
            for key, value in changes.items():
                setattr(row, key, value)
            return job_dict(row)

    def active_job(self, schedule_id: int) -> dict[str, Any] | None:
        """The schedule's job still queued or running, if any."""
        from sqlalchemy import select

        with self.session() as session:
            row = session.scalars(select(JobRow).where(
                JobRow.schedule_id == schedule_id, JobRow.status.in_(ACTIVE))).first()
            return job_dict(row) if row else None

    def run_job(self, run_id: str) -> dict[str, Any] | None:
        """The job of the Pipelines-section run ``run_id``, or None."""
        from sqlalchemy import select

        with self.session() as session:
            row = session.scalars(select(JobRow).where(JobRow.run_id == run_id)
                                  .order_by(JobRow.id.desc())).first()
            return job_dict(row) if row else None

    def run_jobs(self, target: str | None = None, *, active_only: bool = False,
                 limit: int = 100) -> list[dict[str, Any]]:
        """Jobs of runs started from the Pipelines section (of ``target``), newest first."""
        from sqlalchemy import select

        with self.session() as session:
            query = select(JobRow).where(JobRow.trigger == SIDEBAR).order_by(
                JobRow.id.desc()).limit(limit)
            if target is not None:
                query = query.where(JobRow.target == target)
            if active_only:
                query = query.where(JobRow.status.in_(ACTIVE))
            return [job_dict(row) for row in session.scalars(query)]

    def job(self, job_id: int) -> dict[str, Any]:
        with self.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFoundError(f"no job {job_id}")
            return job_dict(row)

    def jobs(self, schedule: str | None = None, status: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """Newest first."""
        from sqlalchemy import select

        if status is not None and status not in JOB_STATUSES:
            raise UsageError(f"unknown status {status!r}; one of {', '.join(JOB_STATUSES)}")
        with self.session() as session:
            query = select(JobRow).order_by(JobRow.id.desc()).limit(limit)
            if schedule is not None:
                query = query.where(JobRow.schedule_name == schedule)
            if status is not None:
                query = query.where(JobRow.status == status)
            return [job_dict(row) for row in session.scalars(query)]

    def prune(self, older_than: timedelta) -> list[dict[str, Any]]:
        """Delete ended jobs older than ``older_than``; returns them (to clean files)."""
        from sqlalchemy import select

        cutoff = _naive(utcnow() - older_than)
        with self.session() as session:
            rows = list(session.scalars(select(JobRow).where(
                JobRow.status.not_in(ACTIVE), JobRow.created < cutoff)))
            gone = [job_dict(row) for row in rows]
            for row in rows:
                session.delete(row)
            return gone

    # ------------------------------------------------------------- schedulers
    def register_scheduler(self, scheduler_id: str) -> None:
        now = _naive(utcnow())
        with self.session() as session:
            session.merge(SchedulerRow(id=scheduler_id, host=socket.gethostname(),
                                       pid=os.getpid(), started=now, heartbeat=now))

    def heartbeat(self, scheduler_id: str) -> None:
        with self.session() as session:
            row = session.get(SchedulerRow, scheduler_id)
            if row is not None:
                row.heartbeat = _naive(utcnow())

    def unregister_scheduler(self, scheduler_id: str) -> None:
        with self.session() as session:
            row = session.get(SchedulerRow, scheduler_id)
            if row is not None:
                session.delete(row)

    def interrupt_orphans(self, alive: set[str] | None = None) -> list[dict[str, Any]]:
        """Jobs left QUEUED/RUNNING by schedulers that are gone become INTERRUPTED.

        A scheduler is gone when its heartbeat is stale, or when it ran on this host
        and its process no longer exists. Returns the jobs changed.
        """
        from sqlalchemy import select

        now = utcnow()
        changed = []
        with self.session() as session:
            live = {row.id for row in session.scalars(select(SchedulerRow))
                    if _is_alive(row, now)} | (alive or set())
            for row in session.scalars(select(JobRow).where(JobRow.status.in_(ACTIVE))):
                if row.scheduler_id in live:
                    continue
                row.status, row.ended = INTERRUPTED, _naive(now)
                row.error = (f"interrupted: scheduler {row.scheduler_id or '?'} stopped "
                             "before the job finished")
                changed.append(job_dict(row))
            for row in session.scalars(select(SchedulerRow)):
                if row.id not in live:
                    session.delete(row)
        return changed


def _is_alive(row: SchedulerRow, now: datetime) -> bool:
    if _aware(row.heartbeat) < now - timedelta(seconds=STALE_AFTER_S):
        return False
    if row.host == socket.gethostname():
        try:
            os.kill(row.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def _unavailable(exc: Exception) -> StoreUnavailableError:
    text = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
    if "locked" in text.lower():
        return StoreUnavailableError("the job store is locked by another writer; try again")
    return StoreUnavailableError(f"the job store is unavailable: {text[:200]}")
