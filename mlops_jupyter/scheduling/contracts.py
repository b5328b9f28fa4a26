"""What the schedule services answer, as declared models (the REST API's contract).

:class:`~mlops_jupyter.scheduling.schedule_service.ScheduleService` returns plain
JSON dicts; these models declare their shape for the OpenAPI document and the
sidebar's types, and the server tests check every answer against them. Request
bodies are declared in :mod:`mlops_jupyter.server.schemas` (``ScheduleRequest``,
``PreviewRequest``).

Targets, run folders and output notebooks are relative to the server root; a target
outside it is shown by its file name only (``target_in_root`` false).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .schedules import MISSED_POLICIES
from .store import JOB_STATUSES

JobStatus = Literal[JOB_STATUSES]
TargetType = Literal["pipeline", "notebook", "monitor"]
MissedPolicy = Literal[MISSED_POLICIES]


class Contract(BaseModel):
    """An answer of a service: exactly these fields."""

    model_config = ConfigDict(extra="forbid")


class Job(Contract):
    """One job: a schedule's tick, "Run now", a catch-up — or a run started from the
    Pipelines section (``trigger`` ``sidebar``, ``run_id`` its run folder)."""

    id: int
    schedule_id: int | None
    schedule: str | None
    target_type: TargetType
    target: str | None
    target_in_root: bool
    parameters: dict[str, Any]
    trigger: str
    tick: str | None
    status: JobStatus
    created: str | None
    started: str | None
    ended: str | None
    duration_s: float | None
    scheduler_id: str | None
    pid: int | None
    host: str | None
    run_dir: str | None
    mlflow_run_id: str | None
    outputs: list[str]
    outputs_outside_root: int
    error: str | None
    run_id: str | None
    options: dict[str, Any]


class JobList(Contract):
    """``GET jobs``: newest first."""

    jobs: list[Job]


class Schedule(Contract):
    """One schedule with its next fire time and last job."""

    id: int
    name: str
    target_type: TargetType
    target: str | None
    target_in_root: bool
    parameters: dict[str, Any]
    cron: str
    timezone: str
    missed: MissedPolicy
    enabled: bool
    created: str | None
    updated: str | None
    last_tick: str | None
    next: str | None
    next_human: str | None
    last_job: Job | None = None


class CronPreset(Contract):
    """A named cron expression (the cron helper's menu)."""

    label: str
    cron: str


class PresetList(Contract):
    """``GET schedules/presets``."""

    presets: list[CronPreset]


class SchedulerState(Contract):
    """Whether a scheduler fires schedules in this server."""

    enabled: bool
    running: bool
    error: str | None
    poll_interval: float


class ScheduleList(Contract):
    """``GET schedules``: every schedule, the presets, the scheduler's state."""

    schedules: list[Schedule]
    presets: list[CronPreset]
    scheduler: SchedulerState
    now: str


class CronPreview(Contract):
    """``POST schedules/preview``: the next fire times of an expression."""

    cron: str
    timezone: str
    next: list[str]
    local: list[str]
    human: list[str]
