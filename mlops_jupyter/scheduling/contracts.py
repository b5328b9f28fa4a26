"""The REST contract of schedules and jobs: what the sidebar sends and reads.

Requests (:class:`~mlops_jupyter.contracts.Body` / :class:`~mlops_jupyter.contracts.Query`):
:class:`ScheduleRequest`, :class:`PreviewRequest`, and the query :class:`JobsQuery`.
Replies (:class:`~mlops_jupyter.contracts.Reply`, exactly the declared fields):
:class:`ScheduleList`, :class:`Schedule`, :class:`PresetList`, :class:`CronPreview`,
:class:`JobList`, :class:`Job`.
:class:`~mlops_jupyter.scheduling.schedule_service.ScheduleService` returns these
replies, the handlers render them as they are, and the server tests check every answer
against them.

Targets, run folders and output notebooks are relative to the server root; a target
outside it is shown by its file name only (``target_in_root`` false).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictStr

from ..contracts import (
    MAX_ITEMS,
    MAX_NAME_CHARS,
    MAX_VALUE_CHARS,
    Body,
    Name,
    PathText,
    Query,
    Reply,
    Value,
)
from . import cron
from .schedules import MISSED_POLICIES
from .store import JOB_STATUSES

JobStatus = Literal[JOB_STATUSES]
TargetType = Literal["pipeline", "notebook", "monitor"]
MissedPolicy = Literal[MISSED_POLICIES]


CronText = Annotated[StrictStr, Field(max_length=cron.MAX_LENGTH)]
ZoneText = Annotated[StrictStr, Field(max_length=cron.MAX_ZONE_LENGTH)]


# ----------------------------------------------------------------------- requests
class ScheduleRequest(Body):
    """``POST schedules``; ``params`` is ``["step.name=value", ...]`` or
    ``{"step.name": value}`` (``{"name": value}`` for a notebook)."""

    target: PathText | None = Field(None, description="must be a string")
    cron: CronText | None = Field(None, description="must be a string")
    timezone: ZoneText | None = Field(None, description="must be an IANA time zone name")
    params: Annotated[list[Annotated[StrictStr, Field(max_length=MAX_VALUE_CHARS)]],
                      Field(max_length=MAX_ITEMS)] | Annotated[
        dict[Name, Value], Field(max_length=MAX_ITEMS)] | None = Field(
        None, description="must be a list of NAME=VALUE strings or an object of NAME: value")
    missed: Annotated[StrictStr, Field(max_length=32)] | None = Field(
        None, description="must be a string")
    name: Annotated[StrictStr, Field(max_length=MAX_NAME_CHARS)] | None = Field(
        None, description="must be a string")


class PreviewRequest(Body):
    """``POST schedules/preview``."""

    cron: CronText | None = Field(None, description="must be a string")
    timezone: ZoneText | None = Field(None, description="must be an IANA time zone name")


class JobsQuery(Query):
    """``GET jobs?schedule=&status=&limit=``: filter the jobs, newest first."""

    schedule: str | None = Field(None, max_length=MAX_NAME_CHARS,
                                 description="must be a schedule name")
    status: str | None = Field(None, max_length=32, description="must be a job status")
    limit: int | None = Field(None, description="must be a whole number")


# ------------------------------------------------------------------------ replies
class Contract(Reply):
    """An answer of a service: exactly these fields (none added)."""

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

    sometimes = frozenset({"last_job"})


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


class ScheduleTarget(Contract):
    """A file a schedule can run: a pipeline file or a monitor file (``monitor.yaml``)."""

    path: str
    kind: Literal["pipeline", "monitor"]
    name: str


class TargetList(Contract):
    """``GET schedules/targets``: the pipeline and monitor files under the server root."""

    targets: list[ScheduleTarget]
    truncated: bool
