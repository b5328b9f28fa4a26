"""Tables of the job store (SQLAlchemy): schedules, jobs (scheduled ones and runs started
from the Pipelines section), scheduler heartbeats.

Times are stored as naive UTC (SQLite keeps no zone); the store converts.

The unique constraint on ``(schedule_id, tick)`` is what makes firing exactly-once
across scheduler processes: claiming a tick is inserting its job, and only one
insert can win.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ScheduleRow(Base):
    __tablename__ = "mlops_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    target_type: Mapped[str] = mapped_column(String(20), nullable=False)  # pipeline|notebook
    target: Mapped[str] = mapped_column(Text, nullable=False)  # absolute path
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    cron: Mapped[str] = mapped_column(String(200), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    missed: Mapped[str] = mapped_column(String(20), default="skip")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(DateTime())
    updated: Mapped[datetime] = mapped_column(DateTime())
    # The last tick a scheduler has dealt with (fired, skipped or caught up).
    last_tick: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)


class JobRow(Base):
    __tablename__ = "mlops_jobs"
    __table_args__ = (UniqueConstraint("schedule_id", "tick", name="uq_job_schedule_tick"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("mlops_schedules.id", ondelete="SET NULL"), nullable=True, index=True)
    schedule_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    target_type: Mapped[str] = mapped_column(String(20), nullable=False)
    target: Mapped[str] = mapped_column(Text, nullable=False)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    trigger: Mapped[str] = mapped_column(String(40), nullable=False)  # cron|manual|catch-up|sidebar
    tick: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    created: Mapped[datetime] = mapped_column(DateTime())
    started: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    ended: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    scheduler_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    run_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outputs: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A run started from the Pipelines section (no schedule): the run folder's name and
    # the run's options (force, only, from_step). Scheduled jobs leave both empty.
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    options: Mapped[dict | None] = mapped_column(JSON, nullable=True)


#: Columns added to ``mlops_jobs`` after its first release, with their SQL types:
#: a store created before them gets them added when it is opened.
ADDED_JOB_COLUMNS = {"run_id": "VARCHAR(64)", "options": "JSON"}


class SchedulerRow(Base):
    """A running scheduler process, kept alive by heartbeats."""

    __tablename__ = "mlops_schedulers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started: Mapped[datetime] = mapped_column(DateTime())
    heartbeat: Mapped[datetime] = mapped_column(DateTime())


def add_missing_columns(engine) -> None:
    """Bring a store made by an older release up to date (:data:`ADDED_JOB_COLUMNS`,
    all nullable, so existing rows stay valid)."""
    from sqlalchemy import inspect, text

    present = {column["name"] for column in inspect(engine).get_columns(JobRow.__tablename__)}
    missing = {name: kind for name, kind in ADDED_JOB_COLUMNS.items() if name not in present}
    if not missing:
        return
    with engine.begin() as connection:
        for name, kind in missing.items():
            connection.execute(text(f"ALTER TABLE {JobRow.__tablename__} ADD COLUMN {name} {kind}"))
